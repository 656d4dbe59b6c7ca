package installer

import (
	"context"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// What the engine's tests (package installer_test) reach inside a run for.

// ParseJournal parses a journal as the engine reads it.
var ParseJournal = parseJournal

// SaveNewJournal records on hp's host that e's run started, as a run does
// before its first change.
func SaveNewJournal(ctx context.Context, e *Engine, hp *HostPlan) error {
	return e.saveJournal(ctx, hp, newJournal(nil, e.RunID))
}

// DropLock forgets hp's lock without releasing it, as a dead installer
// would, and returns the command that holds it on the host.
func DropLock(hp *HostPlan) *transport.Held {
	held := hp.lock.held
	hp.lock = nil
	return held
}

// HeldLock is the command that holds hp's lock on the host.
func HeldLock(hp *HostPlan) *transport.Held { return hp.lock.held }
