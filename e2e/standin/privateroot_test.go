package standin

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// privateRoot is a writable copy of the host's root: an overlay with the
// host's / below and a private directory on top, entered with chroot in a
// private mount namespace. dpkg runs the real maintainer scripts there with
// the host's Prosody, debconf and tools; nothing reaches the host's files.
// /run is empty inside, so the scripts find no systemd, and the host's
// policy-rc.d keeps invoke-rc.d from starting anything.
type privateRoot struct {
	upper, work, merged, repo string
}

func newPrivateRoot(t *testing.T, r *Repo) *privateRoot {
	t.Helper()
	testenv.Root(t)
	testenv.Tools(t, "apt-get install util-linux dpkg debconf prosody ruby-hocon", "unshare", "chroot", "dpkg", "debconf-set-selections", "prosodyctl", "hocon")
	// Not under /tmp: the overlay's upper directory must not be inside a
	// directory the lower layer (/) shows.
	dir, err := os.MkdirTemp("/var/tmp", "standin-root-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &privateRoot{upper: filepath.Join(dir, "upper"), work: filepath.Join(dir, "work"),
		merged: filepath.Join(dir, "merged"), repo: r.Dir}
	for _, d := range []string{p.upper, p.work, p.merged} {
		must(t, os.MkdirAll(d, 0o755))
	}
	return p
}

// sh runs script with bash inside the private root; the repository is at
// /srv/standin-repo.
func (p *privateRoot) sh(t *testing.T, script string) (string, error) {
	t.Helper()
	const setup = `set -e
mount -t overlay overlay -o "lowerdir=/,upperdir=$U,workdir=$W" "$M"
mount --bind /proc "$M/proc"
mount --bind /dev "$M/dev"
mkdir -p "$M/srv/standin-repo"
mount --bind "$R" "$M/srv/standin-repo"
exec chroot "$M" /bin/bash -c "$1"`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "bash", "-c", setup, "setup", "set -e\n"+script)
	cmd.Env = append(os.Environ(), "U="+p.upper, "W="+p.work, "M="+p.merged, "R="+p.repo,
		"DEBIAN_FRONTEND=noninteractive", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (p *privateRoot) mustSh(t *testing.T, script string) string {
	t.Helper()
	out, err := p.sh(t, script)
	if err != nil {
		t.Fatalf("%v\n%s\n---\n%s", err, script, out)
	}
	return out
}

// read returns a file of the private root ("" when absent).
func (p *privateRoot) read(t *testing.T, path string) string {
	t.Helper()
	return p.mustSh(t, "cat "+path+" 2>/dev/null || true")
}
