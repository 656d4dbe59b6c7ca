package steps

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// fetchJanssen fetches Janssen's discovery document and the JWKS it names,
// on the host, trusting the system store plus the answers' ca_bundle.
// Output: the document, a marker line, the JWKS; or "error: ..." lines.
// The system store is read through its hashed directory, where OpenSSL
// loads only the certificates it needs: it takes tens of milliseconds
// to load the whole bundle, on every plan. --cacert names ca_bundle, or
// one certificate of the store (curl would load the bundle otherwise).
const fetchJanssen = `ca=$(mktemp); trap 'rm -f "$ca"' EXIT
if [ -n "$2" ]; then printf '%s\n' "$2" > "$ca"; else for c in /etc/ssl/certs/*.pem; do cat "$c" > "$ca" 2>/dev/null; break; done; fi
command -v curl >/dev/null || { echo "error: curl is not installed yet"; exit 3; }
doc=$(curl -sS --fail --max-time 10 --cacert "$ca" --capath /etc/ssl/certs "$1" 2>&1) || { echo "error: discovery $1: $doc"; exit 1; }
printf '%s\n' "$doc"; echo "@@jwks@@"
jw=$(printf '%s' "$doc" | tr -d '\n' | sed -n 's/.*"jwks_uri"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | sed 's#\\/#/#g')
[ -n "$jw" ] || { echo "error: the discovery document has no jwks_uri"; exit 2; }
curl -sS --fail --max-time 10 --cacert "$ca" --capath /etc/ssl/certs "$jw" 2>&1 || { echo; echo "error: jwks $jw: fetch failed"; exit 1; }`

// discovery is the part of the OpenID discovery document the steps use.
type discovery struct {
	Issuer        string `json:"issuer"`
	Authorization string `json:"authorization_endpoint"`
	Token         string `json:"token_endpoint"`
	EndSession    string `json:"end_session_endpoint"`
	JWKS          string `json:"jwks_uri"`
	Registration  string `json:"registration_endpoint"`
}

// janssenState is what the host found when it asked Janssen.
type janssenState struct {
	Doc     discovery
	RSAKeys int
	Err     error // unreachable, unparsable: the steps fall back to defaults
}

func janssenQuery(e *env) installer.Query {
	return installer.Query{Name: factJanssen, Args: []string{"sh", "-c", fetchJanssen, "sh", e.cfg.Janssen.DiscoveryURL, e.ca.janssen}}
}

// janssen parses the discovery fact, falling back to Janssen's standard
// endpoints under the issuer when the host could not fetch the document.
func janssen(h *installer.Host, cfg *answers.Config) janssenState {
	return parseJanssen(h.Fact(factJanssen), cfg)
}

func parseJanssen(out string, cfg *answers.Config) janssenState {
	iss := strings.TrimSuffix(cfg.Janssen.Issuer, "/")
	st := janssenState{Doc: discovery{
		Issuer:        cfg.Janssen.Issuer,
		Authorization: iss + "/jans-auth/restv1/authorize",
		Token:         iss + "/jans-auth/restv1/token",
		EndSession:    iss + "/jans-auth/restv1/end_session",
		JWKS:          iss + "/jans-auth/restv1/jwks",
	}}
	docText, jwksText, ok := strings.Cut(out, "@@jwks@@")
	if i := strings.LastIndex(out, "error: "); i >= 0 {
		st.Err = fmt.Errorf("%s", strings.TrimSpace(out[i+len("error: "):]))
		if !ok {
			return st
		}
	}
	var d discovery
	if err := json.Unmarshal([]byte(docText), &d); err != nil {
		st.Err = fmt.Errorf("discovery document at %s is not JSON: %v", cfg.Janssen.DiscoveryURL, err)
		return st
	}
	if d.Authorization != "" {
		st.Doc.Authorization = d.Authorization
	}
	if d.Token != "" {
		st.Doc.Token = d.Token
	}
	if d.EndSession != "" {
		st.Doc.EndSession = d.EndSession
	}
	if d.JWKS != "" {
		st.Doc.JWKS = d.JWKS
	}
	st.Doc.Issuer, st.Doc.Registration = d.Issuer, d.Registration
	if st.Err != nil {
		return st
	}
	var jwks struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(jwksText), &jwks); err != nil {
		st.Err = fmt.Errorf("JWKS at %s is not JSON: %v", d.JWKS, err)
		return st
	}
	for _, k := range jwks.Keys {
		if k.Kty == "RSA" && k.Kid != "" && (k.Use == "" || k.Use == "sig") {
			st.RSAKeys++
		}
	}
	return st
}

// origin returns scheme://host[:port] of u.
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Scheme + "://" + p.Host
}
