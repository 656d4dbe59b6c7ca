package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/workflow"
	"github.com/jitsi-installer/jitsi-installer/workflow/workflowtest"
)

// interruptedCases are hosts a run was stopped on after its last change:
// the next run has no resource to change, and pays the restart still owed
// or only records its outcome.
var interruptedCases = []struct {
	name string
	owes bool
}{{"restart owed", true}, {"outcome to record", false}}

// checkPaid checks that the run after the interrupted one paid what it owed
// and recorded its outcome.
func checkPaid(t *testing.T, h *workflowtest.Interrupted, owes bool, r Result) {
	t.Helper()
	if got, want := h.Restarts(), map[bool]string{true: "restarted\n"}[owes]; got != want {
		t.Errorf("restarts %q, want %q", got, want)
	}
	if j := h.Journal(); j.Status != "finished" || len(j.Owed) != 0 {
		t.Errorf("journal: status %q, owed %v; want finished, nothing owed", j.Status, j.Owed)
	}
	if r.Outcome != Applied || r.HostErr != nil || r.Summary.Failed != 0 {
		t.Errorf("result %+v", r)
	}
}

func prepareInterrupted(h *workflowtest.Interrupted) func(*answers.Config, Asker, installer.Sink) (*workflow.Run, error) {
	return func(_ *answers.Config, _ Asker, sink installer.Sink) (*workflow.Run, error) { return h.Run(sink), nil }
}

// The full-screen installer, after an interrupted run: enter on the review
// goes on with the run.
func TestInterruptedRunOnTheScreen(t *testing.T) {
	for _, tc := range interruptedCases {
		t.Run(tc.name, func(t *testing.T) {
			h := workflowtest.NewInterrupted(t, tc.owes)
			s := startScreen(t, Options{Prepare: prepareInterrupted(h)})
			fillForm(s, false)
			s.press(enter)
			s.waitFor("review the plan", map[bool]string{true: "Apply these 1 change(s)?", false: "Nothing to change."}[tc.owes])
			s.press(enter)
			s.waitFor("done", "Jitsi Meet is ready")
			s.typeText("q")
			s.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
			checkPaid(t, h, tc.owes, s.app.res)
		})
	}
}

// The accessible prompts, after an interrupted run: the first choice goes
// on with the run.
func TestInterruptedRunAccessible(t *testing.T) {
	for _, tc := range interruptedCases {
		t.Run(tc.name, func(t *testing.T) {
			h := workflowtest.NewInterrupted(t, tc.owes)
			var out strings.Builder
			in, lr, _ := newLineReader(strings.NewReader("1\n"))
			p := &prompter{ctx: context.Background(), in: in, lr: lr, out: &out}
			res := Result{Config: &answers.Config{}}
			done, err := planAndApply(context.Background(), Options{Out: &out, Prepare: prepareInterrupted(h)}, p, newValues(nil), &res)
			if err != nil || !done {
				t.Fatalf("done %v, %v\n%s", done, err, out.String())
			}
			checkPaid(t, h, tc.owes, res)
		})
	}
}
