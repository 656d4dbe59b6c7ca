package steps

import (
	"io/fs"
	"path"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// keyServer declares where Prosody's token plugin reads Janssen's keys:
// Janssen's RSA signing keys as PEM files named hex(sha256(kid)).pem
// (asap_key_server) and as one JWKS (cache_keys_url), refreshed by a timer
// (Janssen rotates its keys) and served by nginx on loopback. The plugin
// cannot be pointed at Janssen's own JWKS: it holds EC and encryption keys,
// and the plugin converts every key as RSA, failing at the first it cannot.
func (s *prosody) keyServer(d assets.Data) ([]installer.Resource, error) {
	dom := s.cfg.Domain
	reloadUnits := installer.Handler{Name: "systemctl daemon-reload", Cmds: [][]string{{"systemctl", "daemon-reload"}}, AfterRemoval: true}
	refresh := installer.Handler{Name: "refresh Janssen keys", Cmds: [][]string{{"systemctl", "start", assets.KeyRefreshUnit + ".service"}}}
	// Handlers run in the order they were first notified: the units come
	// first, so systemd has reloaded them before the refresh starts one.
	files := []struct {
		name   string
		mode   fs.FileMode
		notify installer.Notify
	}{
		{assets.KeyRefreshService, 0o644, notify(reloadUnits, refresh)},
		{assets.KeyRefreshTimer, 0o644, notify(reloadUnits)},
		{assets.KeyRefresh, 0o755, notify(refresh)},
	}
	user := assets.KeyRefreshUser
	rs := []installer.Resource{
		&resource.Packages{Names: []string{"python3"}},
		// The refresh job's own user: it owns the keys directory only.
		&resource.Command{Name: "add the system user " + user,
			Args:   []string{"useradd", "--system", "--user-group", "--home-dir", "/nonexistent", "--no-create-home", "--shell", "/usr/sbin/nologin", user},
			Unless: []string{"id", "-u", user}, Undo: []string{"userdel", user}},
		&resource.Dir{Path: assets.KeysDir, Mode: 0o755, Owner: user, Group: user},
		&resource.Dir{Path: path.Dir(assets.Dest(assets.KeyRefresh, dom)), Mode: 0o755},
	}
	for _, f := range files {
		r, err := s.configFile(f.name, d, resource.File{Mode: f.mode, Notify: f.notify})
		if err != nil {
			return nil, err
		}
		rs = append(rs, r...)
	}
	site, err := s.configFile(assets.KeyServerSite, d, resource.File{Mode: 0o644, Validate: []string{"nginx", "-t", "-q"}, Notify: notify(reloadNginx)})
	if err != nil {
		return nil, err
	}
	rs = append(rs,
		&resource.Command{Name: "fetch Janssen's keys", Args: []string{"runuser", "-u", user, "--", assets.Dest(assets.KeyRefresh, dom)},
			Unless: []string{"sh", "-c", "ls " + assets.KeysDir + "/*.pem >/dev/null 2>&1"},
			// What the refresh job wrote: the keys and their JWKS, once a
			// refresh the timer started (every 30 s) has ended.
			Undo: []string{"sh", "-c", `systemctl stop "$3" 2>/dev/null; rm -f -- "$1"/*.pem "$1/$2" "$1"/.tmp-*`, "sh",
				assets.KeysDir, assets.KeysJWKS, assets.KeyRefreshUnit + ".service"},
			UndoUnless: []string{"sh", "-c", `for f in "$1"/*.pem "$1/$2"; do [ -e "$f" ] && exit 1; done; exit 0`, "sh",
				assets.KeysDir, assets.KeysJWKS}},
		&resource.Service{Name: assets.KeyRefreshUnit + ".timer"},
	)
	return append(rs, site...), nil
}

// keyServerCheck is verify's check that Prosody finds every RSA signing key
// of Janssen's JWKS where it looks: what the timer keeps true as Janssen
// rotates.
func (s *prosody) keyServerCheck() installer.Check {
	return installer.Check{
		Name: "the key server serves every key of Janssen's JWKS",
		Args: []string{"python3", assets.Dest(assets.KeyRefresh, s.cfg.Domain), "--check"},
		Eval: exitZero("key server " + assets.DefaultKeyServerURL),
	}
}
