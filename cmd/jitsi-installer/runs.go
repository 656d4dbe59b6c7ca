package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

func newRuns(g *globals) *cobra.Command {
	var file string
	var last int
	c := &cobra.Command{
		Use:   "runs",
		Short: "List the runs each host's journal remembers: id, time, user, changes",
		Long: `Runs lists, per host and newest first, the runs its journal remembers: the
run id (what rollback takes), when it started, its outcome, who ran which
command, and how many resources it changed; --verbose lists them.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := g.load(file)
			if err != nil {
				return err
			}
			if err := g.limiter().check(cfg, file); err != nil {
				return err
			}
			// Only the journals: a core left out of --limit is not read.
			ts := slices.DeleteFunc(g.targets(cfg, nil), func(t installer.Target) bool { return t.ReadOnly })
			run := workflow.New(cfg, ts, workflow.Options{JournalOnly: true})
			eng := run.Engine
			p := eng.Declare(c.Context(), run.Targets)
			defer p.Close()
			type hostRuns struct {
				Host  string              `json:"host"`
				Error string              `json:"error,omitempty"`
				Runs  []installer.RunInfo `json:"runs"`
			}
			var out []hostRuns
			for _, hp := range p.Hosts {
				hr := hostRuns{Host: hp.Host.Name, Runs: []installer.RunInfo{}}
				if hp.Err != nil {
					hr.Error = eng.Redactor.String(hp.Err.Error())
				} else if runs := hp.Journal().Runs(); len(runs) > 0 {
					hr.Runs = runs[:min(last, len(runs))]
				}
				out = append(out, hr)
			}
			if g.output == "json" {
				b, err := json.MarshalIndent(map[string]any{"hosts": out}, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintln(g.stdout, string(b))
			} else {
				for _, hr := range out {
					fmt.Fprintf(g.stdout, "%s:\n", hr.Host)
					if hr.Error != "" {
						fmt.Fprintf(g.stdout, "  error: %s\n", hr.Error)
						continue
					}
					if len(hr.Runs) == 0 {
						fmt.Fprintln(g.stdout, "  no runs: the installer has not changed this host")
					}
					for _, r := range hr.Runs {
						fmt.Fprintf(g.stdout, "  %s  %s  %-8s  %-20s  %-12s  %d change(s)\n", r.ID, r.Started.Format("2006-01-02 15:04:05Z"),
							r.Status, or(r.User, "-"), or(r.Command, "-"), r.Applied)
						if g.verbose {
							for _, ch := range r.Changes {
								fmt.Fprintf(g.stdout, "      %s %s: %s\n", ch.Action, ch.Step, ch.Resource)
							}
						}
					}
				}
			}
			return hostsFailed(p)
		},
	}
	answersFlag(c, &file)
	c.Flags().IntVarP(&last, "last", "n", 20, "the last N runs of each host")
	limitFlag(c, g)
	return c
}

// runIDPattern is what NewRunID makes: a run id is also a directory name.
var runIDPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$`)

func newRollback(g *globals) *cobra.Command {
	var file string
	var yes, last, verify bool
	var settle time.Duration
	c := &cobra.Command{
		Use:   "rollback RUN-ID | --last",
		Short: "Put back every file a run replaced, from its backups, and restart what they belong to",
		Long: `Rollback shows which files run RUN-ID (see runs; --last: each host's last run)
replaced and would be put back from /var/backups/jitsi-installer/RUN-ID, with
the diff of each as plan shows it, and which services would restart; after
confirmation it restores them byte for byte with owner and mode, keeps what it
replaced in its own backups (a rollback is a run too, and can be rolled back),
restarts each service once, and runs verify's checks. Files the run created
have no earlier version and stay. Package versions are not files: to undo an
upgrade, set jitsi.version to the previous release and run install. Rolling
back a repair brings back the drift it fixed: the preview warns.

The next install converges the files to the answers file again: change the
answers too when the rollback is meant to last.`,
		Args: func(c *cobra.Command, args []string) error {
			if last {
				if len(args) > 0 {
					return inputError("rollback: a RUN-ID or --last, not both")
				}
				return nil
			}
			if len(args) == 0 {
				return inputError("rollback: which run? a RUN-ID (see `jitsi-installer runs`) or --last")
			}
			return exactArgs(1)(c, args)
		},
		RunE: func(c *cobra.Command, args []string) error {
			id, command := "", "" // --last: each host records its own run's id
			if !last {
				id, command = args[0], "rollback "+args[0]
				if !runIDPattern.MatchString(id) {
					return inputError("%q is not a run id (like 20261201T020304Z-a1b2c3): see `jitsi-installer runs`", id)
				}
			}
			if err := g.needAsk(yes); err != nil {
				return err
			}
			s, p, err := g.declare(c.Context(), file, workflow.Options{Command: command, Settle: settle})
			if err != nil {
				return err
			}
			defer s.close()
			eng := s.run.Engine
			rs := eng.PlanRollback(c.Context(), p, id)
			eng.ReportRollback(rs)
			pending := false
			for _, r := range rs {
				if r.Err != nil {
					if errors.Is(r.Err, installer.ErrNoSuchRun) {
						return &exitError{code: exitFailed, err: errReported}
					}
					return hostsFailedErr(r.Err)
				}
				pending = pending || r.Pending()
			}
			if !pending {
				return nil
			}
			if !yes {
				ok, err := g.confirm("Roll back these files?")
				if err != nil {
					return err
				}
				if !ok {
					return &exitError{code: exitFailed, err: errors.New("not rolled back")}
				}
			}
			if sum := eng.Rollback(c.Context(), rs); sum.Failed > 0 {
				return &exitError{code: exitFailed, err: errReported}
			}
			if !verify {
				return nil
			}
			// What was put back is checked as install checks what it wrote:
			// a rolled-back file can leave a service unhealthy.
			return s.verify(c.Context(), p)
		},
	}
	answersFlag(c, &file)
	c.Flags().BoolVarP(&yes, "yes", "y", false, "roll back without asking")
	c.Flags().BoolVar(&last, "last", false, "roll back each host's last run")
	c.Flags().BoolVar(&verify, "verify", true, "after rolling back, run verify's checks")
	c.Flags().DurationVar(&settle, "settle", defaultSettle, "how long verify keeps asking health checks and logins that still fail")
	return c
}
