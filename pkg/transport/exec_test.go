package transport

import (
	"io/fs"
	"testing"
	"time"
)

// TestStderrFilter feeds sudo output in every possible split and checks the
// tokens are found and cut out.
func TestStderrFilter(t *testing.T) {
	inv := invocation{sudo: true, prompt: "PROMPT:", mark: "MARK"}
	tests := []struct {
		name        string
		in          string
		wantOut     string
		wantMarked  bool
		wantPrompts int
	}{
		{"prompt then mark", "PROMPT:MARKcommand says hi\n", "command says hi\n", true, 1},
		{"no password asked", "MARKout", "out", true, 0},
		{"refused", "sudo: a password is required\n", "sudo: a password is required\n", false, 0},
		{"asked twice", "PROMPT:Sorry, try again.\nPROMPT:", "Sorry, try again.\n", false, 2},
		{"tokens after mark are the command's", "MARKPROMPT:MARK", "PROMPT:MARK", true, 0},
		{"partial token at end", "PROM", "PROM", false, 0},
	}
	for _, tt := range tests {
		for split := 0; split <= len(tt.in); split++ {
			aborted := false
			f := newStderrFilter(inv, func() { aborted = true })
			f.Write([]byte(tt.in[:split]))
			f.Write([]byte(tt.in[split:]))
			out, marked, prompts := f.result()
			if string(out) != tt.wantOut || marked != tt.wantMarked || prompts != tt.wantPrompts {
				t.Errorf("%s, split at %d: got %q marked=%v prompts=%d; want %q %v %d",
					tt.name, split, out, marked, prompts, tt.wantOut, tt.wantMarked, tt.wantPrompts)
			}
			if aborted != (tt.wantPrompts > 1) {
				t.Errorf("%s, split at %d: aborted=%v", tt.name, split, aborted)
			}
		}
	}
}

func TestOctalMode(t *testing.T) {
	tests := []struct {
		mode fs.FileMode
		want string
	}{
		{0, "0644"},
		{0o600, "0600"},
		{0o755 | fs.ModeSetuid, "4755"},
		{0o2775, "2775"},
		{0o777 | fs.ModeSticky, "1777"},
	}
	for _, tt := range tests {
		if got := octalMode(tt.mode); got != tt.want {
			t.Errorf("octalMode(%v) = %s, want %s", tt.mode, got, tt.want)
		}
	}
}

func TestInvocationRejects(t *testing.T) {
	tests := []struct {
		name string
		c    Cmd
	}{
		{"empty", Cmd{}},
		{"NUL byte", Cmd{Args: []string{"echo", "a\x00b"}}},
		{"bad env name", Cmd{Args: []string{"true"}, Env: map[string]string{"A B": "x"}}},
	}
	for _, tt := range tests {
		if _, err := newInvocation(tt.c, escalation{}, time.Minute); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}
