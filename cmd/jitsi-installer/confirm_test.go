package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// Without a terminal to ask on and without --yes, install, repair and
// rollback refuse before any host is contacted: exit 3, pointing at --yes.
func TestNoTerminalNoYesRefusesBeforeContact(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	keyFile, _ := sshtest.NewKeyFile(t, "")
	file := write(t, "a.yaml", answersFor(srv.Host(), srv.Port(), keyFile, srv.PinnedHostKey()))
	for _, args := range [][]string{
		{"install", "--answers", file},
		{"repair", "--answers", file},
		{"rollback", "--answers", file, "20261201T020304Z-a1b2c3"},
	} {
		code, out, errOut := cli(t, args...)
		if code != exitInput {
			t.Errorf("%v: exit %d, want 3\n%s%s", args, code, out, errOut)
		}
		if !strings.Contains(errOut, "pass --yes") {
			t.Errorf("%v: no hint to pass --yes:\n%s", args, errOut)
		}
	}
	if srv.Conns() != 0 {
		t.Errorf("the host was contacted %d times", srv.Conns())
	}
}

// With stdout piped (| tee) the question is still asked on the terminal
// on stdin, after the plan.
func TestConfirmAsksWithStdoutPiped(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Skip(t, "the test SSH server runs the plan's probes on this machine as the current user; they need root")
	}
	srv := sshtest.Start(t, sshtest.Options{})
	keyFile, signer := sshtest.NewKeyFile(t, "")
	srv.AuthorizedKey(signer.PublicKey())
	t.Setenv("TEST_APP_SECRET", "app-secret-never-shown-42")
	file := write(t, "a.yaml", answersFor(srv.Host(), srv.Port(), keyFile, srv.PinnedHostKey()))

	ptm, pts := openPTY(t)
	if _, err := fmt.Fprintln(ptm, "n"); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"install", "--answers", file}, pts, &out, &errb)
	if code != exitFailed || !strings.Contains(errb.String(), "[y/N]") || !strings.Contains(errb.String(), "not applied") {
		t.Fatalf("exit %d, want 1 after asking and hearing no\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
}

// openPTY opens a pseudo-terminal: its controller and the terminal side.
func openPTY(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testenv.Skip(t, "no pseudo-terminals here: "+err.Error())
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	return ptm, pts
}
