package installer

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
)

// Dir is a directory with owner, group and mode.
type Dir struct {
	Path  string
	Mode  fs.FileMode
	Owner string
	Group string
}

// Key implements Resource.
func (d *Dir) Key() string { return "dir " + d.Path }

// Probe implements Resource.
func (d *Dir) Probe() string {
	p := sh(d.Path)
	return fmt.Sprintf(`if [ -d %[1]s ] && [ ! -L %[1]s ]; then stat -c '%%a %%U %%G' %[1]s; else echo absent; fi`, p)
}

// Diff implements Resource.
func (d *Dir) Diff(p Probed) (*Change, error) {
	owner, group, mode := or(d.Owner, "root"), or(d.Group, "root"), fmt.Sprintf("%04o", d.Mode.Perm())
	apply := func(ctx context.Context, h *Host) error {
		_, err := h.Run(ctx, "sh", "-c", `mkdir -p "$4" && chown "$1:$2" "$4" && chmod "$3" "$4"`, "sh", owner, group, mode, d.Path)
		return err
	}
	f := strings.Fields(p.Out)
	if len(f) != 3 {
		return &Change{Action: ActionCreate, Details: []Detail{
			{Field: FieldType, From: "absent", To: "directory"},
			{Field: FieldOwner, To: owner + ":" + group, Text: owner + ":" + group + " " + mode},
			{Field: FieldMode, To: mode},
		}, apply: apply}, nil
	}
	var details []Detail
	if have := fmt.Sprintf("%04s", f[0]); have != mode {
		details = append(details, fromTo(FieldMode, have, mode))
	}
	if have := f[1] + ":" + f[2]; have != owner+":"+group {
		details = append(details, fromTo(FieldOwner, have, owner+":"+group))
	}
	if details == nil {
		return nil, nil
	}
	return &Change{Action: ActionUpdate, Details: details, apply: apply}, nil
}
