package installer

import "time"

// RunInfo is one run as a host's journal remembers it.
type RunInfo struct {
	ID      string         `json:"id"`
	Status  string         `json:"status"`
	User    string         `json:"user,omitempty"`
	Command string         `json:"command,omitempty"`
	Started time.Time      `json:"started"`
	Updated time.Time      `json:"updated,omitzero"`
	Applied int            `json:"applied"`
	Changes []JournalEntry `json:"changes,omitempty"`
}

// Runs lists the runs the journal remembers, newest first. Runs recorded
// before the journal kept their changes have only the count in Applied.
func (j *Journal) Runs() []RunInfo {
	if j == nil {
		return nil
	}
	runs := []RunInfo{{ID: j.RunID, Status: j.Status, User: j.User, Command: j.Command, Started: j.Started,
		Updated: j.Updated, Applied: len(j.Applied), Changes: j.Applied}}
	for _, r := range j.Previous {
		runs = append(runs, RunInfo{ID: r.RunID, Status: r.Status, User: r.User, Command: r.Command,
			Started: r.Started, Updated: r.Updated, Applied: r.Applied, Changes: r.Changes})
	}
	return runs
}
