package installer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// coreValue is what the test's core produces for its bridges.
type coreValue struct{ Secret string }

// roleCase is a run of a core and two bridges, b1 and b2.
type roleCase struct {
	name      string
	failCore  bool
	failHost  string // a bridge whose step fails
	wantFiles []string
	wantErr   map[string]string // host -> part of its error
}

// failing is a command that fails when applied.
func failing() *resource.Command {
	return &resource.Command{Name: "fail", Args: []string{"false"}, Unless: []string{"false"}}
}

// A value the core produces reaches its bridges' steps; the core applies
// before any bridge; the bridges run in parallel; a failed bridge does not
// stop the other; a failed core stops every bridge.
func TestRolesOrderAndOutputs(t *testing.T) {
	th := newTestHost(t)
	for _, tc := range []roleCase{
		{name: "all", wantFiles: []string{"core.conf", "b1.conf", "b2.conf"}},
		{name: "bridge fails", failHost: "b1", wantFiles: []string{"core.conf", "b2.conf"}, wantErr: map[string]string{"b1": "exit"}},
		{name: "core fails", failCore: true, wantErr: map[string]string{"core": "exit", "b1": "core (core) failed first", "b2": "core (core) failed first"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := th.mkdir(t, tc.name)
			var out installer.Output[coreValue]
			core := &producingStep{produce: func(h *installer.Host) { out.Set(h, coreValue{Secret: "s3cret-" + tc.name}) }}
			core.testStep = testStep{name: "core", rs: func(h *installer.Host) []installer.Resource {
				rs := []installer.Resource{&resource.File{Path: dir + "/core.conf", Content: []byte("core\n"), Mode: 0o644}}
				if tc.failCore {
					rs = append(rs, failing())
				}
				return rs
			}}
			bridge := &testStep{name: "bridge", rs: func(h *installer.Host) []installer.Resource {
				v, from, ok := out.Get()
				if !ok {
					return []installer.Resource{&resource.Command{Name: "no core value", Args: []string{"false"}, Unless: []string{"false"}}}
				}
				// The core's file exists before any bridge applies.
				rs := []installer.Resource{&resource.Command{Name: "core first", Args: []string{"test", "-f", dir + "/core.conf"}, Unless: []string{"false"}}}
				if h.Name == tc.failHost {
					rs = append(rs, failing())
				}
				return append(rs, &resource.File{Path: dir + "/" + h.Name + ".conf", Content: []byte(v.Secret + " from " + from + "\n"), Mode: 0o644})
			}}
			e, rec := th.eng()
			e.Roles = []installer.Role{{Name: "core", Steps: []installer.Step{core}}, {Name: "bridge", Steps: []installer.Step{bridge}}}
			e.Redactor = installer.NewRedactor("s3cret-" + tc.name)
			// Bridges listed first: the order comes from the roles.
			p := planAndApply(t, e, "b1", "b2", "core")
			for _, f := range tc.wantFiles {
				b, err := os.ReadFile(dir + "/" + f)
				if err != nil {
					t.Errorf("%s: %v", f, err)
				} else if f != "core.conf" && string(b) != "s3cret-"+tc.name+" from core\n" {
					t.Errorf("%s = %q", f, b)
				}
			}
			checkHosts(t, p, rec, tc.wantErr)
			if tc.failCore {
				var be *installer.BlockedError
				if !errors.As(p.Hosts[0].Err, &be) {
					t.Errorf("b1: %v, want a BlockedError", p.Hosts[0].Err)
				}
			}
			// The core's summary line comes before any bridge starts.
			coreDone, bridgeStart := -1, -1
			for i, ev := range rec.events {
				if ev.Type == installer.EventHostFinished && ev.Host == "core" && coreDone < 0 {
					coreDone = i
				}
				if ev.Type == installer.EventStepStarted && ev.Host != "core" && bridgeStart < 0 {
					bridgeStart = i
				}
			}
			if !tc.failCore && (coreDone < 0 || bridgeStart < coreDone) {
				t.Errorf("core finished at event %d, a bridge started at %d", coreDone, bridgeStart)
			}
		})
	}
}

// Planning waits for the hosts of earlier roles; a host whose earlier role
// failed to plan is blocked, not declared.
func TestRolesPlanBlockedByCore(t *testing.T) {
	th := newTestHost(t)
	dial := dialLocal
	fail := dialFailing(errors.New("refused"))
	declared := false
	e, _ := th.eng()
	e.Roles = []installer.Role{{Name: "core", Steps: []installer.Step{&testStep{name: "c", rs: func(*installer.Host) []installer.Resource { return nil }}}},
		{Name: "bridge", Steps: []installer.Step{&testStep{name: "b", rs: func(*installer.Host) []installer.Resource { declared = true; return nil }}}}}
	p := e.Plan(context.Background(), []installer.Target{{Name: "core", Role: "core", Dial: fail}, {Name: "b1", Role: "bridge", Dial: dial}})
	defer p.Close()
	var be *installer.BlockedError
	if !errors.As(p.Hosts[1].Err, &be) || be.By != "core" {
		t.Fatalf("bridge: %v, want blocked by core", p.Hosts[1].Err)
	}
	if declared {
		t.Error("the bridge declared without its core")
	}
}

// A later role's steps ahead apply while the earlier role applies (the
// core here waits for them: without the overlap it fails), the rest after
// it; a failure ahead fails only that host; a failed core leaves its
// bridges' steps ahead applied and the rest blocked.
func TestRolesAhead(t *testing.T) {
	th := newTestHost(t)
	for _, tc := range []roleCase{
		{name: "overlap", wantFiles: []string{"ahead-b1", "ahead-b2", "core.conf", "b1.conf", "b2.conf"}},
		{name: "ahead-fails", failHost: "b1", wantFiles: []string{"ahead-b2", "core.conf", "b2.conf"}, wantErr: map[string]string{"b1": "exit"}},
		{name: "core-fails", failCore: true, wantFiles: []string{"ahead-b1", "ahead-b2"},
			wantErr: map[string]string{"core": "exit", "b1": "core (core) failed first", "b2": "core (core) failed first"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := th.mkdir(t, tc.name)
			// The core's step waits for both bridges' steps ahead (or,
			// when one fails, for the other's).
			want := dir + "/ahead-b1 " + dir + "/ahead-b2"
			if tc.failHost != "" {
				want = dir + "/ahead-b2"
			}
			wait := fmt.Sprintf("for i in $(seq 100); do ls %s >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1", want)
			core := &testStep{name: "core", rs: func(h *installer.Host) []installer.Resource {
				rs := []installer.Resource{&resource.Command{Name: "bridges ahead", Args: []string{"sh", "-c", wait}, Unless: []string{"false"}}}
				if tc.failCore {
					rs = append(rs, failing())
				}
				return append(rs, &resource.File{Path: dir + "/core.conf", Content: []byte("core\n"), Mode: 0o644})
			}}
			ahead := &testStep{name: "ahead", rs: func(h *installer.Host) []installer.Resource {
				if h.Name == tc.failHost {
					return []installer.Resource{failing()}
				}
				return []installer.Resource{&resource.File{Path: dir + "/ahead-" + h.Name, Content: []byte("ahead\n"), Mode: 0o644}}
			}}
			bridge := &testStep{name: "bridge", rs: func(h *installer.Host) []installer.Resource {
				return []installer.Resource{
					&resource.Command{Name: "core first", Args: []string{"test", "-f", dir + "/core.conf"}, Unless: []string{"false"}},
					&resource.File{Path: dir + "/" + h.Name + ".conf", Content: []byte("bridge\n"), Mode: 0o644},
				}
			}}
			e, rec := th.eng()
			e.Roles = []installer.Role{{Name: "core", Steps: []installer.Step{core}}, {Name: "bridge", Ahead: []installer.Step{ahead}, Steps: []installer.Step{bridge}}}
			p := planAndApply(t, e, "core", "b1", "b2")
			for _, f := range tc.wantFiles {
				if _, err := os.Stat(dir + "/" + f); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
			checkHosts(t, p, rec, tc.wantErr)
			// A bridge's steps after the core start once the core is done;
			// its summary line counts its changes ahead.
			coreDone := -1
			for i, ev := range rec.events {
				switch {
				case ev.Type == installer.EventHostFinished && ev.Host == "core":
					coreDone = i
				case ev.Type == installer.EventStepStarted && ev.Step == "bridge" && coreDone < 0:
					t.Errorf("%s's step after the core started before the core finished", ev.Host)
				}
			}
			for _, ev := range rec.of(installer.EventHostFinished) {
				if ev.Host == "b2" && !tc.failCore && ev.Summary.Changed != 3 {
					t.Errorf("b2 summary: %+v, want 3 changes (1 ahead, 2 after the core)", *ev.Summary)
				}
			}
		})
	}
}

// planAndApply plans hosts (core, or b1, b2... as bridges) on this machine
// with e, fails t when planning fails, and applies the plan.
func planAndApply(t *testing.T, e *installer.Engine, hosts ...string) *installer.Plan {
	t.Helper()
	var targets []installer.Target
	for _, h := range hosts {
		role := "bridge"
		if h == "core" {
			role = "core"
		}
		targets = append(targets, installer.Target{Name: h, Role: role, Dial: dialLocal})
	}
	p := e.Plan(context.Background(), targets)
	t.Cleanup(p.Close)
	if err := p.Err(); err != nil {
		t.Fatalf("plan: %v", err)
	}
	e.Apply(context.Background(), p)
	return p
}

// checkHosts checks each host's error of an applied plan against wantErr
// (a part of it; none for a host not named) and that each host had one
// summary line.
func checkHosts(t *testing.T, p *installer.Plan, rec *recorder, wantErr map[string]string) {
	t.Helper()
	for _, hp := range p.Hosts {
		want := wantErr[hp.Host.Name]
		switch {
		case want == "" && hp.Err != nil:
			t.Errorf("%s: %v", hp.Host.Name, hp.Err)
		case want != "" && (hp.Err == nil || !strings.Contains(hp.Err.Error(), want)):
			t.Errorf("%s: error %v, want %q", hp.Host.Name, hp.Err, want)
		}
	}
	finished := map[string]int{}
	for _, ev := range rec.of(installer.EventHostFinished) {
		finished[ev.Host]++
	}
	if fmt.Sprint(finished) != "map[b1:1 b2:1 core:1]" {
		t.Errorf("one summary line per host: %v", finished)
	}
}

// producingStep hands a value to the hosts of later roles; the engine
// calls Produce after each Declare.
type producingStep struct {
	testStep
	produce func(h *installer.Host)
}

func (s *producingStep) Produce(h *installer.Host) { s.produce(h) }

// certStep produces what the host has at path, as read by its query.
type certStep struct {
	testStep
	fact *installer.Fact[string]
	out  *installer.Output[string]
}

func (s *certStep) Queries(*installer.Host) []installer.Query {
	return []installer.Query{s.fact.Query()}
}
func (s *certStep) Produce(h *installer.Host) { s.out.Set(h, s.fact.Get(h)) }

// A later role's Waits start once the core has applied the step that sets
// what they wait for, while the core goes on (here the core waits for the
// bridges' first stage: without the overlap it fails); the second stage
// reads the value as the core has it then, not as planned; a core that
// fails stops only the stages that wait for what it had not set yet (none,
// when it fails after setting everything).
func TestRolesWaits(t *testing.T) {
	th := newTestHost(t)
	for _, tc := range []struct {
		name      string
		failAt    string // the core's step that fails
		wantFiles []string
		wantErr   map[string]string
	}{
		{name: "overlap", wantFiles: []string{"secret", "cert", "core.conf", "stage1-b1", "stage1-b2", "b1.conf", "b2.conf"}},
		{name: "core-fails-after-secret", failAt: "wait", wantFiles: []string{"secret", "stage1-b1", "stage1-b2"},
			wantErr: map[string]string{"core": "exit", "b1": "core (core) failed first", "b2": "core (core) failed first"}},
		{name: "core-fails-last", failAt: "last", wantFiles: []string{"secret", "cert", "stage1-b1", "stage1-b2", "b1.conf", "b2.conf"},
			wantErr: map[string]string{"core": "exit"}},
		{name: "core-fails-first", failAt: "secret",
			wantErr: map[string]string{"core": "exit", "b1": "core (core) failed first", "b2": "core (core) failed first"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := th.mkdir(t, tc.name)
			secret, cert := &installer.Output[string]{}, &installer.Output[string]{}
			// fails puts a failing command before the step's last resource.
			fails := func(step string, rs ...installer.Resource) []installer.Resource {
				if tc.failAt == step {
					rs = slices.Insert(rs, len(rs)-1, installer.Resource(failing()))
				}
				return rs
			}
			file := func(name, content string) installer.Resource {
				return &resource.File{Path: dir + "/" + name, Content: []byte(content), Mode: 0o644}
			}
			wait := fmt.Sprintf("for i in $(seq 100); do ls %s/stage1-b1 %s/stage1-b2 >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1", dir, dir)
			core := []installer.Step{
				&producingStep{testStep: testStep{name: "secret", rs: func(*installer.Host) []installer.Resource {
					return fails("secret", file("secret", "s\n"))
				}}, produce: func(h *installer.Host) { secret.Set(h, "s") }},
				&testStep{name: "wait", rs: func(*installer.Host) []installer.Resource {
					return fails("wait", &resource.Command{Name: "bridges' first stage", Args: []string{"sh", "-c", wait}, Unless: []string{"false"}}, file("cert", "c-"+tc.name+"\n"))
				}},
				&certStep{testStep: testStep{name: "cert", rs: func(*installer.Host) []installer.Resource { return nil }},
					fact: &installer.Fact[string]{Name: "cert", Args: []string{"cat", dir + "/cert"}, Parse: func(out string, _ int) string { return out }}, out: cert},
				&testStep{name: "last", rs: func(*installer.Host) []installer.Resource { return fails("last", file("core.conf", "core\n")) }},
			}
			stage1 := &testStep{name: "stage1", rs: func(h *installer.Host) []installer.Resource {
				return []installer.Resource{
					&resource.Command{Name: "secret first", Args: []string{"test", "-f", dir + "/secret"}, Unless: []string{"false"}},
					file("stage1-"+h.Name, "1\n"),
				}
			}}
			stage2 := &testStep{name: "stage2", rs: func(h *installer.Host) []installer.Resource {
				v, _, _ := cert.Get()
				return []installer.Resource{file(h.Name+".conf", v+"\n")}
			}}
			e, rec := th.eng()
			e.Roles = []installer.Role{{Name: "core", Steps: core},
				{Name: "bridge", Waits: []installer.Wait{{For: []installer.Source{secret}, Steps: []installer.Step{stage1}}, {For: []installer.Source{cert}, Steps: []installer.Step{stage2}}}}}
			p := planAndApply(t, e, "core", "b1", "b2")
			for _, f := range []string{"secret", "cert", "core.conf", "stage1-b1", "stage1-b2", "b1.conf", "b2.conf"} {
				_, err := os.Stat(dir + "/" + f)
				if want := slices.Contains(tc.wantFiles, f); want != (err == nil) {
					t.Errorf("%s: exists %v, want %v", f, err == nil, want)
				}
			}
			if got := readOr(dir + "/b1.conf"); (tc.failAt == "" || tc.failAt == "last") && got != "c-"+tc.name+"\n" {
				t.Errorf("b1.conf = %q, want the core's certificate as applied", got)
			}
			checkHosts(t, p, rec, tc.wantErr)
		})
	}
}

func readOr(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
