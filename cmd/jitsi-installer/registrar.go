package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/janssen"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// registrar is what registering, updating and showing a client share: the
// HTTP client, the discovery document, and where the registration is kept.
type registrar struct {
	cfg     *answers.Config
	file    string // the answers file
	regFile string
	client  *http.Client
	doc     *jwks.Discovery
	prev    *janssen.Registration // kept from an earlier --register; nil: none
}

// newRegistrar fetches the discovery document and refuses a provider that
// is not janssen.issuer, and loads the kept registration.
// verb says what is refused, for the errors: "register" or "read the client".
func newRegistrar(c *cobra.Command, cfg *answers.Config, file, verb string) (*registrar, error) {
	r := &registrar{cfg: cfg, file: file, regFile: janssen.RegistrationFile(file)}
	var err error
	if r.prev, err = janssen.LoadRegistration(r.regFile); err != nil {
		return nil, err
	}
	if r.client, err = jwks.NewClient(cfg.Janssen.CABundle); err != nil {
		return nil, inputError("janssen.ca_bundle: %v", err)
	}
	r.doc, err = jwks.FetchDiscovery(c.Context(), r.client, cfg.Janssen.DiscoveryURL, cfg.Janssen.Issuer)
	var mismatch *jwks.IssuerMismatchError
	switch {
	case errors.As(err, &mismatch):
		return nil, fmt.Errorf("refusing to %s: the discovery document at %s belongs to issuer %q, not janssen.issuer %q, "+
			"so its client would be on another server than the one whose tokens Prosody accepts; %s",
			verb, cfg.Janssen.DiscoveryURL, mismatch.Discovered, mismatch.Configured, mismatch.Fix())
	case err != nil:
		return nil, fmt.Errorf("%w; %s", err, discoveryFix(err, cfg.Janssen.DiscoveryURL,
			"janssen.discovery_url in "+file, "janssen.ca_bundle in "+file))
	}
	if r.prev != nil && r.prev.Issuer != cfg.Janssen.Issuer {
		return nil, fmt.Errorf("%s records client %s of issuer %q, not janssen.issuer %q: move it away to register a new client with this issuer",
			r.regFile, r.prev.ClientID, r.prev.Issuer, cfg.Janssen.Issuer)
	}
	return r, nil
}

// endpoint refuses a URL a credential must not go to.
func (r *registrar) endpoint(u, what string) error {
	if err := janssen.CheckEndpoint(u, r.cfg.Janssen.Issuer, r.cfg.Janssen.DiscoveryURL); err != nil {
		return fmt.Errorf("refusing to send the %s: %v; credentials go only over https to the server of janssen.issuer (or of janssen.discovery_url): check that the discovery document at %s is Janssen's",
			what, err, r.cfg.Janssen.DiscoveryURL)
	}
	return nil
}

func registerClient(c *cobra.Command, g *globals, cfg *answers.Config, file string, req janssen.ClientRequest, token string) error {
	r, err := newRegistrar(c, cfg, file, "register")
	if err != nil {
		return err
	}
	var reg *janssen.Registered
	updated := r.prev != nil
	if updated {
		if r.prev.ClientID != cfg.Janssen.ClientID {
			return fmt.Errorf("%s records client %s, but janssen.client_id is %s: set janssen.client_id back to %s to update that client, or move %s away to register a new one",
				r.regFile, r.prev.ClientID, cfg.Janssen.ClientID, r.prev.ClientID, r.regFile)
		}
		if err := r.endpoint(r.prev.RegistrationClientURI, "registration access token"); err != nil {
			return err
		}
		reg, err = janssen.Update(c.Context(), r.client, r.prev.RegistrationClientURI, r.prev.RegistrationAccessToken, r.prev.ClientID, req)
		if err != nil {
			return fmt.Errorf("%w; to register a new client instead, move %s away", err, r.regFile)
		}
	} else {
		if r.doc.RegistrationEndpoint == "" {
			return fmt.Errorf("the discovery document at %s has no registration_endpoint: dynamic registration is off; "+
				"create the client in Janssen's admin UI from `jitsi-installer janssen client` and set janssen.client_id", cfg.Janssen.DiscoveryURL)
		}
		if err := r.endpoint(r.doc.RegistrationEndpoint, "initial access token"); err != nil {
			return err
		}
		if reg, err = janssen.Register(c.Context(), r.client, r.doc.RegistrationEndpoint, token, req); err != nil {
			return err
		}
	}
	// Keep the registration first: without it the client is an orphan.
	kept := janssen.Registration{Issuer: cfg.Janssen.Issuer, ClientID: reg.ClientID,
		RegistrationClientURI: reg.RegistrationClientURI, RegistrationAccessToken: reg.RegistrationAccessToken}
	if updated {
		if kept.RegistrationClientURI == "" {
			kept.RegistrationClientURI = r.prev.RegistrationClientURI
		}
		if kept.RegistrationAccessToken == "" {
			kept.RegistrationAccessToken = r.prev.RegistrationAccessToken
		}
	}
	var warnings []string
	switch {
	case kept.RegistrationClientURI == "" || kept.RegistrationAccessToken == "":
		warnings = append(warnings, fmt.Sprintf("the provider gave no registration access token or client URI for client %s: a later --register cannot update it and makes a new client", reg.ClientID))
	case r.endpoint(kept.RegistrationClientURI, "registration access token") != nil:
		warnings = append(warnings, fmt.Sprintf("the provider's registration client URI %s is not https on the issuer's server: not kept, so a later --register makes a new client", kept.RegistrationClientURI))
	default:
		if err := janssen.SaveRegistration(r.regFile, kept); err != nil {
			return fmt.Errorf("registered client %s, but could not keep its registration: %w; set janssen.client_id to %s by hand", reg.ClientID, err, reg.ClientID)
		}
	}
	if reg.ClientID != cfg.Janssen.ClientID {
		if err := janssen.WriteClientID(file, reg.ClientID); err != nil {
			return fmt.Errorf("registered client %s, but could not record it: %w; set janssen.client_id by hand", reg.ClientID, err)
		}
		if _, err := answers.Load(file); err != nil {
			return fmt.Errorf("registered client %s and wrote it to %s, which no longer loads: %w", reg.ClientID, file, err)
		}
	}
	ignored := janssen.Ignored(req, reg.Metadata)
	for _, f := range ignored {
		w := "the provider did not keep " + f
		if why := janssen.IgnoredWarning(f); why != "" {
			w += ": " + why
		}
		warnings = append(warnings, w)
	}
	if g.output == "json" {
		return json.NewEncoder(g.stdout).Encode(map[string]any{
			"client_id": reg.ClientID, "previous_client_id": cfg.Janssen.ClientID, "updated": updated,
			"registration_endpoint": r.doc.RegistrationEndpoint, "answers_file": file,
			"registration_file": r.regFile, "ignored_fields": ignored, "warnings": warnings,
		})
	}
	for _, w := range warnings {
		fmt.Fprintf(g.stderr, "warning: %s\n", w)
	}
	if updated {
		fmt.Fprintf(g.stdout, "Updated client %s at %s.\n", reg.ClientID, r.prev.RegistrationClientURI)
	} else {
		fmt.Fprintf(g.stdout, "Registered client %s at %s.\n", reg.ClientID, r.doc.RegistrationEndpoint)
		fmt.Fprintf(g.stdout, "%s: janssen.client_id is now %s (was %q).\n", file, reg.ClientID, cfg.Janssen.ClientID)
	}
	fmt.Fprintf(g.stdout, "Next: add the UPDATE_TOKEN script (`jitsi-installer janssen client --answers %s`) to Janssen and bind it to this client.\n", file)
	return nil
}

// showClient prints what the provider holds for the registered client.
func showClient(c *cobra.Command, g *globals, cfg *answers.Config, file string) error {
	if prev, err := janssen.LoadRegistration(janssen.RegistrationFile(file)); err != nil || prev == nil {
		if err != nil {
			return err
		}
		return fmt.Errorf("no client registration is kept in %s: `janssen client --register` keeps one", janssen.RegistrationFile(file))
	}
	r, err := newRegistrar(c, cfg, file, "read the client")
	if err != nil {
		return err
	}
	if err := r.endpoint(r.prev.RegistrationClientURI, "registration access token"); err != nil {
		return err
	}
	reg, err := janssen.Read(c.Context(), r.client, r.prev.RegistrationClientURI, r.prev.RegistrationAccessToken)
	if err != nil {
		return err
	}
	if reg.RegistrationAccessToken != "" && reg.RegistrationAccessToken != r.prev.RegistrationAccessToken {
		kept := *r.prev
		kept.RegistrationAccessToken = reg.RegistrationAccessToken
		if err := janssen.SaveRegistration(r.regFile, kept); err != nil {
			return fmt.Errorf("the provider rotated the registration access token, and it could not be kept: %w", err)
		}
	}
	if g.output == "json" {
		return json.NewEncoder(g.stdout).Encode(reg.Metadata)
	}
	b, err := json.MarshalIndent(reg.Metadata, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "# Client %s as %s holds it (secrets left out):\n%s\n", reg.ClientID, r.prev.RegistrationClientURI, b)
	if reg.ClientID != cfg.Janssen.ClientID {
		fmt.Fprintf(g.stderr, "warning: janssen.client_id in %s is %s, not this client\n", file, cfg.Janssen.ClientID)
	}
	return nil
}
