//go:build e2e

package oidc_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/oidc"
	"github.com/jitsi-installer/jitsi-installer/internal/janssentest"
	"github.com/jitsi-installer/jitsi-installer/internal/jwttest"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

const domain = "meet.example.com"

var installer string // the binary under test, built once

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithInstaller(m, &installer))
}

func startProvider(t *testing.T) *oidc.Provider {
	t.Helper()
	return startProviderWith(t, oidc.Options{})
}

// startProviderWith starts a provider for the meeting domain with o's web
// client and CORS settings.
func startProviderWith(t *testing.T, o oidc.Options) *oidc.Provider {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	testenv.Tools(t, "apt-get install nodejs npm", "node")
	module, err := oidc.Install(ctx, oidc.CacheDir())
	if err != nil {
		testenv.Skip(t, err.Error())
	}
	o.Module, o.Domain, o.Audience, o.Log = module, domain, "jitsi", testenv.Log(t)
	p, err := oidc.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// idp is one identity provider the tests run against: the Janssen
// stand-in or oidc-provider.
type idp struct {
	name      string
	answers   string // an answers file for it
	initial   string // the initial access token registration needs
	issuer    string
	caFile    string
	discovery string
	clients   func(t *testing.T) []string
	good      string            // a token Jitsi accepts, signed by the provider
	forged    map[string]string // tokens Jitsi must refuse
	// why names, per forged token, what its check report must say.
	why map[string]string
}

func answersFile(t *testing.T, issuer, discovery, ca string) string {
	t.Helper()
	text := fmt.Sprintf(`version: 1
domain: %s
hosts:
  - address: 127.0.0.1
letsencrypt:
  email: ops@example.com
janssen:
  issuer: %s
  discovery_url: %s
  ca_bundle: %q
  client_id: jitsi-meet
  audience: jitsi
`, domain, issuer, discovery, ca)
	f := filepath.Join(t.TempDir(), "answers.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func jitsiClaims(issuer string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": issuer, "aud": "jitsi", "sub": domain, "room": "*",
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"context": map[string]any{"user": map[string]any{"name": "Ada"}},
	}
}

func standIn(t *testing.T) idp {
	s, ca := janssentest.StartLocal(t)
	initial := "stand-in-initial-" + fmt.Sprint(time.Now().UnixNano())
	s.SetRegistrationToken(initial)
	mint := func(o janssentest.MintOptions) string {
		tok, err := s.Mint(jitsiClaims(s.Issuer()), o)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := mint(janssentest.MintOptions{})
	forged := map[string]string{
		"unsigned": mint(janssentest.MintOptions{Alg: "none"}),
		"HS256":    mint(janssentest.MintOptions{Alg: "HS256"}),
		"PS256":    mint(janssentest.MintOptions{Alg: "PS256"}),
		"ES256":    mint(janssentest.MintOptions{Alg: "ES256"}),
		"tampered": jwttest.Tamper(t, good, "board-meeting"),
		"at+jwt":   mint(janssentest.MintOptions{Header: map[string]any{"typ": "at+jwt"}}),
	}
	return idp{
		name: "janssen stand-in", initial: initial, issuer: s.Issuer(), caFile: ca,
		discovery: s.Issuer() + janssentest.DiscoveryPath,
		answers:   answersFile(t, s.Issuer(), s.Issuer()+janssentest.DiscoveryPath, ca),
		clients: func(t *testing.T) []string {
			var ids []string
			for _, r := range s.Registrations() {
				ids = append(ids, r.ClientID)
			}
			return ids
		},
		good: good, forged: forged,
		why: map[string]string{"ES256": "names an EC key", "at+jwt": `"typ": "at+jwt"`, "tampered": "does not verify"},
	}
}

func provider(t *testing.T) idp {
	p := startProvider(t)
	ctx := context.Background()
	token := func(resource string) string {
		tok, err := p.Token(ctx, resource)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := token(p.Resource)
	forged := map[string]string{
		"ES256, signed by the provider":  token(oidc.ResourceES256),
		"PS256, signed by the provider":  token(oidc.ResourcePS256),
		"at+jwt, signed by the provider": token(oidc.ResourceRFC9068),
		"RS384 where RS256 is expected":  token(oidc.ResourceRS384),
		"unsigned":                       unsigned(t, good),
		"HS256 keyed with the RSA key":   hmacWithPublicKey(t, p, good),
		"tampered":                       jwttest.Tamper(t, good, "board-meeting"),
	}
	return idp{
		name: "oidc-provider", initial: p.InitialAccessToken, issuer: p.Issuer, caFile: p.CAFile,
		discovery: p.Discovery(),
		answers:   answersFile(t, p.Issuer, p.Discovery(), p.CAFile),
		clients: func(t *testing.T) []string {
			ids, err := p.Clients(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return ids
		},
		good: good, forged: forged,
		why: map[string]string{
			"ES256, signed by the provider":  "names an EC key",
			"PS256, signed by the provider":  "alg is PS256",
			"at+jwt, signed by the provider": `"typ": "at+jwt"`,
			"RS384 where RS256 is expected":  "alg is RS384, Prosody expects RS256",
			"tampered":                       "does not verify",
		},
	}
}

// unsigned is the token with alg none and no signature.
func unsigned(t *testing.T, tok string) string {
	h, c, err := jwttest.Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	h["alg"] = "none"
	return jwttest.Encode(h, c) + "."
}

// discover fetches p's discovery document with a client that trusts p's
// CA.
func discover(t *testing.T, p *oidc.Provider) (*http.Client, *jwks.Discovery) {
	t.Helper()
	c, err := jwks.NewClient(p.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	d, err := jwks.FetchDiscovery(context.Background(), c, p.Discovery(), p.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	return c, d
}

// hmacWithPublicKey is the algorithm-confusion forgery: HS256 keyed with
// the PEM of the provider's public RSA key the token names.
func hmacWithPublicKey(t *testing.T, p *oidc.Provider, tok string) string {
	c, d := discover(t, p)
	set, err := jwks.FetchJWKS(context.Background(), c, d.JWKSURI)
	if err != nil {
		t.Fatal(err)
	}
	h, claims, err := jwttest.Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := set.PublicKey(h["kid"].(string))
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := jwks.PEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	h["alg"] = "HS256"
	return jwttest.HS256(pemKey, h, claims)
}

// run runs the installer with stdin and returns its exit code, standard
// output and standard error.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, installer, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

func notIn(t *testing.T, secret, output string) {
	t.Helper()
	if secret == "" {
		return
	}
	if strings.Contains(output, secret) {
		t.Errorf("a secret appears in the output:\n%s", output)
	}
	if p := strings.Split(secret, "."); len(p) == 3 && p[2] != "" && strings.Contains(output, p[2]) {
		t.Errorf("a token's signature appears in the output:\n%s", output)
	}
}

func providers(t *testing.T) []idp {
	return []idp{standIn(t), provider(t)}
}

// TestTokenDoctorRefusesForgeries: the doctor accepts what the provider
// signs for Jitsi, and refuses every forged, unsigned, HMAC or otherwise
// unverifiable token whatever the flags.
func TestTokenDoctorRefusesForgeries(t *testing.T) {
	for _, p := range providers(t) {
		t.Run(p.name, func(t *testing.T) {
			code, out, errOut := run(t, p.good+"\n", "token", "check", "-a", p.answers, "-")
			if code != 0 || !strings.Contains(out, "pass  signature: RS256, verified") || !strings.Contains(out, "Jitsi would accept this token.") {
				t.Fatalf("the provider's token: exit %d\n%s%s", code, out, errOut)
			}
			notIn(t, p.good, out+errOut)
			for name, tok := range p.forged {
				for _, alg := range []string{"", "RS256", "RS384", "RS512", "none", "HS256", "PS256", "ES256"} {
					args := []string{"token", "check", "-a", p.answers, "-"}
					if alg != "" {
						args = append(args, "--alg", alg)
					}
					code, out, errOut := run(t, tok+"\n", args...)
					want := 1
					if jwks.CheckAlg(alg) != nil && alg != "" {
						want = 3
					}
					if code != want || strings.Contains(out, "Jitsi would accept") {
						t.Errorf("%s, --alg %q: exit %d, want %d\n%s%s", name, alg, code, want, out, errOut)
					}
					if why := p.why[name]; why != "" && alg == "" && !strings.Contains(out, why) {
						t.Errorf("%s: the report lacks %q:\n%s", name, why, out)
					}
					notIn(t, tok, out+errOut)
				}
			}
		})
	}
}

// TestRegisterTwiceLeavesOneClient: the second --register updates the
// client the first made (RFC 7592), --show prints it, and no credential is
// ever printed.
func TestRegisterTwiceLeavesOneClient(t *testing.T) {
	for _, p := range providers(t) {
		t.Run(p.name, func(t *testing.T) {
			code, out, errOut := run(t, p.initial+"\n", "janssen", "client", "-a", p.answers, "--register", "--initial-token", "-")
			if code != 0 {
				t.Fatalf("register: exit %d\n%s%s", code, out, errOut)
			}
			notIn(t, p.initial, out+errOut)
			ids := p.clients(t)
			if len(ids) != 1 {
				t.Fatalf("clients after one --register: %v", ids)
			}
			regFile := filepath.Join(filepath.Dir(p.answers), "answers.janssen-client.json")
			var kept struct {
				ClientID string `json:"client_id"`
				Token    string `json:"registration_access_token"`
			}
			b, err := os.ReadFile(regFile)
			if err != nil || json.Unmarshal(b, &kept) != nil || kept.ClientID != ids[0] || kept.Token == "" {
				t.Fatalf("kept registration: %v %s", err, b)
			}
			if b, _ := os.ReadFile(p.answers); !strings.Contains(string(b), "client_id: "+ids[0]) {
				t.Errorf("answers file lacks the client id:\n%s", b)
			}
			notIn(t, kept.Token, out+errOut)
			// oidc-provider does not know Janssen's access_token_as_jwt
			// (its JWT access tokens come from resource indicators): say so.
			if p.name == "oidc-provider" && !strings.Contains(errOut, "did not keep access_token_as_jwt: dropped") {
				t.Errorf("no warning about the dropped access_token_as_jwt:\n%s", errOut)
			}

			code, out, errOut = run(t, "", "janssen", "client", "-a", p.answers, "--register")
			if code != 0 || !strings.Contains(out, "Updated client "+ids[0]) {
				t.Fatalf("second register: exit %d\n%s%s", code, out, errOut)
			}
			if again := p.clients(t); len(again) != 1 || again[0] != ids[0] {
				t.Fatalf("clients after two --register: %v, want [%s]", again, ids[0])
			}
			notIn(t, kept.Token, out+errOut)
			b, _ = os.ReadFile(regFile)
			json.Unmarshal(b, &kept)

			code, out, errOut = run(t, "", "janssen", "client", "-a", p.answers, "--show")
			if code != 0 || !strings.Contains(out, ids[0]) || !strings.Contains(out, "https://"+domain+"/static/logout.html") ||
				strings.Contains(out, "registration_access_token") || strings.Contains(out, `"client_secret"`) {
				t.Fatalf("--show: exit %d\n%s%s", code, out, errOut)
			}
			notIn(t, kept.Token, out+errOut)
		})
	}
}

// TestCredentialsStayHome: an http registration endpoint, one on another
// server, or a provider of another issuer never receives a credential.
func TestCredentialsStayHome(t *testing.T) {
	for _, p := range providers(t) {
		t.Run(p.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			record := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = append(got, r.Method+" "+r.URL.String())
				mu.Unlock()
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"client_id":"stolen","registration_access_token":"x","registration_client_uri":"https://evil/"}`)
			})
			plain := httptest.NewServer(record)
			defer plain.Close()
			foreign := httptest.NewTLSServer(record)
			defer foreign.Close()

			// A discovery document like the provider's, naming another
			// registration endpoint: served over https by a server this
			// machine trusts.
			c, err := jwks.NewClient(p.caFile)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Get(p.discovery)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			var endpoint string
			fake := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				d := map[string]any{}
				for k, v := range doc {
					d[k] = v
				}
				d["registration_endpoint"] = endpoint
				json.NewEncoder(w).Encode(d)
			}))
			defer fake.Close()
			bundle := filepath.Join(t.TempDir(), "bundle.pem")
			ca, _ := os.ReadFile(p.caFile)
			ca = append(ca, pemCert(fake.Certificate())...)
			if err := os.WriteFile(bundle, ca, 0o644); err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name, endpoint, answers, want string
			}{
				{"http registration endpoint", plain.URL + "/register", answersFile(t, p.issuer, fake.URL+"/disc", bundle), " is not https"},
				{"registration endpoint on another server", foreign.URL + "/register", answersFile(t, p.issuer, fake.URL+"/disc", bundle), " is on https://"},
				{"discovery of another issuer", "", answersFile(t, "https://login.example.com", p.discovery, p.caFile), "refusing to register: the discovery document at " + p.discovery},
			}
			for _, tc := range cases {
				endpoint = tc.endpoint
				before, _ := os.ReadFile(tc.answers)
				code, out, errOut := run(t, p.initial+"\n", "janssen", "client", "-a", tc.answers, "--register", "--initial-token", "-")
				if code != 1 || !strings.Contains(errOut, tc.want) || (tc.endpoint != "" && !strings.Contains(errOut, tc.endpoint)) {
					t.Errorf("%s: exit %d, want 1 naming %q\n%s%s", tc.name, code, tc.want, out, errOut)
				}
				notIn(t, p.initial, out+errOut)
				if after, _ := os.ReadFile(tc.answers); string(after) != string(before) {
					t.Errorf("%s: the answers file changed", tc.name)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 0 {
				t.Errorf("a foreign endpoint was contacted: %v", got)
			}
			if ids := p.clients(t); len(ids) != 0 {
				t.Errorf("clients registered: %v", ids)
			}
		})
	}
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
