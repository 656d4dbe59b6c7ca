package workflow_test

import (
	"context"
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
	for _, tc := range []struct {
		name      string
		owes, ask bool
	}{
		{"restart owed, asked", true, true},
		{"restart owed, not asked", true, false},
		{"outcome to record, asked", false, true},
		{"outcome to record, not asked", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := workflowtest.NewInterrupted(t, tc.owes)
			asked := false
			f := workflow.Flow{Verify: true, VerifyConverged: true}
			if tc.ask {
				f.Confirm = func(p *installer.Plan) (bool, error) {
					asked = true
					// Owed restarts are the plan's changes; a failed run's
					// outcome to record is none.
					if p.HasChanges() != tc.owes || !p.NeedsApply() {
						t.Errorf("plan after the interrupted run: changes %v, needs apply %v", p.HasChanges(), p.NeedsApply())
					}
					return true, nil
				}
			}
			r := h.Run(nil).Converge(context.Background(), f)
			defer r.Plan.Close()
			if asked != tc.ask {
				t.Errorf("asked %v, want %v", asked, tc.ask)
			}
			if !r.Applied || r.Summary.Failed > 0 || r.Plan.Err() != nil {
				t.Fatalf("not applied: %+v, %v", r.Summary, r.Plan.Err())
			}
			if got, want := h.Restarts(), map[bool]string{true: "restarted\n"}[tc.owes]; got != want {
				t.Errorf("restarts %q, want %q", got, want)
			}
			if j := h.Journal(); len(j.Owed) != 0 || j.Status != "finished" {
				t.Errorf("journal after the run: owed %v, status %q; want nothing owed, finished", j.Owed, j.Status)
			}
			if !r.Verified {
				t.Error("the checks did not run after the apply")
			}
		})
	}
}

// Declining a plan applies nothing; a dry run does not ask.
func TestDeclinedAndDryRun(t *testing.T) {
	h := workflowtest.NewInterrupted(t, true)
	r := h.Run(nil).Converge(context.Background(), workflow.Flow{Confirm: func(*installer.Plan) (bool, error) { return false, nil }})
	r.Plan.Close()
	if !r.Declined || r.Applied || h.Restarts() != "" {
		t.Errorf("declined: %+v, restarts %q", r, h.Restarts())
	}
	r = h.Run(nil).Converge(context.Background(), workflow.Flow{DryRun: true, Confirm: func(*installer.Plan) (bool, error) {
		t.Error("a dry run asks")
		return true, nil
	}})
	r.Plan.Close()
	if r.Applied || h.Restarts() != "" {
		t.Errorf("dry run applied: %+v", r)
	}
}
