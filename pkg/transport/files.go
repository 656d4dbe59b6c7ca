package transport

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// writeScript replaces a file atomically; both transports run it, as root or
// through sudo, so one round trip does the whole write. Arguments: path,
// octal mode, owner, group, backup directory (may be empty). Stdin: content.
// The first backup of a path is kept if the same run replaces it again, so the
// backup is the version from before the run. Backups are root's alone
// (files 0600, directories 0700: the files they keep may hold passwords), and
// complete or absent: a copy cut short (a full disk) is removed. Parent
// directories are never created: the engine declares them.
const writeScript = `set -eu
umask 077
p=$1 mode=$2 owner=$3 group=$4 bdir=$5
d=${p%/*}
[ -n "$d" ] || d=/
if [ ! -d "$d" ]; then echo "directory $d does not exist" >&2; exit 3; fi
if [ -d "$p" ]; then echo "$p is a directory" >&2; exit 3; fi
t=$(mktemp "$d/.${p##*/}.XXXXXX")
b=
trap 'rm -f -- "$t" ${b:+"$b.part"}' EXIT
cat >"$t"
chown -- "$owner:$group" "$t"
chmod -- "$mode" "$t"
sync -- "$t" 2>/dev/null || sync
if [ -n "$bdir" ] && [ -f "$p" ] && [ ! -e "$bdir$p" ]; then
	b=$bdir$p
	mkdir -p -- "$bdir$d"
	chmod 0700 -- "$bdir"
	cp --preserve=timestamps -- "$p" "$b.part"
	chmod 0600 -- "$b.part"
	# The copy is 0600 whatever the file was: its mode and owner go into
	# the backup's manifest, for a restore.
	printf '%s %s\n' "$(stat -c '%a %U %G' -- "$p")" "$p" >>"$bdir/.modes"
	mv -f -- "$b.part" "$b"
	b=
fi
mv -f -- "$t" "$p"
trap - EXIT
sync -- "$d" 2>/dev/null || :
`

// readScript prints a file; exit 3 when it does not exist.
const readScript = `[ -e "$1" ] || [ -L "$1" ] || exit 3; exec cat -- "$1"`

// DefaultFileMode is used when File.Mode is zero.
const DefaultFileMode fs.FileMode = 0o644

// writeCmd is the one command that performs f.
func writeCmd(f File) (Cmd, error) {
	if err := checkPath(f.Path); err != nil {
		return Cmd{}, fmt.Errorf("write %q: %w", f.Path, err)
	}
	if f.BackupDir != "" {
		if err := checkPath(f.BackupDir); err != nil {
			return Cmd{}, fmt.Errorf("write %s: backup dir %q: %w", f.Path, f.BackupDir, err)
		}
	}
	owner, group := f.Owner, f.Group
	if owner == "" {
		owner = "0"
	}
	if group == "" {
		group = "0"
	}
	return Cmd{
		Args:  []string{"sh", "-c", writeScript, "sh", f.Path, octalMode(f.Mode), owner, group, f.BackupDir},
		Stdin: f.Data,
		Sudo:  true,
	}, nil
}

// writeResult turns the script's outcome into WriteFile's error.
func writeResult(p string, res Result, err error) error {
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("write %s: %s", p, failure(res))
	}
	return nil
}

func readCmd(p string) (Cmd, error) {
	if err := checkPath(p); err != nil {
		return Cmd{}, fmt.Errorf("read %q: %w", p, err)
	}
	return Cmd{Args: []string{"sh", "-c", readScript, "sh", p}, Sudo: true}, nil
}

func readResult(p string, res Result, err error) ([]byte, error) {
	switch {
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", p, err)
	case res.ExitCode == 3:
		return nil, fmt.Errorf("read %s: %w", p, fs.ErrNotExist)
	case res.ExitCode != 0:
		return nil, fmt.Errorf("read %s: %s", p, failure(res))
	}
	return res.Stdout, nil
}

// failure describes a failed command by its stderr.
func failure(res Result) string {
	if msg := strings.TrimSpace(string(res.Stderr)); msg != "" {
		return msg
	}
	return fmt.Sprintf("exit status %d", res.ExitCode)
}

func checkPath(p string) error {
	if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
		return fmt.Errorf("not a clean absolute path")
	}
	return nil
}

// octalMode renders m for chmod. Go's setuid/setgid/sticky bits and the raw
// Unix bits (0o4755) are both understood.
func octalMode(m fs.FileMode) string {
	if m == 0 {
		m = DefaultFileMode
	}
	v := uint32(m.Perm()) | uint32(m)&0o7000
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return fmt.Sprintf("%04o", v)
}
