// Package oidc runs a certified OpenID provider, node-oidc-provider 9, set
// up like Janssen where it can be (provider.mjs), for the end-to-end tests
// of the token doctor and client registration against a real provider.
// It listens on loopback with TLS from a CA it makes.
package oidc

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
	"github.com/jitsi-installer/jitsi-installer/internal/testca"
)

// Version is the npm version range installed.
const Version = "9"

//go:embed provider.mjs
var script []byte

// Resources the provider issues access tokens for besides the meeting
// server's: each signs in a way Prosody refuses.
const (
	ResourceRS384   = "https://rs384.example.com"
	ResourceES256   = "https://es256.example.com"
	ResourcePS256   = "https://ps256.example.com"
	ResourceRFC9068 = "https://rfc9068.example.com" // typ at+jwt
)

// Install makes sure oidc-provider is installed under dir (npm install,
// once; concurrent callers wait on a lock) and returns the path of its
// entry module.
func Install(ctx context.Context, dir string) (string, error) {
	module := filepath.Join(dir, "node_modules", "oidc-provider", "lib", "index.js")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("oidc-provider cache: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("oidc-provider cache: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock the oidc-provider cache: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if installedMajor(dir) == Version {
		return module, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("npm is not installed (Debian: apt-get install npm)")
	}
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", dir, "oidc-provider@"+Version)
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("npm install oidc-provider@%s: %v\n%s", Version, err, out)
	}
	if got := installedMajor(dir); got != Version {
		return "", fmt.Errorf("npm installed oidc-provider major version %q, want %s", got, Version)
	}
	return module, nil
}

func installedMajor(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "oidc-provider", "package.json"))
	if err != nil {
		return ""
	}
	var p struct{ Version string }
	if json.Unmarshal(b, &p) != nil {
		return ""
	}
	major, _, _ := strings.Cut(p.Version, ".")
	return major
}

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

// config is what provider.mjs reads.
type config struct {
	Module             string           `json:"module"`
	Issuer             string           `json:"issuer"`
	Port               int              `json:"port"`
	Cert               string           `json:"cert"`
	Key                string           `json:"key"`
	JWKS               []map[string]any `json:"jwks"`
	InitialAccessToken string           `json:"initialAccessToken"`
	TestClientID       string           `json:"testClientId"`
	TestClientSecret   string           `json:"testClientSecret"`
	Domain             string           `json:"domain"`
	Audience           string           `json:"audience"`
	Resource           string           `json:"resource"`
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
	port, err := loopback.FreePort()
	if err != nil {
		return fail(err)
	}
	p.Issuer = "https://127.0.0.1:" + strconv.Itoa(port)
	tf, err := testca.New("oidc-provider", "127.0.0.1", "localhost")
	if err != nil {
		return fail(err)
	}
	p.CAFile = filepath.Join(dir, "ca.pem")
	files := map[string][]byte{"ca.pem": tf.CA, "cert.pem": tf.Cert, "key.pem": tf.Key, "provider.mjs": script}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return fail(err)
		}
	}
	jwks, err := signingKeys()
	if err != nil {
		return fail(err)
	}
	cfg, _ := json.Marshal(config{
		Module: o.Module, Issuer: p.Issuer, Port: port,
		Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem"),
		JWKS: jwks, InitialAccessToken: p.InitialAccessToken,
		TestClientID: p.clientID, TestClientSecret: p.clientSecret,
		Domain: o.Domain, Audience: o.Audience, Resource: p.Resource,
	})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o600); err != nil {
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
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(tf.CA)
	p.client = &http.Client{Timeout: 15 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
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

// Discovery is the provider's discovery document URL.
func (p *Provider) Discovery() string { return p.Issuer + "/.well-known/openid-configuration" }

// Token gets an access token for resource with the client_credentials
// grant of the provider's confidential test client.
func (p *Provider) Token(ctx context.Context, resource string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {"meet"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Issuer+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(p.clientID, p.clientSecret)
	resp, err := p.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		return "", fmt.Errorf("token request for %s: %d %s %s", resource, resp.StatusCode, body.Error, body.Description)
	}
	return body.AccessToken, nil
}

// Clients are the ids of the clients registered dynamically.
func (p *Provider) Clients(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Issuer+"/_test/clients", nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var ids []string
	if err := json.NewDecoder(resp.Body).Decode(&ids); err != nil {
		return nil, fmt.Errorf("clients: %w", err)
	}
	return ids, nil
}

// signingKeys are the provider's private JWKs, as Janssen has them: RSA
// and EC signing keys and an RSA encryption key, each with a kid.
func signingKeys() ([]map[string]any, error) {
	var keys []map[string]any
	for _, k := range []struct{ kid, use, kty string }{
		{"rsa-sig-1", "sig", "RSA"}, {"ec-sig-1", "sig", "EC"}, {"rsa-enc-1", "enc", "RSA"},
	} {
		var priv crypto.Signer
		var err error
		if k.kty == "RSA" {
			priv, err = rsa.GenerateKey(rand.Reader, 2048)
		} else {
			priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		if err != nil {
			return nil, fmt.Errorf("generate key: %w", err)
		}
		keys = append(keys, privateJWK(priv, k.kid, k.use))
	}
	return keys, nil
}

func privateJWK(priv crypto.Signer, kid, use string) map[string]any {
	b := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.Bytes()) }
	j := map[string]any{"kid": kid, "use": use}
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		k.Precompute()
		j["kty"], j["n"], j["e"], j["d"] = "RSA", b(k.N), b(big.NewInt(int64(k.E))), b(k.D)
		j["p"], j["q"], j["dp"], j["dq"], j["qi"] = b(k.Primes[0]), b(k.Primes[1]), b(k.Precomputed.Dp), b(k.Precomputed.Dq), b(k.Precomputed.Qinv)
	case *ecdsa.PrivateKey:
		enc := base64.RawURLEncoding.EncodeToString
		pt, _ := k.PublicKey.Bytes() // 0x04 || X || Y, 32 bytes each on P-256
		d, _ := k.Bytes()
		j["kty"], j["crv"], j["x"], j["y"], j["d"] = "EC", "P-256", enc(pt[1:33]), enc(pt[33:]), enc(d)
	}
	return j
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
