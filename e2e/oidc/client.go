package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Resources the provider issues access tokens for besides the meeting
// server's: each signs in a way Prosody refuses.
const (
	ResourceRS384   = "https://rs384.example.com"
	ResourceES256   = "https://es256.example.com"
	ResourcePS256   = "https://ps256.example.com"
	ResourceRFC9068 = "https://rfc9068.example.com" // typ at+jwt
)

// Discovery is the provider's discovery document URL.
func (p *Provider) Discovery() string { return p.Issuer + "/.well-known/openid-configuration" }

// Token gets an access token for resource with the client_credentials
// grant of the provider's confidential test client.
func (p *Provider) Token(ctx context.Context, resource string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {"meet"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Issuer+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(p.clientID, p.clientSecret)
	resp, err := p.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		return "", fmt.Errorf("token request for %s: %d %s %s", resource, resp.StatusCode, body.Error, body.Description)
	}
	return body.AccessToken, nil
}

// Clients are the ids of the clients registered dynamically.
func (p *Provider) Clients(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Issuer+"/_test/clients", nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var ids []string
	if err := json.NewDecoder(resp.Body).Decode(&ids); err != nil {
		return nil, fmt.Errorf("clients: %w", err)
	}
	return ids, nil
}
