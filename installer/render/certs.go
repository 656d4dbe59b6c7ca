package render

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
)

const (
	pemBegin = "-----BEGIN CERTIFICATE-----"
	pemEnd   = "-----END CERTIFICATE-----"
)

// summarizeCerts replaces each PEM certificate in the lines of a diff with
// one line of the same sign: its subject, issuer, fingerprint and expiry.
// A block that does not parse is counted, not shown.
func summarizeCerts(lines []string) []string {
	var out, block []string
	sign := ""
	for _, l := range lines {
		s, body := splitSign(l)
		switch {
		case block == nil && body == pemBegin:
			block, sign = []string{body}, s
		case block != nil && body == pemEnd:
			block = append(block, body)
			out = append(out, sign+describeCert(strings.Join(block, "\n"), len(block)))
			block = nil
		case block != nil:
			block = append(block, body)
		default:
			out = append(out, l)
		}
	}
	for _, b := range block { // a block the diff cut short: shown as it is
		out = append(out, sign+b)
	}
	return out
}

// splitSign cuts a diff line into its sign (+, - or space) and text.
func splitSign(l string) (string, string) {
	if l == "" || strings.HasPrefix(l, "+++") || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "@@") {
		return "", l
	}
	return l[:1], l[1:]
}

func describeCert(block string, lines int) string {
	b, _ := pem.Decode([]byte(block))
	if b == nil {
		return fmt.Sprintf("certificate (%d lines of PEM)", lines)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return fmt.Sprintf("certificate (%d lines of PEM, unreadable: %v)", lines, err)
	}
	sum := sha256.Sum256(c.Raw)
	return fmt.Sprintf("certificate %s, issued by %s, SHA256 %s, expires %s",
		name(c.Subject.String()), name(c.Issuer.String()), hex.EncodeToString(sum[:])[:16]+"...", c.NotAfter.UTC().Format("2006-01-02"))
}

func name(dn string) string {
	if dn == "" {
		return "(no name)"
	}
	return dn
}
