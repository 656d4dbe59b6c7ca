// Package testenv holds what the end-to-end tests ask of the host they run
// on: root, installed tools, a freshly built installer and a log for what
// they start. A test whose prerequisite is missing skips, except under
// CI=true, where it fails: a skipped test would look green.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Skip skips t for why, or fails it under CI=true.
func Skip(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: the test must run, not skip)", why)
	}
	t.Skip(why)
}

// Root skips t (fails it under CI=true) unless it runs as root.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root (systemd-nspawn targets, overlay mounts, chroot): run the end-to-end tests as root")
	}
}

// Tools skips t (fails it under CI=true) when one of tools is not on PATH;
// hint says how to install them.
func Tools(t testing.TB, hint string, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			Skip(t, fmt.Sprintf("%s is not installed (%s)", tool, hint))
		}
	}
}
