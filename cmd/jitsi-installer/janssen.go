package main

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/janssen"
)

func newJanssenClient(g *globals) *cobra.Command {
	var file, initialToken string
	var register, show bool
	c := &cobra.Command{
		Use:   "client --answers FILE [--register [--initial-token -|${env:NAME}] | --show]",
		Short: "Print, or register, the OpenID client and UPDATE_TOKEN script for this server",
		Long: `Client prints what Janssen needs for the meeting server of the answers file:
the dynamic client registration request of the web app's OpenID client
(redirect URI https://DOMAIN/static/sso.html, sign-out back to
https://DOMAIN/static/logout.html, public client with PKCE, access tokens as
RS256 JWTs), and the UPDATE_TOKEN script that adds the room, sub, aud and
context.user claims Jitsi checks. Nothing is sent anywhere.

With --register it posts the request to the registration endpoint of
Janssen's discovery document and writes the client id Janssen returns into
the answers file's janssen.client_id, changing nothing else in the file. It
keeps the registration access token and client URI Janssen answers with in
FILE's sibling NAME.janssen-client.json (mode 0600), and a later --register
updates that same client (RFC 7592) instead of making another. --show prints
what Janssen holds for it. It says which fields of the request the provider
did not keep.

Credentials go only over https to the issuer's server (or the server of
janssen.discovery_url): a discovery document naming a registration endpoint
elsewhere, or over http, is refused before anything is sent, and so is a
discovery document whose issuer is not janssen.issuer. The initial access
token, when Janssen requires one, is a secret: pass - to read it from
standard input, or ${env:NAME}; it is never printed.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			if file == "" {
				return inputError("--answers is required")
			}
			if initialToken != "" && !register {
				return inputError("--initial-token goes with --register")
			}
			if register && show {
				return inputError("--register and --show exclude each other")
			}
			cfg, err := answers.Load(file)
			if err != nil {
				return err
			}
			req := janssen.NewClientRequest(cfg.Domain)
			switch {
			case show:
				return showClient(c, g, cfg, file)
			case !register:
				script := janssen.UpdateTokenScript(janssen.ScriptParams{
					Domain: cfg.Domain, Audience: cfg.Janssen.Audience, ClientIDs: scriptClients(cfg.Janssen),
				})
				return printClient(g, req, script)
			}
			token, err := readSecretFlag("--initial-token", initialToken, g.stdin)
			if err != nil {
				return err
			}
			return registerClient(c, g, cfg, file, req, token)
		},
	}
	answersFlag(c, &file)
	c.Flags().BoolVar(&register, "register", false, "register the client with Janssen (or update the one registered before) and write its id into the answers file")
	c.Flags().BoolVar(&show, "show", false, "print what Janssen holds for the client registered before")
	c.Flags().StringVar(&initialToken, "initial-token", "", "Janssen's initial access token for registration: - (standard input) or ${env:NAME}")
	return c
}

func printClient(g *globals, req janssen.ClientRequest, script []byte) error {
	if g.output == "json" {
		return json.NewEncoder(g.stdout).Encode(struct {
			Request janssen.ClientRequest `json:"registration_request"`
			Script  string                `json:"update_token_script"`
		}{req, string(script)})
	}
	var b strings.Builder
	b.WriteString("# OpenID client: dynamic client registration request (RFC 7591), to POST to\n")
	b.WriteString("# the registration_endpoint of Janssen's discovery document, or to enter in\n")
	b.WriteString("# Janssen's admin UI. `janssen client --register` does it for you.\n")
	b.Write(req.JSON())
	b.WriteString("\n# UPDATE_TOKEN script: add it to Janssen (custom script, type UPDATE_TOKEN,\n")
	b.WriteString("# Jython) and bind it to the client above.\n")
	b.Write(script)
	_, err := io.WriteString(g.stdout, b.String())
	return err
}

// scriptClients are the clients the UPDATE_TOKEN script acts for: the web
// app's and, when there is one, verify's test client.
func scriptClients(j answers.Janssen) []string {
	ids := []string{j.ClientID}
	if j.TestClient.ClientID != "" && j.TestClient.ClientID != j.ClientID {
		ids = append(ids, j.TestClient.ClientID)
	}
	return ids
}
