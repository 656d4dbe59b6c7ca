package tui

import "charm.land/bubbles/v2/key"

// keyMap is every key of the screens after the form: the key handling
// matches these bindings, and each stage's footer and ? page are made from
// the same bindings, so the help cannot tell of keys that do not work.
type keyMap struct {
	Help key.Binding
	Log  key.Binding

	// Planning, applying and verifying.
	StopPlan, StopApply, StopVerify key.Binding
	ConfirmStop, KeepGoing          key.Binding

	// Review of the plan.
	Apply, Select, Down, PageDown, PageUp, Diff key.Binding
	Save, Replan, Back, Quit                    key.Binding

	// Saving the answers.
	SaveConfirm, SaveCancel key.Binding

	// Done.
	Close key.Binding

	// The form's own keys (huh handles them; the app watches FormPrev and
	// takes FormBack).
	FormNext, FormPrev, FormBack, FormChoose, FormQuit, FormHelp key.Binding
}

func newKeyMap() keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Help: b("?", "keys", "?", "f1"),
		Log:  b("l", "log", "l"),

		StopPlan:    b("ctrl+c", "stop planning", "ctrl+c"),
		StopApply:   b("ctrl+c", "stop after the resource in progress", "ctrl+c"),
		StopVerify:  b("ctrl+c", "stop", "ctrl+c"),
		ConfirmStop: b("y", "stop", "y"),
		KeepGoing:   b("n", "go on", "n", "esc"),

		Apply:    b("enter", "apply", "enter", "y"),
		Select:   b("↑/↓", "select a change", "up", "k", "shift+tab"),
		Down:     b("", "", "down", "j", "tab"),
		PageDown: b("", "", "pgdown"),
		PageUp:   b("", "", "pgup"),
		Diff:     b("d", "its diff", "d", "space", "right", "left"),
		Save:     b("s", "save answers", "s"),
		Replan:   b("r", "plan again", "r"),
		Back:     b("esc", "change answers", "esc", "b"),
		Quit:     b("q", "quit", "q", "ctrl+c"),

		SaveConfirm: b("enter", "save", "enter"),
		SaveCancel:  b("esc", "cancel", "esc", "ctrl+c"),

		Close: b("q/enter", "quit", "q", "enter", "esc", "ctrl+c"),

		FormNext:   b("enter/tab", "next field"),
		FormPrev:   b("shift+tab", "previous field", "shift+tab"),
		FormBack:   b("esc", "previous page", "esc"),
		FormChoose: b("←/→ y/n", "choose"),
		FormQuit:   b("ctrl+c", "quit"),
		FormHelp:   b("?", "keys (outside text fields)"),
	}
}

// closesHelp are the keys that close the ? page.
var closesHelp = key.NewBinding(key.WithKeys("?", "f1", "esc", "q", "enter"))

// help is what stage s lists in its footer and on its ? page, in order.
func (k keyMap) help(s stage) []key.Binding {
	switch s {
	case stageForm:
		return []key.Binding{k.FormNext, k.FormPrev, k.FormBack, k.FormChoose, k.FormQuit, k.FormHelp}
	case stagePlanning:
		return []key.Binding{k.Log, k.StopPlan, k.Help}
	case stageReview:
		return []key.Binding{k.Apply, k.Select, k.Diff, k.Save, k.Replan, k.Back, k.Quit, k.Help}
	case stageSave:
		return []key.Binding{k.SaveConfirm, k.SaveCancel}
	case stageApplying:
		return []key.Binding{k.Log, k.StopApply, k.Help}
	case stageVerifying:
		return []key.Binding{k.Log, k.StopVerify, k.Help}
	case stageDone:
		return []key.Binding{k.Close, k.Log, k.Help}
	}
	return nil
}
