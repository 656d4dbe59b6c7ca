package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
	"github.com/jitsi-installer/jitsi-installer/workflow/workflowtest"
)

// Without a terminal to ask on and without --yes, install, repair and
// rollback refuse before any host is contacted: exit 3, pointing at --yes.
func TestNoTerminalNoYesRefusesBeforeContact(t *testing.T) {
	t.Setenv("TEST_APP_SECRET", "app-secret-never-shown-42")
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
	// A wrong answers file is said first: it is what to mend first.
	bad := write(t, "bad.yaml", strings.Replace(answersFor(srv.Host(), srv.Port(), keyFile, srv.PinnedHostKey()), keyFile, keyFile+".missing", 1))
	code, out, errOut := cli(t, "install", "--answers", bad)
	if code != exitInput || !strings.Contains(errOut, "hosts[0].key_file") || strings.Contains(errOut, "pass --yes") {
		t.Errorf("install with a missing key_file and no terminal: exit %d\n%s%s", code, out, errOut)
	}
}

// With stdout and stderr piped (install 2>&1 | tee) the question is still
// asked, and answered on the terminal on stdin.
func TestConfirmAsksWithStdoutPiped(t *testing.T) {
	for _, tc := range []struct {
		answer string
		want   bool
	}{{"y", true}, {"yes", true}, {"n", false}, {"", false}} {
		ptm, pts := openPTY(t)
		if _, err := fmt.Fprintln(ptm, tc.answer); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		g := &globals{stdin: pts, stdout: &out, stderr: &out}
		ok, err := g.confirm("Apply 45 changes on 1 host?")
		if err != nil || ok != tc.want {
			t.Errorf("answer %q: %v, %v; want %v", tc.answer, ok, err, tc.want)
		}
		if out.String() != "Apply 45 changes on 1 host? [y/N] " {
			t.Errorf("asked %q", out.String())
		}
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

// The confirmation counts what it confirms.
func TestConfirmationSaysTheTotals(t *testing.T) {
	h := workflowtest.NewInterrupted(t, true) // the next run owes one restart
	run := h.Run(nil)
	p := run.Engine.Plan(t.Context(), run.Targets)
	defer p.Close()
	if got, want := totals("Apply", p), "Apply 1 change on 1 host?"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// A run that converged the host ends with where the meetings are; a dry
// run does not.
func TestRunEndsWithTheMeetingURL(t *testing.T) {
	for _, dryRun := range []bool{true, false} {
		h := workflowtest.NewInterrupted(t, true)
		var out bytes.Buffer
		s := &session{g: &globals{stdout: &out, stderr: &out, output: "text"}, cfg: &answers.Config{Domain: "meet.example.com"},
			run: h.Run(nil), closeLog: func() {}}
		if err := s.converge(t.Context(), true, dryRun, false, "Apply"); err != nil {
			t.Fatalf("dry run %v: %v\n%s", dryRun, err, out.String())
		}
		const ready = "Jitsi Meet is ready: https://meet.example.com/\n"
		if got := strings.HasSuffix(out.String(), ready); got == dryRun {
			t.Errorf("dry run %v: ends with %q: %v\n%s", dryRun, ready, got, out.String())
		}
	}
}

// Ctrl+C (the command's context cancelled) ends the run as stopped: exit
// 130 and the words that say the journal has it, not "context canceled".
func TestStoppedRunExits130(t *testing.T) {
	h := workflowtest.NewInterrupted(t, true)
	var out bytes.Buffer
	s := &session{g: &globals{stdout: &out, stderr: &out, output: "text"}, cfg: &answers.Config{Domain: "meet.example.com"},
		run: h.Run(nil), closeLog: func() {}}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.converge(ctx, true, false, false, "Apply")
	if code := exitCode(err); code != exitStopped || !strings.Contains(err.Error(), "stopped by the operator") || strings.Contains(err.Error(), "context canceled") {
		t.Errorf("exit %d: %v", code, err)
	}
	if strings.Contains(out.String(), "is ready") {
		t.Errorf("a stopped run says the meeting is ready:\n%s", out.String())
	}
}
