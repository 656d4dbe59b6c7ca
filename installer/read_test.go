package installer_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// readStep produces a value from a fact of the host, as a role's Read step.
type readStep struct {
	fact    *installer.Fact[string]
	produce func(h *installer.Host, v string)
}

func (*readStep) Name() string                                          { return "read" }
func (*readStep) Declare(*installer.Host) ([]installer.Resource, error) { return nil, nil }
func (s *readStep) Queries(*installer.Host) []installer.Query {
	return []installer.Query{s.fact.Query()}
}
func (s *readStep) Produce(h *installer.Host) { s.produce(h, s.fact.Get(h)) }

// A ReadOnly core is read for its bridge's value: its Read step's query is
// answered, its own steps are neither planned nor applied, it takes no lock
// and gets no summary line; a core that cannot be reached blocks the bridge
// with the reason, a connection failure.
func TestReadOnlyTargetFeedsLaterRoles(t *testing.T) {
	th := newTestHost(t)
	dir := th.mkdir(t, "read")
	if err := os.WriteFile(dir+"/secret", []byte("from-the-core\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out installer.Output[coreValue]
	core := &testStep{name: "core", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{&resource.File{Path: dir + "/core.conf", Content: []byte("core\n"), Mode: 0o644}}
	}}
	read := &readStep{fact: &installer.Fact[string]{Name: "test.secret", Args: []string{"cat", dir + "/secret"},
		Parse: func(out string, _ int) string { return out }},
		produce: func(h *installer.Host, v string) { out.Set(h, coreValue{Secret: v}) }}
	bridge := &testStep{name: "bridge", rs: func(h *installer.Host) []installer.Resource {
		v, from, ok := out.Get()
		if !ok {
			return []installer.Resource{failing()}
		}
		return []installer.Resource{&resource.File{Path: dir + "/" + h.Name + ".conf", Content: []byte(v.Secret + " from " + from + "\n"), Mode: 0o644}}
	}}
	e, rec := th.eng()
	e.Lock = true
	e.Roles = []installer.Role{{Name: "core", Steps: []installer.Step{core}, Read: []installer.Step{read}}, {Name: "bridge", Steps: []installer.Step{bridge}}}
	p := e.Plan(context.Background(), []installer.Target{{Name: "core", Role: "core", Dial: dialLocal, ReadOnly: true}, {Name: "b1", Role: "bridge", Dial: dialLocal}})
	if err := p.Err(); err != nil {
		t.Fatalf("plan: %v", err)
	}
	if len(p.Hosts) != 1 || p.Hosts[0].Host.Name != "b1" {
		t.Fatalf("the plan's hosts: %d, want b1 alone", len(p.Hosts))
	}
	e.Apply(context.Background(), p)
	p.Close()
	if b, err := os.ReadFile(dir + "/b1.conf"); err != nil || string(b) != "from-the-core from core\n" {
		t.Errorf("b1.conf: %q, %v", b, err)
	}
	if _, err := os.Stat(dir + "/core.conf"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the read-only core was changed: %v", err)
	}
	for _, ev := range rec.events {
		if ev.Host == "core" && ev.Type != installer.EventHostConnected {
			t.Errorf("an event of the read-only core: %s %s", ev.Type, ev.Message)
		}
	}

	// Unreachable: the bridge is blocked, and says why.
	out = installer.Output[coreValue]{}
	e, rec = th.eng()
	e.Roles = []installer.Role{{Name: "core", Steps: []installer.Step{core}, Read: []installer.Step{read}}, {Name: "bridge", Steps: []installer.Step{bridge}}}
	p = e.Plan(context.Background(), []installer.Target{{Name: "core", Role: "core", Dial: dialFailing(errors.New("refused")), ReadOnly: true}, {Name: "b1", Role: "bridge", Dial: dialLocal}})
	defer p.Close()
	var be *installer.BlockedError
	if len(p.Hosts) != 1 || !errors.As(p.Hosts[0].Err, &be) || be.By != "core" || !transport.IsConnectFailure(p.Err()) {
		t.Fatalf("b1: %v, want blocked by the core, a connection failure", p.Err())
	}
	failed := rec.of(installer.EventResourceFailed)
	if len(failed) != 2 || failed[0].Host != "core" || failed[0].Hint == "" ||
		failed[1].Error != "not run: its values from core (core) could not be read" || failed[1].Hint != "" {
		t.Errorf("failure events: %+v", failed)
	}
}
