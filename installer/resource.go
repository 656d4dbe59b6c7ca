package installer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// Resource is one piece of declared state on a host.
//
// The engine runs Probe for every resource of a host in one batched script,
// hands each resource its own output, and applies the Change that Diff returns.
type Resource interface {
	// Key names the resource in plans and events: "file /etc/hosts".
	Key() string
	// Probe is a POSIX sh fragment, run as root, whose stdout describes the
	// resource's current state. Build it with sh() so values are quoted.
	Probe() string
	// Diff compares the probed state with the declared one; nil means converged.
	Diff(p Probed) (*Change, error)
}

// Probed is what a resource's probe printed and how it exited.
type Probed struct {
	Out  string
	Code int
}

// Action is what applying a change does to a resource, as plans, events and
// the journal name it.
type Action string

// The actions resources plan.
const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionReplace Action = "replace"
	ActionInstall Action = "install"
	ActionFetch   Action = "fetch"
	ActionPreseed Action = "preseed"
	ActionAdd     Action = "add"
	ActionDelete  Action = "delete"
	ActionEnable  Action = "enable"
	ActionService Action = "service"
	ActionStop    Action = "stop"
	ActionRun     Action = "run"
)

// Change is what differs for one resource and how to fix it.
type Change struct {
	Action Action

	Details []string // one line each: "mode 0644 -> 0640"
	Diff    string   // unified diff of file content, redacted
	Warn    string   // shown in the plan, e.g. an option that exposes a port
	Hint    string   // shown when applying fails: what the operator can do
	apply   func(ctx context.Context, h *Host) error
	applied bool
	failed  bool
}

// Summary is the one-line description used in plans and events.
func (c *Change) Summary() string {
	if len(c.Details) == 0 {
		return string(c.Action)
	}
	return string(c.Action) + ": " + strings.Join(c.Details, ", ")
}

// Notifier is a resource that notifies handlers when it changes.
type Notifier interface {
	Notifies() []Handler
}

// Handler is an action owed after a change, such as a service restart. Handlers
// are identified by Name and run once per group however often notified.
type Handler struct {
	Name string
	// Cmds run in order as root; the first that fails fails the handler.
	Cmds [][]string
}

// Restart returns the usual handler for a systemd unit.
func Restart(unit string) Handler {
	return Handler{Name: "restart " + unit, Cmds: [][]string{{"systemctl", "restart", unit}}}
}

// Reload returns a reload handler for a systemd unit.
func Reload(unit string) Handler {
	return Handler{Name: "reload " + unit, Cmds: [][]string{{"systemctl", "reload", unit}}}
}

// Notify is embedded by resources to carry their handlers.
type Notify struct {
	Handlers []Handler
}

// Notifies implements Notifier.
func (n Notify) Notifies() []Handler { return n.Handlers }

// sh quotes args into one shell command.
func sh(args ...string) string { return transport.Join(args) }

// run executes args as root and fails on a non-zero exit with the output.
func (h *Host) run(ctx context.Context, stdin []byte, env map[string]string, args ...string) (string, error) {
	res, err := h.T.Run(ctx, transport.Cmd{Args: args, Stdin: stdin, Sudo: true, Env: env})
	if err != nil {
		return "", fmt.Errorf("%s: %w", args[0], err)
	}
	if res.ExitCode != 0 {
		out := strings.TrimSpace(string(res.Stderr))
		if out == "" {
			out = strings.TrimSpace(string(res.Stdout))
		}
		return string(res.Stdout), fmt.Errorf("%s exited %d: %s", display(args), res.ExitCode, lastLines(out, 15))
	}
	return string(res.Stdout), nil
}

// Run executes args as root on the host and fails on a non-zero exit.
func (h *Host) Run(ctx context.Context, args ...string) (string, error) {
	return h.run(ctx, nil, nil, args...)
}

// display shortens a command line for messages: scripts are long.
func display(args []string) string {
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
