package testenv

import (
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a test ended instead of ending.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a recorder on a goroutine of its own, as Skip and Fatal
// end the goroutine.
func run(f func(testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestMissingToolSkipsOrFailsUnderCI(t *testing.T) {
	for _, tt := range []struct {
		ci                    string
		wantSkipped, wantFail bool
	}{
		{"", true, false},
		{"false", true, false},
		{"true", false, true},
	} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := run(func(tb testing.TB) { Tools(tb, "apt-get install it", "sh", "no-such-tool-anywhere") })
			if (r.skipped != "") != tt.wantSkipped || (r.failed != "") != tt.wantFail {
				t.Fatalf("skipped %q, failed %q", r.skipped, r.failed)
			}
			if got := r.skipped + r.failed; !strings.Contains(got, "no-such-tool-anywhere is not installed (apt-get install it)") {
				t.Errorf("message %q does not say what is missing", got)
			}
		})
	}
}

func TestPresentToolsPass(t *testing.T) {
	t.Setenv("CI", "true")
	if r := run(func(tb testing.TB) { Tools(tb, "", "sh") }); r.skipped != "" || r.failed != "" {
		t.Errorf("skipped %q, failed %q", r.skipped, r.failed)
	}
}

// A fake command is found before the real one, with the exit status its
// script gives; the other commands are still there.
func TestFakeCommands(t *testing.T) {
	cmd := exec.Command("sh", "-c", "uname; echo after")
	cmd.Env = FakeCommands(t, map[string]string{"uname": "#!/bin/sh\necho fake\nexit 3\n"})
	out, code := Output(t, cmd)
	if string(out) != "fake\nafter\n" || code != 0 {
		t.Errorf("printed %q, exit %d; want the fake's line, then the shell's, exit 0", out, code)
	}
	cmd = exec.Command("sh", "-c", "uname")
	cmd.Env = FakeCommands(t, map[string]string{"uname": "#!/bin/sh\nexit 3\n"})
	if _, code := Output(t, cmd); code != 3 {
		t.Errorf("exit %d, want the fake's 3", code)
	}
}
