package steps

import (
	"fmt"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

const (
	jitsiKeyring   = "/usr/share/keyrings/jitsi-keyring.gpg"
	jitsiList      = "/etc/apt/sources.list.d/jitsi-stable.list"
	prosodyKeyring = "/usr/share/keyrings/prosody-keyring.gpg"
	prosodyList    = "/etc/apt/sources.list.d/prosody.list"
)

var aptUpdate = installer.Notify{Handlers: []installer.Handler{resource.AptUpdate}}

// repository adds Jitsi's apt repository, and Prosody's where the release's
// own Prosody is too old for jitsi-meet-tokens. apt-get update runs once,
// after this step, and only when a source changed.
type repository struct{ *env }

func (*repository) Name() string  { return "Jitsi repository" }
func (*repository) Group() string { return "repository" }

// needsProsodyRepo reports whether the release's Prosody is older than 0.12.
func needsProsodyRepo(o osRelease) bool {
	return o.ID == "debian" && o.Version < 12 || o.ubuntu() && !o.atLeast(24, 4)
}

func (s *repository) Declare(h *installer.Host) ([]installer.Resource, error) {
	r := s.cfg.Jitsi.Repo
	rs := []installer.Resource{
		&resource.AptKey{Path: jitsiKeyring, URL: r.KeyURL, Fingerprint: r.KeyFingerprint, Proxy: s.cfg.APT.Proxy, Notify: aptUpdate},
		&resource.File{Path: jitsiList, Mode: 0o644, Notify: aptUpdate,
			Content: fmt.Appendf(nil, "deb [signed-by=%s] %s %s\n", jitsiKeyring, r.URL, r.Suite)},
	}
	o := hostOS(h)
	if needsProsodyRepo(o) && !s.bridge() {
		p := s.cfg.Jitsi.ProsodyRepo
		suite := p.Suite
		if suite == "" {
			suite = o.Codename
		}
		rs = append(rs,
			&resource.AptKey{Path: prosodyKeyring, URL: p.KeyURL, Fingerprint: p.KeyFingerprint, Proxy: s.cfg.APT.Proxy, Notify: aptUpdate},
			&resource.File{Path: prosodyList, Mode: 0o644, Notify: aptUpdate,
				Content: fmt.Appendf(nil, "deb [signed-by=%s] %s %s main\n", prosodyKeyring, p.URL, suite)})
	}
	if o.ubuntu() {
		rs = append(rs, &resource.Command{Name: "enable Ubuntu's universe component",
			Args:   []string{"add-apt-repository", "-y", "universe"},
			Unless: []string{"sh", "-c", "grep -rqsE '^[^#]*universe|Components:.*universe' /etc/apt/sources.list /etc/apt/sources.list.d/"},
			Notify: aptUpdate})
	}
	return rs, nil
}

// sqlitePackage names the SQLite binding for Lua that jitsi-meet-tokens'
// Prosody modules load. The guide's lua-sqlite3 exists in none of the
// supported Debian releases; lua-dbi-sqlite3 is in all of them and in Ubuntu.
func sqlitePackage(osRelease) string { return "lua-dbi-sqlite3" }
