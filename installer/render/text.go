// Package render turns the engine's events into text for a terminal or a
// log, or into JSON lines: renderings of the one event stream, outside the
// engine, behind installer.Sink.
package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// Text renders events as host-prefixed lines for a terminal or a log.
type Text struct {
	W       io.Writer
	Color   bool // only on a terminal, and never with NO_COLOR set
	Verbose bool // also list unchanged resources
	// Diff shows new files' whole content and certificates' PEM; without
	// it a new file is one line and a certificate its names and expiry.
	Diff bool

	lastStep map[string]string
}

const (
	cReset  = "\x1b[0m"
	cBold   = "\x1b[1m"
	cRed    = "\x1b[31m"
	cGreen  = "\x1b[32m"
	cYellow = "\x1b[33m"
	cCyan   = "\x1b[36m"
	cDim    = "\x1b[2m"
)

func (t *Text) c(code, s string) string {
	if !t.Color {
		return s
	}
	return code + s + cReset
}

func (t *Text) line(host, s string) {
	if host == "" {
		fmt.Fprintln(t.W, s)
		return
	}
	fmt.Fprintf(t.W, "%s %s\n", t.c(cCyan, "["+host+"]"), s)
}

// title prints the step title the first time a host reports on a step.
func (t *Text) title(e installer.Event) {
	if e.Step == "" {
		return
	}
	if t.lastStep == nil {
		t.lastStep = map[string]string{}
	}
	if t.lastStep[e.Host] == e.Step {
		return
	}
	t.lastStep[e.Host] = e.Step
	t.line(e.Host, t.c(cBold, "== "+e.Step))
}

// Event implements installer.Sink.
func (t *Text) Event(e installer.Event) {
	switch e.Type {
	case installer.EventRunStarted:
		t.line("", t.c(cDim, e.Message))
	case installer.EventHostConnected:
		t.line(e.Host, e.Message)
	case installer.EventStepStarted:
		// A step with nothing to change has nothing to say: its title
		// waits for its first change (or, verbose, for anything).
		if t.Verbose {
			t.title(e)
		}
	case installer.EventResourceStarted:
		t.title(e)
	case installer.EventStepSkipped:
		if t.Verbose {
			t.title(e)
			t.line(e.Host, t.c(cDim, "   skipped: "+e.Message))
		}
	case installer.EventStepFinished:
		// A step that took no time has nothing to say about it.
		if t.Verbose && e.Duration >= 100*time.Millisecond {
			t.line(e.Host, t.c(cDim, fmt.Sprintf("   done in %s", round(e.Duration))))
		}
	case installer.EventResourceOK:
		if t.Verbose {
			t.title(e)
			t.line(e.Host, t.c(cDim, "   = "+e.Resource))
		}
	case installer.EventResourcePending, installer.EventResourceChanged:
		t.title(e)
		mark, verb := "~", e.Message
		if e.Action == installer.ActionCreate || e.Action == installer.ActionInstall || e.Action == installer.ActionAdd || e.Action == installer.ActionFetch {
			mark = "+"
		}
		if e.Type == installer.EventResourcePending {
			verb += size(e.Details)
		}
		s := fmt.Sprintf("   %s %s: %s", t.c(cYellow, mark), e.Resource, verb)
		if e.Type == installer.EventResourceChanged {
			s = fmt.Sprintf("   %s %s: %s %s", t.c(cGreen, "✓"), e.Resource, verb, t.c(cDim, "("+round(e.Duration).String()+")"))
		}
		t.line(e.Host, s)
		// A guard says what it found over several lines: show them all.
		for _, d := range e.Details {
			if d.Field == installer.FieldGuard && strings.Contains(d.From, "\n") {
				for _, l := range strings.Split(d.From, "\n") {
					t.line(e.Host, "     "+t.c(cDim, "found: ")+l)
				}
			}
		}
		if e.Warn != "" {
			t.line(e.Host, "     "+t.c(cYellow, "warning: "+e.Warn))
		}
		if e.Diff != "" && e.Type == installer.EventResourcePending {
			for _, l := range t.diffLines(e) {
				t.line(e.Host, "     "+t.diffColor(l))
			}
		}
	case installer.EventResourceDrift:
		t.title(e)
		t.line(e.Host, fmt.Sprintf("   %s %s: differs, kept as the answers say", t.c(cYellow, "!"), e.Resource))
		for _, d := range e.Details {
			t.line(e.Host, "     "+d.Text)
		}
		if e.Warn != "" {
			t.line(e.Host, "     "+t.c(cYellow, "warning: "+e.Warn))
		}
	case installer.EventResourceFailed, installer.EventHandlerFailed:
		t.title(e)
		what := e.Resource
		if what == "" {
			what = "failed"
		}
		t.line(e.Host, "   "+t.c(cRed, "✗ "+what+": "+firstLine(e.Error)))
		for _, l := range restLines(e.Error) {
			t.line(e.Host, "     "+l)
		}
		if e.Hint != "" {
			t.line(e.Host, "     hint: "+e.Hint)
		}
	case installer.EventHandlerPending:
		t.title(e)
		t.line(e.Host, fmt.Sprintf("   %s %s: %s", t.c(cYellow, "↻"), strings.TrimPrefix(e.Resource, "handler "), e.Message))
	case installer.EventHandlerRun:
		t.title(e)
		t.line(e.Host, fmt.Sprintf("   %s %s %s", t.c(cGreen, "↻"), strings.TrimPrefix(e.Resource, "handler "), t.c(cDim, "("+round(e.Duration).String()+")")))
	case installer.EventWarning:
		t.line(e.Host, t.c(cYellow, "warning: "+e.Message))
	case installer.EventCheckWaiting:
		t.line(e.Host, fmt.Sprintf("   %s %s: %s", t.c(cDim, "wait"), e.Resource, e.Message))
	case installer.EventCheck:
		if e.Passed == nil {
			t.line(e.Host, fmt.Sprintf("   %s %s: %s", t.c(cYellow, "skip"), e.Resource, e.Message))
		} else if *e.Passed {
			t.line(e.Host, fmt.Sprintf("   %s %s", t.c(cGreen, "pass"), e.Resource))
		} else {
			// A check may explain itself over several lines (a log it quotes).
			first, rest, _ := strings.Cut(e.Error, "\n")
			t.line(e.Host, fmt.Sprintf("   %s %s: %s", t.c(cRed, "FAIL"), e.Resource, first))
			for _, l := range strings.Split(rest, "\n") {
				if l != "" {
					t.line(e.Host, "     "+l)
				}
			}
		}
	case installer.EventHostFinished:
		if e.Message != "" && e.Message != "verify" {
			t.line(e.Host, t.c(cGreen, e.Message))
		}
	case installer.EventRunFinished:
		if s := e.Summary; s != nil {
			changed := fmt.Sprintf("%d changed", s.Changed)
			if e.Message == "plan" {
				changed = fmt.Sprintf("%d to change", s.Pending)
			}
			line := fmt.Sprintf("Summary: %d host(s), %s, %d unchanged, %d failed, %d handler(s), %d round trip(s), %s",
				s.Hosts, changed, s.Unchanged, s.Failed, s.Handlers, s.RoundTrips, round(s.Duration))
			if s.Failed > 0 {
				line = t.c(cRed, line)
			}
			t.line("", line)
		}
	}
}

// maxDiff is the longest diff a plan shows without --diff; a longer one
// (a package's default file replaced) is counted instead.
const maxDiff = 40

// diffLines are the lines of e's diff the plan shows. Without Diff: none
// for a new file (its line says path, owner, mode and size) but what its
// certificates are; certificates by their names, not their PEM; a long
// diff as its counts.
func (t *Text) diffLines(e installer.Event) []string {
	lines := strings.Split(e.Diff, "\n")
	if t.Diff {
		return lines
	}
	lines = summarizeCerts(lines)
	if e.Action == installer.ActionCreate {
		var certs []string
		for _, l := range lines {
			if strings.HasPrefix(l, "+certificate ") {
				certs = append(certs, l)
			}
		}
		return certs
	}
	if len(lines) > maxDiff {
		removed, added := 0, 0
		for _, l := range lines {
			switch s, _ := splitSign(l); s {
			case "-":
				removed++
			case "+":
				added++
			}
		}
		return []string{fmt.Sprintf("%d lines removed, %d added (--diff shows them)", removed, added)}
	}
	return lines
}

// size is ", 812 bytes" or ", 4.1 kB" for a new file's size detail; "" without one.
func size(ds []installer.Detail) string {
	for _, d := range ds {
		if d.Field != installer.FieldSize {
			continue
		}
		n, err := strconv.Atoi(d.To)
		switch {
		case err != nil:
			return ""
		case n < 1000:
			return fmt.Sprintf(", %d bytes", n)
		}
		return fmt.Sprintf(", %.1f kB", float64(n)/1000)
	}
	return ""
}

func (t *Text) diffColor(l string) string {
	switch {
	case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		return t.c(cBold, l)
	case strings.HasPrefix(l, "+"):
		return t.c(cGreen, l)
	case strings.HasPrefix(l, "-"):
		return t.c(cRed, l)
	case strings.HasPrefix(l, "@@"):
		return t.c(cCyan, l)
	}
	return l
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func restLines(s string) []string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.Split(s[i+1:], "\n")
	}
	return nil
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(100 * time.Millisecond)
	case d > time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d
}
