package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/steps"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

// convergeFlags are what install and repair share: they change hosts.
type convergeFlags struct {
	file        string
	yes, verify bool
	settle      time.Duration
}

func (f *convergeFlags) add(c *cobra.Command, g *globals, yes string) {
	c.Flags().StringVarP(&f.file, "answers", "a", "", "answers file (jitsi-installer answers init writes one)")
	limitFlag(c, g)
	c.Flags().BoolVarP(&f.yes, "yes", "y", false, yes)
	waitFlag(c, g)
	c.Flags().BoolVar(&f.verify, "verify", true, "after applying changes, run verify's checks")
	c.Flags().DurationVar(&f.settle, "settle", defaultSettle, "how long verify keeps asking health checks and logins that still fail")
}

// converge opens the answers and converges their hosts as command.
func (f *convergeFlags) converge(c *cobra.Command, g *globals, command string, o steps.Options, dryRun bool, question string) error {
	s, err := g.open(f.file, workflow.Options{Steps: o, Command: command, Settle: f.settle,
		Lock: !dryRun, LockWait: g.wait})
	if err != nil {
		return err
	}
	// The answers first: with no terminal to ask on, mending them is still
	// the first thing to do.
	if !dryRun {
		if err := g.needAsk(f.yes); err != nil {
			s.close()
			return err
		}
	}
	return s.converge(c.Context(), f.yes, dryRun, f.verify, question)
}

func newInstall(g *globals) *cobra.Command {
	var f convergeFlags
	var dryRun, rotate, interactive, accessible bool
	c := &cobra.Command{
		Use:   "install",
		Short: "Converge every host in the answers file",
		Long: `Install plans every host in the answers file, shows what would change, asks,
and applies only what differs. Re-running it on a converged host changes nothing.

On a terminal without --answers, or with --interactive, it asks for the answers
in a form, shows the plan to review and follows the run; --accessible (or
TERM=dumb) asks the same questions as plain prompts, also from a pipe.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o := steps.Options{RotateSecrets: rotate}
			if interactive || accessible || f.file == "" && g.host == "" {
				return g.interactive(c.Context(), f.file, accessible, dryRun, o)
			}
			return f.converge(c, g, "install", o, dryRun, "Apply")
		},
	}
	f.add(c, g, "apply without asking")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "show the plan and change nothing")
	c.Flags().BoolVar(&rotate, "rotate-secrets", false, "generate new XMPP passwords and TURN secret instead of keeping the host's")
	c.Flags().BoolVar(&interactive, "interactive", false, "ask on the terminal even with --answers, starting from its answers")
	c.Flags().BoolVar(&accessible, "accessible", false, "plain prompts for screen readers, answerable from a pipe (also with TERM=dumb)")
	return c
}

func newPlan(g *globals) *cobra.Command {
	var file string
	var detailed bool
	c := &cobra.Command{
		Use:   "plan",
		Short: "Show what would change on each host, with diffs; change nothing",
		Long: `Plan reads every host in the answers file and shows, per host and resource,
what install would change, with diffs (secrets masked); it changes nothing.
With --detailed-exitcode it exits 2 when changes are pending.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := g.open(file, workflow.Options{})
			if err != nil {
				return err
			}
			defer s.close()
			r := s.run.Converge(c.Context(), workflow.Flow{DryRun: true})
			p := r.Plan
			defer p.Close()
			if err := hostsFailed(p); err != nil {
				return err
			}
			if detailed && p.HasChanges() {
				return &exitError{code: exitPending, err: errReported}
			}
			return nil
		},
	}
	answersFlag(c, &file)
	limitFlag(c, g)
	c.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 2 when changes are pending")
	return c
}

func newRepair(g *globals) *cobra.Command {
	var f convergeFlags
	c := &cobra.Command{
		Use:   "repair",
		Short: "Report drift from the declared state, then fix it after confirmation",
		Long: `Repair compares every host with the state the answers file declares, lists each
resource that drifted and how, and after confirmation puts it back.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return f.converge(c, g, "repair", steps.Options{}, false, "Repair")
		},
	}
	f.add(c, g, "repair without asking")
	return c
}

// defaultSettle is how long verify waits for services that were just
// (re)started: real Jicofo and bridges take 5 to 20 seconds.
const defaultSettle = 60 * time.Second

func newVerify(g *globals) *cobra.Command {
	var file string
	var settle time.Duration
	c := &cobra.Command{
		Use:   "verify",
		Short: "Run the post-install checks on every host",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, p, err := g.declare(c.Context(), file, workflow.Options{Settle: settle})
			if err != nil {
				return err
			}
			defer s.close()
			return s.verify(c.Context(), p)
		},
	}
	c.Flags().DurationVar(&settle, "settle", defaultSettle, "how long to keep asking health checks and logins that still fail (services just restarted)")
	answersFlag(c, &file)
	limitFlag(c, g)
	return c
}

// parent is a command that only holds its subcommands.
func parent(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short}
	c.AddCommand(subs...)
	return c
}

func newAnswers(g *globals) *cobra.Command {
	validate := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check an answers file without contacting any host",
		Args:  exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			cfg, err := answers.Load(args[0])
			if err != nil {
				return err
			}
			g.warnExamples(cfg)
			if g.output == "json" {
				writeJSON(g.stdout, answersEvent{Type: "answers.valid", File: args[0], Message: "valid"})
				return nil
			}
			fmt.Fprintf(g.stdout, "%s: valid\n", args[0])
			return nil
		},
	}
	return parent("answers", "Create, check and describe answers files",
		printDoc(g, "init", "Print a commented answers file to edit", answers.Template),
		validate,
		printDoc(g, "schema", "Print the JSON Schema of the answers file, for editors", answers.Schema))
}

// printDoc is a command that prints the document doc makes.
func printDoc(g *globals, use, short string, doc func() []byte) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := g.stdout.Write(doc())
			return err
		},
	}
}

// answersFlag is --answers, for the commands that read an answers file.
func answersFlag(c *cobra.Command, file *string) {
	c.Flags().StringVarP(file, "answers", "a", "", "answers file")
}

// waitFlag is --wait, for the commands that take a host's lock.
func waitFlag(c *cobra.Command, g *globals) {
	c.Flags().DurationVar(&g.wait, "wait", 0, "when another run holds a host's lock, wait this long for it (default: refuse at once, exit 5)")
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(c, args); err != nil {
			return &exitError{code: exitInput, err: err}
		}
		return nil
	}
}

func newVersion(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintln(g.stdout, currentVersion())
		},
	}
}
