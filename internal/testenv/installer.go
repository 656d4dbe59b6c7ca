package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

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
