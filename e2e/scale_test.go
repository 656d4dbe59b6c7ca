//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// upOn boots a target on shared network net and removes it when the test ends.
func upOn(t *testing.T, name, suite, network string) *sandbox.Target {
	t.Helper()
	return boot(t, sandbox.Options{Name: name, Suite: suite, Network: network})
}

// scaleAnswers writes the core's answers file with the bridges added as
// hosts with role videobridge, each in its region, as name.
func scaleAnswers(t *testing.T, core *sandbox.Target, name string, bridges []*sandbox.Target, regions []string) string {
	t.Helper()
	path, err := core.WriteClusterAnswers(name, bridges, regions)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// hostEvents returns the events of one host, by type.
func hostEvents(r result, host, typ string) []map[string]any {
	var out []map[string]any
	for _, e := range r.events {
		if e["host"] == host && e["type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

func eventTime(t *testing.T, e map[string]any) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(e["time"]))
	if err != nil {
		t.Fatalf("event time: %v", err)
	}
	return at
}

// stepStarted and stepFinished are when host's step started and finished
// in r's event stream.
func stepStarted(t *testing.T, r result, host, step string) time.Time {
	t.Helper()
	return stepEvent(t, r, host, step, "step.started")
}

func stepFinished(t *testing.T, r result, host, step string) time.Time {
	t.Helper()
	return stepEvent(t, r, host, step, "step.finished")
}

func stepEvent(t *testing.T, r result, host, step, typ string) time.Time {
	t.Helper()
	for _, e := range hostEvents(r, host, typ) {
		if e["step"] == step {
			return eventTime(t, e)
		}
	}
	t.Fatalf("%s: no %s of %s", host, typ, step)
	return time.Time{}
}

// A core and two videobridges on other Debian releases, in two regions, on
// one network: one run installs them, the core first and the bridges in
// parallel, their packages as soon as the core has its secrets; verify
// names both bridges; a converged re-run plans nothing in
// at most 3 round trips per host; a bridge removed from the answers file
// loses the core's XMPP port.
func TestScaleOut(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	const network = "x-scale"
	core := upOn(t, "x-core", "bookworm", network)
	bridges := []*sandbox.Target{upOn(t, "x-br1", "trixie", network), upOn(t, "x-br2", "bullseye", network)}
	answers := scaleAnswers(t, core, "answers-scale.yaml", bridges, []string{"eu-west", "us-east"})

	r := jitsi(t, true, "install", "--answers", answers, "--yes", "--verify=false")
	if r.code != 0 {
		t.Fatalf("install: exit %d\n%s", r.code, lastLines(r.out, 40))
	}
	coreDone := eventTime(t, hostEvents(r, core.Address, "host.finished")[0])
	secretsDone := stepFinished(t, r, core.Address, "Secrets")
	var starts, ends []time.Time
	for _, b := range bridges {
		fin := hostEvents(r, b.Address, "host.finished")
		if len(fin) != 1 {
			t.Fatalf("%s: %d summary lines, want 1", b.Address, len(fin))
		}
		first := hostEvents(r, b.Address, "step.started")
		if len(first) == 0 {
			t.Fatalf("%s: nothing applied", b.Address)
		}
		// Its package lists and base packages overlap the core's install;
		// what needs the core waits for it.
		start := eventTime(t, first[0])
		if !start.Before(coreDone) {
			t.Errorf("%s: its steps ahead started at %s, after the core finished (%s)", b.Address, start, coreDone)
		}
		// Its packages wait for the core's secrets (the jvb password),
		// not for the rest of the core: they start once the core's
		// Secrets step is done (or its own steps ahead are), before the
		// core finishes.
		ready := secretsDone
		if aheadDone := stepFinished(t, r, b.Address, "Jitsi repository"); aheadDone.After(ready) {
			ready = aheadDone
		}
		pkgs := stepStarted(t, r, b.Address, "Debconf answers")
		switch {
		case pkgs.Before(secretsDone):
			t.Errorf("%s: Debconf answers (the core's password) started at %s, before the core's secrets (%s)", b.Address, pkgs, secretsDone)
		case pkgs.Sub(ready) > 3*time.Second:
			t.Errorf("%s: Debconf answers started %s after the core's secrets and its own steps ahead were done", b.Address, pkgs.Sub(ready))
		case !pkgs.Before(coreDone):
			t.Errorf("%s: Debconf answers started at %s, after the core finished (%s)", b.Address, pkgs, coreDone)
		}
		t.Logf("%s: packages start %s after the core's secrets (its steps ahead done %s after them), %s before the core finished",
			b.Address, pkgs.Sub(secretsDone).Round(time.Millisecond), ready.Sub(secretsDone).Round(time.Millisecond), coreDone.Sub(pkgs).Round(time.Millisecond))
		var last map[string]any
		for _, e := range r.events {
			if e["host"] == b.Address && e["type"] != "host.finished" {
				last = e
			}
		}
		starts, ends = append(starts, start), append(ends, eventTime(t, last))
	}
	if !starts[0].Before(ends[1]) || !starts[1].Before(ends[0]) {
		t.Errorf("the bridges did not run in parallel: %v .. %v and %v .. %v", starts[0], ends[0], starts[1], ends[1])
	}

	v := jitsi(t, true, "verify", "--answers", answers)
	for _, e := range v.events {
		if e["type"] == "check" && e["passed"] == false {
			t.Errorf("%s: verify: %s: %v", e["host"], e["resource"], e["error"])
		}
	}
	for _, b := range bridges {
		id := "jvb-" + strings.ReplaceAll(b.Address, ".", "-")
		if !strings.Contains(v.out, id) {
			t.Errorf("verify does not name bridge %s", id)
		}
	}
	for _, want := range []string{"eu-west", "us-east", "in the brewery", "XMPP connected to the core"} {
		if !strings.Contains(v.out, want) {
			t.Errorf("verify does not say %q", want)
		}
	}
	if v.code != 0 {
		t.Errorf("verify: exit %d", v.code)
	}

	again := jitsi(t, true, "install", "--answers", answers, "--yes", "--verify=false")
	if again.code != 0 || len(again.pending()) != 0 {
		t.Errorf("converged re-run: exit %d, pending %v\n%s", again.code, again.pending(), lastLines(again.out, 20))
	}
	for _, tg := range append([]*sandbox.Target{core}, bridges...) {
		fin := hostEvents(again, tg.Address, "host.finished")
		if len(fin) != 1 {
			t.Fatalf("%s: %d summary lines", tg.Address, len(fin))
		}
		s, _ := fin[0]["summary"].(map[string]any)
		if s["changed"] != 0.0 || s["round_trips"].(float64) > 3 {
			t.Errorf("%s on the converged re-run: %v", tg.Address, s)
		}
	}
	// status reads each host as its role: the cluster healthy, the bridges
	// as bridges (no Prosody, certificate or keys to miss), nothing drifted.
	code, st := statusOf(t, answers)
	hs, _ := st["hosts"].([]any)
	if code != 0 || st["healthy"] != true || len(hs) != 1+len(bridges) {
		t.Errorf("status: exit %d, healthy %v, %d host(s)", code, st["healthy"], len(hs))
	}
	for _, x := range hs {
		h, _ := x.(map[string]any)
		role := "videobridge"
		if h["host"] == core.Address {
			role = "core"
		}
		if h["role"] != role || fmt.Sprint(h["problems"]) != "[]" || fmt.Sprint(h["drift"]) != "[]" {
			t.Errorf("status of %v: role %v (want %s), problems %v, drift %v", h["host"], h["role"], role, h["problems"], h["drift"])
		}
		// The core's XMPP sessions: Jicofo's, and every bridge's (its own
		// and the two others'); a bridge shows its own bridge's stats.
		x, _ := h["xmpp_of"].(map[string]any)
		switch {
		case role == "core" && (x == nil || x["jicofo"] != 1.0 || x["bridges"] != float64(1+len(bridges))):
			t.Errorf("status of the core: XMPP sessions %v of %v, want Jicofo 1, bridges %d", h["xmpp_sessions"], x, 1+len(bridges))
		case role == "videobridge" && (h["bridge"] == nil || h["xmpp_sessions"] != nil || h["certificate"] != nil):
			t.Errorf("status of bridge %v: bridge %v, xmpp %v, certificate %v", h["host"], h["bridge"], h["xmpp_sessions"], h["certificate"])
		}
	}
	noSecretsIn(t, core, r.out, v.out, again.out)

	// The second bridge leaves the answers file: the core's next run
	// closes XMPP to it, and keeps it open to the first.
	removed := bridges[1]
	if !reaches(t, removed, core.Address, 5222) {
		t.Fatalf("%s cannot reach the core's XMPP port before it is removed", removed.Name)
	}
	one := scaleAnswers(t, core, "answers-scale-one.yaml", bridges[:1], []string{"eu-west"})
	r = jitsi(t, true, "install", "--answers", one, "--yes", "--verify=false")
	if r.code != 0 {
		t.Fatalf("install without %s: exit %d\n%s", removed.Address, r.code, lastLines(r.out, 30))
	}
	rules := mustSSH(t, core, "ufw show added")
	if strings.Contains(rules, removed.Address) {
		t.Errorf("the core still allows %s:\n%s", removed.Address, rules)
	}
	if !strings.Contains(rules, bridges[0].Address) {
		t.Errorf("the core no longer allows %s:\n%s", bridges[0].Address, rules)
	}
	if reaches(t, removed, core.Address, 5222) {
		t.Errorf("%s still reaches the core's XMPP port", removed.Name)
	}
	if !reaches(t, bridges[0], core.Address, 5222) {
		t.Errorf("%s no longer reaches the core's XMPP port", bridges[0].Name)
	}
}

// reaches reports whether from opens a TCP connection to addr:port.
func reaches(t *testing.T, from *sandbox.Target, addr string, port int) bool {
	t.Helper()
	out, _ := from.SSH(context.Background(), fmt.Sprintf("timeout 5 bash -c 'echo > /dev/tcp/%s/%d' 2>/dev/null && echo open", addr, port))
	return strings.TrimSpace(out) == "open"
}
