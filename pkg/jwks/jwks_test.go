package jwks_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	jans "github.com/jitsi-installer/jitsi-installer/internal/janssentest"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

const domain = "meet.example.com"

// now is the fixed time of every check: tokens are minted around it.
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// standin serves the Janssen stand-in on a loopback port and returns it
// with a client that trusts its CA.
func standin(t *testing.T) (*jans.Server, *http.Client) {
	t.Helper()
	s, ca := jans.StartLocal(t)
	c, err := jwks.NewClient(ca)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// goodClaims are what Janssen with the installer's UPDATE_TOKEN script issues.
func goodClaims(issuer string) map[string]any {
	return map[string]any{
		"iss": issuer, "aud": "jitsi", "sub": domain, "room": "*",
		"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"context": map[string]any{"user": map[string]any{
			"id": "inum-1", "name": "Ada Lovelace", "email": "ada@example.com", "moderator": true,
		}},
	}
}

func options(s *jans.Server, c *http.Client) jwks.Options {
	return jwks.Options{
		Issuers:   []string{s.Issuer(), "jitsi"},
		Audiences: []string{"jitsi"},
		Domain:    domain,
		Keys:      &jwks.RemoteJWKS{URL: s.Issuer() + jans.JWKSPath, Client: c},
		Now:       func() time.Time { return now },
	}
}

func mint(t *testing.T, s *jans.Server, claims map[string]any, o jans.MintOptions) string {
	t.Helper()
	tok, err := s.Mint(claims, o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// only asserts that exactly the named check failed, with want in its
// detail or fix, and that nothing else did.
func only(t *testing.T, rep jwks.Report, name, want string) {
	t.Helper()
	if rep.Accepted() {
		t.Fatalf("accepted; want %q to fail:\n%s", name, dump(rep))
	}
	failed := rep.Failed()
	if len(failed) != 1 || failed[0].Name != name {
		t.Fatalf("want only %q to fail:\n%s", name, dump(rep))
	}
	if f := failed[0]; !strings.Contains(f.Detail+" fix: "+f.Fix, want) {
		t.Errorf("%q: %q / fix %q lacks %q", name, f.Detail, f.Fix, want)
	}
	if failed[0].Fix == "" {
		t.Errorf("%q failed without a fix", name)
	}
}

func dump(rep jwks.Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		b.WriteString(string(c.Status) + "  " + c.Name + ": " + c.Detail + " | " + c.Fix + "\n")
	}
	return b.String()
}

func TestGoodTokenPassesEveryCheck(t *testing.T) {
	s, c := standin(t)
	rep := jwks.Check(mint(t, s, goodClaims(s.Issuer()), jans.MintOptions{}), options(s, c))
	want := []string{"kid present", "kid known", "typ", "alg", "signature", "exp", "nbf", "iss", "aud", "sub", "room", "context.user"}
	if len(rep.Checks) != len(want) {
		t.Fatalf("%d checks, want %d:\n%s", len(rep.Checks), len(want), dump(rep))
	}
	for i, r := range rep.Checks {
		if r.Name != want[i] || r.Status != jwks.Pass {
			t.Errorf("check %d: %s %s, want pass %s", i, r.Status, r.Name, want[i])
		}
	}
	if !rep.Accepted() {
		t.Errorf("not accepted:\n%s", dump(rep))
	}
}

func TestEachCheckFails(t *testing.T) {
	s, c := standin(t)
	good := mint(t, s, goodClaims(s.Issuer()), jans.MintOptions{})
	other := goodClaims(s.Issuer())
	other["room"] = "another"
	parts, otherParts := strings.Split(good, "."), strings.Split(mint(t, s, other, jans.MintOptions{}), ".")
	forged := parts[0] + "." + parts[1] + "." + otherParts[2]

	set := func(k string, v any) func(map[string]any) {
		return func(m map[string]any) {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
	}
	cases := []struct {
		name   string
		claims func(map[string]any)
		mint   jans.MintOptions
		token  string // instead of minting
		check  string
		want   string
	}{
		{name: "wrong issuer", claims: set("iss", "https://login.example.org"), check: "iss", want: "not among the accepted issuers"},
		{name: "issuer with trailing slash", claims: set("iss", s.Issuer()+"/"), check: "iss", want: "only in the trailing slash"},
		{name: "no iss", claims: set("iss", nil), check: "iss", want: "'iss' claim is missing"},
		{name: "missing kid", mint: jans.MintOptions{Header: map[string]any{"kid": nil}}, check: "kid present", want: "no kid"},
		{name: "unknown kid", mint: jans.MintOptions{Kid: "retired-key"}, check: "kid known", want: `kid "retired-key"`},
		{name: "HS256", mint: jans.MintOptions{Alg: "HS256"}, check: "alg", want: "HMAC"},
		{name: "unsigned", mint: jans.MintOptions{Alg: "none"}, check: "alg", want: "unsigned"},
		{name: "typ jwt", mint: jans.MintOptions{Header: map[string]any{"typ": "jwt"}}, check: "typ", want: `"JWT" exactly`},
		{name: "bad signature", token: forged, check: "signature", want: "does not verify"},
		{name: "expired", claims: set("exp", now.Add(-10*time.Minute).Unix()), check: "exp", want: "expired 10m0s ago"},
		{name: "exp string", claims: set("exp", "1780315200"), check: "exp", want: "exp is a string"},
		{name: "exp object", claims: set("exp", map[string]any{}), check: "exp", want: "not a number"},
		{name: "nbf in the future", claims: set("nbf", now.Add(5*time.Minute).Unix()), check: "nbf", want: "5m0s from now"},
		{name: "nbf string", claims: set("nbf", "0"), check: "nbf", want: "Prosody requires a number"},
		{name: "wrong sub", claims: set("sub", "inum-1"), check: "sub", want: `make the UPDATE_TOKEN script set sub to "meet.example.com"`},
		{name: "no sub", claims: set("sub", nil), check: "sub", want: "'sub' claim is missing"},
		{name: "no room", claims: set("room", nil), check: "room", want: "'room' claim is missing"},
		{name: "room null", claims: set("room", json.RawMessage("null")), check: "room", want: "room is null: Prosody signs the token in"},
		{name: "room list", claims: set("room", []string{"a"}), check: "room", want: "no room name matches it"},
		{name: "typ at+jwt", mint: jans.MintOptions{Header: map[string]any{"typ": "at+jwt"}}, check: "typ", want: "ID token"},
		{name: "wrong audience", claims: set("aud", "jitsi-meet"), check: "aud", want: "not among the accepted audiences"},
		{name: "audience list", claims: set("aud", []string{"jitsi"}), check: "aud", want: "Prosody compares aud as one string"},
		{name: "no audience", claims: set("aud", nil), check: "aud", want: "'aud' claim is missing"},
		{name: "context.user name number", claims: set("context", map[string]any{"user": map[string]any{"name": 42}}), check: "context.user", want: "name is the number 42"},
		{name: "context.user moderator yes", claims: set("context", map[string]any{"user": map[string]any{"moderator": "yes"}}), check: "context.user", want: `moderator is "yes"`},
		{name: "context.user list", claims: set("context", map[string]any{"user": []string{"x"}}), check: "context.user", want: "must be a JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.token
			if tok == "" {
				claims := goodClaims(s.Issuer())
				if tc.claims != nil {
					tc.claims(claims)
				}
				tok = mint(t, s, claims, tc.mint)
			}
			only(t, jwks.Check(tok, options(s, c)), tc.check, tc.want)
		})
	}
}

func TestOptionsRelaxChecks(t *testing.T) {
	s, c := standin(t)
	claims := goodClaims(s.Issuer())
	delete(claims, "room")
	claims["sub"] = "someone"
	claims["aud"] = "anything"
	claims["exp"] = now.Add(30 * time.Second).Unix()
	o := options(s, c)
	o.RoomOptional, o.Domain, o.Audiences = true, "", []string{"*"}
	tok := mint(t, s, claims, jans.MintOptions{})
	if rep := jwks.Check(tok, o); !rep.Accepted() {
		t.Errorf("with room optional, no domain verification and any audience:\n%s", dump(rep))
	}
	// Without domain verification sub is still required.
	delete(claims, "sub")
	only(t, jwks.Check(mint(t, s, claims, jans.MintOptions{}), o), "sub", "Prosody requires it even without domain verification")
	claims["sub"] = "someone"

	// The host's clock runs a minute ahead: the token has expired there.
	o.Skew = time.Minute
	only(t, jwks.Check(tok, o), "exp", "expired 30s ago (2026-06-01T12:00:30Z, by the host's clock, 1m0s ahead of this machine's)")
}

func TestMalformedToken(t *testing.T) {
	for _, tok := range []string{"", "abc", "a.b", "!!!.e30.sig", "e30.bm90IGpzb24.sig"} {
		rep := jwks.Check(tok, jwks.Options{})
		if rep.Accepted() || len(rep.Checks) != 1 || rep.Checks[0].Name != "format" {
			t.Errorf("%q: %s", tok, dump(rep))
		}
		if _, err := jwks.Parse(tok); err == nil {
			t.Errorf("Parse(%q) succeeded", tok)
		}
	}
}

func TestRotatedKey(t *testing.T) {
	s, c := standin(t)
	old := s.Keys()[0]
	oldTok := mint(t, s, goodClaims(s.Issuer()), jans.MintOptions{})
	kid, err := s.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	newTok := mint(t, s, goodClaims(s.Issuer()), jans.MintOptions{})
	if tk, _ := jwks.Parse(newTok); tk.Header["kid"] != kid {
		t.Fatalf("the stand-in signed with %v, not the new key %s", tk.Header["kid"], kid)
	}
	// A JWKS fetched after the rotation serves both keys.
	for name, tok := range map[string]string{"new key": newTok, "old key": oldTok} {
		if rep := jwks.Check(tok, options(s, c)); !rep.Accepted() {
			t.Errorf("%s:\n%s", name, dump(rep))
		}
	}
	// Once Janssen retires the old key, its tokens name an unknown kid.
	if err := s.Retire(old); err != nil {
		t.Fatal(err)
	}
	only(t, jwks.Check(oldTok, options(s, c)), "kid known", "get a new token")
}

func TestKeyServer(t *testing.T) {
	s, c := standin(t)
	if _, err := s.Rotate(); err != nil {
		t.Fatal(err)
	}
	// Write every key as the host's refresh timer does.
	set, err := jwks.FetchJWKS(context.Background(), c, s.Issuer()+jans.JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Keys()); n != 2 {
		t.Fatalf("%d generations after a rotation, want 2", n)
	}
	dir := t.TempDir()
	for _, k := range set.Keys {
		pem, err := jwks.PEM(k.Public)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, jwks.KeyFileName(k.Kid)), pem, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var asked []string
	files := http.FileServer(http.Dir(dir))
	ks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	defer ks.Close()

	o := options(s, c)
	o.Keys = &jwks.KeyServer{Base: ks.URL + "/", Client: ks.Client(), Refresh: "systemctl start refresh.service"}
	tok := mint(t, s, goodClaims(s.Issuer()), jans.MintOptions{})
	if rep := jwks.Check(tok, o); !rep.Accepted() {
		t.Fatalf("key server:\n%s", dump(rep))
	}
	kid := s.Keys()[1]
	mu.Lock()
	if want := "/" + jwks.KeyFileName(kid); len(asked) != 1 || asked[0] != want {
		t.Errorf("key server asked for %v, want [%s]", asked, want)
	}
	mu.Unlock()
	// A kid the key server lacks: Prosody's request gets 404.
	only(t, jwks.Check(mint(t, s, goodClaims(s.Issuer()), jans.MintOptions{Kid: "fresh-kid"}), o),
		"kid known", "systemctl start refresh.service")
}

func TestNewClientCABundle(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{notPEM, filepath.Join(dir, "missing.pem")} {
		if _, err := jwks.NewClient(f); err == nil {
			t.Errorf("NewClient(%s) succeeded", f)
		}
	}
}

func TestUnreachableKeys(t *testing.T) {
	s, c := standin(t)
	o := options(s, c)
	o.Keys = &jwks.RemoteJWKS{URL: s.Issuer() + "/no/such/jwks", Client: c}
	only(t, jwks.Check(mint(t, s, goodClaims(s.Issuer()), jans.MintOptions{}), o), "kid known", "404")
}

func TestDiscovery(t *testing.T) {
	s, c := standin(t)
	ctx := context.Background()
	url := s.Issuer() + jans.DiscoveryPath
	d, err := jwks.FetchDiscovery(ctx, c, url, s.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	if d.JWKSURI != s.Issuer()+jans.JWKSPath || d.RegistrationEndpoint != s.Issuer()+jans.RegisterPath {
		t.Errorf("discovery: %+v", d)
	}
	cases := []struct {
		configured string
		slash      bool
		want       string
	}{
		{s.Issuer() + "/", true, "differ only in the trailing slash"},
		{"https://login.example.com", false, "not the configured"},
	}
	for _, tc := range cases {
		d, err := jwks.FetchDiscovery(ctx, c, url, tc.configured)
		var m *jwks.IssuerMismatchError
		if !errors.As(err, &m) || d == nil {
			t.Fatalf("%s: %v", tc.configured, err)
		}
		if m.TrailingSlash() != tc.slash || !strings.Contains(err.Error(), tc.want) || !strings.Contains(m.Fix(), s.Issuer()) {
			t.Errorf("%s: %v", tc.configured, err)
		}
	}
	// Without the stand-in's CA the certificate is not trusted.
	plain, err := jwks.NewClient("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwks.FetchDiscovery(ctx, plain, url, s.Issuer()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: %v", err)
	}
}

// TestNeverAcceptsForgedTokens: no option makes an unsigned, HMAC, PSS,
// EC, tampered or foreign-signed token acceptable, and no fix suggests an
// algorithm Prosody cannot verify with Janssen's keys.
func TestNeverAcceptsForgedTokens(t *testing.T) {
	s, c := standin(t)
	other, _ := standin(t)
	claims := goodClaims(s.Issuer())
	good := mint(t, s, claims, jans.MintOptions{})
	p := strings.Split(good, ".")
	tampered := map[string]any{}
	for k, v := range claims {
		tampered[k] = v
	}
	tampered["room"] = "secret-room"
	tp := strings.Split(mint(t, s, tampered, jans.MintOptions{}), ".")
	rs256 := s.Keys()[0]
	forged := map[string]string{
		"unsigned":                      mint(t, s, claims, jans.MintOptions{Alg: "none"}),
		"unsigned, signature kept":      strings.Join(strings.Split(mint(t, s, claims, jans.MintOptions{Alg: "none"}), ".")[:2], ".") + "." + p[2],
		"NONE":                          mint(t, s, claims, jans.MintOptions{Alg: "none", Header: map[string]any{"alg": "NONE"}}),
		"no alg":                        mint(t, s, claims, jans.MintOptions{Header: map[string]any{"alg": nil}}),
		"HS256 with the public key":     mint(t, s, claims, jans.MintOptions{Alg: "HS256"}),
		"HS384 with the public key":     mint(t, s, claims, jans.MintOptions{Alg: "HS384"}),
		"HS512 with the public key":     mint(t, s, claims, jans.MintOptions{Alg: "HS512"}),
		"PS256":                         mint(t, s, claims, jans.MintOptions{Alg: "PS256"}),
		"ES256":                         mint(t, s, claims, jans.MintOptions{Alg: "ES256"}),
		"ES256 naming the RSA kid":      mint(t, s, claims, jans.MintOptions{Alg: "ES256", Header: map[string]any{"kid": rs256}}),
		"claims changed":                p[0] + "." + tp[1] + "." + p[2],
		"signature of other claims":     p[0] + "." + p[1] + "." + tp[2],
		"another key, same kid":         mint(t, other, claims, jans.MintOptions{Kid: rs256}),
		"RS384 header, RS256 signature": mint(t, s, claims, jans.MintOptions{Header: map[string]any{"alg": "RS384"}}),
		"empty signature":               p[0] + "." + p[1] + ".",
	}
	algs := []string{"", "RS256", "RS384", "RS512", "none", "HS256", "HS512", "PS256", "ES256", "rs256"}
	fixAlg := regexp.MustCompile(`(?:signature_algorithm to|sign with|set to|alg to) ([A-Za-z0-9]+)`)
	for name, tok := range forged {
		for _, alg := range algs {
			for _, keys := range []bool{true, false} {
				o := options(s, c)
				o.Alg = alg
				if !keys {
					o.Keys = nil
				}
				rep := jwks.Check(tok, o)
				if rep.Accepted() {
					t.Errorf("%s, alg %q, keys %t: accepted\n%s", name, alg, keys, dump(rep))
				}
				for _, f := range rep.Failed() {
					for _, m := range fixAlg.FindAllStringSubmatch(f.Fix, -1) {
						if jwks.CheckAlg(m[1]) != nil {
							t.Errorf("%s, alg %q: fix suggests %s: %s", name, alg, m[1], f.Fix)
						}
					}
				}
			}
		}
	}
	// The controls: the same checks accept what Janssen signs with the
	// configured RSA algorithm.
	for _, alg := range jwks.Algs {
		o := options(s, c)
		o.Alg = alg
		if rep := jwks.Check(mint(t, s, claims, jans.MintOptions{Alg: alg}), o); !rep.Accepted() {
			t.Errorf("%s token, alg %s: refused\n%s", alg, alg, dump(rep))
		}
	}
	o := options(s, c)
	o.Keys = nil
	if rep := jwks.Check(good, o); rep.Accepted() {
		t.Errorf("accepted without keys to verify the signature:\n%s", dump(rep))
	}
}

func TestRoomNumberIsAccepted(t *testing.T) {
	s, c := standin(t)
	claims := goodClaims(s.Issuer())
	claims["room"] = 5
	rep := jwks.Check(mint(t, s, claims, jans.MintOptions{}), options(s, c))
	if !rep.Accepted() {
		t.Fatalf("room 5 refused:\n%s", dump(rep))
	}
	for _, r := range rep.Checks {
		if r.Name == "room" && !strings.Contains(r.Detail, "the number 5") {
			t.Errorf("room: %s", r.Detail)
		}
	}
}

// TestKidKnownSaysWhenProsodyRereads: Janssen's JWKS has no Cache-Control,
// and Prosody then learns of a new key only after 6 hours.
func TestKidKnownSaysWhenProsodyRereads(t *testing.T) {
	s, c := standin(t)
	tok := mint(t, s, goodClaims(s.Issuer()), jans.MintOptions{})
	for _, tc := range []struct{ cc, want string }{
		{"", "only every 6 h"},
		{jans.ShortJWKSCache, "after 60 s"},
	} {
		s.SetJWKSCacheControl(tc.cc)
		rep := jwks.Check(tok, options(s, c))
		if !rep.Accepted() || !strings.Contains(rep.Checks[1].Detail, tc.want) {
			t.Errorf("Cache-Control %q: %s", tc.cc, dump(rep))
		}
	}
}
