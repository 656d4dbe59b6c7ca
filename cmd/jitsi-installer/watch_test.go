package main

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/jitsi-installer/jitsi-installer/steps"
)

func TestWatchView(t *testing.T) {
	m := &watchModel{interval: 5 * time.Second}
	if v := m.View(); !strings.Contains(v.Content, "reading status") {
		t.Errorf("before the first reading: %q", v.Content)
	}
	r := &statusReport{Healthy: false, Hosts: []*steps.HostStatus{{Host: "meet.example.com", Problems: []string{"jicofo is failed"}}}}
	_, cmd := m.Update(reportMsg{r: r, at: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)})
	if cmd == nil {
		t.Fatal("no tick after a reading")
	}
	v := m.View()
	for _, want := range []string{"NOT HEALTHY, read 02:00:00", "meet.example.com: UNHEALTHY", "problem     jicofo is failed", "every 5s", "q quit"} {
		if !strings.Contains(v.Content, want) {
			t.Errorf("view lacks %q:\n%s", want, v.Content)
		}
	}
	if !v.AltScreen {
		t.Error("the live view is not on the alternate screen")
	}
	if _, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"}); cmd == nil || cmd() != tea.Quit() {
		t.Error("q does not quit")
	}
}
