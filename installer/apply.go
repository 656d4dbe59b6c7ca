package installer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// Apply carries out p on every host that planned without error, each host
// in its own goroutine, in stages (Engine.Roles): the first role's hosts
// and a later role's steps Ahead at once; a later role's Waits once the
// hosts that set the Outputs they wait for have applied the step that sets
// them; its Steps once every host of the earlier roles is done. A host
// with nothing to change is not touched, unless its journal must record
// that the last run did not finish or was damaged. When a host of an
// earlier role fails, the later hosts' stages that wait for it are not
// applied; when it changed something, they are declared and probed again
// first (what it produced may have changed). Cancelling ctx stops each
// host after the resource in progress, or at once with StopNow.
func (e *Engine) Apply(ctx context.Context, p *Plan) Summary {
	r := newApplyRun(e, p)
	var wg sync.WaitGroup
	for _, hp := range p.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if hp.Err == nil {
				if err := e.applyHost(ctx, r, hp); err != nil {
					hp.Err = err
					e.hostFailed(hp.Host.Name, err)
				}
			}
			s := hp.summary(false)
			msg := ""
			if hp.Err == nil && s.Changed == 0 && s.Handlers == 0 {
				msg = "No changes: " + hp.Host.Name + " is converged."
			}
			e.emit(Event{Type: EventHostFinished, Host: hp.Host.Name, Summary: &s, Duration: s.Duration, Message: msg, Error: errString(hp.Err)})
			r.finish(hp)
		}()
	}
	wg.Wait()
	var total Summary
	for _, hp := range p.Hosts {
		total.add(hp.summary(false))
	}
	total.Duration = time.Since(p.start)
	e.emit(Event{Type: EventRunFinished, Summary: &total, Duration: total.Duration, Message: "apply"})
	return total
}

// applyHost applies hp's stages in order, each once what it waits for is
// ready: declared and probed again first when that changed something, or
// hp's own earlier stages did.
func (e *Engine) applyHost(ctx context.Context, r *applyRun, hp *HostPlan) error {
	hp.passed = func(i int) { r.passed(hp, i) }
	defer func() { hp.passed = nil }()
	for k, st := range hp.stages {
		changed, err := r.wait(ctx, hp, st)
		if err != nil {
			return err
		}
		if k > 0 && (changed || hp.changed()) {
			if err := e.query(ctx, hp.Host); err != nil {
				return err
			}
			rest := hp.steps[st.lo:st.hi]
			for _, d := range rest {
				if err := e.declare(hp.Host, d); err != nil {
					return err
				}
			}
			if err := e.probe(ctx, hp.Host, rest); err != nil {
				return err
			}
		}
		if hp.changesIn(st.lo, st.hi) == 0 && len(hp.owed()) == 0 {
			r.passed(hp, st.hi-1)
			continue
		}
		if err := e.applySteps(ctx, hp, st.lo, st.hi); err != nil {
			return err
		}
	}
	if hp.run == nil && hp.record {
		// Only the outcome to record: the last run did not finish.
		j := newJournal(hp.journal, e.RunID)
		j.Status = "finished"
		if err := e.saveJournal(context.WithoutCancel(ctx), hp, j); err != nil {
			return &StepError{Host: hp.Host.Name, Step: "journal", Err: err}
		}
	}
	if e.Remove != nil {
		return e.retire(ctx, hp)
	}
	if r.later(hp) {
		return e.redeclare(ctx, hp)
	}
	return nil
}

// changed reports whether this run changed anything on hp so far.
func (hp *HostPlan) changed() bool {
	s := hp.summary(false)
	return s.Changed > 0 || s.Handlers > 0
}

// redeclare asks a host that changed something its queries again and lets
// its steps declare again, so that the values they produce for the hosts of
// later roles describe the host as it is now. What hp planned is kept.
func (e *Engine) redeclare(ctx context.Context, hp *HostPlan) error {
	if !hp.changed() {
		return nil
	}
	if err := e.query(ctx, hp.Host); err != nil {
		return err
	}
	return e.declareAll(hp.Host, &HostPlan{Host: hp.Host})
}

// StepHandlers names the restarts and refreshes the changes cause, in
// plans and runs alike.
const StepHandlers = "Restarts and refreshes"

// journaled runs run as one run of hp's host in its journal, as command:
// recorded as running before, and finished or failed after. The journal is
// written even when ctx is cancelled: it must say what this run owes.
func (e *Engine) journaled(ctx context.Context, hp *HostPlan, command string, run func(j *Journal) error) (err error) {
	h := hp.Host
	j := hp.run
	if j == nil {
		j = newJournal(hp.journal, e.RunID)
		hp.run = j
	}
	j.Status, j.User, j.Command = "running", e.Operator, command
	defer func() {
		switch {
		case err == nil:
			j.Status = "finished"
		case errors.Is(err, context.Canceled):
			j.Status = "stopped"
		default:
			j.Status = "failed"
		}
		if jerr := e.saveJournal(context.WithoutCancel(ctx), hp, j); jerr != nil && err == nil {
			err = &StepError{Host: h.Name, Step: "journal", Err: jerr}
		}
	}()
	if err := e.saveJournal(context.WithoutCancel(ctx), hp, j); err != nil {
		return &StepError{Host: h.Name, Step: "journal", Err: err}
	}
	return run(j)
}

// applySteps applies steps lo to hi (not included) of hp as part of this
// run's record in its journal.
func (e *Engine) applySteps(ctx context.Context, hp *HostPlan, lo, hi int) error {
	return e.journaled(ctx, hp, e.Command, func(j *Journal) error { return e.applyJournaled(ctx, hp, j, lo, hi) })
}

// applyJournaled applies steps lo to hi (not included) of hp and the
// handlers they notify, recording each change in j. Debts of a dead run
// that no step notifies are paid when hi is the last step.
func (e *Engine) applyJournaled(ctx context.Context, hp *HostPlan, j *Journal, lo, hi int) error {
	h := hp.Host
	// Debts of a run that died are paid with the handlers of the step that
	// notifies them, once that step has converged: paid first, a restart
	// could find its unit or its configuration not written yet.
	owed := owedAt(hp.steps, j.Owed)
	var pending []Handler
	dirty := false
	for i := lo; i < hi; i++ {
		d := hp.steps[i]
		if err := ctx.Err(); err != nil {
			return &StoppedError{Err: err}
		}
		// An earlier change (a package's postinst, a handler) may have
		// changed what this step finds: ask the queries again, let the step
		// declare again, and look again before acting. Every later step,
		// not only the next: a package upgrade's maintainer scripts rewrite
		// files that steps far behind it own.
		if dirty {
			if err := e.query(ctx, h); err != nil {
				return err
			}
			if err := e.declare(h, d); err != nil {
				return err
			}
			if err := e.probe(ctx, h, []*declared{d}); err != nil {
				return err
			}
		}
		if d.skipped != "" {
			e.emit(Event{Type: EventStepSkipped, Host: h.Name, Step: d.step.Name(), Message: d.skipped})
			for _, hd := range owed[i] {
				pending = appendHandler(pending, hd)
			}
			hp.pass(i)
			continue
		}
		h.step = d.step.Name()
		start := time.Now()
		e.emit(Event{Type: EventStepStarted, Host: h.Name, Step: d.step.Name()})
		for k, r := range d.resources {
			c := d.changes[k]
			if c == nil || c.Report {
				e.emit(Event{Type: EventResourceOK, Host: h.Name, Step: d.step.Name(), Resource: r.Key()})
				continue
			}
			if err := ctx.Err(); err != nil {
				return &StoppedError{Before: r.Key(), Err: err}
			}
			if hp.lock.lost() {
				return &StepError{Host: h.Name, Step: "lock", Err: fmt.Errorf("the host gave up this run's lock (no heartbeat for %s): stopped before %s; run again", lockSilence, r.Key())}
			}
			// What the change will owe is on the host before the change is:
			// a run that dies half way through it still pays the restart.
			if n, ok := r.(Notifier); ok && j.oweAll(n.Notifies()) {
				if err := e.saveJournal(context.WithoutCancel(ctx), hp, j); err != nil {
					return &StepError{Host: h.Name, Step: "journal", Err: err}
				}
			}
			rstart := time.Now()
			e.emit(Event{Type: EventResourceStarted, Host: h.Name, Step: d.step.Name(), Resource: r.Key(), Action: c.Action})
			actx, done := e.commandContext(ctx)
			aerr := c.Apply(actx, h)
			done()
			if aerr != nil {
				c.failed = true
				msg, hint := aerr.Error(), c.Hint
				if ctx.Err() != nil && errors.Is(aerr, context.Canceled) {
					msg, hint = "stopped by the operator while it ran", hintFor(aerr)
				}
				e.emit(Event{Type: EventResourceFailed, Host: h.Name, Step: d.step.Name(), Resource: r.Key(),
					Action: c.Action, Error: msg, Hint: hint, Duration: time.Since(rstart)})
				return &StepError{Host: h.Name, Step: d.step.Name(), Resource: r.Key(), Err: aerr, shown: true}
			}
			c.applied, dirty = true, true
			j.Applied = append(j.Applied, JournalEntry{Step: d.step.Name(), Resource: r.Key(), Action: c.Action, At: time.Now().UTC()})
			if n, ok := r.(Notifier); ok {
				for _, hd := range n.Notifies() {
					pending = appendHandler(pending, hd)
				}
			}
			e.emit(Event{Type: EventResourceChanged, Host: h.Name, Step: d.step.Name(), Resource: r.Key(),
				Action: c.Action, Message: c.Summary(), Details: c.Details, Diff: c.Diff, Duration: time.Since(rstart)})
		}
		e.emit(Event{Type: EventStepFinished, Host: h.Name, Step: d.step.Name(), Duration: time.Since(start)})
		hp.pass(i)
		for _, hd := range owed[i] {
			pending = appendHandler(pending, hd)
		}
		if endOfGroup(hp.steps, i) && len(pending) > 0 {
			if err := e.runHandlers(ctx, hp, j, pending); err != nil {
				return err
			}
			pending, dirty = nil, true
		}
	}
	h.step = ""
	// Debts no step notifies any more.
	if hi == len(hp.steps) {
		for _, hd := range owed[-1] {
			pending = appendHandler(pending, hd)
		}
	}
	if len(pending) > 0 {
		return e.runHandlers(ctx, hp, j, pending)
	}
	return nil
}

// owedAt places each owed handler at the last step whose resources notify
// it (by step index), or at -1 when none does.
func owedAt(steps []*declared, owed []Handler) map[int][]Handler {
	at := map[int][]Handler{}
	for _, o := range owed {
		last := -1
		for i, d := range steps {
			for _, r := range d.resources {
				if n, ok := r.(Notifier); ok && slices.ContainsFunc(n.Notifies(), func(h Handler) bool { return h.Name == o.Name }) {
					last = i
				}
			}
		}
		at[last] = append(at[last], o)
	}
	return at
}

// endOfGroup reports whether step i is the last of its handler group.
func endOfGroup(steps []*declared, i int) bool {
	if i == len(steps)-1 {
		return true
	}
	g := steps[i].group
	return g == "" || steps[i+1].group != g
}

func appendHandler(list []Handler, h Handler) []Handler {
	for _, x := range list {
		if x.Name == h.Name {
			return list
		}
	}
	return append(list, h)
}

func (e *Engine) runHandlers(ctx context.Context, hp *HostPlan, j *Journal, hs []Handler) error {
	h := hp.Host
	for _, hd := range hs {
		start := time.Now()
		var err error
		for _, c := range hd.Cmds {
			if _, err = h.Run(context.WithoutCancel(ctx), c...); err != nil {
				break
			}
		}
		if err != nil {
			e.emit(Event{Type: EventHandlerFailed, Host: h.Name, Step: StepHandlers, Resource: "handler " + hd.Name, Error: err.Error(), Duration: time.Since(start)})
			return &StepError{Host: h.Name, Step: StepHandlers, Resource: hd.Name, Err: err, shown: true}
		}
		hp.handlers++
		j.paid(hd.Name)
		e.emit(Event{Type: EventHandlerRun, Host: h.Name, Step: StepHandlers, Resource: "handler " + hd.Name, Duration: time.Since(start)})
		if err := e.saveJournal(context.WithoutCancel(ctx), hp, j); err != nil {
			return &StepError{Host: h.Name, Step: "journal", Err: err}
		}
	}
	return nil
}

func (e *Engine) saveJournal(ctx context.Context, hp *HostPlan, j *Journal) error {
	if !hp.jdir {
		dir := e.journalPath()[:strings.LastIndex(e.journalPath(), "/")]
		if _, err := hp.Host.T.Run(ctx, transport.Cmd{Args: []string{"mkdir", "-p", "-m", "0700", dir}, Sudo: true}); err != nil {
			return fmt.Errorf("journal dir: %w", err)
		}
		hp.jdir = true
	}
	return j.save(ctx, hp.Host.T, e.journalPath())
}

// commandContext is what a change runs under: it outlives ctx, so that the
// change in progress finishes, unless StopNow is done; what it started on
// the host is then stopped when the lock is released.
func (e *Engine) commandContext(ctx context.Context) (context.Context, context.CancelFunc) {
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if e.StopNow == nil {
		return actx, cancel
	}
	stop := context.AfterFunc(e.StopNow, cancel)
	return actx, func() { stop(); cancel() }
}
