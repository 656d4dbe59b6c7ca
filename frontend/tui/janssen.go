package tui

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// checkTimeout bounds the whole Janssen check: the form waits for it before
// the operator may leave the issuer.
const checkTimeout = 8 * time.Second

// issuerKey is what a Janssen check depends on.
type issuerKey struct {
	Issuer, Discovery, CA string
}

// Problem kinds of a Janssen check.
const (
	issuerOK          = ""
	issuerUnreachable = "unreachable"
	issuerTLS         = "TLS error"
	issuerMismatch    = "issuer mismatch"
	issuerNoKeys      = "no RSA keys"
	issuerBroken      = "error"
)

// issuerCheck is what this machine found at the discovery URL.
type issuerCheck struct {
	key   issuerKey
	doc   *jwks.Discovery
	keys  int // RSA keys for signing (use "sig" or unset)
	other int // keys Prosody cannot use
	kind  string
	err   error
}

// checkIssuer fetches the discovery document and the JWKS it names, the way
// the host will, and says what is wrong in the operator's terms.
func checkIssuer(ctx context.Context, k issuerKey) issuerCheck {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	c := issuerCheck{key: k}
	client, err := jwks.NewClient(k.CA)
	if err != nil {
		c.kind, c.err = issuerBroken, err
		return c
	}
	c.doc, err = jwks.FetchDiscovery(ctx, client, k.Discovery, k.Issuer)
	var mismatch *jwks.IssuerMismatchError
	if errors.As(err, &mismatch) {
		c.kind, c.err = issuerMismatch, err
		return c
	}
	if err != nil {
		c.kind, c.err = classify(err), err
		return c
	}
	set, err := jwks.FetchJWKS(ctx, client, c.doc.JWKSURI)
	if err != nil {
		c.kind, c.err = classify(err), fmt.Errorf("JWKS: %w", err)
		return c
	}
	for _, key := range set.Keys {
		if key.Use == "" || key.Use == "sig" {
			c.keys++
		}
	}
	c.other = len(set.Keys) - c.keys + len(set.Skipped)
	if c.keys == 0 {
		c.kind = issuerNoKeys
		c.err = fmt.Errorf("the JWKS at %s has no RSA signing key with a kid; Prosody could verify no token", c.doc.JWKSURI)
	}
	return c
}

// classify names a fetch failure: the network, TLS, or something else.
func classify(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &verify), errors.As(err, &record):
		return issuerTLS
	case errors.As(err, &netErr), errors.Is(err, context.DeadlineExceeded):
		return issuerUnreachable
	}
	return issuerBroken
}

// blocking is the error that keeps the operator on the issuer: an issuer
// that differs from the document's makes Prosody refuse every token. A
// Janssen this machine cannot reach may still be reachable from the host.
func (c issuerCheck) blocking() error {
	if c.kind == issuerMismatch {
		return c.err
	}
	return nil
}

// checkLines is how many lines a check result takes, so the form keeps its
// height while results come and go.
const checkLines = 7

// lines describes the result for the form, padded to checkLines.
func (c issuerCheck) lines() []string {
	var out []string
	switch {
	case c.kind == issuerOK || c.kind == issuerNoKeys:
		mark := "✓"
		if c.kind != issuerOK {
			mark = "✗"
		}
		out = append(out, fmt.Sprintf("%s %s: %d RSA signing key(s)", mark, c.key.Discovery, c.keys),
			"  issuer         "+c.doc.Issuer,
			"  authorization  "+c.doc.AuthorizationEndpoint,
			"  token          "+c.doc.TokenEndpoint,
			"  end session    "+orNone(c.doc.EndSessionEndpoint),
			"  JWKS           "+c.doc.JWKSURI)
		if c.kind == issuerNoKeys {
			out = append(out, "✗ "+c.err.Error())
		}
	default:
		out = append(out, "✗ "+c.kind+": "+c.err.Error())
		switch c.kind {
		case issuerUnreachable:
			out = append(out, "  This machine cannot reach Janssen; the host fetches it again during the install.")
		case issuerTLS:
			out = append(out, "  Janssen's certificate is not trusted here: give the CA bundle that signed it.")
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// checker runs each Janssen check once and remembers the result.
type checker struct {
	ctx context.Context
	run func(context.Context, issuerKey) issuerCheck

	mu   sync.Mutex
	runs map[issuerKey]*checkRun
}

type checkRun struct {
	done chan struct{}
	res  issuerCheck
}

func newChecker(ctx context.Context) *checker {
	return &checker{ctx: ctx, run: checkIssuer, runs: map[issuerKey]*checkRun{}}
}

// start begins the check for k unless it ran or runs already.
func (c *checker) start(k issuerKey) *checkRun {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.runs[k]; ok {
		return r
	}
	r := &checkRun{done: make(chan struct{})}
	c.runs[k] = r
	go func() {
		r.res = c.run(c.ctx, k)
		close(r.done)
	}()
	return r
}

// result returns the finished check for k, if there is one.
func (c *checker) result(k issuerKey) (issuerCheck, bool) {
	c.mu.Lock()
	r, ok := c.runs[k]
	c.mu.Unlock()
	if !ok {
		return issuerCheck{}, false
	}
	select {
	case <-r.done:
		return r.res, true
	default:
		return issuerCheck{}, false
	}
}

// wait runs the check for k if needed and returns its result.
func (c *checker) wait(k issuerKey) issuerCheck {
	r := c.start(k)
	<-r.done
	return r.res
}

// janssenKey is the check the form's current answers call for, and whether
// the issuer is worth fetching at all.
func (v *values) janssenKey(issuer, ca string) (issuerKey, bool) {
	w := *v
	w.Issuer = issuer
	k := issuerKey{Issuer: issuer, Discovery: w.discoveryURL(), CA: ca}
	ok := issuer != "" && answers.ValidateField("janssen.issuer", issuer) == nil &&
		answers.ValidateField("janssen.ca_bundle", ca) == nil
	return k, ok
}

// describeCheck is the text under the issuer in the form.
func describeCheck(k issuerKey, ok bool, c *checker) string {
	var lines []string
	switch res, done := c.result(k); {
	case !ok:
		lines = []string{"The discovery document is fetched from this machine once the issuer is a valid https:// URL."}
	case !done:
		lines = []string{"Checking " + k.Discovery + " …"}
	default:
		lines = res.lines()
	}
	for len(lines) < checkLines {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
