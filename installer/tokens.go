package installer

import (
	"fmt"
	"regexp"
	"strings"
)

// MaskTokens hides what looks like a bearer token: JWTs, and the values of
// token=, jwt=, access_token= and id_token= parameters in any case and with
// any of their characters percent-encoded, as Prosody and browsers decode
// them (%74oken=, JWT=, token%3D), also inside an encoded URL (%26token%3D).
func MaskTokens(s string) string {
	s = jwtLike.ReplaceAllString(s, "[token]")
	return tokenParam.ReplaceAllString(s, "${1}[token]")
}

var (
	jwtLike    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	tokenParam = regexp.MustCompile(`(?i)((?:^|[^a-z0-9%_]|%26|%3f|%3b|%20|%22)(?:` + strings.Join([]string{
		encodable("token"), encodable("jwt"), encodable("access_token"), encodable("id_token"),
	}, "|") + `)(?:=|%3d))[^&\s"']+`)
)

// encodable is a pattern for name whose characters may each be
// percent-encoded (case is left to the (?i) of the whole pattern).
func encodable(name string) string {
	var b strings.Builder
	for _, c := range []byte(name) {
		fmt.Fprintf(&b, "(?:%s|%%%02x", regexp.QuoteMeta(string(c)), c)
		if c >= 'a' && c <= 'z' {
			fmt.Fprintf(&b, "|%%%02x", c-'a'+'A')
		}
		b.WriteString(")")
	}
	return b.String()
}
