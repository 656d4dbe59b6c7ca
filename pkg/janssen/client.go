// Package janssen describes what a Janssen IAM server needs for one Jitsi
// Meet server: the OpenID client the web app signs in with, the UPDATE_TOKEN
// script that adds the claims Jitsi checks, and their registration.
package janssen

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"text/template"
)

// ClientRequest is an OpenID Connect dynamic client registration request,
// with Janssen's own access_token_as_jwt and access_token_signing_alg.
type ClientRequest struct {
	ClientName              string   `json:"client_name"`
	ApplicationType         string   `json:"application_type"`
	RedirectURIs            []string `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	Scope                   string   `json:"scope"`
	// AccessTokenAsJWT makes Janssen issue the access token as a signed JWT
	// Prosody can verify, instead of an opaque reference.
	AccessTokenAsJWT         bool   `json:"access_token_as_jwt"`
	AccessTokenSigningAlg    string `json:"access_token_signing_alg"`
	IDTokenSignedResponseAlg string `json:"id_token_signed_response_alg"`
}

// NewClientRequest is the client of the meeting server at domain: a public
// web client (no secret; the browser proves itself with PKCE) that receives
// the code at Jitsi's sso.html, returns to its logout.html after signing
// out (config.js tokenLogoutUrl), and gets RS256-signed JWTs.
func NewClientRequest(domain string) ClientRequest {
	return ClientRequest{
		ClientName:               "Jitsi Meet " + domain,
		ApplicationType:          "web",
		RedirectURIs:             []string{"https://" + domain + "/static/sso.html"},
		PostLogoutRedirectURIs:   []string{"https://" + domain + "/static/logout.html"},
		GrantTypes:               []string{"authorization_code", "refresh_token"},
		ResponseTypes:            []string{"code"},
		TokenEndpointAuthMethod:  "none",
		Scope:                    "openid profile email",
		AccessTokenAsJWT:         true,
		AccessTokenSigningAlg:    "RS256",
		IDTokenSignedResponseAlg: "RS256",
	}
}

// JSON is the request as indented JSON, as it is posted and printed.
func (r ClientRequest) JSON() []byte {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		panic(err) // only strings, lists and booleans
	}
	return append(b, '\n')
}

//go:embed update_token.py
var updateTokenScript string

var scriptTmpl = template.Must(template.New("update_token.py").Funcs(template.FuncMap{
	// A JSON string of ASCII is a Python string literal; the domain and
	// audience are ASCII (the answers file checks them).
	"py": func(s string) (string, error) {
		b, err := json.Marshal(s)
		return string(b), err
	},
}).Parse(updateTokenScript))

// ScriptParams fill the UPDATE_TOKEN script.
type ScriptParams struct {
	Domain   string // sub: the meeting domain Prosody verifies
	Audience string // aud: one of Prosody's accepted audiences
	// ClientIDs are the clients whose access tokens get the claims: the
	// web app's client and verify's test client. The script leaves every
	// other client's tokens alone.
	ClientIDs []string
}

// UpdateTokenScript is the Jython UPDATE_TOKEN script to add to Janssen and
// bind to the client: it sets room, sub, aud and context.user in the access
// tokens of p.ClientIDs, and leaves ID tokens as Janssen issues them.
func UpdateTokenScript(p ScriptParams) []byte {
	var b bytes.Buffer
	if err := scriptTmpl.Execute(&b, p); err != nil {
		panic(fmt.Sprintf("update_token.py: %v", err)) // the template is embedded and fixed
	}
	return b.Bytes()
}
