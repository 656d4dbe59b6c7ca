package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/steps"
)

func newInstall(g *globals) *cobra.Command {
	var file string
	var yes, dryRun, rotate, interactive, accessible, verify bool
	var settle time.Duration
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
			if interactive || accessible || file == "" && g.host == "" {
				return g.interactive(c.Context(), file, accessible, dryRun, steps.Options{RotateSecrets: rotate})
			}
			s, err := g.open(file, steps.Options{RotateSecrets: rotate})
			if err != nil {
				return err
			}
			s.eng.Command = "install"
			s.eng.Settle = settle
			return s.converge(c.Context(), yes, dryRun, verify, "Apply these changes?")
		},
	}
	c.Flags().StringVarP(&file, "answers", "a", "", "answers file (see `answers init`)")
	c.Flags().BoolVarP(&yes, "yes", "y", false, "apply without asking")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "show the plan and change nothing")
	waitFlag(c, g)
	c.Flags().BoolVar(&rotate, "rotate-secrets", false, "generate new XMPP passwords and TURN secret instead of keeping the host's")
	c.Flags().BoolVar(&interactive, "interactive", false, "ask on the terminal even with --answers, starting from its answers")
	c.Flags().BoolVar(&accessible, "accessible", false, "plain prompts for screen readers, answerable from a pipe (also with TERM=dumb)")
	verifyFlags(c, &verify, &settle)
	return c
}

func newPlan(g *globals) *cobra.Command {
	var file string
	var detailed bool
	c := &cobra.Command{
		Use:   "plan",
		Short: "Show what would change on each host, with diffs; change nothing",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := g.open(file, steps.Options{})
			if err != nil {
				return err
			}
			defer s.close()
			p := s.eng.Plan(c.Context(), s.targets)
			defer p.Close()
			s.eng.FinishPlan(p)
			if err := hostsFailed(p); err != nil {
				return err
			}
			if detailed && p.HasChanges() {
				return &exitError{code: exitPending, err: errReported}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&file, "answers", "a", "", "answers file")
	c.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 2 when changes are pending")
	return c
}

func newRepair(g *globals) *cobra.Command {
	var file string
	var yes, verify bool
	var settle time.Duration
	c := &cobra.Command{
		Use:   "repair",
		Short: "Report drift from the declared state, then fix it after confirmation",
		Long: `Repair compares every host with the state the answers file declares, lists each
resource that drifted and how, and after confirmation puts it back.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := g.open(file, steps.Options{})
			if err != nil {
				return err
			}
			s.eng.Command = "repair"
			s.eng.Settle = settle
			return s.converge(c.Context(), yes, false, verify, "Repair this drift?")
		},
	}
	c.Flags().StringVarP(&file, "answers", "a", "", "answers file")
	c.Flags().BoolVarP(&yes, "yes", "y", false, "repair without asking")
	verifyFlags(c, &verify, &settle)
	waitFlag(c, g)
	return c
}

// defaultSettle is how long verify waits for services that were just
// (re)started: real Jicofo and bridges take 5 to 20 seconds.
const defaultSettle = 60 * time.Second

// verifyFlags are install's and repair's: verify's checks after a run that
// changed something.
func verifyFlags(c *cobra.Command, verify *bool, settle *time.Duration) {
	c.Flags().BoolVar(verify, "verify", true, "after applying changes, run verify's checks")
	c.Flags().DurationVar(settle, "settle", defaultSettle, "how long verify keeps asking health checks and logins that still fail")
}

func newVerify(g *globals) *cobra.Command {
	var file string
	var settle time.Duration
	c := &cobra.Command{
		Use:   "verify",
		Short: "Run the post-install checks on every host",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := g.open(file, steps.Options{})
			if err != nil {
				return err
			}
			defer s.close()
			s.eng.Settle = settle
			p := s.eng.Declare(c.Context(), s.targets)
			defer p.Close()
			if err := hostsFailed(p); err != nil {
				return err
			}
			return s.verify(c.Context(), p)
		},
	}
	c.Flags().DurationVar(&settle, "settle", defaultSettle, "how long to keep asking health checks and logins that still fail (services just restarted)")
	c.Flags().StringVarP(&file, "answers", "a", "", "answers file")
	return c
}

func newAnswers(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "answers", Short: "Create, check and describe answers files"}
	c.AddCommand(&cobra.Command{
		Use:   "init",
		Short: "Print a commented answers file to edit",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := g.stdout.Write(answers.Template())
			return err
		},
	}, &cobra.Command{
		Use:   "validate FILE",
		Short: "Check an answers file without contacting any host",
		Args:  exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if _, err := answers.Load(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s: valid\n", args[0])
			return nil
		},
	}, &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the answers file, for editors",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := g.stdout.Write(answers.Schema())
			return err
		},
	})
	return c
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
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintf(g.stdout, "jitsi-installer %s (commit %s, built %s)\n", version, commit, date)
		},
	}
}

func readPassword(f *os.File) ([]byte, error) {
	if !term.IsTerminal(int(f.Fd())) {
		return nil, errors.New("not a terminal")
	}
	return term.ReadPassword(int(f.Fd()))
}
