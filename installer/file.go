package installer

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// maxDiffBytes caps the old content fetched for a diff; larger files are
// compared by hash only.
const maxDiffBytes = 256 << 10

// File is a regular file with exact content, owner, group and mode.
type File struct {
	Path    string
	Content []byte
	Mode    fs.FileMode
	Owner   string // default root
	Group   string // default root
	// Secret hides the content diff in plans (the file holds passwords).
	Secret bool
	// Validate runs after the new content is in place; when it fails the
	// previous file is put back and the change fails with its output.
	Validate []string
	Notify
}

func (f *File) owner() string { return or(f.Owner, "root") }
func (f *File) group() string { return or(f.Group, "root") }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Key implements Resource.
func (f *File) Key() string { return "file " + f.Path }

func (f *File) sum() string {
	s := sha256.Sum256(f.Content)
	return hex.EncodeToString(s[:])
}

// Probe prints "absent" or "MODE OWNER GROUP SHA256", followed by the old
// content in base64 when it differs from the declared content and is small.
func (f *File) Probe() string {
	p := sh(f.Path)
	return fmt.Sprintf(`if [ -L %[1]s ] || [ ! -e %[1]s ]; then [ -L %[1]s ] && echo link || echo absent; elif [ ! -f %[1]s ]; then echo notfile; else
s=$(sha256sum < %[1]s | cut -d' ' -f1); echo "$(stat -c '%%a %%U %%G' %[1]s) $s"
if [ "$s" != %[2]s ] && [ "$(stat -c %%s %[1]s)" -le %[3]d ]; then base64 -w0 < %[1]s; echo; fi; fi`, p, f.sum(), maxDiffBytes)
}

// Diff implements Resource.
func (f *File) Diff(p Probed) (*Change, error) {
	lines := strings.SplitN(strings.TrimRight(p.Out, "\n"), "\n", 2)
	head := strings.Fields(lines[0])
	switch {
	case len(head) == 1 && head[0] == "absent":
		c := &Change{Action: ActionCreate, Details: []string{fmt.Sprintf("%s:%s %04o", f.owner(), f.group(), f.Mode)}}
		c.Diff = f.diff(nil, false)
		c.apply = func(ctx context.Context, h *Host) error { return f.write(ctx, h, false) }
		return c, nil
	case len(head) == 1 && (head[0] == "link" || head[0] == "notfile"):
		c := &Change{Action: ActionReplace, Details: []string{"is a " + map[string]string{"link": "symlink", "notfile": "directory or special file"}[head[0]] + ", not a regular file"}}
		c.Diff = f.diff(nil, false)
		c.apply = func(ctx context.Context, h *Host) error { return f.write(ctx, h, true) }
		return c, nil
	case len(head) != 4:
		return nil, fmt.Errorf("probe %s: unexpected output %q", f.Path, lines[0])
	}
	var details []string
	contentDiffers := head[3] != f.sum()
	if contentDiffers {
		details = append(details, "content")
	}
	metaDiffers := false
	if head[0] != fmt.Sprintf("%o", f.Mode.Perm()) {
		details = append(details, fmt.Sprintf("mode %04s -> %04o", head[0], f.Mode.Perm()))
		metaDiffers = true
	}
	if head[1] != f.owner() || head[2] != f.group() {
		details = append(details, fmt.Sprintf("owner %s:%s -> %s:%s", head[1], head[2], f.owner(), f.group()))
		metaDiffers = true
	}
	if len(details) == 0 {
		return nil, nil
	}
	c := &Change{Action: ActionUpdate, Details: details}
	if contentDiffers {
		var old []byte
		known := false
		if len(lines) == 2 {
			if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(lines[1])); err == nil {
				old, known = b, true
			}
		}
		c.Diff = f.diff(old, !known)
		c.apply = func(ctx context.Context, h *Host) error { return f.write(ctx, h, true) }
	} else if metaDiffers {
		c.apply = func(ctx context.Context, h *Host) error {
			_, err := h.Run(ctx, "sh", "-c", `chown "$1:$2" "$4" && chmod "$3" "$4"`, "sh", f.owner(), f.group(), fmt.Sprintf("%04o", f.Mode.Perm()), f.Path)
			return err
		}
	}
	return c, nil
}

func (f *File) diff(old []byte, unknown bool) string {
	switch {
	case f.Secret:
		return "(content hidden: the file holds secrets)"
	case unknown:
		return "(old content too large to show)"
	}
	return unifiedDiff(f.Path, string(old), string(f.Content))
}

func (f *File) write(ctx context.Context, h *Host, existed bool) error {
	err := h.T.WriteFile(ctx, transport.File{
		Path: f.Path, Data: f.Content, Mode: f.Mode.Perm(),
		Owner: f.owner(), Group: f.group(), BackupDir: h.BackupDir(),
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	if len(f.Validate) == 0 {
		return nil
	}
	if _, verr := h.Run(ctx, f.Validate...); verr != nil {
		restore := []string{"rm", "-f", f.Path}
		if existed {
			restore = []string{"cp", "-p", path.Join(h.BackupDir(), f.Path), f.Path}
		}
		if _, rerr := h.Run(ctx, restore...); rerr != nil {
			return fmt.Errorf("%s failed validation and could not be restored: %v (validation: %w)", f.Path, rerr, verr)
		}
		what := "removed"
		if existed {
			what = "previous version restored"
		}
		return fmt.Errorf("%s failed validation, %s: %w", f.Path, what, verr)
	}
	return nil
}

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
		return &Change{Action: ActionCreate, Details: []string{owner + ":" + group + " " + mode}, apply: apply}, nil
	}
	var details []string
	if f[0] != fmt.Sprintf("%o", d.Mode.Perm()) {
		details = append(details, fmt.Sprintf("mode %04s -> %s", f[0], mode))
	}
	if f[1] != owner || f[2] != group {
		details = append(details, fmt.Sprintf("owner %s:%s -> %s:%s", f[1], f[2], owner, group))
	}
	if details == nil {
		return nil, nil
	}
	return &Change{Action: ActionUpdate, Details: details, apply: apply}, nil
}

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
	c := &Change{Action: ActionCreate, Details: []string{"-> " + s.Target}}
	switch {
	case strings.HasPrefix(out, "link "):
		c.Action, c.Details = ActionUpdate, []string{strings.TrimPrefix(out, "link ") + " -> " + s.Target}
	case out == "other":
		c.Action = ActionReplace
		c.Details = append(c.Details, "a file is in the way (kept in the backup)")
	}
	c.apply = func(ctx context.Context, h *Host) error {
		_, err := h.Run(ctx, "sh", "-c", `if [ -e "$2" ] && [ ! -L "$2" ]; then mkdir -p "$3$(dirname "$2")" && mv "$2" "$3$2"; fi; ln -sfn "$1" "$2"`, "sh", s.Target, s.Path, h.BackupDir())
		return err
	}
	return c, nil
}
