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
	// Secrets are the values a diff must mask (the engine's Redactor); a
	// resource holding secrets shows no content when it is nil.
	Secrets *Redactor
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
	ActionUpgrade Action = "upgrade"
	ActionFetch   Action = "fetch"
	ActionPreseed Action = "preseed"
	ActionAdd     Action = "add"
	ActionDelete  Action = "delete"
	ActionEnable  Action = "enable"
	ActionService Action = "service"
	ActionStop    Action = "stop"
	ActionRun     Action = "run"
	ActionReport  Action = "report" // drift shown and kept: nothing to apply
)

// Change is what differs for one resource and how to fix it.
type Change struct {
	Action  Action
	Details []Detail // what differs, one each: mode 0644 -> 0640
	Diff    string   // unified diff of file content, secrets masked
	Warn    string   // shown in the plan, e.g. an option that exposes a port
	Hint    string   // shown when applying fails: what the operator can do
	// Report marks drift shown but left as is (the answers say to keep
	// it): not a pending change, nothing to apply.
	Report  bool
	apply   func(ctx context.Context, h *Host) error
	applied bool
	failed  bool
}

// Detail is one thing that differs: Field names what, From is what the host
// has and To what is declared ("" for none). Text says it for people, on
// one line ("" when another detail's text says it).
type Detail struct {
	Field string `json:"field"`
	Name  string `json:"name,omitempty"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Text  string `json:"text,omitempty"`
}

// Fields of a Detail; README "Plan output" documents them.
const (
	FieldContent = "content" // file content (the diff is in Change.Diff)
	FieldMode    = "mode"    // 0644
	FieldOwner   = "owner"   // user:group
	FieldType    = "type"    // file, symlink, directory, absent
	FieldTarget  = "target"  // a symlink's target
	FieldGuard   = "guard"   // a command's guard: Name the condition, From what was found
	FieldEnabled = "enabled" // a unit's enablement: enabled, disabled, ...
	FieldState   = "state"   // a unit's active state: active, inactive, failed, ...
	FieldRule    = "rule"    // a UFW rule: To when missing, From when not declared
	FieldVersion = "version" // a package's version, Name the package
	FieldKey     = "key"     // an apt key's fingerprints
	FieldValue   = "value"   // a debconf answer
	FieldNote    = "note"    // anything else
)

// note is a Detail that is only text.
func note(format string, a ...any) Detail {
	return Detail{Field: FieldNote, Text: fmt.Sprintf(format, a...)}
}

// fromTo is a Detail "FIELD FROM -> TO".
func fromTo(field, from, to string) Detail {
	return Detail{Field: field, From: from, To: to, Text: field + " " + or(from, "none") + " -> " + or(to, "none")}
}

// Summary is the one-line description used in plans and events.
func (c *Change) Summary() string {
	if len(c.Details) == 0 {
		return string(c.Action)
	}
	var texts []string
	for _, d := range c.Details {
		if d.Text != "" { // said by another detail's text
			texts = append(texts, strings.ReplaceAll(d.Text, "\n", "; "))
		}
	}
	if len(texts) == 0 {
		return string(c.Action)
	}
	return string(c.Action) + ": " + strings.Join(texts, ", ")
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
// The command carries the run's tag (RunTag), inherited by its children.
func (h *Host) run(ctx context.Context, stdin []byte, env map[string]string, args ...string) (string, error) {
	tagged := map[string]string{RunTag: h.RunID}
	for k, v := range env {
		tagged[k] = v
	}
	res, err := h.T.Run(ctx, transport.Cmd{Args: args, Stdin: stdin, Sudo: true, Env: tagged})
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
