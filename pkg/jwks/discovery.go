package jwks

import "strings"

// Janssen serves its OpenID endpoints under /jans-auth/restv1 and its
// discovery document under /jans-auth/.well-known (JanssenProject/jans,
// docs/admin/auth-server/endpoints).
const (
	janssenDiscoveryPath = "/jans-auth/.well-known/openid-configuration"
	janssenEndpoints     = "/jans-auth/restv1"
)

// DiscoveryURL is where Janssen at issuer serves its discovery document:
// the default of janssen.discovery_url. "" for no issuer.
func DiscoveryURL(issuer string) string {
	if issuer == "" {
		return ""
	}
	return strings.TrimSuffix(issuer, "/") + janssenDiscoveryPath
}

// JanssenEndpoints are the endpoints Janssen at issuer serves: what the
// installer assumes while the discovery document cannot be fetched.
func JanssenEndpoints(issuer string) Discovery {
	base := strings.TrimSuffix(issuer, "/") + janssenEndpoints
	return Discovery{
		Issuer:                issuer,
		AuthorizationEndpoint: base + "/authorize",
		TokenEndpoint:         base + "/token",
		UserinfoEndpoint:      base + "/userinfo",
		EndSessionEndpoint:    base + "/end_session",
		JWKSURI:               base + "/jwks",
		RegistrationEndpoint:  base + "/register",
	}
}
