package resource

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// What uninstall does with each kind of resource (installer.Remover): the
// removal is a resource of its own, planned, shown and applied as any other.

// Removal implements installer.Remover: the file goes into the run's backups.
func (f *File) Removal(installer.RemoveOptions) installer.Resource {
	return &Gone{Path: f.Path, Notify: f.Removed()}
}

// Removal implements installer.Remover: the link goes when it still points
// where it was declared to.
func (s *Symlink) Removal(installer.RemoveOptions) installer.Resource {
	return &Gone{Path: s.Path, Target: s.Target, Link: true, Notify: s.Removed()}
}

// Removal implements installer.Remover: the keyring goes like a file.
func (k *AptKey) Removal(installer.RemoveOptions) installer.Resource {
	return &Gone{Path: k.Path, Notify: k.Removed()}
}

// Removal implements installer.Remover: the directory goes when nothing is
// left in it.
func (d *Dir) Removal(installer.RemoveOptions) installer.Resource {
	return &EmptyDir{Path: d.Path}
}

// Removal implements installer.Remover: the unit is stopped and disabled,
// unless it is kept.
func (s *Service) Removal(installer.RemoveOptions) installer.Resource {
	if s.Keep || s.Disabled {
		return nil
	}
	return &Service{Name: s.Name, Disabled: true}
}

// Removal implements installer.Remover: the rule is deleted, unless kept.
func (r *UFWRule) Removal(installer.RemoveOptions) installer.Resource {
	if r.Keep {
		return nil
	}
	return &UFWRuleGone{Rule: r}
}

// Removal implements installer.Remover: every rule with the comment goes.
func (p *UFWPrune) Removal(installer.RemoveOptions) installer.Resource {
	return &UFWPrune{Comment: p.Comment}
}

// Removal implements installer.Remover: with PurgePackages, the packages
// of Purge are purged.
func (p *Packages) Removal(o installer.RemoveOptions) installer.Resource {
	if !o.PurgePackages || len(p.Purge) == 0 {
		return nil
	}
	return &Purged{Names: p.Purge}
}

// Removal implements installer.Remover: with PurgePackages, the packages
// of Purge are purged.
func (p *PackageVersions) Removal(o installer.RemoveOptions) installer.Resource {
	if !o.PurgePackages || len(p.Purge) == 0 {
		return nil
	}
	return &Purged{Names: p.Purge}
}

// Removal implements installer.Remover: Undo runs when the command's
// guard says it ran.
func (c *Command) Removal(installer.RemoveOptions) installer.Resource {
	if len(c.Undo) == 0 {
		return nil
	}
	u := &Command{Name: "undo " + c.Name, Args: c.Undo, Hint: c.Hint, undo: true, removes: c.Made}
	switch {
	case len(c.UndoUnless) > 0:
		u.Unless = c.UndoUnless
	case c.Creates != "":
		u.Unless = []string{"test", "!", "-e", c.Creates}
		u.removes = append(u.removes, c.Creates)
	case len(c.Unless) > 0:
		u.Unless = append([]string{"sh", "-c", `! "$@"`, "sh"}, c.Unless...)
	default:
		return nil
	}
	return u
}

// RemovedPaths implements installer.PathRemover: an undo removes what the
// command's Creates names.
func (c *Command) RemovedPaths() []string { return c.removes }

// Gone is a file or symlink that should not exist: a removal. What it
// removes is moved into the run's backups, with its mode and owner in their
// manifest, so rollback can put it back.
type Gone struct {
	Path string
	// Link: a symlink, removed only while it points at Target (else it is
	// not the installer's).
	Link   bool
	Target string
	installer.Notify
}

// Key implements Resource: the key of what it removes.
func (g *Gone) Key() string {
	if g.Link {
		return "symlink " + g.Path
	}
	return "file " + g.Path
}

// Probe prints "absent", "link TARGET", "file" or "other".
func (g *Gone) Probe() string {
	p := sh(g.Path)
	return fmt.Sprintf(`if [ -L %[1]s ]; then printf 'link %%s\n' "$(readlink %[1]s)"; elif [ -f %[1]s ]; then echo file; elif [ -e %[1]s ]; then echo other; else echo absent; fi`, p)
}

// goneScript moves $1 into the backup directory $2.
const goneScript = `f=$1 b=$2
umask 077; mkdir -p -- "$b${f%/*}" && chmod 0700 -- "$b"
if [ ! -L "$f" ]; then printf '%s %s\n' "$(stat -c '%a %U %G' -- "$f")" "$f" >>"$b/.modes"; fi
mv -f -- "$f" "$b$f"`

// Diff implements Resource.
func (g *Gone) Diff(p installer.Probed) (*installer.Change, error) {
	out := strings.TrimSpace(p.Out)
	is := ""
	switch {
	case out == "absent":
		return nil, nil
	case g.Link && out == "link "+g.Target:
		is = "symlink"
	case !g.Link && out == "file":
		is = "file"
	default:
		return nil, nil // something else is there now: not the installer's
	}
	return &installer.Change{Action: installer.ActionDelete,
		Details: []installer.Detail{{Field: installer.FieldType, From: is, To: "absent", Text: "moved into this run's backups"}},
		Apply: func(ctx context.Context, h *installer.Host) error {
			if _, err := h.Run(ctx, "sh", "-c", goneScript, "sh", g.Path, h.BackupDir()); err != nil {
				return fmt.Errorf("remove %s: %w", g.Path, err)
			}
			return nil
		}}, nil
}

// EmptyDir is a directory that goes once it is empty: a removal that waits
// for the others (installer.Holder).
type EmptyDir struct {
	Path    string
	removed []string // names in Path the other removals take away
}

// Key implements Resource.
func (d *EmptyDir) Key() string { return "dir " + d.Path }

// Holds implements installer.Holder.
func (d *EmptyDir) Holds(keys []string) {
	d.removed = nil
	for _, k := range keys {
		if n, ok := installer.RemovedUnder(k, d.Path); ok {
			d.removed = append(d.removed, n)
		}
	}
}

// Probe prints "absent", or "dir" and the names in it.
func (d *EmptyDir) Probe() string {
	return fmt.Sprintf(`if [ -d %[1]s ] && [ ! -L %[1]s ]; then echo dir; ls -A -- %[1]s; else echo absent; fi`, sh(d.Path))
}

// Diff implements Resource: the directory goes when what is in it is
// what the other removals take away.
func (d *EmptyDir) Diff(p installer.Probed) (*installer.Change, error) {
	lines := strings.Split(strings.TrimSpace(p.Out), "\n")
	if lines[0] != "dir" {
		return nil, nil
	}
	for _, n := range lines[1:] {
		if n != "" && !slices.Contains(d.removed, n) {
			return nil, nil // holds what is not the installer's: kept
		}
	}
	return &installer.Change{Action: installer.ActionDelete,
		Details: []installer.Detail{{Field: installer.FieldType, From: "directory", To: "absent", Text: "empty once the files above are gone"}},
		Apply: func(ctx context.Context, h *installer.Host) error {
			_, err := h.Run(ctx, "rmdir", "--", d.Path)
			return err
		}}, nil
}

// UFWRuleGone is a rule the installer opened that should be deleted.
type UFWRuleGone struct{ Rule *UFWRule }

// Key implements Resource.
func (g *UFWRuleGone) Key() string { return g.Rule.Key() }

// Probe implements Resource.
func (g *UFWRuleGone) Probe() string { return g.Rule.Probe() }

// Prelude implements Preluder.
func (g *UFWRuleGone) Prelude() string { return ufwPrelude }

// Diff implements Resource.
func (g *UFWRuleGone) Diff(p installer.Probed) (*installer.Change, error) {
	if !slices.Contains(ufwSpecs(p.Out), g.Rule.spec()) {
		return nil, nil
	}
	return &installer.Change{Action: installer.ActionDelete,
		Details: []installer.Detail{{Field: installer.FieldRule, From: g.Rule.spec(), Text: "opened by the installer"}},
		Apply: func(ctx context.Context, h *installer.Host) error {
			a := g.Rule.args()
			if g.Rule.Comment != "" {
				a = a[:len(a)-2]
			}
			_, err := h.Run(ctx, append([]string{"ufw", "delete"}, a[1:]...)...)
			return err
		}}, nil
}

// Purged are packages uninstall --purge-packages takes away with their
// configuration.
type Purged struct{ Names []string }

// Key implements Resource.
func (p *Purged) Key() string { return "packages " + strings.Join(p.Names, " ") }

// Prelude implements Preluder.
func (p *Purged) Prelude() string { return dpkgPrelude }

// Probe prints "NAME STATUS" for each package dpkg knows of Names.
func (p *Purged) Probe() string {
	return fmt.Sprintf(`for n in %s; do printf '%%s\n' "$DPKG_STATUS" | awk -v n="$n" '$1 == n {print $1, $2}'; done`, sh(p.Names...))
}

// Diff implements Resource.
func (p *Purged) Diff(pr installer.Probed) (*installer.Change, error) {
	var there []string
	var details []installer.Detail
	for _, l := range strings.Split(pr.Out, "\n") {
		f := strings.Fields(l)
		if len(f) != 2 || f[1] == "un" || f[1] == "pn" {
			continue
		}
		there = append(there, f[0])
		details = append(details, installer.Detail{Field: installer.FieldVersion, Name: f[0], Text: f[0] + " purged"})
	}
	if len(there) == 0 {
		return nil, nil
	}
	return &installer.Change{Action: installer.ActionDelete, Details: details, Apply: func(ctx context.Context, h *installer.Host) error {
		args := append([]string{"apt-get", "purge", "-y", "-q", "-o", "DPkg::Lock::Timeout=300"}, there...)
		_, err := h.RunWith(ctx, nil, aptEnv, args...)
		return err
	}}, nil
}
