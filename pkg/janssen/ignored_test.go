package janssen

import (
	"strings"
	"testing"
)

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
