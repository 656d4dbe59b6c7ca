//go:build e2e

package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v4"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// TestTURNOn443 turns on TURN over TLS on port 443 under a name of its own:
// the install converges, the web app still answers on https://DOMAIN/ with
// the client's own address in nginx's log, a TURN allocation over TLS to
// port 443 with that name succeeds with credentials minted as Prosody mints
// them, and turning the option off puts the web server back on 443.
func TestTURNOn443(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	tg := up(t, "t443", "bookworm", "root")
	host := "turn." + tg.Domain
	on := withTURN(t, tg, "answers-turn443.yaml", "tls_443_host: "+host)

	mustInstall(t, on, "install with TURN on 443")
	converged(t, tg, on)
	if !strings.Contains(mustSSH(t, tg, "cat /etc/prosody/conf.avail/"+tg.Domain+".cfg.lua"),
		`{ type = "turns", host = "`+host+`", port = 443, transport = "tcp"`) {
		t.Error("Prosody does not hand out turns:" + host + ":443")
	}
	webAnswers(t, tg)
	if last := mustSSH(t, tg, "tail -n 1 /var/log/nginx/access.log"); !strings.HasPrefix(last, tg.HostAddress+" ") {
		t.Errorf("nginx logs %q, want the client's address %s first (PROXY protocol)", last, tg.HostAddress)
	}
	coturnTLS(t, tg)
	// The relay address is one peers can reach: the host's, as for a
	// client on 5349, not the loopback nginx and coturn talk over.
	if relay, err := allocateOn443(t, tg, host); err != nil {
		t.Errorf("TURN allocation over TLS on %s:443 (SNI %s): %v", tg.Address, host, err)
	} else if ip, _, _ := net.SplitHostPort(relay.String()); ip != tg.Address {
		t.Errorf("TURN over TLS on 443 relays on %s, want the host's address %s", relay, tg.Address)
	} else {
		t.Logf("TURN over TLS on 443: relay address %s", relay)
	}
	// coturn's TLS rules hold through nginx: nginx only reads the hello.
	old := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: &tls.Config{ServerName: host,
		InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}} // only the version is under test
	if c, err := old.DialContext(context.Background(), "tcp", net.JoinHostPort(tg.Address, "443")); err == nil {
		c.Close()
		t.Errorf("TLS 1.1 to %s on 443 is accepted", host)
	}
	if v := jitsi(t, false, "verify", "--answers", on); v.code != 0 {
		t.Errorf("verify: exit %d\n%s", v.code, v.out)
	}

	// Undo: the answers without the option.
	mustInstall(t, tg.AnswersFile, "install without TURN on 443")
	converged(t, tg, tg.AnswersFile)
	if out := mustSSH(t, tg, "ls /etc/nginx/modules-enabled/"); strings.Contains(out, filepath.Base(assets.Dest(assets.NginxStream, ""))) {
		t.Errorf("the stream block is still enabled: %s", out)
	}
	webAnswers(t, tg)
	if _, err := allocateOn443(t, tg, host); err == nil {
		t.Error("TURN still answers on 443 after the option was turned off")
	}
}

// withTURN writes a copy of tg's answers file with keys under turn: and
// returns its path.
func withTURN(t *testing.T, tg *sandbox.Target, name string, keys ...string) string {
	t.Helper()
	return answersCopy(t, tg, name, func(s string) string { return s + "turn:\n  " + strings.Join(keys, "\n  ") + "\n" })
}

// converged: a re-run changes nothing.
func converged(t *testing.T, tg *sandbox.Target, answers string) {
	t.Helper()
	r := jitsi(t, true, "install", "--answers", answers, "--yes")
	if r.code != 0 {
		t.Fatalf("re-run: exit %d\n%s", r.code, r.out)
	}
	if s := r.summary(); s["changed"] != 0.0 || s["handlers"] != 0.0 || len(r.pending()) != 0 {
		t.Errorf("the re-run changed something: %v\n%v", s, r.pending())
	}
}

// webAnswers: https://DOMAIN/ on port 443 serves the web app with the
// domain's certificate.
func webAnswers(t *testing.T, tg *sandbox.Target) {
	t.Helper()
	res, err := boshClient(t, tg).Get("https://" + tg.Address + "/")
	if err != nil {
		t.Fatalf("https://%s/ on port 443: %v", tg.Domain, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "<html") {
		t.Errorf("https://%s/: %s\n%.300s", tg.Domain, res.Status, body)
	}
}

// coturnTLS waits for coturn's TLS listener, which TURN on 443 reaches
// through nginx: the deploy hook left coturn able to read its certificate.
func coturnTLS(t *testing.T, tg *sandbox.Target) {
	t.Helper()
	out := mustSSH(t, tg, `for i in $(seq 50); do ss -ltn 'sport = :`+strconv.Itoa(assets.TURNTLSPort)+`' | grep -q LISTEN && exit 0; sleep 0.2; done; echo "coturn does not listen on `+strconv.Itoa(assets.TURNTLSPort)+`"; ls -ld /etc/coturn /etc/coturn/certs; journalctl -u coturn -n 20 --no-pager`)
	if strings.Contains(out, "does not listen") {
		t.Fatalf("%s", out)
	}
}

// allocateOn443 allocates a relay address over TLS to port 443 with SNI
// host, checking the certificate against the sandbox's ACME root, with
// credentials minted from the TURN secret as Prosody's external_services
// does (username: expiry; password: base64 HMAC-SHA1 of it).
func allocateOn443(t *testing.T, tg *sandbox.Target, host string) (net.Addr, error) {
	t.Helper()
	var stored map[string]string
	if err := json.Unmarshal([]byte(mustSSH(t, tg, "cat /var/lib/jitsi-installer/secrets.json")), &stored); err != nil {
		t.Fatal(err)
	}
	pool, err := tg.ACMERoots()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(tg.Address, "443")
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: &tls.Config{ServerName: host, RootCAs: pool}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	user := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	mac := hmac.New(sha1.New, []byte(stored["turn"]))
	mac.Write([]byte(user))
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr,
		Conn:     turn.NewSTUNConn(conn),
		Username: user, Password: base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		RTO: time.Second,
	})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		return nil, err
	}
	relay, err := c.Allocate()
	if err != nil {
		return nil, err
	}
	defer relay.Close()
	return relay.LocalAddr(), nil
}
