package sandbox

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/jitsi-installer/jitsi-installer/e2e/standin"
	"github.com/jitsi-installer/jitsi-installer/internal/janssentest"
)

// testClientID is the confidential Janssen client the answers file names
// for verify; its secret is in janssen/client_secret.
const testClientID = "sandbox-test"

// startServices serves the stand-in Jitsi repository and the Janssen
// stand-in on the host side of t's veth, and returns the repository's
// handler for the apt proxy to serve as well.
func startServices(ctx context.Context, t *Target, s *servers, d *daemonInfo) (http.Handler, error) {
	host := t.HostAddress
	// One repository for all targets of the same stand-in sources: built
	// once, signed with one key. Other sources (another checkout's run on
	// this machine) build their own beside it, never over it while its
	// targets install from it.
	hash, err := standin.SourceHash()
	if err != nil {
		return nil, err
	}
	repo, err := standin.BuildRepo(ctx, filepath.Join(cacheDir(), "standin-"+hash[:16]))
	if err != nil {
		return nil, fmt.Errorf("build the stand-in Jitsi repository: %w", err)
	}
	files := http.FileServer(http.Dir(repo.Dir))
	base := fmt.Sprintf("http://%s/", net.JoinHostPort(host, strconv.Itoa(repoPort)))
	if err := s.serve(net.JoinHostPort(host, strconv.Itoa(repoPort)), files); err != nil {
		return nil, err
	}
	d.RepoURL, d.RepoSuite, d.RepoFingerprint = base, repo.Suite, repo.Fingerprint
	d.RepoKeyURL = base + filepath.Base(repo.KeyPath)

	// Its issuer is https://janssen.NAME.sandbox.test:8443, a name the
	// target and this machine resolve (see JanssenHost); the certificate
	// names the address too.
	jans, err := janssentest.New([]string{JanssenHost(t.Name), host}, janssenPort)
	if err != nil {
		return nil, fmt.Errorf("janssen stand-in: %w", err)
	}
	dir := t.path("janssen")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("janssen dir: %w", err)
	}
	d.JanssenCA = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(d.JanssenCA, jans.CAPEM(), 0o644); err != nil {
		return nil, fmt.Errorf("write janssen CA: %w", err)
	}
	secret := randomHex(24)
	d.JanssenClientID, d.JanssenSecret = testClientID, filepath.Join(dir, "client_secret")
	if err := os.WriteFile(d.JanssenSecret, []byte(secret), 0o600); err != nil {
		return nil, fmt.Errorf("write janssen client secret: %w", err)
	}
	// The claims a Jitsi token carries, so verify can use this client's
	// token against Prosody.
	jans.AddClient(testClientID, secret, map[string]any{
		"aud":  "jitsi",
		"sub":  t.Domain,
		"room": "*",
		"context": map[string]any{
			"user": map[string]any{"id": testClientID, "name": "Sandbox Test", "moderator": true},
		},
	})
	if err := registerWebClient(jans, t, dir, d); err != nil {
		return nil, err
	}
	l, err := listen(net.JoinHostPort(host, strconv.Itoa(janssenPort)))
	if err != nil {
		return nil, err
	}
	s.run(l, func() error { return jans.Serve(l) })
	d.JanssenIssuer, d.JanssenHost = jans.Issuer(), JanssenHost(t.Name)

	// The admin API mints tokens and rotates keys: loopback only.
	al, err := listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	admin := &http.Server{Handler: jans.AdminHandler(), ErrorLog: s.log}
	s.run(admin, func() error { return admin.Serve(al) })
	d.JanssenAdmin = "http://" + al.Addr().String()
	return files, nil
}
