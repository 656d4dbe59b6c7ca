package installer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// CheckResult is the outcome of one verify check on one host.
type CheckResult struct {
	Host, Name string
	Err        error
	Skipped    string // why the check did not run; Err is nil then
}

// Verify runs every step's checks on the planned hosts in one batched round
// trip per host. It changes nothing.
func (e *Engine) Verify(ctx context.Context, p *Plan) []CheckResult {
	var all []CheckResult
	for _, hp := range p.Hosts {
		if hp.Err != nil {
			continue
		}
		h := hp.Host
		var checks []Check
		for _, d := range hp.steps {
			if c, ok := d.step.(Checker); ok && d.skipped == "" {
				for _, ch := range c.Checks(h) {
					if ch.Skip != "" {
						all = append(all, CheckResult{Host: h.Name, Name: ch.Name, Skipped: ch.Skip})
						e.emit(Event{Type: EventCheck, Host: h.Name, Step: "verify", Resource: ch.Name, Message: ch.Skip})
						continue
					}
					checks = append(checks, ch)
				}
			}
		}
		frags := make([]string, len(checks))
		for i, c := range checks {
			frags[i] = sh(c.Args...) + " 2>&1" + heredoc(c.Stdin)
		}
		start := time.Now()
		res, err := probeBatch(ctx, h.T, nil, frags)
		if err != nil {
			hp.Err = &StepError{Host: h.Name, Step: "verify", Err: err}
			e.emit(Event{Type: EventResourceFailed, Host: h.Name, Step: "verify", Error: hp.Err.Error()})
			continue
		}
		for i, c := range checks {
			cerr := c.Eval(res[i].Out, res[i].Code)
			ok := cerr == nil
			all = append(all, CheckResult{Host: h.Name, Name: c.Name, Err: cerr})
			e.emit(Event{Type: EventCheck, Host: h.Name, Step: "verify", Resource: c.Name, Passed: &ok, Error: errString(cerr)})
		}
		s := Summary{RoundTrips: h.T.RoundTrips(), Duration: time.Since(start)}
		e.emit(Event{Type: EventHostFinished, Host: h.Name, Summary: &s, Message: "verify"})
	}
	return all
}

// heredoc feeds text to a batch fragment's command on its standard input,
// inside the script (which travels on the session's stdin), so it never
// shows in a process list. The delimiter is random: text cannot end it early.
func heredoc(text string) string {
	if text == "" {
		return ""
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	end := "END_" + hex.EncodeToString(b)
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return " <<'" + end + "'\n" + text + end
}

// StateCheck is a check that passes when every resource is as declared: the
// same probes plan uses, run by verify.
func StateCheck(name string, rs ...Resource) Check {
	var preludes, frags []string
	for _, r := range rs {
		if p, ok := r.(Preluder); ok {
			preludes = append(preludes, p.Prelude())
		}
		frags = append(frags, r.Probe())
	}
	b := newBatch(preludes, frags)
	return Check{Name: name, Args: []string{"sh", "-c", b.script}, Eval: func(out string, _ int) error {
		probed, err := b.parse(out)
		if err != nil {
			return err
		}
		var differ []string
		for i, r := range rs {
			c, err := r.Diff(probed[i])
			if err != nil {
				return err
			}
			if c != nil {
				differ = append(differ, r.Key()+" ("+c.Summary()+")")
			}
		}
		if len(differ) > 0 {
			return fmt.Errorf("not as declared: %s", strings.Join(differ, "; "))
		}
		return nil
	}}
}
