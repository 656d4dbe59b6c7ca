package installer_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// dialLocal reaches this machine as the user the tests run as.
func dialLocal(context.Context) (transport.Transport, error) { return transport.NewLocalUser(), nil }

// dialFailing fails to reach the host with err.
func dialFailing(err error) func(context.Context) (transport.Transport, error) {
	return func(context.Context) (transport.Transport, error) { return nil, err }
}

func localTarget() []installer.Target {
	return []installer.Target{{Name: "local", Dial: dialLocal}}
}

func fileStep(path, content string) *testStep {
	return &testStep{name: "config", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{&resource.File{Path: path, Content: []byte(content), Mode: 0o644}}
	}}
}

// A second run on a locked host refuses, naming the holder; with a wait it
// gets the lock once the first run ends.
func TestLockRefusesOrWaits(t *testing.T) {
	th := newTestHost(t)
	first, _ := th.eng(fileStep(th.path("a.conf"), "a\n"))
	first.Lock, first.Operator, first.RunID = true, "alice@laptop", "run-one"
	p1 := first.Plan(context.Background(), localTarget())
	if err := p1.Err(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		wait time.Duration
		// released after this long, or never
		release time.Duration
		locked  bool
	}{
		{"refused", 0, 0, true},
		{"waits in vain", 500 * time.Millisecond, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			second, rec := th.eng(fileStep(th.path("a.conf"), "b\n"))
			second.Lock, second.LockWait, second.Operator = true, tc.wait, "bob@ci"
			start := time.Now()
			p2 := second.Plan(context.Background(), localTarget())
			defer p2.Close()
			var le *installer.LockedError
			if !errors.As(p2.Err(), &le) {
				t.Fatalf("want a LockedError, got %v", p2.Err())
			}
			if !strings.Contains(le.Error(), "run run-one of alice@laptop (since ") {
				t.Errorf("error does not name the holder: %v", le)
			}
			if d := time.Since(start); d < tc.wait {
				t.Errorf("gave up after %s, before the wait of %s", d, tc.wait)
			}
			if tc.wait > 0 && len(rec.of(installer.EventWarning)) == 0 {
				t.Error("no warning says the run waits")
			}
		})
	}

	second, _ := th.eng(fileStep(th.path("b.conf"), "b\n"))
	second.Lock, second.LockWait, second.Operator = true, 20*time.Second, "bob@ci"
	go func() {
		time.Sleep(300 * time.Millisecond)
		first.Apply(context.Background(), p1)
		p1.Close()
	}()
	p2 := second.Plan(context.Background(), localTarget())
	defer p2.Close()
	if err := p2.Err(); err != nil {
		t.Fatalf("waiting run: %v", err)
	}
	second.Apply(context.Background(), p2)
	if th.read("a.conf") != "a\n" || th.read("b.conf") != "b\n" {
		t.Error("runs did not both apply")
	}
}

// The lock of a run whose installer died is released with it, and the next
// run says so. What the dead run started on the host is stopped.
func TestLockOfDeadRun(t *testing.T) {
	th := newTestHost(t)
	e, _ := th.eng(fileStep(th.path("a.conf"), "a\n"))
	e.Lock, e.Operator, e.RunID = true, "alice@laptop", "run-dead"
	p := th.plan(e)
	// A command of the run, with a child, still running on the host.
	h := p.Hosts[0].Host
	if err := installer.SaveNewJournal(context.Background(), e, p.Hosts[0]); err != nil {
		t.Fatal(err)
	}
	go h.Run(context.Background(), "sh", "-c", "sleep 300 & echo $! > "+th.path("child.pid")+"; wait")
	waitFor(t, func() bool { _, err := os.Stat(th.path("child.pid")); return err == nil })
	// The installer dies: its end of the lock goes away without a word.
	held := installer.DropLock(p.Hosts[0])
	go held.Close(time.Minute)
	waitFor(t, func() bool {
		pid := strings.TrimSpace(th.read("child.pid"))
		_, err := os.Stat("/proc/" + pid)
		return os.IsNotExist(err)
	})

	os.WriteFile(th.path("a.conf"), []byte("a\n"), 0o644)
	next, rec := th.eng(fileStep(th.path("a.conf"), "a\n"))
	// The dead run's lock script may still be stopping what it left.
	next.Lock, next.Operator, next.LockWait = true, "bob@ci", 10*time.Second
	p2 := next.Plan(context.Background(), localTarget())
	defer p2.Close()
	if err := p2.Err(); err != nil {
		t.Fatalf("lock of a dead run not taken over: %v", err)
	}
	<-held.Done()
	if w := rec.of(installer.EventWarning); len(w) == 0 || !strings.Contains(w[len(w)-1].Message, "run run-dead (started ") {
		t.Errorf("warnings %+v", w)
	}
	// Nothing to change, but the journal no longer says "running": the dead
	// run is interrupted.
	if !p2.NeedsApply() || p2.HasChanges() {
		t.Fatalf("needs apply %v, changes %v", p2.NeedsApply(), p2.HasChanges())
	}
	next.Apply(context.Background(), p2)
	if j := th.read("state/journal.json"); !strings.Contains(j, `"status": "finished"`) || !strings.Contains(j, `"status": "interrupted"`) {
		t.Errorf("journal after the next run:\n%s", j)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out")
}

// A run whose lock the host gave up (suspended installer, stalled link)
// changes nothing more.
func TestLockLostStopsTheRun(t *testing.T) {
	th := newTestHost(t)
	e, _ := th.eng(fileStep(th.path("a.conf"), "a\n"))
	e.Lock = true
	p := th.plan(e)
	installer.HeldLock(p.Hosts[0]).Close(0)
	e.Apply(context.Background(), p)
	if p.Err() == nil || !strings.Contains(p.Err().Error(), "gave up this run's lock") {
		t.Fatalf("err = %v", p.Err())
	}
	if _, err := os.Stat(th.path("a.conf")); !os.IsNotExist(err) {
		t.Error("applied without the lock")
	}
}
