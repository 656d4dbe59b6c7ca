package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// watchStatus reads status every interval until interrupted: a live view
// on a terminal, plain lines (or JSON objects) otherwise.
func (g *globals) watchStatus(ctx context.Context, sr *statusReader, interval time.Duration) error {
	if g.output == "json" || !isTerminal(g.stdin, g.stdout) {
		return g.watchLines(ctx, sr, interval)
	}
	m := &watchModel{ctx: ctx, sr: sr, interval: interval}
	p := tea.NewProgram(m, tea.WithInput(g.stdin), tea.WithOutput(g.stdout), tea.WithContext(ctx))
	_, err := p.Run()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// watchLines prints one line per host and refresh, time first.
func (g *globals) watchLines(ctx context.Context, sr *statusReader, interval time.Duration) error {
	for {
		r := sr.read(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if g.output == "json" {
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, string(b))
		} else {
			now := time.Now().UTC().Format("15:04:05")
			for _, h := range r.Hosts {
				fmt.Fprintln(g.stdout, now+" "+statusLine(h))
			}
		}
		if f, ok := g.stdout.(*os.File); ok {
			_ = f.Sync()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// watchModel is the live status view.
type watchModel struct {
	ctx      context.Context
	sr       *statusReader
	interval time.Duration
	report   *statusReport
	at       time.Time
	reading  bool
}

type (
	reportMsg struct {
		r  *statusReport
		at time.Time
	}
	watchTickMsg struct{}
)

func (m *watchModel) read() tea.Cmd {
	m.reading = true
	return func() tea.Msg { return reportMsg{r: m.sr.read(m.ctx), at: time.Now()} }
}

// Init implements tea.Model.
func (m *watchModel) Init() tea.Cmd { return m.read() }

// Update implements tea.Model.
func (m *watchModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case reportMsg:
		m.report, m.at, m.reading = msg.r, msg.at, false
		return m, tea.Tick(m.interval, func(time.Time) tea.Msg { return watchTickMsg{} })
	case watchTickMsg:
		return m, m.read()
	case tea.KeyPressMsg:
		switch msg.String() {
		case "q", "ctrl+c", "esc":
			return m, tea.Quit
		case "r":
			if !m.reading {
				return m, m.read()
			}
		}
	}
	return m, nil
}

// View implements tea.Model.
func (m *watchModel) View() tea.View {
	var b strings.Builder
	switch {
	case m.report == nil:
		b.WriteString("reading status ...\n")
	default:
		state := "all healthy"
		if !m.report.Healthy {
			state = "NOT HEALTHY"
		}
		fmt.Fprintf(&b, "jitsi-installer status: %s, read %s\n\n", state, m.at.Format("15:04:05"))
		renderStatus(&b, m.report)
	}
	refresh := fmt.Sprintf("every %s", m.interval)
	if m.reading {
		refresh = "reading ..."
	}
	fmt.Fprintf(&b, "\n%s · r refresh now · q quit\n", refresh)
	v := tea.NewView(b.String())
	v.AltScreen = true
	v.WindowTitle = "jitsi-installer status"
	return v
}
