package janssen

import (
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/wanterr"
)

// A registration endpoint is accepted on the issuer's own server (or one a
// given discovery document is on), over https, as an absolute URL.
func TestCheckEndpoint(t *testing.T) {
	const issuer = "https://login.example.com"
	cases := []struct {
		name, url string
		origins   []string
		want      string // "" accepted
	}{
		{"the issuer's server", "https://login.example.com/jans-auth/restv1/register", []string{issuer}, ""},
		{"its host in capitals, its port given", "https://LOGIN.example.com:443/register", []string{issuer}, ""},
		{"another port", "https://login.example.com:8443/register", []string{issuer}, "is on https://login.example.com:8443, not on the issuer's server (https://login.example.com:443)"},
		{"plain http", "http://login.example.com/register", []string{issuer}, "is not https"},
		{"another server", "https://evil.example.net/register", []string{issuer, ""}, "not on the issuer's server"},
		{"the discovery document's server", "https://auth.example.com/oidc/reg", []string{issuer, "https://auth.example.com/oidc/.well-known/openid-configuration"}, ""},
		{"a path only", "/register", []string{issuer}, "not an absolute URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if m := wanterr.Mismatch(CheckEndpoint(tc.url, tc.origins...), tc.want); m != "" {
				t.Errorf("%s: %s", tc.url, m)
			}
		})
	}
}
