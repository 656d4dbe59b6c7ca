package standin

import (
	"strings"
	"testing"
)

// install runs dpkg -i with the given release's .debs of pkgs.
func (p *privateRoot) install(t *testing.T, rel Release, force bool, pkgs ...string) string {
	t.Helper()
	var debs []string
	for _, n := range pkgs {
		debs = append(debs, "/srv/standin-repo/"+rel.Suite+n+"_"+rel.Version(n)+"_all.deb")
	}
	flags := ""
	if force {
		flags = "--force-depends "
	}
	return p.mustSh(t, "dpkg "+flags+"-i "+strings.Join(debs, " ")+" 2>&1")
}

// restarts returns the restart records of the maintainer scripts and
// empties the log.
func (p *privateRoot) restarts(t *testing.T) string {
	t.Helper()
	return p.mustSh(t, "f=/var/log/jitsi-standin/restarts.log; cat $f 2>/dev/null || true; rm -f $f")
}

// TestMaintainerScriptsUpgrade installs the previous stable release with
// dpkg in a private root, changes the configs the way an installer might,
// upgrades to the newest release and checks what each postinst changed and
// restarted, as the real packages' scripts do on upgrade.
func TestMaintainerScriptsUpgrade(t *testing.T) {
	r := testRepo(t)
	p := newPrivateRoot(t, r)
	rels, err := Releases()
	must(t, err)
	newest, previous := rels[0], rels[1]
	const host = "meet.test"
	const hostCfg = "/etc/prosody/conf.avail/" + host + ".cfg.lua"
	sel := Answers{Hostname: host, AppID: "jitsi", JVBSecret: "bridge-secret", FocusPassword: "focus-secret"}.Selections()
	p.mustSh(t, "debconf-set-selections <<'EOF'\n"+sel+"EOF\n"+
		"mkdir -p /etc/nginx/sites-available && touch /etc/nginx/sites-available/"+host+".conf")

	core := []string{"jitsi-videobridge2", "jicofo", "jitsi-meet-prosody", "jitsi-meet-tokens"}
	p.install(t, previous, false, core...)
	p.install(t, previous, true, "jitsi-meet-turnserver")

	type check struct {
		what, path, want string
		has              bool
	}
	expect := func(step string, restarts []string, noRestart []string, checks []check) {
		t.Helper()
		log := p.restarts(t)
		for _, want := range restarts {
			if !strings.Contains(log, want) {
				t.Errorf("%s: no restart record %q in:\n%s", step, want, log)
			}
		}
		for _, not := range noRestart {
			if strings.Contains(log, not) {
				t.Errorf("%s: unexpected restart %q in:\n%s", step, not, log)
			}
		}
		for _, c := range checks {
			if got := p.read(t, c.path); strings.Contains(got, c.want) != c.has {
				t.Errorf("%s: %s: %s has %q: %v, want %v:\n%s", step, c.what, c.path, c.want, !c.has, c.has, got)
			}
		}
	}

	expect("install "+previous.Version("jitsi-meet-prosody"), []string{
		"jitsi-meet-prosody " + previous.Version("jitsi-meet-prosody") + " restarts prosody: new host config",
		"jitsi-meet-tokens " + previous.Version("jitsi-meet-tokens") + " restarts prosody: no 'authentication = \"token\" -- do not delete me'",
		"restarts coturn: no 'jitsi-meet coturn config' line",
		"restarts coturn: no 'jitsi-meet coturn relay disable config' line",
	}, nil, []check{
		{"token auth switched on with the marker", hostCfg, `authentication = "token" -- do not delete me`, true},
		{"app_id filled in", hostCfg, `app_id="jitsi"`, true},
		{"token_verification on", hostCfg, `    "token_verification";`, true},
		{"the previous release has no Prosody 13 line", hostCfg, "component_admins_as_room_owners", false},
		{"polls commented out", hostCfg, `--"polls";`, true},
		{"focus subscribed to by the focus component", "/var/lib/prosody/auth%2emeet%2etest/roster/focus.dat", "focus.meet.test", true},
		{"coturn deny block", "/etc/turnserver.conf", "denied-peer-ip=10.0.0.0-10.255.255.255", true},
		{"bridge secret from debconf", "/etc/jitsi/videobridge/jvb.conf", `PASSWORD = "bridge-secret"`, true},
	})

	// What an installer might write: token auth without the marker, its
	// own coturn config with only the first marker, a rotated bridge
	// password only in jvb.conf, its own client-proxy, and the Jicofo
	// config directory kept root's with a statoverride.
	p.mustSh(t, `sed -i 's/authentication = "token" -- do not delete me/authentication = "token"/' `+hostCfg+`
printf '# jitsi-meet coturn config. Do not modify this line\nuse-auth-secret\nstatic-auth-secret=x\n' > /etc/turnserver.conf
hocon -f /etc/jitsi/videobridge/jvb.conf set videobridge.apis.xmpp-client.configs.shard.PASSWORD '"rotated"'
hocon -f /etc/jitsi/jicofo/jicofo.conf set jicofo.xmpp.client.client-proxy '"other.example"'
dpkg-statoverride --add root root 0755 /etc/jitsi/jicofo
chown -R root:root /etc/jitsi/jicofo`)
	p.restarts(t)

	p.install(t, newest, false, core...)
	p.install(t, newest, true, "jitsi-meet-turnserver")
	expect("upgrade to "+newest.Version("jitsi-meet-prosody"), []string{
		"jitsi-meet-tokens " + newest.Version("jitsi-meet-tokens") + " restarts prosody: no 'authentication = \"token\" -- do not delete me'",
		"jitsi-meet-prosody " + newest.Version("jitsi-meet-prosody") + " restarts prosody: component_admins_as_room_owners added",
		"restarts coturn: no 'jitsi-meet coturn relay disable config' line",
	}, []string{"restarts coturn: no 'jitsi-meet coturn config' line"}, []check{
		{"the newest release adds the Prosody 13 line", hostCfg, "component_admins_as_room_owners = true", true},
		{"coturn deny block appended to the installer's file", "/etc/turnserver.conf", "static-auth-secret=x", true},
		{"coturn deny block appended", "/etc/turnserver.conf", "jitsi-meet coturn relay disable config", true},
		{"jvb.conf keeps its own password, as upstream's", "/etc/jitsi/videobridge/jvb.conf", `"rotated"`, true},
		{"client-proxy set again", "/etc/jitsi/jicofo/jicofo.conf", "client-proxy: focus." + host, true},
	})
	if owner := strings.TrimSpace(p.mustSh(t, "stat -c %U /etc/jitsi/jicofo")); owner != "root" {
		t.Errorf("with a statoverride /etc/jitsi/jicofo is owned by %s after the upgrade, want root", owner)
	}

	// Still no marker: every configure restarts Prosody again.
	p.install(t, newest, false, "jitsi-meet-tokens")
	expect("reinstall without the marker", []string{"jitsi-meet-tokens " + newest.Version("jitsi-meet-tokens") + " restarts prosody"}, nil, nil)

	// With the marker and nothing missing, a reinstall restarts nothing.
	p.mustSh(t, `sed -i 's/authentication = "token"$/authentication = "token" -- do not delete me/' `+hostCfg+`
dpkg-statoverride --remove /etc/jitsi/jicofo`)
	p.install(t, newest, false, core...)
	p.install(t, newest, true, "jitsi-meet-turnserver")
	expect("reinstall of a complete config", nil, []string{"restarts prosody", "restarts coturn"}, nil)
	if owner := strings.TrimSpace(p.mustSh(t, "stat -c %U:%G /etc/jitsi/jicofo")); owner != "jicofo:jitsi" {
		t.Errorf("without a statoverride /etc/jitsi/jicofo is owned by %s, want jicofo:jitsi", owner)
	}

	// The secret answers emptied (seen, as an installer leaves them), then
	// a reinstall: as upstream's, the scripts store new random secrets in
	// debconf, keep the config files' own and, with nothing missing from
	// the config, register nobody.
	p.mustSh(t, `printf 'SET jitsi-videobridge/jvbsecret \nSET jicofo/jicofo-authpassword \nSET jitsi-meet-prosody/turn-secret \n' | debconf-communicate >/dev/null`)
	p.install(t, newest, false, core...)
	p.install(t, newest, true, "jitsi-meet-turnserver")
	expect("reinstall with the secret answers emptied", nil, []string{"restarts prosody", "restarts coturn"}, []check{
		{"jvb.conf keeps its own password", "/etc/jitsi/videobridge/jvb.conf", `"rotated"`, true},
		{"jicofo.conf keeps its own password", "/etc/jitsi/jicofo/jicofo.conf", `focus-secret`, true},
	})
	for q, old := range map[string]string{"jitsi-videobridge/jvbsecret": "bridge-secret", "jicofo/jicofo-authpassword": "focus-secret"} {
		if got := strings.TrimSpace(p.mustSh(t, "echo GET "+q+" | debconf-communicate || true")); len(got) < 6 || strings.Contains(got, old) {
			t.Errorf("after a reinstall with %s empty debconf has %q, want a new random one", q, got)
		}
	}
}
