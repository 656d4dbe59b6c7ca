package janssen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckEndpoint(t *testing.T) {
	const issuer = "https://login.example.com"
	cases := []struct {
		url     string
		origins []string
		want    string // "" accepted
	}{
		{"https://login.example.com/jans-auth/restv1/register", []string{issuer}, ""},
		{"https://LOGIN.example.com:443/register", []string{issuer}, ""},
		{"https://login.example.com:8443/register", []string{issuer}, "is on https://login.example.com:8443, not on the issuer's server (https://login.example.com:443)"},
		{"http://login.example.com/register", []string{issuer}, "is not https"},
		{"https://evil.example.net/register", []string{issuer, ""}, "not on the issuer's server"},
		{"https://auth.example.com/oidc/reg", []string{issuer, "https://auth.example.com/oidc/.well-known/openid-configuration"}, ""},
		{"/register", []string{issuer}, "not an absolute URL"},
	}
	for _, tc := range cases {
		err := CheckEndpoint(tc.url, tc.origins...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.url, err, tc.want)
		}
	}
}

func TestIgnored(t *testing.T) {
	req := NewClientRequest("meet.example.com")
	cases := []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"all kept, reordered", func(m map[string]any) {
			m["scope"] = "email openid profile"
			m["grant_types"] = []any{"refresh_token", "authorization_code"}
		}, ""},
		{"dropped", func(m map[string]any) { delete(m, "access_token_as_jwt") }, "access_token_as_jwt: dropped"},
		{"changed", func(m map[string]any) { m["token_endpoint_auth_method"] = "client_secret_basic" },
			`token_endpoint_auth_method: "client_secret_basic" instead of "none"`},
	}
	for _, tc := range cases {
		meta := map[string]any{
			"client_name": req.ClientName, "application_type": "web",
			"redirect_uris": []any{req.RedirectURIs[0]}, "post_logout_redirect_uris": []any{req.PostLogoutRedirectURIs[0]},
			"grant_types": []any{"authorization_code", "refresh_token"}, "response_types": []any{"code"},
			"token_endpoint_auth_method": "none", "scope": "openid profile email", "access_token_as_jwt": true,
			"access_token_signing_alg": "RS256", "id_token_signed_response_alg": "RS256",
		}
		tc.edit(meta)
		if got := strings.Join(Ignored(req, meta), "; "); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if w := IgnoredWarning("access_token_as_jwt: dropped"); !strings.Contains(w, "opaque access tokens") {
		t.Errorf("warning %q", w)
	}
}

func TestRegistrationFile(t *testing.T) {
	dir := t.TempDir()
	answers := filepath.Join(dir, "answers.yaml")
	path := RegistrationFile(answers)
	if path != filepath.Join(dir, "answers.janssen-client.json") {
		t.Fatalf("RegistrationFile = %s", path)
	}
	if r, err := LoadRegistration(path); r != nil || err != nil {
		t.Fatalf("missing file: %v, %v", r, err)
	}
	want := Registration{Issuer: "https://login.example.com", ClientID: "c1",
		RegistrationClientURI: "https://login.example.com/r?client_id=c1", RegistrationAccessToken: "t"}
	if err := SaveRegistration(path, want); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	got, err := LoadRegistration(path)
	if err != nil || *got != want {
		t.Fatalf("LoadRegistration = %+v, %v", got, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRegistration(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable file: %v", err)
	}
}
