package installer

import (
	"context"
	"encoding/json"
	"fmt"
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
	Status   string         `json:"status"` // running, finished, failed
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

// RunRecord summarises an earlier run.
type RunRecord struct {
	RunID   string    `json:"run_id"`
	Status  string    `json:"status"`
	Started time.Time `json:"started"`
	Applied int       `json:"applied"`
}

const keepRuns = 20

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
		j.Previous = append(j.Previous, RunRecord{RunID: prev.RunID, Status: prev.Status, Started: prev.Started, Applied: len(prev.Applied)})
		j.Previous = append(j.Previous, prev.Previous...)
		if len(j.Previous) > keepRuns {
			j.Previous = j.Previous[:keepRuns]
		}
	}
	return j
}
