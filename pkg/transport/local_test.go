package transport

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

func TestLocalRun(t *testing.T) {
	l := NewLocal()
	res := mustRun(t, l, Cmd{
		Args:  []string{"sh", "-c", `cat; printf '|%s' "$1" "$GREETING"; echo oops >&2; exit 4`, "sh", "it's $(here)"},
		Env:   map[string]string{"GREETING": "hello world"},
		Stdin: []byte("in\n"),
	})
	if want := "in\n|it's $(here)|hello world"; string(res.Stdout) != want || string(res.Stderr) != "oops\n" || res.ExitCode != 4 {
		t.Errorf("got %q %q %d, want %q \"oops\\n\" 4", res.Stdout, res.Stderr, res.ExitCode, want)
	}
	if l.Host() != "local" || l.RoundTrips() != 1 {
		t.Errorf("Host %q, RoundTrips %d; want local, 1", l.Host(), l.RoundTrips())
	}
}

func TestLocalWriteFile(t *testing.T) {
	needRoot(t, "writes files owned by other users")
	testWriteFile(t, NewLocal())
}

func TestLocalSudoWhenRootRunsDirectly(t *testing.T) {
	needRoot(t, "checks that root runs commands without sudo")
	dir := t.TempDir()
	called := filepath.Join(dir, "called")
	script := "#!/bin/sh\ntouch " + Quote(called) + "\nexit 99\n"
	if err := os.WriteFile(filepath.Join(dir, "sudo"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	res := mustRun(t, NewLocal(), Cmd{Args: []string{"id", "-u"}, Sudo: true})
	if string(res.Stdout) != "0\n" {
		t.Errorf("id -u printed %q, want 0", res.Stdout)
	}
	if _, err := os.Stat(called); err == nil {
		t.Error("sudo was called although the process is root")
	}
}

// TestLocalSudoProtocol runs the local transport as if it were not root,
// against the fake sudo, to cover the shared password exchange.
func TestLocalSudoProtocol(t *testing.T) {
	t.Setenv("PATH", sshtest.FakeSudo(t, "local-pw"))
	l := NewLocal()
	l.root, l.user = false, "deploy"

	l.SudoPassword = "local-pw"
	res := mustRun(t, l, Cmd{Args: []string{"sh", "-c", `printf '%s|' "$SSHTEST_SUDO"; cat`}, Stdin: []byte("payload"), Sudo: true})
	if string(res.Stdout) != "root|payload" || len(res.Stderr) != 0 {
		t.Errorf("got stdout %q stderr %q, want root|payload and no stderr", res.Stdout, res.Stderr)
	}

	l.SudoPassword = "wrong-pw"
	_, err := l.Run(t.Context(), Cmd{Args: []string{"true"}, Sudo: true})
	if !errors.Is(err, ErrSudo) || strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("wrong password: %v", err)
	}
}

func TestLocalTimeout(t *testing.T) {
	l := NewLocal()
	l.CommandTimeout = 200 * time.Millisecond
	_, err := l.Run(t.Context(), Cmd{Args: []string{"sh", "-c", "sleep 60; echo done"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a timeout", err)
	}
}

// Progress gets each line of stdout as it comes, the last one without its
// newline too; the result still has all of stdout.
func TestRunProgressLines(t *testing.T) {
	var lines []string
	res, err := NewLocalUser().Run(t.Context(), Cmd{Args: []string{"sh", "-c", `printf 'pmstatus:a:10:one\r\n'; sleep 0.1; printf 'two\nthr'; printf 'ee'`},
		Progress: func(l string) { lines = append(lines, l) }})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"pmstatus:a:10:one", "two", "three"}; !slices.Equal(lines, want) {
		t.Errorf("lines %q, want %q", lines, want)
	}
	if string(res.Stdout) != "pmstatus:a:10:one\r\ntwo\nthree" {
		t.Errorf("stdout %q", res.Stdout)
	}
}
