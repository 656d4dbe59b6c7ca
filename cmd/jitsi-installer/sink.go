package main

import (
	"os"

	"golang.org/x/term"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/render"
)

// sink builds the event renderers: text or JSON on stdout, and the plain log.
func (g *globals) sink() (installer.Sink, func(), error) {
	var sinks installer.Sinks
	stop := func() {}
	if g.output == "json" {
		sinks = append(sinks, render.JSON{W: g.stdout})
	} else {
		f, terminal := terminalFile(g.stdout)
		color := terminal && !g.noColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
		// A resource that takes long (apt) shows it is still at work.
		p := &render.Progress{Next: &render.Text{W: g.stdout, Color: color, Verbose: g.verbose, Diff: g.diff}, W: g.stdout,
			Terminal: terminal && os.Getenv("TERM") != "dumb"}
		if terminal {
			p.Width = func() int {
				w, _, _ := term.GetSize(int(f.Fd()))
				return w
			}
		}
		p.Start()
		sinks, stop = append(sinks, p), p.Stop
	}
	log, closer, err := g.logSink()
	if err != nil {
		stop()
		return nil, nil, err
	}
	if log != nil {
		sinks = append(sinks, log)
	}
	return sinks, func() { stop(); closer() }, nil
}

// logSink is the plain log of --log-file, appended; nil without the flag.
func (g *globals) logSink() (installer.Sink, func(), error) {
	if g.logFile == "" {
		return nil, func() {}, nil
	}
	f, err := os.OpenFile(g.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, inputError("--log-file: %v", err)
	}
	// The log names hosts, users and what changed: only its owner reads
	// it, also when it existed before with a looser mode.
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return nil, nil, inputError("--log-file: %v", err)
	}
	return &render.Text{W: f, Verbose: true, Diff: true}, func() { _ = f.Close() }, nil
}
