package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

func TestText(t *testing.T) {
	passed := true
	tests := []struct {
		name    string
		verbose bool
		events  []installer.Event
		want    string
	}{
		{"pending change with its diff", false, []installer.Event{
			{Type: installer.EventResourcePending, Host: "h", Step: "nginx", Resource: "file /etc/a", Action: installer.ActionUpdate, Message: "update: content", Diff: "-y\n+x"},
		}, "[h] == nginx\n[h]    ~ file /etc/a: update: content\n[h]      -y\n[h]      +x\n"},
		{"new file in one line", false, []installer.Event{
			{Type: installer.EventResourcePending, Host: "h", Step: "nginx", Resource: "file /etc/a", Action: installer.ActionCreate, Message: "create: root:root 0644, 2 bytes", Diff: "+x"},
		}, "[h] == nginx\n[h]    + file /etc/a: create: root:root 0644, 2 bytes\n"},
		{"unchanged only when verbose", false, []installer.Event{
			{Type: installer.EventResourceOK, Host: "h", Step: "nginx", Resource: "file /etc/a"},
		}, ""},
		{"unchanged when verbose", true, []installer.Event{
			{Type: installer.EventResourceOK, Host: "h", Step: "nginx", Resource: "file /etc/a"},
		}, "[h] == nginx\n[h]    = file /etc/a\n"},
		{"failure with its hint", false, []installer.Event{
			{Type: installer.EventResourceFailed, Host: "h", Error: "connect h:22: refused\nsecond line", Hint: "check sshd"},
		}, "[h]    ✗ failed: connect h:22: refused\n[h]      second line\n[h]      hint: check sshd\n"},
		{"a step that changes nothing has no title", false, []installer.Event{
			{Type: installer.EventStepStarted, Host: "h", Step: "Preflight"},
			{Type: installer.EventResourceOK, Host: "h", Step: "Preflight", Resource: "file /etc/a"},
			{Type: installer.EventStepFinished, Host: "h", Step: "Preflight"},
			{Type: installer.EventStepStarted, Host: "h", Step: "Base packages"},
			{Type: installer.EventResourceStarted, Host: "h", Step: "Base packages", Resource: "packages nginx", Action: installer.ActionInstall},
			{Type: installer.EventResourceChanged, Host: "h", Step: "Base packages", Resource: "packages nginx", Action: installer.ActionInstall, Message: "install", Duration: time.Second},
		}, "[h] == Base packages\n[h]    ✓ packages nginx: install (1s)\n"},
		{"check", false, []installer.Event{
			{Type: installer.EventCheck, Host: "h", Resource: "https", Passed: &passed},
		}, "[h]    pass https\n"},
		{"summary", false, []installer.Event{
			{Type: installer.EventRunFinished, Message: "plan", Summary: &installer.Summary{Hosts: 1, Pending: 2, Unchanged: 3, RoundTrips: 2, Duration: 1500 * time.Millisecond}},
		}, "Summary: 1 host(s), 2 to change, 3 unchanged, 0 failed, 0 handler(s), 2 round trip(s), 1.5s\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			text := &Text{W: &b, Verbose: tc.verbose}
			for _, e := range tc.events {
				text.Event(e)
			}
			if b.String() != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tc.want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	sink := installer.Sinks{JSON{W: &b}}
	sink.Event(installer.Event{Type: installer.EventWarning, Host: "h", Message: "careful"})
	sink.Event(installer.Event{Type: installer.EventRunStarted, Message: "run x"})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line an event, got %q", b.String())
	}
	var e installer.Event
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil || e.Type != installer.EventWarning || e.Host != "h" || e.Message != "careful" {
		t.Errorf("first line %s: %+v, %v", lines[0], e, err)
	}
}
