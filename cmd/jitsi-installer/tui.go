package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/pkg/tui"
	"github.com/jitsi-installer/jitsi-installer/steps"
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
			return lastRun(ctx, g.targets(cfg, ask)[0], steps.AnswersFile)
		},
		Prepare: func(cfg *answers.Config, ask tui.Asker) (*installer.Engine, []installer.Target, error) {
			eng := &installer.Engine{Roles: steps.Roles(cfg, o), Redactor: installer.NewRedactor(cfg.Secrets()...), Settle: defaultSettle}
			return eng, g.targets(cfg, ask), nil
		},
	})
	if err != nil {
		return err
	}
	return g.reportTUI(res)
}

// lastRun reads the answers file the installer recorded at path on target,
// and when it was written; no data when there is none. One read-only
// command, as root.
func lastRun(ctx context.Context, target installer.Target, path string) ([]byte, time.Time, error) {
	t, err := target.Dial(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer t.Close()
	const missing = 3
	res, err := t.Run(ctx, transport.Cmd{Sudo: true, Args: []string{"sh", "-c",
		`test -e "$1" || exit 3; stat -c %Y "$1" && exec cat "$1"`, "sh", path}})
	switch {
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("read %s: %w", path, err)
	case res.ExitCode == missing:
		return nil, time.Time{}, nil
	case res.ExitCode != 0:
		return nil, time.Time{}, fmt.Errorf("read %s: %s", path, strings.TrimSpace(string(res.Stderr)))
	}
	stamp, data, _ := bytes.Cut(res.Stdout, []byte("\n"))
	secs, err := strconv.ParseInt(string(stamp), 10, 64)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read %s: no modification time in %q", path, stamp)
	}
	return data, time.Unix(secs, 0), nil
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
	var ce *installer.ConnectError
	switch {
	case r.HostErr != nil && (errors.As(r.HostErr, &ce) || transport.IsConnectFailure(r.HostErr)):
		return &exitError{code: exitConnect, err: r.HostErr}
	case r.HostErr != nil:
		return &exitError{code: exitFailed, err: r.HostErr}
	case r.Stopped:
		return &exitError{code: exitFailed, err: errors.New("stopped by the operator; run install again to continue")}
	case r.Summary.Failed > 0 || r.ChecksFailed > 0:
		return &exitError{code: exitFailed, err: errReported}
	case r.Outcome == tui.Quit && r.Saved == "":
		return &exitError{code: exitFailed, err: errors.New("not applied")}
	case r.Outcome != tui.Quit:
		fmt.Fprintf(w, "Jitsi Meet is ready: %s\n", r.URL)
	}
	return nil
}
