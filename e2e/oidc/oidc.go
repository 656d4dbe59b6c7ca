// Package oidc runs a certified OpenID provider, node-oidc-provider 9, set
// up like Janssen where it can be (provider.mjs), for the end-to-end tests
// of the token doctor and client registration against a real provider.
// It listens on loopback with TLS from a CA it makes.
package oidc

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// Options set up a provider.
type Options struct {
	Module   string // oidc-provider's entry module, from Install
	Domain   string // the meeting domain: the sub of the meeting server's tokens
	Audience string // their aud
	Log      io.Writer
}

// Provider is a running oidc-provider.
type Provider struct {
	// Issuer is https://127.0.0.1:PORT; the discovery document is at
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

// Start runs a provider on a free loopback port until Stop.
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
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	p.cmd = exec.Command(node, filepath.Join(dir, "provider.mjs"), filepath.Join(dir, "config.json"))
	// Node prints a failing key in full: keep standard error in a file and
	// pass on only its error lines.
	errFile, err := os.OpenFile(filepath.Join(dir, "stderr.log"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fail(err)
	}
	defer errFile.Close()
	p.cmd.Stderr = errFile
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if err := p.cmd.Start(); err != nil {
		return fail(fmt.Errorf("start oidc-provider: %w", err))
	}
	p.done = make(chan error, 1)
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "listening" {
				ready <- true
			}
			fmt.Fprintln(log, sc.Text())
		}
	}()
	go func() { p.done <- p.cmd.Wait() }()
	select {
	case <-ready:
	case err := <-p.done:
		msg := errorLines(filepath.Join(dir, "stderr.log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("oidc-provider exited before listening: %v: %s", err, msg)
	case <-time.After(30 * time.Second):
		p.Stop()
		return nil, errors.New("oidc-provider did not listen within 30s")
	case <-ctx.Done():
		p.Stop()
		return nil, ctx.Err()
	}
	if p.client, err = jwks.NewClient(p.CAFile); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// errorLines are the lines of a Node error output that say what failed,
// without the values Node prints with them (keys, tokens).
func errorLines(path string) string {
	b, _ := os.ReadFile(path)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Error") || strings.Contains(l, "WARNING") || strings.HasPrefix(l, "server_error") || strings.HasPrefix(l, "SyntaxError") || strings.HasPrefix(l, "TypeError") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

// Errors are the error lines the provider printed so far.
func (p *Provider) Errors() string { return errorLines(filepath.Join(p.dir, "stderr.log")) }

// Stop ends the provider and removes its files.
func (p *Provider) Stop() {
	if p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	os.RemoveAll(p.dir)
}
