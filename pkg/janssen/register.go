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

// Registered is what a registration endpoint holds for a client (RFC 7591
// and RFC 7592), as it answered a registration, a read or an update.
type Registered struct {
	ClientID string
	// RegistrationAccessToken lets this client's registration be read and
	// updated (RFC 7592). A secret: keep it in a 0600 file, never print it.
	RegistrationAccessToken string
	// RegistrationClientURI is where the registration is read and updated.
	RegistrationClientURI string
	// Metadata is the client's metadata as the provider answered it,
	// without client_secret and registration_access_token.
	Metadata map[string]any
}

// secretFields are left out of Metadata: they are never printed.
var secretFields = []string{"client_secret", "registration_access_token"}

// Register posts req to a dynamic client registration endpoint (RFC 7591).
// A non-empty initialToken is sent as "Authorization: Bearer"; no error
// quotes it. Check the endpoint with CheckEndpoint first.
func Register(ctx context.Context, c *http.Client, endpoint, initialToken string, req ClientRequest) (*Registered, error) {
	return call(ctx, c, http.MethodPost, endpoint, initialToken, req.JSON(), "initial")
}

// Read fetches what the provider holds for a registered client (RFC 7592).
func Read(ctx context.Context, c *http.Client, clientURI, regToken string) (*Registered, error) {
	return call(ctx, c, http.MethodGet, clientURI, regToken, nil, "registration")
}

// Update replaces a registered client's metadata with req (RFC 7592). The
// answer may carry a new registration access token: keep it.
func Update(ctx context.Context, c *http.Client, clientURI, regToken, clientID string, req ClientRequest) (*Registered, error) {
	var body map[string]any
	if err := json.Unmarshal(req.JSON(), &body); err != nil {
		return nil, fmt.Errorf("update client: %w", err)
	}
	body["client_id"] = clientID
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("update client: %w", err)
	}
	return call(ctx, c, http.MethodPut, clientURI, regToken, b, "registration")
}

// call makes one registration request and reads the client it answers with.
// tokenKind names the bearer token in errors: "initial" or "registration".
func call(ctx context.Context, c *http.Client, method, u, token string, body []byte, tokenKind string) (*Registered, error) {
	what := map[string]string{http.MethodPost: "register client", http.MethodGet: "read client", http.MethodPut: "update client"}[method]
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", what, u, err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Accept", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", what, u, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return nil, registrationError(what, u, resp.StatusCode, data, token != "", tokenKind)
	}
	var meta map[string]any
	if err := json.Unmarshal(data, &meta); err != nil || meta == nil {
		return nil, fmt.Errorf("%s at %s: the answer is not a JSON object", what, u)
	}
	out := &Registered{Metadata: meta}
	out.ClientID, _ = meta["client_id"].(string)
	out.RegistrationAccessToken, _ = meta["registration_access_token"].(string)
	out.RegistrationClientURI, _ = meta["registration_client_uri"].(string)
	for _, f := range secretFields {
		delete(meta, f)
	}
	if out.ClientID == "" {
		return nil, fmt.Errorf("%s at %s: the answer has no client_id", what, u)
	}
	return out, nil
}

// registrationError explains a refused request from the OAuth error in the
// body (RFC 7591 section 3.2.2, RFC 7592 section 2).
func registrationError(what, u string, code int, body []byte, sentToken bool, tokenKind string) error {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e)
	msg := fmt.Sprintf("%s at %s: the provider answered %d %s", what, u, code, http.StatusText(code))
	if e.Error != "" {
		msg += ": " + e.Error
		if e.Description != "" {
			msg += " (" + strings.TrimSpace(e.Description) + ")"
		}
	}
	switch {
	case tokenKind == "registration" && (code == http.StatusUnauthorized || code == http.StatusNotFound || code == http.StatusForbidden):
		msg += "; the provider no longer knows this client or its registration access token (the client was deleted, or the token was revoked)"
	case code == http.StatusUnauthorized && sentToken:
		msg += "; the initial access token is wrong or expired: get a new one from Janssen"
	case code == http.StatusUnauthorized:
		msg += "; this Janssen wants an initial access token: pass --initial-token"
	case code == http.StatusForbidden || code == http.StatusNotFound:
		msg += "; is dynamic registration enabled (Janssen's dynamicRegistrationEnabled)?"
	}
	return fmt.Errorf("%s", msg)
}
