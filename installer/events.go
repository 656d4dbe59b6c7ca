package installer

import (
	"time"
)

// EventType says what happened. The text log, the JSON lines and the TUI are
// all renderings of the same stream.
type EventType string

const (
	EventRunStarted       EventType = "run.started"
	EventHostConnected    EventType = "host.connected"
	EventStepStarted      EventType = "step.started"
	EventStepSkipped      EventType = "step.skipped"
	EventStepFinished     EventType = "step.finished"
	EventResourceStarted  EventType = "resource.started"  // being applied
	EventResourceProgress EventType = "resource.progress" // how far the resource being applied is, in its own words (apt's)
	EventResourceChanged  EventType = "resource.changed"  // applied
	EventResourcePending  EventType = "resource.pending"  // would change (plan)
	EventResourceOK       EventType = "resource.unchanged"
	EventResourceDrift    EventType = "resource.drift" // differs, and the answers say to keep it
	EventResourceFailed   EventType = "resource.failed"
	EventHandlerPending   EventType = "handler.pending" // would run after the changes (plan)
	EventHandlerRun       EventType = "handler.run"
	EventHandlerFailed    EventType = "handler.failed"
	EventWarning          EventType = "warning"
	EventCheck            EventType = "check"
	EventCheckWaiting     EventType = "check.waiting" // failing for now; verify asks again until its settle bound
	EventHostFinished     EventType = "host.finished"
	EventRunFinished      EventType = "run.finished"
)

// Event is one thing that happened on one host. Text fields are redacted
// before any sink sees them.
type Event struct {
	Time     time.Time     `json:"time"`
	Type     EventType     `json:"type"`
	Host     string        `json:"host,omitempty"`
	Step     string        `json:"step,omitempty"`
	Resource string        `json:"resource,omitempty"`
	Action   Action        `json:"action,omitempty"`
	Message  string        `json:"message,omitempty"`
	Details  []Detail      `json:"details,omitempty"` // what differs, one object each
	Diff     string        `json:"diff,omitempty"`
	Warn     string        `json:"warn,omitempty"`
	Error    string        `json:"error,omitempty"`
	Hint     string        `json:"hint,omitempty"`
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Set on host.finished and run.finished.
	Summary *Summary `json:"summary,omitempty"`
	// Set on check events.
	Passed *bool `json:"passed,omitempty"`
}

// Summary counts what a run did on a host, or on all hosts.
type Summary struct {
	Changed    int           `json:"changed"`
	Pending    int           `json:"pending"`
	Unchanged  int           `json:"unchanged"`
	Failed     int           `json:"failed"`
	Handlers   int           `json:"handlers"`
	RoundTrips int           `json:"round_trips"`
	Duration   time.Duration `json:"duration_ns"`
	Hosts      int           `json:"hosts,omitempty"`
}

func (s *Summary) add(o Summary) {
	s.Changed += o.Changed
	s.Pending += o.Pending
	s.Unchanged += o.Unchanged
	s.Failed += o.Failed
	s.Handlers += o.Handlers
	s.RoundTrips += o.RoundTrips
	s.Hosts++
}

// Sink receives events. Sinks are called from one goroutine at a time.
type Sink interface {
	Event(Event)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

// Event implements Sink.
func (f SinkFunc) Event(e Event) { f(e) }

// Sinks fans events out to several sinks.
type Sinks []Sink

// Event implements Sink.
func (s Sinks) Event(e Event) {
	for _, x := range s {
		x.Event(e)
	}
}
