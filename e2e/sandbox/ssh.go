package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// SSHArgs are the arguments of the system ssh client for this target, up to
// and including user@address: its key, strict checking against the host key
// written before boot, no agent, no prompts.
func (t *Target) SSHArgs() []string {
	var jump []string
	if t.Bastion != nil {
		jump = []string{"-o", "ProxyCommand=" + t.proxyCommand()}
	}
	return append(jump, []string{
		"-i", t.KeyFile,
		"-p", strconv.Itoa(t.Port),
		"-o", "IdentitiesOnly=yes",
		"-o", "IdentityAgent=none",
		"-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + t.KnownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "ConnectTimeout=5",
		"-o", "LogLevel=ERROR",
		t.User + "@" + t.Address,
	}...)
}

// SSH runs cmd on the target through the system ssh client and returns its
// stdout; a failure carries the exit status and stderr.
func (t *Target) SSH(ctx context.Context, cmd string) (string, error) {
	return t.Run(ctx, nil, cmd)
}

// Run is SSH with stdin for the remote command.
func (t *Target) Run(ctx context.Context, stdin io.Reader, cmd string) (string, error) {
	c := exec.CommandContext(ctx, "ssh", append(t.SSHArgs(), "--", cmd)...)
	c.Stdin = stdin
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return out.String(), fmt.Errorf("ssh %s %q: %w: %s", t.Name, cmd, err, tail(errb.String(), 4000))
	}
	return out.String(), nil
}

// Sudo runs cmd as root: directly as root, through `sudo -S` with the
// password from sudo_password otherwise.
func (t *Target) Sudo(ctx context.Context, cmd string) (string, error) {
	if t.User == "root" {
		return t.SSH(ctx, cmd)
	}
	pw := strings.TrimSpace(readFile(t.SudoPasswordFile))
	return t.Run(ctx, strings.NewReader(pw+"\n"), "sudo -S -p '' sh -c "+ShellQuote(cmd))
}

// ShellQuote quotes s for a POSIX shell, for commands run on a target.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
