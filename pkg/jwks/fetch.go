// Package jwks reads an OpenID provider's discovery document and signing
// keys, and checks a token the way Jitsi's Prosody token plugin does
// (mod_auth_token with token/util.lib.lua and luajwtjitsi).
package jwks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// maxBody bounds every document fetched: discovery, JWKS, PEM.
const maxBody = 1 << 20

// Timeout bounds each request of the client NewClient returns.
const Timeout = 15 * time.Second

// NewClient returns an HTTP client that trusts the system roots plus the
// certificates in caBundle, a PEM file; empty: the system roots only.
func NewClient(caBundle string) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caBundle != "" {
		pem, err := os.ReadFile(caBundle)
		if err != nil {
			return nil, fmt.Errorf("CA bundle: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s: no PEM certificate in it", caBundle)
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t, Timeout: Timeout}, nil
}

// statusError is a response other than 200 OK.
type statusError struct {
	url  string
	code int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.url, e.code, http.StatusText(e.code))
}

// HTTPStatus is the status code of a response other than 200 OK that err
// reports, or 0.
func HTTPStatus(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.code
	}
	return 0
}

// IsTLSError reports whether err is a certificate the client does not trust:
// an unknown CA, a name the certificate lacks, an expired certificate.
func IsTLSError(err error) bool {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) || errors.As(err, &verify)
}

// get fetches url and returns its body, refusing anything but 200 OK.
func get(ctx context.Context, c *http.Client, url string) ([]byte, error) {
	body, _, err := getWithHeader(ctx, c, url)
	return body, err
}

// getWithHeader is get that also returns the response's header.
func getWithHeader(ctx context.Context, c *http.Client, url string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/json, application/x-pem-file, */*")
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err // already names the method and URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, &statusError{url: url, code: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if len(body) > maxBody {
		return nil, nil, fmt.Errorf("GET %s: larger than %d bytes", url, maxBody)
	}
	return body, resp.Header, nil
}

// Discovery is the part of an OpenID discovery document the installer uses.
type Discovery struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	UserinfoEndpoint      string `json:"userinfo_endpoint"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	RegistrationEndpoint  string `json:"registration_endpoint"`
}

// FetchDiscovery fetches and parses the discovery document at url and checks
// that its issuer is exactly issuer. On an issuer mismatch it returns the
// document too, with an *IssuerMismatchError.
func FetchDiscovery(ctx context.Context, c *http.Client, url, issuer string) (*Discovery, error) {
	body, err := get(ctx, c, url)
	if err != nil {
		return nil, fmt.Errorf("discovery document: %w", err)
	}
	var d Discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("discovery document at %s is not JSON: %w", url, err)
	}
	if d.JWKSURI == "" {
		return nil, fmt.Errorf("discovery document at %s has no jwks_uri", url)
	}
	return &d, CheckIssuer(issuer, d.Issuer)
}

// IssuerMismatchError says the discovery document names another issuer than
// the one configured. Tokens carry the document's issuer in iss, and Prosody
// compares iss with its accepted issuers byte for byte.
type IssuerMismatchError struct {
	Configured, Discovered string
}

// TrailingSlash reports whether the two issuers differ only in a trailing slash.
func (e *IssuerMismatchError) TrailingSlash() bool {
	return strings.TrimRight(e.Configured, "/") == strings.TrimRight(e.Discovered, "/")
}

func (e *IssuerMismatchError) Error() string {
	return e.Problem() + "; " + e.Fix()
}

// Problem says what differs.
func (e *IssuerMismatchError) Problem() string {
	if e.TrailingSlash() {
		return fmt.Sprintf("the discovery document's issuer is %q and the configured issuer is %q: "+
			"they differ only in the trailing slash, but Prosody compares the token's iss exactly", e.Discovered, e.Configured)
	}
	return fmt.Sprintf("the discovery document's issuer is %q, not the configured %q, and tokens carry its issuer in iss",
		e.Discovered, e.Configured)
}

// Fix says how to make them agree.
func (e *IssuerMismatchError) Fix() string {
	if e.TrailingSlash() {
		return fmt.Sprintf("set the issuer to %q, slash as Janssen writes it", e.Discovered)
	}
	return fmt.Sprintf("set the issuer to exactly %q, or point the discovery URL at the right server", e.Discovered)
}

// CheckIssuer returns an *IssuerMismatchError unless discovered is exactly
// configured.
func CheckIssuer(configured, discovered string) error {
	if configured == discovered {
		return nil
	}
	return &IssuerMismatchError{Configured: configured, Discovered: discovered}
}
