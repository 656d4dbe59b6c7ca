//go:build e2e

package e2e

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// TestBastion installs on a target whose SSH only a bastion target
// reaches (hosts[].bastion in its answers file): a fresh install whose
// bastion link is cut mid-run ends with exit 4 within a minute; the next
// run installs and verifies, and plans converged in at most one round trip
// more than a host reached directly takes (3). The bastion only forwards.
func TestBastion(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	bastion := boot(t, sandbox.Options{Name: "bh-jump"})
	tg := boot(t, sandbox.Options{Name: "bh-meet", Behind: bastion.Name})

	// Nothing here reaches its sshd: no route to its SSH address, and its
	// web address has no SSH.
	for _, addr := range []string{tg.Address, tg.Link} {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(addr, "22"), 3*time.Second); err == nil {
			c.Close()
			t.Fatalf("%s:22 answers from this machine: the target is not behind its bastion", addr)
		}
	}

	l := startJitsi(t, "install", "--answers", tg.AnswersFile, "--yes", "--wait", "3m")
	if ev := l.until(resourceStarted("packages ", 0)); ev == nil {
		<-l.done
		t.Fatalf("the install ended (exit %d) before installing packages:\n%s", l.code, lastLines(l.output(), 20))
	}
	time.Sleep(time.Second)
	took := cutLink(t, l, bastion, "bastion link cut")
	if out := l.output(); l.code != 4 || !strings.Contains(out, "connection lost") {
		t.Errorf("bastion link cut: exit %d after %s, want 4 and the connection named:\n%s", l.code, took, lastLines(out, 10))
	}
	t.Logf("gave up %s after the bastion's link died", took.Round(time.Second))
	if took > time.Minute {
		t.Errorf("took %s to give up on a dead bastion link, want a minute at most", took.Round(time.Second))
	}

	// The next run installs (and verifies: clients reach the web ports),
	// and a plan then finds nothing to do.
	converges(t, tg, "after the cut")
	for run := 1; run <= 2; run++ {
		p := jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode")
		if p.code != 0 {
			t.Fatalf("plan %d: exit %d %v\n%s", run, p.code, p.pending(), lastLines(p.out, 10))
		}
		rt := p.summary()["round_trips"].(float64)
		t.Logf("converged plan %d through the bastion: %v round trips", run, rt)
		if rt > 3+1 {
			t.Errorf("a converged plan through the bastion took %v round trips, want at most 4 (3 without it, plus its connection)", rt)
		}
	}
	v := jitsi(t, false, "verify", "--answers", tg.AnswersFile)
	if v.code != 0 {
		t.Errorf("verify: exit %d\n%s", v.code, lastLines(v.out, 20))
	}
	if out := mustSSH(t, bastion, "ls /var/lib/jitsi-installer /etc/jitsi 2>&1 || true"); !strings.Contains(out, "No such file") || strings.Contains(out, "journal") {
		t.Errorf("the installer touched the bastion:\n%s", out)
	}
}
