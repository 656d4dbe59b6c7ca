package render

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// fakeClock drives a Progress: each Advance is one tick of its ticker.
type fakeClock struct {
	now time.Time
	p   *Progress
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Advance(d time.Duration) {
	c.now = c.now.Add(d)
	c.p.tick(c.now)
}

func newProgress(terminal bool) (*Progress, *bytes.Buffer, *fakeClock) {
	out := &bytes.Buffer{}
	clock := &fakeClock{now: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
	p := &Progress{Next: &Text{W: out}, W: out, Terminal: terminal, Now: clock.Now}
	clock.p = p
	return p, out, clock
}

// Off a terminal, a slow resource prints a line at least every 10 s, and
// none once it is done.
func TestProgressOffTerminalEvery10s(t *testing.T) {
	p, out, clock := newProgress(false)
	const pkgs = "packages prosody jicofo jitsi-videobridge2 ..."
	p.Event(installer.Event{Type: installer.EventStepStarted, Host: "meet", Step: "Jitsi packages"})
	p.Event(installer.Event{Type: installer.EventResourceStarted, Host: "meet", Step: "Jitsi packages", Resource: pkgs, Action: installer.ActionInstall})
	lastLine, lines := time.Duration(0), 0
	for elapsed := time.Second; elapsed <= 45*time.Second; elapsed += time.Second {
		before := strings.Count(out.String(), "still")
		clock.Advance(time.Second)
		if strings.Count(out.String(), "still") > before {
			lastLine, lines = elapsed, lines+1
		}
		if elapsed-lastLine >= 10*time.Second {
			t.Fatalf("nothing printed for %s at %s:\n%s", elapsed-lastLine, elapsed, out)
		}
	}
	if lines != 4 || !strings.Contains(out.String(), "[meet] ... still installing "+pkgs+" (40s)\n") {
		t.Errorf("want a line each 10 s, the last at 40s:\n%s", out)
	}
	p.Event(installer.Event{Type: installer.EventResourceChanged, Host: "meet", Step: "Jitsi packages", Resource: pkgs, Action: installer.ActionInstall, Message: "install"})
	before := out.String()
	for range 30 {
		clock.Advance(time.Second)
	}
	if out.String() != before {
		t.Errorf("progress after the resource finished:\n%s", strings.TrimPrefix(out.String(), before))
	}
	if strings.Contains(out.String(), "\x1b") || strings.Contains(out.String(), "\r") {
		t.Errorf("terminal control characters off a terminal: %q", out)
	}
}

// On a terminal the status line shows the resource and its elapsed time,
// and is cleared before the next normal line.
func TestProgressOnTerminalStatusLine(t *testing.T) {
	p, out, clock := newProgress(true)
	p.Event(installer.Event{Type: installer.EventResourceStarted, Host: "meet", Step: "Base packages", Resource: "packages nginx", Action: installer.ActionInstall})
	for range 3 {
		clock.Advance(time.Second)
	}
	if !strings.HasSuffix(out.String(), "\r\x1b[K... [meet] installing packages nginx (3s)") {
		t.Fatalf("status line not redrawn with the elapsed time: %q", out)
	}
	p.Event(installer.Event{Type: installer.EventResourceChanged, Host: "meet", Step: "Base packages", Resource: "packages nginx", Action: installer.ActionInstall, Message: "install", Duration: 3 * time.Second})
	// The normal line starts at the margin: the status line was cleared first.
	if !regexp.MustCompile(`^\[meet\] == Base packages\n.*\(3s\)\r\x1b\[K\[meet\]    ✓ packages nginx: install`).MatchString(out.String()) {
		t.Errorf("status line not cleared before the next line: %q", out)
	}
}

// On a terminal narrower than the status line, the line is cut to the
// width (the resource gives way, the elapsed time stays): a wrapped line
// could not be redrawn in place.
func TestProgressStatusLineFitsTheTerminal(t *testing.T) {
	p, out, clock := newProgress(true)
	p.Width = func() int { return 60 }
	const pkgs = "package versions jitsi-meet jitsi-videobridge2 jicofo jitsi-meet-web jitsi-meet-web-config jitsi-meet-prosody"
	p.Event(installer.Event{Type: installer.EventResourceStarted, Host: "10.213.1.2", Step: "Jitsi packages", Resource: pkgs, Action: installer.ActionInstall})
	clock.Advance(12 * time.Second)
	last := out.String()[strings.LastIndex(out.String(), "\r\x1b[K")+len("\r\x1b[K"):]
	if n := len([]rune(last)); n >= 60 || !strings.HasPrefix(last, "... [10.213.1.2] installing package versions") || !strings.HasSuffix(last, "… (12s)") {
		t.Errorf("status line of %d columns on a 60-column terminal: %q", n, last)
	}
}

// apt's own progress shows on the status line after the elapsed time, and
// off a terminal at the end of the next line; it is never a line of its own.
func TestProgressShowsAptsOwn(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		p, out, clock := newProgress(terminal)
		p.Event(installer.Event{Type: installer.EventResourceStarted, Host: "meet", Step: "Jitsi packages", Resource: "packages jicofo", Action: installer.ActionInstall})
		p.Event(installer.Event{Type: installer.EventResourceProgress, Host: "meet", Step: "Jitsi packages", Message: "42% Unpacking jicofo (1.0-1)"})
		for range 10 {
			clock.Advance(time.Second)
		}
		want := "\r\x1b[K... [meet] installing packages jicofo (10s) 42% Unpacking jicofo (1.0-1)"
		if !terminal {
			want = "[meet] ... still installing packages jicofo (10s): 42% Unpacking jicofo (1.0-1)\n"
		}
		if !strings.HasSuffix(out.String(), want) {
			t.Errorf("terminal %v: %q does not end with %q", terminal, out.String(), want)
		}
		if n := strings.Count(out.String(), "42%"); !terminal && n != 1 {
			t.Errorf("off a terminal the progress shows %d times:\n%s", n, out.String())
		}
	}
}
