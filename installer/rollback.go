package installer

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Restore is one file a rollback puts back from a run's backups.
type Restore struct {
	Path string `json:"path"`
	// State of the file now, against its backup: differs, same (nothing to
	// do), absent (deleted since) or link (a symlink on either side).
	State string `json:"state"`
	// Diff is what the restore changes in the file, secrets masked (the
	// file as it is now -> its backup), as a plan shows it.
	Diff string `json:"diff,omitempty"`
}

// HostRollback is what undoing a run means on one host.
type HostRollback struct {
	Host     string    `json:"host"`
	RunID    string    `json:"run_id"`
	Files    []Restore `json:"files"`
	Handlers []string  `json:"handlers"`
	// Created are files the run created: they had no earlier version and
	// stay as they are.
	Created []string `json:"created,omitempty"`
	// Packages says the run changed package versions, which files cannot
	// undo: pin the previous release again.
	Packages bool `json:"packages,omitempty"`
	// Command is what the run rolled back was ("install", "repair", ...),
	// as the journal remembers it.
	Command string `json:"command,omitempty"`
	Err     error  `json:"-"`

	hp       *HostPlan
	handlers []Handler
}

// Pending reports whether the rollback would change anything on the host.
func (r *HostRollback) Pending() bool {
	for _, f := range r.Files {
		if f.State != "same" {
			return true
		}
	}
	return false
}

// ErrNoSuchRun is a run id a host has neither backups nor a journal entry for.
var ErrNoSuchRun = errors.New("no such run")

// restoreProbe lists the run's backed-up files, each with its state; after
// a file that differs, small enough to show, "@b BASE64" (its backup) and
// "@c BASE64" (the file now), for the diff.
const restoreProbe = `d="$1" max=$2; [ -d "$d" ] || { echo nobackup; exit 0; }; cd "$d" || exit 1
find . \( -type f -o -type l \) ! -path ./.modes | sed 's|^\.||' | sort | while IFS= read -r f; do
if [ -L ".$f" ] || [ -L "$f" ]; then s=link; elif [ ! -e "$f" ]; then s=absent; elif cmp -s ".$f" "$f"; then s=same; else s=differs; fi
printf '%s %s\n' "$s" "$f"
if [ "$s" = differs ] && [ "$(stat -c %s -- ".$f")" -le "$max" ] && [ "$(stat -c %s -- "$f")" -le "$max" ]; then
printf '@b %s\n' "$(base64 -w0 < ".$f")"; printf '@c %s\n' "$(base64 -w0 < "$f")"; fi; done`

// maxRestoreDiff caps the files whose rollback diff is shown.
const maxRestoreDiff = 256 << 10

// SecretHolder is a resource whose content may hold secrets: a rollback's
// diff of it masks as strictly as a plan's.
type SecretHolder interface {
	HoldsSecrets() bool
}

// restoreScript copies the backups over the files, atomically per file,
// keeping the versions it replaces in this rollback's own backups.
const restoreScript = `set -eu
src=$1 bak=$2; shift 2
for f; do
	if [ -e "$f" ] || [ -L "$f" ]; then mkdir -p -- "$bak${f%/*}"; [ -e "$bak$f" ] || cp -a -- "$f" "$bak$f"; fi
	mkdir -p -- "${f%/*}"
	t="${f%/*}/.${f##*/}.rollback.$$"
	cp -a -- "$src$f" "$t"
	# Backups are 0600: the mode and owner the file had come from the manifest.
	m=$(awk -v f="$f" '{p = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", p); if (p == f) m = $1 " " $2 " " $3} END {print m}' "$src/.modes" 2>/dev/null || true)
	if [ -n "$m" ]; then chown -- "$(echo "$m" | cut -d' ' -f2):$(echo "$m" | cut -d' ' -f3)" "$t" && chmod -- "${m%% *}" "$t"; fi
	mv -f -T -- "$t" "$f"
done`

// PlanRollback finds, on every host of p (a Declare plan), the files run
// runID replaced, what restoring them changes, and the handlers the steps
// notify when those files change; runID "" is each host's last run. One
// round trip per host.
func (e *Engine) PlanRollback(ctx context.Context, p *Plan, runID string) []*HostRollback {
	out := make([]*HostRollback, len(p.Hosts))
	var wg sync.WaitGroup
	for i, hp := range p.Hosts {
		r := &HostRollback{Host: hp.Host.Name, RunID: runID, Files: []Restore{}, Handlers: []string{}, hp: hp, Err: hp.Err}
		out[i] = r
		if hp.Err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.RunID == "" {
				runs := hp.journal.Runs()
				if len(runs) == 0 {
					r.Err = &StepError{Host: r.Host, Step: "rollback", Err: fmt.Errorf("%w: the host's journal remembers no run", ErrNoSuchRun)}
					return
				}
				r.RunID = runs[0].ID
			}
			r.Err = e.planRollback(ctx, r, r.RunID)
		}()
	}
	wg.Wait()
	return out
}

func (e *Engine) planRollback(ctx context.Context, r *HostRollback, runID string) error {
	h := r.hp.Host
	res, err := probeBatch(ctx, h.T, nil, []string{sh("sh", "-c", restoreProbe, "sh", path.Join(or(e.Backups, DefaultBackups), runID), strconv.Itoa(maxRestoreDiff))})
	if err != nil {
		return &StepError{Host: h.Name, Step: "rollback", Err: err}
	}
	out := strings.TrimSpace(res[0].Out)
	var run *RunInfo
	for _, ri := range r.hp.journal.Runs() {
		if ri.ID == runID {
			run = &ri
			break
		}
	}
	if out == "nobackup" && run == nil {
		return &StepError{Host: h.Name, Step: "rollback", Err: fmt.Errorf("%w %s: neither the journal nor %s knows it", ErrNoSuchRun, runID, or(e.Backups, DefaultBackups))}
	}
	// The handlers the steps notify when these files change, and whether
	// a file holds secrets.
	byKey := map[string][]Handler{}
	secret := map[string]bool{}
	for _, d := range r.hp.steps {
		for _, res := range d.resources {
			if n, ok := res.(Notifier); ok {
				byKey[res.Key()] = n.Notifies()
			}
			if s, ok := res.(SecretHolder); ok {
				secret[res.Key()] = s.HoldsSecrets()
			}
		}
	}
	if out != "nobackup" {
		var backup string
		for _, l := range strings.Split(out, "\n") {
			switch {
			case strings.HasPrefix(l, "@b "):
				backup = decode64(strings.TrimPrefix(l, "@b "))
			case strings.HasPrefix(l, "@c ") && len(r.Files) > 0:
				f := &r.Files[len(r.Files)-1]
				// A file no step declares may hold anything: masked strictly.
				s, known := secret["file "+f.Path]
				f.Diff = e.Redactor.Diff(f.Path, decode64(strings.TrimPrefix(l, "@c ")), backup, s || !known)
			default:
				if st, p, ok := strings.Cut(l, " "); ok {
					r.Files = append(r.Files, Restore{Path: p, State: st})
				}
			}
		}
	}
	if run != nil {
		r.Command = run.Command
		for _, c := range run.Changes {
			switch {
			case c.Action == ActionCreate && strings.HasPrefix(c.Resource, "file "):
				r.Created = append(r.Created, strings.TrimPrefix(c.Resource, "file "))
			case strings.HasPrefix(c.Resource, "package versions "):
				r.Packages = true
			}
		}
	}
	for _, f := range r.Files {
		if f.State == "same" {
			continue
		}
		for _, hd := range append(byKey["file "+f.Path], byKey["symlink "+f.Path]...) {
			r.handlers = appendHandler(r.handlers, hd)
		}
	}
	for _, hd := range r.handlers {
		r.Handlers = append(r.Handlers, hd.Name)
	}
	return nil
}

// ReportRollback emits the rollback plan as pending changes.
func (e *Engine) ReportRollback(rs []*HostRollback) {
	for _, r := range rs {
		if r.Err != nil {
			e.hostFailed(r.Host, r.Err)
			continue
		}
		for _, f := range r.Files {
			if f.State == "same" {
				continue
			}
			e.emit(Event{Type: EventResourcePending, Host: r.Host, Step: "Rollback " + r.RunID, Resource: "file " + f.Path,
				Action: "restore", Message: "restore: the version from before run " + r.RunID + " (" + f.State + " now)", Diff: f.Diff})
		}
		if r.Command == "repair" && r.Pending() {
			e.emit(Event{Type: EventWarning, Host: r.Host, Message: "run " + r.RunID + " was a repair: rolling it back brings back the drift it fixed (plan shows it, repair fixes it again)"})
		}
		for _, hd := range r.Handlers {
			e.emit(Event{Type: EventResourcePending, Host: r.Host, Step: "Rollback " + r.RunID, Resource: "handler " + hd, Action: ActionRun, Message: "run"})
		}
		for _, c := range r.Created {
			e.emit(Event{Type: EventWarning, Host: r.Host, Message: "run " + r.RunID + " created " + c + ": there is no earlier version; it stays"})
		}
		if r.Packages {
			e.emit(Event{Type: EventWarning, Host: r.Host, Message: "run " + r.RunID + " changed package versions: files cannot undo that; set jitsi.version to the previous release and run install"})
		}
		if !r.Pending() {
			e.emit(Event{Type: EventHostFinished, Host: r.Host, Message: "No changes: every file of run " + r.RunID + " is already as it was before it."})
		}
	}
}

// Rollback restores the files of every pending host rollback, keeping what
// it replaces in its own backups (so a rollback can be rolled back), runs
// the handlers once, and records itself in the journal as a run.
func (e *Engine) Rollback(ctx context.Context, rs []*HostRollback) Summary {
	start := time.Now()
	var wg sync.WaitGroup
	for _, r := range rs {
		if r.Err != nil || !r.Pending() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.rollbackHost(ctx, r); err != nil {
				r.Err = err
				e.hostFailed(r.Host, err)
			}
		}()
	}
	wg.Wait()
	var total Summary
	for _, r := range rs {
		var s Summary
		for _, f := range r.Files {
			if f.State != "same" {
				s.Changed++
			}
		}
		if r.Err != nil {
			s.Failed, s.Changed = 1, 0
		} else if r.Pending() {
			s.Handlers = len(r.handlers)
		}
		if r.hp != nil && r.hp.Host.T != nil {
			s.RoundTrips = r.hp.Host.T.RoundTrips()
		}
		total.add(s)
		e.emit(Event{Type: EventHostFinished, Host: r.Host, Summary: &s, Error: errString(r.Err)})
	}
	total.Duration = time.Since(start)
	e.emit(Event{Type: EventRunFinished, Summary: &total, Duration: total.Duration, Message: "apply"})
	return total
}

func (e *Engine) rollbackHost(ctx context.Context, r *HostRollback) error {
	return e.journaled(ctx, r.hp, or(e.Command, "rollback "+r.RunID), func(j *Journal) error { return e.rollbackJournaled(ctx, r, j) })
}

func (e *Engine) rollbackJournaled(ctx context.Context, r *HostRollback, j *Journal) error {
	hp := r.hp
	h := hp.Host
	step := "Rollback " + r.RunID
	e.emit(Event{Type: EventStepStarted, Host: h.Name, Step: step})
	args := []string{"sh", "-c", restoreScript, "sh", path.Join(or(e.Backups, DefaultBackups), r.RunID), h.BackupDir()}
	var files []string
	for _, f := range r.Files {
		if f.State != "same" {
			args = append(args, f.Path)
			files = append(files, f.Path)
		}
	}
	// Handlers are owed before the files change: a rollback that dies
	// half way leaves its restarts to the next run.
	for _, hd := range r.handlers {
		j.owe(hd)
	}
	if err := e.saveJournal(context.WithoutCancel(ctx), hp, j); err != nil {
		return &StepError{Host: h.Name, Step: "journal", Err: err}
	}
	rstart := time.Now()
	if _, err := h.Run(context.WithoutCancel(ctx), args...); err != nil {
		e.emit(Event{Type: EventResourceFailed, Host: h.Name, Step: step, Resource: "restore", Error: err.Error()})
		return &StepError{Host: h.Name, Step: step, Resource: "restore", Err: err, shown: true}
	}
	for _, f := range files {
		j.Applied = append(j.Applied, JournalEntry{Step: step, Resource: "file " + f, Action: "restore", At: time.Now().UTC()})
		e.emit(Event{Type: EventResourceChanged, Host: h.Name, Step: step, Resource: "file " + f, Action: "restore",
			Message: "restored from run " + r.RunID, Duration: time.Since(rstart)})
	}
	if err := e.saveJournal(context.WithoutCancel(ctx), hp, j); err != nil {
		return &StepError{Host: h.Name, Step: "journal", Err: err}
	}
	e.emit(Event{Type: EventStepFinished, Host: h.Name, Step: step, Duration: time.Since(rstart)})
	return e.runHandlers(ctx, hp, j, r.handlers)
}

// decode64 is the text of a base64 line; "" when it is not base64.
func decode64(s string) string {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return string(b)
}
