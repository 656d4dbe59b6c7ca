package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

type tokenFlags struct {
	answers     string
	issuers     []string
	audiences   []string
	domain      string
	appID       string
	jwksURL     string
	discovery   string
	keyServer   string
	caBundle    string
	alg         string
	requireRoom bool
	skew        time.Duration
}

func newTokenCheck(g *globals) *cobra.Command {
	var f tokenFlags
	c := &cobra.Command{
		Use:   "check [flags] TOKEN|-",
		Short: "Say whether Jitsi would accept a token, and why not",
		Long: `Check verifies a JWT exactly as Jitsi's Prosody token plugin does: kid present
and found among Janssen's keys, typ, alg, signature, iss, aud, exp and nbf
(numbers, current by this machine's clock plus --clock-skew), sub against the
meeting domain, room, and the shape of context.user. Each check prints pass or
FAIL with the fix in one line. Pass - to read the token from standard input,
which keeps it out of the process list and shell history.

With --answers the accepted issuers, audience, domain and Janssen's keys come
from the answers file, as the installer configures Prosody; otherwise give
--issuer, --audience and --domain. Keys come from --jwks-url, from
--key-server (Prosody's asap_key_server, e.g. http://127.0.0.1:8089/asap on
the host) or else from the jwks_uri of Janssen's discovery document:
--discovery-url, the answers file's janssen.discovery_url, or
ISSUER/jans-auth/.well-known/openid-configuration.

--alg is Prosody's signature_algorithm: RS256 (the default), RS384 or RS512,
the algorithms Prosody verifies with keys from a JWKS or key server. The
signature is always verified: a token is never accepted unchecked.

The token is a credential: it is never printed. --verbose adds its decoded
header and claims.

Exit status: 0 Jitsi would accept the token, 1 it would not, 3 bad input.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			token, err := readToken(args[0], g.stdin)
			if err != nil {
				return err
			}
			if _, err := jwks.Parse(token); err != nil {
				return inputError("the token: %v", err)
			}
			o, pre, err := f.options(c)
			if err != nil {
				return err
			}
			rep := jwks.Check(token, o)
			rep.Checks = append(pre, rep.Checks...)
			if err := printReport(g, rep); err != nil {
				return err
			}
			if !rep.Accepted() {
				return &exitError{code: exitFailed, err: errReported}
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.answers, "answers", "a", "", "answers file: issuer, audience, domain and keys as the installer configures Prosody")
	fl.StringSliceVar(&f.issuers, "issuer", nil, "accepted issuer (asap_accepted_issuers); repeat for more; \"*\" accepts any")
	fl.StringSliceVar(&f.audiences, "audience", nil, "accepted audience (asap_accepted_audiences); repeat for more; \"*\" accepts any")
	fl.StringVar(&f.domain, "domain", "", `meeting domain sub must name; "" turns domain verification off`)
	fl.StringVar(&f.appID, "app-id", "", "also accept this issuer: Jitsi's app_id, Prosody's default asap_accepted_issuers")
	fl.StringVar(&f.jwksURL, "jwks-url", "", "read keys from this JWKS (Prosody's cache_keys_url)")
	fl.StringVar(&f.discovery, "discovery-url", "", "Janssen's OpenID discovery document (default: janssen.discovery_url, or ISSUER/jans-auth/.well-known/openid-configuration)")
	fl.StringVar(&f.keyServer, "key-server", "", "read keys from BASE/hex(sha256(kid)).pem (Prosody's asap_key_server)")
	fl.StringVar(&f.caBundle, "ca-bundle", "", "also trust these CA certificates (PEM) for Janssen or the key server")
	fl.StringVar(&f.alg, "alg", "RS256", "signature algorithm Prosody expects (signature_algorithm): RS256, RS384 or RS512")
	fl.BoolVar(&f.requireRoom, "require-room", true, "a token must carry room (asap_require_room_claim)")
	fl.DurationVar(&f.skew, "clock-skew", 0, "how far the host's clock runs ahead of this machine's (negative: behind)")
	return c
}

// readToken reads the token argument, or standard input for "-".
func readToken(arg string, stdin io.Reader) (string, error) {
	if arg != "-" {
		if strings.TrimSpace(arg) == "" {
			return "", inputError("the token is empty")
		}
		return strings.TrimSpace(arg), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", inputError("read the token from standard input: %v", err)
	}
	if strings.TrimSpace(line) == "" {
		return "", inputError("no token on standard input")
	}
	return strings.TrimSpace(line), nil
}

// options builds what Prosody checks from the answers file and the flags,
// and fetches Janssen's discovery document unless the keys are given. The
// results say what happened to discovery, to print before the token's.
func (f *tokenFlags) options(c *cobra.Command) (jwks.Options, []jwks.Result, error) {
	o := jwks.Options{Alg: f.alg, RoomOptional: !f.requireRoom, Skew: f.skew}
	if err := jwks.CheckAlg(f.alg); err != nil {
		return o, nil, inputError("--alg: %v", err)
	}
	// Where each setting came from, for the fixes: the flag or the answers file.
	discoveryFrom, caFrom := "--discovery-url", "--ca-bundle"
	var discoveryURL string
	caBundle := f.caBundle
	if f.answers != "" {
		cfg, err := answers.Load(f.answers)
		if err != nil {
			return o, nil, err
		}
		o.Issuers, o.Audiences, o.Domain = prosodyAccepts(cfg)
		discoveryURL, discoveryFrom = cfg.Janssen.DiscoveryURL, "janssen.discovery_url in "+f.answers+" (or --discovery-url)"
		if caBundle == "" {
			caBundle, caFrom = cfg.Janssen.CABundle, "janssen.ca_bundle in "+f.answers+" (or --ca-bundle)"
		}
	} else {
		var missing []string
		for _, name := range []string{"issuer", "audience", "domain"} {
			if !c.Flags().Changed(name) {
				missing = append(missing, "--"+name)
			}
		}
		if len(missing) > 0 {
			return o, nil, inputError("without --answers, give %s", strings.Join(missing, ", "))
		}
	}
	if c.Flags().Changed("issuer") {
		o.Issuers = f.issuers
	}
	if f.appID != "" {
		o.Issuers = append(o.Issuers, f.appID)
	}
	if c.Flags().Changed("audience") {
		o.Audiences = f.audiences
	}
	if c.Flags().Changed("domain") {
		o.Domain = f.domain
	}
	if len(o.Issuers) == 0 || len(o.Audiences) == 0 {
		return o, nil, inputError("--issuer and --audience need a value")
	}
	if f.jwksURL != "" && f.keyServer != "" {
		return o, nil, inputError("--jwks-url and --key-server exclude each other: Prosody uses one or the other")
	}
	client, err := jwks.NewClient(caBundle)
	if err != nil {
		return o, nil, inputError("--ca-bundle: %v", err)
	}
	switch {
	case f.keyServer != "":
		o.Keys = &jwks.KeyServer{Base: f.keyServer, Client: client,
			Refresh: "systemctl start " + assets.KeyRefreshUnit + ".service"}
		return o, nil, nil
	case f.jwksURL != "":
		o.Keys = &jwks.RemoteJWKS{URL: f.jwksURL, Client: client}
		return o, nil, nil
	}
	issuer := o.Issuers[0]
	if f.discovery != "" {
		discoveryURL = f.discovery
	}
	if issuer == "*" && discoveryURL == "" {
		return o, nil, inputError("with --issuer '*' there is no discovery document: give --discovery-url, --jwks-url or --key-server")
	}
	if discoveryURL == "" {
		discoveryURL = jwks.DiscoveryURL(issuer)
	}
	d, err := jwks.FetchDiscovery(c.Context(), client, discoveryURL, issuer)
	var mismatch *jwks.IssuerMismatchError
	switch {
	case errors.As(err, &mismatch) && issuer != "*":
		o.Keys = &jwks.RemoteJWKS{URL: d.JWKSURI, Client: client}
		return o, []jwks.Result{{Name: "discovery", Status: jwks.Fail, Detail: mismatch.Problem(), Fix: mismatch.Fix()}}, nil
	case err != nil && !errors.As(err, &mismatch):
		// No keys: the token's signature cannot be verified, so it is
		// not accepted. Prosody itself reads the JWKS the installer
		// configured from this same document.
		return o, []jwks.Result{{Name: "discovery", Status: jwks.Fail, Detail: err.Error(),
			Fix: discoveryFix(err, discoveryURL, discoveryFrom, caFrom)}}, nil
	}
	o.Keys = &jwks.RemoteJWKS{URL: d.JWKSURI, Client: client}
	return o, []jwks.Result{{Name: "discovery", Status: jwks.Pass, Detail: fmt.Sprintf("issuer %q, keys at %s", d.Issuer, d.JWKSURI)}}, nil
}

// discoveryFix names the setting to change when the discovery document
// cannot be read.
func discoveryFix(err error, url, discoveryFrom, caFrom string) string {
	switch code := jwks.HTTPStatus(err); {
	case jwks.IsTLSError(err):
		return fmt.Sprintf("this machine does not trust the certificate of %s: set %s to the PEM file of the CA that signed it", url, caFrom)
	case code == http.StatusNotFound:
		return fmt.Sprintf("there is no discovery document at %s: a provider that does not serve it under /jans-auth names it elsewhere (often ISSUER/.well-known/openid-configuration); set %s", url, discoveryFrom)
	case code != 0:
		return fmt.Sprintf("the provider answered %d: check %s", code, discoveryFrom)
	}
	return fmt.Sprintf("check that %s is reachable from here, and %s; or give --jwks-url", url, discoveryFrom)
}

// prosodyAccepts is what the installer configures Prosody to accept (see
// assets/templates/prosody.cfg.lua): asap_accepted_issuers,
// asap_accepted_audiences and, with enable_domain_verification, the domain.
// Keep the two in step: a doctor more lenient than the host misleads.
func prosodyAccepts(cfg *answers.Config) (issuers, audiences []string, domain string) {
	return []string{cfg.Janssen.Issuer}, []string{cfg.Janssen.Audience}, cfg.Domain
}

// printReport writes one line per check, or one JSON object. The decoded
// header and claims appear only with --verbose; the token itself never.
func printReport(g *globals, rep jwks.Report) error {
	if !g.verbose {
		rep.Header, rep.Claims = nil, nil
	}
	if g.output == "json" {
		return json.NewEncoder(g.stdout).Encode(struct {
			Accepted bool `json:"accepted"`
			jwks.Report
		}{rep.Accepted(), rep})
	}
	var b strings.Builder
	for _, r := range rep.Checks {
		status := string(r.Status)
		if r.Status == jwks.Fail {
			status = "FAIL"
		}
		fmt.Fprintf(&b, "%-4s  %s", status, r.Name)
		if r.Detail != "" {
			b.WriteString(": " + r.Detail)
		}
		if r.Fix != "" {
			b.WriteString(": fix: " + r.Fix)
		}
		b.WriteByte('\n')
	}
	if n := len(rep.Failed()); n > 0 {
		fmt.Fprintf(&b, "Jitsi would refuse this token: %d of %d checks failed.\n", n, len(rep.Checks))
	} else {
		b.WriteString("Jitsi would accept this token.\n")
	}
	if g.verbose {
		for _, part := range []struct {
			name string
			v    map[string]any
		}{{"header", rep.Header}, {"claims", rep.Claims}} {
			j, _ := json.MarshalIndent(part.v, "", "  ")
			fmt.Fprintf(&b, "%s: %s\n", part.name, j)
		}
	}
	_, err := io.WriteString(g.stdout, b.String())
	return err
}
