package janssen

import (
	"fmt"
	"net/url"
	"strings"
)

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
