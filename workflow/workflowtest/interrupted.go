// Package workflowtest builds hosts on this machine for the tests of the
// workflow and its front ends, as net/http/httptest builds servers.
package workflowtest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

// Interrupted is a host (a directory on this machine, reached as the user
// the tests run as) where a run was stopped after its last change: its
// journal says it was stopped and, when the change notifies a restart, that the
// restart is owed. The next run has no resource to change, and the run's
// outcome to record (and the restart to pay).
type Interrupted struct {
	t    testing.TB
	dir  string
	owes bool
}

// NewInterrupted runs the first run, which is stopped right after its
// last change, before its handlers; with owes, the change notifies a
// restart.
func NewInterrupted(t testing.TB, owes bool) *Interrupted {
	t.Helper()
	h := &Interrupted{t: t, dir: t.TempDir(), owes: owes}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := h.Run(nil)
	run.Engine.Steps[0].(*step).stop = cancel
	p := run.Engine.Plan(ctx, run.Targets)
	defer p.Close()
	if err := p.Err(); err != nil {
		t.Fatalf("first run: plan: %v", err)
	}
	run.Engine.Apply(ctx, p)
	if j := h.Journal(); j.Status != "stopped" || len(j.Owed) != len(h.owed()) || h.Restarts() != "" {
		t.Fatalf("the first run was not interrupted before its restart: owed %v, restarts %q", j.Owed, h.Restarts())
	}
	return h
}

// Run is a run on the host, its events going to sink.
func (h *Interrupted) Run(sink installer.Sink) *workflow.Run {
	owner, group := sshtest.Self(h.t)
	s := &step{name: "app", rs: []installer.Resource{
		&resource.File{Path: h.path("app.conf"), Content: []byte("a = 1\n"), Mode: 0o644, Owner: owner, Group: group,
			Notify: installer.Notify{Handlers: h.owed()}},
	}}
	s.rs = append(s.rs, &stopper{marker: h.path("stopped"), step: s})
	return &workflow.Run{
		// The stop is noticed before the next step of the handlers' group:
		// the run ends owing the restart.
		Engine: &installer.Engine{Steps: []installer.Step{s, &step{name: "after"}}, Sink: sink,
			Journal: h.path("state/journal.json"), Backups: h.path("backups")},
		Targets: []installer.Target{{Name: "local", Address: "localhost", User: owner,
			Dial: func(context.Context) (transport.Transport, error) { return transport.NewLocalUser(), nil }}},
	}
}

// owed are the handlers the change notifies.
func (h *Interrupted) owed() []installer.Handler {
	if !h.owes {
		return nil
	}
	return []installer.Handler{{Name: "restart app", Cmds: [][]string{{"sh", "-c", `echo restarted >> "$1"`, "sh", h.path("restarts.log")}}}}
}

// Restarts is what the restart handler logged, a line a restart.
func (h *Interrupted) Restarts() string {
	b, _ := os.ReadFile(h.path("restarts.log"))
	return string(b)
}

// Journal is the host's journal.
func (h *Interrupted) Journal() installer.Journal {
	h.t.Helper()
	var j installer.Journal
	b, err := os.ReadFile(h.path("state/journal.json"))
	if err != nil {
		h.t.Fatalf("journal: %v", err)
	}
	if err := json.Unmarshal(b, &j); err != nil {
		h.t.Fatalf("journal: %v", err)
	}
	return j
}

func (h *Interrupted) path(p string) string { return filepath.Join(h.dir, p) }

// step declares resources, all steps in one handler group; stop, when
// set, stops the run after the last of them.
type step struct {
	name string
	rs   []installer.Resource
	stop func()
}

func (s *step) Name() string  { return s.name }
func (s *step) Group() string { return "app" }
func (s *step) Declare(*installer.Host) ([]installer.Resource, error) {
	return s.rs, nil
}

// stopper is a change made once (a marker file) that stops the run, as an
// operator's Ctrl+C would, when its step says so.
type stopper struct {
	marker string
	step   *step
}

func (s *stopper) Key() string { return "marker " + s.marker }
func (s *stopper) Probe() string {
	return transport.Join([]string{"test", "-e", s.marker}) + " && echo present"
}

func (s *stopper) Diff(p installer.Probed) (*installer.Change, error) {
	if strings.TrimSpace(p.Out) == "present" {
		return nil, nil
	}
	return &installer.Change{Action: installer.ActionCreate, Apply: func(ctx context.Context, h *installer.Host) error {
		_, err := h.Run(ctx, "touch", s.marker)
		if s.step.stop != nil {
			s.step.stop()
		}
		return err
	}}, nil
}
