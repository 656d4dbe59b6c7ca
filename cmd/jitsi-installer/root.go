package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/render"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// globals are the flags every command shares.
type globals struct {
	output           string
	logFile          string
	noColor          bool
	verbose          bool
	diff             bool
	acceptNewHostKey bool
	knownHosts       string
	sshConfig        string
	host             string
	connectTimeout   time.Duration
	wait             time.Duration
	limit            []string // --limit; nil without it
	// stopNow is done at the second Ctrl+C: the command in progress on a
	// host stops too (the first lets it finish).
	stopNow context.Context

	stdin          io.Reader
	stdout, stderr io.Writer
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, now, stop := interrupts(stderr)
	defer stop()
	g.stopNow = now
	err := root.ExecuteContext(ctx)
	if err != nil {
		code := exitCode(err)
		// Failures on hosts were already reported by the event stream.
		var ee *exitError
		switch {
		case errors.As(err, &ee) && ee.err == errReported:
		case g.output == "json":
			writeErrorJSON(stdout, err)
		default:
			fmt.Fprintln(stderr, "error: "+strings.ReplaceAll(err.Error(), "\n", "\n  "))
		}
		return code
	}
	return exitOK
}

// errReported marks a failure already shown through the event stream.
var errReported = errors.New("failed")

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "jitsi-installer",
		Short: "Set up Jitsi Meet with Janssen tokens on Debian and Ubuntu over SSH",
		Long: `jitsi-installer sets up a complete Jitsi Meet server (Prosody, Jicofo, the
videobridge, the web app and nginx) on Debian and Ubuntu hosts over SSH, with
meetings protected by tokens from Janssen IAM, Let's Encrypt certificates and a
UFW firewall. It declares the state each host should be in, shows what differs,
and changes only that; a second run on a converged host changes nothing.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	f := root.PersistentFlags()
	f.StringVarP(&g.output, "output", "o", "text", "output format: text or json (one JSON event per line)")
	f.StringVar(&g.logFile, "log-file", "", "also write the plain log to this file")
	f.BoolVar(&g.noColor, "no-color", false, "no colour (also with NO_COLOR set)")
	f.BoolVarP(&g.verbose, "verbose", "v", false, "also list unchanged resources and skipped steps")
	f.BoolVar(&g.diff, "diff", false, "in plans, show new files' whole content and certificates' PEM (default: one line each)")
	f.BoolVar(&g.acceptNewHostKey, "accept-new-host-key", false, "trust the host key of a host not yet in known_hosts (a changed key is always refused)")
	f.StringVar(&g.knownHosts, "known-hosts", "", "known_hosts file (default ~/.ssh/known_hosts)")
	f.StringVarP(&g.sshConfig, "ssh-config", "F", transport.DefaultSSHConfig, `ssh_config file for host aliases, users, ports, keys and ProxyJump ("none": no file)`)
	f.StringVar(&g.host, "host", "", `"local" to run on this machine instead of the answers file's hosts`)
	f.DurationVar(&g.connectTimeout, "connect-timeout", 10*time.Second, "SSH connect timeout")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitInput, err: fmt.Errorf("%w\nsee '%s --help'", err, c.CommandPath())}
	})
	root.AddCommand(newInstall(g), newPlan(g), newRepair(g), newVerify(g), newStatus(g), newLogs(g), newRuns(g), newRollback(g), newUninstall(g),
		newAnswers(g),
		parent("token", "Check tokens the way the meeting server's Prosody will", newTokenCheck(g)),
		parent("janssen", "What Janssen needs for this meeting server", newJanssenClient(g)),
		newVersion(g), newReleaseFiles())
	for _, c := range root.Commands() {
		c.Long = strings.TrimSpace(c.Long + "\n\n" + exitCodesHelp)
	}
	return root
}

func (g *globals) validate() error {
	if g.output != "text" && g.output != "json" {
		return inputError("--output: must be text or json, not %q", g.output)
	}
	if g.host != "" && g.host != "local" {
		return inputError(`--host: only "local" is supported; other hosts go in the answers file`)
	}
	if g.limit != nil && g.host == "local" {
		return inputError("--limit: not with --host local, which runs on this machine only")
	}
	return nil
}

// isTerminal reports whether r and w are both terminals.
func isTerminal(r io.Reader, w io.Writer) bool {
	fr, ok1 := r.(*os.File)
	fw, ok2 := w.(*os.File)
	return ok1 && ok2 && term.IsTerminal(int(fr.Fd())) && term.IsTerminal(int(fw.Fd()))
}

// sink builds the event renderers: text or JSON on stdout, and the plain log.
func (g *globals) sink() (installer.Sink, func(), error) {
	var sinks installer.Sinks
	stop := func() {}
	if g.output == "json" {
		sinks = append(sinks, render.JSON{W: g.stdout})
	} else {
		f, ok := g.stdout.(*os.File)
		terminal := ok && term.IsTerminal(int(f.Fd()))
		color := terminal && !g.noColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
		// A resource that takes long (apt) shows it is still at work.
		p := &render.Progress{Next: &render.Text{W: g.stdout, Color: color, Verbose: g.verbose, Diff: g.diff}, W: g.stdout,
			Terminal: terminal && os.Getenv("TERM") != "dumb"}
		if terminal {
			p.Width = func() int {
				w, _, _ := term.GetSize(int(f.Fd()))
				return w
			}
		}
		p.Start()
		sinks, stop = append(sinks, p), p.Stop
	}
	log, closer, err := g.logSink()
	if err != nil {
		stop()
		return nil, nil, err
	}
	if log != nil {
		sinks = append(sinks, log)
	}
	return sinks, func() { stop(); closer() }, nil
}

// logSink is the plain log of --log-file, appended; nil without the flag.
func (g *globals) logSink() (installer.Sink, func(), error) {
	if g.logFile == "" {
		return nil, func() {}, nil
	}
	f, err := os.OpenFile(g.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, inputError("--log-file: %v", err)
	}
	// The log names hosts, users and what changed: only its owner reads
	// it, also when it existed before with a looser mode.
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return nil, nil, inputError("--log-file: %v", err)
	}
	return &render.Text{W: f, Verbose: true, Diff: true}, func() { _ = f.Close() }, nil
}

// canAsk reports whether a question can be answered: stdin is a terminal.
// stdout and stderr may be pipes (| tee): the question goes to stderr.
func (g *globals) canAsk() bool {
	f, ok := g.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// needAsk refuses, before any host is contacted, a command that would have
// to ask and cannot.
func (g *globals) needAsk(yes bool) error {
	if yes || g.canAsk() {
		return nil
	}
	return inputError("no terminal on stdin to ask before changing hosts; pass --yes to apply without asking (nothing was contacted)")
}

// confirm asks a yes/no question on the terminal.
func (g *globals) confirm(question string) (bool, error) {
	if !g.canAsk() {
		return false, inputError("%s: no terminal to ask on; pass --yes to apply without asking", question)
	}
	fmt.Fprintf(g.stderr, "%s [y/N] ", question)
	var answer string
	_, _ = fmt.Fscanln(g.stdin, &answer)
	a := strings.ToLower(strings.TrimSpace(answer))
	return a == "y" || a == "yes", nil
}
