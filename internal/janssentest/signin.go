package janssentest

import (
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Paths of the sign-in pages, as Janssen names its own.
const (
	LoginPath   = "/jans-auth/login.htm"
	ConsentPath = "/jans-auth/authorize.htm"
)

// CodeTTL is how long an authorization code can be exchanged: Janssen's
// default authorizationCodeLifetime.
const CodeTTL = 60 * time.Second

// sessionCookie is Janssen's session cookie: a browser that signed in once
// is not asked again until it signs out (end_session).
const sessionCookie = "session_id"

// User is a person who can sign in on the login page.
type User struct {
	Username, Password string
	Inum               string // the user's id: sub of the ID token
	Name, Email        string
}

// AddUser lets u sign in on the login page.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Username] = u
}

// AddWebClient registers a public client (PKCE, no secret), as dynamic
// registration would with meta (redirect_uris, post_logout_redirect_uris,
// authorized_origins, ...). claims are added to its access tokens as an
// UPDATE_TOKEN script bound to it adds them, with context.user from the
// signed-in user.
func (s *Server) AddWebClient(id string, meta, claims map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[id] = client{claims: claims, public: true, meta: meta}
}

// setMeta keeps a registered client's metadata; s.mu is held.
func (s *Server) setMeta(id string, meta map[string]any) {
	c := s.clients[id]
	c.meta = meta
	c.public = meta["token_endpoint_auth_method"] == "none"
	s.clients[id] = c
}

// authRequest is an authorization request from its check to the code
// exchange.
type authRequest struct {
	id                           string
	clientID, redirectURI, scope string
	state, nonce, challenge      string
	user                         *User
	session                      string
	expires                      time.Time
	loginFailed                  bool
}

// page is what the sign-in pages show of a request.
func (req *authRequest) page() map[string]any {
	return map[string]any{"ID": req.id, "ClientID": req.clientID, "Scope": req.scope, "LoginFailed": req.loginFailed}
}

type session struct {
	user      User
	consented []string // client ids
	authTime  time.Time
}

// authorize checks an authorization request as Janssen does: an unknown
// client or a redirect URI the client did not register get an error page
// (never a redirect); other errors go back to the redirect URI. Only the
// code flow with PKCE S256 is served.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, redirect := q.Get("client_id"), q.Get("redirect_uri")
	c, known := s.lookupClient(id)
	if !known || id == "" {
		errorPage(w, http.StatusUnauthorized, "unauthorized_client", "The client is not registered: client_id "+q.Get("client_id"))
		return
	}
	if !slices.Contains(stringList(c.meta["redirect_uris"]), redirect) {
		errorPage(w, http.StatusBadRequest, "invalid_request_redirect_uri",
			"The redirection URI provided does not match a pre-registered value: "+redirect)
		return
	}
	req := &authRequest{
		id: randomHex(16), clientID: id, redirectURI: redirect, scope: q.Get("scope"),
		state: q.Get("state"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"),
		expires: time.Now().Add(10 * time.Minute),
	}
	fail := func(name, desc string) { redirectError(w, r, req, name, desc) }
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "the stand-in serves the authorization code flow (response_type=code)")
		return
	case req.challenge == "" && c.public:
		fail("invalid_request", "a public client must send a PKCE code_challenge")
		return
	case req.challenge != "" && q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
		return
	}
	s.mu.Lock()
	s.pending[req.id] = req
	if cookie, err := r.Cookie(sessionCookie); err == nil {
		if sess, ok := s.sessions[cookie.Value]; ok {
			u := sess.user
			req.user, req.session = &u, cookie.Value
		}
	}
	s.mu.Unlock()
	s.next(w, r, req)
}

// next sends the browser on: to the login page, to consent, or back to the
// client with a code.
func (s *Server) next(w http.ResponseWriter, r *http.Request, req *authRequest) {
	s.mu.Lock()
	var consented bool
	if sess, ok := s.sessions[req.session]; ok {
		consented = slices.Contains(sess.consented, req.clientID)
	}
	s.mu.Unlock()
	switch {
	case req.user == nil:
		http.Redirect(w, r, LoginPath+"?auth="+req.id, http.StatusFound)
	case !consented:
		http.Redirect(w, r, ConsentPath+"?auth="+req.id, http.StatusFound)
	default:
		code := randomHex(20)
		s.mu.Lock()
		delete(s.pending, req.id)
		req.expires = time.Now().Add(CodeTTL)
		s.codes[code] = req
		s.mu.Unlock()
		v := url.Values{"code": {code}, "scope": {req.scope}, "session_state": {randomHex(8)}}
		if req.state != "" {
			v.Set("state", req.state)
		}
		http.Redirect(w, r, withQuery(req.redirectURI, v), http.StatusFound)
	}
}

// pendingRequest finds the authorization request a sign-in page serves.
func (s *Server) pendingRequest(w http.ResponseWriter, r *http.Request) *authRequest {
	r.ParseForm()
	s.mu.Lock()
	req, ok := s.pending[r.Form.Get("auth")]
	s.mu.Unlock()
	if !ok || time.Now().After(req.expires) {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-in expired or is unknown: start again from the meeting.")
		return nil
	}
	return req
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if req := s.pendingRequest(w, r); req != nil {
		render(w, http.StatusOK, loginTmpl, req.page())
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	req := s.pendingRequest(w, r)
	if req == nil {
		return
	}
	name, pw := r.PostForm.Get("loginForm:username"), r.PostForm.Get("loginForm:password")
	s.mu.Lock()
	u, ok := s.users[name]
	s.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(u.Password), []byte(pw)) != 1 {
		req.loginFailed = true
		render(w, http.StatusOK, loginTmpl, req.page())
		return
	}
	sid := randomHex(16)
	s.mu.Lock()
	s.sessions[sid] = &session{user: u, authTime: time.Now()}
	req.user, req.session = &u, sid
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteNoneMode})
	s.next(w, r, req)
}

func (s *Server) consentPage(w http.ResponseWriter, r *http.Request) {
	if req := s.pendingRequest(w, r); req != nil && req.user != nil {
		render(w, http.StatusOK, consentTmpl, req.page())
	} else if req != nil {
		http.Redirect(w, r, LoginPath+"?auth="+req.id, http.StatusFound)
	}
}

func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	req := s.pendingRequest(w, r)
	if req == nil || req.user == nil {
		return
	}
	if r.PostForm.Get("authorizeForm:allowButton") == "" {
		s.mu.Lock()
		delete(s.pending, req.id)
		s.mu.Unlock()
		redirectError(w, r, req, "access_denied", "The user did not allow the access.")
		return
	}
	s.mu.Lock()
	if sess, ok := s.sessions[req.session]; ok {
		sess.consented = append(sess.consented, req.clientID)
	}
	s.mu.Unlock()
	s.next(w, r, req)
}

// endSession signs the browser out and returns to the client's registered
// post-logout redirect URI; an unregistered one gets an error page.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := q.Get("client_id")
	if id == "" {
		if claims, err := s.Verify(q.Get("id_token_hint")); err == nil {
			id, _ = claims["aud"].(string)
		}
	}
	back := q.Get("post_logout_redirect_uri")
	c, known := s.lookupClient(id)
	if back != "" && (!known || !slices.Contains(stringList(c.meta["post_logout_redirect_uris"]), back)) {
		errorPage(w, http.StatusBadRequest, "invalid_request",
			"post_logout_redirect_uri is not registered for the client: "+back)
		return
	}
	if cookie, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.sessions, cookie.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteNoneMode})
	if back == "" {
		render(w, http.StatusOK, loggedOutTmpl, nil)
		return
	}
	v := url.Values{}
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	http.Redirect(w, r, withQuery(back, v), http.StatusFound)
}

// redirectError returns an authorization error to the client.
func redirectError(w http.ResponseWriter, r *http.Request, req *authRequest, name, desc string) {
	v := url.Values{"error": {name}, "error_description": {desc}}
	if req.state != "" {
		v.Set("state", req.state)
	}
	http.Redirect(w, r, withQuery(req.redirectURI, v), http.StatusFound)
}

func withQuery(u string, v url.Values) string {
	if len(v) == 0 {
		return u
	}
	if strings.Contains(u, "?") {
		return u + "&" + v.Encode()
	}
	return u + "?" + v.Encode()
}

func errorPage(w http.ResponseWriter, code int, name, desc string) {
	render(w, code, errorTmpl, map[string]string{"Error": name, "Description": desc})
}

func render(w http.ResponseWriter, code int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	t.Execute(w, data)
}

var (
	loginTmpl = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Janssen: sign in</title></head><body>
<h1>Sign in</h1>
{{if .LoginFailed}}<p id="error" role="alert">The username or password is incorrect.</p>{{end}}
<form id="loginForm" method="post" action="` + LoginPath + `">
<input type="hidden" name="auth" value="{{.ID}}">
<label>Username <input id="loginForm:username" name="loginForm:username" autocomplete="username"></label>
<label>Password <input id="loginForm:password" name="loginForm:password" type="password" autocomplete="current-password"></label>
<button id="loginForm:loginButton" type="submit">Login</button>
</form></body></html>
`))
	consentTmpl = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Janssen: allow access</title></head><body>
<h1>Allow access</h1>
<p>{{.ClientID}} asks for: {{.Scope}}</p>
<form id="authorizeForm" method="post" action="` + ConsentPath + `">
<input type="hidden" name="auth" value="{{.ID}}">
<button id="authorizeForm:allowButton" name="authorizeForm:allowButton" value="Allow" type="submit">Allow</button>
<button id="authorizeForm:doNotAllowButton" name="authorizeForm:doNotAllowButton" value="Deny" type="submit">Don't allow</button>
</form></body></html>
`))
	errorTmpl = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Janssen: error</title></head><body>
<h1>Error</h1><p id="error">{{.Error}}: {{.Description}}</p></body></html>
`))
	loggedOutTmpl = template.Must(template.New("out").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Janssen: signed out</title></head><body>
<p>You are signed out.</p></body></html>
`))
)
