//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/e2e/standin"
	"github.com/jitsi-installer/jitsi-installer/internal/janssentest"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// TestKeyServerMode installs on a host whose Jitsi release predates JWKS
// support (the stand-in repository's oldstable/), so Prosody reads Janssen's
// keys from the loopback key server. Janssen then rotates its key and the
// installer is not run again: the host's timer job must publish the new key
// under the exact URL Prosody derives from its kid, within its period (30
// seconds), and drop a retired one.
func TestKeyServerMode(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tg := boot(t, sandbox.Options{Name: "i-keys", Suite: "bookworm", JitsiSuite: standin.OldSuite})
	// Install, verify, and two more runs that change nothing.
	installAndVerify(t, tg)

	p := jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode")
	if p.code != 0 || !warned(p, "no JWKS support") {
		t.Fatalf("plan on the installed host: exit %d, want 0 and the key-server mode warning\n%s", p.code, p.out)
	}
	if out := strings.TrimSpace(mustSSH(t, tg, "test ! -e /usr/share/jitsi-meet/prosody-plugins/token/jwk.lib.lua && grep -c cache_keys_url /etc/prosody/conf.avail/"+tg.Domain+".cfg.lua || true")); out != "0" {
		t.Fatalf("the host has token/jwk.lib.lua, or its Prosody config names cache_keys_url (%s)", out)
	}
	// The key server Prosody uses, from the config it runs with.
	m := regexp.MustCompile(`(?m)^\s*asap_key_server\s*=\s*"([^"]+)"`).FindStringSubmatch(mustSSH(t, tg, "cat /etc/prosody/conf.avail/"+tg.Domain+".cfg.lua"))
	if m == nil {
		t.Fatal("the Prosody config sets no asap_key_server")
	}
	base := strings.TrimRight(m[1], "/")
	// pemURL is where Prosody looks for kid's key.
	pemURL := func(kid string) string {
		sum := sha256.Sum256([]byte(kid))
		return base + "/" + hex.EncodeToString(sum[:]) + ".pem"
	}
	// served asserts that the host's key server has kid's key from the JWKS
	// at pemURL(kid).
	served := func(kid string) {
		t.Helper()
		got := parsePEM(t, mustSSH(t, tg, "curl -fsS "+pemURL(kid)))
		if want := janssenKey(t, tg, kid); !got.Equal(want) {
			t.Errorf("%s serves another key than the JWKS has for %s", pemURL(kid), kid)
		}
	}
	status := func(kid string) string {
		return mustSSH(t, tg, "curl -s -o /dev/null -w '%{http_code}' "+pemURL(kid))
	}

	first := admin(t, tg, "GET", "/keys").Current
	served(first)

	// waitStatus waits up to a minute (two timer periods) for kid's URL
	// to answer code.
	waitStatus := func(kid, code string) {
		t.Helper()
		start := time.Now()
		for got := status(kid); got != code; got = status(kid) {
			if time.Since(start) > time.Minute {
				t.Fatalf("%s still answers %s a minute after the change at Janssen, want %s", pemURL(kid), got, code)
			}
			time.Sleep(time.Second)
		}
		t.Logf("%s answers %s after %v", pemURL(kid), code, time.Since(start).Round(time.Second))
	}

	unit := assets.KeyRefreshUnit
	if got := strings.TrimSpace(mustSSH(t, tg, "systemctl is-enabled "+unit+".timer; systemctl is-active "+unit+".timer; systemctl show -p Triggers --value "+unit+".timer")); got != "enabled\nactive\n"+unit+".service" {
		t.Fatalf("timer: %q, want enabled, active, triggering %s.service", got, unit)
	}
	// The host's timer, not the installer, brings the new key.
	rotated := admin(t, tg, "POST", "/rotate").Current
	waitStatus(rotated, "200")
	served(rotated)
	served(first) // still published by Janssen
	if v := jitsi(t, false, "verify", "--answers", tg.AnswersFile); v.code != 0 {
		t.Fatalf("verify after the rotation: exit %d\n%s", v.code, v.out)
	}

	// The token doctor, pointed at the host's key server through SSH.
	keyServer := forwardURL(t, tg, base)
	good := mint(t, tg, janssentest.MintRequest{Kid: rotated, Claims: meetingClaims(tg)})
	check := func(token string) result {
		return jitsi(t, false, "token", "check", "--answers", tg.AnswersFile, "--key-server", keyServer, token)
	}
	if r := check(good); r.code != 0 || !strings.Contains(r.out, "in the key server at "+keyServer) {
		t.Fatalf("token check of a token signed with the rotated key: exit %d\n%s", r.code, r.out)
	}
	// And the host's Prosody, through nginx as a browser reaches it: the
	// first token with a kid not fetched yet is refused, later ones pass.
	signIn := boshSignIn(ctx, t, tg)
	deadline := time.Now().Add(30 * time.Second)
	for got := signIn(good); got != "success"; got = signIn(good) {
		if time.Now().After(deadline) {
			t.Fatalf("Prosody refuses a token signed with the rotated key: %s", got)
		}
		time.Sleep(time.Second)
	}

	// Janssen retires the first key: the next refresh stops serving it.
	admin(t, tg, "POST", "/retire?kid="+url.QueryEscape(first))
	waitStatus(first, "404")
	served(rotated)
	for _, kid := range []string{first, "no-such-key"} {
		tok := mint(t, tg, janssentest.MintRequest{Kid: kid, Claims: meetingClaims(tg)})
		if r := check(tok); r.code != 1 || !strings.Contains(r.out, "FAIL  kid known") {
			t.Errorf("token check with kid %s: exit %d, want 1 and a kid failure\n%s", kid, r.code, r.out)
		}
	}
	if got := signIn(mint(t, tg, janssentest.MintRequest{Kid: "no-such-key", Claims: meetingClaims(tg)})); got != "failure" {
		t.Errorf("Prosody signs in a token with an unknown kid: %s", got)
	}

	// Nothing of this needed the installer.
	if p := jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode"); p.code != 0 {
		t.Errorf("plan after the rotation: exit %d, pending %v", p.code, p.pending())
	}
}

// warned reports whether a run's JSON events hold a warning containing s.
func warned(r result, s string) bool {
	for _, e := range r.events {
		if e["type"] == "warning" && strings.Contains(fmt.Sprint(e["message"]), s) {
			return true
		}
	}
	return false
}

// admin calls the Janssen stand-in's admin API for keys.
func admin(t *testing.T, tg *sandbox.Target, method, path string) janssentest.KeysResponse {
	t.Helper()
	var keys janssentest.KeysResponse
	json.Unmarshal(call(t, method, tg.JanssenAdmin+path, nil), &keys)
	if keys.Current == "" {
		t.Fatalf("%s %s: no current key", method, path)
	}
	return keys
}

// mint has the Janssen stand-in sign a token.
func mint(t *testing.T, tg *sandbox.Target, req janssentest.MintRequest) string {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(call(t, "POST", tg.JanssenAdmin+"/mint", body))
}

func call(t *testing.T, method, u string, body []byte) []byte {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %v: %s", method, u, resp.Status, err, b)
	}
	return b
}

// meetingClaims are the claims of a token Jitsi accepts on tg.
func meetingClaims(tg *sandbox.Target) map[string]any {
	now := time.Now().Unix()
	return map[string]any{
		"iss": tg.JanssenIssuer, "aud": "jitsi", "sub": tg.Domain, "room": "*",
		"exp": now + 600, "nbf": now - 10,
		"context": map[string]any{"user": map[string]any{"id": "e2e", "name": "Key Rotation"}},
	}
}

// janssenKey is kid's key in the Janssen stand-in's JWKS.
func janssenKey(t *testing.T, tg *sandbox.Target, kid string) *rsa.PublicKey {
	t.Helper()
	c, err := jwks.NewClient(tg.JanssenCA)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(tg.JanssenIssuer + "/jans-auth/restv1/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwks.ParseJWKS(b)
	if err != nil {
		t.Fatal(err)
	}
	k, err := set.PublicKey(kid)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func parsePEM(t *testing.T, text string) *rsa.PublicKey {
	t.Helper()
	blk, _ := pem.Decode([]byte(text))
	if blk == nil || blk.Type != "PUBLIC KEY" {
		t.Fatalf("not a PUBLIC KEY PEM: %q", text)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("a %T, not an RSA key", k)
	}
	return pub
}

// forwardURL makes a local loopback port reach the host and port of the
// http URL u on tg through an SSH local forward, for the rest of the test,
// and returns u with that port's address in its place.
func forwardURL(t *testing.T, tg *sandbox.Target, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" {
		t.Fatalf("%q: want an http URL", u)
	}
	addr := p.Host
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	local := l.Addr().String()
	l.Close()
	var stderr bytes.Buffer
	cmd := exec.Command("ssh", append([]string{"-N", "-o", "ExitOnForwardFailure=yes", "-L", local + ":" + addr}, tg.SSHArgs()...)...)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		if c, err := net.Dial("tcp", local); err == nil {
			c.Close()
			p.Host = local
			return p.String()
		}
		select {
		case <-done:
			t.Fatalf("ssh -L %s:%s exited: %s", local, addr, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh -L %s:%s: not listening after 15s: %s", local, addr, stderr.String())
		}
	}
}

// boshSignIn returns a function that signs in to tg's Prosody with a token
// over BOSH, through nginx as a browser reaches it, and says "success" or
// "failure".
func boshSignIn(ctx context.Context, t *testing.T, tg *sandbox.Target) func(token string) string {
	bosh := boshClient(t, tg)
	return func(token string) string {
		t.Helper()
		got, err := standin.SignIn(ctx, bosh, "https://"+tg.Address+"/http-bind", tg.Domain, token)
		if err != nil {
			t.Fatalf("BOSH sign-in: %v", err)
		}
		return got
	}
}

// boshClient reaches tg's nginx by address, trusting the certificate it got
// from the sandbox's ACME server for its domain.
func boshClient(t *testing.T, tg *sandbox.Target) *http.Client {
	t.Helper()
	pool, err := tg.ACMERoots()
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: tg.Domain},
	}}
}
