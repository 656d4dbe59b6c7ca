package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Output runs cmd and returns its stdout and exit status; a command that
// could not be run at all fails the test.
func Output(t testing.TB, cmd *exec.Cmd) ([]byte, int) {
	t.Helper()
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out, ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", cmd, err)
	}
	return out, 0
}

// FakeCommands writes each script as an executable of its name to a new
// directory and returns the environment with that directory first on PATH,
// for a command that should find the fakes instead of the real ones.
func FakeCommands(t testing.TB, scripts map[string]string) []string {
	t.Helper()
	dir := t.TempDir()
	for name, script := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
}
