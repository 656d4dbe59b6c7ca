//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/e2e/standin"
	"github.com/jitsi-installer/jitsi-installer/internal/janssentest"
)

// hardening checks a converged host as an attacker and an auditor would
// (docs/hardening.md): no token in any log, no secret in a rotation's plan,
// only the documented ports open from outside, the installer's units
// sandboxed, and the web server and Prosody without Debian's defaults.
func hardening(t *testing.T, tg *sandbox.Target) {
	t.Run("no token in any log", func(t *testing.T) { noTokenInLogs(t, tg) })
	t.Run("no secret in a rotation's plan", func(t *testing.T) { rotationPlan(t, tg) })
	t.Run("only the documented ports", func(t *testing.T) { portScan(t, tg) })
	t.Run("units sandboxed", func(t *testing.T) { unitsSandboxed(t, tg) })
	t.Run("no defaults left", func(t *testing.T) { noDefaults(t, tg) })
}

// tokenSpellings are the names a token travels under: Prosody decodes the
// percent-encoded ones, and nginx must not log any of them.
var tokenSpellings = []string{"token", "Token", "JWT", "jwt", "%74oken", "%6Awt"}

// jwtRE is what any JWT looks like.
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.`)

// noTokenInLogs signs in with a token in every spelling, sends it where
// nginx logs on a 404 and a 502 (Prosody stopped), in the path, in a
// Referer and to port 80, then greps every nginx log, the installer's log
// file and the logs command's output for it.
func noTokenInLogs(t *testing.T, tg *sandbox.Target) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tok := mint(t, tg, janssentest.MintRequest{Claims: meetingClaims(tg)})
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	c := boshClient(t, tg)
	base := "https://" + tg.Address
	for _, name := range tokenSpellings {
		_, got, err := standin.OpenBOSH(ctx, c, base+"/http-bind?room=r1&"+name+"="+tok, tg.Domain, "", 5)
		// Prosody reads token= however its name is encoded; JWT= and the
		// rest are not its parameter, so those sign-ins fail.
		if want := name == "token" || name == "%74oken"; want && (err != nil || got != "success") {
			t.Errorf("sign-in with %s=: %s %v, want success", name, got, err)
		}
		for _, p := range []string{"/r1", "/static/nope.js", "/prosody-plugins/mod_auth_token.lua", "/xmpp-websocket"} {
			get(ctx, t, c, base+p+"?room=r1&"+name+"="+tok, nil)
		}
	}
	get(ctx, t, c, base+"/r1/jwt="+tok, nil)
	get(ctx, t, c, base+"/r1", map[string]string{"Referer": "https://" + tg.Domain + "/r1?Token=" + tok})
	if code := get(ctx, t, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		"http://"+tg.Address+"/r1?JWT="+tok, nil); code != http.StatusMovedPermanently {
		t.Errorf("port 80: %d, want 301", code)
	}

	// Upstream failures: Prosody down, nginx answers 502.
	mustSSH(t, tg, "systemctl stop prosody")
	for _, name := range tokenSpellings {
		if code := post(ctx, t, c, base+"/http-bind?room=r1&"+name+"="+tok); code != http.StatusBadGateway {
			t.Errorf("POST /http-bind?%s= with Prosody stopped: %d, want 502", name, code)
		}
		get(ctx, t, c, base+"/xmpp-websocket?"+name+"="+tok, nil)
	}
	mustSSH(t, tg, "systemctl start prosody")

	logs := mustSSH(t, tg, "for f in /var/log/nginx/*; do echo \"== $f\"; cat \"$f\"; done")
	if strings.Contains(logs, sig) || jwtRE.MatchString(logs) {
		t.Errorf("a token is in nginx's logs:\n%s", lastLines(logs, 30))
	}
	// Still diagnosable: the 502s with the upstream and timings.
	if !regexp.MustCompile(`"POST /http-bind\?\[params_redacted\] HTTP/[0-9.]+" 502 .* upstream=127\.0\.0\.1:5280 us=502 `).MatchString(logs) {
		t.Errorf("the access log does not show the 502s with their upstream:\n%s", lastLines(logs, 30))
	}

	// The installer's own log file and the logs command.
	file := filepath.Join(t.TempDir(), "verify.log")
	if v := jitsi(t, false, "verify", "--answers", tg.AnswersFile, "--log-file", file); v.code != 0 {
		t.Fatalf("verify: exit %d\n%s", v.code, v.out)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("--log-file is %04o, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(file)
	l := jitsi(t, false, "logs", "--answers", tg.AnswersFile, "--since", "15m")
	if l.code != 0 {
		t.Errorf("logs: exit %d\n%s", l.code, lastLines(l.out, 20))
	}
	for what, out := range map[string]string{"the log file": string(b), "the logs command": l.out} {
		if strings.Contains(out, sig) || jwtRE.MatchString(out) {
			t.Errorf("a token is in %s", what)
		}
	}
	if !strings.Contains(l.out, "[params_redacted]") {
		t.Errorf("the logs command does not show nginx's requests:\n%s", lastLines(l.out, 20))
	}
}

// get requests u and returns the status (0 when nothing answered).
func get(ctx context.Context, t *testing.T, c *http.Client, u string, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, c, req)
}

func post(ctx context.Context, t *testing.T, c *http.Client, u string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "POST", u, strings.NewReader("<body/>"))
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

func do(t *testing.T, c *http.Client, req *http.Request) int {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Logf("%s %s: %v", req.Method, req.URL.Path, err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// rotationPlan: the plan of a rotation, in text and JSON and in its log
// file, holds none of the secrets the host has now: the passwords, the TURN
// secret Prosody hands out, the SCRAM salts and keys of the accounts.
func rotationPlan(t *testing.T, tg *sandbox.Target) {
	live := hostSecrets(t, tg)
	file := filepath.Join(t.TempDir(), "rotate.log")
	text := jitsi(t, false, "install", "--answers", tg.AnswersFile, "--dry-run", "--rotate-secrets", "--log-file", file)
	js := jitsi(t, true, "install", "--answers", tg.AnswersFile, "--dry-run", "--rotate-secrets")
	b, _ := os.ReadFile(file)
	cfg := "/etc/prosody/conf.avail/" + tg.Domain + ".cfg.lua"
	for what, r := range map[string]result{"text": text, "JSON": js, "log file": {out: string(b)}} {
		if !strings.Contains(r.out, cfg) || !strings.Contains(r.out, "jicofo.conf") {
			t.Errorf("%s: the rotation's plan does not list the files it changes:\n%s", what, lastLines(r.out, 20))
		}
		for name, v := range live {
			if strings.Contains(r.out, v) {
				t.Errorf("%s: the rotation's plan shows %s", what, name)
			}
		}
	}
	if p := jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode"); p.code != 0 {
		t.Errorf("a dry run changed the host: plan exit %d, pending %v", p.code, p.pending())
	}
}

// hostSecrets are the secrets on tg, by where they were found.
func hostSecrets(t *testing.T, tg *sandbox.Target) map[string]string {
	t.Helper()
	m := map[string]string{}
	out := mustSSH(t, tg, `cat /var/lib/jitsi-installer/secrets.json; echo; grep -h external_service_secret /etc/prosody/conf.avail/*.cfg.lua; cat /var/lib/prosody/auth*/accounts/*.dat`)
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`"(focus|jvb|turn|app_secret)"\s*:\s*"([^"]+)"`),
		regexp.MustCompile(`(external_service_secret)\s*=\s*"([^"]+)"`),
		regexp.MustCompile(`\["(salt|server_key|stored_key)"\]\s*=\s*"([^"]+)"`),
	} {
		for i, s := range re.FindAllStringSubmatch(out, -1) {
			m[fmt.Sprintf("%s #%d", s[1], i)] = s[2]
		}
	}
	if len(m) < 4+1+6 {
		t.Fatalf("found %d secrets on the host, want at least 11 (4 in secrets.json, the TURN secret, two accounts' salt and keys)", len(m))
	}
	return m
}

// The ports docs/hardening.md lists besides SSH's: what anyone may reach.
var documentedTCP = map[int]bool{80: true, 443: true, 5349: true}

// portScan connects to every TCP port of the target from outside (this
// machine), checks TURN answers on UDP 3478 and the bridge's media port is
// open, and that nothing listens where it should not.
func portScan(t *testing.T, tg *sandbox.Target) {
	open := scanTCP(tg.Address, 300*time.Millisecond, 512)
	var extra []string
	for _, p := range open {
		if p != tg.Port && !documentedTCP[p] {
			extra = append(extra, strconv.Itoa(p))
		}
	}
	if len(extra) > 0 {
		t.Errorf("open TCP ports not documented: %s (all open: %v)", strings.Join(extra, ", "), open)
	}
	for _, p := range []int{tg.Port, 80, 443} {
		if !containsInt(open, p) {
			t.Errorf("TCP %d is not open from outside (open: %v)", p, open)
		}
	}
	t.Logf("open TCP ports from outside: %v", open)

	if err := stunBinding(tg.Address + ":3478"); err != nil {
		t.Errorf("TURN on UDP 3478: %v", err)
	}
	if err := udpNotRefused(tg.Address + ":10000"); err != nil {
		t.Errorf("media on UDP 10000: %v", err)
	}
	if out := mustSSH(t, tg, "ss -Hlun 'sport = :10000'"); !strings.Contains(out, ":10000") {
		t.Error("nothing listens on UDP 10000")
	}
	if out := mustSSH(t, tg, "ufw status"); !regexp.MustCompile(`(?m)^10000/udp\s+ALLOW`).MatchString(out) {
		t.Errorf("UFW does not allow UDP 10000:\n%s", out)
	}
	// Behind UFW too: Prosody's server-to-server and HTTPS ports are
	// closed, its HTTP port is on loopback.
	for _, l := range strings.Split(mustSSH(t, tg, "ss -Hltn"), "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		addr := f[3]
		switch {
		case strings.HasSuffix(addr, ":5269"), strings.HasSuffix(addr, ":5281"):
			t.Errorf("something listens on %s", addr)
		case strings.HasSuffix(addr, ":5280") && addr != "127.0.0.1:5280":
			t.Errorf("Prosody's HTTP listens on %s, want 127.0.0.1 only", addr)
		}
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// scanTCP returns the ports of addr that accept a TCP connection within
// timeout, trying workers at a time.
func scanTCP(addr string, timeout time.Duration, workers int) []int {
	ports := make(chan int)
	var mu sync.Mutex
	var open []int
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: timeout}
			for p := range ports {
				c, err := d.Dial("tcp", net.JoinHostPort(addr, strconv.Itoa(p)))
				if err == nil {
					c.Close()
					mu.Lock()
					open = append(open, p)
					mu.Unlock()
				}
			}
		}()
	}
	for p := 1; p <= 65535; p++ {
		ports <- p
	}
	close(ports)
	wg.Wait()
	sort.Ints(open)
	return open
}

// stunBinding sends a STUN Binding request (RFC 8489) and waits for the
// success response.
func stunBinding(addr string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	req := make([]byte, 20)
	binary.BigEndian.PutUint16(req[0:], 0x0001)
	binary.BigEndian.PutUint32(req[4:], 0x2112A442)
	if _, err := rand.Read(req[8:]); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	for try := 0; try < 3; try++ {
		if _, err := c.Write(req); err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			continue
		}
		if n >= 20 && binary.BigEndian.Uint16(buf) == 0x0101 && string(buf[8:20]) == string(req[8:20]) {
			return nil
		}
	}
	return errors.New("no STUN Binding success response")
}

// udpNotRefused fails when the target answers a datagram to addr with ICMP
// port unreachable (closed, or refused by the firewall).
func udpNotRefused(addr string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	for try := 0; try < 3; try++ {
		if _, err := c.Write([]byte("jitsi-installer e2e probe")); err != nil && errors.Is(err, syscall.ECONNREFUSED) {
			return errors.New("refused")
		}
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := c.Read(make([]byte, 64)); errors.Is(err, syscall.ECONNREFUSED) {
			return errors.New("refused (ICMP port unreachable)")
		}
	}
	return nil
}

// exposureRE is systemd-analyze security's verdict line.
var exposureRE = regexp.MustCompile(`Overall exposure level for (\S+): ([0-9.]+) (\w+)`)

// unitsSandboxed: every systemd service the installer writes rates OK or
// better (below 5.0, where systemd's "MEDIUM" starts), runs as its own user
// and still does its job.
func unitsSandboxed(t *testing.T, tg *sandbox.Target) {
	units := strings.Fields(mustSSH(t, tg, `grep -l 'jitsi-installer' /etc/systemd/system/*.service | xargs -n1 basename`))
	if len(units) == 0 {
		t.Fatal("no systemd service of the installer's found")
	}
	for _, u := range units {
		out := mustSSH(t, tg, "systemd-analyze security --no-pager "+u+" 2>&1")
		m := exposureRE.FindStringSubmatch(out)
		if m == nil {
			t.Errorf("%s: no exposure level in:\n%s", u, lastLines(out, 5))
			continue
		}
		score, _ := strconv.ParseFloat(m[2], 64)
		if score >= 5.0 || !map[string]bool{"OK": true, "SAFE": true, "PERFECT": true}[m[3]] {
			t.Errorf("%s: exposure %s %s, want OK or better (below 5.0):\n%s", u, m[2], m[3], out)
		}
		t.Logf("%s: exposure %s %s", u, m[2], m[3])
		if user := strings.TrimSpace(mustSSH(t, tg, "systemctl show -p User --value "+u)); user == "" || user == "root" {
			t.Errorf("%s runs as %q, want a user of its own", u, user)
		}
		mustSSH(t, tg, "systemctl start "+u)
		if res := strings.TrimSpace(mustSSH(t, tg, "systemctl show -p Result --value "+u)); res != "success" {
			t.Errorf("%s under its sandbox: result %s\n%s", u, res, mustSSH(t, tg, "journalctl -n 20 --no-pager -u "+u))
		}
	}
}

// boshFeatures opens a BOSH session to the XMPP host to through the
// meeting's /http-bind (HTTP Host the meeting's domain, as a browser sends
// it) and returns what Prosody answers: the session with its stream
// features, after one poll when they came late.
func boshFeatures(ctx context.Context, t *testing.T, c *http.Client, tg *sandbox.Target, to string) string {
	t.Helper()
	const ns = `xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'`
	send := func(body string) string {
		req, err := http.NewRequestWithContext(ctx, "POST", "https://"+tg.Address+"/http-bind", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tg.Domain
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	got := send(fmt.Sprintf(`<body rid='1000' to='%s' wait='2' hold='1' ver='1.6' xmpp:version='1.0' %s/>`, to, ns))
	if m := regexp.MustCompile(`sid=['"]([^'"]+)['"]`).FindStringSubmatch(got); m != nil && !strings.Contains(got, "features") {
		got += send(fmt.Sprintf(`<body rid='1001' sid='%s' %s/>`, m[1], ns))
	}
	return got
}

// noDefaults: what a stock install leaves at Debian's defaults.
func noDefaults(t *testing.T, tg *sandbox.Target) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := boshClient(t, tg)
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://"+tg.Address+"/", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	janssenOrigin := strings.TrimRight(tg.JanssenIssuer, "/")
	for h, want := range map[string]string{
		"Server":                    "nginx",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "same-origin",
		"Content-Security-Policy":   "frame-ancestors 'self' " + janssenOrigin,
		"Strict-Transport-Security": "max-age=63072000",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if code := get(ctx, t, c, "https://"+tg.Address+"/prosody-plugins/mod_auth_token.lua", nil); code != http.StatusNotFound {
		t.Errorf("/prosody-plugins/mod_auth_token.lua: %d, want 404", code)
	}
	// Port 80 for any name: a redirect, not Debian's welcome page.
	plain := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ = http.NewRequestWithContext(ctx, "GET", "http://"+tg.Address+"/", nil)
	req.Host = "other.example.com"
	resp, err = plain.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(resp.Header.Get("Location"), "https://") {
		t.Errorf("port 80 for another name: %d %q, want a redirect to https", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Prosody, through the meeting's BOSH: the meeting's host offers the
	// token sign-in, auth.DOMAIN no login at all, "localhost" is no host.
	if got := boshFeatures(ctx, t, c, tg, tg.Domain); !strings.Contains(got, "<mechanism>ANONYMOUS</mechanism>") {
		t.Errorf("BOSH to %s offers no token sign-in: %s", tg.Domain, got)
	}
	if got := boshFeatures(ctx, t, c, tg, "auth."+tg.Domain); strings.Contains(got, "<mechanism>") || !strings.Contains(got, "features") {
		t.Errorf("BOSH to auth.%s: %s, want stream features without a login", tg.Domain, got)
	}
	if got := boshFeatures(ctx, t, c, tg, "localhost"); !strings.Contains(got, "improper-addressing") {
		t.Errorf("BOSH to localhost: %s, want improper-addressing (no such host)", got)
	}
	cfg := mustSSH(t, tg, "prosodyctl check config 2>&1; echo exit=$?")
	if !strings.Contains(cfg, "exit=0") {
		t.Errorf("prosodyctl check config:\n%s", cfg)
	}
}
