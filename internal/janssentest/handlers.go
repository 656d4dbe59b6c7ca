package janssentest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AccessTokenTTL is the lifetime of the access tokens the token endpoint
// issues.
const AccessTokenTTL = time.Hour

// Handler serves the public endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range s.routes() {
		mux.HandleFunc(pattern, h)
	}
	return s.cors(mux)
}

// routes are the public endpoints by method and path.
func (s *Server) routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET " + DiscoveryPath:    s.discovery,
		"GET " + RootDiscoverPath: s.discovery,
		"GET " + JWKSPath:         s.serveJWKS,
		"POST " + TokenPath:       s.token,
		"POST " + RegisterPath:    s.register,
		"GET " + RegisterPath:     s.manage,
		"PUT " + RegisterPath:     s.manage,
		"DELETE " + RegisterPath:  s.manage,
		"GET " + UserinfoPath:     s.userinfo,
		"GET " + AuthorizePath:    s.authorize,
		"GET " + LoginPath:        s.loginPage,
		"POST " + LoginPath:       s.login,
		"GET " + ConsentPath:      s.consentPage,
		"POST " + ConsentPath:     s.consent,
		"GET " + EndSessionPath:   s.endSession,
	}
}

// discovery serves the OpenID Provider metadata, built as a map the way a
// server writes it, so that no client type shapes what it publishes.
func (s *Server) discovery(w http.ResponseWriter, _ *http.Request) {
	registration := load(s, &s.regEndpoint)
	if registration == "" {
		registration = s.issuer + RegisterPath
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.issuer,
		"authorization_endpoint":                s.issuer + AuthorizePath,
		"token_endpoint":                        s.issuer + TokenPath,
		"userinfo_endpoint":                     s.issuer + UserinfoPath,
		"end_session_endpoint":                  s.issuer + EndSessionPath,
		"jwks_uri":                              s.issuer + JWKSPath,
		"registration_endpoint":                 registration,
		"response_types_supported":              []string{"code", "token", "id_token", "code id_token", "code token", "id_token token", "code id_token token"},
		"grant_types_supported":                 []string{"authorization_code", "implicit", "refresh_token", "client_credentials"},
		"subject_types_supported":               []string{"public", "pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid", "profile", "email"},
	})
}

func (s *Server) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	set, cc := s.jwks()
	if cc != "" {
		w.Header().Set("Cache-Control", cc)
	}
	writeJSON(w, http.StatusOK, set)
}

// token serves the client_credentials grant with client_secret_basic or
// client_secret_post.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "client_credentials":
	case "authorization_code":
		s.codeGrant(w, r)
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type",
			fmt.Sprintf("grant_type %q: the stand-in supports client_credentials and authorization_code", gt))
		return
	}
	id, secret := clientCredentials(r)
	c, known := s.lookupClient(id)
	if !known || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		invalidClient(w)
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": s.issuer, "sub": id, "aud": id, "client_id": id,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(AccessTokenTTL).Unix(),
		"jti": randomHex(12), "token_type": "Bearer",
	}
	if scope := r.PostForm.Get("scope"); scope != "" {
		claims["scope"] = scope
	}
	maps.Copy(claims, c.claims)
	tok, err := s.Mint(claims, MintOptions{})
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int(AccessTokenTTL.Seconds()),
	})
}

// clientCredentials reads a client's id and secret, sent with
// client_secret_basic or client_secret_post.
func clientCredentials(r *http.Request) (id, secret string) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	// client_secret_basic form-encodes id and secret (RFC 6749 2.3.1).
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	return id, secret
}

// invalidClient answers a token request whose client authentication fails.
func invalidClient(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="jans-auth"`)
	oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
}

// register is OIDC dynamic client registration (RFC 7591).
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if want := load(s, &s.regToken); want != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			oauthError(w, http.StatusUnauthorized, "invalid_token", "registration needs the initial access token")
			return
		}
	}
	var req map[string]any
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || req == nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "the body must be a JSON object")
		return
	}
	if msg := checkRedirectURIs(req); msg != "" {
		oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", msg)
		return
	}
	id, secret := randomHex(16), randomHex(24)
	s.AddClient(id, secret, nil)
	s.mu.Lock()
	for _, f := range s.dropFields {
		delete(req, f)
	}
	s.setMeta(id, req)
	reg := Registration{Request: req, ClientID: id, token: randomHex(24)}
	s.registrations = append(s.registrations, reg)
	s.mu.Unlock()
	resp := s.clientResponse(reg)
	resp["client_secret"] = secret
	resp["client_secret_expires_at"] = 0
	writeJSON(w, http.StatusCreated, resp)
}

// clientResponse is a client's metadata with its registration access token
// and URI, as Janssen answers a registration, read or update.
func (s *Server) clientResponse(reg Registration) map[string]any {
	resp := maps.Clone(reg.Request)
	resp["client_id"] = reg.ClientID
	resp["client_id_issued_at"] = time.Now().Unix()
	resp["registration_access_token"] = reg.token
	resp["registration_client_uri"] = s.issuer + RegisterPath + "?client_id=" + url.QueryEscape(reg.ClientID)
	return resp
}

// manage is RFC 7592: read, update or delete a registered client with its
// registration access token.
func (s *Server) manage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("client_id")
	got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.registrations, func(reg Registration) bool { return reg.ClientID == id && !reg.Deleted })
	if i < 0 || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.registrations[i].token)) != 1 {
		// RFC 7592 section 2: an unknown client and a wrong token look alike.
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "unknown client or wrong registration access token")
		return
	}
	reg := &s.registrations[i]
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.clientResponse(*reg))
	case http.MethodDelete:
		reg.Deleted = true
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPut:
		var req map[string]any
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			err = json.Unmarshal(body, &req)
		}
		if err != nil || req == nil || req["client_id"] != id {
			oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "the body must be a JSON object with the client's client_id")
			return
		}
		if msg := checkRedirectURIs(req); msg != "" {
			oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", msg)
			return
		}
		delete(req, "client_id")
		for _, f := range s.dropFields {
			delete(req, f)
		}
		reg.Request = req
		reg.Updates++
		s.setMeta(id, req)
		writeJSON(w, http.StatusOK, s.clientResponse(*reg))
	}
}

// checkRedirectURIs: a client that signs users in needs https redirect URIs.
func checkRedirectURIs(req map[string]any) string {
	grants, _ := req["grant_types"].([]any)
	onlyClientCredentials := len(grants) > 0
	for _, g := range grants {
		if g != "client_credentials" {
			onlyClientCredentials = false
		}
	}
	if onlyClientCredentials {
		return ""
	}
	uris, _ := req["redirect_uris"].([]any)
	if len(uris) == 0 {
		return "redirect_uris is required"
	}
	for _, u := range uris {
		str, _ := u.(string)
		p, err := url.Parse(str)
		if err != nil || p.Scheme != "https" || p.Host == "" || p.Fragment != "" {
			return fmt.Sprintf("redirect URI %q is not an absolute https URL", str)
		}
	}
	return ""
}

// userinfo answers with the claims of a valid access token.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	claims, err := s.Verify(tok)
	if !ok || err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "a valid access token is required")
		return
	}
	writeJSON(w, http.StatusOK, claims)
}

func oauthError(w http.ResponseWriter, code int, name, desc string) {
	writeJSON(w, code, map[string]string{"error": name, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
