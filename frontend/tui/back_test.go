package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

// Every page lets the operator go back from a field that holds an invalid
// answer, with shift+tab and with esc, and lands on a page with a field
// focused; coming forward again, the answer is still there and refused
// until it is mended.
func TestFormBackFromInvalidField(t *testing.T) {
	s := startScreen(t, Options{Prepare: func(*answers.Config, Asker, installer.Sink) (*workflow.Run, error) {
		return nil, errors.New("not in this test")
	}})
	const bad = "x;y"
	pages := []struct {
		title, field string // the page and the field left invalid
		down         int    // enters from the page's first field to it
		prev         string // what only the page before shows
		good         string // the answer that mends it
		after        int    // enters from the mended field to the next page
	}{
		{"Jitsi Meet", "Meeting domain", 0, "Target server", "meet.example.com", 2},
		{"Let's Encrypt", "Email", 0, "Meeting domain", "ops@example.com", 2},
		{"Janssen", "Issuer URL", 0, "Contact address of the ACME account", "https://login.example.com", 2},
		{"Janssen tokens", "Client id", 2, "Issuer URL", "jitsi-meet", 1},
	}

	s.waitFor("Target server", "┃ Address")
	s.typeText(bad)
	s.shiftTab() // the first page has none before it: its field stays focused
	s.waitFor("Target server", "┃ Address")
	s.press(enter)
	s.waitFor("┃ Address", " * ")
	s.press(bs, bs, bs)
	s.typeText("203.0.113.10")
	for range 4 {
		s.pressAndWait(enter)
	}

	for _, p := range pages {
		for range p.down {
			s.pressAndWait(enter)
		}
		s.waitFor(p.title, "┃ "+p.field)
		s.typeText(bad)
		back := func(how string, keys func()) {
			keys()
			s.waitGone("┃ " + p.field)
			s.waitFor(p.prev)
			for deadline := time.Now().Add(5 * time.Second); focused(s.screenNow()) == ""; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%s from %q holding %q: the page before shows no focused field:\n%s", how, p.field, bad, s.screenNow())
				}
			}
			for i := 0; !strings.Contains(s.screenNow(), "┃ "+p.field); i++ {
				if i == 10 {
					t.Fatalf("tab from %q never comes back to %q:\n%s", p.prev, p.field, s.screenNow())
				}
				s.pressAndWait(tea.KeyTab)
			}
			v := s.waitFor("┃ " + p.field)
			if !strings.Contains(v, bad) {
				t.Fatalf("%s and forward again: %q lost its answer %q:\n%s", how, p.field, bad, v)
			}
		}
		back("shift+tab", func() {
			for range p.down + 1 {
				s.shiftTab()
			}
		})
		back("esc", func() { s.press(tea.KeyEscape) })
		s.press(enter)
		s.waitFor("┃ "+p.field, " * ") // refused, and still focused
		for range bad {
			s.press(bs)
		}
		s.typeText(p.good)
		for range p.after {
			s.pressAndWait(enter)
		}
	}
	s.waitFor("Manage the firewall (UFW)?")
}

// waitGone waits until the screen no longer shows what.
func (s *screen) waitGone(what string) {
	s.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); strings.Contains(s.screenNow(), what); {
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen still shows %q:\n%s", what, s.screenNow())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pressAndWait presses k and waits for the focus to move: huh moves it in
// a message of its own, after the key.
func (s *screen) pressAndWait(k rune) {
	s.t.Helper()
	before := focused(s.screenNow())
	s.press(k)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if f := focused(s.screenNow()); f != before && f != "" {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the focus does not move on key %q:\n%s", k, s.screenNow())
		}
	}
}

// focused is the title of the focused field, the first line the form marks.
func focused(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "┃") {
			return l
		}
	}
	return ""
}

func (s *screen) shiftTab() { s.tm.Send(tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}) }

// screenNow is what the app last rendered.
func (s *screen) screenNow() string {
	if p := s.view.Load(); p != nil {
		return *p
	}
	return ""
}
