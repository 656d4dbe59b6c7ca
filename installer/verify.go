package installer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// CheckResult is the outcome of one verify check on one host.
type CheckResult struct {
	Host, Name string
	Err        error
	Skipped    string // why the check did not run; Err is nil then
}

// Verify runs every step's checks on the planned hosts in one batched round
// trip per host, then the checks that run here (Local), every host at
// once. Checks marked Settle that fail are asked again, every two seconds
// and in one round trip, until they pass or e.Settle has passed; each is
// reported once, with its last answer, a host's together when it is done.
// It changes nothing. The results are in the plan's host order.
func (e *Engine) Verify(ctx context.Context, p *Plan) []CheckResult {
	results := make([][]CheckResult, len(p.Hosts))
	var wg sync.WaitGroup
	for i, hp := range p.Hosts {
		if hp.Err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.verifyHost(ctx, hp)
		}()
	}
	wg.Wait()
	var all []CheckResult
	for _, rs := range results {
		all = append(all, rs...)
	}
	return all
}

// verifyHost runs hp's checks and reports them.
func (e *Engine) verifyHost(ctx context.Context, hp *HostPlan) []CheckResult {
	var all []CheckResult
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
	start := time.Now()
	errs, err := e.settle(ctx, h, checks)
	if err != nil {
		hp.Err = &StepError{Host: h.Name, Step: "verify", Err: err}
		e.emit(Event{Type: EventResourceFailed, Host: h.Name, Step: "verify", Error: describe(hp.Err), Hint: hintFor(hp.Err)})
		return all
	}
	for i, c := range checks {
		ok := errs[i] == nil
		all = append(all, CheckResult{Host: h.Name, Name: c.Name, Err: errs[i]})
		e.emit(Event{Type: EventCheck, Host: h.Name, Step: "verify", Resource: c.Name, Passed: &ok, Error: errString(errs[i])})
	}
	s := Summary{RoundTrips: h.T.RoundTrips(), Duration: time.Since(start)}
	e.emit(Event{Type: EventHostFinished, Host: h.Name, Summary: &s, Message: "verify"})
	return all
}

// settleInterval is how often verify asks a settling check again.
const settleInterval = 2 * time.Second

// settle runs checks, then again those marked Settle that failed, until
// they pass or e.Settle is over. The result holds each check's last answer.
func (e *Engine) settle(ctx context.Context, h *Host, checks []Check) ([]error, error) {
	errs := make([]error, len(checks))
	todo := make([]int, len(checks))
	for i := range checks {
		todo[i] = i
	}
	deadline := time.Now().Add(e.Settle)
	waiting := map[int]bool{}
	for {
		var remote, local []int
		for _, i := range todo {
			if checks[i].Local != nil {
				local = append(local, i)
			} else {
				remote = append(remote, i)
			}
		}
		if len(remote) > 0 {
			frags := make([]string, len(remote))
			for j, i := range remote {
				frags[j] = sh(checks[i].Args...) + " 2>&1" + heredoc(checks[i].Stdin)
			}
			res, err := probeBatch(ctx, h.T, nil, frags)
			if err != nil {
				return nil, err
			}
			for j, i := range remote {
				errs[i] = checks[i].Eval(res[j].Out, res[j].Code)
			}
		}
		for _, i := range local {
			errs[i] = checks[i].Local(ctx)
		}
		var again []int
		for _, i := range todo {
			if errs[i] != nil && checks[i].Settle {
				again = append(again, i)
			}
		}
		if len(again) == 0 || time.Now().Add(settleInterval).After(deadline) {
			return errs, nil
		}
		for _, i := range again {
			if !waiting[i] {
				waiting[i] = true
				first, _, _ := strings.Cut(errs[i].Error(), "\n")
				e.emit(Event{Type: EventCheckWaiting, Host: h.Name, Step: "verify", Resource: checks[i].Name,
					Message: fmt.Sprintf("not yet (%s); asking again for up to %s", first, e.Settle.Round(time.Second))})
			}
		}
		select {
		case <-ctx.Done():
			return errs, nil
		case <-time.After(settleInterval):
		}
		todo = again
	}
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
