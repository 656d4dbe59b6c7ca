package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

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
