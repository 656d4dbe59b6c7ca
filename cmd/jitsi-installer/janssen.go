package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/janssen"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

func newJanssen(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "janssen", Short: "What Janssen needs for this meeting server"}
	c.AddCommand(newJanssenClient(g))
	return c
}

func newJanssenClient(g *globals) *cobra.Command {
	var file, initialToken string
	var register bool
	c := &cobra.Command{
		Use:   "client --answers FILE [--register [--initial-token -|${env:NAME}]]",
		Short: "Print, or register, the OpenID client and UPDATE_TOKEN script for this server",
		Long: `Client prints what Janssen needs for the meeting server of the answers file:
the dynamic client registration request of the web app's OpenID client
(redirect URI https://DOMAIN/static/sso.html, public client with PKCE, access
tokens as RS256 JWTs), and the UPDATE_TOKEN script that adds the room, sub,
aud and context.user claims Jitsi checks. Nothing is sent anywhere.

With --register it posts the request to the registration endpoint of
Janssen's discovery document and writes the client id Janssen returns into the
answers file's janssen.client_id, changing nothing else in the file. The
initial access token, when Janssen requires one, is a secret: pass - to read it
from standard input, or ${env:NAME}; it is never printed.`,
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
			cfg, err := answers.Load(file)
			if err != nil {
				return err
			}
			req := janssen.NewClientRequest(cfg.Domain)
			if !register {
				script := janssen.UpdateTokenScript(janssen.ScriptParams{Domain: cfg.Domain, Audience: cfg.Janssen.Audience})
				return printClient(g, req, script)
			}
			token, err := readSecretFlag("--initial-token", initialToken, g.stdin)
			if err != nil {
				return err
			}
			return registerClient(c, g, cfg, file, req, token)
		},
	}
	c.Flags().StringVarP(&file, "answers", "a", "", "answers file")
	c.Flags().BoolVar(&register, "register", false, "register the client with Janssen and write its id into the answers file")
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

var envRef = regexp.MustCompile(`^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$`)

// readSecretFlag resolves a secret given as "-" (first line of standard
// input) or ${env:NAME}. A literal value is refused: it would sit in the
// process list and the shell history.
func readSecretFlag(name, value string, stdin io.Reader) (string, error) {
	switch m := envRef.FindStringSubmatch(value); {
	case value == "":
		return "", nil
	case value == "-":
		line, err := bufio.NewReader(io.LimitReader(stdin, 64<<10)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", inputError("%s: read standard input: %v", name, err)
		}
		if line = strings.TrimSpace(line); line == "" {
			return "", inputError("%s: nothing on standard input", name)
		}
		return line, nil
	case m != nil:
		v, ok := os.LookupEnv(m[1])
		if !ok || strings.TrimSpace(v) == "" {
			return "", inputError("%s: environment variable %s is not set", name, m[1])
		}
		return strings.TrimSpace(v), nil
	}
	return "", inputError("%s: pass - to read it from standard input, or ${env:NAME}; a secret on the command line shows in the process list and shell history", name)
}

func registerClient(c *cobra.Command, g *globals, cfg *answers.Config, file string, req janssen.ClientRequest, token string) error {
	client, err := jwks.NewClient(cfg.Janssen.CABundle)
	if err != nil {
		return inputError("janssen.ca_bundle: %v", err)
	}
	d, err := jwks.FetchDiscovery(c.Context(), client, cfg.Janssen.DiscoveryURL, cfg.Janssen.Issuer)
	var mismatch *jwks.IssuerMismatchError
	switch {
	case errors.As(err, &mismatch):
		// Registration works regardless; tokens will not until this is fixed.
		fmt.Fprintf(g.stderr, "warning: %v\n", mismatch)
	case err != nil:
		return err
	}
	if d.RegistrationEndpoint == "" {
		return fmt.Errorf("Janssen's discovery document at %s has no registration_endpoint: dynamic registration is off; "+
			"create the client in Janssen's admin UI from `jitsi-installer janssen client` and set janssen.client_id", cfg.Janssen.DiscoveryURL)
	}
	reg, err := janssen.Register(c.Context(), client, d.RegistrationEndpoint, token, req)
	if err != nil {
		return err
	}
	if err := janssen.WriteClientID(file, reg.ClientID); err != nil {
		return fmt.Errorf("registered client %s, but could not record it: %w; set janssen.client_id by hand", reg.ClientID, err)
	}
	if _, err := answers.Load(file); err != nil {
		return fmt.Errorf("registered client %s and wrote it to %s, which no longer loads: %w", reg.ClientID, file, err)
	}
	if g.output == "json" {
		return json.NewEncoder(g.stdout).Encode(map[string]string{
			"client_id": reg.ClientID, "previous_client_id": cfg.Janssen.ClientID,
			"registration_endpoint": d.RegistrationEndpoint, "answers_file": file,
		})
	}
	fmt.Fprintf(g.stdout, "Registered client %s at %s.\n", reg.ClientID, d.RegistrationEndpoint)
	fmt.Fprintf(g.stdout, "%s: janssen.client_id is now %s (was %q).\n", file, reg.ClientID, cfg.Janssen.ClientID)
	fmt.Fprintf(g.stdout, "Next: add the UPDATE_TOKEN script (`jitsi-installer janssen client --answers %s`) to Janssen and bind it to this client.\n", file)
	return nil
}
