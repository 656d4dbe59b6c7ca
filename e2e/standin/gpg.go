package standin

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const keyUID = "Jitsi stand-in repository (throw-away test key) <standin@jitsi-installer.invalid>"

// gpg runs gpg in a private, temporary GNUPGHOME. The signing key lives
// between builds as an exported secret key file, so no agent or keyring
// outlives a build.
type gpg struct {
	home string
}

func newGPG() (*gpg, error) {
	// A short path: gpg-agent's socket path must fit in sun_path.
	home, err := os.MkdirTemp("", "standin-gpg-")
	if err != nil {
		return nil, fmt.Errorf("gpg home: %w", err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		os.RemoveAll(home)
		return nil, fmt.Errorf("gpg home: %w", err)
	}
	return &gpg{home: home}, nil
}

// close stops the agent gpg started and removes the home.
func (g *gpg) close() {
	exec.Command("gpgconf", "--homedir", g.home, "--kill", "all").Run()
	os.RemoveAll(g.home)
}

func (g *gpg) run(ctx context.Context, args ...string) ([]byte, error) {
	full := append([]string{"--homedir", g.home, "--batch", "--no-tty",
		"--pinentry-mode", "loopback", "--passphrase", ""}, args...)
	cmd := exec.CommandContext(ctx, "gpg", full...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("gpg %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// loadKey imports the signing key kept in dir, generating it on first use,
// and returns its fingerprint.
func (g *gpg) loadKey(ctx context.Context, dir string) (string, error) {
	secret := filepath.Join(dir, "secret.asc")
	if _, err := os.Stat(secret); err == nil {
		if _, err := g.run(ctx, "--import", secret); err != nil {
			return "", err
		}
		return g.fingerprint(ctx)
	}
	if _, err := g.run(ctx, "--quick-gen-key", keyUID, "ed25519", "sign", "never"); err != nil {
		return "", err
	}
	fpr, err := g.fingerprint(ctx)
	if err != nil {
		return "", err
	}
	armored, err := g.run(ctx, "--armor", "--export-secret-keys", fpr)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("key dir: %w", err)
	}
	tmp := secret + ".tmp"
	if err := os.WriteFile(tmp, armored, 0o600); err != nil {
		return "", fmt.Errorf("save signing key: %w", err)
	}
	if err := os.Rename(tmp, secret); err != nil {
		return "", fmt.Errorf("save signing key: %w", err)
	}
	return fpr, nil
}

// fingerprint of the only secret key in the home.
func (g *gpg) fingerprint(ctx context.Context) (string, error) {
	out, err := g.run(ctx, "--with-colons", "--fingerprint", "--list-secret-keys")
	if err != nil {
		return "", err
	}
	return parseFingerprint(string(out))
}

// parseFingerprint returns the primary key's fingerprint from gpg's
// --with-colons listing.
func parseFingerprint(colons string) (string, error) {
	primary := false
	for _, line := range strings.Split(colons, "\n") {
		f := strings.Split(line, ":")
		switch {
		case f[0] == "sec" || f[0] == "pub":
			primary = true
		case f[0] == "fpr" && primary && len(f) > 9:
			return f[9], nil
		case f[0] == "ssb" || f[0] == "sub":
			primary = false
		}
	}
	return "", fmt.Errorf("no key fingerprint in gpg output")
}

// sign writes Release.gpg and InRelease next to release.
func (g *gpg) sign(ctx context.Context, fpr, release string) error {
	dir := filepath.Dir(release)
	common := []string{"--local-user", fpr, "--digest-algo", "SHA512", "--yes"}
	if _, err := g.run(ctx, append(common, "--armor", "--detach-sign",
		"--output", filepath.Join(dir, "Release.gpg"), release)...); err != nil {
		return err
	}
	_, err := g.run(ctx, append(common, "--clearsign",
		"--output", filepath.Join(dir, "InRelease"), release)...)
	return err
}

// exportPublic writes the armored public key to path.
func (g *gpg) exportPublic(ctx context.Context, fpr, path string) error {
	pub, err := g.run(ctx, "--armor", "--export", fpr)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, pub, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
