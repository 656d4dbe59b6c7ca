package installer

import (
	"context"
	"fmt"
)

// readHost reads a ReadOnly target: it connects, answers its role's Read
// steps' queries in one round trip and declares them, so that they produce
// what the hosts of later roles need. Nothing on the host is written: no
// lock, no journal, no resource.
func (e *Engine) readHost(ctx context.Context, t Target, h *Host) error {
	list, err := e.readSteps(t.Role)
	if err != nil {
		return &StepError{Host: h.Name, Step: "read", Err: err}
	}
	h.list = list
	tr, err := dial(ctx, t)
	if err != nil {
		return err
	}
	defer tr.Close()
	h.T = tr
	e.emit(Event{Type: EventHostConnected, Host: h.Name, Message: fmt.Sprintf("connected as %s, read only: nothing on this host is planned or changed", t.User)})
	if err := e.answer(ctx, h, stepQueries(h)); err != nil {
		return err
	}
	for _, s := range list {
		if err := e.declare(h, &declared{step: s}); err != nil {
			return err
		}
	}
	return nil
}
