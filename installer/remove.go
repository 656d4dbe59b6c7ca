package installer

import (
	"cmp"
	"context"
	"path"
	"slices"
	"strings"
)

// Remover is a resource that knows how uninstall undoes it: Removal returns
// the resource whose convergence takes it away (a file gone, a unit stopped,
// a rule deleted), or nil when uninstall leaves it as it is (the rule that
// keeps SSH open, the packages the base system needs).
type Remover interface {
	Removal(o RemoveOptions) Resource
}

// Holder is a removal that can only go once what it holds is gone (a
// directory): the engine plans it after every other removal of its host,
// deepest first, and tells it the keys of those removals, so that it knows
// whether what it holds now will be gone by then.
type Holder interface {
	Holds(removed []string)
}

// PathRemover is a removal that takes away paths its key does not name (a
// command's undo removing what the command created).
type PathRemover interface {
	RemovedPaths() []string
}

// RemoveOptions are what uninstall was asked to take away besides the
// installer's own files, units and rules.
type RemoveOptions struct {
	// PurgePackages purges the Jitsi packages too.
	PurgePackages bool
}

// heldStep is the last step of a removal plan: the Holders of every step.
type heldStep struct{ rs []Resource }

func (*heldStep) Name() string                        { return "Directories left empty" }
func (s *heldStep) Declare(*Host) ([]Resource, error) { return s.rs, nil }

// removals turns d's resources into their removals, last declared first
// (what depends on a resource is taken away before it), and returns the
// Holders among them apart: they go in the plan's last step.
func removals(d *declared, o RemoveOptions) (held []Resource) {
	if _, ok := d.step.(*heldStep); ok {
		return nil
	}
	var out []Resource
	for i := len(d.resources) - 1; i >= 0; i-- {
		r, ok := d.resources[i].(Remover)
		if !ok {
			continue
		}
		switch rm := r.Removal(o); rm.(type) {
		case nil:
		case Holder:
			held = append(held, rm)
		default:
			out = append(out, rm)
		}
	}
	d.resources = out
	return held
}

// withHeld appends the step of the Holders to steps, deepest path first,
// each told what the host's other removals are.
func withHeld(steps []*declared, held []Resource) []*declared {
	if len(held) == 0 {
		return steps
	}
	slices.SortStableFunc(held, func(a, b Resource) int { return cmp.Compare(len(b.Key()), len(a.Key())) })
	var keys []string
	for _, d := range steps {
		for _, r := range d.resources {
			keys = append(keys, r.Key())
			if pr, ok := r.(PathRemover); ok {
				for _, p := range pr.RemovedPaths() {
					keys = append(keys, "path "+p)
				}
			}
		}
	}
	for _, r := range held {
		keys = append(keys, r.Key())
	}
	for _, r := range held {
		r.(Holder).Holds(keys)
	}
	return append(steps, &declared{step: &heldStep{rs: held}, resources: held})
}

// retireScript moves the journal into this run's backups and removes the
// lock and the state directory when nothing else is left in it: a later
// install starts from scratch, and the record of what uninstall did stays
// with the backups.
const retireScript = `j=$1 b=$2; d=${j%/*}
if [ -e "$j" ]; then mkdir -p -- "$b$d" && chmod 0700 -- "$b" && { mv -f -- "$j" "$b$j" || [ ! -e "$j" ]; } || exit 1; fi
rm -f -- "$d/lock"; rmdir -- "$d" 2>/dev/null; exit 0`

// retire ends the installer's own state on hp's host after an uninstall.
func (e *Engine) retire(ctx context.Context, hp *HostPlan) error {
	h := hp.Host
	if _, err := h.Run(context.WithoutCancel(ctx), "sh", "-c", retireScript, "sh", e.journalPath(), h.BackupDir()); err != nil {
		return &StepError{Host: h.Name, Step: stepState, Err: err}
	}
	e.emit(Event{Type: EventResourceChanged, Host: h.Name, Step: stepState, Resource: "dir " + path.Dir(e.journalPath()),
		Action: ActionDelete, Message: e.retireText(h)})
	return nil
}

// stepState names the end of the installer's own state in plans.
const stepState = "Installer state"

func (e *Engine) retireText(h *Host) string {
	return "delete: the journal goes into " + h.BackupDir() + ", with this run's backups"
}

// reportRetire shows, in an uninstall's plan, that the installer's own
// state goes too.
func (e *Engine) reportRetire(hp *HostPlan) {
	if e.Remove == nil || hp.journal == nil {
		return
	}
	e.emit(Event{Type: EventResourcePending, Host: hp.Host.Name, Step: stepState, Resource: "dir " + path.Dir(e.journalPath()),
		Action: ActionDelete, Message: e.retireText(hp.Host)})
}

// RemovedUnder reports whether key names a path removed that lies directly
// in dir ("file /etc/x/a" under "/etc/x"), for Holders.
func RemovedUnder(key, dir string) (string, bool) {
	_, p, ok := strings.Cut(key, " ")
	if !ok || !strings.HasPrefix(p, "/") || path.Dir(p) != dir {
		return "", false
	}
	return path.Base(p), true
}
