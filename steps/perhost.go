package steps

import (
	"sync"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// perHost keeps one value per host for the run: made by the first step of
// the host that asks, and the same for every step after it. Hosts of a role
// declare in parallel, so the slot is shared under a lock.
type perHost[T any] struct {
	mu sync.Mutex
	m  map[*installer.Host]T
}

// get returns h's value, made by newValue when h has none yet.
func (p *perHost[T]) get(h *installer.Host, newValue func() T) T {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.m[h]; ok {
		return v
	}
	if p.m == nil {
		p.m = map[*installer.Host]T{}
	}
	v := newValue()
	p.m[h] = v
	return v
}
