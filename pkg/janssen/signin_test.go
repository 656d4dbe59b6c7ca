package janssen

import (
	"context"
	"crypto/x509"
	"net/http"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/janssentest"
	"github.com/jitsi-installer/jitsi-installer/internal/wanterr"
)

// signInStandIn serves the Janssen stand-in with the web client of
// meet.example.test registered as NewClientRequest would.
func signInStandIn(t *testing.T, redirect string) (*janssentest.Server, *http.Client) {
	s, _ := janssentest.StartLocal(t)
	s.AddWebClient("web", map[string]any{"redirect_uris": []any{redirect}, "token_endpoint_auth_method": "none"}, nil)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(s.CAPEM())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = roots
	t.Cleanup(tr.CloseIdleConnections)
	return s, &http.Client{Transport: tr}
}

func TestCheckCORS(t *testing.T) {
	const origin = "https://meet.example.test"
	cases := []struct {
		name    string
		allowed []string
		want    string // "" passes
	}{
		{"Janssen's default", []string{"*"}, ""},
		{"the meeting origin listed", []string{"https://login.example.test", origin}, ""},
		{"another origin only", []string{"https://login.example.test"}, "add https://meet.example.test to Janssen's corsAllowedOrigins (corsConfigurationFilters), or to the authorized origins of client web"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c := signInStandIn(t, origin+SSOPath)
			s.SetCORSAllowedOrigins(tc.allowed...)
			err := CheckCORS(context.Background(), c, s.Issuer()+janssentest.TokenPath, origin, "web")
			if m := wanterr.Mismatch(err, tc.want); m != "" {
				t.Errorf("CheckCORS: %s", m)
			}
		})
	}
}

func TestCheckRedirectURI(t *testing.T) {
	const sso = "https://meet.example.test" + SSOPath
	cases := []struct {
		name, registered, client string
		want                     string
	}{
		{"registered", sso, "web", ""},
		{"another redirect URI", "https://old.example.test" + SSOPath, "web",
			"HTTP 400, invalid_request_redirect_uri): register https://meet.example.test/static/sso.html as a redirect URI of client web"},
		{"unknown client", sso, "nobody", "HTTP 401, unauthorized_client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c := signInStandIn(t, tc.registered)
			err := CheckRedirectURI(context.Background(), c, s.Issuer()+janssentest.AuthorizePath, tc.client, sso)
			if m := wanterr.Mismatch(err, tc.want); m != "" {
				t.Errorf("CheckRedirectURI: %s", m)
			}
		})
	}
}
