package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// HostPackages are the Debian packages the harness runs on this machine.
var HostPackages = []string{"mmdebstrap", "systemd-container", "pebble", "gnupg", "gpgv", "dpkg-dev", "apt-utils", "openssh-client", "iproute2"}

// EnsureHost installs whichever of pkgs (HostPackages when none are given) is
// missing, updating the package lists only when something is.
func EnsureHost(ctx context.Context, log io.Writer, pkgs ...string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("sandbox targets need root (systemd-nspawn, mounts, veths)")
	}
	if len(pkgs) == 0 {
		pkgs = HostPackages
	}
	if len(missingPackages(ctx, pkgs)) == 0 {
		return nil
	}
	// Parallel ups would otherwise fight over dpkg's lock.
	unlock, err := lock(filepath.Join(Dir(), "host.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	missing := missingPackages(ctx, pkgs)
	if len(missing) == 0 {
		return nil
	}
	logf(log, "installing host packages: %s", strings.Join(missing, " "))
	if err := run(ctx, nil, "apt-get", "update", "-q"); err != nil {
		return err
	}
	args := append([]string{"install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300"}, missing...)
	return run(ctx, []string{"DEBIAN_FRONTEND=noninteractive"}, "apt-get", args...)
}

func missingPackages(ctx context.Context, pkgs []string) []string {
	var missing []string
	for _, p := range pkgs {
		out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${db:Status-Status}", p).Output()
		if err != nil || strings.TrimSpace(string(out)) != "installed" {
			missing = append(missing, p)
		}
	}
	return missing
}

// run runs a command and puts its output into the error when it fails.
func run(ctx context.Context, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, tail(out.String(), 2000))
	}
	return nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}
