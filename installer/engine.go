// Package installer is the converge engine: steps declare resources, the
// engine gathers their facts in batched round trips, plans, applies only what
// differs, runs the handlers that changes notified, and keeps a journal on the
// host. It knows nothing about what the steps install.
package installer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// Target is a host to converge and how to reach it.
type Target struct {
	Name    string
	Address string
	Port    int
	User    string
	// Role selects the host's steps from Engine.Roles and its place in the
	// run order; empty with an engine without roles.
	Role string
	// Via names the jump hosts SSH goes through ("host:port", several
	// joined by " -> "); empty when it goes straight to Address.
	Via string
	// Data is what the front end knows the target by, for the steps: the
	// engine hands it on as Host.Data and never reads it.
	Data any
	Dial func(ctx context.Context) (transport.Transport, error)
	// ReadOnly: the host is only read, by its role's Read steps, for the
	// values it produces for the hosts of later roles. It takes no lock,
	// is not planned, applied or verified, gets no journal, and is not
	// one of the plan's hosts.
	ReadOnly bool
}

// Engine converges hosts to what Steps declare.
type Engine struct {
	// Steps are what every host runs, for an engine without Roles.
	Steps []Step
	// Roles, when set, are the kinds of host in run order, each with its
	// steps: hosts are declared and applied role after role.
	Roles    []Role
	Sink     Sink
	Redactor *Redactor
	// Journal is the journal's path on the host (DefaultJournal when empty).
	Journal string
	// Backups is where replaced files are kept (DefaultBackups when empty).
	Backups string
	// RunID names this run in the journal and the backup directory.
	RunID string
	// Operator ("user@machine") and Command are recorded in the journal and
	// in the host's lock: who ran what.
	Operator, Command string
	// Settle is how long verify keeps asking checks marked Settle that
	// still fail: services that were just (re)started need a while.
	Settle time.Duration
	// Lock makes Plan take each host's lock (see lock.go) and hold it until
	// the plan is closed; LockWait is how long to wait for a lock another
	// run holds (zero: refuse at once).
	Lock     bool
	LockWait time.Duration
	// Cancelling Apply's context lets the resource in progress finish and
	// stops before the next (the first Ctrl+C, the TUI's "stop after").
	// StopNow, when done, also stops the command in progress (a second
	// Ctrl+C). Either way the lock's release stops on the host whatever
	// the run left running.
	StopNow context.Context
	// Remove, when set, makes the plan uninstall's: every step's resources
	// become their removals (Remover), steps and resources in reverse
	// order, and Retire ends the installer's own state afterwards.
	Remove *RemoveOptions

	mu sync.Mutex
}

// NewRunID returns a sortable, unique run id.
func NewRunID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func (e *Engine) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	r := e.Redactor
	ev.Message, ev.Diff, ev.Error, ev.Warn, ev.Hint = r.String(ev.Message), r.String(ev.Diff), r.String(ev.Error), r.String(ev.Warn), r.String(ev.Hint)
	ev.Resource = r.String(ev.Resource)
	if len(ev.Details) > 0 {
		ds := make([]Detail, len(ev.Details))
		for i, d := range ev.Details {
			ds[i] = Detail{Field: d.Field, Name: r.String(d.Name), From: r.String(d.From), To: r.String(d.To), Text: r.String(d.Text)}
		}
		ev.Details = ds
	}
	if e.Sink == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Sink.Event(ev)
}

func (e *Engine) journalPath() string {
	if e.Journal == "" {
		return DefaultJournal
	}
	return e.Journal
}

// Plan connects to every target in parallel, takes each host's lock when
// e.Lock (with the queries, in the same round trip), asks the steps'
// queries, declares, and gathers facts: two round trips per host after
// connect. The locks are held until the plan is closed.
func (e *Engine) Plan(ctx context.Context, targets []Target) *Plan {
	return e.prepare(ctx, targets, true)
}

// Declare is Plan without the facts of the resources: what verify needs.
func (e *Engine) Declare(ctx context.Context, targets []Target) *Plan {
	return e.prepare(ctx, targets, false)
}

func (e *Engine) prepare(ctx context.Context, targets []Target, probe bool) *Plan {
	if e.RunID == "" {
		e.RunID = NewRunID()
	}
	if e.Redactor == nil {
		e.Redactor = NewRedactor()
	}
	p := &Plan{start: time.Now()}
	e.emit(Event{Type: EventRunStarted, Message: "run " + e.RunID})
	// declared[i] closes when host i has declared (or failed): hosts of a
	// later role declare after it, reading what it produced.
	declared := make([]chan struct{}, len(targets))
	ok := make([]bool, len(targets)) // written before declared[i] closes
	readErr := make([]error, len(targets))
	hps := make([]*HostPlan, len(targets))
	for i, t := range targets {
		declared[i] = make(chan struct{})
		hps[i] = &HostPlan{start: time.Now(), Host: &Host{Name: t.Name, Address: t.Address, Port: t.Port, User: t.User,
			Role: t.Role, Via: t.Via, Data: t.Data, RunID: e.RunID, redactor: e.Redactor, emit: e.emit, backups: e.Backups}}
		if !t.ReadOnly {
			p.Hosts = append(p.Hosts, hps[i])
		}
	}
	var wg sync.WaitGroup
	for i, t := range targets {
		hp := hps[i]
		wait := func() error {
			for j, u := range targets {
				if e.rank(u.Role) >= e.rank(t.Role) {
					continue
				}
				<-declared[j]
				if !ok[j] {
					return &BlockedError{Host: t.Name, By: u.Name, Role: u.Role, Err: readErr[j]}
				}
			}
			return nil
		}
		if t.ReadOnly {
			wg.Add(1)
			go func() {
				defer wg.Done()
				readErr[i] = e.readHost(ctx, t, hp.Host)
				if readErr[i] != nil {
					e.hostFailed(t.Name, readErr[i])
				}
				ok[i] = readErr[i] == nil
				close(declared[i])
			}()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var once sync.Once
			done := func(declaredOK bool) {
				once.Do(func() {
					ok[i] = declaredOK
					close(declared[i])
				})
			}
			hp.Err = e.planHost(ctx, t, hp, probe, wait, done)
			if hp.Err != nil {
				e.hostFailed(hp.Host.Name, hp.Err)
			}
		}()
	}
	wg.Wait()
	return p
}

const journalQuery = "installer.journal"

// dial connects to t.
func dial(ctx context.Context, t Target) (transport.Transport, error) {
	tr, err := t.Dial(ctx)
	if err == nil && tr == nil {
		err = errors.New("no transport")
	}
	if err != nil {
		// transport.IsConnectFailure classifies every failure to reach a
		// host, this one too.
		if !transport.IsConnectFailure(err) {
			err = &transport.ConnectError{Reason: err.Error(), Err: err}
		}
		return nil, &StepError{Host: t.Name, Step: stepConnect, Err: err}
	}
	return tr, nil
}

// planHost connects, queries, waits for the hosts of earlier roles to have
// declared, declares (then calls done) and, with probe, probes.
func (e *Engine) planHost(ctx context.Context, t Target, hp *HostPlan, probe bool, wait func() error, done func(declared bool)) error {
	defer done(false)
	h := hp.Host
	list, stages, err := e.stepsFor(t.Role)
	if err != nil {
		return &StepError{Host: h.Name, Step: "plan", Err: err}
	}
	h.list, hp.stages = list, stages
	tr, err := dial(ctx, t)
	if err != nil {
		return err
	}
	h.T = tr
	e.emit(Event{Type: EventHostConnected, Host: h.Name, Message: fmt.Sprintf("connected as %s", t.User)})

	// Round trip: take the lock, every step's queries and the journal.
	gather := e.query
	if probe && e.Lock {
		gather = func(ctx context.Context, h *Host) error { return e.lockAndQuery(ctx, hp) }
	}
	if err := gather(ctx, h); err != nil {
		return err
	}
	j, jerr := parseJournal(h.fact(journalQuery))
	hp.journal = j
	if err := wait(); err != nil {
		return err
	}
	if err := e.declareAll(h, hp); err != nil {
		return err
	}
	done(true)
	if !probe {
		return nil
	}
	e.checkJournal(hp, jerr)
	if e.Remove != nil && e.Lock {
		// The lock lives in the installer's state directory: an
		// uninstall ends it even when nothing else is left to remove.
		hp.record = true
	}

	// Round trip: every resource's facts.
	if err := e.probe(ctx, h, hp.steps); err != nil {
		return err
	}
	e.reportPlan(hp)
	return nil
}

// declareAll declares every step of h afresh.
func (e *Engine) declareAll(h *Host, hp *HostPlan) error {
	hp.steps = nil
	for _, s := range h.list {
		d := &declared{step: s}
		if g, ok := s.(Grouper); ok {
			d.group = g.Group()
		}
		if err := e.declare(h, d); err != nil {
			return err
		}
		hp.steps = append(hp.steps, d)
	}
	h.step = ""
	if e.Remove != nil {
		slices.Reverse(hp.steps)
		var held []Resource
		for _, d := range hp.steps {
			held = append(held, d.held...)
		}
		hp.steps = withHeld(hp.steps, held)
		// Removal runs last step first and needs nothing of other hosts.
		hp.stages = []stage{{hi: len(hp.steps)}}
	}
	return nil
}

// queries are every step's queries and the journal's.
func (e *Engine) queries(h *Host) []Query {
	return append([]Query{{Name: journalQuery, Args: []string{"cat", e.journalPath()}}}, stepQueries(h)...)
}

// stepQueries are the queries of h's steps.
func stepQueries(h *Host) []Query {
	var queries []Query
	for _, s := range h.list {
		if q, ok := s.(Querier); ok {
			queries = append(queries, q.Queries(h)...)
		}
	}
	return queries
}

// query answers every step's queries and reads the journal: one round trip.
func (e *Engine) query(ctx context.Context, h *Host) error {
	return e.answer(ctx, h, e.queries(h))
}

// answer asks queries in one round trip and keeps their answers as h's facts.
func (e *Engine) answer(ctx context.Context, h *Host, queries []Query) error {
	frags := make([]string, len(queries))
	for i, q := range queries {
		frags[i] = sh(q.Args...)
	}
	res, err := probeBatch(ctx, h.T, nil, frags)
	if err != nil {
		return &StepError{Host: h.Name, Step: "gather facts", Err: err}
	}
	facts := map[string]Probed{}
	for i, q := range queries {
		facts[q.Name] = res[i]
	}
	h.setFacts(facts)
	return nil
}

// declare asks d's step for its resources on h.
func (e *Engine) declare(h *Host, d *declared) error {
	h.step = d.step.Name()
	defer func() { h.step = "" }()
	rs, err := d.step.Declare(h)
	d.resources, d.changes, d.skipped = rs, nil, ""
	var skip *SkipError
	var refuse *RefuseError
	switch {
	case err == nil:
	case errors.As(err, &skip):
		d.skipped = skip.Reason
		d.resources = nil
	case e.Remove != nil && errors.As(err, &refuse):
		// What makes a host unfit to install on (too little memory, an
		// answer missing) must not keep uninstall from the rest.
		h.Warn("uninstall leaves what this step installed: %s", refuse.Reason)
		d.skipped, d.resources = refuse.Reason, nil
	default:
		return &StepError{Host: h.Name, Step: d.step.Name(), Err: err}
	}
	if p, ok := d.step.(Producer); ok && d.skipped == "" {
		p.Produce(h)
	}
	if e.Remove != nil {
		d.held = removals(d, *e.Remove)
	}
	return nil
}

// probe fills in the changes of the given steps in one round trip.
func (e *Engine) probe(ctx context.Context, h *Host, steps []*declared) error {
	var preludes, frags []string
	var costs []int
	var kinds []string
	gathered := map[string][]Resource{}
	first := map[string]Gatherer{}
	for _, d := range steps {
		for _, r := range d.resources {
			if p, ok := r.(Preluder); ok {
				preludes = append(preludes, p.Prelude())
			}
			if g, ok := r.(Gatherer); ok {
				k := g.Kind()
				if first[k] == nil {
					first[k], kinds = g, append(kinds, k)
				}
				gathered[k] = append(gathered[k], r)
			}
			frags = append(frags, r.Probe())
			costs = append(costs, probeCost(r))
		}
	}
	for _, k := range kinds {
		if p := first[k].Gather(gathered[k]); p != "" {
			preludes = append(preludes, p)
		}
	}
	res, err := probeBatch(ctx, h.T, preludes, frags, costs...)
	if err != nil {
		return &StepError{Host: h.Name, Step: "gather facts", Err: err}
	}
	i := 0
	for _, d := range steps {
		d.changes = make([]*Change, len(d.resources))
		for j, r := range d.resources {
			res[i].Secrets = h.redactor
			c, err := r.Diff(res[i])
			i++
			if err != nil {
				return &StepError{Host: h.Name, Step: d.step.Name(), Resource: r.Key(), Err: err}
			}
			d.changes[j] = c
		}
	}
	return nil
}

func (e *Engine) reportPlan(hp *HostPlan) {
	h := hp.Host
	for _, d := range hp.steps {
		if d.skipped != "" {
			e.emit(Event{Type: EventStepSkipped, Host: h.Name, Step: d.step.Name(), Message: d.skipped})
			continue
		}
		for j, r := range d.resources {
			c := d.changes[j]
			if c == nil {
				e.emit(Event{Type: EventResourceOK, Host: h.Name, Step: d.step.Name(), Resource: r.Key()})
				continue
			}
			typ := EventResourcePending
			if c.Report {
				typ = EventResourceDrift
			}
			e.emit(Event{Type: typ, Host: h.Name, Step: d.step.Name(), Resource: r.Key(),
				Action: c.Action, Message: c.Summary(), Details: c.Details, Diff: c.Diff, Warn: c.Warn})
		}
	}
	e.reportHandlers(hp)
	e.reportRetire(hp)
	if hp.journal != nil {
		for _, o := range hp.journal.Owed {
			e.emit(Event{Type: EventResourcePending, Host: h.Name, Step: StepHandlers, Resource: "handler " + o.Name,
				Action: ActionRun, Message: "owed by run " + hp.journal.RunID + " (" + hp.journal.Status + ")"})
		}
	}
}

// reportHandlers says which handlers (service restarts, apt-get update) the
// pending changes notify, each once, with how many changes notify it.
func (e *Engine) reportHandlers(hp *HostPlan) {
	var order []string
	count := map[string]int{}
	for _, d := range hp.steps {
		if d.skipped != "" {
			continue
		}
		for j, r := range d.resources {
			c := d.changes[j]
			n, ok := r.(Notifier)
			if c == nil || c.Report || !ok {
				continue
			}
			for _, hd := range n.Notifies() {
				if count[hd.Name] == 0 {
					order = append(order, hd.Name)
				}
				count[hd.Name]++
			}
		}
	}
	for _, name := range order {
		e.emit(Event{Type: EventHandlerPending, Host: hp.Host.Name, Step: StepHandlers, Resource: "handler " + name,
			Action: ActionRun, Message: fmt.Sprintf("after %d change(s)", count[name])})
	}
}

// FinishPlan emits the summary of a plan that will not be applied.
func (e *Engine) FinishPlan(p *Plan) Summary {
	var total Summary
	for _, hp := range p.Hosts {
		s := hp.summary(true)
		total.add(s)
		msg := ""
		if hp.Err == nil && hp.Changes() == 0 {
			msg = "No changes: " + hp.Host.Name + " is converged."
		}
		e.emit(Event{Type: EventHostFinished, Host: hp.Host.Name, Summary: &s, Duration: s.Duration, Message: msg, Error: errString(hp.Err)})
	}
	total.Duration = time.Since(p.start)
	e.emit(Event{Type: EventRunFinished, Summary: &total, Duration: total.Duration, Message: "plan"})
	return total
}
