//go:build e2e

package e2e

import (
	"crypto/tls"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
)

// mediaPath: verify allocates on Prosody's TURN services from this machine
// (through the target's UFW) over UDP and TLS; after a forced renewal
// coturn serves the new certificate and verify passes again; with coturn's
// certificate directory back at 0700 verify fails naming turns: and the
// fix, and a re-run of install repairs it.
func mediaPath(t *testing.T, tg *sandbox.Target) {
	d := tg.Domain
	udp, tlsURI := "turn:"+d+":3478", "turns:"+d+":5349?transport=tcp"
	turnPassed := func(t *testing.T, when string) {
		t.Helper()
		v := jitsi(t, true, "verify", "--answers", tg.AnswersFile)
		for _, uri := range []string{udp, tlsURI} {
			if ok, found := v.checkPassed("TURN " + uri + " "); !found || !ok {
				t.Errorf("%s: the TURN check of %s: found %v, passed %v\n%s", when, uri, found, ok, v.out)
			}
		}
		if ok, found := v.checkPassed("media port 10000/udp"); !found || !ok {
			t.Errorf("%s: the media port check: found %v, passed %v", when, found, ok)
		}
		if v.code != 0 {
			t.Errorf("%s: verify exit %d\n%s", when, v.code, v.out)
		}
		// The credentials Prosody hands out never show.
		for _, s := range []string{"services:", "password=", "extdisco"} {
			if strings.Contains(v.out, s) {
				t.Errorf("%s: verify's output holds %q", when, s)
			}
		}
		noSecretsIn(t, tg, v.out)
	}
	turnPassed(t, "after the install")
	if got := strings.TrimSpace(mustSSH(t, tg, "stat -c '%a %U' /etc/coturn /etc/coturn/certs")); got != "755 root\n700 turnserver" {
		t.Errorf("coturn's directories: %q, want 755 root and 700 turnserver", got)
	}

	t.Run("forced renewal", func(t *testing.T) {
		live := "/etc/letsencrypt/live/" + d + "/cert.pem"
		before := liveSerial(t, tg, live)
		if s := servedSerial(t, tg); s != before {
			t.Fatalf("coturn serves serial %s, the live certificate is %s", s, before)
		}
		mustSSH(t, tg, "certbot renew --force-renewal --cert-name "+d+" --no-random-sleep-on-renew")
		after := liveSerial(t, tg, live)
		if after == before {
			t.Fatalf("certbot renew --force-renewal kept serial %s", after)
		}
		// The deploy hook restarts coturn, which reads certificates at start.
		deadline := time.Now().Add(30 * time.Second)
		for servedSerial(t, tg) != after {
			if time.Now().After(deadline) {
				t.Fatalf("coturn on 5349 still serves %s after the renewal to %s", servedSerial(t, tg), after)
			}
			time.Sleep(time.Second)
		}
		turnPassed(t, "after the renewal")
	})

	t.Run("TLS listener down", func(t *testing.T) {
		// What the deploy hook's umask did before: coturn starts without
		// its certificate and so without TLS.
		mustSSH(t, tg, "chmod 0700 /etc/coturn && systemctl restart coturn")
		v := jitsi(t, false, "verify", "--answers", tg.AnswersFile, "--settle", "5s")
		if v.code == 0 || !strings.Contains(v.out, "FAIL TURN "+tlsURI) ||
			!strings.Contains(v.out, "fix: coturn's TLS listener is down") || !strings.Contains(v.out, ":5349: connection refused") || !strings.Contains(v.out, "re-run install") {
			t.Fatalf("verify with coturn's TLS down: exit %d, want a failure naming %s and the fix\n%s", v.code, tlsURI, v.out)
		}
		t.Logf("verify with coturn's TLS down:\n%s", linesWith(v.out, "TURN", "fix:"))
		if strings.Contains(v.out, "FAIL TURN "+udp+" ") {
			t.Errorf("TURN over UDP failed too:\n%s", v.out)
		}
		r := jitsi(t, false, "install", "--answers", tg.AnswersFile, "--yes")
		if r.code != 0 {
			t.Fatalf("install to repair: exit %d\n%s", r.code, r.out)
		}
		turnPassed(t, "after the repair")
	})
}

// linesWith are the lines of out that contain one of words.
func linesWith(out string, words ...string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				keep = append(keep, l)
				break
			}
		}
	}
	return strings.Join(keep, "\n")
}

// checkPassed finds the verify check whose name starts with prefix.
func (r result) checkPassed(prefix string) (passed, found bool) {
	for _, e := range r.events {
		if e["type"] != "check" {
			continue
		}
		if name, _ := e["resource"].(string); strings.HasPrefix(name, prefix) {
			p, _ := e["passed"].(bool)
			return p, true
		}
	}
	return false, false
}

// liveSerial is the serial of certbot's live certificate on the target.
func liveSerial(t *testing.T, tg *sandbox.Target, path string) string {
	t.Helper()
	out := strings.TrimSpace(mustSSH(t, tg, "openssl x509 -noout -serial -in "+path))
	n, ok := new(big.Int).SetString(strings.TrimPrefix(out, "serial="), 16)
	if !ok {
		t.Fatalf("serial of %s: %q", path, out)
	}
	return n.Text(16)
}

// servedSerial is the serial of the certificate coturn serves on 5349, as
// this machine sees it through the target's firewall.
func servedSerial(t *testing.T, tg *sandbox.Target) string {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", net.JoinHostPort(tg.Address, "5349"),
		&tls.Config{ServerName: tg.Domain, InsecureSkipVerify: true}) // only read here: verify checks it
	if err != nil {
		return "none: " + err.Error()
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Text(16)
}
