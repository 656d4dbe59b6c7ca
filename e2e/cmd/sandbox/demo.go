package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
)

const demoName = "demo"

func newDemo() *cobra.Command {
	var suite, installer string
	var bridges int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Bring up target demo and install Jitsi Meet on it with jitsi-installer",
		Long: `Install the host packages, bring up the target "demo" (or reuse it while
it runs), build ./cmd/jitsi-installer (or use --installer), run
"install --answers FILE --yes" and "verify --answers FILE", and print where
the meeting is served. Remove the target afterwards with: sandbox down demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if bridges > 0 {
				return demoCluster(cmd, suite, installer, bridges)
			}
			t, err := sandbox.Load(demoName)
			if err == nil && t.Running() && t.Suite == suite && t.AnswersFile != "" && t.Network == "" {
				fmt.Fprintf(errw, "sandbox: reusing the running target %s\n", demoName)
			} else {
				if err := sandbox.Down(ctx, demoName); err != nil {
					return err
				}
				if t, err = sandbox.Up(ctx, sandbox.Options{Name: demoName, Suite: suite, Log: errw}); err != nil {
					return err
				}
			}
			fmt.Fprintf(out, "Target %s (%s) is up at %s; answers file: %s\n", t.Name, t.Suite, t.Address, t.AnswersFile)
			fmt.Fprintf(out, "Log in with: ssh -i %s -o UserKnownHostsFile=%s %s@%s\n", t.KeyFile, t.KnownHosts, t.User, t.Address)

			bin, why := installer, ""
			if bin == "" {
				bin, why = buildInstaller(cmd, filepath.Join(sandbox.TargetDir(demoName), "jitsi-installer"))
			} else if !hasInstall(cmd, bin) {
				bin, why = "", bin+" has no install command yet"
			}
			if bin == "" {
				fmt.Fprintf(out, "\nStopping after `up`: %s.\nRun it yourself once it exists:\n  jitsi-installer install --answers %s --yes\n", why, t.AnswersFile)
				return nil
			}
			if err := installAndVerify(cmd, bin, t.AnswersFile); err != nil {
				return err
			}
			fmt.Fprintf(out, `
Jitsi Meet is served at https://%[1]s/ on %[2]s (certificate from the sandbox's Pebble CA).
From this machine:
  curl --resolve %[1]s:443:%[2]s --cacert %[3]s https://%[1]s/
Remove the target with: go run ./e2e/cmd/sandbox down %[4]s
`, t.Domain, t.Address, t.ACMERoot, t.Name)
			t.SignInHelp(out)
			return nil
		},
	}
	cmd.Flags().StringVar(&suite, "suite", sandbox.Suites[0], "release: trixie, bookworm, bullseye (Debian) or noble (Ubuntu 24.04)")
	cmd.Flags().StringVar(&installer, "installer", "", "a built jitsi-installer to run; empty: build ./cmd/jitsi-installer")
	cmd.Flags().IntVar(&bridges, "bridges", 0, "also bring up this many videobridge hosts (demo-b1, ...) on a shared network with demo, and install them with it")
	return cmd
}

// maxDemoBridges bounds --bridges: each is a booted target.
const maxDemoBridges = 3

// demoCluster is the demo with a core and n videobridge hosts on the
// shared network "demo", the bridges in two regions.
func demoCluster(cmd *cobra.Command, suite, installer string, n int) error {
	if n > maxDemoBridges {
		return fmt.Errorf("--bridges %d: at most %d", n, maxDemoBridges)
	}
	ctx := cmd.Context()
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	names := []string{demoName}
	for i := 1; i <= maxDemoBridges; i++ {
		names = append(names, fmt.Sprintf("%s-b%d", demoName, i))
	}
	for _, name := range names {
		if err := sandbox.Down(ctx, name); err != nil {
			return err
		}
	}
	core, err := sandbox.Up(ctx, sandbox.Options{Name: demoName, Suite: suite, Network: demoName, Log: errw})
	if err != nil {
		return err
	}
	var bridges []*sandbox.Target
	var regions []string
	for i := 1; i <= n; i++ {
		b, err := sandbox.Up(ctx, sandbox.Options{Name: names[i], Suite: suite, Network: demoName, Log: errw})
		if err != nil {
			return err
		}
		bridges = append(bridges, b)
		regions = append(regions, []string{"eu-west", "us-east"}[i%2])
	}
	answers, err := core.WriteClusterAnswers("answers-cluster.yaml", bridges, regions)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Core %s at %s and %d videobridge hosts on network %s; answers file: %s\n", core.Name, core.Address, n, demoName, answers)
	bin, why := installer, ""
	if bin == "" {
		bin, why = buildInstaller(cmd, filepath.Join(sandbox.TargetDir(demoName), "jitsi-installer"))
	}
	if bin == "" {
		return fmt.Errorf("no installer: %s", why)
	}
	if err := installAndVerify(cmd, bin, answers); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nJitsi Meet is served at https://%s/ on %s; its bridges are %s. Remove them with: go run ./e2e/cmd/sandbox down %s\n",
		core.Domain, core.Address, strings.Join(names[1:n+1], ", "), strings.Join(names[:n+1], " "))
	return nil
}
