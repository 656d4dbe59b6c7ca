package resource

import (
	"context"
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// Symlink points Path at Target.
type Symlink struct {
	Path   string
	Target string
	installer.Notify
}

// Key implements Resource.
func (s *Symlink) Key() string { return "symlink " + s.Path }

// Probe implements Resource.
func (s *Symlink) Probe() string {
	p := sh(s.Path)
	return fmt.Sprintf(`if [ -L %[1]s ]; then printf 'link %%s\n' "$(readlink %[1]s)"; elif [ -e %[1]s ]; then echo other; else echo absent; fi`, p)
}

// Diff implements Resource.
func (s *Symlink) Diff(p installer.Probed) (*installer.Change, error) {
	out := strings.TrimRight(p.Out, "\n")
	if out == "link "+s.Target {
		return nil, nil
	}
	c := &installer.Change{Action: installer.ActionCreate, Details: []installer.Detail{{Field: installer.FieldTarget, To: s.Target, Text: "-> " + s.Target}}}
	switch {
	case strings.HasPrefix(out, "link "):
		have := strings.TrimPrefix(out, "link ")
		c.Action, c.Details = installer.ActionUpdate, []installer.Detail{{Field: installer.FieldTarget, From: have, To: s.Target, Text: have + " -> " + s.Target}}
	case out == "other":
		c.Action = installer.ActionReplace
		c.Details = append(c.Details, installer.Detail{Field: installer.FieldType, From: "file", To: "symlink", Text: "a file is in the way (kept in the backup)"})
	}
	c.Apply = func(ctx context.Context, h *installer.Host) error {
		_, err := h.Run(ctx, "sh", "-c", `if [ -e "$2" ] && [ ! -L "$2" ]; then (umask 077; mkdir -p "$3$(dirname "$2")") && mv "$2" "$3$2"; fi; ln -sfn "$1" "$2"`, "sh", s.Target, s.Path, h.BackupDir())
		return err
	}
	return c, nil
}
