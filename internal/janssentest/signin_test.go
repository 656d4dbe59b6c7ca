package janssentest

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

const (
	webRedirect = "https://meet.example.test/static/sso.html"
	webLogout   = "https://meet.example.test/static/logout.html"
	webOrigin   = "https://meet.example.test"
	verifier    = "a-verifier-of-forty-three-characters-or-more-0123456789"
)

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// signInServer serves a stand-in with the web client and the demo user, and
// a browser-like client that keeps cookies and stops at the meeting server.
func signInServer(t *testing.T) (*Server, *http.Client, string) {
	s, c, base := serve(t)
	s.AddWebClient("web", map[string]any{
		"redirect_uris":              []any{webRedirect},
		"post_logout_redirect_uris":  []any{webLogout},
		"token_endpoint_auth_method": "none",
	}, map[string]any{"aud": "jitsi", "sub": "meet.example.test", "room": "*"})
	s.AddUser(User{Username: "demo", Password: "pw", Inum: "u-1", Name: "Demo", Email: "demo@example.test"})
	jar, _ := cookiejar.New(nil)
	c.Jar = jar
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "meet.example.test" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return s, c, base
}

func authorizeURL(base string, v url.Values) string {
	q := url.Values{
		"client_id": {"web"}, "response_type": {"code"}, "scope": {"openid"},
		"redirect_uri": {webRedirect}, "state": {`{"room":"r1"}`}, "nonce": {"n-1"},
		"code_challenge_method": {"S256"}, "code_challenge": {challenge(verifier)},
	}
	for k, vals := range v {
		q[k] = vals
	}
	return base + AuthorizePath + "?" + q.Encode()
}

// follow GETs u and follows redirects; it returns the last answer's status,
// Location (at the meeting server) and body.
func follow(t *testing.T, c *http.Client, method, u string, form url.Values) (int, *url.URL, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = c.PostForm(u, form)
	} else {
		resp, err = c.Get(u)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	loc, _ := resp.Location()
	return resp.StatusCode, loc, string(b)
}

// signIn runs the browser's side up to the code at sso.html.
func signIn(t *testing.T, c *http.Client, base string, v url.Values) *url.URL {
	t.Helper()
	code, _, page := follow(t, c, http.MethodGet, authorizeURL(base, v), nil)
	if code != http.StatusOK || !strings.Contains(page, `name="loginForm:password"`) {
		t.Fatalf("authorize: %d, want the login page:\n%s", code, page)
	}
	auth := between(page, `name="auth" value="`, `"`)
	code, _, page = follow(t, c, http.MethodPost, base+LoginPath, url.Values{"auth": {auth}, "loginForm:username": {"demo"}, "loginForm:password": {"pw"}})
	if code != http.StatusOK || !strings.Contains(page, "authorizeForm:allowButton") {
		t.Fatalf("login: %d, want the consent page:\n%s", code, page)
	}
	code, loc, _ := follow(t, c, http.MethodPost, base+ConsentPath, url.Values{"auth": {auth}, "authorizeForm:allowButton": {"Allow"}})
	if code != http.StatusFound || loc == nil {
		t.Fatalf("consent: %d, want a redirect to sso.html", code)
	}
	return loc
}

func between(s, from, to string) string {
	_, after, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(after, to)
	return v
}

func exchange(t *testing.T, c *http.Client, base, origin string, form url.Values) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+TokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return callJSON(t, c, req)
}

func TestCodeFlowWithPKCE(t *testing.T) {
	s, c, base := signInServer(t)
	loc := signIn(t, c, base, nil)
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != webRedirect || loc.Query().Get("state") != `{"room":"r1"}` {
		t.Fatalf("redirect = %s, want sso.html with the state", loc)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {webRedirect}, "client_id": {"web"}, "code_verifier": {verifier}}
	resp, tok := exchange(t, c, base, webOrigin, form)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != webOrigin {
		t.Fatalf("token: %d %v, Access-Control-Allow-Origin %q", resp.StatusCode, tok, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	access, err := s.Verify(tok["access_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	user, _ := access["context"].(map[string]any)["user"].(map[string]any)
	if access["aud"] != "jitsi" || access["sub"] != "meet.example.test" || access["room"] != "*" || user["name"] != "Demo" {
		t.Errorf("access token claims = %v, want the Jitsi claims with the user", access)
	}
	id, err := s.Verify(tok["id_token"].(string))
	if err != nil || id["nonce"] != "n-1" || id["aud"] != "web" || id["sub"] != "u-1" {
		t.Errorf("ID token = %v (%v), want nonce n-1, aud web, sub u-1", id, err)
	}
	// A code is used once.
	if resp, body := exchange(t, c, base, "", form); resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("second exchange: %d %v, want invalid_grant", resp.StatusCode, body)
	}
	// Signed in: the next sign-in goes straight back with a code.
	code, loc, _ := follow(t, c, http.MethodGet, authorizeURL(base, nil), nil)
	if code != http.StatusFound || loc.Query().Get("code") == "" {
		t.Errorf("second authorize: %d %v, want a code at once", code, loc)
	}
	// Signed out through end_session: back to logout.html, and asked again.
	code, loc, _ = follow(t, c, http.MethodGet, base+EndSessionPath+"?client_id=web&post_logout_redirect_uri="+url.QueryEscape(webLogout), nil)
	if code != http.StatusFound || loc.String() != webLogout {
		t.Errorf("end_session: %d %v, want a redirect to %s", code, loc, webLogout)
	}
	if code, _, page := follow(t, c, http.MethodGet, authorizeURL(base, nil), nil); code != http.StatusOK || !strings.Contains(page, "loginForm") {
		t.Errorf("authorize after sign-out: %d, want the login page", code)
	}
}

func TestSignInRefusals(t *testing.T) {
	cases := []struct {
		name      string
		authorize url.Values
		form      url.Values // changes to a good token request
		wantPage  string     // an error page at authorize, or
		wantError string     // the error at sso.html or the token endpoint
	}{
		{name: "redirect URI not registered", authorize: url.Values{"redirect_uri": {"https://meet.example.test/sso.html"}},
			wantPage: "invalid_request_redirect_uri"},
		{name: "unknown client", authorize: url.Values{"client_id": {"nobody"}}, wantPage: "unauthorized_client"},
		{name: "plain PKCE", authorize: url.Values{"code_challenge_method": {"plain"}}, wantError: "invalid_request"},
		{name: "no PKCE", authorize: url.Values{"code_challenge": nil, "code_challenge_method": nil}, wantError: "invalid_request"},
		{name: "implicit", authorize: url.Values{"response_type": {"token"}}, wantError: "unsupported_response_type"},
		{name: "wrong verifier", form: url.Values{"code_verifier": {verifier + "x"}}, wantError: "invalid_grant"},
		{name: "no verifier", form: url.Values{"code_verifier": nil}, wantError: "invalid_grant"},
		{name: "other redirect URI at the token endpoint", form: url.Values{"redirect_uri": {webLogout}}, wantError: "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c, base := signInServer(t)
			if tc.wantPage != "" {
				code, _, page := follow(t, c, http.MethodGet, authorizeURL(base, tc.authorize), nil)
				if code < 400 || !strings.Contains(page, tc.wantPage) {
					t.Errorf("authorize: %d, want an error page with %s:\n%s", code, tc.wantPage, page)
				}
				return
			}
			if tc.form == nil {
				code, loc, _ := follow(t, c, http.MethodGet, authorizeURL(base, tc.authorize), nil)
				if code != http.StatusFound || loc.Query().Get("error") != tc.wantError || loc.Query().Get("state") == "" {
					t.Errorf("authorize: %d %v, want error %s at sso.html with the state", code, loc, tc.wantError)
				}
				return
			}
			loc := signIn(t, c, base, nil)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
				"redirect_uri": {webRedirect}, "client_id": {"web"}, "code_verifier": {verifier}}
			for k, v := range tc.form {
				form[k] = v
			}
			if resp, body := exchange(t, c, base, "", form); resp.StatusCode != http.StatusBadRequest || body["error"] != tc.wantError {
				t.Errorf("token: %d %v, want %s", resp.StatusCode, body, tc.wantError)
			}
		})
	}
}

func TestLoginRefusesAWrongPassword(t *testing.T) {
	_, c, base := signInServer(t)
	_, _, page := follow(t, c, http.MethodGet, authorizeURL(base, nil), nil)
	auth := between(page, `name="auth" value="`, `"`)
	_, _, page = follow(t, c, http.MethodPost, base+LoginPath, url.Values{"auth": {auth}, "loginForm:username": {"demo"}, "loginForm:password": {"nope"}})
	if !strings.Contains(page, "The username or password is incorrect.") || strings.Contains(page, "allowButton") {
		t.Errorf("wrong password: want the login page with its error:\n%s", page)
	}
}

func TestEndSessionRefusesAnUnregisteredReturn(t *testing.T) {
	_, c, base := signInServer(t)
	code, _, page := follow(t, c, http.MethodGet, base+EndSessionPath+"?client_id=web&post_logout_redirect_uri="+url.QueryEscape("https://evil.example.test/"), nil)
	if code != http.StatusBadRequest || !strings.Contains(page, "post_logout_redirect_uri is not registered") {
		t.Errorf("end_session: %d, want an error page:\n%s", code, page)
	}
}

func TestCORS(t *testing.T) {
	cases := []struct {
		name       string
		global     []string // corsAllowedOrigins; nil: Janssen's default "*"
		authorized []any    // the client's authorized_origins
		preflight  bool
		origin     string
		allowed    bool
	}{
		{name: "default allows any origin", origin: webOrigin, allowed: true},
		{name: "listed origin", global: []string{webOrigin}, origin: webOrigin, allowed: true},
		{name: "unlisted origin", global: []string{"https://other.example.test"}, origin: webOrigin},
		{name: "client's authorized origins replace the list", authorized: []any{"https://other.example.test"}, origin: webOrigin},
		{name: "client's authorized origins allow", global: []string{"https://x.test"}, authorized: []any{webOrigin}, origin: webOrigin, allowed: true},
		{name: "preflight, listed", global: []string{webOrigin}, preflight: true, origin: webOrigin, allowed: true},
		{name: "preflight, unlisted", global: []string{"https://x.test"}, preflight: true, origin: webOrigin},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c, base := signInServer(t)
			if tc.global != nil {
				s.SetCORSAllowedOrigins(tc.global...)
			}
			if tc.authorized != nil {
				s.AddWebClient("web", map[string]any{"redirect_uris": []any{webRedirect}, "authorized_origins": tc.authorized}, nil)
			}
			method, body := http.MethodPost, strings.NewReader("grant_type=authorization_code&client_id=web&code=none")
			if tc.preflight {
				method, body = http.MethodOptions, strings.NewReader("")
			}
			req, _ := http.NewRequest(method, base+TokenPath, body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", tc.origin)
			if tc.preflight {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "content-type")
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Get("Access-Control-Allow-Origin")
			if tc.allowed && (got != tc.origin || resp.StatusCode == http.StatusForbidden) {
				t.Errorf("%d, Access-Control-Allow-Origin %q: want %s allowed", resp.StatusCode, got, tc.origin)
			}
			if !tc.allowed && (got != "" || resp.StatusCode != http.StatusForbidden) {
				t.Errorf("%d, Access-Control-Allow-Origin %q: want 403 and no CORS header", resp.StatusCode, got)
			}
		})
	}
}
