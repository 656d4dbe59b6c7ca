//go:build e2e

package standin_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/e2e/standin"
	"github.com/jitsi-installer/jitsi-installer/internal/jwttest"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// TestUpgradeOnATarget installs the previous stable release of every
// stand-in on a booted Debian target with apt (pinned versions), as a user
// whose host was converged earlier has it, then upgrades to the newest
// release and checks what a user would see: versions, Prosody restarted
// by the upgrade (journal and the unit's start time), Jicofo healthy with
// the bridge in the brewery before and after, and a reinstall that changes
// nothing restarting nothing.
func TestUpgradeOnATarget(t *testing.T) {
	testenv.Root(t)
	for _, tt := range []struct{ name, suite string }{
		{"s-up-d13", "trixie"},
		{"s-up-d12", "bookworm"},
	} {
		t.Run(tt.suite, func(t *testing.T) { upgradeOn(t, tt.name, tt.suite) })
	}
}

func upgradeOn(t *testing.T, name, suite string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	tg, err := sandbox.Up(ctx, sandbox.Options{Name: name, Suite: suite, Log: testenv.Log(t)})
	if err != nil {
		t.Fatalf("sandbox up: %v", err)
	}
	t.Cleanup(func() {
		if err := tg.Down(context.Background()); err != nil {
			t.Errorf("sandbox down: %v", err)
		}
	})
	sh := func(cmd string) string {
		t.Helper()
		out, err := tg.SSH(ctx, cmd)
		if err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
		return strings.TrimSpace(out)
	}
	sh(fmt.Sprintf(`echo 'Acquire::http::Proxy "%s";' > /etc/apt/apt.conf.d/01proxy`, tg.AptProxy))
	sh(fmt.Sprintf(`curl -fsS %s | gpg --dearmor > /usr/share/keyrings/jitsi.gpg && echo 'deb [signed-by=/usr/share/keyrings/jitsi.gpg] %s %s' > /etc/apt/sources.list.d/jitsi.list`,
		tg.RepoKeyURL, tg.RepoURL, standin.Suite))
	sh("apt-get update -q >/tmp/apt-update.log 2>&1 || { cat /tmp/apt-update.log; exit 1; }")
	sel := standin.Answers{Hostname: tg.Domain, AppID: "jitsi", AppSecret: appSecret}.Selections()
	sh("debconf-set-selections <<'EOF'\n" + sel + "EOF")

	rels, err := standin.Releases()
	if err != nil {
		t.Fatal(err)
	}
	newest, previous := rels[0], rels[1]
	pkgs := []string{"jitsi-videobridge2", "jicofo", "jitsi-meet-web", "jitsi-meet-web-config",
		"jitsi-meet-prosody", "jitsi-meet-tokens", "jitsi-meet-turnserver", "jitsi-meet"}
	var pinned []string
	for _, p := range pkgs {
		pinned = append(pinned, p+"="+previous.Version(p))
	}
	const install = "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
	sh(install + strings.Join(pinned, " ") + " >/tmp/install.log 2>&1 || { cat /tmp/install.log; exit 1; }")
	versions := func(rel standin.Release) {
		t.Helper()
		for _, p := range pkgs {
			if got := sh("dpkg-query -W -f='${Version}' " + p); got != rel.Version(p) {
				t.Errorf("%s %s installed, want %s", p, got, rel.Version(p))
			}
		}
	}
	versions(previous)

	// What an installer does on Debian's Lua 5.4: make basexx and inspect
	// loadable, then restart Prosody.
	sh(`for l in basexx inspect; do [ -e /usr/share/lua/5.4/$l.lua ] || for v in 5.3 5.2 5.1; do [ -e /usr/share/lua/$v/$l.lua ] && { ln -s /usr/share/lua/$v/$l.lua /usr/share/lua/5.4/$l.lua; break; }; done; done; systemctl restart prosody`)
	health := func(when string) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		var last string
		for time.Now().Before(deadline) {
			last, _ = tg.SSH(ctx, "curl -s -w ' %{http_code}' http://127.0.0.1:8888/about/health")
			if strings.HasSuffix(strings.TrimSpace(last), " 200") || strings.TrimSpace(last) == "200" {
				return
			}
			time.Sleep(2 * time.Second)
		}
		t.Errorf("%s: Jicofo health: %s\n%s", when, last, sh("tail -20 /var/log/jitsi/jicofo.log; journalctl -u prosody --no-pager | tail -20"))
	}
	health("previous release")
	started := func() string { return sh("systemctl show -p ActiveEnterTimestampMonotonic --value prosody") }
	before := started()
	sh("rm -f /var/log/jitsi-standin/restarts.log")

	sh(install + strings.Join(pkgs, " ") + " >/tmp/upgrade.log 2>&1 || { cat /tmp/upgrade.log; exit 1; }")
	versions(newest)
	log := sh("cat /var/log/jitsi-standin/restarts.log")
	want := "jitsi-meet-prosody " + newest.Version("jitsi-meet-prosody") + " restarts prosody: component_admins_as_room_owners added"
	if !strings.Contains(log, want) {
		t.Errorf("upgrade: no %q in restarts.log:\n%s", want, log)
	}
	if j := sh("journalctl -t jitsi-standin --no-pager -q"); !strings.Contains(j, "restarts prosody") {
		t.Errorf("the journal does not show the restart:\n%s", j)
	}
	after := started()
	if after == before {
		t.Errorf("prosody was not restarted by the upgrade (start time %s)", after)
	}
	if got := sh("grep -c 'component_admins_as_room_owners = true' /etc/prosody/conf.avail/" + tg.Domain + ".cfg.lua"); got != "1" {
		t.Errorf("component_admins_as_room_owners lines after the upgrade: %s", got)
	}
	health("newest release")
	conference(ctx, t, tg)

	// Nothing missing now: a reinstall restarts neither Prosody nor coturn.
	sh("rm -f /var/log/jitsi-standin/restarts.log")
	sh(install + "--reinstall jitsi-meet-prosody jitsi-meet-tokens jitsi-meet-turnserver >/tmp/reinstall.log 2>&1 || { cat /tmp/reinstall.log; exit 1; }")
	if log := sh("cat /var/log/jitsi-standin/restarts.log 2>/dev/null || true"); strings.Contains(log, "prosody") || strings.Contains(log, "coturn") {
		t.Errorf("reinstall restarted a service:\n%s", log)
	}
	if started() != after {
		t.Errorf("prosody restarted by a reinstall that changed nothing")
	}

	// A configure cut short after Prosody's config was written leaves
	// Jicofo's roster without the focus component; the next configure
	// subscribes it again, as upstream's does on every configure.
	sh("rm -f /var/lib/prosody/auth*/roster/focus.dat")
	sh("DEBIAN_FRONTEND=noninteractive dpkg-reconfigure jitsi-meet-prosody >/tmp/reconfigure.log 2>&1 || { cat /tmp/reconfigure.log; exit 1; }")
	if got := sh("cat /var/lib/prosody/auth*/roster/focus.dat 2>/dev/null || true"); !strings.Contains(got, "focus."+tg.Domain) {
		t.Errorf("Jicofo's roster after the next configure: %q, want the focus component in it", got)
	}
}

const appSecret = "s3cret-for-tests"

// hsToken is an HS256 token signed with the app secret jitsi-meet-tokens
// wrote into the host config.
func hsToken(claims map[string]any) string {
	return jwttest.HS256([]byte(appSecret), map[string]any{"alg": "HS256", "typ": "JWT"}, claims)
}

// conference signs in through nginx with tokens, asks Jicofo for a room
// through focus.DOMAIN and joins it, as the web app does.
func conference(ctx context.Context, t *testing.T, tg *sandbox.Target) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // the stand-in's self-signed site
	bosh := "https://" + tg.Address + "/http-bind"
	now := time.Now().Unix()
	token := func(room string) string {
		return hsToken(map[string]any{"iss": "jitsi", "aud": "jitsi", "sub": tg.Domain, "room": room, "exp": now + 600})
	}
	room := "upgraded@conference." + tg.Domain
	for _, tt := range []struct {
		name, token string
		join        bool
	}{
		{"token for the room", token("upgraded"), true},
		{"token for another room", token("other"), false},
	} {
		b, got, err := standin.OpenBOSH(ctx, client, bosh, tg.Domain, tt.token, 10)
		if err != nil || got != "success" {
			t.Errorf("%s: sign-in through nginx: %s %v", tt.name, got, err)
			continue
		}
		if _, err := b.Bind(ctx); err != nil {
			t.Errorf("%s: bind: %v", tt.name, err)
			continue
		}
		if reply, err := b.Conference(ctx, room); err != nil || !strings.Contains(reply, "ready='true'") {
			t.Errorf("%s: conference request: %v %s", tt.name, err, reply)
			continue
		}
		reply, err := b.Join(ctx, room, "user")
		if err != nil {
			t.Errorf("%s: join: %v", tt.name, err)
			continue
		}
		if joined := !strings.Contains(reply, "type='error'"); joined != tt.join {
			t.Errorf("%s: join answered %s, want joined %v", tt.name, reply, tt.join)
		}
	}
}
