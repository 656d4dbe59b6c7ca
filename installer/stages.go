package installer

import (
	"context"
	"sync"
)

// applyRun is what the hosts of one Apply wait for of each other: the
// steps that set Outputs (gates), and each host's end.
type applyRun struct {
	e     *Engine
	p     *Plan
	gates map[Source][]*gate
	ends  map[*HostPlan]*gate
	top   int // the highest rank among the plan's hosts
}

// gate opens once its host has passed its step (or finished); err says
// the host failed first. changed says whether the host had changed
// anything by then.
type gate struct {
	hp      *HostPlan
	step    int // -1: the host's end
	open    chan struct{}
	once    sync.Once
	changed bool
	failed  bool
}

func (g *gate) close(changed, failed bool) {
	g.once.Do(func() {
		g.changed, g.failed = changed, failed
		close(g.open)
	})
}

func newApplyRun(e *Engine, p *Plan) *applyRun {
	r := &applyRun{e: e, p: p, gates: map[Source][]*gate{}, ends: map[*HostPlan]*gate{}}
	for _, hp := range p.Hosts {
		r.top = max(r.top, e.rank(hp.Host.Role))
		r.ends[hp] = &gate{hp: hp, step: -1, open: make(chan struct{})}
		for src, name := range hp.Host.sets {
			for i, d := range hp.steps {
				if d.step.Name() == name {
					r.gates[src] = append(r.gates[src], &gate{hp: hp, step: i, open: make(chan struct{})})
				}
			}
		}
	}
	return r
}

// later reports whether hosts of a later role than hp's are in the plan.
func (r *applyRun) later(hp *HostPlan) bool { return r.e.rank(hp.Host.Role) < r.top }

// pass tells the run that hp is done with its step i; called from hp's
// own goroutine.
func (hp *HostPlan) pass(i int) {
	if hp.passed != nil {
		hp.passed(i)
	}
}

// passed opens the gates of hp's steps up to i.
func (r *applyRun) passed(hp *HostPlan, i int) {
	var changed *bool
	for _, gs := range r.gates {
		for _, g := range gs {
			if g.hp == hp && g.step <= i {
				if changed == nil {
					c := hp.changed()
					changed = &c
				}
				g.close(*changed, false)
			}
		}
	}
}

// finish opens hp's end and what is left of its gates: failed when hp
// failed.
func (r *applyRun) finish(hp *HostPlan) {
	changed, failed := hp.changed(), hp.Err != nil
	for _, gs := range r.gates {
		for _, g := range gs {
			if g.hp == hp {
				g.close(changed, failed)
			}
		}
	}
	r.ends[hp].close(changed, failed)
}

// wait blocks until what stage st of hp waits for is ready, and reports
// whether the hosts it waited for changed anything. An Output that no host
// of the plan sets is waited for as every host of the earlier roles.
func (r *applyRun) wait(ctx context.Context, hp *HostPlan, st stage) (bool, error) {
	var gs []*gate
	after := st.after
	for _, src := range st.waits {
		if len(r.gates[src]) == 0 {
			after = true
		}
		gs = append(gs, r.gates[src]...)
	}
	rank := r.e.rank(hp.Host.Role)
	for _, q := range r.p.Hosts {
		switch qr := r.e.rank(q.Host.Role); {
		case r.e.Remove != nil && qr > rank:
			// Uninstall takes the later roles away first: a bridge's
			// removal is declared from what its core has.
			gs = append(gs, r.ends[q])
		case r.e.Remove == nil && after && qr < rank:
			gs = append(gs, r.ends[q])
		}
	}
	changed := false
	for _, g := range gs {
		select {
		case <-g.open:
		case <-ctx.Done():
			return false, &StoppedError{Err: ctx.Err()}
		}
		if g.failed {
			return false, &BlockedError{Host: hp.Host.Name, By: g.hp.Host.Name, Role: g.hp.Host.Role}
		}
		changed = changed || g.changed
	}
	return changed, nil
}
