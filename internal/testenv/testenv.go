// Package testenv holds what the end-to-end tests ask of the host they run
// on: root, installed tools and a freshly built installer. A test whose
// prerequisite is missing skips, except under CI=true, where it fails: a
// skipped test would look green.
package testenv

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// RunWithInstaller builds the installer, sets *bin to the binary, runs the
// tests and removes the binary; it returns the exit code for TestMain.
func RunWithInstaller(m *testing.M, bin *string) int {
	dir, err := os.MkdirTemp("", "jitsi-installer-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "build the installer:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	*bin = filepath.Join(dir, "jitsi-installer")
	build := exec.Command("go", "build", "-o", *bin, "github.com/jitsi-installer/jitsi-installer/cmd/jitsi-installer")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the installer:", err)
		return 1
	}
	return m.Run()
}

// Log is a writer into t's log, for the output of the processes and
// targets a test starts: a write is one log entry, without its trailing
// newlines.
func Log(t testing.TB) io.Writer { return logWriter{t} }

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
