package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// DefaultJournal is where a host remembers what runs did to it.
const DefaultJournal = "/var/lib/jitsi-installer/journal.json"

// Journal is the host's record of the last run: what it applied and which
// handlers it still owes. A run that dies leaves Owed behind; the next run
// runs those handlers, so a crash never loses a restart.
type Journal struct {
	Version  int            `json:"version"`
	RunID    string         `json:"run_id"`
	Status   string         `json:"status"`            // running, finished, failed, stopped; interrupted once a later run starts
	User     string         `json:"user,omitempty"`    // who ran it: user@machine
	Command  string         `json:"command,omitempty"` // install, repair, rollback RUN-ID
	Started  time.Time      `json:"started"`
	Updated  time.Time      `json:"updated"`
	Applied  []JournalEntry `json:"applied"`
	Owed     []Handler      `json:"owed_handlers"`
	Previous []RunRecord    `json:"previous,omitempty"`
}

// JournalEntry is one applied resource.
type JournalEntry struct {
	Step     string    `json:"step"`
	Resource string    `json:"resource"`
	Action   Action    `json:"action"`
	At       time.Time `json:"at"`
}

// RunRecord summarises an earlier run. User, Command, Updated and Changes
// are absent in journals written before they existed.
type RunRecord struct {
	RunID   string         `json:"run_id"`
	Status  string         `json:"status"`
	Started time.Time      `json:"started"`
	Applied int            `json:"applied"`
	User    string         `json:"user,omitempty"`
	Command string         `json:"command,omitempty"`
	Updated time.Time      `json:"updated,omitzero"`
	Changes []JournalEntry `json:"changes,omitempty"`
}

const keepRuns = 20

// checkJournal looks at what the last run left, once the plan is known: a
// damaged journal is rebuilt, and as what it owed cannot be known, every
// handler the steps declare is owed once; a run that did not finish is
// named. Either way this run writes the journal, even with nothing to change.
func (e *Engine) checkJournal(hp *HostPlan, parseErr error) {
	h := hp.Host
	switch {
	case parseErr != nil:
		j := &Journal{Version: 1, RunID: "unknown", Status: "damaged"}
		for _, d := range hp.steps {
			for _, r := range d.resources {
				if n, ok := r.(Notifier); ok {
					j.oweAll(n.Notifies())
				}
			}
		}
		hp.journal, hp.record = j, true
		h.Warn("%s is damaged (%v): it is rebuilt; what the last run still owed cannot be known, so every handler (%s) runs once",
			e.journalPath(), parseErr, handlerNames(j.Owed))
	case hp.journal == nil:
	case hp.journal.Status == "running":
		hp.record = true
		what := "nothing"
		if len(hp.journal.Owed) > 0 {
			what = handlerNames(hp.journal.Owed)
		}
		h.Warn("run %s (started %s) did not finish: it was stopped or lost its connection; it owed %s",
			hp.journal.RunID, hp.journal.Started.Format(time.RFC3339), what)
	case hp.journal.Status != "finished":
		hp.record = true
	}
}

func handlerNames(hs []Handler) string {
	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = h.Name
	}
	return strings.Join(names, ", ")
}

func parseJournal(s string) (*Journal, error) {
	if s == "" {
		return nil, nil
	}
	var j Journal
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	return &j, nil
}

// owe adds a handler once.
func (j *Journal) owe(h Handler) {
	for _, o := range j.Owed {
		if o.Name == h.Name {
			return
		}
	}
	j.Owed = append(j.Owed, h)
}

// oweAll adds hs and reports whether any was not owed yet.
func (j *Journal) oweAll(hs []Handler) bool {
	n := len(j.Owed)
	for _, h := range hs {
		j.owe(h)
	}
	return len(j.Owed) > n
}

func (j *Journal) paid(name string) {
	for i, o := range j.Owed {
		if o.Name == name {
			j.Owed = append(j.Owed[:i], j.Owed[i+1:]...)
			return
		}
	}
}

func (j *Journal) save(ctx context.Context, t transport.Transport, file string) error {
	j.Updated = time.Now().UTC()
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	if err := t.WriteFile(ctx, transport.File{Path: file, Data: append(data, '\n'), Mode: 0o600}); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}

// newJournal starts this run's journal, carrying over the debts and history
// of the previous one.
func newJournal(prev *Journal, runID string) *Journal {
	j := &Journal{Version: 1, RunID: runID, Status: "running", Started: time.Now().UTC()}
	if prev != nil {
		j.Owed = append(j.Owed, prev.Owed...)
		status := prev.Status
		if status == "running" {
			// It never wrote its end: stopped without a word, or cut off.
			status = "interrupted"
		}
		j.Previous = append(j.Previous, RunRecord{RunID: prev.RunID, Status: status, Started: prev.Started, Applied: len(prev.Applied),
			User: prev.User, Command: prev.Command, Updated: prev.Updated, Changes: prev.Applied})
		j.Previous = append(j.Previous, prev.Previous...)
		if len(j.Previous) > keepRuns {
			j.Previous = j.Previous[:keepRuns]
		}
	}
	return j
}
