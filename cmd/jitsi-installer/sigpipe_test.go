package main

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// TestMain lets a test run this binary as the command itself.
func TestMain(m *testing.M) {
	if os.Getenv("JITSI_INSTALLER_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// Output into a pipe nobody reads any more (tee stopped by the same Ctrl+C)
// does not kill the command: it goes on to its own end and exit code.
func TestBrokenPipeDoesNotKill(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	cmd := exec.Command(os.Args[0], "version")
	cmd.Env = append(os.Environ(), "JITSI_INSTALLER_TEST_MAIN=1")
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("killed by %v writing to a closed pipe", ws.Signal())
		}
	}
	if err != nil {
		t.Fatalf("version with a closed stdout: %v", err)
	}
}
