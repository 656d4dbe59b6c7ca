package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// includes is what is added to minbase: enough for systemd as PID 1,
// SSH, sudo and fetching keys.
var includes = []string{"openssh-server", "systemd", "systemd-sysv", "dbus", "iproute2", "ca-certificates", "gnupg", "sudo", "curl"}

// rootfsRecipe changes whenever prepareRootfs does, so old caches are not reused.
const rootfsRecipe = "4"

// rootfsPath is the cache entry for suite, keyed by everything that shapes it.
func rootfsPath(suite string) string {
	d := distroOf(suite)
	h := sha256.Sum256([]byte(strings.Join([]string{suite, d.mirror, rootfsRecipe, strings.Join(d.includes(), ",")}, "\n")))
	return filepath.Join(cacheDir(), "rootfs-"+suite+"-"+hex.EncodeToString(h[:])[:12])
}

// EnsureRootfs returns the cached root file system for suite, building it the
// first time. Parallel callers wait for one build; a build is made in a
// temporary directory and renamed into place, so a killed build leaves no
// half-made cache entry.
func EnsureRootfs(ctx context.Context, suite string, log io.Writer) (string, error) {
	path := rootfsPath(suite)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	unlock, err := lock(path + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	// Leftovers of a killed build of this entry; we hold its lock.
	old, _ := filepath.Glob(filepath.Join(cacheDir(), ".tmp-"+filepath.Base(path)+"-*"))
	for _, o := range old {
		if err := removeAll(o); err != nil {
			return "", err
		}
	}
	tmp, err := os.MkdirTemp(cacheDir(), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return "", fmt.Errorf("build rootfs %s: %w", suite, err)
	}
	logf(log, "building the %s root file system (once; cached in %s)", suite, path)
	start := time.Now()
	// mmdebstrap, not debootstrap: it builds the same minbase system about
	// three times faster (apt's parallel downloads, dpkg without fsync).
	// force-unsafe-io stays in the targets' dpkg configuration: a throw-away
	// host needs no crash safety, and installs in tests get faster.
	d := distroOf(suite)
	args := []string{"--variant=minbase", "--include=" + strings.Join(d.includes(), ","), "--dpkgopt=force-unsafe-io"}
	if d.ubuntu {
		// The host trusts Debian's keys only; Ubuntu's are passed in,
		// never a skipped signature check.
		keyring, err := ubuntuKeyring(ctx)
		if err != nil {
			removeAll(tmp)
			return "", err
		}
		args = append(args, "--keyring="+keyring)
	}
	cmd := exec.CommandContext(ctx, "mmdebstrap", append(args, suite, tmp, d.mirror)...)
	out, err := os.Create(tmp + ".log")
	if err != nil {
		return "", fmt.Errorf("build rootfs %s: %w", suite, err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		removeAll(tmp)
		return "", fmt.Errorf("mmdebstrap %s: %w (log: %s)", suite, err, tmp+".log")
	}
	if err := prepareRootfs(tmp, suite); err != nil {
		removeAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		removeAll(tmp)
		return "", fmt.Errorf("build rootfs %s: %w", suite, err)
	}
	os.Rename(tmp+".log", path+".log")
	logf(log, "built the %s root file system in %s", suite, time.Since(start).Round(time.Second))
	return path, nil
}

// prepareRootfs makes what every target shares; per-target identity (machine
// id, host keys, hostname) is written into each overlay instead.
func prepareRootfs(root, suite string) error {
	// MkdirTemp made it 0700; non-root users must be able to walk /.
	if err := os.Chmod(root, 0o755); err != nil {
		return fmt.Errorf("prepare rootfs: %w", err)
	}
	keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*"))
	for _, k := range keys {
		if err := os.Remove(k); err != nil {
			return fmt.Errorf("prepare rootfs: %w", err)
		}
	}
	debs, _ := filepath.Glob(filepath.Join(root, "var/cache/apt/archives/*.deb"))
	for _, d := range debs {
		os.Remove(d)
	}
	files := map[string]string{
		"etc/ssh/sshd_config.d/sandbox.conf": "# Each target gets its own key, written before boot.\nHostKey /etc/ssh/ssh_host_ed25519_key\n",
		"etc/machine-id":                     "",
		// No DNS beyond the veth; apt reaches the mirrors through the proxy.
		"etc/resolv.conf": "",
	}
	maps.Copy(files, distroOf(suite).sources(suite))
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("prepare rootfs: %w", err)
		}
		os.Remove(p) // resolv.conf may be a symlink out of the tree
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return fmt.Errorf("prepare rootfs: %w", err)
		}
	}
	return nil
}
