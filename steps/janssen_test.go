package steps

import (
	"strings"
	"testing"
)

// TestParseJanssen: what the host fetched, and what the answers add to it,
// for each way the fetch can go.
func TestParseJanssen(t *testing.T) {
	cfg := testConfig(t)
	std := cfg.Janssen.Issuer // the standard endpoints are under it
	doc := `{"issuer":"` + cfg.Janssen.Issuer + `","jwks_uri":"https://keys.example.com/jwks","token_endpoint":"https://t.example.com/token"}`
	keys := `{"keys":[{"kty":"RSA","kid":"a","use":"sig"},{"kty":"RSA","kid":"b"},{"kty":"EC","kid":"c"},{"kty":"RSA","kid":"d","use":"enc"},{"kty":"RSA"}]}`
	for _, tc := range []struct {
		name, out string
		err       string // part of the error; "" for none
		jwksURI   string
		rsa       int
	}{
		{"fetched", doc + "\n@@jwks@@\n" + keys, "", "https://keys.example.com/jwks", 2},
		{"unreachable", "error: discovery x: timed out", "discovery x: timed out", std, 0},
		{"document not JSON", "<html>\n@@jwks@@\n" + keys, "discovery document at " + cfg.Janssen.DiscoveryURL + " is not JSON", std, 0},
		{"JWKS unreachable", doc + "\n@@jwks@@\n\nerror: jwks https://keys.example.com/jwks: fetch failed", "jwks https://keys.example.com/jwks: fetch failed", "https://keys.example.com/jwks", 0},
		{"JWKS not JSON", doc + "\n@@jwks@@\n<html>", "JWKS at https://keys.example.com/jwks is not JSON", "https://keys.example.com/jwks", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := parseJanssen(tc.out, cfg)
			if got := errString(st.Err); tc.err == "" && got != "" || !strings.Contains(got, tc.err) {
				t.Errorf("error %q, want %q", got, tc.err)
			}
			if !strings.HasPrefix(st.Doc.JWKSURI, tc.jwksURI) || st.RSAKeys != tc.rsa {
				t.Errorf("JWKS URI %q with %d RSA keys, want %q with %d", st.Doc.JWKSURI, st.RSAKeys, tc.jwksURI, tc.rsa)
			}
			if st.Issuer != nil {
				t.Errorf("issuer check: %v", st.Issuer)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
