//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/janssentest"
)

// loginCheck is the name verify gives its real sign-in through nginx.
const loginCheck = "a token of Janssen's test client signs in through nginx and joins a meeting (BOSH and WebSocket)"

// tokenLogins checks what a user meets on a converged host with the current
// Jitsi packages: verify signs in for real; Janssen's key rotation reaches
// Prosody without a re-run; an unknown key is refused at once; a token
// plugin that cannot load makes verify fail with Prosody's reason; and
// reinstalling every Jitsi package changes none of the installer's files.
func tokenLogins(t *testing.T, tg *sandbox.Target) {
	t.Run("verify signs in", func(t *testing.T) {
		v := jitsi(t, false, "verify", "--answers", tg.AnswersFile)
		if v.code != 0 || !strings.Contains(v.out, "pass "+loginCheck) {
			t.Fatalf("verify: exit %d, want 0 and the sign-in passed\n%s", v.code, v.out)
		}
	})
	t.Run("key rotation", func(t *testing.T) { keyRotation(t, tg) })
	t.Run("plugin cannot load", func(t *testing.T) { pluginUnloadable(t, tg) })
	t.Run("reinstall packages", func(t *testing.T) { reinstallPackages(t, tg) })
	t.Run("repair in order", func(t *testing.T) { repairInOrder(t, tg) })
}

// repairInOrder: the bridge's config edited by hand, the 443 rule deleted,
// Prosody's certificate chowned, Prosody stopped. The repair restarts the
// bridge for its config and must start Prosody first; its own verify waits
// for the services to settle, so a verify right after passes at once.
func repairInOrder(t *testing.T, tg *sandbox.Target) {
	mustSSH(t, tg, "echo '// edited by hand' >> /etc/jitsi/videobridge/jvb.conf; ufw delete allow 443/tcp; "+
		"chown root:root /etc/prosody/certs/"+tg.Domain+".crt; systemctl stop prosody")
	r := jitsi(t, false, "repair", "--answers", tg.AnswersFile, "--yes")
	if r.code != 0 || !strings.Contains(r.out, "Verify: ") {
		t.Fatalf("repair: exit %d, want 0 and its verify\n%s", r.code, r.out)
	}
	noSecretsInDebconf(t, tg, "after the repair")
	v := jitsi(t, false, "verify", "--answers", tg.AnswersFile)
	if v.code != 0 || strings.Contains(v.out, " wait ") {
		t.Fatalf("verify right after the repair: exit %d, want 0 without waiting\n%s", v.code, v.out)
	}
}

// keyRotation: Janssen starts signing with a new key. Prosody must accept
// it within 60 s without the installer, through the host's own timer; a kid
// nobody publishes must be refused within 2 s.
func keyRotation(t *testing.T, tg *sandbox.Target) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	signIn := boshSignIn(ctx, t, tg)

	start := time.Now()
	unknown := signIn(mint(t, tg, janssentest.MintRequest{Kid: "no-such-key", Claims: meetingClaims(tg)}))
	if took := time.Since(start); unknown != "failure" || took > 2*time.Second {
		t.Errorf("a token with an unknown kid: %s after %v, want failure within 2s", unknown, took.Round(time.Millisecond))
	}

	rotated := admin(t, tg, "POST", "/rotate").Current
	good := mint(t, tg, janssentest.MintRequest{Kid: rotated, Claims: meetingClaims(tg)})
	start = time.Now()
	for got := signIn(good); got != "success"; got = signIn(good) {
		if time.Since(start) > 60*time.Second {
			t.Fatalf("Prosody still refuses a token of Janssen's new key after 60s: %s", got)
		}
		time.Sleep(2 * time.Second)
	}
	t.Logf("a token of the new key is accepted %v after the rotation", time.Since(start).Round(time.Second))

	// Nothing of this needed the installer.
	if p := jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode"); p.code != 0 {
		t.Errorf("plan after the rotation: exit %d, pending %v", p.code, p.pending())
	}
}

// pluginUnloadable takes away a Lua library the token plugin requires, the
// way a Prosody running another Lua than the libraries' meets it: verify
// must fail and say why, in Prosody's words.
func pluginUnloadable(t *testing.T, tg *sandbox.Target) {
	lua := strings.TrimSpace(mustSSH(t, tg, `sed -n '1s/^#!.*\(lua5\.[0-9]\).*/\1/p' /usr/bin/prosody`))
	file := strings.TrimSpace(mustSSH(t, tg, lua+` -e 'print(package.searchpath("basexx", package.path))'`))
	if !strings.HasSuffix(file, "basexx.lua") {
		t.Fatalf("%s does not find basexx: %q", lua, file)
	}
	mustSSH(t, tg, "mv "+file+" "+file+".away && systemctl restart prosody")
	t.Cleanup(func() { mustSSH(t, tg, "mv "+file+".away "+file+" && systemctl restart prosody") })

	// Prosody was just restarted: the settle bound lets it come up, and the
	// sign-in keeps failing for the reason under test.
	v := jitsi(t, false, "verify", "--answers", tg.AnswersFile, "--settle", "30s")
	if v.code != 1 || !strings.Contains(v.out, "FAIL "+loginCheck) {
		t.Fatalf("verify without basexx: exit %d, want 1 and the sign-in failing\n%s", v.code, v.out)
	}
	if !strings.Contains(v.out, "basexx") {
		t.Errorf("verify does not name the missing library:\n%s", v.out)
	}
}

// reinstallPackages reinstalls every Jitsi package: their maintainer scripts
// run again and must find the installer's files as they want them, so the
// plan stays empty and neither Prosody nor coturn is restarted for them.
func reinstallPackages(t *testing.T, tg *sandbox.Target) {
	started := func() string {
		return mustSSH(t, tg, "systemctl show -p ActiveEnterTimestampMonotonic --value prosody coturn")
	}
	before := started()
	pkgs := strings.Fields(mustSSH(t, tg, `dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 'jitsi-*' jicofo | awk '$1 == "ii" {print $2}'`))
	if len(pkgs) < 8 {
		t.Fatalf("the host has only these Jitsi packages installed: %v", pkgs)
	}
	mustSSH(t, tg, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "+
		"-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "+
		strings.Join(pkgs, " ")+" >/tmp/reinstall.log 2>&1 || { tail -30 /tmp/reinstall.log; exit 1; }")
	if after := started(); after != before {
		t.Errorf("reinstalling the packages restarted Prosody or coturn (start times %q, then %q)", before, after)
	}
	noSecretsInDebconf(t, tg, "after reinstalling the packages")
	if p := jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode"); p.code != 0 {
		t.Errorf("plan after reinstalling the packages: exit %d, pending %v\n%s", p.code, p.pending(), lastLines(p.out, 40))
	}
	if v := jitsi(t, false, "verify", "--answers", tg.AnswersFile); v.code != 0 {
		t.Errorf("verify after reinstalling the packages: exit %d\n%s", v.code, v.out)
	}
}
