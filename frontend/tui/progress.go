package tui

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/render"
)

// Phases of a run, as the progress view follows them.
const (
	phasePlan   = "plan"
	phaseApply  = "apply"
	phaseVerify = "verify"
)

type stepState int

const (
	stepWaiting stepState = iota
	stepRunning
	stepDone
	stepFailed
	stepSkipped
)

// change is one resource the plan says will change.
type change struct {
	key, action, summary, diff, warn string
	details                          []installer.Detail
	done                             bool
	kept                             bool // drift the answers keep: shown, not applied
}

// stepRow is one step on one host.
type stepRow struct {
	name      string
	state     stepState
	started   time.Time
	dur       time.Duration
	changes   []*change
	unchanged int
	applied   int
	handlers  []string
	skipped   string
	failed    string // resource or handler that failed
	err, hint string
	current   string // the resource being applied
	detail    string // how far it is, in its own words (apt's)
}

// inProgress is the resource being applied, as the engine reported it.
func (s *stepRow) inProgress() string {
	if s.detail != "" {
		return s.detail + " · " + s.current
	}
	return s.current
}

// hostRows is what happened on one host.
type hostRows struct {
	name      string
	connected string
	steps     []*stepRow
	byStep    map[string]*stepRow
	warnings  []string
	err, hint string
	finished  string
	summary   *installer.Summary
}

func (h *hostRows) step(name string) *stepRow {
	if s, ok := h.byStep[name]; ok {
		return s
	}
	s := &stepRow{name: name}
	h.byStep[name] = s
	h.steps = append(h.steps, s)
	return s
}

// pending counts the changes the plan found.
func (h *hostRows) pending() int {
	n := 0
	for _, s := range h.steps {
		for _, c := range s.changes {
			if !c.kept {
				n++
			}
		}
	}
	return n
}

func (h *hostRows) unchanged() int {
	n := 0
	for _, s := range h.steps {
		n += s.unchanged
	}
	return n
}

// checkRow is one verify check.
type checkRow struct {
	host, name string
	passed     bool
	skipped    bool // err holds why
	err        string
}

// progress collects the engine's events into what the review, run and done
// views show. It is fed from the program's goroutine only.
type progress struct {
	phase   string
	hosts   []*hostRows
	byHost  map[string]*hostRows
	summary *installer.Summary
	checks  []checkRow
	waiting []checkRow // checks verify asks again; gone once they are reported
	log     bytes.Buffer
	logSink installer.Sink
}

func newProgress() *progress {
	p := &progress{byHost: map[string]*hostRows{}}
	p.logSink = &render.Text{W: &p.log, Verbose: true}
	return p
}

func (p *progress) host(name string) *hostRows {
	if h, ok := p.byHost[name]; ok {
		return h
	}
	h := &hostRows{name: name, byStep: map[string]*stepRow{}}
	p.byHost[name] = h
	p.hosts = append(p.hosts, h)
	return h
}

// start begins a phase: a new plan forgets the last one.
func (p *progress) start(phase string) {
	p.phase = phase
	if phase == phasePlan {
		p.hosts, p.byHost, p.summary, p.checks, p.waiting = nil, map[string]*hostRows{}, nil, nil, nil
		p.log.Reset()
	}
	if phase == phaseVerify {
		p.checks, p.waiting = nil, nil
	}
}

// event records one engine event.
func (p *progress) event(e installer.Event) {
	p.logSink.Event(e)
	if e.Host == "" {
		if e.Type == installer.EventRunFinished && p.phase == phaseApply {
			p.summary = e.Summary
		}
		return
	}
	h := p.host(e.Host)
	switch e.Type {
	case installer.EventHostConnected:
		h.connected = e.Message
	case installer.EventWarning:
		h.warnings = append(h.warnings, e.Message)
	case installer.EventResourcePending, installer.EventResourceDrift:
		h.step(e.Step).changes = append(h.step(e.Step).changes,
			&change{key: e.Resource, action: string(e.Action), summary: e.Message, diff: e.Diff, warn: e.Warn,
				details: e.Details, kept: e.Type == installer.EventResourceDrift})
	case installer.EventResourceOK:
		if p.phase == phasePlan {
			h.step(e.Step).unchanged++
		}
	case installer.EventStepSkipped:
		s := h.step(e.Step)
		s.state, s.skipped = stepSkipped, e.Message
	case installer.EventStepStarted:
		s := h.step(e.Step)
		s.state, s.started = stepRunning, e.Time
	case installer.EventResourceStarted:
		s := h.step(e.Step)
		s.current, s.detail = e.Resource, ""
	case installer.EventResourceProgress:
		h.step(e.Step).detail = e.Message
	case installer.EventResourceChanged:
		s := h.step(e.Step)
		s.applied++
		s.current, s.detail = "", ""
		for _, c := range s.changes {
			if c.key == e.Resource && !c.done {
				c.done = true
				break
			}
		}
	case installer.EventHandlerRun:
		s := h.step(e.Step)
		s.handlers = append(s.handlers, strings.TrimPrefix(e.Resource, "handler "))
	case installer.EventStepFinished:
		s := h.step(e.Step)
		if s.state != stepFailed {
			s.state = stepDone
		}
		s.dur = e.Duration
	case installer.EventResourceFailed, installer.EventHandlerFailed:
		if e.Step == "" || e.Step == phaseVerify {
			h.err, h.hint = e.Error, e.Hint
			return
		}
		s := h.step(e.Step)
		s.state, s.failed, s.err, s.hint = stepFailed, e.Resource, e.Error, e.Hint
		if !s.started.IsZero() {
			s.dur = e.Time.Sub(s.started)
		}
	case installer.EventCheckWaiting:
		p.waiting = append(p.waiting, checkRow{host: e.Host, name: e.Resource, err: e.Message})
	case installer.EventCheck:
		row := checkRow{host: e.Host, name: e.Resource, passed: e.Passed != nil && *e.Passed, err: e.Error}
		if e.Passed == nil {
			row.skipped, row.err = true, e.Message
		}
		p.checks = append(p.checks, row)
		p.waiting = slices.DeleteFunc(p.waiting, func(w checkRow) bool { return w.host == e.Host && w.name == e.Resource })
	case installer.EventHostFinished:
		if e.Message != phaseVerify {
			h.finished, h.summary = e.Message, e.Summary
		}
	}
}

// failures lists what failed, one line each: hosts, steps and checks.
func (p *progress) failures() []string {
	var out []string
	for _, h := range p.hosts {
		if h.err != "" {
			out = append(out, h.name+": "+firstLine(h.err))
		}
		for _, s := range h.steps {
			if s.state == stepFailed {
				out = append(out, h.name+": "+s.name+": "+s.failed+": "+firstLine(s.err))
			}
		}
	}
	for _, c := range p.checks {
		if !c.passed && !c.skipped {
			out = append(out, c.host+": check failed: "+c.name+": "+firstLine(c.err))
		}
	}
	return out
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// changes counts what the plan would change on every host.
func (p *progress) changes() int {
	n := 0
	for _, h := range p.hosts {
		n += h.pending()
	}
	return n
}

func (p *progress) checksFailed() int {
	n := 0
	for _, c := range p.checks {
		if !c.passed && !c.skipped {
			n++
		}
	}
	return n
}

func (p *progress) checksSkipped() int {
	n := 0
	for _, c := range p.checks {
		if c.skipped {
			n++
		}
	}
	return n
}

// logTail is the last n lines of the log.
func (p *progress) logTail(n int) []string {
	lines := strings.Split(strings.TrimRight(p.log.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

var (
	styleOK    = lipgloss.NewStyle().Foreground(lipgloss.Green)
	styleBad   = lipgloss.NewStyle().Foreground(lipgloss.Red)
	styleWarn  = lipgloss.NewStyle().Foreground(lipgloss.Yellow)
	styleDim   = lipgloss.NewStyle().Faint(true)
	styleBold  = lipgloss.NewStyle().Bold(true)
	styleTitle = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.BrightMagenta)
	styleKey   = lipgloss.NewStyle().Foreground(lipgloss.BrightBlack)
)

// steps renders every step of every host with its mark and duration; spin
// is the frame for running steps, now the clock for their running time.
// running is the line of the first running step, or -1.
func (p *progress) steps(spin string, now time.Time, width int) (out []string, running int) {
	running = -1
	for _, h := range p.hosts {
		head := styleBold.Render(h.name)
		if h.connected != "" {
			head += styleDim.Render(" · " + h.connected)
		}
		out = append(out, head)
		for _, s := range h.steps {
			if s.state == stepRunning && running < 0 {
				running = len(out)
			}
			out = append(out, p.stepLine(s, spin, now, width)...)
		}
		if h.err != "" {
			out = append(out, failure("✗ "+h.err, h.hint, width)...)
		}
		for _, w := range h.warnings {
			out = append(out, styleWarn.Render(truncate("  ! "+w, width)))
		}
		out = append(out, "")
	}
	return out, running
}

const nameWidth = 26

func (p *progress) stepLine(s *stepRow, spin string, now time.Time, width int) []string {
	name := fmt.Sprintf("%-*s", nameWidth, s.name)
	switch s.state {
	case stepSkipped:
		return []string{styleDim.Render(truncate("  – "+name+"skipped: "+s.skipped, width))}
	case stepRunning:
		line := fmt.Sprintf("  %s %s%8s", spin, name, fmtDur(now.Sub(s.started)))
		if r := s.inProgress(); r != "" {
			line += styleDim.Render("  " + r)
		}
		return []string{truncate(line, width)}
	case stepDone:
		what := styleDim.Render("  " + doneText(s))
		return []string{truncate(fmt.Sprintf("  %s %s%8s", styleOK.Render("✓"), name, fmtDur(s.dur))+what, width)}
	case stepFailed:
		line := fmt.Sprintf("  %s %s%8s", styleBad.Render("✗"), name, fmtDur(s.dur))
		return append([]string{truncate(line, width)}, failure("    "+s.failed+": "+s.err, s.hint, width)...)
	}
	line := "  · " + name
	if n := len(s.changes); n > 0 && p.phase == phaseApply {
		line += fmt.Sprintf("        %d to change", n)
	}
	return []string{styleDim.Render(truncate(line, width))}
}

// doneText says what a finished step did.
func doneText(s *stepRow) string {
	var parts []string
	if s.applied > 0 {
		parts = append(parts, fmt.Sprintf("%d changed", s.applied))
	}
	if len(s.handlers) > 0 {
		parts = append(parts, "↻ "+strings.Join(s.handlers, ", "))
	}
	if len(parts) == 0 {
		return "unchanged"
	}
	return strings.Join(parts, " · ")
}

// failure renders an error over as many lines as it has, then its hint.
func failure(msg, hint string, width int) []string {
	var out []string
	for i, l := range strings.Split(msg, "\n") {
		if i > 0 {
			l = "      " + l
		}
		out = append(out, styleBad.Render(wrapText(l, width)))
	}
	if hint != "" {
		out = append(out, styleWarn.Render(wrapText("    → "+hint, width)))
	}
	return out
}

// summaryLine is the engine's summary of the apply, in words.
func summaryLine(s *installer.Summary) string {
	return fmt.Sprintf("%d host(s): %d changed, %d unchanged, %d failed, %d handler(s), %d round trip(s), %s",
		s.Hosts, s.Changed, s.Unchanged, s.Failed, s.Handlers, s.RoundTrips, fmtDur(s.Duration))
}

// checkLines renders the verify results, and the checks verify is still
// waiting for.
func (p *progress) checkLines(width int) []string {
	var wait []string
	for _, w := range p.waiting {
		name := w.name
		if len(p.hosts) > 1 {
			name = w.host + ": " + name
		}
		wait = append(wait, wrapText("  … "+name+": "+w.err, width))
	}
	if len(p.checks) == 0 {
		if len(wait) > 0 {
			return append([]string{styleBold.Render("Verify: waiting for services to settle")}, wait...)
		}
		return nil
	}
	failed, skipped := p.checksFailed(), p.checksSkipped()
	head := fmt.Sprintf("Verify: %d passed, %d failed", len(p.checks)-failed-skipped, failed)
	if skipped > 0 {
		head += fmt.Sprintf(", %d skipped", skipped)
	}
	out := []string{styleBold.Render(head)}
	multi := len(p.hosts) > 1
	for _, c := range p.checks {
		name := c.name
		if multi {
			name = c.host + ": " + name
		}
		if c.passed {
			out = append(out, truncate("  "+styleOK.Render("✓")+" "+name, width))
			continue
		}
		if c.skipped {
			out = append(out, wrapText("  - "+name+": skipped: "+c.err, width))
			continue
		}
		out = append(out, styleBad.Render(wrapText("  ✗ "+name+": "+c.err, width)))
	}
	return append(out, wait...)
}

func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// truncate cuts a line to width cells.
func truncate(s string, width int) string {
	if width <= 0 || lipgloss.Width(s) <= width {
		return s
	}
	return lipgloss.NewStyle().MaxWidth(width).Render(s)
}

// wrapText wraps a line at width cells, indenting the continuation.
func wrapText(s string, width int) string {
	if width <= 0 || lipgloss.Width(s) <= width {
		return s
	}
	indent := len(s) - len(strings.TrimLeft(s, " ")) + 2
	w := lipgloss.NewStyle().Width(width - indent).Render(strings.TrimLeft(s, " "))
	lines := strings.Split(w, "\n")
	for i := range lines {
		lines[i] = strings.Repeat(" ", indent) + strings.TrimRight(lines[i], " ")
	}
	lines[0] = strings.Repeat(" ", indent-2) + strings.TrimLeft(lines[0], " ")
	return strings.Join(lines, "\n")
}
