package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/steps"
)

// Exit codes, documented in the README and in --help.
const (
	exitOK      = 0   // success
	exitFailed  = 1   // a step failed on a host; status: something down
	exitPending = 2   // changes pending (plan --detailed-exitcode only)
	exitInput   = 3   // invalid input; no host was contacted (or an unknown jitsi.version)
	exitConnect = 4   // connection, authentication or host-key failure
	exitLocked  = 5   // another run holds a host's lock
	exitStopped = 130 // stopped by Ctrl+C or SIGTERM, as shells report SIGINT
)

const exitCodesHelp = `Exit codes:
  0  success (status: every host healthy)
  1  a step failed on a host (status: a service down or the certificate
     expiring within 14 days)
  2  changes pending (plan --detailed-exitcode only)
  3  invalid input (flags or answers file), or no terminal on stdin to ask
     on without --yes (no host was contacted); or a jitsi.version the
     repository does not have
  4  connection, authentication or host-key failure, or a host stopped answering
  5  another run holds a host's lock (see --wait)
  130  stopped by Ctrl+C (or SIGTERM): the first lets the change in
     progress finish, a second stops it; the journal on each host records
     what was done: run the command again to continue`

// errStopped is what a command stopped by the operator says last.
var errStopped = errors.New("stopped by the operator; the journal on the host records what was done: run the command again to continue")

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func inputError(format string, a ...any) error {
	return &exitError{code: exitInput, err: fmt.Errorf(format, a...)}
}

// exitCode maps an error to the documented exit codes: the one place that
// tells them apart.
func exitCode(err error) int {
	var ee *exitError
	var probs *answers.Problems
	var ve *steps.VersionError
	var le *installer.LockedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return exitStopped
	case errors.As(err, &le):
		return exitLocked
	case errors.As(err, &probs), errors.As(err, &ve):
		return exitInput
	case transport.IsConnectFailure(err):
		return exitConnect
	}
	return exitFailed
}
