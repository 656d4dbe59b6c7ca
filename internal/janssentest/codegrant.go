package janssentest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"maps"
	"net/http"
	"strings"
	"time"
)

// codeGrant exchanges an authorization code (RFC 6749 4.1.3) with its PKCE
// verifier (RFC 7636): the code is used once, within CodeTTL, by the client
// it was issued to, with the same redirect URI. A public client sends its
// client_id and no secret; a confidential one authenticates as for
// client_credentials.
func (s *Server) codeGrant(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	id, secret := clientCredentials(r)
	s.mu.Lock()
	c, known := s.clients[id]
	req, found := s.codes[f.Get("code")]
	delete(s.codes, f.Get("code"))
	authTime := time.Now()
	if found && s.sessions[req.session] != nil {
		authTime = s.sessions[req.session].authTime
	}
	s.mu.Unlock()
	if !known || (!c.public && subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1) {
		invalidClient(w)
		return
	}
	switch {
	case !found || req.clientID != id || time.Now().After(req.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "The authorization code is unknown, used, expired or not the client's.")
		return
	case f.Get("redirect_uri") != req.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case req.challenge != "" && !pkceMatches(req.challenge, f.Get("code_verifier")):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE check fails: the code_verifier does not match the code_challenge")
		return
	}
	now := time.Now()
	u := req.user
	claims := map[string]any{
		"iss": s.issuer, "sub": u.Inum, "aud": id, "client_id": id, "username": u.Username,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(AccessTokenTTL).Unix(),
		"jti": randomHex(12), "token_type": "Bearer", "scope": req.scope,
	}
	if c.claims != nil {
		// What the UPDATE_TOKEN script bound to the client adds.
		maps.Copy(claims, c.claims)
		claims["context"] = map[string]any{"user": map[string]any{
			"id": u.Inum, "name": u.Name, "email": u.Email, "moderator": true,
		}}
	}
	access, err := s.Mint(claims, MintOptions{})
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	resp := map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": int(AccessTokenTTL.Seconds()), "scope": req.scope,
	}
	if strings.Contains(" "+req.scope+" ", " openid ") {
		sum := sha256.Sum256([]byte(access))
		idClaims := map[string]any{
			"iss": s.issuer, "sub": u.Inum, "aud": id, "iat": now.Unix(), "exp": now.Add(AccessTokenTTL).Unix(),
			"auth_time": authTime.Unix(), "at_hash": base64.RawURLEncoding.EncodeToString(sum[:16]),
		}
		if req.nonce != "" {
			idClaims["nonce"] = req.nonce
		}
		if resp["id_token"], err = s.Mint(idClaims, MintOptions{}); err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// pkceMatches is RFC 7636's S256 check.
func pkceMatches(challenge, verifier string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return verifier != "" && subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}
