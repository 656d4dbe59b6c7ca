package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"
)

// installerPkg is the installer's main package, from the repository root.
const installerPkg = "./cmd/jitsi-installer"

// buildInstaller builds ./cmd/jitsi-installer into out and checks that it has
// an install command; otherwise it returns "" and why not.
func buildInstaller(cmd *cobra.Command, out string) (bin, why string) {
	if _, err := os.Stat(installerPkg); err != nil {
		return "", installerPkg + " does not exist here (run from the repository root)"
	}
	build := exec.CommandContext(cmd.Context(), "go", "build", "-o", out, installerPkg)
	build.Stdout, build.Stderr = io.Discard, cmd.ErrOrStderr()
	if err := build.Run(); err != nil {
		return "", installerPkg + " does not build yet"
	}
	if !hasInstall(cmd, out) {
		return "", "jitsi-installer has no install command yet"
	}
	return out, ""
}

// hasInstall reports whether bin has an install command that takes --answers.
func hasInstall(cmd *cobra.Command, bin string) bool {
	help, err := exec.CommandContext(cmd.Context(), bin, "install", "--help").CombinedOutput()
	return err == nil && strings.Contains(string(help), "--answers")
}

// installAndVerify runs the installer's install and then its verify with
// answers, showing each command and its output.
func installAndVerify(cmd *cobra.Command, bin, answers string) error {
	out := cmd.OutOrStdout()
	for _, step := range [][]string{
		{"install", "--answers", answers, "--yes"},
		{"verify", "--answers", answers},
	} {
		fmt.Fprintf(out, "\n$ jitsi-installer %s\n", strings.Join(step, " "))
		c := exec.CommandContext(cmd.Context(), bin, step...)
		c.Stdout, c.Stderr = out, cmd.ErrOrStderr()
		if err := c.Run(); err != nil {
			return fmt.Errorf("jitsi-installer %s: %w", step[0], err)
		}
	}
	return nil
}
