package janssentest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// serve runs a server on a loopback TLS listener and returns it with a
// client that trusts only its CA.
func serve(t *testing.T, names ...string) (*Server, *http.Client, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	s, err := New(append(names, "127.0.0.1"), port)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(s.CAPEM()) {
		t.Fatal("CAPEM has no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	t.Cleanup(tr.CloseIdleConnections)
	return s, &http.Client{Transport: tr}, "https://127.0.0.1:" + strconv.Itoa(port)
}

func getJSON(t *testing.T, c *http.Client, u string, v any) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp
}

// verifyWithJWKS checks a token's RS256 signature with the key the JWKS
// publishes under its kid, as Prosody does, and returns header and claims.
func verifyWithJWKS(t *testing.T, c *http.Client, base, token string) (map[string]any, map[string]any) {
	t.Helper()
	var set JWKS
	getJSON(t, c, base+JWKSPath, &set)
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var header, claims map[string]any
	if err := decodePart(parts[0], &header); err != nil {
		t.Fatal(err)
	}
	if err := decodePart(parts[1], &claims); err != nil {
		t.Fatal(err)
	}
	for _, k := range set.Keys {
		if k.Kid != header["kid"] {
			continue
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(jwkKey(t, k), crypto.SHA256, sum[:], sig); err != nil {
			t.Fatalf("signature does not verify with JWKS key %s: %v", k.Kid, err)
		}
		return header, claims
	}
	t.Fatalf("kid %v is not in the JWKS", header["kid"])
	return nil, nil
}

func jwkKey(t *testing.T, k JWK) *rsa.PublicKey {
	t.Helper()
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		t.Fatalf("n: %v", err)
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		t.Fatalf("e: %v", err)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
}

func TestDiscoveryAtBothPaths(t *testing.T) {
	_, c, base := serve(t)
	for _, p := range []string{DiscoveryPath, RootDiscoverPath} {
		var d map[string]any
		resp := getJSON(t, c, base+p, &d)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", p, resp.Status)
		}
		want := map[string]string{
			"issuer":                 base,
			"authorization_endpoint": base + "/jans-auth/restv1/authorize",
			"token_endpoint":         base + "/jans-auth/restv1/token",
			"userinfo_endpoint":      base + "/jans-auth/restv1/userinfo",
			"end_session_endpoint":   base + "/jans-auth/restv1/end_session",
			"jwks_uri":               base + "/jans-auth/restv1/jwks",
			"registration_endpoint":  base + "/jans-auth/restv1/register",
		}
		for k, v := range want {
			if d[k] != v {
				t.Errorf("%s: %s = %v, want %s", p, k, d[k], v)
			}
		}
		for k, v := range map[string]string{
			"id_token_signing_alg_values_supported": "RS256",
			"code_challenge_methods_supported":      "S256",
			"grant_types_supported":                 "client_credentials",
			"response_types_supported":              "code",
		} {
			list, _ := d[k].([]any)
			found := false
			for _, x := range list {
				found = found || x == v
			}
			if !found {
				t.Errorf("%s: %s = %v lacks %s", p, k, d[k], v)
			}
		}
	}
}

func TestJWKSPublishesTheSigningKeys(t *testing.T) {
	s, c, base := serve(t)
	var raw map[string][]map[string]any
	resp := getJSON(t, c, base+JWKSPath, &raw)
	if cc := resp.Header.Get("Cache-Control"); cc != "" {
		t.Errorf("Cache-Control = %q; Janssen's JWKS endpoint sends none", cc)
	}
	// One generation, as a default Janssen publishes: a signing key per
	// algorithm, and encryption keys.
	var got []string
	for _, k := range raw["keys"] {
		got = append(got, fmt.Sprintf("%s/%s/%s", k["kty"], k["use"], k["alg"]))
		kid, _ := k["kid"].(string)
		if !strings.HasSuffix(kid, "_"+k["use"].(string)+"_"+strings.ToLower(k["alg"].(string))) || k["exp"] == nil {
			t.Errorf("key %v: kid or exp not as Janssen's", k)
		}
		if k["kty"] == "EC" && (k["crv"] == nil || k["x"] == nil || k["y"] == nil || k["n"] != nil) {
			t.Errorf("EC key %v", k)
		}
	}
	want := "RSA/sig/RS256 RSA/sig/RS384 RSA/sig/RS512 EC/sig/ES256 EC/sig/ES384 EC/sig/ES512 RSA/enc/RSA-OAEP EC/enc/ECDH-ES"
	if strings.Join(got, " ") != want {
		t.Errorf("JWKS keys %s, want %s", got, want)
	}
	if raw["keys"][0]["kid"] != s.Keys()[0] {
		t.Errorf("Keys() = %v, first JWKS key %v", s.Keys(), raw["keys"][0]["kid"])
	}
	s.SetJWKSCacheControl(ShortJWKSCache)
	resp = getJSON(t, c, base+JWKSPath, &raw)
	if cc := resp.Header.Get("Cache-Control"); cc != ShortJWKSCache {
		t.Errorf("Cache-Control = %q after SetJWKSCacheControl", cc)
	}
	// n and e are the key tokens are signed with.
	tok, err := s.Mint(map[string]any{"sub": "x"}, MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	verifyWithJWKS(t, c, base, tok)
}

func TestMintSignsExactlyTheClaims(t *testing.T) {
	s, c, base := serve(t)
	claims := map[string]any{
		"iss": s.Issuer(), "aud": "jitsi", "sub": "meet.example.com", "room": "*",
		"exp":     "1700000000", // a string: tests need wrong claims too
		"context": map[string]any{"user": map[string]any{"name": "Ada", "moderator": true}},
	}
	tok, err := s.Mint(claims, MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	header, got := verifyWithJWKS(t, c, base, tok)
	if header["alg"] != "RS256" || header["typ"] != "JWT" || header["kid"] != s.Keys()[0] {
		t.Errorf("header %v", header)
	}
	want, _ := json.Marshal(claims)
	have, _ := json.Marshal(got)
	if string(want) != string(have) {
		t.Errorf("claims %s, want %s", have, want)
	}
}

func TestMintOptionsForNegativeTests(t *testing.T) {
	s, _, _ := serve(t)
	tests := []struct {
		name      string
		opt       MintOptions
		header    map[string]any // entries the header must have; nil value = absent
		signature bool
		valid     bool // a correctly signed RS256 token with a known kid
	}{
		{"HS256", MintOptions{Alg: "HS256"}, map[string]any{"alg": "HS256"}, true, false},
		{"none", MintOptions{Alg: "none"}, map[string]any{"alg": "none"}, false, false},
		{"no kid", MintOptions{Header: map[string]any{"kid": nil}}, map[string]any{"kid": nil}, true, false},
		{"unknown kid", MintOptions{Kid: "unknown"}, map[string]any{"kid": "unknown"}, true, false},
		{"extra header", MintOptions{Header: map[string]any{"typ": "at+jwt"}}, map[string]any{"typ": "at+jwt"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := s.Mint(map[string]any{"sub": "x"}, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(tok, ".")
			var header map[string]any
			if err := decodePart(parts[0], &header); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				got, present := header[k]
				if (v == nil && present) || (v != nil && got != v) {
					t.Errorf("header %s = %v, want %v", k, got, v)
				}
			}
			if (parts[2] != "") != tt.signature {
				t.Errorf("signature %q", parts[2])
			}
			if _, err := s.Verify(tok); (err == nil) != tt.valid {
				t.Errorf("Verify: %v, want valid = %v", err, tt.valid)
			}
		})
	}
	if _, err := s.Mint(nil, MintOptions{Alg: "XS256"}); err == nil {
		t.Error("Mint with XS256 did not fail")
	}
}

func TestRotateKeepsTheOldKeyUntilRetired(t *testing.T) {
	s, c, base := serve(t)
	old := s.Keys()[0]
	before, err := s.Mint(map[string]any{"sub": "x"}, MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kid, err := s.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if kid == old || strings.Join(s.Keys(), ",") != old+","+kid {
		t.Fatalf("Keys() = %v after rotating %s to %s", s.Keys(), old, kid)
	}
	verifyWithJWKS(t, c, base, before)
	after, err := s.Mint(map[string]any{"sub": "x"}, MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := verifyWithJWKS(t, c, base, after); h["kid"] != kid {
		t.Errorf("new token signed with %v, want %s", h["kid"], kid)
	}
	// The old key still signs on request.
	if h, _ := verifyWithJWKS(t, c, base, mustMint(t, s, MintOptions{Kid: old})); h["kid"] != old {
		t.Errorf("token for kid %s has kid %v", old, h["kid"])
	}

	if err := s.Retire(old); err != nil {
		t.Fatal(err)
	}
	var set JWKS
	getJSON(t, c, base+JWKSPath, &set)
	if len(set.Keys) != len(keySpecs) || set.Keys[0].Kid != kid {
		t.Errorf("JWKS after retiring %s: %d keys, first %s", old, len(set.Keys), set.Keys[0].Kid)
	}
	if _, err := s.Verify(before); err == nil {
		t.Error("a token of the retired key still verifies")
	}
	if err := s.Retire(kid); err == nil {
		t.Error("retiring the only key did not fail")
	}
	if err := s.Retire("nope"); err == nil {
		t.Error("retiring an unknown key did not fail")
	}
}

func mustMint(t *testing.T, s *Server, opt MintOptions) string {
	t.Helper()
	tok, err := s.Mint(map[string]any{"sub": "x"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call sends req and decodes the JSON answer.
func call(t *testing.T, c *http.Client, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, body := callJSON(t, c, req)
	return resp.StatusCode, body
}

// callJSON makes req and decodes the JSON object it answers with.
func callJSON(t *testing.T, c *http.Client, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

func postToken(t *testing.T, c *http.Client, base string, form url.Values, user, pass string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return call(t, c, req)
}

func TestClientCredentialsGrant(t *testing.T) {
	s, c, base := serve(t)
	s.AddClient("meet-verify", "s3cret/+", map[string]any{
		"aud": "jitsi", "sub": "meet.example.com", "room": "*",
		"context": map[string]any{"user": map[string]any{"name": "verify"}},
	})
	cc := url.Values{"grant_type": {"client_credentials"}}

	code, body := postToken(t, c, base, cc, "meet-verify", "s3cret/+")
	if code != http.StatusOK || body["token_type"] != "Bearer" {
		t.Fatalf("token endpoint: %d %v", code, body)
	}
	_, claims := verifyWithJWKS(t, c, base, body["access_token"].(string))
	if claims["iss"] != s.Issuer() || claims["aud"] != "jitsi" || claims["room"] != "*" || claims["sub"] != "meet.example.com" {
		t.Errorf("claims %v", claims)
	}
	if _, ok := claims["exp"].(float64); !ok {
		t.Errorf("exp %v is not a number", claims["exp"])
	}

	post := url.Values{"grant_type": {"client_credentials"}, "client_id": {"meet-verify"}, "client_secret": {"s3cret/+"}}
	if code, body := postToken(t, c, base, post, "", ""); code != http.StatusOK {
		t.Errorf("client_secret_post: %d %v", code, body)
	}
	if code, body := postToken(t, c, base, cc, "meet-verify", "wrong"); code != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", code, body)
	}
	pw := url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}}
	if code, body := postToken(t, c, base, pw, "meet-verify", "s3cret/+"); code != http.StatusBadRequest || body["error"] != "unsupported_grant_type" {
		t.Errorf("password grant: %d %v", code, body)
	}
}

// send sends body (JSON, or nothing when empty) to u with a bearer token
// (none when empty) and decodes the JSON answer.
func send(t *testing.T, c *http.Client, method, u, bearer, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return call(t, c, req)
}

func register(t *testing.T, c *http.Client, base, bearer, body string) (int, map[string]any) {
	t.Helper()
	return send(t, c, http.MethodPost, base+RegisterPath, bearer, body)
}

func TestDynamicClientRegistration(t *testing.T) {
	s, c, base := serve(t)
	s.SetRegistrationToken("initial-token")
	meta := `{"client_name":"meet.example.com","redirect_uris":["https://meet.example.com/static/sso.html"],` +
		`"grant_types":["authorization_code","client_credentials"],"response_types":["code"],` +
		`"token_endpoint_auth_method":"client_secret_basic","access_token_as_jwt":true}`

	if code, body := register(t, c, base, "", meta); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d %v", code, body)
	}
	if code, body := register(t, c, base, "other", meta); code != http.StatusUnauthorized {
		t.Errorf("with a wrong token: %d %v", code, body)
	}
	if len(s.Registrations()) != 0 {
		t.Fatalf("refused registrations were recorded: %v", s.Registrations())
	}
	code, body := register(t, c, base, "initial-token", meta)
	if code != http.StatusCreated || body["client_id"] == "" || body["client_secret"] == "" || body["client_name"] != "meet.example.com" {
		t.Fatalf("registration: %d %v", code, body)
	}
	regs := s.Registrations()
	if len(regs) != 1 || regs[0].ClientID != body["client_id"] || regs[0].Request["access_token_as_jwt"] != true {
		t.Errorf("Registrations() = %+v", regs)
	}
	// The new client can get a token.
	if code, tok := postToken(t, c, base, url.Values{"grant_type": {"client_credentials"}},
		body["client_id"].(string), body["client_secret"].(string)); code != http.StatusOK {
		t.Errorf("token for the registered client: %d %v", code, tok)
	}

	bad := `{"redirect_uris":["http://meet.example.com/static/sso.html"]}`
	if code, body := register(t, c, base, "initial-token", bad); code != http.StatusBadRequest || body["error"] != "invalid_redirect_uri" {
		t.Errorf("http redirect URI: %d %v", code, body)
	}
	if code, _ := register(t, c, base, "initial-token", "not json"); code != http.StatusBadRequest {
		t.Errorf("bad body: %d", code)
	}
}

func TestTLSTrustsOnlyTheTestCA(t *testing.T) {
	s, c, base := serve(t, "janssen.test")
	if !strings.HasPrefix(s.Issuer(), "https://janssen.test:") {
		t.Errorf("Issuer() = %s, want the first host", s.Issuer())
	}
	// The system roots do not know the test CA.
	_, err := http.Get(base + DiscoveryPath)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("GET with system roots: %v, want an unknown authority", err)
	}
	// CAPEM alone verifies the certificate, for its IP and its DNS name.
	for _, name := range []string{"", "janssen.test"} {
		tr := c.Transport.(*http.Transport).Clone()
		tr.TLSClientConfig.ServerName = name
		resp, err := (&http.Client{Transport: tr}).Get(base + DiscoveryPath)
		if err != nil {
			t.Fatalf("server name %q: %v", name, err)
		}
		resp.Body.Close()
		tr.CloseIdleConnections()
	}
}

func TestAdminAPI(t *testing.T) {
	s, c, base := serve(t)
	admin := httptest.NewServer(s.AdminHandler())
	defer admin.Close()
	post := func(path, body string) (int, string) {
		resp, err := http.Post(admin.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, tok := post("/mint", `{"claims":{"room":"*","sub":"meet.example.com"}}`)
	if code != http.StatusOK {
		t.Fatalf("/mint: %d %s", code, tok)
	}
	if _, claims := verifyWithJWKS(t, c, base, tok); claims["room"] != "*" {
		t.Errorf("minted claims %v", claims)
	}
	old := s.Keys()[0]
	code, out := post("/rotate", "")
	var keys KeysResponse
	json.Unmarshal([]byte(out), &keys)
	if code != http.StatusOK || len(keys.Keys) != 2 || keys.Current == old || keys.Current != s.Keys()[1] {
		t.Fatalf("/rotate: %d %s", code, out)
	}
	if code, out := post("/retire?kid="+old, ""); code != http.StatusOK || strings.Contains(out, old) {
		t.Errorf("/retire: %d %s", code, out)
	}
	if code, _ := post("/retire?kid="+old, ""); code != http.StatusNotFound {
		t.Errorf("/retire of a retired key: %d", code)
	}
	if code, out := post("/mint", `{"claims":{},"alg":"HS256","header":{"kid":null}}`); code != http.StatusOK || strings.Count(out, ".") != 2 {
		t.Errorf("/mint HS256: %d %s", code, out)
	}
	if code, _ := post("/clients", `{"id":"c1","secret":"p1","claims":{"aud":"jitsi"}}`); code != http.StatusNoContent {
		t.Errorf("/clients: %d", code)
	}
	if code, body := postToken(t, c, base, url.Values{"grant_type": {"client_credentials"}}, "c1", "p1"); code != http.StatusOK {
		t.Errorf("token for the client added by the admin API: %d %v", code, body)
	}
	if code, _ := post("/registration-token", "tok"); code != http.StatusNoContent {
		t.Errorf("/registration-token: %d", code)
	}
	if code, _ := register(t, c, base, "", `{"grant_types":["client_credentials"]}`); code != http.StatusUnauthorized {
		t.Errorf("registration without the token set by the admin API: %d", code)
	}
	if code, _ := register(t, c, base, "tok", `{"grant_types":["client_credentials"]}`); code != http.StatusCreated {
		t.Errorf("registration with the token set by the admin API: %d", code)
	}
	resp, err := http.Get(admin.URL + "/registrations")
	if err != nil {
		t.Fatal(err)
	}
	var regs []Registration
	json.NewDecoder(resp.Body).Decode(&regs)
	resp.Body.Close()
	if len(regs) != 1 || regs[0].ClientID == "" {
		t.Errorf("/registrations: %+v", regs)
	}
	if code, _ := post("/jwks-cache-control", ShortJWKSCache); code != http.StatusNoContent {
		t.Errorf("/jwks-cache-control: %d", code)
	}
	var set JWKS
	if cc := getJSON(t, c, base+JWKSPath, &set).Header.Get("Cache-Control"); cc != ShortJWKSCache {
		t.Errorf("Cache-Control %q after /jwks-cache-control", cc)
	}
}

func TestMintEveryAlgorithm(t *testing.T) {
	s, _, _ := serve(t)
	tests := []struct {
		alg, keyAlg string // keyAlg: the JWKS key whose kid the header names
		verifies    bool   // by Verify, which takes what Prosody can
	}{
		{"RS256", "RS256", true},
		{"RS384", "RS384", true},
		{"RS512", "RS512", true},
		{"ES256", "ES256", false},
		{"ES384", "ES384", false},
		{"ES512", "ES512", false},
		{"PS256", "RS256", false},
		{"HS256", "RS256", false},
		{"HS512", "RS256", false},
		{"none", "RS256", false},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			tok := mustMint(t, s, MintOptions{Alg: tt.alg})
			var h map[string]any
			if err := decodePart(strings.Split(tok, ".")[0], &h); err != nil {
				t.Fatal(err)
			}
			want, err := s.SigningKey(tt.keyAlg)
			if err != nil || h["kid"] != want || h["alg"] != tt.alg {
				t.Errorf("header %v, want kid %s (%v)", h, want, err)
			}
			if _, err := s.Verify(tok); (err == nil) != tt.verifies {
				t.Errorf("Verify: %v, want valid = %v", err, tt.verifies)
			}
			if sig := strings.Split(tok, ".")[2]; (sig == "") != (tt.alg == "none") {
				t.Errorf("signature %q", sig)
			}
		})
	}
}

func TestClientManagement(t *testing.T) {
	s, c, base := serve(t)
	s.DropClientFields("access_token_as_jwt")
	code, reg := register(t, c, base, "", `{"redirect_uris":["https://meet.example.com/static/sso.html"],"access_token_as_jwt":true}`)
	id, _ := reg["client_id"].(string)
	tok, _ := reg["registration_access_token"].(string)
	uri, _ := reg["registration_client_uri"].(string)
	if code != http.StatusCreated || tok == "" || uri != base+RegisterPath+"?client_id="+id || reg["access_token_as_jwt"] != nil {
		t.Fatalf("register: %d %v", code, reg)
	}
	if code, _ := send(t, c, "GET", uri, "wrong", ""); code != http.StatusUnauthorized {
		t.Errorf("GET with a wrong token: %d", code)
	}
	if code, got := send(t, c, "GET", uri, tok, ""); code != http.StatusOK || got["client_id"] != id {
		t.Errorf("GET: %d %v", code, got)
	}
	body := `{"client_id":"` + id + `","redirect_uris":["https://meet.example.com/static/sso.html"],"client_name":"renamed"}`
	if code, got := send(t, c, "PUT", uri, tok, body); code != http.StatusOK || got["client_name"] != "renamed" {
		t.Errorf("PUT: %d %v", code, got)
	}
	if regs := s.Registrations(); len(regs) != 1 || regs[0].Updates != 1 || regs[0].Request["client_name"] != "renamed" {
		t.Errorf("Registrations after PUT: %+v", regs)
	}
	if code, _ := send(t, c, "DELETE", uri, tok, ""); code != http.StatusNoContent {
		t.Errorf("DELETE: %d", code)
	}
	if code, _ := send(t, c, "GET", uri, tok, ""); code != http.StatusUnauthorized {
		t.Errorf("GET after DELETE: %d", code)
	}
	s.SetRegistrationEndpoint("http://elsewhere.example/register")
	var d map[string]any
	getJSON(t, c, base+DiscoveryPath, &d)
	if d["registration_endpoint"] != "http://elsewhere.example/register" {
		t.Errorf("registration endpoint %v", d["registration_endpoint"])
	}
}
