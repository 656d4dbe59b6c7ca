package installer

import (
	"fmt"
	"slices"
	"sync"
)

// Role is a kind of host and the steps it runs. Engine.Roles lists the
// roles in run order: every host of a role is declared after all hosts of
// the roles before it, and all hosts plan and apply in parallel, a later
// role's steps in stages, each waiting only for what it needs of the
// earlier hosts (Ahead, Waits, Steps). A value a host of an earlier role
// produces reaches the steps of later hosts through an Output.
type Role struct {
	Name string
	// Ahead are the role's first steps, those that need nothing from the
	// hosts of earlier roles (no Output, nothing they install or start).
	// On hosts of a later role they are applied while the earlier roles
	// apply, so that their slow parts (package lists, base packages)
	// overlap the earlier hosts' instead of adding to them.
	Ahead []Step
	// Waits run after Ahead, stage after stage: each stage starts once
	// every host of an earlier role that sets the Outputs it waits For has
	// applied the step that sets them, not once those hosts are done. A
	// stage whose producer failed first is not applied, nor anything after
	// it on the host.
	Waits []Wait
	// Steps run after Ahead and Waits, once every host of the earlier
	// roles has converged.
	Steps []Step
	// Read are the steps that produce the role's Outputs from a host's
	// facts alone, for a ReadOnly target of the role: the core read for
	// its videobridges when a run is limited to them.
	Read []Step
}

// Wait is a stage of a later role's steps and the Outputs they need.
type Wait struct {
	For   []Source
	Steps []Step
}

// Source is an Output, as a Wait names it.
type Source interface{ source() }

// Output carries a value that the steps of one host produce for the steps
// of hosts of later roles: the core's secrets for its videobridges. The
// engine declares hosts in role order, so a later host reads what its
// producer declared last; before that Get reports false.
type Output[T any] struct {
	mu   sync.Mutex
	v    T
	from string
	ok   bool
}

func (*Output[T]) source() {}

// Set records v as produced by h, by the step declaring there (a
// Producer's Produce): the stages of later hosts that wait for o start
// once h has applied that step.
func (o *Output[T]) Set(h *Host, v T) {
	o.mu.Lock()
	o.v, o.from, o.ok = v, h.Name, true
	o.mu.Unlock()
	h.produced(o)
}

// Get returns the value, the name of the host that produced it, and
// whether one did.
func (o *Output[T]) Get() (T, string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.v, o.from, o.ok
}

// All returns the role's steps in the order they run: Ahead, Waits, Steps.
func (r Role) All() []Step {
	all := slices.Clone(r.Ahead)
	for _, w := range r.Waits {
		all = append(all, w.Steps...)
	}
	return append(all, r.Steps...)
}

// stage is a run of a host's steps, lo to hi (not included), and what they
// wait for: nothing (Ahead, and the first role's steps), Outputs (a Wait),
// or every host of the earlier roles (Steps).
type stage struct {
	lo, hi int
	waits  []Source
	after  bool // every host of the earlier roles converged
}

// stepsFor returns the steps of role (Steps when the engine has no roles)
// in stages: one without waiting for the first role, which nothing runs
// before.
func (e *Engine) stepsFor(role string) ([]Step, []stage, error) {
	if len(e.Roles) == 0 {
		return e.Steps, []stage{{hi: len(e.Steps)}}, nil
	}
	for i, r := range e.Roles {
		if r.Name != role {
			continue
		}
		all := r.All()
		if i == 0 {
			return all, []stage{{hi: len(all)}}, nil
		}
		ss := []stage{{hi: len(r.Ahead)}}
		for _, w := range r.Waits {
			lo := ss[len(ss)-1].hi
			ss = append(ss, stage{lo: lo, hi: lo + len(w.Steps), waits: w.For})
		}
		if lo := ss[len(ss)-1].hi; lo < len(all) {
			ss = append(ss, stage{lo: lo, hi: len(all), after: true})
		}
		return all, ss, nil
	}
	return nil, nil, fmt.Errorf("no steps for role %q", role)
}

// readSteps returns the Read steps of role.
func (e *Engine) readSteps(role string) ([]Step, error) {
	for _, r := range e.Roles {
		if r.Name == role && len(r.Read) > 0 {
			return r.Read, nil
		}
	}
	return nil, fmt.Errorf("role %q has nothing to read", role)
}

// rank is the position of role in the run order (0 without roles).
func (e *Engine) rank(role string) int {
	for i, r := range e.Roles {
		if r.Name == role {
			return i
		}
	}
	return 0
}
