package resource

import (
	"context"
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

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
	// Undo is what uninstall runs once the guard says the command ran
	// (Creates exists, Unless passes); none: uninstall leaves it.
	Undo []string
	// UndoUnless, when set, is Undo's own guard (Undo runs while it fails)
	// instead of the command's, inverted.
	UndoUnless []string
	// Made are the paths the command makes and Undo removes, besides
	// Creates: directories they leave empty go in the same uninstall.
	Made    []string
	removes []string // what an undo takes away (RemovedPaths)
	undo    bool     // this is another command's Undo
	installer.Notify
}

// Key implements Resource.
func (c *Command) Key() string { return "command " + c.Name }

// Probe prints "done", or "needed" and what the guard found: the last
// lines of what Unless printed, with its exit status.
func (c *Command) Probe() string {
	switch {
	case c.Creates != "":
		return fmt.Sprintf("[ -e %s ] && echo done || echo needed", sh(c.Creates))
	case len(c.Unless) > 0:
		return fmt.Sprintf("o=$( %s 2>&1 </dev/null ); r=$?; if [ $r = 0 ]; then echo done; else echo needed $r; printf '%%s\\n' \"$o\" | tail -n %d; fi", sh(c.Unless...), guardLines)
	}
	return "echo noguard"
}

// guardLines is how much of a failed guard's output the plan shows.
const guardLines = 8

// Diff implements Resource.
func (c *Command) Diff(p installer.Probed) (*installer.Change, error) {
	head, found, _ := strings.Cut(strings.TrimRight(p.Out, "\n"), "\n")
	f := strings.Fields(head)
	switch {
	case len(f) == 0:
		return nil, fmt.Errorf("command %q: the guard printed nothing", c.Name)
	case f[0] == "done":
		return nil, nil
	case f[0] == "noguard":
		return nil, fmt.Errorf("command %q has no guard (creates or unless)", c.Name)
	}
	var d installer.Detail
	if c.Creates != "" {
		d = installer.Detail{Field: installer.FieldGuard, Name: "creates " + c.Creates, From: "absent", To: "present", Text: c.Creates + " does not exist"}
	} else {
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(found), "\n") {
			if l = strings.TrimSpace(p.Secrets.MaskLine(l)); l != "" {
				lines = append(lines, truncateLine(l, 200))
			}
		}
		code := "?"
		if len(f) > 1 {
			code = f[1]
		}
		d = installer.Detail{Field: installer.FieldGuard, Name: "unless " + installer.Display(c.Unless), From: strings.Join(lines, "\n"), To: "exit 0",
			Text: "not done yet (its check exited " + code + ")"}
		if len(lines) > 0 {
			d.Text = "needed: " + strings.Join(lines, "; ")
		}
	}
	if c.undo {
		// The guard's output is what install left (a uid, a file list):
		// the plan says why the undo runs instead.
		d.From, d.Text = "", "install did it"
	}
	return &installer.Change{Action: installer.ActionRun, Hint: c.Hint, Details: []installer.Detail{d}, Apply: func(ctx context.Context, h *installer.Host) error {
		_, err := h.RunWith(ctx, c.Stdin, c.Env, c.Args...)
		return err
	}}, nil
}

func truncateLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
