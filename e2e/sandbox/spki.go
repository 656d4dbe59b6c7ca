package sandbox

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"time"
)

// ServerSPKI is the base64 SHA-256 of the public key of the certificate a
// server at addr (host:port) presents for name: what Chromium's
// --ignore-certificate-errors-spki-list takes to trust it, as the
// sandbox's CAs are in no browser's store.
func ServerSPKI(addr, name string) (string, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
		&tls.Config{ServerName: name, InsecureSkipVerify: true}) // only to read the key
	if err != nil {
		return "", fmt.Errorf("read the certificate of %s at %s: %w", name, addr, err)
	}
	defer conn.Close()
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// BrowserHosts maps the names a browser meets when it signs in on t to
// their addresses: the meeting domain and Janssen's host.
func (t *Target) BrowserHosts() map[string]string {
	return map[string]string{t.Domain: t.Address, JanssenHost(t.Name): t.HostAddress}
}

// BrowserSPKI are ServerSPKI of the meeting server and of Janssen.
func (t *Target) BrowserSPKI() ([]string, error) {
	iss, err := url.Parse(t.JanssenIssuer)
	if err != nil {
		return nil, fmt.Errorf("janssen issuer: %w", err)
	}
	meet, err := ServerSPKI(net.JoinHostPort(t.Address, "443"), t.Domain)
	if err != nil {
		return nil, err
	}
	jans, err := ServerSPKI(net.JoinHostPort(t.HostAddress, iss.Port()), iss.Hostname())
	if err != nil {
		return nil, err
	}
	return []string{meet, jans}, nil
}
