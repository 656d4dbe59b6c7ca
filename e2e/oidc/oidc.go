// Package oidc runs a certified OpenID provider, node-oidc-provider 9, set
// up like Janssen where it can be (provider.mjs), for the end-to-end tests
// of the token doctor and client registration against a real provider.
// It listens on loopback with TLS from a CA it makes.
package oidc

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"

	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// Options set up a provider.
type Options struct {
	Module   string // oidc-provider's entry module, from Install
	Domain   string // the meeting domain: the sub of the meeting server's tokens
	Audience string // their aud
	// WebClient, when set, registers the web app's public client with this
	// id (redirect URI https://DOMAIN/static/sso.html) and turns on the
	// provider's own login and consent pages.
	WebClient string
	// CORSOrigins the token endpoint answers browsers from: "*" (nil, the
	// default, as Janssen's corsAllowedOrigins) or a list of origins.
	CORSOrigins []string
	// Host is the address it listens on and names in its issuer:
	// 127.0.0.1 when empty; a sandbox target's HostAddress for the target
	// to reach it.
	Host string
	Log  io.Writer
}

// Provider is a running oidc-provider.
type Provider struct {
	// Issuer is https://HOST:PORT; the discovery document is at
	// Issuer/.well-known/openid-configuration, not under /jans-auth.
	Issuer string
	// CAFile is the PEM file of the CA of its TLS certificate.
	CAFile string
	// InitialAccessToken is what dynamic registration requires. A secret.
	InitialAccessToken string
	// Resource is the meeting server's resource indicator.
	Resource string

	clientID, clientSecret string
	client                 *http.Client
	cmd                    *exec.Cmd
	done                   chan error
	dir                    string
}

// Start runs a provider on a free port until Stop.
func Start(ctx context.Context, o Options) (*Provider, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not installed (Debian: apt-get install nodejs)")
	}
	dir, err := os.MkdirTemp("", "oidc-provider-")
	if err != nil {
		return nil, err
	}
	p := &Provider{dir: dir, InitialAccessToken: randomHex(24), Resource: "https://" + o.Domain,
		clientID: "jitsi-oidc-test", clientSecret: randomHex(24)}
	fail := func(err error) (*Provider, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := p.setUp(o); err != nil {
		return fail(err)
	}
	if err := p.launch(ctx, node, o.Log); err != nil {
		return fail(err)
	}
	if p.client, err = jwks.NewClient(p.CAFile); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}
