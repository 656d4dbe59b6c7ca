package installer_test

import (
	"context"
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
