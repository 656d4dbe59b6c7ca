//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// restartsPaid fails when a service was last started before its
// configuration last changed: a restart owed and never paid.
func restartsPaid(t *testing.T, tg *sandbox.Target) {
	t.Helper()
	out := mustSSH(t, tg, `for p in prosody:/etc/prosody/conf.avail/`+tg.Domain+`.cfg.lua jicofo:/etc/jitsi/jicofo/jicofo.conf jitsi-videobridge2:/etc/jitsi/videobridge/jvb.conf coturn:/etc/turnserver.conf; do
	u=${p%%:*} f=${p#*:}
	[ -f "$f" ] || continue
	m=$(stat -c %Y "$f")
	s=$(date -d "$(systemctl show -p ActiveEnterTimestamp --value "$u")" +%s 2>/dev/null || echo 0)
	[ "$s" -ge "$m" ] || echo "$u last started at $s, before $f changed at $m"
done; true`)
	if strings.TrimSpace(out) != "" {
		t.Errorf("owed restarts not paid:\n%s", out)
	}
}

// converges runs the installer after a fault: it must finish, pay what the
// faulted run owed, and leave nothing pending.
func converges(t *testing.T, tg *sandbox.Target, round string) result {
	t.Helper()
	r := jitsi(t, true, "install", "--answers", tg.AnswersFile, "--yes", "--wait", "3m")
	if r.code != 0 {
		t.Fatalf("%s: the next run failed: exit %d\n%s", round, r.code, lastLines(r.out, 30))
	}
	p := jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode")
	if p.code != 0 {
		t.Fatalf("%s: not converged after the next run: exit %d %v", round, p.code, p.pending())
	}
	restartsPaid(t, tg)
	noSecretsInDebconf(t, tg, round)
	if j := mustSSH(t, tg, "cat /var/lib/jitsi-installer/journal.json"); !strings.Contains(j, `"status": "finished"`) || strings.Contains(j[:min(len(j), 200)], `"status": "running"`) {
		t.Errorf("%s: journal after the next run:\n%s", round, lastLines(j, 10))
	}
	return r
}

// TestFaultInjection kills the installer at random moments inside every
// step of a fresh install, in package installs and config writes, and cuts
// its link mid-run; the runs after converge and pay the restarts owed, and
// nothing a killed run started keeps running on the host.
func TestFaultInjection(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	tg := up(t, "f-kill", "bookworm", "root")
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)
	ms := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * time.Millisecond }

	// A fresh install, killed once inside every step that changes
	// something: each run resumes where the last was killed and is killed
	// in the next step, at a random resource and moment.
	covered := map[string]bool{}
	for run := 1; ; run++ {
		if run > 30 {
			t.Fatalf("still not converged after %d killed runs", run-1)
		}
		l := startJitsi(t, "install", "--answers", tg.AnswersFile, "--yes", "--wait", "3m")
		var step string
		ev := l.until(func(ev map[string]any) bool {
			step = fmt.Sprint(ev["step"])
			return ev["type"] == "resource.started" && !covered[step]
		})
		if ev == nil {
			<-l.done
			if l.code != 0 {
				t.Fatalf("run %d failed without a fault: exit %d\n%s", run, l.code, lastLines(l.output(), 30))
			}
			t.Logf("run %d finished: killed inside %d steps before", run, len(covered))
			break
		}
		covered[step] = true
		delay := ms(0, 300)
		if strings.HasPrefix(fmt.Sprint(ev["resource"]), "packages ") || step == "TLS certificate" {
			delay = ms(200, 4000)
		}
		time.Sleep(delay)
		how := "killed"
		if run%3 == 0 {
			how = "interrupted"
			l.interrupt(t)
		} else {
			l.kill()
		}
		t.Logf("run %d: %s %s into %s: %v", run, how, delay, step, ev["resource"])
		nothingOutlives(t, tg, fmt.Sprintf("run %d", run))
	}
	converges(t, tg, "after the install's faults")

	drift := `sed -i '$a # drift' /etc/jitsi/jicofo/jicofo.conf /etc/jitsi/videobridge/jvb.conf /etc/prosody/conf.avail/` + tg.Domain + `.cfg.lua`
	rounds := []struct {
		name  string
		drift bool
		at    func(map[string]any) bool
		delay time.Duration
		cut   bool
	}{
		{name: "killed in a config write", drift: true, at: resourceStarted("file /etc/jitsi/", rng.IntN(2)), delay: ms(0, 40)},
		{name: "killed before the handlers", drift: true, at: resourceStarted("file /etc/jitsi/videobridge/jvb.conf", 0), delay: ms(50, 400)},
		{name: "link cut mid-run", drift: true, at: resourceStarted("file ", 0), delay: ms(0, 200), cut: true},
	}
	for i, rd := range rounds {
		round := fmt.Sprintf("round %d (%s)", i+1, rd.name)
		if rd.drift {
			mustSSH(t, tg, drift)
		}
		l := startJitsi(t, "install", "--answers", tg.AnswersFile, "--yes", "--wait", "3m")
		if ev := l.until(rd.at); ev == nil {
			<-l.done
			t.Fatalf("%s: the run ended (exit %d) before the chosen moment:\n%s", round, l.code, lastLines(l.output(), 20))
		} else {
			t.Logf("%s: fault %s after %s %v", round, rd.delay, ev["type"], ev["resource"])
		}
		time.Sleep(rd.delay)
		if !rd.cut {
			l.kill()
			nothingOutlives(t, tg, round)
		} else {
			took := cutLink(t, l, tg, round)
			out := l.output()
			if l.code != 4 || !strings.Contains(out, "connection lost") {
				t.Errorf("%s: exit %d after %s, want 4 and the connection named:\n%s", round, l.code, took, lastLines(out, 10))
			}
			if took > 2*time.Minute {
				t.Errorf("%s: took %s to give up on a dead link", round, took)
			}
			t.Logf("%s: gave up after %s", round, took)
		}
		r := converges(t, tg, round)
		for _, ev := range r.events {
			if ev["type"] == "warning" {
				t.Logf("%s: next run warned: %v", round, ev["message"])
			}
		}
	}
	verifyPasses(t, tg)
}

// verifyPasses runs verify, up to three times: on a loaded machine the
// token check's clock comparison can be off by a few seconds (a token "not
// valid yet"), which is no fault of the host's state.
func verifyPasses(t *testing.T, tg *sandbox.Target) {
	t.Helper()
	var v result
	for try := 1; try <= 3; try++ {
		if v = jitsi(t, false, "verify", "--answers", tg.AnswersFile); v.code == 0 {
			return
		}
		t.Logf("verify, try %d: exit %d\n%s", try, v.code, lastLines(v.out, 4))
		time.Sleep(5 * time.Second)
	}
	t.Fatalf("verify after the faults: exit %d\n%s", v.code, v.out)
}

// nothingOutlives fails when a process the killed run started on the host
// (apt, dpkg, a maintainer script) is still running 30 s later.
func nothingOutlives(t *testing.T, tg *sandbox.Target, round string) {
	t.Helper()
	const list = `for f in /proc/[0-9]*/environ; do grep -qz '^JITSI_INSTALLER_RUN=' "$f" 2>/dev/null && p=${f%/environ} && echo "${p#/proc/} $(tr '\0' ' ' < "$p/cmdline" | cut -c1-80)"; done; true`
	var out string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(time.Second) {
		if out = strings.TrimSpace(mustSSH(t, tg, list)); out == "" {
			return
		}
	}
	t.Errorf("%s: the killed run's commands still run on the host:\n%s", round, out)
}

// cutLink takes tg's link down while l runs, waits for l to end (150 s at
// most), brings the link back and returns how long l took to end.
func cutLink(t *testing.T, l *live, tg *sandbox.Target, what string) time.Duration {
	t.Helper()
	cut := time.Now()
	link(t, tg, "down")
	select {
	case <-l.done:
	case <-time.After(150 * time.Second):
		l.kill()
		link(t, tg, "up")
		t.Fatalf("%s: still running 150 s after the link died", what)
	}
	took := time.Since(cut)
	link(t, tg, "up")
	return took
}

// link takes the target's network link down or up: a dead route, with no
// reset sent to either end.
func link(t *testing.T, tg *sandbox.Target, state string) {
	t.Helper()
	if out, err := exec.Command("ip", "link", "set", "dev", tg.Veth, state).CombinedOutput(); err != nil {
		t.Fatalf("ip link set %s %s: %v: %s", tg.Veth, state, err, out)
	}
}
