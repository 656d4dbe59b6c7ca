package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// Version is the npm version range installed.
const Version = "9"

// CacheDir is where Install keeps the npm install between runs:
// $JITSI_E2E_CACHE/oidc-provider-9, else under the user's cache directory.
func CacheDir() string {
	if d := os.Getenv("JITSI_E2E_CACHE"); d != "" {
		return filepath.Join(d, "oidc-provider-"+Version)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "jitsi-installer-e2e", "oidc-provider-"+Version)
}

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
