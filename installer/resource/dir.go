package resource

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
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
func (d *Dir) Diff(p installer.Probed) (*installer.Change, error) {
	owner, group, mode := cmp.Or(d.Owner, "root"), cmp.Or(d.Group, "root"), fmt.Sprintf("%04o", d.Mode.Perm())
	apply := func(ctx context.Context, h *installer.Host) error {
		_, err := h.Run(ctx, "sh", "-c", `mkdir -p "$4" && chown "$1:$2" "$4" && chmod "$3" "$4"`, "sh", owner, group, mode, d.Path)
		return err
	}
	f := strings.Fields(p.Out)
	if len(f) != 3 {
		return &installer.Change{Action: installer.ActionCreate, Details: []installer.Detail{
			{Field: installer.FieldType, From: "absent", To: "directory"},
			{Field: installer.FieldOwner, To: owner + ":" + group, Text: owner + ":" + group + " " + mode},
			{Field: installer.FieldMode, To: mode},
		}, Apply: apply}, nil
	}
	var details []installer.Detail
	if have := fmt.Sprintf("%04s", f[0]); have != mode {
		details = append(details, installer.FromTo(installer.FieldMode, have, mode))
	}
	if have := f[1] + ":" + f[2]; have != owner+":"+group {
		details = append(details, installer.FromTo(installer.FieldOwner, have, owner+":"+group))
	}
	if details == nil {
		return nil, nil
	}
	return &installer.Change{Action: installer.ActionUpdate, Details: details, Apply: apply}, nil
}
