package installer

import (
	"errors"
	"sync"
	"time"
)

// declared is one step's resources on one host.
type declared struct {
	step      Step
	group     string
	resources []Resource
	changes   []*Change // parallel to resources; nil = converged
	skipped   string
	// held are the removals that wait for the plan's last step (Holder).
	held []Resource
}

// HostPlan is what would change on one host.
type HostPlan struct {
	Host    *Host
	steps   []*declared
	journal *Journal
	start   time.Time
	Err     error

	handlers int
	jdir     bool      // journal directory made this run
	lock     *hostLock // held from plan to Close
	// record: the journal must be written even with nothing to change (the
	// last run did not finish, or the journal was damaged).
	record bool
	// stages are the host's steps in runs, with what each waits for
	// (Role.Waits): the first may apply while the hosts of earlier roles
	// apply.
	stages []stage
	// passed is called during Apply as each step is done with (applied,
	// converged or skipped), by index.
	passed func(i int)
	// run is this run's record in the host's journal, once apply began:
	// the steps applied ahead and the rest are one run.
	run *Journal
}

// Changes counts the resources that differ, plus handlers owed by a dead run.
func (hp *HostPlan) Changes() int {
	n := hp.changesIn(0, len(hp.steps))
	if hp.journal != nil {
		n += len(hp.journal.Owed)
	}
	return n
}

// owed are the handlers a dead run owes that this run has not paid yet.
func (hp *HostPlan) owed() []Handler {
	switch {
	case hp.run != nil:
		return hp.run.Owed
	case hp.journal != nil:
		return hp.journal.Owed
	}
	return nil
}

// changesIn counts the resources of steps lo to hi (not included) that
// differ and were not applied yet.
func (hp *HostPlan) changesIn(lo, hi int) int {
	n := 0
	for _, d := range hp.steps[lo:hi] {
		for _, c := range d.changes {
			if c != nil && !c.Report && !c.applied {
				n++
			}
		}
	}
	return n
}

// Plan is the plan for every target; Apply carries it out.
type Plan struct {
	Hosts []*HostPlan
	start time.Time
}

// HasChanges reports whether any host would change.
func (p *Plan) HasChanges() bool {
	for _, h := range p.Hosts {
		if h.Changes() > 0 {
			return true
		}
	}
	return false
}

// Err returns the first host error of the plan, if any.
func (p *Plan) Err() error {
	var errs []error
	for _, h := range p.Hosts {
		if h.Err != nil {
			errs = append(errs, h.Err)
		}
	}
	return errors.Join(errs...)
}

// NeedsApply reports whether Apply has anything to do: changes, or a
// journal to bring up to date.
func (p *Plan) NeedsApply() bool {
	for _, h := range p.Hosts {
		if h.Err == nil && (h.Changes() > 0 || h.record) {
			return true
		}
	}
	return false
}

// Close releases every lock and closes every connection, every host at
// once: a release waits for the host to stop what is left of the run.
func (p *Plan) Close() {
	var wg sync.WaitGroup
	for _, h := range p.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.lock.release()
			h.lock = nil
			if h.Host.T != nil {
				_ = h.Host.T.Close()
			}
		}()
	}
	wg.Wait()
}

func (hp *HostPlan) summary(planOnly bool) Summary {
	var s Summary
	for _, d := range hp.steps {
		for _, c := range d.changes {
			switch {
			case c == nil || c.Report:
				s.Unchanged++
			case c.failed:
				s.Failed++
			case c.applied:
				s.Changed++
			default:
				s.Pending++
			}
		}
	}
	if hp.journal != nil && planOnly {
		s.Pending += len(hp.journal.Owed)
	}
	s.Handlers = hp.handlers
	if hp.Err != nil && s.Failed == 0 {
		s.Failed = 1
	}
	if hp.Host.T != nil {
		s.RoundTrips = hp.Host.T.RoundTrips()
	}
	s.Duration = time.Since(hp.start)
	return s
}

// Journal is what the host's journal said when the plan was made; nil when
// the host has none.
func (hp *HostPlan) Journal() *Journal { return hp.journal }

// Fact returns the trimmed output of the named query on the host: the way
// commands built on a plan (status) read what their extra queries found.
func (hp *HostPlan) Fact(name string) string { return hp.Host.fact(name) }

// Pending lists the keys of the resources that differ from the declared
// state, with what would change.
func (hp *HostPlan) Pending() []string {
	var out []string
	for _, d := range hp.steps {
		for j, c := range d.changes {
			if c != nil {
				out = append(out, d.resources[j].Key()+": "+c.Summary())
			}
		}
	}
	return out
}
