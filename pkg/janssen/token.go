package janssen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ClientCredentials gets an access token for a confidential client with
// the client_credentials grant (client_secret_basic). The secret goes only
// into the Authorization header.
func ClientCredentials(ctx context.Context, c *http.Client, tokenURL, clientID, secret string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
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
