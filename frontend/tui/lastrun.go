package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// unresolved stands in for a reference of the last run's answers that
// cannot be resolved on this machine. Marshal writes the reference back, so
// the value never reaches a host: the answers are read again, with the real
// environment and files, before anything is planned.
const unresolved = "unresolved"

// lastRunMsg is the answers read from the target, or why there are none.
type lastRunMsg struct {
	cfg  *answers.Config
	note string
}

// wantsLastRun reports whether the answers of the last run on the target
// are still to be read: the operator has just given a target whose answers
// were not read yet, and no answers file gave the defaults.
func (o Options) wantsLastRun(v *values, read string) bool {
	return o.LastRun != nil && o.Defaults == nil && v.Address != "" && v.targetKey() != read
}

// targetKey identifies the target the last run's answers come from, and
// how they are read: a sudo password mended after a refusal reads again.
func (v *values) targetKey() string {
	return strings.Join([]string{v.Address, v.Port, v.User, v.Auth, v.KeyFile, v.SudoPassword}, "\x00")
}

// target is the answers for connecting to the host the form edits only.
func (v *values) target() *answers.Config {
	c := v.config()
	c.Hosts = []answers.Host{c.Hosts[v.core]}
	return c
}

// readLastRun reads the answers recorded on target's host. A host without
// them gives no note; one that cannot be read or whose answers cannot be used
// gives a note that says why, and no answers.
func readLastRun(ctx context.Context, o Options, target *answers.Config, ask Asker) lastRunMsg {
	host := target.Hosts[0].Address
	data, when, err := o.LastRun(ctx, target, ask)
	switch {
	case err != nil && errors.Is(err, transport.ErrSudo):
		return lastRunMsg{note: fmt.Sprintf("No defaults from the last run on %s: %s. Every change needs sudo: go back (shift+tab) to the sudo password.",
			host, firstLine(strings.TrimSpace(err.Error())))}
	case err != nil:
		return lastRunMsg{note: fmt.Sprintf("No defaults from the last run on %s: %s", host, firstLine(strings.TrimSpace(err.Error())))}
	case data == nil:
		return lastRunMsg{}
	}
	cfg, err := answers.Parse(host+":answers.yaml", data, answers.Options{
		Dir:            filepath.Dir(o.File),
		SkipFileChecks: true,
		LookupEnv: func(k string) (string, bool) {
			if s, ok := os.LookupEnv(k); ok {
				return s, true
			}
			return unresolved, true
		},
		ReadFile: func(p string) ([]byte, error) {
			if b, err := os.ReadFile(p); err == nil {
				return b, nil
			}
			return []byte(unresolved), nil
		},
	})
	if err != nil {
		return lastRunMsg{note: fmt.Sprintf("The answers of the last run on %s cannot be used: %s", host, firstLine(strings.TrimSpace(err.Error())))}
	}
	return lastRunMsg{cfg: cfg, note: fmt.Sprintf("Defaults from the last run on %s (%s).", host, when.Format("2006-01-02 15:04"))}
}

// adopt takes every answer of cfg but the target's, which the operator has
// just given. The form's fields point into v, so v is changed in place.
func (v *values) adopt(cfg *answers.Config) {
	n := newValues(cfg)
	n.Address, n.Port, n.User, n.Auth = v.Address, v.Port, v.User, v.Auth
	n.KeyFile, n.SudoPassword = v.KeyFile, v.SudoPassword
	*v = *n
}

// onJitsiPage reports whether the form has just reached the first page
// after the target.
func (a *app) onJitsiPage() bool {
	return a.form.domain != nil && a.huh.GetFocusedField() == huh.Field(a.form.domain)
}

// startLastRun reads the last run's answers from the target the operator
// has just given, before the pages they are the defaults of.
func (a *app) startLastRun() tea.Cmd {
	a.lastRead, a.readingLast = a.v.targetKey(), true
	a.form.lastNote = ""
	target, ask := a.v.target(), &screenAsker{send: a.send, ctx: a.ctx}
	return tea.Batch(a.spin.Tick, a.op(func() tea.Msg { return readLastRun(a.ctx, a.o, target, ask) }))
}

// lastRunDone starts the pages after the target again from the answers read.
func (a *app) lastRunDone(m lastRunMsg) tea.Cmd {
	a.readingLast, a.form.lastNote = false, m.note
	if m.cfg == nil {
		return nil
	}
	a.v.adopt(m.cfg)
	a.huh = a.form.newForm()
	cmds := []tea.Cmd{a.huh.Init()}
	for range a.form.pages() {
		if a.onJitsiPage() {
			break
		}
		cmds = append(cmds, a.huh.NextGroup())
	}
	m2, cmd := a.huh.Update(a.formSize())
	a.huh = m2.(*huh.Form)
	return tea.Batch(append(cmds, cmd)...)
}
