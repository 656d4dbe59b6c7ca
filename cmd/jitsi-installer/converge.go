package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jitsi-installer/jitsi-installer/frontend/tui"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/steps"
)

// session is one command's view of the answers file and its hosts.
type session struct {
	g       *globals
	cfg     *answers.Config
	eng     *installer.Engine
	targets []installer.Target
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

// open loads and checks the answers file before any host is contacted.
func (g *globals) open(path string, o steps.Options) (*session, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, inputError("--answers is required: create one with `jitsi-installer answers init > answers.yaml`")
	}
	cfg, err := answers.Load(path)
	if err != nil {
		return nil, err
	}
	sink, closer, err := g.sink()
	if err != nil {
		return nil, err
	}
	s := &session{g: g, cfg: cfg, closeLog: closer}
	s.eng = &installer.Engine{Roles: steps.Roles(cfg, o), Sink: sink, Redactor: installer.NewRedactor(cfg.Secrets()...), Operator: operator()}
	s.targets = g.targets(cfg, nil)
	return s, nil
}

// declare opens the answers file and declares every host's steps without
// their facts, which is what verify and rollback need. It fails when a host
// could not be declared. Close the session: it closes the plan.
func (g *globals) declare(ctx context.Context, file string) (*session, *installer.Plan, error) {
	s, err := g.open(file, steps.Options{})
	if err != nil {
		return nil, nil, err
	}
	s.plan = s.eng.Declare(ctx, s.targets)
	if err := hostsFailed(s.plan); err != nil {
		s.close()
		return nil, nil, err
	}
	return s, s.plan, nil
}

// targets are the answers' hosts, or this machine with --host local. ask,
// when set, answers the host-key and passphrase questions (the TUI);
// otherwise a passphrase is asked on the terminal, if there is one.
func (g *globals) targets(cfg *answers.Config, ask tui.Asker) []installer.Target {
	if g.host == "local" {
		return []installer.Target{{Name: "local", Address: "localhost", User: os.Getenv("USER"), Role: answers.RoleCore,
			Dial: func(context.Context) (transport.Transport, error) { return transport.NewLocal(), nil }}}
	}
	var ts []installer.Target
	for _, h := range cfg.Hosts {
		o := transport.SSHOptions{
			Address: h.Address, Port: h.Port, User: h.User, KeyFile: h.KeyFile,
			HostKey: h.HostKey, KnownHostsFile: g.knownHosts, AcceptNewHostKey: g.acceptNewHostKey,
			ConnectTimeout: g.connectTimeout, SudoPassword: h.SudoPassword,
		}
		switch {
		case ask != nil:
			o.ConfirmHostKey, o.Passphrase = ask.ConfirmHostKey, ask.Passphrase
		case isTerminal(g.stdin, g.stderr):
			o.Passphrase = g.askPassphrase
		}
		ts = append(ts, installer.Target{Name: h.Address, Address: h.Address, Port: h.Port, User: h.User, Role: h.Role,
			Dial: func(ctx context.Context) (transport.Transport, error) { return transport.DialSSH(ctx, o) }})
	}
	return ts
}

func (g *globals) askPassphrase(keyFile string) ([]byte, error) {
	fmt.Fprintf(g.stderr, "Passphrase for %s: ", filepath.Base(keyFile))
	f, ok := g.stdin.(*os.File)
	if !ok {
		return nil, errors.New("no terminal to ask for the passphrase")
	}
	b, err := readPassword(f)
	fmt.Fprintln(g.stderr)
	return b, err
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
// run that changed something. dryRun stops after the plan.
func (s *session) converge(ctx context.Context, yes, dryRun, verify bool, question string) error {
	defer s.close()
	// Ctrl+C stops the command in progress, and what it started on the host.
	s.eng.Lock, s.eng.LockWait, s.eng.StopNow = !dryRun, s.g.wait, true
	p := s.eng.Plan(ctx, s.targets)
	defer p.Close()
	if err := hostsFailed(p); err != nil || dryRun || !p.NeedsApply() {
		s.eng.FinishPlan(p)
		return err
	}
	if !p.HasChanges() {
		// Nothing to change, but a journal to bring up to date.
		yes = true
	}
	if !yes {
		ok, err := s.g.confirm(question)
		if err != nil {
			s.eng.FinishPlan(p)
			return err
		}
		if !ok {
			s.eng.FinishPlan(p)
			return &exitError{code: exitFailed, err: errors.New("not applied")}
		}
	}
	sum := s.eng.Apply(ctx, p)
	if err := hostsFailed(p); err != nil {
		return err
	}
	if sum.Failed > 0 {
		return &exitError{code: exitFailed, err: errReported}
	}
	if verify {
		return s.verify(ctx, p)
	}
	return nil
}

// verify runs every step's checks on the planned hosts and says how many
// passed; a failed check is exit 1.
func (s *session) verify(ctx context.Context, p *installer.Plan) error {
	failed, skipped := 0, 0
	results := s.eng.Verify(ctx, p)
	for _, r := range results {
		switch {
		case r.Err != nil:
			failed++
		case r.Skipped != "":
			skipped++
		}
	}
	if err := hostsFailed(p); err != nil {
		return err
	}
	if s.g.output == "text" {
		line := fmt.Sprintf("Verify: %d passed, %d failed", len(results)-failed-skipped, failed)
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
