//go:build e2e

package sandbox

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/standin"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// TestServices checks, from inside a target, what its daemon serves.
func TestServices(t *testing.T) {
	t.Parallel()
	tg := bringUp(t, Options{Name: "services"})
	for _, f := range []string{tg.ACMECA, tg.JanssenCA} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		copyTo(t, tg, b, "/tmp/"+filepath.Base(filepath.Dir(f))+".pem")
	}
	tests := []struct {
		name, cmd, want string
	}{
		{"proxy refuses other hosts", "curl -s -o /dev/null -w '%{http_code}' -x " + tg.AptProxy + " http://example.com/", "403"},
		{"proxy reaches Debian", "curl -s -o /dev/null -w '%{http_code}' -x " + tg.AptProxy + " http://deb.debian.org/debian/dists/" + tg.Suite + "/InRelease", "200"},
		{"repository key", "curl -fsS " + tg.RepoKeyURL + " | gpg --show-keys --with-colons 2>/dev/null | awk -F: '$1==\"fpr\"{print $10; exit}'", tg.RepoFingerprint},
		{"repository through the proxy", "curl -fsS -x " + tg.AptProxy + " " + tg.RepoURL + "stable/Release | grep -c '^SHA256:'", "1"},
		{"pebble", "curl -fsS --cacert /tmp/pebble.pem " + tg.ACMEServer + " | grep -o newAccount | head -1", "newAccount"},
		{"janssen discovery", "curl -fsS --cacert /tmp/janssen.pem " + tg.JanssenIssuer + "/jans-auth/.well-known/openid-configuration | grep -o '\"issuer\":\"[^\"]*\"'", `"issuer":"` + tg.JanssenIssuer + `"`},
		{"janssen has a DNS name", "getent hosts " + tg.JanssenHost + " | awk '{print $1}'", tg.HostAddress},
		{"janssen JWKS by name, certificate checked", "curl -fsS -o /dev/null -w '%{http_code}' --cacert /tmp/janssen.pem https://" + tg.JanssenHost + ":8443/jans-auth/restv1/jwks", "200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustSSH(t, tg, tt.cmd); got != tt.want {
				t.Errorf("%s\n= %q, want %q", tt.cmd, got, tt.want)
			}
		})
	}
	t.Run("janssen by name from this machine", func(t *testing.T) {
		if want := "https://" + JanssenHost(tg.Name) + ":8443"; tg.JanssenIssuer != want {
			t.Fatalf("issuer %s, want %s", tg.JanssenIssuer, want)
		}
		c, err := jwks.NewClient(tg.JanssenCA)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jwks.FetchDiscovery(testContext(t), c, tg.JanssenIssuer+"/jans-auth/.well-known/openid-configuration", tg.JanssenIssuer); err != nil {
			t.Errorf("discovery by name from this machine: %v", err)
		}
	})
	t.Run("janssen admin on loopback mints tokens", func(t *testing.T) {
		if !strings.HasPrefix(tg.JanssenAdmin, "http://127.0.0.1:") {
			t.Fatalf("admin API at %s, want loopback", tg.JanssenAdmin)
		}
		resp, err := http.Post(tg.JanssenAdmin+"/mint", "application/json", strings.NewReader(`{"claims":{"room":"*"}}`))
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Count(string(tok), ".") != 2 {
			t.Errorf("POST /mint = %s %q, want a JWT", resp.Status, tok)
		}
	})
}

func TestStandinPackage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		preseed bool
		suite   string
	}{
		{"pkg-preseed", true, ""},
		{"pkg-bare", false, ""},
		{"pkg-old", true, standin.OldSuite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tg := bringUp(t, Options{Name: tt.name, JitsiSuite: tt.suite})
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
			if tt.suite == standin.OldSuite {
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
