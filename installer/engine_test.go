package installer_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// testStep declares fixed resources, optionally in a handler group.
type testStep struct {
	name, group string
	rs          func(h *installer.Host) []installer.Resource
}

func (s *testStep) Name() string  { return s.name }
func (s *testStep) Group() string { return s.group }
func (s *testStep) Declare(h *installer.Host) ([]installer.Resource, error) {
	rs := s.rs(h)
	for _, r := range rs {
		ownedBySelf(r)
	}
	return rs, nil
}

// self is the user and group the tests run as: the files and directories
// they declare without an owner are theirs, so the engine converges them
// without root.
var self = func() [2]string {
	u, err := user.Current()
	if err != nil {
		return [2]string{"root", "root"}
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return [2]string{u.Username, "root"}
	}
	return [2]string{u.Username, g.Name}
}()

// ownedBySelf declares r owned by the test's user where it names no owner.
func ownedBySelf(r installer.Resource) {
	switch r := r.(type) {
	case *resource.File:
		r.Owner, r.Group = cmp.Or(r.Owner, self[0]), cmp.Or(r.Group, self[1])
	case *resource.Dir:
		r.Owner, r.Group = cmp.Or(r.Owner, self[0]), cmp.Or(r.Group, self[1])
	}
}

// recorder collects events.
type recorder struct{ events []installer.Event }

func (r *recorder) Event(e installer.Event) { r.events = append(r.events, e) }

func (r *recorder) of(t installer.EventType) []installer.Event {
	var out []installer.Event
	for _, e := range r.events {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

// testHost is a directory on this machine, reached through the local
// transport: a real shell, real files, real stat and sha256sum.
type testHost struct {
	t    *testing.T
	dir  string
	eng  func(steps ...installer.Step) (*installer.Engine, *recorder)
	plan func(e *installer.Engine) *installer.Plan
}

func newTestHost(t *testing.T) *testHost {
	dir := t.TempDir()
	th := &testHost{t: t, dir: dir}
	th.eng = func(steps ...installer.Step) (*installer.Engine, *recorder) {
		rec := &recorder{}
		return &installer.Engine{Steps: steps, Sink: rec, Journal: filepath.Join(dir, "state/journal.json"), Backups: filepath.Join(dir, "backups")}, rec
	}
	th.plan = func(e *installer.Engine) *installer.Plan {
		p := e.Plan(context.Background(), localTarget())
		t.Cleanup(p.Close)
		if err := p.Err(); err != nil {
			t.Fatalf("plan: %v", err)
		}
		return p
	}
	return th
}

func (th *testHost) path(p string) string { return filepath.Join(th.dir, p) }

// mkdir makes the directory p below the test host's and returns its path.
func (th *testHost) mkdir(t *testing.T, p string) string {
	t.Helper()
	dir := th.path(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (th *testHost) read(p string) string {
	b, err := os.ReadFile(th.path(p))
	if err != nil {
		th.t.Fatalf("read %s: %v", p, err)
	}
	return string(b)
}

func TestPlanApplyConverge(t *testing.T) {
	th := newTestHost(t)
	restart := installer.Handler{Name: "restart app", Cmds: [][]string{{"sh", "-c", "echo restarted >> " + th.path("handler.log")}}}
	step := func() installer.Step {
		return &testStep{name: "config", group: "g", rs: func(*installer.Host) []installer.Resource {
			return []installer.Resource{
				&resource.Dir{Path: th.path("etc"), Mode: 0o750},
				&resource.File{Path: th.path("etc/app.conf"), Content: []byte("a = 1\nb = 2\n"), Mode: 0o640, Notify: installer.Notify{Handlers: []installer.Handler{restart}}},
				&resource.File{Path: th.path("etc/other.conf"), Content: []byte("x\n"), Mode: 0o600, Notify: installer.Notify{Handlers: []installer.Handler{restart}}},
				&resource.Symlink{Path: th.path("etc/current"), Target: th.path("etc/app.conf")},
				&resource.Command{Name: "init", Args: []string{"touch", th.path("initialised")}, Creates: th.path("initialised")},
			}
		}}
	}

	// Plan shows everything as pending and changes nothing.
	e, rec := th.eng(step())
	p := th.plan(e)
	if got := len(rec.of(installer.EventResourcePending)); got != 5 {
		t.Fatalf("plan: %d pending resources, want 5", got)
	}
	e.FinishPlan(p)
	if _, err := os.Stat(th.path("etc")); !os.IsNotExist(err) {
		t.Fatalf("plan changed the host: %v", err)
	}
	// The plan names the restart the two files notify, once.
	if hs := rec.of(installer.EventHandlerPending); len(hs) != 1 || hs[0].Resource != "handler restart app" || hs[0].Message != "after 2 change(s)" {
		t.Errorf("plan: restarts %+v, want restart app after 2 changes", hs)
	}
	pending := rec.of(installer.EventResourcePending)[1]
	if !strings.Contains(pending.Diff, "+a = 1") || !strings.HasPrefix(pending.Diff, "--- /dev/null") {
		t.Errorf("plan diff of a new file:\n%s", pending.Diff)
	}

	// Apply converges, the handler runs once for two notifying files.
	e, _ = th.eng(step())
	sum := e.Apply(context.Background(), th.plan(e))
	if sum.Changed != 5 || sum.Failed != 0 || sum.Handlers != 1 {
		t.Fatalf("apply summary %+v, want 5 changed, 1 handler", sum)
	}
	if got := th.read("handler.log"); got != "restarted\n" {
		t.Errorf("handler log %q, want one restart", got)
	}
	if got := th.read("etc/app.conf"); got != "a = 1\nb = 2\n" {
		t.Errorf("content %q", got)
	}
	st, _ := os.Stat(th.path("etc/other.conf"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %o, want 600", st.Mode().Perm())
	}
	if l, _ := os.Readlink(th.path("etc/current")); l != th.path("etc/app.conf") {
		t.Errorf("symlink -> %q", l)
	}

	// A converged host: nothing pending, nothing applied, no handler, and
	// at most 3 round trips for the whole plan.
	e, rec = th.eng(step())
	p = th.plan(e)
	if p.HasChanges() {
		t.Fatalf("second plan has changes: %+v", rec.of(installer.EventResourcePending))
	}
	if hs := rec.of(installer.EventHandlerPending); len(hs) != 0 {
		t.Errorf("converged plan names restarts: %+v", hs)
	}
	sum = e.Apply(context.Background(), p)
	if sum.Changed != 0 || sum.Handlers != 0 || sum.Unchanged != 5 {
		t.Errorf("converged apply %+v", sum)
	}
	if sum.RoundTrips > 3 {
		t.Errorf("converged run took %d round trips, want <= 3", sum.RoundTrips)
	}
	fin := rec.of(installer.EventHostFinished)
	if len(fin) != 1 || fin[0].Message != "No changes: local is converged." {
		t.Errorf("finish event %+v", fin)
	}
	if got := th.read("handler.log"); got != "restarted\n" {
		t.Errorf("handler ran on a converged host: %q", got)
	}

	// Drift: content and mode. The plan names both; apply keeps a backup.
	os.WriteFile(th.path("etc/app.conf"), []byte("a = 1\nb = 3\n"), 0o644)
	os.Chmod(th.path("etc/app.conf"), 0o644)
	e, rec = th.eng(step())
	p = th.plan(e)
	pend := rec.of(installer.EventResourcePending)
	if len(pend) != 1 || pend[0].Resource != "file "+th.path("etc/app.conf") {
		t.Fatalf("drift plan %+v", pend)
	}
	if !strings.Contains(pend[0].Message, "content") || !strings.Contains(pend[0].Message, "mode 0644 -> 0640") {
		t.Errorf("drift summary %q", pend[0].Message)
	}
	if !strings.Contains(pend[0].Diff, "-b = 3") || !strings.Contains(pend[0].Diff, "+b = 2") {
		t.Errorf("drift diff:\n%s", pend[0].Diff)
	}
	e.Apply(context.Background(), p)
	backup := filepath.Join(th.dir, "backups", e.RunID, th.path("etc/app.conf"))
	if b, err := os.ReadFile(backup); err != nil || string(b) != "a = 1\nb = 3\n" {
		t.Errorf("backup %s: %q %v", backup, b, err)
	}
	if got := th.read("handler.log"); got != "restarted\nrestarted\n" {
		t.Errorf("handler log after drift repair %q", got)
	}
}

func TestJournalOwedHandlerSurvivesFailure(t *testing.T) {
	th := newTestHost(t)
	restart := installer.Handler{Name: "restart app", Cmds: [][]string{{"sh", "-c", "echo restarted >> " + th.path("handler.log")}}}
	failing := true
	steps := func() []installer.Step {
		return []installer.Step{
			&testStep{name: "config", group: "g", rs: func(*installer.Host) []installer.Resource {
				return []installer.Resource{&resource.File{Path: th.path("app.conf"), Content: []byte("v2\n"), Mode: 0o644, Notify: installer.Notify{Handlers: []installer.Handler{restart}}}}
			}},
			&testStep{name: "broken", group: "g", rs: func(*installer.Host) []installer.Resource {
				if !failing {
					return nil
				}
				return []installer.Resource{&resource.Command{Name: "fails", Args: []string{"sh", "-c", "echo cannot validate >&2; exit 7"}, Creates: th.path("never")}}
			}},
		}
	}
	e, rec := th.eng(steps()...)
	p := th.plan(e)
	sum := e.Apply(context.Background(), p)
	if sum.Failed != 1 || p.Err() == nil {
		t.Fatalf("want a failed run, got %+v err %v", sum, p.Err())
	}
	var se *installer.StepError
	if !errors.As(p.Err(), &se) || se.Step != "broken" || !strings.Contains(se.Error(), "cannot validate") {
		t.Errorf("error %v", p.Err())
	}
	if len(rec.of(installer.EventHandlerRun)) != 0 {
		t.Fatal("handler ran although its group failed")
	}
	var j installer.Journal
	data := th.read("state/journal.json")
	if err := json.Unmarshal([]byte(data), &j); err != nil {
		t.Fatal(err)
	}
	if j.Status != "failed" || len(j.Owed) != 1 || j.Owed[0].Name != "restart app" {
		t.Fatalf("journal after failure: %+v", j)
	}
	if st, _ := os.Stat(th.path("state/journal.json")); st.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %o", st.Mode().Perm())
	}

	// The next run, with the failure fixed, owes the restart although the
	// file is already in place.
	failing = false
	e, rec = th.eng(steps()...)
	p = th.plan(e)
	pend := rec.of(installer.EventResourcePending)
	if len(pend) != 1 || pend[0].Resource != "handler restart app" {
		t.Fatalf("plan after failure %+v", pend)
	}
	e.Apply(context.Background(), p)
	if got := th.read("handler.log"); got != "restarted\n" {
		t.Errorf("owed handler not run once: %q", got)
	}
	json.Unmarshal([]byte(th.read("state/journal.json")), &j)
	if j.Status != "finished" || len(j.Owed) != 0 || len(j.Previous) != 1 || j.Previous[0].Status != "failed" {
		t.Errorf("journal after recovery: %+v", j)
	}
}

func TestValidateRestoresPreviousFile(t *testing.T) {
	th := newTestHost(t)
	os.WriteFile(th.path("site.conf"), []byte("good\n"), 0o644)
	e, _ := th.eng(&testStep{name: "site", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{&resource.File{Path: th.path("site.conf"), Content: []byte("bad\n"), Mode: 0o644,
			Validate: []string{"grep", "-q", "good", th.path("site.conf")}}}
	}})
	p := th.plan(e)
	e.Apply(context.Background(), p)
	if p.Err() == nil || !strings.Contains(p.Err().Error(), "previous version restored") {
		t.Fatalf("error %v", p.Err())
	}
	if got := th.read("site.conf"); got != "good\n" {
		t.Errorf("site.conf %q: the failing version was left in place", got)
	}
}

func TestSecretsNeverInEvents(t *testing.T) {
	th := newTestHost(t)
	const secret = "s3cr3t-Pa55word"
	os.WriteFile(th.path("a.conf"), []byte("password = old-password-x\n"), 0o644)
	e, rec := th.eng(&testStep{name: "secret", rs: func(h *installer.Host) []installer.Resource {
		h.Secret(secret)
		h.Secret("old-password-x")
		return []installer.Resource{
			&resource.File{Path: th.path("a.conf"), Content: []byte("password = " + secret + "\n"), Mode: 0o644},
			&resource.File{Path: th.path("b.conf"), Content: []byte(secret), Mode: 0o600, Secret: true},
			&resource.Command{Name: "fail with " + secret, Args: []string{"sh", "-c", "echo " + secret + " >&2; exit 1"}, Creates: th.path("x")},
		}
	}})
	e.Redactor = installer.NewRedactor()
	p := th.plan(e)
	e.Apply(context.Background(), p)
	all, _ := json.Marshal(rec.events)
	if strings.Contains(string(all), secret) || strings.Contains(string(all), "old-password-x") {
		t.Fatalf("a secret leaked into events: %s", all)
	}
	if !strings.Contains(string(all), "redacted") {
		t.Errorf("expected redacted markers in %s", all)
	}
}

// A run stopped mid-way finishes the resource in progress (or, with
// StopNow, stops its command), applies nothing after it, and leaves the
// restart it owes in the journal; the next run performs it.
func TestCancelledRunLeavesOwedHandler(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stopNow bool
	}{{"stop after the resource", false}, {"stop now", true}} {
		t.Run(tc.name, func(t *testing.T) {
			th := newTestHost(t)
			restart := installer.Handler{Name: "restart app", Cmds: [][]string{{"sh", "-c", "echo restarted >> " + th.path("handler.log")}}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			step := func(cancelAfter bool) installer.Step {
				return &testStep{name: "config", group: "g", rs: func(*installer.Host) []installer.Resource {
					return []installer.Resource{
						&resource.File{Path: th.path("a.conf"), Content: []byte("a\n"), Mode: 0o644, Notify: installer.Notify{Handlers: []installer.Handler{restart}}},
						&cancelling{Command: resource.Command{Name: "slow", Args: []string{"sh", "-c", "sleep 1; touch " + th.path("b")}, Creates: th.path("b")}, cancel: cancel, on: cancelAfter},
						&resource.File{Path: th.path("c.conf"), Content: []byte("c\n"), Mode: 0o644},
					}
				}}
			}
			e, rec := th.eng(step(true))
			if tc.stopNow {
				// The second Ctrl+C came with the first.
				e.StopNow = ctx
			}
			p := th.plan(e)
			e.Apply(ctx, p)
			if p.Err() == nil || !errors.Is(p.Err(), context.Canceled) {
				t.Fatalf("want a stopped run, got %v", p.Err())
			}
			if tc.stopNow {
				// The command stopped says so in words, not as a Go error.
				f := rec.of(installer.EventResourceFailed)
				if len(f) != 1 || f[0].Resource != "command slow" || f[0].Error != "stopped by the operator while it ran" || !strings.Contains(f[0].Hint, "run again to continue") {
					t.Errorf("the stopped command is reported as %+v", f)
				}
			}
			_, err := os.Stat(th.path("b"))
			if finished := err == nil; finished == tc.stopNow {
				t.Errorf("the command in progress finished: %v, want %v", finished, !tc.stopNow)
			}
			if _, err := os.Stat(th.path("c.conf")); !os.IsNotExist(err) {
				t.Error("a resource after the cancel was applied")
			}
			var j installer.Journal
			json.Unmarshal([]byte(th.read("state/journal.json")), &j)
			applied := 2
			if tc.stopNow {
				applied = 1
			}
			if len(j.Owed) != 1 || len(j.Applied) != applied || j.Status != "stopped" {
				t.Fatalf("journal after cancel: owed %v, applied %d, status %s", j.Owed, len(j.Applied), j.Status)
			}

			e, _ = th.eng(step(false))
			e.Apply(context.Background(), th.plan(e))
			if got := th.read("handler.log"); got != "restarted\n" {
				t.Errorf("owed restart after a cancelled run: %q", got)
			}
		})
	}
}

// cancelling is a command that cancels the run while it is applied.
type cancelling struct {
	resource.Command
	cancel func()
	on     bool
}

func (c *cancelling) Diff(p installer.Probed) (*installer.Change, error) {
	ch, err := c.Command.Diff(p)
	if ch != nil && c.on {
		inner := ch.Apply
		ch.Apply = func(ctx context.Context, h *installer.Host) error {
			c.cancel()
			return inner(ctx, h)
		}
	}
	return ch, err
}

// Hosts run in parallel, and every event names its host.
func TestSeveralHosts(t *testing.T) {
	th := newTestHost(t)
	e, rec := th.eng(&testStep{name: "per host", rs: func(h *installer.Host) []installer.Resource {
		return []installer.Resource{&resource.File{Path: th.path(h.Name + ".conf"), Content: []byte(h.Name + "\n"), Mode: 0o644}}
	}})
	dial := dialLocal
	p := e.Plan(context.Background(), []installer.Target{{Name: "a", Dial: dial}, {Name: "b", Dial: dial}})
	defer p.Close()
	sum := e.Apply(context.Background(), p)
	if sum.Hosts != 2 || sum.Changed != 2 {
		t.Fatalf("summary %+v", sum)
	}
	for _, h := range []string{"a", "b"} {
		if got := th.read(h + ".conf"); got != h+"\n" {
			t.Errorf("%s.conf = %q", h, got)
		}
	}
	for _, ev := range rec.events {
		if ev.Host == "" && ev.Type != installer.EventRunStarted && ev.Type != installer.EventRunFinished {
			t.Errorf("event without its host: %+v", ev)
		}
	}
}

// A debt left by a run that died before its change is paid after the step
// that makes the change, not before: the restart needs what the step writes.
func TestOwedHandlerWaitsForItsStep(t *testing.T) {
	th := newTestHost(t)
	unit := th.path("app.service")
	restart := installer.Handler{Name: "restart app", Cmds: [][]string{{"sh", "-c", "test -e " + unit + " && echo restarted >> " + th.path("handler.log")}}}
	if err := os.MkdirAll(th.path("state"), 0o700); err != nil {
		t.Fatal(err)
	}
	// The journal of a run killed after recording the debt, before writing.
	dead := installer.Journal{Version: 1, RunID: "dead", Status: "running", Owed: []installer.Handler{restart}}
	b, _ := json.Marshal(dead)
	if err := os.WriteFile(th.path("state/journal.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	e, rec := th.eng(
		&testStep{name: "first", rs: func(*installer.Host) []installer.Resource {
			return []installer.Resource{&resource.File{Path: th.path("other.conf"), Content: []byte("x\n"), Mode: 0o644}}
		}},
		&testStep{name: "unit", group: "g", rs: func(*installer.Host) []installer.Resource {
			return []installer.Resource{&resource.File{Path: unit, Content: []byte("[Unit]\n"), Mode: 0o644, Notify: installer.Notify{Handlers: []installer.Handler{restart}}}}
		}},
	)
	e.Apply(context.Background(), th.plan(e))
	if n := len(rec.of(installer.EventHandlerFailed)); n != 0 {
		t.Fatalf("the owed restart ran before its unit was written (%d failed)", n)
	}
	if got := th.read("handler.log"); got != "restarted\n" {
		t.Errorf("owed handler: %q", got)
	}
}

// BenchmarkPlanConverged plans a converged host of 100 and of 1,000 files
// through the local transport: the cost of a re-run that changes nothing,
// which should grow no faster than the number of resources.
func BenchmarkPlanConverged(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) { benchPlan(b, n) })
	}
}

func benchPlan(b *testing.B, n int) {
	dir := b.TempDir()
	var rs []installer.Resource
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("f%04d.conf", i))
		content := []byte(strings.Repeat("line\n", 200))
		os.WriteFile(p, content, 0o644)
		rs = append(rs, &resource.File{Path: p, Content: content, Mode: 0o644})
	}
	step := &testStep{name: "files", rs: func(*installer.Host) []installer.Resource { return rs }}
	target := installer.Target{Name: "local", Dial: dialLocal}
	b.ReportAllocs()
	for b.Loop() {
		e := &installer.Engine{Steps: []installer.Step{step}, Journal: filepath.Join(dir, "journal.json")}
		p := e.Plan(context.Background(), []installer.Target{target})
		if p.HasChanges() || p.Err() != nil {
			b.Fatal("not converged", p.Err())
		}
		p.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/resource")
}
