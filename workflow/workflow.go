// Package workflow is what every front end does with an answers file:
// build the engine of its hosts, plan, confirm, apply, verify. The command
// line, the full-screen TUI and the accessible prompts differ only in how
// they show the plan and ask; what follows the answer is decided here once.
package workflow

import (
	"context"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/steps"
)

// Options are what a front end says about the engine it needs.
type Options struct {
	// Steps are the answers' steps' options (--rotate-secrets).
	Steps steps.Options
	// Roles, when set, are declared instead of the answers' roles (status
	// adds its step); JournalOnly declares no step at all, for the hosts'
	// journals alone (runs).
	Roles       []installer.Role
	JournalOnly bool
	// Sink receives every event of the run.
	Sink installer.Sink
	// Redactor, when set, is the run's (status keeps one across refreshes);
	// otherwise one with the answers' secrets.
	Redactor *installer.Redactor
	// Operator ("user@machine") and Command are recorded in the journal
	// and the host's lock.
	Operator, Command string
	// Settle is how long verify asks checks of services that just started.
	Settle time.Duration
	// Lock takes each host's lock for the plan and the apply; LockWait is
	// how long to wait for a run that holds it.
	Lock     bool
	LockWait time.Duration
	// StopNow, when done, stops the command in progress (a second
	// Ctrl+C); cancelling the run's context alone stops after it.
	StopNow context.Context
	// Remove makes the run uninstall's: the steps' resources are removed
	// instead of converged.
	Remove *installer.RemoveOptions
}

// Run is the engine of one answers file and the hosts it runs on.
type Run struct {
	Engine  *installer.Engine
	Targets []installer.Target
}

// New builds the engine of cfg's hosts: the one place an engine is made.
// Secrets of the answers are masked in every event.
func New(cfg *answers.Config, targets []installer.Target, o Options) *Run {
	roles := o.Roles
	if roles == nil && !o.JournalOnly {
		roles = steps.Roles(cfg, o.Steps)
	}
	redactor := o.Redactor
	if redactor == nil {
		redactor = installer.NewRedactor(cfg.Secrets()...)
	}
	return &Run{Targets: targets, Engine: &installer.Engine{
		Roles: roles, Sink: o.Sink, Redactor: redactor,
		Operator: o.Operator, Command: o.Command, Settle: o.Settle,
		Lock: o.Lock, LockWait: o.LockWait, StopNow: o.StopNow, Remove: o.Remove,
	}}
}

// Flow is how a front end goes through a run.
type Flow struct {
	// DryRun never applies: it stops after a plan with something to apply,
	// and goes on only to the checks of a converged one.
	DryRun bool
	// Confirm shows the plan and says whether to go on; it is asked for
	// every plan that can go on. Nil goes on without asking (--yes).
	Confirm func(p *installer.Plan) (bool, error)
	// Verify runs the checks after an apply that went well.
	// VerifyConverged runs them too when the operator went on with a plan
	// that had nothing to apply.
	Verify, VerifyConverged bool
	// Phase, when set, is told when the apply and the checks start.
	Phase func(Phase)
}

// Phase is a part of the run after the plan.
type Phase int

// The phases Flow.Phase is told of.
const (
	PhaseApply Phase = iota + 1
	PhaseVerify
)

// Result is how a run went. Close its Plan when done with it.
type Result struct {
	Plan *installer.Plan
	// Declined: Confirm said not to go on.
	Declined bool
	// Applied: the plan was applied (all of it, or up to a failure or a
	// stop), with Summary.
	Applied bool
	Summary installer.Summary
	// Stopped: the context was cancelled while applying.
	Stopped bool
	// Verified: the checks ran, with Checks.
	Verified bool
	Checks   []installer.CheckResult
	// Err is what Confirm returned.
	Err error
}

// Converge plans every host, asks f.Confirm, applies what the plan needs
// and verifies. It applies when the plan NeedsApply: changes, or only a
// journal to bring up to date (the restarts an interrupted run still owes,
// its outcome to record), so that a run after an interrupted one pays
// what it owes whatever the front end.
func (r *Run) Converge(ctx context.Context, f Flow) Result {
	e := r.Engine
	p := e.Plan(ctx, r.Targets)
	res := Result{Plan: p}
	if p.Err() != nil || f.DryRun && p.NeedsApply() {
		e.FinishPlan(p)
		return res
	}
	if f.Confirm != nil {
		ok, err := f.Confirm(p)
		if err != nil || !ok {
			res.Declined, res.Err = true, err
			e.FinishPlan(p)
			return res
		}
	}
	if !p.NeedsApply() {
		e.FinishPlan(p)
		if f.VerifyConverged {
			r.verify(ctx, f, &res)
		}
		return res
	}
	if f.Phase != nil {
		f.Phase(PhaseApply)
	}
	res.Applied, res.Summary = true, e.Apply(ctx, p)
	res.Stopped = ctx.Err() != nil
	if f.Verify && !res.Stopped && res.Summary.Failed == 0 && p.Err() == nil {
		r.verify(ctx, f, &res)
	}
	return res
}

func (r *Run) verify(ctx context.Context, f Flow, res *Result) {
	if f.Phase != nil {
		f.Phase(PhaseVerify)
	}
	res.Verified, res.Checks = true, r.Engine.Verify(ctx, res.Plan)
}

// Failed counts the checks that failed and those skipped.
func (res Result) Failed() (failed, skipped int) {
	for _, c := range res.Checks {
		switch {
		case c.Err != nil:
			failed++
		case c.Skipped != "":
			skipped++
		}
	}
	return failed, skipped
}
