package installer_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

func TestRollbackRestoresTheRunsFiles(t *testing.T) {
	th := newTestHost(t)
	restart := installer.Handler{Name: "restart app", Cmds: [][]string{{"sh", "-c", "echo restarted >> " + th.path("handler.log")}}}
	step := func(content string) installer.Step {
		return &testStep{name: "config", rs: func(*installer.Host) []installer.Resource {
			return []installer.Resource{
				&resource.File{Path: th.path("app.conf"), Content: []byte(content), Mode: 0o640, Notify: installer.Notify{Handlers: []installer.Handler{restart}}},
			}
		}}
	}
	apply := func(content string) string {
		e, _ := th.eng(step(content))
		e.RunID, e.Operator, e.Command = installer.NewRunID()+"-"+strings.TrimSpace(content), "ops@laptop", "install"
		if sum := e.Apply(context.Background(), th.plan(e)); sum.Failed != 0 {
			t.Fatalf("apply %q failed", content)
		}
		return e.RunID
	}
	apply("one\n")
	second := apply("two\n")
	if err := os.Chmod(th.path("app.conf"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(th.path("handler.log"))

	// The plan names the file and its handler and changes nothing.
	e, rec := th.eng(step("two\n"))
	e.Operator = "ops@laptop"
	p := e.Declare(context.Background(), []installer.Target{{Name: "local", Dial: dialLocal}})
	defer p.Close()
	rs := e.PlanRollback(context.Background(), p, second)
	if rs[0].Err != nil {
		t.Fatal(rs[0].Err)
	}
	if len(rs[0].Files) != 1 || rs[0].Files[0].Path != th.path("app.conf") || rs[0].Files[0].State != "differs" {
		t.Fatalf("files %+v", rs[0].Files)
	}
	if strings.Join(rs[0].Handlers, ",") != "restart app" {
		t.Errorf("handlers %v", rs[0].Handlers)
	}
	e.ReportRollback(rs)
	if len(rec.of(installer.EventResourcePending)) != 2 || th.read("app.conf") != "two\n" {
		t.Fatalf("plan: %v; content %q", rec.of(installer.EventResourcePending), th.read("app.conf"))
	}

	// Rollback puts the bytes and mode back, restarts once, and is a run.
	sum := e.Rollback(context.Background(), rs)
	if sum.Changed != 1 || sum.Handlers != 1 || sum.Failed != 0 {
		t.Fatalf("rollback summary %+v", sum)
	}
	if got := th.read("app.conf"); got != "one\n" {
		t.Errorf("content after rollback %q, want the first run's", got)
	}
	if st, _ := os.Stat(th.path("app.conf")); st.Mode().Perm() != 0o640 {
		t.Errorf("mode after rollback %o, want 640", st.Mode().Perm())
	}
	if got := th.read("handler.log"); got != "restarted\n" {
		t.Errorf("handler log %q", got)
	}
	j, err := installer.ParseJournal(th.read("state/journal.json"))
	if err != nil {
		t.Fatal(err)
	}
	runs := j.Runs()
	if len(runs) != 3 || runs[0].Command != "rollback "+second || runs[0].User != "ops@laptop" || runs[1].ID != second || len(runs[1].Changes) != 1 {
		t.Errorf("journal runs %+v", runs)
	}
	// What the rollback replaced is in its own backups.
	if got := th.read("backups/" + e.RunID + th.path("app.conf")); got != "two\n" {
		t.Errorf("rollback's own backup %q", got)
	}

	// An unknown run is an error, not an empty plan.
	rs = e.PlanRollback(context.Background(), p, "20000101T000000Z-000000")
	if rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "no such run") {
		t.Errorf("unknown run: %v", rs[0].Err)
	}
}

// TestRollbackLastOfARepair: --last picks the host's last run; its preview
// has each file's diff, secrets masked, and warns that the drift a repair
// fixed comes back.
func TestRollbackLastOfARepair(t *testing.T) {
	th := newTestHost(t)
	const secret = "s3cr3t-Pa55w0rd-xyz"
	step := &testStep{name: "config", rs: func(h *installer.Host) []installer.Resource {
		h.Secret(secret)
		return []installer.Resource{
			&resource.File{Path: th.path("app.conf"), Content: []byte("a = 1\nb = 2\n"), Mode: 0o644},
			&resource.File{Path: th.path("secret.conf"), Content: []byte("password = " + secret + "\n"), Mode: 0o600, Secret: true},
		}
	}}
	run := func(command string) string {
		e, _ := th.eng(step)
		e.RunID, e.Command = installer.NewRunID(), command
		if sum := e.Apply(context.Background(), th.plan(e)); sum.Failed != 0 {
			t.Fatalf("%s failed", command)
		}
		return e.RunID
	}
	run("install")
	// Drift, and the repair that fixes it.
	os.WriteFile(th.path("app.conf"), []byte("a = 1\nb = 3 # by hand\n"), 0o644)
	os.WriteFile(th.path("secret.conf"), []byte("password = "+secret+"\n# by hand\n"), 0o600)
	repair := run("repair")

	e, rec := th.eng(step)
	p := e.Declare(context.Background(), []installer.Target{{Name: "local", Dial: dialLocal}})
	defer p.Close()
	rs := e.PlanRollback(context.Background(), p, "")
	if rs[0].Err != nil || rs[0].RunID != repair || rs[0].Command != "repair" {
		t.Fatalf("--last: run %q (%s), %v; want the repair %s", rs[0].RunID, rs[0].Command, rs[0].Err, repair)
	}
	e.ReportRollback(rs)
	diffs := map[string]string{}
	for _, ev := range rec.of(installer.EventResourcePending) {
		diffs[ev.Resource] = ev.Diff
	}
	if d := diffs["file "+th.path("app.conf")]; !strings.Contains(d, "-b = 2") || !strings.Contains(d, "+b = 3 # by hand") {
		t.Errorf("app.conf's diff:\n%s", d)
	}
	if d := diffs["file "+th.path("secret.conf")]; !strings.Contains(d, "+# by hand") || strings.Contains(d, secret) {
		t.Errorf("secret.conf's diff (the secret must be masked):\n%s", d)
	}
	warned := false
	for _, ev := range rec.of(installer.EventWarning) {
		warned = warned || strings.Contains(ev.Message, "was a repair") && strings.Contains(ev.Message, "drift")
	}
	if !warned {
		t.Errorf("no warning that the repair's drift comes back: %v", rec.of(installer.EventWarning))
	}

	// A host whose journal remembers no run: --last is an error.
	empty := newTestHost(t)
	e, _ = empty.eng(step)
	p2 := e.Declare(context.Background(), []installer.Target{{Name: "local", Dial: dialLocal}})
	defer p2.Close()
	if rs := e.PlanRollback(context.Background(), p2, ""); rs[0].Err == nil || !errors.Is(rs[0].Err, installer.ErrNoSuchRun) {
		t.Errorf("--last without runs: %v", rs[0].Err)
	}
}
