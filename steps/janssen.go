package steps

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
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

// janssenState is what the host found when it asked Janssen.
type janssenState struct {
	Doc     jwks.Discovery
	RSAKeys int
	Err     error // unreachable, unparsable: the steps fall back to defaults
	// Issuer is the document's issuer check (jwks.CheckIssuer): an
	// *jwks.IssuerMismatchError when it names another issuer.
	Issuer error
}

func janssenQuery(e *env) installer.Query {
	return installer.Query{Name: janssenFact.Name, Args: []string{"sh", "-c", fetchJanssen, "sh", e.cfg.Janssen.DiscoveryURL, e.ca.janssen}}
}

// janssenAnswer is what the host fetched of Janssen, before the answers
// are applied to it.
type janssenAnswer struct {
	Doc     *jwks.Discovery // nil when the host got none, or one not JSON
	DocErr  error           // the document is not JSON
	Err     error           // the host's error, or the JWKS is not JSON
	RSAKeys int
}

// janssenFact is the host's fetch of Janssen. Its query names the
// answers' discovery URL: janssenQuery builds it.
var janssenFact = &installer.Fact[janssenAnswer]{Name: factJanssen, Parse: readJanssen}

// janssen parses the discovery fact, falling back to Janssen's standard
// endpoints under the issuer when the host could not fetch the document.
func janssen(h *installer.Host, cfg *answers.Config) janssenState {
	return resolveJanssen(janssenFact.Get(h), cfg)
}

func parseJanssen(out string, cfg *answers.Config) janssenState {
	return resolveJanssen(readJanssen(out, 0), cfg)
}

func readJanssen(out string, _ int) janssenAnswer {
	var a janssenAnswer
	docText, jwksText, ok := strings.Cut(out, "@@jwks@@")
	if i := strings.LastIndex(out, "error: "); i >= 0 {
		a.Err = fmt.Errorf("%s", strings.TrimSpace(out[i+len("error: "):]))
		if !ok {
			return a
		}
	}
	var d jwks.Discovery
	if err := json.Unmarshal([]byte(docText), &d); err != nil {
		a.DocErr = err
		return a
	}
	a.Doc = &d
	if a.Err != nil {
		return a
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(jwksText), &set); err != nil {
		a.Err = fmt.Errorf("JWKS at %s is not JSON: %v", d.JWKSURI, err)
		return a
	}
	for _, k := range set.Keys {
		if k.Kty == "RSA" && k.Kid != "" && (k.Use == "" || k.Use == "sig") {
			a.RSAKeys++
		}
	}
	return a
}

// resolveJanssen applies the answers to what the host fetched: the
// standard endpoints where the document names none, the issuer check.
func resolveJanssen(a janssenAnswer, cfg *answers.Config) janssenState {
	st := janssenState{Doc: jwks.JanssenEndpoints(cfg.Janssen.Issuer), Err: a.Err, RSAKeys: a.RSAKeys}
	st.Doc.RegistrationEndpoint = ""
	if a.DocErr != nil {
		st.Err = fmt.Errorf("discovery document at %s is not JSON: %v", cfg.Janssen.DiscoveryURL, a.DocErr)
		return st
	}
	if a.Doc == nil {
		return st
	}
	d := *a.Doc
	for _, f := range []struct {
		have  *string
		found string
	}{
		{&st.Doc.AuthorizationEndpoint, d.AuthorizationEndpoint}, {&st.Doc.TokenEndpoint, d.TokenEndpoint},
		{&st.Doc.EndSessionEndpoint, d.EndSessionEndpoint}, {&st.Doc.JWKSURI, d.JWKSURI},
	} {
		if f.found != "" {
			*f.have = f.found
		}
	}
	st.Doc.Issuer, st.Doc.RegistrationEndpoint = d.Issuer, d.RegistrationEndpoint
	st.Issuer = jwks.CheckIssuer(cfg.Janssen.Issuer, d.Issuer)
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
