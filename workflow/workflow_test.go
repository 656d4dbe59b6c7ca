package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/workflow"
	"github.com/jitsi-installer/jitsi-installer/workflow/workflowtest"
)

// After an interrupted run with no resource left to change, the next run
// pays the restarts it owes and records its outcome, whether the operator
// is asked (the TUI and the accessible prompts ask even then) or not
// (--yes, or the command line, which does not ask when nothing changes).
func TestInterruptedRunPaysOwedRestarts(t *testing.T) {
	for _, owes := range []bool{true, false} {
		for _, ask := range []bool{true, false} {
			t.Run(fmt.Sprintf("owes=%v,ask=%v", owes, ask), func(t *testing.T) {
				h := workflowtest.NewInterrupted(t, owes)
				asked := false
				f := workflow.Flow{Verify: true, VerifyConverged: true}
				if ask {
					f.Confirm = func(p *installer.Plan) (bool, error) {
						asked = true
						// Owed restarts are the plan's changes; a failed
						// run's outcome to record is none.
						if p.HasChanges() != owes || !p.NeedsApply() {
							t.Errorf("plan after the interrupted run: changes %v, needs apply %v", p.HasChanges(), p.NeedsApply())
						}
						return true, nil
					}
				}
				r := h.Run(nil).Converge(context.Background(), f)
				defer r.Plan.Close()
				if asked != ask || !r.Applied || !r.Verified || r.Summary.Failed > 0 || r.Plan.Err() != nil {
					t.Fatalf("asked %v, applied %v, verified %v: %+v, %v", asked, r.Applied, r.Verified, r.Summary, r.Plan.Err())
				}
				if got, want := h.Restarts(), map[bool]string{true: "restarted\n"}[owes]; got != want {
					t.Errorf("restarts %q, want %q", got, want)
				}
				if j := h.Journal(); len(j.Owed) != 0 || j.Status != "finished" {
					t.Errorf("journal after the run: owed %v, status %q; want nothing owed, finished", j.Owed, j.Status)
				}
			})
		}
	}
}

// A plan declined, or the question failing, applies nothing; a dry run
// does not ask.
func TestNotApplied(t *testing.T) {
	h := workflowtest.NewInterrupted(t, true)
	lost := errors.New("no terminal")
	for _, f := range []workflow.Flow{
		{Confirm: func(*installer.Plan) (bool, error) { return false, nil }},
		{Confirm: func(*installer.Plan) (bool, error) { return false, lost }},
		{DryRun: true, Confirm: func(*installer.Plan) (bool, error) {
			t.Error("a dry run asks")
			return true, nil
		}},
	} {
		r := h.Run(nil).Converge(context.Background(), f)
		r.Plan.Close()
		if r.Applied || r.Declined == f.DryRun || !errors.Is(r.Err, lost) && r.Err != nil || h.Restarts() != "" {
			t.Errorf("dry run %v: %+v, restarts %q", f.DryRun, r, h.Restarts())
		}
	}
}
