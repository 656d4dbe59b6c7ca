package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jitsi-installer/jitsi-installer/frontend/tui"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/steps"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

// unattended explains how to install without a terminal.
const unattended = "the interactive installer needs a terminal on stdin and stdout. To install unattended:\n" +
	"  jitsi-installer answers init > answers.yaml   # then edit it\n" +
	"  jitsi-installer answers validate answers.yaml\n" +
	"  jitsi-installer install --answers answers.yaml --yes\n" +
	"or pass --accessible to answer plain prompts, also from a pipe"

// interactive runs the installer's form, plan review and run on the
// terminal, or as plain prompts with --accessible or TERM=dumb.
func (g *globals) interactive(ctx context.Context, file string, accessible, dryRun bool, o steps.Options) error {
	if err := g.validate(); err != nil {
		return err
	}
	if g.output != "text" {
		return inputError("--output %s: the interactive installer draws on the terminal; use --answers for JSON events", g.output)
	}
	if g.limit != nil {
		return inputError("--limit: not with the interactive installer, which sets up every host of its answers; use --answers without --interactive")
	}
	if !accessible && !isTerminal(g.stdin, g.stdout) {
		return inputError("%s", unattended)
	}
	in, ok1 := g.stdin.(*os.File)
	out, ok2 := g.stdout.(*os.File)
	if !ok1 || !ok2 {
		return inputError("%s", unattended)
	}
	var defaults *answers.Config
	if file != "" {
		cfg, err := answers.Load(file)
		if err != nil {
			return err
		}
		defaults = cfg
	}
	log, closeLog, err := g.logSink()
	if err != nil {
		return err
	}
	defer closeLog()
	res, err := tui.Run(ctx, tui.Options{
		Defaults:   defaults,
		File:       file,
		Accessible: accessible || os.Getenv("TERM") == "dumb",
		DryRun:     dryRun,
		Log:        log,
		In:         in,
		Out:        out,
		LastRun: func(ctx context.Context, cfg *answers.Config, ask tui.Asker) ([]byte, time.Time, error) {
			return installer.ReadHostFile(ctx, g.targets(cfg, ask)[0], steps.AnswersFile)
		},
		Prepare: func(cfg *answers.Config, ask tui.Asker, sink installer.Sink) (*workflow.Run, error) {
			return workflow.New(cfg, g.targets(cfg, ask), workflow.Options{Steps: o, Sink: sink, Settle: defaultSettle,
				Operator: operator(), Command: "install", Lock: !dryRun, LockWait: g.wait, StopNow: g.stopNow}), nil
		},
	})
	if err != nil {
		return err
	}
	return g.reportTUI(res)
}

// reportTUI prints what stays after the screen is gone, and turns the
// result into the exit code.
func (g *globals) reportTUI(r tui.Result) error {
	w := g.stdout
	if r.Saved != "" {
		fmt.Fprintf(w, "Answers saved to %s.\n", r.Saved)
		if len(r.SavedEnv) > 0 {
			fmt.Fprintf(w, "It refers to secrets in the environment: export %v before `jitsi-installer install --answers %s`.\n", r.SavedEnv, r.Saved)
		}
	}
	for _, f := range r.Failures {
		fmt.Fprintln(w, "✗ "+f)
	}
	if r.Outcome != tui.Quit {
		s := r.Summary
		fmt.Fprintf(w, "Summary: %d changed, %d unchanged, %d failed; verify: %d passed, %d failed.\n",
			s.Changed, s.Unchanged, s.Failed, r.Checks-r.ChecksFailed, r.ChecksFailed)
	}
	switch {
	case r.HostErr != nil:
		return &exitError{code: exitCode(r.HostErr), err: r.HostErr}
	case r.Stopped:
		return &exitError{code: exitStopped, err: errStopped}
	case r.Summary.Failed > 0 || r.ChecksFailed > 0:
		return &exitError{code: exitFailed, err: errReported}
	case r.Outcome == tui.Quit && r.Saved == "":
		return &exitError{code: exitFailed, err: errors.New("not applied")}
	case r.Outcome != tui.Quit:
		fmt.Fprintf(w, "Jitsi Meet is ready: %s\n", r.URL)
	}
	return nil
}
