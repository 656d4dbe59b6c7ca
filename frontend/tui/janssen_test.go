package tui

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// fakeJanssen serves a discovery document and a JWKS over TLS on loopback.
// issuer is what the document says; "" means the server's own URL. It
// returns the server's URL and a CA bundle that trusts it.
func fakeJanssen(t *testing.T, issuer string, keys []map[string]string) (string, string) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the TLS error case is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	if issuer == "" {
		issuer = srv.URL
	}
	mux.HandleFunc("/jans-auth/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer":                 issuer,
			"authorization_endpoint": srv.URL + "/jans-auth/restv1/authorize",
			"token_endpoint":         srv.URL + "/jans-auth/restv1/token",
			"end_session_endpoint":   srv.URL + "/jans-auth/restv1/end_session",
			"jwks_uri":               srv.URL + "/jans-auth/restv1/jwks",
		})
	})
	mux.HandleFunc("/jans-auth/restv1/jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	ca := filepath.Join(t.TempDir(), "janssen-ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL, ca
}

func rsaJWK(kid, use string) map[string]string {
	n := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("\xc3", 256)))
	return map[string]string{"kty": "RSA", "kid": kid, "use": use, "alg": "RS256", "n": n, "e": "AQAB"}
}

var twoKeys = []map[string]string{rsaJWK("sig-1", "sig"), rsaJWK("sig-2", ""), rsaJWK("enc-1", "enc"),
	{"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": "AA", "y": "AA"}}

func TestCheckIssuer(t *testing.T) {
	good, goodCA := fakeJanssen(t, "", twoKeys)
	slash, slashCA := fakeJanssen(t, "", twoKeys)
	noKeys, noKeysCA := fakeJanssen(t, "", []map[string]string{{"kty": "EC", "kid": "ec-1"}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + ln.Addr().String()
	ln.Close()

	cases := []struct {
		name, issuer, ca string
		kind             string
		keys             int
		says             []string // in the lines the form shows
	}{
		{"reachable", good, goodCA, issuerOK, 2,
			[]string{"✓ " + jwks.DiscoveryURL(good) + ": 2 RSA signing key(s)", "token          " + good + "/jans-auth/restv1/token", "JWKS           " + good + "/jans-auth/restv1/jwks"}},
		{"trailing slash", slash + "/", slashCA, issuerMismatch, 0,
			[]string{"trailing slash", `set the issuer to "` + slash + `"`}},
		{"no RSA keys", noKeys, noKeysCA, issuerNoKeys, 0, []string{"no RSA signing key"}},
		{"TLS error", good, "", issuerTLS, 0, []string{"✗ TLS error", "give the CA bundle"}},
		{"unreachable", closed, "", issuerUnreachable, 0, []string{"✗ unreachable", "connection refused"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := issuerKey{Issuer: c.issuer, Discovery: jwks.DiscoveryURL(c.issuer), CA: c.ca}
			res := checkIssuer(context.Background(), k)
			if res.kind != c.kind || res.keys != c.keys {
				t.Fatalf("kind %q with %d keys (%v), want %q with %d", res.kind, res.keys, res.err, c.kind, c.keys)
			}
			text := strings.Join(res.lines(), "\n")
			for _, s := range c.says {
				if !strings.Contains(text, s) {
					t.Errorf("the form's text lacks %q:\n%s", s, text)
				}
			}
			if (res.blocking() != nil) != (c.kind == issuerMismatch) {
				t.Errorf("blocking() = %v: only a mismatch keeps the operator on the issuer", res.blocking())
			}
		})
	}
}

func TestCheckerRunsEachCheckOnce(t *testing.T) {
	calls := 0
	c := newChecker(context.Background())
	c.run = func(_ context.Context, k issuerKey) issuerCheck { calls++; return issuerCheck{key: k} }
	k := issuerKey{Issuer: "https://login.example.com"}
	if _, done := c.result(k); done {
		t.Fatal("a result before the check ran")
	}
	c.wait(k)
	c.wait(k)
	if _, done := c.result(k); !done || calls != 1 {
		t.Errorf("done %v after %d runs, want one run", done, calls)
	}
}
