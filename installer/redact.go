package installer

import (
	"sort"
	"strings"
	"sync"
)

// Redacted replaces every secret in output.
const Redacted = "<redacted>"

// Redactor removes registered secrets from text. It is shared by all hosts of
// a run so a secret of one host never shows in another's lines.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// NewRedactor returns a Redactor for the given secrets.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		r.Add(s)
	}
	return r
}

// Add registers a secret. Values shorter than 4 bytes are ignored: they
// would blank out ordinary words.
func (r *Redactor) Add(s string) {
	if len(s) < 4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, have := range r.secrets {
		if have == s {
			return
		}
	}
	r.secrets = append(r.secrets, s)
	// Longest first, so a secret containing another is replaced whole.
	sortLongestFirst(r.secrets)
}

func sortLongestFirst(ss []string) {
	sort.SliceStable(ss, func(i, j int) bool { return len(ss[i]) > len(ss[j]) })
}

// values returns the registered secrets, longest first.
func (r *Redactor) values() []string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]string(nil), r.secrets...)
}

// String returns s with every secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	return s
}
