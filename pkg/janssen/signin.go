package janssen

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// SSOPath is where the web app receives the authorization code; the
// client's redirect URI is https://DOMAIN + SSOPath.
const SSOPath = "/static/sso.html"

// CheckCORS asks Janssen's token endpoint what a browser on origin asks
// when the web app's sso.html exchanges a code: a form POST naming
// clientID, with Origin. The code is made up, so Janssen refuses the grant;
// what counts is whether its CORS filter lets the browser read the answer.
// The error names the Janssen settings that decide it.
func CheckCORS(ctx context.Context, c *http.Client, tokenURL, origin, clientID string) error {
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {"jitsi-installer-cors-check"},
		"redirect_uri": {origin + SSOPath}, "client_id": {clientID}, "code_verifier": {randomVerifier()},
	}
	req, err := formRequest(ctx, tokenURL, form)
	if err != nil {
		return err
	}
	req.Header.Set("Origin", origin)
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("token endpoint %s: %w", tokenURL, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	switch allowed := resp.Header.Get("Access-Control-Allow-Origin"); allowed {
	case origin, "*":
		return nil
	case "":
		return fmt.Errorf("token endpoint %s does not allow CORS from %s (HTTP %d, no Access-Control-Allow-Origin): "+
			"browsers cannot finish the sign-in; add %s to Janssen's corsAllowedOrigins (corsConfigurationFilters), "+
			"or to the authorized origins of client %s when it lists any", tokenURL, origin, resp.StatusCode, origin, clientID)
	default:
		return fmt.Errorf("token endpoint %s allows CORS from %s, not from %s: "+
			"add %s to Janssen's corsAllowedOrigins (corsConfigurationFilters), or to the authorized origins of client %s",
			tokenURL, allowed, origin, origin, clientID)
	}
}

// ClientCredentials gets an access token for a confidential client with
// the client_credentials grant (client_secret_basic). The secret goes only
// into the Authorization header.
func ClientCredentials(ctx context.Context, c *http.Client, tokenURL, clientID, secret string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}
	req, err := formRequest(ctx, tokenURL, form)
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request to %s: %w", tokenURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var r struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &r)
	if resp.StatusCode != http.StatusOK || r.AccessToken == "" {
		msg := strings.TrimSpace(r.Error + " " + r.Description)
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		return "", fmt.Errorf("token request to %s for client %s: %d %s", tokenURL, clientID, resp.StatusCode, msg)
	}
	return r.AccessToken, nil
}

// formRequest is a form POST to a token endpoint.
func formRequest(ctx context.Context, tokenURL string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// CheckRedirectURI asks Janssen's authorization endpoint to start a sign-in
// for clientID that returns to redirectURI, as the web app's tokenAuthUrl
// does, without following Janssen's answer: a login page or a redirect to
// it is what a user gets; an error page or an error sent back means the
// client is not registered that way.
func CheckRedirectURI(ctx context.Context, c *http.Client, authorizeURL, clientID, redirectURI string) error {
	sum := sha256.Sum256([]byte(randomVerifier()))
	q := url.Values{
		"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid"}, "redirect_uri": {redirectURI},
		"state": {"{}"}, "nonce": {randomVerifier()[:16]},
		"code_challenge_method": {"S256"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
	}
	sep := "?"
	if strings.Contains(authorizeURL, "?") {
		sep = "&"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL+sep+q.Encode(), nil)
	if err != nil {
		return err
	}
	noFollow := *c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Do(req)
	if err != nil {
		return fmt.Errorf("authorization endpoint %s: %w", authorizeURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	hint := fmt.Sprintf("register %s as a redirect URI of client %s (`jitsi-installer janssen client --register` does)", redirectURI, clientID)
	if resp.StatusCode >= 400 {
		return fmt.Errorf("authorization endpoint %s refuses a sign-in of client %s returning to %s (HTTP %d%s): %s",
			authorizeURL, clientID, redirectURI, resp.StatusCode, errorName(body), hint)
	}
	if loc, err := resp.Location(); err == nil && strings.HasPrefix(loc.String(), redirectURI) {
		if e := loc.Query().Get("error"); e != "" {
			return fmt.Errorf("authorization endpoint %s answers a sign-in of client %s with %s (%s)", authorizeURL, clientID, e, loc.Query().Get("error_description"))
		}
	}
	return nil
}

// errorName finds an OAuth error name in an error answer, JSON or a page.
func errorName(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return ", " + e.Error
	}
	for _, name := range []string{"invalid_request_redirect_uri", "unauthorized_client", "invalid_client", "invalid_request"} {
		if strings.Contains(string(body), name) {
			return ", " + name
		}
	}
	return ""
}

func randomVerifier() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
