//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// sshCursor is where the target's sshd journal ends now.
func sshCursor(t *testing.T, tg *sandbox.Target) string {
	t.Helper()
	out := mustSSH(t, tg, "journalctl -u ssh -n 0 --show-cursor --no-pager")
	_, c, ok := strings.Cut(out, "-- cursor: ")
	if !ok {
		t.Fatalf("%s: no journal cursor in %q", tg.Name, out)
	}
	return strings.TrimSpace(c)
}

// sshSince is what the target's sshd logged after cursor, this reading's
// own connection included: one "Accepted" line for it, and nothing of
// anyone else's.
func sshSince(t *testing.T, tg *sandbox.Target, cursor string) []string {
	t.Helper()
	out := mustSSH(t, tg, "journalctl -u ssh -o cat --no-pager --after-cursor "+sandbox.ShellQuote(cursor))
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "Accepted ") || strings.Contains(l, "preauth") || strings.Contains(l, "Connection ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// notContacted fails unless tg's sshd saw only the reading's own
// connection since cursor.
func notContacted(t *testing.T, tg *sandbox.Target, cursor, what string) {
	t.Helper()
	if lines := sshSince(t, tg, cursor); len(lines) != 1 {
		t.Errorf("%s: %s's sshd saw %d connection(s) besides none, want only this check's own:\n%s", what, tg.Name, len(lines)-1, strings.Join(lines, "\n"))
	}
}

// hostsOf are the hosts that events name, with how many events each.
func hostsOf(r result) map[string]int {
	hs := map[string]int{}
	for _, e := range r.events {
		if h, ok := e["host"].(string); ok && h != "" {
			hs[h]++
		}
	}
	return hs
}

// --limit on a core + bridge cluster: the core alone is installed without
// the bridge's sshd seeing a connection; the bridge alone then installs
// and verifies with the core's values, read from the core and nothing on
// the core changed; status and logs limited to the bridge leave the core
// alone; a name that is no host is exit 3 and contacts nobody; with the
// bridge's sshd stopped, the core alone still plans.
func TestLimit(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	const network = "fl-net"
	core := upOn(t, "fl-core", "bookworm", network)
	bridge := upOn(t, "fl-br", "bookworm", network)
	answers := scaleAnswers(t, core, "answers-fl.yaml", []*sandbox.Target{bridge}, nil)

	cc, bc := sshCursor(t, core), sshCursor(t, bridge)
	r := jitsi(t, false, "plan", "--answers", answers, "--limit", "fl-nosuch,"+core.Address)
	if r.code != 3 || !strings.Contains(r.out, "--limit: ") || !strings.Contains(r.out, `"fl-nosuch"`) {
		t.Errorf("--limit with no such host: exit %d, want 3 naming the flag and the name\n%s", r.code, r.out)
	}
	notContacted(t, core, cc, "--limit with no such host")
	notContacted(t, bridge, bc, "--limit with no such host")

	// The core alone.
	bc = sshCursor(t, bridge)
	r = jitsi(t, true, "install", "--answers", answers, "--yes", "--verify=false", "--limit", core.Address)
	if r.code != 0 {
		t.Fatalf("install --limit core: exit %d\n%s", r.code, lastLines(r.out, 40))
	}
	if hs := hostsOf(r); len(hs) != 1 || hs[core.Address] == 0 {
		t.Errorf("install --limit core: events of %v", hs)
	}
	notContacted(t, bridge, bc, "install --limit core")
	if out := mustSSH(t, bridge, "ls /etc/jitsi /var/lib/jitsi-installer 2>&1 || true"); !strings.Contains(out, "No such file") {
		t.Errorf("the bridge has the installer's files after install --limit core:\n%s", out)
	}

	// The bridge alone: the core is read, never changed.
	state := "find /etc /var/lib/jitsi-installer /var/backups/jitsi-installer -xdev -newer /run/fl-mark -not -path '/etc/ld.so.cache' 2>/dev/null; cat /var/lib/jitsi-installer/journal.json | sha256sum; ls -la /var/lib/jitsi-installer"
	mustSSH(t, core, "touch /run/fl-mark && sleep 1")
	before := mustSSH(t, core, state)
	r = jitsi(t, true, "install", "--answers", answers, "--yes", "--limit", bridge.Address)
	if r.code != 0 {
		t.Fatalf("install --limit bridge: exit %d\n%s", r.code, lastLines(r.out, 40))
	}
	for _, e := range r.events {
		if e["host"] != core.Address {
			continue
		}
		if e["type"] != "host.connected" || !strings.Contains(e["message"].(string), "read only") {
			t.Errorf("an event of the core in install --limit bridge: %v", e)
		}
	}
	passed := 0
	for _, e := range r.events {
		if e["type"] == "check" && e["host"] == bridge.Address && strings.Contains(e["resource"].(string), "XMPP connected to the core") && e["passed"] == true {
			passed++
		}
	}
	if passed != 1 {
		t.Errorf("the bridge installed alone did not pass \"XMPP connected to the core\" (the core's values it read)\n%s", lastLines(r.out, 30))
	}
	if after := mustSSH(t, core, state); after != before {
		t.Errorf("install --limit bridge changed the core:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	noSecretsIn(t, core, r.out)

	// status and logs of the bridge alone: logs read nothing of the core,
	// status only what the bridge's plan needs.
	cc = sshCursor(t, core)
	lg := jitsi(t, false, "logs", "--answers", answers, "--limit", bridge.Address, "-n", "5", "jvb")
	got := strings.Split(strings.TrimSpace(lg.out), "\n")
	if lg.code != 0 || len(got) == 0 || len(got) > 5 {
		t.Errorf("logs --limit bridge -n 5: exit %d, %d line(s)\n%s", lg.code, len(got), lg.out)
	}
	for _, l := range got {
		if !strings.Contains(l, "["+bridge.Address+"] jvb") {
			t.Errorf("logs --limit bridge: a line not of the bridge's jvb: %q", l)
		}
	}
	notContacted(t, core, cc, "logs --limit bridge")
	st := jitsi(t, false, "status", "--answers", answers, "--limit", bridge.Address, "--output", "json")
	var rep struct {
		Hosts []struct {
			Host, Role string
		}
		Healthy bool
	}
	if err := json.Unmarshal([]byte(st.out), &rep); err != nil || st.code != 0 || !rep.Healthy || len(rep.Hosts) != 1 || rep.Hosts[0].Host != bridge.Address {
		t.Errorf("status --limit bridge: exit %d, %+v (%v)\n%s", st.code, rep, err, st.out)
	}

	// With the bridge's sshd stopped, the core alone still plans converged.
	mustSSH(t, bridge, "systemctl stop ssh.socket 2>/dev/null; systemctl stop ssh.service")
	p := jitsi(t, true, "plan", "--answers", answers, "--limit", core.Address, "--detailed-exitcode")
	if p.code != 0 || len(p.pending()) != 0 {
		t.Errorf("plan --limit core with the bridge's sshd stopped: exit %d, pending %v\n%s", p.code, p.pending(), lastLines(p.out, 20))
	}
	if full := jitsi(t, false, "plan", "--answers", answers); full.code != 4 {
		t.Errorf("plan of both with the bridge's sshd stopped: exit %d, want 4 (so the limited plan did not reach for it)", full.code)
	}
}
