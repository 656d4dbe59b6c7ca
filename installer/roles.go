package installer

import (
	"fmt"
	"slices"
	"sync"
)

// Role is a kind of host and the steps it runs. Engine.Roles lists the
// roles in run order: every host of a role is planned (declared) and
// applied after all hosts of the roles before it, and the hosts of one role
// run in parallel. A value a host of an earlier role produces reaches the
// steps of later hosts through an Output.
type Role struct {
	Name string
	// Ahead are the role's first steps, those that need nothing from the
	// hosts of earlier roles (no Output, nothing they install or start).
	// On hosts of a later role they are applied while the earlier roles
	// apply, so that their slow parts (package lists, base packages)
	// overlap the earlier hosts' instead of adding to them.
	Ahead []Step
	// Steps run after Ahead, once every host of the earlier roles has
	// converged.
	Steps []Step
	// Read are the steps that produce the role's Outputs from a host's
	// facts alone, for a ReadOnly target of the role: the core read for
	// its videobridges when a run is limited to them.
	Read []Step
}

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

// Set records v as produced by h.
func (o *Output[T]) Set(h *Host, v T) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.v, o.from, o.ok = v, h.Name, true
}

// Get returns the value, the name of the host that produced it, and
// whether one did.
func (o *Output[T]) Get() (T, string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.v, o.from, o.ok
}

// All returns the role's steps in the order they run: Ahead, then Steps.
func (r Role) All() []Step { return append(slices.Clone(r.Ahead), r.Steps...) }

// stepsFor returns the steps of role (Steps when the engine has no roles)
// and how many of them, from the first, may run ahead of the earlier roles:
// none for the first role, which nothing runs before.
func (e *Engine) stepsFor(role string) ([]Step, int, error) {
	if len(e.Roles) == 0 {
		return e.Steps, 0, nil
	}
	for i, r := range e.Roles {
		if r.Name == role {
			if i == 0 {
				return r.All(), 0, nil
			}
			return r.All(), len(r.Ahead), nil
		}
	}
	return nil, 0, fmt.Errorf("no steps for role %q", role)
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

// waves groups the hosts of p by rank, in run order.
func (e *Engine) waves(p *Plan) [][]*HostPlan {
	n := max(len(e.Roles), 1)
	ws := make([][]*HostPlan, n)
	for _, hp := range p.Hosts {
		r := e.rank(hp.Host.Role)
		ws[r] = append(ws[r], hp)
	}
	return ws
}
