package render

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// Progress keeps a run alive on screen while a resource takes long (apt
// installing packages): on a terminal a status line redrawn in place with
// the resource and its elapsed time, cleared before the next normal line;
// off a terminal a line each Interval for a resource still running.
type Progress struct {
	Next     installer.Sink // the renderer of the normal lines, writing to W
	W        io.Writer
	Terminal bool
	// Interval between lines off a terminal; on a terminal the status line
	// is redrawn at each tick.
	Interval time.Duration
	// Now replaces the clock in tests; nil: time.Now.
	Now func() time.Time
	// Width is the terminal's width in columns, asked at each redraw (the
	// window may change); nil or 0: not known. A status line longer than the
	// terminal would wrap, and \r would then clear only its last row.
	Width func() int

	mu      sync.Mutex
	running map[string]started // by host
	status  bool               // a status line is on screen
	stop    chan struct{}
	done    chan struct{}
}

type started struct {
	resource string
	action   installer.Action
	since    time.Time
	said     time.Time // last progress line off a terminal
	detail   string    // how far it is, in its own words (apt's)
}

// Start begins ticking; Stop ends it.
func (p *Progress) Start() {
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	// Off a terminal a line is due each Interval: ticking twice a second
	// keeps it within half a second of that.
	t := time.NewTicker(500 * time.Millisecond)
	go func() {
		defer close(p.done)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.tick(p.now())
			}
		}
	}()
}

// Stop ends ticking and clears the status line.
func (p *Progress) Stop() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *Progress) interval() time.Duration {
	if p.Interval <= 0 {
		return 10 * time.Second
	}
	return p.Interval
}

func (p *Progress) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Event implements installer.Sink.
func (p *Progress) Event(e installer.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Type == installer.EventResourceProgress {
		// Not a line of its own: the status line (or the next line
		// off a terminal) shows it.
		if s, ok := p.running[e.Host]; ok {
			s.detail = e.Message
			p.running[e.Host] = s
			p.clear()
			p.draw(p.now())
		}
		return
	}
	p.clear()
	p.Next.Event(e)
	if p.running == nil {
		p.running = map[string]started{}
	}
	switch e.Type {
	case installer.EventResourceStarted:
		now := p.now()
		p.running[e.Host] = started{resource: e.Resource, action: e.Action, since: now, said: now}
	case installer.EventResourceChanged, installer.EventResourceFailed, installer.EventHostFinished, installer.EventRunFinished:
		delete(p.running, e.Host)
	}
	p.draw(p.now())
}

func (p *Progress) tick(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Terminal {
		p.clear()
		p.draw(now)
		return
	}
	for _, host := range p.hosts() {
		s := p.running[host]
		if now.Sub(s.said) < p.interval() {
			continue
		}
		s.said = now
		p.running[host] = s
		line := fmt.Sprintf("[%s] ... still %s %s (%s)", host, doing(s.action), s.resource, now.Sub(s.since).Truncate(time.Second))
		if s.detail != "" {
			line += ": " + s.detail
		}
		fmt.Fprintln(p.W, line)
	}
}

// draw puts the status line on a terminal: each host's resource in progress.
func (p *Progress) draw(now time.Time) {
	if !p.Terminal || len(p.running) == 0 {
		return
	}
	hosts := p.hosts()
	width := 0
	if p.Width != nil {
		width = p.Width()
	}
	var parts []string
	for _, host := range hosts {
		s := p.running[host]
		head := fmt.Sprintf("[%s] %s ", host, doing(s.action))
		tail := fmt.Sprintf(" (%s)", now.Sub(s.since).Truncate(time.Second))
		if s.detail != "" {
			tail += " " + s.detail
		}
		what := s.resource
		if width > 0 {
			// Each host its share of the row, less "... " and the gaps;
			// the resource gives way first, then the detail; the
			// elapsed time stays.
			share := (width-1-len("... "))/len(hosts) - 2
			room := share - len([]rune(head)) - len([]rune(tail))
			if room < 12 {
				tail = shorten(tail, max(len(" (0s)"), share-len([]rune(head))-12))
				room = share - len([]rune(head)) - len([]rune(tail))
			}
			what = shorten(what, room)
		}
		parts = append(parts, head+what+tail)
	}
	fmt.Fprint(p.W, "\r\x1b[K... "+strings.Join(parts, "  "))
	p.status = true
}

// shorten cuts s to n runes, the last an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	switch {
	case len(r) <= n:
		return s
	case n < 1:
		return ""
	}
	return string(r[:n-1]) + "…"
}

// clear removes the status line, so the next line starts at the margin.
func (p *Progress) clear() {
	if p.status {
		fmt.Fprint(p.W, "\r\x1b[K")
		p.status = false
	}
}

func (p *Progress) hosts() []string {
	hs := make([]string, 0, len(p.running))
	for h := range p.running {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	return hs
}

// doing is an action in the words of a progress line.
func doing(a installer.Action) string {
	switch a {
	case installer.ActionInstall:
		return "installing"
	case installer.ActionUpgrade:
		return "upgrading"
	case installer.ActionFetch:
		return "fetching"
	case installer.ActionRun:
		return "running"
	}
	return "applying"
}
