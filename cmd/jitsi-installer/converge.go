package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

// session is one command's view of the answers file and its hosts.
type session struct {
	g   *globals
	cfg *answers.Config
	run *workflow.Run
	// plan, when declare made it, closes with the session.
	plan     *installer.Plan
	closeLog func()
}

// close closes the session's plan, if any, then its log.
func (s *session) close() {
	if s.plan != nil {
		s.plan.Close()
	}
	s.closeLog()
}

// open loads and checks the answers file before any host is contacted, and
// builds the run of its hosts with o, recorded as the operator's; a second
// Ctrl+C stops the command in progress on a host.
func (g *globals) open(path string, o workflow.Options) (*session, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, inputError("--answers is required: create one with `jitsi-installer answers init > answers.yaml`")
	}
	cfg, err := g.loadAnswers(path)
	if err != nil {
		return nil, err
	}
	g.warnExamples(cfg)
	sink, closer, err := g.sink()
	if err != nil {
		return nil, err
	}
	o.Sink, o.Operator, o.StopNow = sink, operator(), g.stopNow
	return &session{g: g, cfg: cfg, closeLog: closer, run: workflow.New(cfg, g.targets(cfg, nil), o)}, nil
}

// declare opens the answers file and declares every host's steps without
// their facts, which is what verify and rollback need. It fails when a host
// could not be declared. Close the session: it closes the plan.
func (g *globals) declare(ctx context.Context, file string, o workflow.Options) (*session, *installer.Plan, error) {
	s, err := g.open(file, o)
	if err != nil {
		return nil, nil, err
	}
	s.plan = s.run.Engine.Declare(ctx, s.run.Targets)
	if err := hostsFailed(s.plan); err != nil {
		s.close()
		return nil, nil, err
	}
	return s, s.plan, nil
}

// hostsFailed turns failed hosts into the exit code: 4 when any host could
// not be reached, 3 for a jitsi.version the repository lacks, 1 otherwise.
// The events have already shown the details.
func hostsFailed(p *installer.Plan) error {
	return hostsFailedErr(p.Err())
}

func hostsFailedErr(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitCode(err), err: errReported}
}

// converge plans, asks, and applies; with verify, verify's checks follow a
// run that changed something. dryRun stops after the plan; question is the verb of the confirmation (Apply). A plan with
// nothing to change but a journal to bring up to date (an interrupted
// run's owed restarts) is applied without asking.
func (s *session) converge(ctx context.Context, yes, dryRun, verify bool, question string) error {
	defer s.close()
	confirm := func(p *installer.Plan) (bool, error) {
		if yes || !p.HasChanges() {
			return true, nil
		}
		return s.g.confirm(totals(question, p))
	}
	r := s.run.Converge(ctx, workflow.Flow{DryRun: dryRun, Confirm: confirm, Verify: verify})
	defer r.Plan.Close()
	switch err := hostsFailed(r.Plan); {
	case r.Stopped || ctx.Err() != nil:
		return &exitError{code: exitStopped, err: errStopped}
	case err != nil:
		return err
	case r.Err != nil:
		return r.Err
	case r.Declined:
		return &exitError{code: exitFailed, err: errors.New("not applied")}
	case r.Summary.Failed > 0:
		return &exitError{code: exitFailed, err: errReported}
	case r.Verified:
		if err := s.checked(r); err != nil {
			return err
		}
	}
	switch {
	case dryRun || s.g.output != "text":
	case s.run.Engine.Remove != nil:
		fmt.Fprintf(s.g.stdout, "Uninstalled: the backups stay in %s, the firewall keeps SSH open; install starts from scratch\n", installer.DefaultBackups)
	default:
		// The run ends with where the meetings are, as the form's does.
		fmt.Fprintf(s.g.stdout, "Jitsi Meet is ready: %s\n", s.cfg.MeetingURL())
	}
	return nil
}

// totals is the confirmation with what it confirms: "Apply 45 changes on
// 1 host?".
func totals(verb string, p *installer.Plan) string {
	changes, hosts := 0, 0
	for _, h := range p.Hosts {
		if n := h.Changes(); n > 0 && h.Err == nil {
			changes, hosts = changes+n, hosts+1
		}
	}
	return fmt.Sprintf("%s %s on %s?", verb, plural(changes, "change"), plural(hosts, "host"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// verify runs every step's checks on the declared hosts and says how many
// passed; a failed check is exit 1.
func (s *session) verify(ctx context.Context, p *installer.Plan) error {
	return s.checked(workflow.Result{Plan: p, Verified: true, Checks: s.run.Engine.Verify(ctx, p)})
}

// checked says how many of r's checks passed; a failed check is exit 1.
func (s *session) checked(r workflow.Result) error {
	failed, skipped := r.Failed()
	if err := hostsFailed(r.Plan); err != nil {
		return err
	}
	if s.g.output == "text" {
		line := fmt.Sprintf("Verify: %d passed, %d failed", len(r.Checks)-failed-skipped, failed)
		if skipped > 0 {
			line += fmt.Sprintf(", %d skipped", skipped)
		}
		fmt.Fprintln(s.g.stdout, line)
	}
	if failed > 0 {
		return &exitError{code: exitFailed, err: errReported}
	}
	return nil
}
