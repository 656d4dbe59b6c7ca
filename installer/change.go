package installer

import (
	"context"
	"fmt"
	"strings"
)

// Action is what applying a change does to a resource, as plans, events and
// the journal name it.
type Action string

// The actions resources plan.
const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionReplace Action = "replace"
	ActionInstall Action = "install"
	ActionUpgrade Action = "upgrade"
	ActionFetch   Action = "fetch"
	ActionPreseed Action = "preseed"
	ActionAdd     Action = "add"
	ActionDelete  Action = "delete"
	ActionEnable  Action = "enable"
	ActionService Action = "service"
	ActionStop    Action = "stop"
	ActionRun     Action = "run"
	ActionReport  Action = "report" // drift shown and kept: nothing to apply
)

// Change is what differs for one resource and how to fix it.
type Change struct {
	Action  Action
	Details []Detail // what differs, one each: mode 0644 -> 0640
	Diff    string   // unified diff of file content, secrets masked
	Warn    string   // shown in the plan, e.g. an option that exposes a port
	Hint    string   // shown when applying fails: what the operator can do
	// Report marks drift shown but left as is (the answers say to keep
	// it): not a pending change, nothing to apply.
	Report bool
	// Apply makes the change on h; Hint is shown when it fails.
	Apply   func(ctx context.Context, h *Host) error
	applied bool
	failed  bool
}

// Detail is one thing that differs: Field names what, From is what the host
// has and To what is declared ("" for none). Text says it for people, on
// one line ("" when another detail's text says it).
type Detail struct {
	Field string `json:"field"`
	Name  string `json:"name,omitempty"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Text  string `json:"text,omitempty"`
}

// Fields of a Detail; README "Plan output" documents them.
const (
	FieldContent = "content" // file content (the diff is in Change.Diff)
	FieldMode    = "mode"    // 0644
	FieldOwner   = "owner"   // user:group
	FieldType    = "type"    // file, symlink, directory, absent
	FieldTarget  = "target"  // a symlink's target
	FieldGuard   = "guard"   // a command's guard: Name the condition, From what was found
	FieldEnabled = "enabled" // a unit's enablement: enabled, disabled, ...
	FieldState   = "state"   // a unit's active state: active, inactive, failed, ...
	FieldRule    = "rule"    // a UFW rule: To when missing, From when not declared
	FieldVersion = "version" // a package's version, Name the package
	FieldKey     = "key"     // an apt key's fingerprints
	FieldValue   = "value"   // a debconf answer
	FieldSize    = "size"    // a new file's size in bytes, To only: the plan prints it
	FieldNote    = "note"    // anything else
)

// Note is a Detail that is only text.
func Note(format string, a ...any) Detail {
	return Detail{Field: FieldNote, Text: fmt.Sprintf(format, a...)}
}

// FromTo is a Detail "FIELD FROM -> TO".
func FromTo(field, from, to string) Detail {
	return Detail{Field: field, From: from, To: to, Text: field + " " + or(from, "none") + " -> " + or(to, "none")}
}

// Summary is the one-line description used in plans and events.
func (c *Change) Summary() string {
	if len(c.Details) == 0 {
		return string(c.Action)
	}
	var texts []string
	for _, d := range c.Details {
		if d.Text != "" { // said by another detail's text
			texts = append(texts, strings.ReplaceAll(d.Text, "\n", "; "))
		}
	}
	if len(texts) == 0 {
		return string(c.Action)
	}
	return string(c.Action) + ": " + strings.Join(texts, ", ")
}

// or is s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
