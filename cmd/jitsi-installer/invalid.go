package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// answersEvent is a problem or warning about the answers file, as a JSON
// event: what -o json prints instead of text on stderr.
type answersEvent struct {
	Time    time.Time `json:"time"`
	Type    string    `json:"type"` // answers.invalid, answers.warning, error
	File    string    `json:"file,omitempty"`
	Field   string    `json:"field,omitempty"`
	Line    int       `json:"line,omitempty"`
	Column  int       `json:"column,omitempty"`
	Message string    `json:"message"`
}

// writeErrorJSON writes err as JSON events: one per problem of an answers
// file, or one error event.
func writeErrorJSON(w io.Writer, err error) {
	var probs *answers.Problems
	if !errors.As(err, &probs) {
		writeJSON(w, answersEvent{Type: "error", Message: err.Error()})
		return
	}
	for _, p := range probs.List {
		writeJSON(w, answersEvent{Type: "answers.invalid", File: p.File, Field: p.Path, Line: p.Line, Column: p.Column, Message: p.Msg})
	}
}

func writeJSON(w io.Writer, ev answersEvent) {
	ev.Time = time.Now().UTC()
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	_, _ = w.Write(append(b, '\n'))
}

// warnExamples warns about each example value of `answers init` left in
// cfg: valid, but not a server anyone can reach.
func (g *globals) warnExamples(cfg *answers.Config) {
	for _, p := range answers.Examples(cfg) {
		if g.output == "json" {
			writeJSON(g.stdout, answersEvent{Type: "answers.warning", File: p.File, Field: p.Path, Line: p.Line, Column: p.Column, Message: p.Msg})
			continue
		}
		fmt.Fprintln(g.stderr, "warning: "+p.String())
	}
}
