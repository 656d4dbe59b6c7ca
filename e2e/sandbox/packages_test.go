//go:build e2e

package sandbox

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/standin"
)

// TestStandinPackage installs the stand-in jitsi-videobridge2 through the
// apt proxy: with its debconf answer it installs and runs, the old suite's
// release included; without, its postinst fails naming the question.
func TestStandinPackage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		target  Options
		preseed bool
	}{
		{Options{Name: "pkg-preseed"}, true},
		{Options{Name: "pkg-bare"}, false},
		{Options{Name: "pkg-old", JitsiSuite: standin.OldSuite}, true},
	}
	for _, tt := range tests {
		t.Run(tt.target.Name, func(t *testing.T) {
			t.Parallel()
			tg := bringUp(t, tt.target)
			useProxy(t, tg, true)
			if tt.preseed {
				copyTo(t, tg, []byte("jitsi-videobridge2 jitsi-videobridge/jvb-hostname string "+tg.Domain+"\n"), "/tmp/preseed")
				mustSSH(t, tg, "debconf-set-selections /tmp/preseed")
			}
			out, err := tg.SSH(testContext(t), aptInstall+"jitsi-videobridge2 2>&1")
			status, _ := tg.SSH(testContext(t), "dpkg-query -W -f='${db:Status-Status}' jitsi-videobridge2")
			if !tt.preseed {
				if err == nil || !strings.Contains(out, "jitsi-videobridge/jvb-hostname is not preseeded") || status == "installed" {
					t.Fatalf("install without answers: err %v, status %q, want a failed postinst naming the question:\n%s", err, status, out)
				}
				return
			}
			if err != nil || status != "installed" {
				t.Fatalf("install with answers: %v, status %q:\n%s", err, status, out)
			}
			list := standin.Packages
			if tt.target.JitsiSuite == standin.OldSuite {
				list = standin.OldPackages
			}
			pkgs, err := list()
			if err != nil {
				t.Fatal(err)
			}
			got := mustSSH(t, tg, "dpkg-query -W -f='${Version}' jitsi-videobridge2")
			for _, p := range pkgs {
				if p.Name == "jitsi-videobridge2" && got != p.Version {
					t.Errorf("installed jitsi-videobridge2 %s from %s, want %s", got, tg.RepoSuite, p.Version)
				}
			}
			if got := mustSSH(t, tg, "systemctl is-active jitsi-videobridge2 || true"); got != "active" && got != "activating" {
				t.Errorf("jitsi-videobridge2 is %s", got)
			}
		})
	}
}

func TestCertbot(t *testing.T) {
	t.Parallel()
	tg := bringUp(t, Options{Name: "certbot"})
	useProxy(t, tg, false)
	mustSSH(t, tg, aptInstall+"nginx certbot python3-certbot-nginx >/tmp/install.log 2>&1 || { tail -30 /tmp/install.log; exit 1; }")
	ca, err := os.ReadFile(tg.ACMECA)
	if err != nil {
		t.Fatal(err)
	}
	copyTo(t, tg, ca, "/etc/ssl/pebble-ca.pem")
	copyTo(t, tg, []byte("server {\n  listen 80;\n  server_name "+tg.Domain+";\n  root /var/www/html;\n}\n"), "/etc/nginx/sites-enabled/"+tg.Domain)
	mustSSH(t, tg, "nginx -t 2>&1 && systemctl reload nginx")
	cmd := fmt.Sprintf("REQUESTS_CA_BUNDLE=/etc/ssl/pebble-ca.pem certbot --nginx -d %s --agree-tos -m ops@example.com --no-eff-email --non-interactive --server %s 2>&1",
		tg.Domain, tg.ACMEServer)
	if out, err := tg.SSH(testContext(t), cmd); err != nil {
		t.Fatalf("certbot: %v\n%s", err, out)
	}
	mustSSH(t, tg, "test -s /etc/letsencrypt/live/"+tg.Domain+"/fullchain.pem")

	// The served certificate chains to Pebble's root, for the target's name.
	pool, err := tg.ACMERoots()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", tg.Address+":443", &tls.Config{ServerName: tg.Domain, RootCAs: pool})
	if err != nil {
		t.Fatalf("TLS to nginx with Pebble's root: %v", err)
	}
	conn.Close()
}
