package installer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// RunWith executes args as root, with stdin and env, and fails on a
// non-zero exit with the output.
// The command carries the run's tag (RunTag), inherited by its children.
func (h *Host) RunWith(ctx context.Context, stdin []byte, env map[string]string, args ...string) (string, error) {
	return h.RunProgress(ctx, stdin, env, nil, args...)
}

// RunProgress is RunWith, passing each line of stdout to progress as it
// arrives (nil: none).
func (h *Host) RunProgress(ctx context.Context, stdin []byte, env map[string]string, progress func(line string), args ...string) (string, error) {
	tagged := map[string]string{RunTag: h.RunID}
	for k, v := range env {
		tagged[k] = v
	}
	res, err := h.T.Run(ctx, transport.Cmd{Args: args, Stdin: stdin, Sudo: true, Env: tagged, Progress: progress})
	if err != nil {
		return "", fmt.Errorf("%s: %w", args[0], err)
	}
	if res.ExitCode != 0 {
		out := strings.TrimSpace(string(res.Stderr))
		if out == "" {
			out = strings.TrimSpace(string(res.Stdout))
		}
		return string(res.Stdout), fmt.Errorf("%s exited %d: %s", Display(args), res.ExitCode, lastLines(out, 15))
	}
	return string(res.Stdout), nil
}

// Run executes args as root on the host and fails on a non-zero exit.
func (h *Host) Run(ctx context.Context, args ...string) (string, error) {
	return h.RunWith(ctx, nil, nil, args...)
}

// Display shortens a command line for messages: scripts are long.
func Display(args []string) string {
	if len(args) > 4 && args[0] == "sh" && args[1] == "-c" && args[2] == answersScript {
		return Display(args[4:]) // the command WithAnswers wraps
	}
	if len(args) > 2 && args[0] == "sh" && args[1] == "-c" {
		return "a shell script"
	}
	s := strings.Join(args, " ")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
