package janssen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Registered is what the registration endpoint returned that the installer
// keeps. The response also holds secrets (client_secret,
// registration_access_token); they are not read.
type Registered struct {
	ClientID string `json:"client_id"`
}

// Register posts req to a dynamic client registration endpoint. A non-empty
// initialToken is sent as "Authorization: Bearer"; no error quotes it.
func Register(ctx context.Context, c *http.Client, endpoint, initialToken string, req ClientRequest) (*Registered, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(req.JSON()))
	if err != nil {
		return nil, fmt.Errorf("register client at %s: %w", endpoint, err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	if initialToken != "" {
		r.Header.Set("Authorization", "Bearer "+initialToken)
	}
	resp, err := c.Do(r)
	if err != nil {
		return nil, fmt.Errorf("register client: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("register client at %s: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return nil, registrationError(endpoint, resp.StatusCode, body, initialToken != "")
	}
	var out Registered
	if err := json.Unmarshal(body, &out); err != nil || out.ClientID == "" {
		return nil, fmt.Errorf("register client at %s: the answer has no client_id", endpoint)
	}
	return &out, nil
}

// registrationError explains a refused registration from the OAuth error in
// the body (RFC 7591 section 3.2.2).
func registrationError(endpoint string, code int, body []byte, sentToken bool) error {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e)
	msg := fmt.Sprintf("Janssen refused the registration at %s: %d %s", endpoint, code, http.StatusText(code))
	if e.Error != "" {
		msg += ": " + e.Error
		if e.Description != "" {
			msg += " (" + strings.TrimSpace(e.Description) + ")"
		}
	}
	switch {
	case code == http.StatusUnauthorized && sentToken:
		msg += "; the initial access token is wrong or expired: get a new one from Janssen"
	case code == http.StatusUnauthorized:
		msg += "; this Janssen wants an initial access token: pass --initial-token"
	case code == http.StatusForbidden || code == http.StatusNotFound:
		msg += "; is dynamic registration enabled (Janssen's dynamicRegistrationEnabled)?"
	}
	return fmt.Errorf("%s", msg)
}
