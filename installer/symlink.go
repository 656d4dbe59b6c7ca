package installer

import (
	"context"
	"fmt"
	"strings"
)

// Symlink points Path at Target.
type Symlink struct {
	Path   string
	Target string
	Notify
}

// Key implements Resource.
func (s *Symlink) Key() string { return "symlink " + s.Path }

// Probe implements Resource.
func (s *Symlink) Probe() string {
	p := sh(s.Path)
	return fmt.Sprintf(`if [ -L %[1]s ]; then printf 'link %%s\n' "$(readlink %[1]s)"; elif [ -e %[1]s ]; then echo other; else echo absent; fi`, p)
}

// Diff implements Resource.
func (s *Symlink) Diff(p Probed) (*Change, error) {
	out := strings.TrimRight(p.Out, "\n")
	if out == "link "+s.Target {
		return nil, nil
	}
	c := &Change{Action: ActionCreate, Details: []Detail{{Field: FieldTarget, To: s.Target, Text: "-> " + s.Target}}}
	switch {
	case strings.HasPrefix(out, "link "):
		have := strings.TrimPrefix(out, "link ")
		c.Action, c.Details = ActionUpdate, []Detail{{Field: FieldTarget, From: have, To: s.Target, Text: have + " -> " + s.Target}}
	case out == "other":
		c.Action = ActionReplace
		c.Details = append(c.Details, Detail{Field: FieldType, From: "file", To: "symlink", Text: "a file is in the way (kept in the backup)"})
	}
	c.apply = func(ctx context.Context, h *Host) error {
		_, err := h.Run(ctx, "sh", "-c", `if [ -e "$2" ] && [ ! -L "$2" ]; then (umask 077; mkdir -p "$3$(dirname "$2")") && mv "$2" "$3$2"; fi; ln -sfn "$1" "$2"`, "sh", s.Target, s.Path, h.BackupDir())
		return err
	}
	return c, nil
}
