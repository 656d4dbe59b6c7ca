package resource

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
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
	// Secret says the file holds secrets: its diff masks, besides the known
	// secret values, whatever the host has where the declared file has a
	// secret, and random-looking words the declared file does not have.
	Secret bool
	// Validate runs after the new content is in place; when it fails the
	// previous file is put back and the change fails with its output.
	Validate []string
	installer.Notify
}

// HoldsSecrets implements installer.SecretHolder.
func (f *File) HoldsSecrets() bool { return f.Secret }

func (f *File) owner() string { return cmp.Or(f.Owner, "root") }
func (f *File) group() string { return cmp.Or(f.Group, "root") }

// Key implements Resource.
func (f *File) Key() string { return "file " + f.Path }

func (f *File) sum() string {
	s := sha256.Sum256(f.Content)
	return hex.EncodeToString(s[:])
}

// Probe prints "absent", "link", "notfile" or "MODE OWNER GROUP SHA256",
// followed by the old content in base64 when it differs from the declared
// content and is small. Mode, owner and hash come from the batch's
// filesPrelude when it ran, else from stat and sha256sum here.
func (f *File) Probe() string {
	k := f.factKey()
	return fmt.Sprintf(`f=%[1]s
if [ -L "$f" ]; then echo link; elif [ ! -e "$f" ]; then echo absent; elif [ ! -f "$f" ]; then echo notfile; else
if [ -n "$BATCH_DIR" ] && [ -r "$BATCH_DIR/s.%[4]s" ] && [ -r "$BATCH_DIR/h.%[4]s" ]; then read -r st < "$BATCH_DIR/s.%[4]s"; read -r s < "$BATCH_DIR/h.%[4]s"
else st=$(stat -c '%%a %%U %%G %%s' -- "$f"); s=$(sha256sum < "$f"); s=${s%%%% *}; fi
set -- $st; echo "$1 $2 $3 $s"
if [ "$s" != %[2]s ] && [ "$4" -le %[3]d ]; then base64 -w0 < "$f"; echo; fi; fi`, sh(f.Path), f.sum(), maxDiffBytes, k)
}

// factKey names the file's facts in the batch's directory.
func (f *File) factKey() string { return installer.FactKey(f.Path) }

// Kind implements installer.Gatherer.
func (f *File) Kind() string { return "file" }

// Gather implements installer.Gatherer: all are Files.
func (f *File) Gather(all []installer.Resource) string { return filesPrelude(kind[*File](all)) }

// filesPrelude gathers mode, owner, group, size and SHA-256 of every file
// with one stat and one sha256sum, into "$BATCH_DIR/s.KEY" and "$BATCH_DIR/h.KEY" for the
// File probes of the batch (see Probe): one pass over each output, as both
// list the paths in the order given. Paths that sha256sum would escape are
// left to their probe.
func filesPrelude(fs []*File) string {
	var paths, pairs []string
	for _, f := range fs {
		if !strings.ContainsAny(f.Path, "\\\n\t") {
			paths = append(paths, f.Path)
			pairs = append(pairs, f.factKey(), f.Path)
		}
	}
	if len(paths) == 0 {
		return ""
	}
	return fmt.Sprintf(`if [ -n "$BATCH_DIR" ]; then
stat -c '%%n	%%a %%U %%G %%s' -- %[1]s 2>/dev/null | ( set -- %[2]s
while IFS='	' read -r p v; do while [ $# -gt 1 ] && [ "$2" != "$p" ]; do shift 2; done; [ $# -gt 1 ] && printf '%%s\n' "$v" > "$BATCH_DIR/s.$1"; done )
sha256sum -- %[1]s 2>/dev/null | ( set -- %[2]s
while read -r h p; do while [ $# -gt 1 ] && [ "$2" != "$p" ]; do shift 2; done; [ $# -gt 1 ] && printf '%%s\n' "$h" > "$BATCH_DIR/h.$1"; done )
fi`, sh(paths...), sh(pairs...))
}

// Diff implements Resource.
func (f *File) Diff(p installer.Probed) (*installer.Change, error) {
	lines := strings.SplitN(strings.TrimRight(p.Out, "\n"), "\n", 2)
	head := strings.Fields(lines[0])
	mode := fmt.Sprintf("%04o", f.Mode.Perm())
	owner := f.owner() + ":" + f.group()
	switch {
	case len(head) == 1 && head[0] == "absent":
		c := &installer.Change{Action: installer.ActionCreate, Details: []installer.Detail{
			{Field: installer.FieldType, From: "absent", To: "file"},
			{Field: installer.FieldOwner, To: owner, Text: owner + " " + mode},
			{Field: installer.FieldMode, To: mode},
			{Field: installer.FieldSize, To: strconv.Itoa(len(f.Content))},
		}}
		c.Diff = f.diff(nil, false, p.Secrets)
		c.Apply = func(ctx context.Context, h *installer.Host) error { return f.write(ctx, h, nil) }
		return c, nil
	case len(head) == 1 && (head[0] == "link" || head[0] == "notfile"):
		is := map[string]string{"link": "symlink", "notfile": "directory or special file"}[head[0]]
		c := &installer.Change{Action: installer.ActionReplace, Details: []installer.Detail{{Field: installer.FieldType, From: is, To: "file",
			Text: "is a " + is + ", not a regular file: moved into this run's backups"}}}
		c.Diff = f.diff(nil, false, p.Secrets)
		c.Apply = func(ctx context.Context, h *installer.Host) error {
			if err := f.moveAside(ctx, h); err != nil {
				return err
			}
			return f.write(ctx, h, nil)
		}
		return c, nil
	case len(head) != 4:
		return nil, fmt.Errorf("probe %s: unexpected output %q", f.Path, lines[0])
	}
	var details []installer.Detail
	contentDiffers := head[3] != f.sum()
	if contentDiffers {
		details = append(details, installer.Detail{Field: installer.FieldContent, From: "sha256:" + head[3], To: "sha256:" + f.sum(), Text: "content"})
	}
	metaDiffers := false
	if have := fmt.Sprintf("%04s", head[0]); have != mode {
		details = append(details, installer.FromTo(installer.FieldMode, have, mode))
		metaDiffers = true
	}
	if have := head[1] + ":" + head[2]; have != owner {
		details = append(details, installer.FromTo(installer.FieldOwner, have, owner))
		metaDiffers = true
	}
	if len(details) == 0 {
		return nil, nil
	}
	c := &installer.Change{Action: installer.ActionUpdate, Details: details}
	if contentDiffers {
		var old []byte
		known := false
		if len(lines) == 2 {
			if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(lines[1])); err == nil {
				old, known = b, true
			}
		}
		c.Diff = f.diff(old, !known, p.Secrets)
		prev := &fileMeta{mode: head[0], owner: head[1], group: head[2]}
		c.Apply = func(ctx context.Context, h *installer.Host) error { return f.write(ctx, h, prev) }
	} else if metaDiffers {
		c.Apply = func(ctx context.Context, h *installer.Host) error {
			_, err := h.Run(ctx, "sh", "-c", `chown "$1:$2" "$4" && chmod "$3" "$4"`, "sh", f.owner(), f.group(), mode, f.Path)
			return err
		}
	}
	return c, nil
}

// diff shows old -> declared content with secrets masked. A file that
// holds secrets shows nothing when the secrets are not known.
func (f *File) diff(old []byte, unknown bool, secrets *installer.Redactor) string {
	switch {
	case f.Secret && secrets == nil:
		return "(content hidden: the file holds secrets)"
	case unknown:
		return "(old content too large to show)"
	}
	return secrets.Diff(f.Path, string(old), string(f.Content), f.Secret)
}

// fileMeta is the mode and owner a replaced file had.
type fileMeta struct{ mode, owner, group string }

// moveAside moves what is in the way of the file (a directory, a symlink, a
// device) into this run's backups.
func (f *File) moveAside(ctx context.Context, h *installer.Host) error {
	_, err := h.Run(ctx, "sh", "-c", `umask 077; mkdir -p -- "$2$(dirname -- "$1")" && mv -- "$1" "$2$1"`, "sh", f.Path, h.BackupDir())
	if err != nil {
		return fmt.Errorf("move %s out of the way: %w", f.Path, err)
	}
	return nil
}

// write puts the file in place; prev is the file it replaces, if any.
func (f *File) write(ctx context.Context, h *installer.Host, prev *fileMeta) error {
	existed := prev != nil
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
			// The backup is 0600: the previous mode and owner come back too.
			restore = []string{"sh", "-c", `cp -- "$1" "$2" && chown -- "$3:$4" "$2" && chmod -- "$5" "$2"`, "sh",
				path.Join(h.BackupDir(), f.Path), f.Path, prev.owner, prev.group, prev.mode}
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
