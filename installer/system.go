package installer

import (
	"context"
	"fmt"
	"strings"
)

// Service is a systemd unit that should be enabled and running.
type Service struct {
	Name     string
	Disabled bool // declare the unit disabled and stopped instead
}

// Key implements Resource.
func (s *Service) Key() string { return "service " + s.Name }

// Probe implements Resource.
func (s *Service) Probe() string {
	n := sh(s.Name)
	return fmt.Sprintf("echo \"$(systemctl is-enabled %[1]s 2>/dev/null || true) $(systemctl is-active %[1]s 2>/dev/null || true)\"", n)
}

// Diff implements Resource.
func (s *Service) Diff(p Probed) (*Change, error) {
	f := strings.Fields(p.Out)
	enabled, active := "", ""
	if len(f) > 0 {
		enabled = f[0]
	}
	if len(f) > 1 {
		active = f[1]
	}
	isEnabled := enabled == "enabled" || enabled == "static" || enabled == "alias" || enabled == "generated"
	isActive := active == "active" || active == "reloading" || active == "activating"
	if s.Disabled {
		if !isActive && !isEnabled {
			return nil, nil
		}
		return &Change{Action: ActionStop, Details: []string{or(enabled, "?") + "/" + or(active, "?") + " -> disabled/inactive"}, apply: func(ctx context.Context, h *Host) error {
			_, err := h.Run(ctx, "systemctl", "disable", "--now", s.Name)
			return err
		}}, nil
	}
	if isEnabled && isActive {
		return nil, nil
	}
	var details []string
	args := []string{"systemctl"}
	switch {
	case !isEnabled && !isActive:
		details = []string{"enable and start"}
		args = append(args, "enable", "--now", s.Name)
	case !isEnabled:
		details = []string{"enable (" + or(enabled, "unknown") + ")"}
		args = append(args, "enable", s.Name)
	default:
		details = []string{"start (" + or(active, "unknown") + ")"}
		args = append(args, "start", s.Name)
	}
	return &Change{Action: ActionService, Details: details, apply: func(ctx context.Context, h *Host) error {
		_, err := h.Run(ctx, args...)
		if err != nil {
			status, _ := h.Run(ctx, "sh", "-c", `systemctl status --no-pager -n 15 "$1" 2>&1 || true`, "sh", s.Name)
			return fmt.Errorf("%w\n%s", err, strings.TrimSpace(status))
		}
		return nil
	}}, nil
}

// UFWRule is an allow rule. Rules are compared with what ufw has added, so a
// re-run adds nothing and rules the operator added by hand are left alone.
type UFWRule struct {
	Port    string // "80", "10000"
	Proto   string // tcp, udp
	From    string // empty: anywhere; else an address or CIDR
	Comment string
	Warn    string // shown in the plan when the rule is added
}

// Key implements Resource.
func (r *UFWRule) Key() string {
	k := "ufw allow " + r.Port + "/" + r.Proto
	if r.From != "" {
		k += " from " + r.From
	}
	return k
}

// spec is the rule as `ufw show added` prints it, without the comment.
func (r *UFWRule) spec() string {
	if r.From == "" {
		return "ufw allow " + r.Port + "/" + r.Proto
	}
	return "ufw allow from " + r.From + " to any port " + r.Port + " proto " + r.Proto
}

func (r *UFWRule) args() []string {
	a := []string{"ufw", "allow"}
	if r.From == "" {
		a = append(a, r.Port+"/"+r.Proto)
	} else {
		a = append(a, "from", r.From, "to", "any", "port", r.Port, "proto", r.Proto)
	}
	if r.Comment != "" {
		a = append(a, "comment", r.Comment)
	}
	return a
}

// Probe implements Resource. The added rules are read once per batch (see
// Prelude): ufw is slow to start.
func (r *UFWRule) Probe() string { return `printf '%s\n' "$UFW_ADDED"` }

// Prelude implements Preluder.
func (r *UFWRule) Prelude() string { return ufwPrelude }

const ufwPrelude = `UFW_ADDED=$(ufw show added 2>/dev/null); UFW_STATUS=$(ufw status 2>/dev/null | head -n1)`

// Diff implements Resource.
func (r *UFWRule) Diff(p Probed) (*Change, error) {
	for _, line := range strings.Split(p.Out, "\n") {
		if i := strings.Index(line, " comment '"); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == r.spec() {
			return nil, nil
		}
	}
	return &Change{Action: ActionAdd, Warn: r.Warn, apply: func(ctx context.Context, h *Host) error {
		_, err := h.Run(ctx, r.args()...)
		return err
	}}, nil
}

// UFWEnabled turns the firewall on. Steps declare it after the rules that keep
// the operator's SSH session open.
type UFWEnabled struct{}

// Key implements Resource.
func (UFWEnabled) Key() string { return "ufw enabled" }

// Probe implements Resource.
func (UFWEnabled) Probe() string { return `printf '%s\n' "$UFW_STATUS"` }

// Prelude implements Preluder.
func (UFWEnabled) Prelude() string { return ufwPrelude }

// Diff implements Resource.
func (UFWEnabled) Diff(p Probed) (*Change, error) {
	if strings.TrimSpace(p.Out) == "Status: active" {
		return nil, nil
	}
	return &Change{Action: ActionEnable, Details: []string{strings.TrimSpace(p.Out) + " -> active"}, apply: func(ctx context.Context, h *Host) error {
		_, err := h.Run(ctx, "ufw", "--force", "enable")
		return err
	}}, nil
}

// Command runs once its guard says it is needed: when Creates does not exist,
// or when Unless exits non-zero. A command without a guard is refused.
type Command struct {
	Name    string // shown in plans: "register focus in prosody"
	Args    []string
	Stdin   []byte // e.g. a password; never shown
	Env     map[string]string
	Creates string
	Unless  []string
	// Hint tells the operator what to fix when the command fails.
	Hint string
	Notify
}

// Key implements Resource.
func (c *Command) Key() string { return "command " + c.Name }

// Probe implements Resource.
func (c *Command) Probe() string {
	switch {
	case c.Creates != "":
		return fmt.Sprintf("[ -e %s ] && echo done || echo needed", sh(c.Creates))
	case len(c.Unless) > 0:
		return fmt.Sprintf("( %s ) >/dev/null 2>&1 </dev/null && echo done || echo needed", sh(c.Unless...))
	}
	return "echo noguard"
}

// Diff implements Resource.
func (c *Command) Diff(p Probed) (*Change, error) {
	switch strings.TrimSpace(p.Out) {
	case "done":
		return nil, nil
	case "noguard":
		return nil, fmt.Errorf("command %q has no guard (creates or unless)", c.Name)
	}
	return &Change{Action: ActionRun, Hint: c.Hint, apply: func(ctx context.Context, h *Host) error {
		_, err := h.run(ctx, c.Stdin, c.Env, c.Args...)
		return err
	}}, nil
}

// Preluder is a resource whose probe needs shell variables set once per batch.
type Preluder interface {
	Prelude() string
}
