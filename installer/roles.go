package installer

import (
	"fmt"
	"sync"
)

// Role is a kind of host and the steps it runs. Engine.Roles lists the
// roles in run order: every host of a role is planned (declared) and
// applied after all hosts of the roles before it, and the hosts of one role
// run in parallel. A value a host of an earlier role produces reaches the
// steps of later hosts through an Output.
type Role struct {
	Name  string
	Steps []Step
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

// stepsFor returns the steps of role: Steps when the engine has no roles.
func (e *Engine) stepsFor(role string) ([]Step, error) {
	if len(e.Roles) == 0 {
		return e.Steps, nil
	}
	for _, r := range e.Roles {
		if r.Name == role {
			return r.Steps, nil
		}
	}
	return nil, fmt.Errorf("no steps for role %q", role)
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

// BlockedError says a host was not planned or applied because a host of an
// earlier role failed.
type BlockedError struct {
	Host, By, Role string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("%s: not run: %s (%s) failed first", e.Host, e.By, e.Role)
}
