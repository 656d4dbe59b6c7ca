package installer

import (
	"context"
	"errors"
	"fmt"
)

// Step declares part of the state a host should be in. Steps know what they
// install; they never talk to the host themselves: the engine asks the host
// the step's queries and hands back the answers before Declare.
type Step interface {
	// Name is the title shown in the plan and the progress view.
	Name() string
	// Declare returns the resources this step wants on h. It may call h.Warn,
	// return a *SkipError when it does not apply, or a *RefuseError to stop
	// the host before anything changes.
	Declare(h *Host) ([]Resource, error)
}

// Querier is a step that needs facts from the host before it can declare its
// resources (the OS release, a secret already on the host, ...). All queries of
// all steps are answered in one round trip.
type Querier interface {
	Queries(h *Host) []Query
}

// Grouper places a step in a handler group: handlers notified by the steps of
// a group run once, after the last step of that group. Steps without a group
// form a group of their own.
type Grouper interface {
	Group() string
}

// Producer is a step whose host hands values to the hosts of later roles
// (through an Output): the engine calls Produce each time the step has
// declared on h, at plan and again during apply, so later hosts read what
// the host has at the moment they declare.
type Producer interface {
	Produce(h *Host)
}

// Checker is a step that contributes post-install checks to verify.
type Checker interface {
	Checks(h *Host) []Check
}

// Query is a shell command whose output a step reads back through the
// Fact (or FactFamily) of its Name.
// Args are quoted by the engine. The command runs as root; its exit status is
// passed to the Fact's Parse with its output.
type Query struct {
	Name string
	Args []string
}

// SkipError says a step does not apply to this host; it is not a failure.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip returns a *SkipError.
func Skip(format string, a ...any) error { return &SkipError{Reason: fmt.Sprintf(format, a...)} }

// RefuseError stops a host before any change, with what the operator should do.
type RefuseError struct{ Reason string }

func (e *RefuseError) Error() string { return e.Reason }

// Refuse returns a *RefuseError.
func Refuse(format string, a ...any) error { return &RefuseError{Reason: fmt.Sprintf(format, a...)} }

// IsSkip reports whether err is a *SkipError.
func IsSkip(err error) bool {
	var s *SkipError
	return errors.As(err, &s)
}

// Check is a named post-install check run by verify. Args run as root on the
// host; Eval turns the result into pass (nil) or a failure with its reason.
type Check struct {
	Name string
	Args []string
	// Stdin is fed to Args inside the batch script, never on a command line:
	// the place for a bearer token. Register it with Host.Secret too.
	Stdin string
	Eval  func(out string, code int) error
	// Local, when set, runs the check on the machine the installer runs on
	// instead of the host (Args, Stdin and Eval are unused): what the world
	// sees of the host, through its firewall. It runs after the host's other
	// checks of the same round, so it may use what their Evals found.
	Local func(ctx context.Context) error
	// Skip, when set, is why the check cannot run here: it is reported as
	// skipped, neither passed nor failed.
	Skip string
	// Settle marks a check of something that takes a while after a
	// (re)start (a health endpoint, a login): verify asks again while it
	// fails, up to Engine.Settle, and reports its last answer.
	Settle bool
}
