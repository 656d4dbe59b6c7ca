// Command sandbox brings throw-away Debian and Ubuntu targets up and down on this
// machine (see package e2e/sandbox) and runs the installer demo on one.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "sandbox",
		Short:         "Throw-away Debian and Ubuntu targets (systemd-nspawn) for trying and testing jitsi-installer",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(newUp(), newDown(), newList(), newPrepare(), newDemo())
	return root
}

func newUp() *cobra.Command {
	var o sandbox.Options
	cmd := &cobra.Command{
		Use:   "up NAME",
		Short: "Boot a target and print how to reach it as JSON",
		Long: `Boot a target and print one JSON object: address, port, user, key_file,
host_key, answers_file (a ready answers file for this target), acme_server,
acme_ca_bundle (what letsencrypt.ca_bundle takes) and more. Progress goes to
stderr.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			o.Log = cmd.ErrOrStderr()
			t, err := sandbox.Up(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printJSON(cmd, t.Info)
		},
	}
	cmd.Flags().StringVar(&o.Suite, "suite", sandbox.Suites[0], "release: trixie, bookworm, bullseye (Debian) or noble (Ubuntu 24.04)")
	cmd.Flags().StringVar(&o.User, "user", "root", "log in as root, or as ops whose sudo needs a password")
	cmd.Flags().StringVar(&o.Network, "network", "", "put the target on shared network NET with the other targets of NET (10.213.251-254.0/24); they reach each other and this machine")
	cmd.Flags().StringVar(&o.Behind, "behind", "", "reach the target's SSH only through target BASTION (a private link from it; no route from this machine)")
	cmd.Flags().StringVar(&o.JitsiSuite, "jitsi-suite", sandbox.JitsiSuites[0], "stand-in Jitsi suite for the answers file: stable/, or oldstable/ (a token plugin without JWKS support)")
	return cmd
}

func newDown() *cobra.Command {
	return &cobra.Command{
		Use:   "down NAME...",
		Short: "Stop targets and remove everything they made",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var errs []error
			for _, name := range args {
				errs = append(errs, sandbox.Down(cmd.Context(), name))
			}
			return errors.Join(errs...)
		},
	}
}

func newList() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show the targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ts, err := sandbox.List()
			if err != nil {
				return err
			}
			if asJSON {
				infos := []sandbox.Info{}
				for _, t := range ts {
					infos = append(infos, t.Info)
				}
				return printJSON(cmd, infos)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tSUITE\tADDRESS\tUSER\tSTATE\tANSWERS")
			for _, t := range ts {
				state := "stopped"
				if t.Running() {
					state = "running"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Suite, t.Address, t.User, state, t.AnswersFile)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newPrepare() *cobra.Command {
	var suites []string
	cmd := &cobra.Command{
		Use:   "prepare",
		Short: "Install the host packages and build the cached root file systems (in parallel)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := sandbox.EnsureHost(ctx, cmd.ErrOrStderr()); err != nil {
				return err
			}
			var wg sync.WaitGroup
			errs := make([]error, len(suites))
			for i, s := range suites {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = sandbox.EnsureRootfs(ctx, s, cmd.ErrOrStderr())
				}()
			}
			wg.Wait()
			return errors.Join(errs...)
		},
	}
	cmd.Flags().StringSliceVar(&suites, "suite", sandbox.Suites, "suites to build")
	return cmd
}

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
