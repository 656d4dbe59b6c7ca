package installer

import (
	"context"
	"errors"
	"fmt"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// StepError is a failure of a step on a host.
type StepError struct {
	Host, Step, Resource string
	Err                  error
	shown                bool // already reported by a resource or handler event
}

func (e *StepError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Host, e.where(), e.Err) }

// where is the step, and the resource when there is one.
func (e *StepError) where() string {
	if e.Resource == "" {
		return e.Step
	}
	return e.Step + ": " + e.Resource
}
func (e *StepError) Unwrap() error { return e.Err }

// hostFailed reports why a host failed, with what to do about it, unless a
// resource or handler event has shown it already.
func (e *Engine) hostFailed(host string, err error) {
	var se *StepError
	if errors.As(err, &se) && se.shown {
		return
	}
	e.emit(Event{Type: EventResourceFailed, Host: host, Error: describe(err), Hint: hintFor(err)})
}

// describe is err without the host name, for lines already prefixed by it.
func describe(err error) string {
	var se *StepError
	var be *BlockedError
	switch {
	case errors.As(err, &be) && be.Err != nil:
		return fmt.Sprintf("not run: its values from %s (%s) could not be read", be.By, be.Role)
	case errors.As(err, &be):
		return fmt.Sprintf("not run: %s (%s) failed first", be.By, be.Role)
	case errors.As(err, &se) && se.Step == stepConnect:
		return se.Err.Error() // says "connect ADDR: ..." itself
	case errors.As(err, &se):
		return se.where() + ": " + se.Err.Error()
	}
	return errString(err)
}

// stepConnect names the failure to reach a host in a StepError.
const stepConnect = "connect"

// StoppedError says the run was stopped (Ctrl+C, SIGTERM) between changes.
type StoppedError struct {
	Before string // the resource not started; empty between steps
	Err    error  // the context's error
}

func (e *StoppedError) Error() string {
	if e.Before == "" {
		return "stopped by the operator"
	}
	return "stopped by the operator before " + e.Before
}
func (e *StoppedError) Unwrap() error { return e.Err }

// BlockedError says a host was not planned or applied because a host of an
// earlier role failed.
type BlockedError struct {
	Host, By, Role string
	// Err is why By could not be read, when it was a ReadOnly target.
	Err error
}

func (e *BlockedError) Unwrap() error { return e.Err }

func (e *BlockedError) Error() string {
	return fmt.Sprintf("%s: not run: %s (%s) failed first", e.Host, e.By, e.Role)
}

// hintFor says what to do about a failure, where the engine can tell: the
// one place that tells failures apart (a skip never gets here).
func hintFor(err error) string {
	var se *StepError
	var le *LockedError
	var re *RefuseError
	var be *BlockedError
	switch {
	case errors.As(err, &be):
		return "" // the line of the host that blocked it says why
	case errors.Is(err, context.Canceled):
		return "the run was stopped; the journal on the host records what was done, run again to continue"
	case errors.As(err, &se) && se.Step == stepConnect, errors.Is(err, transport.ErrSudo):
		return transport.Hint(err)
	case errors.As(err, &re):
		return "nothing was changed on this host"
	case errors.As(err, &le):
		return "wait for that run to finish, or pass --wait 10m to wait for it"
	case transport.IsConnectFailure(err):
		return "the host stopped answering; what this run still owes is in the journal on the host: run again once the host is reachable"
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
