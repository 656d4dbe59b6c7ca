package installer

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// Host is one target during a run: its connection, what its queries found,
// and the secrets to keep out of every line of output.
type Host struct {
	Name    string // as shown in output: the address from the answers file
	Address string
	Port    int // the SSH port this run is connected through
	User    string
	Role    string // the role whose steps this host runs; empty without roles
	Via     string // the jump hosts SSH goes through (Target.Via); empty: none
	T       transport.Transport

	RunID string
	// Data is what the front end knows the host by, handed on from
	// Target.Data for the steps (the answers file's entry of the host).
	Data any

	backups  string
	facts    map[string]Probed
	redactor *Redactor
	mu       sync.Mutex
	warnings []string
	emit     func(Event)
	step     string
	list     []Step // the steps of the host's role
	// sets are the Outputs the host's steps set, by the step that sets
	// each; written only from the host's own goroutine.
	sets map[Source]string

	valuesMu sync.Mutex
	values   map[any]any // HostValue's, by the HostValue's address
	parsed   map[any]any // Fact's answers, by the Fact's address; cleared with facts
}

// produced records that the step declaring on h sets o.
func (h *Host) produced(o Source) {
	if h.step == "" {
		return
	}
	if h.sets == nil {
		h.sets = map[Source]string{}
	}
	h.sets[o] = h.step
}

// Fact is a query whose answer the steps read as a T: parsed once per host
// each time the engine asks the queries, however many steps read it.
type Fact[T any] struct {
	Name  string
	Args  []string
	Parse func(out string, code int) T
}

// Query is the fact's query, for a step's Queries.
func (f *Fact[T]) Query() Query { return Query{Name: f.Name, Args: f.Args} }

// Get returns the fact's answer on h, parsed.
func (f *Fact[T]) Get(h *Host) T {
	return h.remember(&h.parsed, f, func() any { return f.Parse(h.fact(f.Name), h.factCode(f.Name)) }).(T)
}

// FactFamily is a Fact for each of several keys (a user, a host name):
// key's query is named Prefix+key, and its answer is parsed once per host
// and key, as a Fact's is.
type FactFamily[T any] struct {
	Prefix string
	Parse  func(out string, code int) T
}

// familyKey names one member of a family among the parsed answers.
type familyKey struct {
	family any
	key    string
}

// Query is key's query, for a step's Queries.
func (f *FactFamily[T]) Query(key string, args ...string) Query {
	return Query{Name: f.Prefix + key, Args: args}
}

// Get returns key's answer on h, parsed.
func (f *FactFamily[T]) Get(h *Host, key string) T {
	name := f.Prefix + key
	return h.remember(&h.parsed, familyKey{f, key}, func() any { return f.Parse(h.fact(name), h.factCode(name)) }).(T)
}

// setFacts replaces what the queries answered, and what was parsed of it.
func (h *Host) setFacts(facts map[string]Probed) {
	h.valuesMu.Lock()
	defer h.valuesMu.Unlock()
	h.facts, h.parsed = facts, nil
}

// HostValue is a value of one host for one run, kept in its Host: made by
// the first step of the host that asks, the same for every step after it,
// gone with the run. Its address names the value: declare one per kind of
// value, in the steps' shared state.
type HostValue[T any] struct{ _ byte } // not zero-sized: each has its own address

// Get returns h's value, made by newValue when h has none yet. A host's
// steps declare one after the other; newValue may ask for other values.
func (v *HostValue[T]) Get(h *Host, newValue func() T) T {
	return h.remember(&h.values, v, func() any { return newValue() }).(T)
}

// remember returns (*m)[key], made by newValue and kept when missing.
// newValue runs outside the lock: it may read other values.
func (h *Host) remember(m *map[any]any, key any, newValue func() any) any {
	h.valuesMu.Lock()
	v, ok := (*m)[key]
	h.valuesMu.Unlock()
	if ok {
		return v
	}
	v = newValue()
	h.valuesMu.Lock()
	defer h.valuesMu.Unlock()
	if *m == nil {
		*m = map[any]any{}
	}
	(*m)[key] = v
	return v
}

// DefaultBackups is where runs keep the files they replace, by run id.
const DefaultBackups = "/var/backups/jitsi-installer"

// BackupDir is where this run keeps the files it replaces.
func (h *Host) BackupDir() string { return path.Join(or(h.backups, DefaultBackups), h.RunID) }

// fact returns the trimmed output of the named query: steps read it
// through a Fact or FactFamily, parsed once.
func (h *Host) fact(name string) string { return strings.TrimSpace(h.facts[name].Out) }

// factCode returns the exit status of the named query (-1 if it did not run).
func (h *Host) factCode(name string) int {
	p, ok := h.facts[name]
	if !ok {
		return -1
	}
	return p.Code
}

// Warn records a warning shown in the plan and the run's output.
func (h *Host) Warn(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	h.mu.Lock()
	// A step declared again after an earlier change (the run asks the
	// host again) says the same once.
	said := slices.Contains(h.warnings, msg)
	if !said {
		h.warnings = append(h.warnings, msg)
	}
	h.mu.Unlock()
	if h.emit != nil && !said {
		h.emit(Event{Type: EventWarning, Host: h.Name, Step: h.step, Message: msg})
	}
}

// Progress says how far the resource being applied is, in its own words
// (apt's "42% Unpacking jicofo"); the terminal's status line shows it.
func (h *Host) Progress(msg string) {
	if h.emit != nil {
		h.emit(Event{Type: EventResourceProgress, Host: h.Name, Step: h.step, Message: msg})
	}
}

// Secret registers a value that must never appear in output.
func (h *Host) Secret(v string) {
	if h.redactor != nil {
		h.redactor.Add(v)
	}
}

// UseRedactor makes r the store of the secrets steps register on h (the
// engine shares its own; installertest gives each host one).
func (h *Host) UseRedactor(r *Redactor) { h.redactor = r }

// Redact returns s with every secret registered so far masked.
func (h *Host) Redact(s string) string { return h.redactor.String(s) }

// Warnings returns what steps warned about so far.
func (h *Host) Warnings() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.warnings...)
}

// SetFact records what the named query answered on h, before its steps
// declare. The engine fills in its queries' answers itself; installertest
// sets them for steps tested without a connection.
func (h *Host) SetFact(name string, p Probed) {
	if h.facts == nil {
		h.facts = map[string]Probed{}
	}
	h.facts[name] = p
	h.valuesMu.Lock()
	h.parsed = nil
	h.valuesMu.Unlock()
}
