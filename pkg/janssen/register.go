package janssen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
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

// CheckEndpoint refuses to send a credential to u unless it is an https
// URL whose origin (scheme, host and port) is one of origins: the issuer's,
// or the discovery document's the answers file names. A discovery document
// can name any URL; an initial or registration access token sent there
// would be given away.
func CheckEndpoint(u string, origins ...string) error {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", u)
	}
	if p.Scheme != "https" {
		return fmt.Errorf("%s is not https: an access token sent there would travel in clear text", u)
	}
	got := Origin(u)
	for _, o := range origins {
		if o != "" && Origin(o) == got {
			return nil
		}
	}
	return fmt.Errorf("%s is on %s, not on the issuer's server (%s)", u, got, strings.Join(nonEmpty(origins), " or "))
}

// Origin is scheme://host:port of u, with the scheme's default port
// written out, or "" for a URL without host.
func Origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	port := p.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[strings.ToLower(p.Scheme)]
	}
	return strings.ToLower(p.Scheme) + "://" + strings.ToLower(p.Hostname()) + ":" + port
}

func nonEmpty(list []string) []string {
	var out []string
	for _, s := range list {
		if s != "" {
			out = append(out, Origin(s))
		}
	}
	return out
}

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

// Ignored lists the fields of req the provider did not keep as asked, as
// "name: what happened", sorted.
func Ignored(req ClientRequest, meta map[string]any) []string {
	var asked map[string]any
	if err := json.Unmarshal(req.JSON(), &asked); err != nil {
		return nil
	}
	var out []string
	for k, want := range asked {
		got, ok := meta[k]
		switch {
		case !ok:
			out = append(out, k+": dropped")
		case !sameValue(k, want, got):
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			out = append(out, fmt.Sprintf("%s: %s instead of %s", k, g, w))
		}
	}
	sort.Strings(out)
	return out
}

// sameValue compares JSON values, lists as sets and scope as a set of
// words: providers reorder both.
func sameValue(key string, a, b any) bool {
	if key == "scope" {
		as, _ := a.(string)
		bs, _ := b.(string)
		x, y := strings.Fields(as), strings.Fields(bs)
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		x, y := strs(al), strs(bl)
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	}
	return reflect.DeepEqual(a, b)
}

func strs(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		b, _ := json.Marshal(v)
		out[i] = string(b)
	}
	return out
}

// IgnoredWarning says what a dropped or changed field means for Jitsi.
func IgnoredWarning(field string) string {
	name, _, _ := strings.Cut(field, ":")
	switch name {
	case "access_token_as_jwt":
		return "the provider will issue opaque access tokens, which Jitsi cannot read: turn on \"access token as JWT\" for the client in Janssen, or give Jitsi the ID token"
	case "access_token_signing_alg", "id_token_signed_response_alg":
		return "tokens may be signed with an algorithm Prosody cannot verify: set it to RS256 for the client in Janssen"
	case "redirect_uris":
		return "sign-in cannot return to the meeting server"
	case "post_logout_redirect_uris":
		return "sign-out cannot return to the meeting server"
	case "token_endpoint_auth_method":
		return "the browser cannot exchange its code without a client secret"
	}
	return ""
}
