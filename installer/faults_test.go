package installer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// resetAfterWrite is a connection that breaks right after a file write
// reached the host, before the installer heard back.
type resetAfterWrite struct {
	*transport.Local
	path string
}

func (r resetAfterWrite) WriteFile(ctx context.Context, f transport.File) error {
	if err := r.Local.WriteFile(ctx, f); err != nil {
		return err
	}
	if f.Path == r.path {
		return errors.New("connection reset by peer")
	}
	return nil
}

// sudoWrong is a host whose sudo takes not the password given.
type sudoWrong struct{ *transport.Local }

func (sudoWrong) Run(context.Context, transport.Cmd) (transport.Result, error) {
	return transport.Result{}, fmt.Errorf("run sh: %w for ops", transport.ErrSudoPassword)
}

// A host whose sudo refuses the password fails once, says where, and gets
// the hint of that cause.
func TestSudoRefusedSaidOnce(t *testing.T) {
	th := newTestHost(t)
	step := &testStep{name: "config", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{&resource.File{Path: th.path("a.conf"), Content: []byte("a\n"), Mode: 0o644}}
	}}
	e, rec := th.eng(step)
	p := e.Plan(context.Background(), []installer.Target{{Name: "local", Dial: func(context.Context) (transport.Transport, error) {
		return sudoWrong{transport.NewLocalUser()}, nil
	}}})
	p.Close()
	f := rec.of(installer.EventResourceFailed)
	if len(f) != 1 || f[0].Error != "gather facts: run sh: sudo refused: wrong sudo password for ops" ||
		!strings.Contains(f[0].Hint, "hosts[].sudo_password in the answers file is not that user's password") {
		t.Errorf("the refusal is reported as %+v", f)
	}
}

// The restart a change owes is in the journal before the change is made: a
// run that dies during a config write still pays it on the next run.
func TestRestartOwedBeforeTheChange(t *testing.T) {
	th := newTestHost(t)
	conf := th.path("app.conf")
	restart := installer.Handler{Name: "restart app", Cmds: [][]string{{"sh", "-c", "echo restarted >> " + th.path("handler.log")}}}
	step := &testStep{name: "config", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{&resource.File{Path: conf, Content: []byte("v2\n"), Mode: 0o644, Notify: installer.Notify{Handlers: []installer.Handler{restart}}}}
	}}
	e, _ := th.eng(step)
	p := e.Plan(context.Background(), []installer.Target{{Name: "local", Dial: func(context.Context) (transport.Transport, error) {
		return resetAfterWrite{transport.NewLocalUser(), conf}, nil
	}}})
	e.Apply(context.Background(), p)
	p.Close()
	if p.Err() == nil || th.read("app.conf") != "v2\n" {
		t.Fatalf("want the write in place and the run failed: %v", p.Err())
	}

	e, rec := th.eng(step)
	p = th.plan(e)
	if pend := rec.of(installer.EventResourcePending); len(pend) != 1 || pend[0].Resource != "handler restart app" {
		t.Fatalf("the next run does not owe the restart: %+v", pend)
	}
	e.Apply(context.Background(), p)
	if got := th.read("handler.log"); got != "restarted\n" {
		t.Errorf("handler log %q", got)
	}
}

// A run that died without writing its end (killed, cut off) is named in
// the next run's warning and listed as interrupted, not as running.
func TestDeadRunListedAsInterrupted(t *testing.T) {
	th := newTestHost(t)
	step := &testStep{name: "config", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{&resource.File{Path: th.path("a.conf"), Content: []byte("a\n"), Mode: 0o644}}
	}}
	os.MkdirAll(th.path("state"), 0o700)
	os.WriteFile(th.path("state/journal.json"), []byte(`{"version":1,"run_id":"dead","status":"running","started":"2026-12-01T00:00:00Z"}`), 0o600)
	e, rec := th.eng(step)
	p := th.plan(e)
	if w := rec.of(installer.EventWarning); len(w) != 1 || !strings.Contains(w[0].Message, "run dead") {
		t.Errorf("warnings %+v", w)
	}
	e.Apply(context.Background(), p)
	p.Close()
	e, _ = th.eng(step)
	p = th.plan(e)
	defer p.Close()
	runs := p.Hosts[0].Journal().Runs()
	if len(runs) != 2 || runs[0].Status != "finished" || runs[1].ID != "dead" || runs[1].Status != "interrupted" {
		t.Errorf("runs %+v, want this one finished and dead interrupted", runs)
	}
}

// A damaged journal is rebuilt once; as what it owed is unknown, every
// declared handler runs once, and the warning is not repeated.
func TestDamagedJournal(t *testing.T) {
	th := newTestHost(t)
	log := th.path("handler.log")
	h := func(n string) installer.Handler {
		return installer.Handler{Name: "restart " + n, Cmds: [][]string{{"sh", "-c", "echo " + n + " >> " + log}}}
	}
	os.WriteFile(th.path("a.conf"), []byte("a\n"), 0o644)
	os.WriteFile(th.path("b.conf"), []byte("b\n"), 0o644)
	step := &testStep{name: "config", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{
			&resource.File{Path: th.path("a.conf"), Content: []byte("a\n"), Mode: 0o644, Notify: installer.Notify{Handlers: []installer.Handler{h("a")}}},
			&resource.File{Path: th.path("b.conf"), Content: []byte("b\n"), Mode: 0o644, Notify: installer.Notify{Handlers: []installer.Handler{h("b"), h("a")}}},
		}
	}}
	os.MkdirAll(th.path("state"), 0o700)
	os.WriteFile(th.path("state/journal.json"), []byte(`{"version":1,"run_id":"x","owed_handl`), 0o600)

	for run, want := range []struct {
		warnings int
		log      string
	}{{1, "a\nb\n"}, {0, "a\nb\n"}} {
		e, rec := th.eng(step)
		e.Lock = true
		p := th.plan(e)
		if w := rec.of(installer.EventWarning); len(w) != want.warnings || want.warnings == 1 && !strings.Contains(w[0].Message, "damaged") {
			t.Errorf("run %d: warnings %+v", run+1, w)
		}
		e.Apply(context.Background(), p)
		p.Close()
		if got, _ := os.ReadFile(log); string(got) != want.log {
			t.Errorf("run %d: handlers ran %q, want %q", run+1, got, want.log)
		}
	}
}

// A directory where a file belongs moves into the run's backups; a file
// that fails validation comes back with its mode although backups are 0600.
func TestFileDrift(t *testing.T) {
	th := newTestHost(t)
	os.MkdirAll(th.path("site.conf/junk"), 0o755)
	os.WriteFile(th.path("good.conf"), []byte("good\n"), 0o644)
	e, _ := th.eng(&testStep{name: "files", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{
			&resource.File{Path: th.path("site.conf"), Content: []byte("site\n"), Mode: 0o640},
			&resource.File{Path: th.path("good.conf"), Content: []byte("bad\n"), Mode: 0o600, Validate: []string{"grep", "-q", "good", th.path("good.conf")}},
		}
	}})
	p := th.plan(e)
	e.Apply(context.Background(), p)
	if got := th.read("site.conf"); got != "site\n" {
		t.Errorf("site.conf %q", got)
	}
	bdir := p.Hosts[0].Host.BackupDir()
	if st, err := os.Stat(bdir + th.path("site.conf/junk")); err != nil || !st.IsDir() {
		t.Errorf("the directory in the way is not in the backups: %v", err)
	}
	if p.Err() == nil || th.read("good.conf") != "good\n" {
		t.Fatalf("validation: %v", p.Err())
	}
	if st, _ := os.Stat(th.path("good.conf")); st.Mode().Perm() != 0o644 {
		t.Errorf("restored with mode %o, want 0644", st.Mode().Perm())
	}
	if st, _ := os.Stat(bdir + th.path("good.conf")); st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %o, want 0600", st.Mode().Perm())
	}
}
