package installer_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// Every step of a host sees the value its first step made; another host,
// or another kind of value, gets its own.
func TestHostValueMadeOncePerHost(t *testing.T) {
	var v, w installer.HostValue[int]
	made := 0
	next := func() int { made++; return made }
	a, b := installertest.NewHost("a", 22, nil), installertest.NewHost("b", 22, nil)
	got := []int{v.Get(a, next), v.Get(a, next), v.Get(b, next), v.Get(a, next), w.Get(a, next)}
	if want := []int{1, 1, 2, 1, 3}; !slices.Equal(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
}

// A fact is parsed once however many steps read it, and again when the
// host answers the queries again.
func TestFactParsedOncePerAnswer(t *testing.T) {
	parses := 0
	f := &installer.Fact[int]{Name: "n", Parse: func(out string, code int) int { parses++; return len(out) + code }}
	h := installertest.NewHost("h", 22, map[string]string{"n": "abc\n"})
	if got := []int{f.Get(h), f.Get(h)}; !slices.Equal(got, []int{3, 3}) || parses != 1 {
		t.Errorf("got %v after %d parses, want 3 twice after one", got, parses)
	}
	h.SetFact("n", installer.Probed{Out: "abcde", Code: 1})
	if got := f.Get(h); got != 6 || parses != 2 {
		t.Errorf("after a new answer: %d after %d parses, want 6 after two", got, parses)
	}
}

// TestFactFamilyParsedOncePerKey: each key is its own query, parsed once.
func TestFactFamilyParsedOncePerKey(t *testing.T) {
	parses := 0
	f := &installer.FactFamily[int]{Prefix: "len.", Parse: func(out string, code int) int { parses++; return len(out) + code }}
	if q := f.Query("a", "cat", "/a"); q.Name != "len.a" || !slices.Equal(q.Args, []string{"cat", "/a"}) {
		t.Errorf("query %+v, want len.a: cat /a", q)
	}
	h := installertest.NewHost("h", 22, map[string]string{"len.a": "abc", "len.b": "abcde"})
	if got := []int{f.Get(h, "a"), f.Get(h, "b"), f.Get(h, "a"), f.Get(h, "c")}; !slices.Equal(got, []int{3, 5, 3, -1}) || parses != 3 {
		t.Errorf("got %v after %d parses, want [3 5 3 -1] after three", got, parses)
	}
}

// A step declared again during the run (an earlier change made the host be
// asked again) does not repeat its warning.
func TestWarningSaidOnce(t *testing.T) {
	th := newTestHost(t)
	first := &testStep{name: "config", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{&resource.File{Path: th.path("a.conf"), Content: []byte("a\n"), Mode: 0o644}}
	}}
	second := &testStep{name: "check", rs: func(h *installer.Host) []installer.Resource {
		h.Warn("the host has 2 CPUs")
		return nil
	}}
	e, rec := th.eng(first, second)
	p := th.plan(e)
	e.Apply(context.Background(), p)
	p.Close()
	if w := rec.of(installer.EventWarning); len(w) != 1 {
		t.Errorf("warnings %+v, want one", w)
	}
}

// The restarts a change causes are under one title in the plan and in the
// run.
func TestHandlersOneTitle(t *testing.T) {
	th := newTestHost(t)
	restart := installer.Handler{Name: "restart app", Cmds: [][]string{{"true"}}}
	step := &testStep{name: "config", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{&resource.File{Path: th.path("a.conf"), Content: []byte("a\n"), Mode: 0o644,
			Notify: installer.Notify{Handlers: []installer.Handler{restart}}}}
	}}
	e, rec := th.eng(step)
	p := th.plan(e)
	e.Apply(context.Background(), p)
	p.Close()
	evs := append(rec.of(installer.EventHandlerPending), rec.of(installer.EventHandlerRun)...)
	if len(evs) != 2 {
		t.Fatalf("handler events %+v, want one pending and one run", evs)
	}
	for _, ev := range evs {
		if ev.Step != "Restarts and refreshes" {
			t.Errorf("%s under %q", ev.Type, ev.Step)
		}
	}
}
