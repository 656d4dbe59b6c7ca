package main

import (
	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/steps"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

func newUninstall(g *globals) *cobra.Command {
	var file string
	var yes, dryRun, purge bool
	c := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove what install added to every host, after confirmation",
		Long: `Uninstall plans, for every host in the answers file, the removal of what
install declares there, shows it as plan does, asks, and removes it: services
stopped and disabled, the installer's files, units, timer, key server site,
firewall rules, apt source, key and pin, and its state in /var/lib/jitsi-installer.
Each file removed goes into this run's backups (rollback RUN-ID puts it back).

What stays: the backups in /var/backups/jitsi-installer, the UFW rule that
keeps SSH open, nginx (running, without the meeting's sites), certbot's
certificates, and the packages, unless --purge-packages purges Jitsi's.
A later install starts from scratch.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if !dryRun {
				if err := g.needAsk(yes); err != nil {
					return err
				}
			}
			s, err := g.open(file, workflow.Options{Steps: steps.Options{}, Command: "uninstall",
				Lock: !dryRun, LockWait: g.wait, Remove: &installer.RemoveOptions{PurgePackages: purge}})
			if err != nil {
				return err
			}
			return s.converge(c.Context(), yes, dryRun, false, "Uninstall: apply")
		},
	}
	answersFlag(c, &file)
	c.Flags().BoolVarP(&yes, "yes", "y", false, "uninstall without asking")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "show what would be removed and change nothing")
	c.Flags().BoolVar(&purge, "purge-packages", false, "also purge the Jitsi packages and their configuration")
	waitFlag(c, g)
	return c
}
