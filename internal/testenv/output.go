package testenv

import (
	"errors"
	"os/exec"
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
