package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/internal/golden"
)

// firstPlan are the events of a first plan of one host, recorded as JSON
// from `plan -o json` with the real steps (over the test SSH server, as
// TestPlanOverSSHRedactsAndCountsRoundTrips plans, with a private ACME
// CA's bundle among the answers), times and temporary paths made fixed.
func firstPlan(t *testing.T) []installer.Event {
	t.Helper()
	f, err := os.Open("testdata/first-plan.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []installer.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e installer.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	return evs
}

func render(evs []installer.Event, diff bool) string {
	var b bytes.Buffer
	tx := &Text{W: &b, Diff: diff}
	for _, e := range evs {
		tx.Event(e)
	}
	return b.String()
}

// A first plan reads in one screenful or two: each new file one line, a
// certificate its names and expiry, no PEM, the restarts listed; --diff
// shows it all.
func TestFirstPlanGolden(t *testing.T) {
	evs := firstPlan(t)
	out := render(evs, false)
	golden.Assert(t, "testdata/first-plan.golden", []byte(out))
	if n := strings.Count(out, "\n"); n > 200 {
		t.Errorf("%d lines, want at most 200", n)
	}
	if strings.Contains(out, "BEGIN CERTIFICATE") {
		t.Error("PEM in the plan")
	}
	for _, e := range evs {
		if e.Type == installer.EventResourcePending && e.Action == installer.ActionCreate && strings.HasPrefix(e.Resource, "file ") {
			if n := strings.Count(out, e.Resource+":"); n != 1 {
				t.Errorf("new %s on %d lines, want 1", e.Resource, n)
			}
			for _, l := range strings.Split(e.Diff, "\n") {
				if strings.HasPrefix(l, "+") && len(l) > 20 && strings.Contains(out, l) {
					t.Errorf("new %s shows its content: %q", e.Resource, l)
					break
				}
			}
		}
	}
	if !strings.Contains(out, "certificate CN=Private ACME root, issued by CN=Private ACME root, SHA256 ") {
		t.Error("the CA certificate is not described by its names")
	}
	if !strings.Contains(out, "↻ restart prosody: after ") {
		t.Error("the services that will restart are not listed")
	}
	full := render(evs, true)
	if !strings.Contains(full, "BEGIN CERTIFICATE") || strings.Count(full, "\n") <= strings.Count(out, "\n") {
		t.Error("--diff does not show new files whole")
	}
}
