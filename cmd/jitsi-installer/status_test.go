package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/golden"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/steps"
)

func TestStatusText(t *testing.T) {
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	three, stress := 3, 0.05
	healthy := &steps.HostStatus{
		Host: "meet.example.com", Time: at, Version: "2.0.10078",
		Services: []steps.ServiceStatus{{Name: "prosody", State: "active", Sub: "running", Uptime: 3 * time.Hour},
			{Name: "jitsi-videobridge2", State: "inactive", Sub: "dead"}},
		Packages: []steps.PackageStatus{{Name: "jitsi-meet", Installed: "2.0.10078-1", Pinned: "2.0.10078-1", AtPin: true},
			{Name: "jicofo", Installed: "1.0-1062-1", Pinned: "1.0-1100-1"}},
		XMPP:        &three,
		Conferences: &steps.Conferences{Source: "prosody", Conferences: 1, Participants: 2},
		Bridge:      &steps.BridgeStatus{Healthy: true, StressLevel: &stress},
		Cert:        &steps.CertStatus{Path: "/etc/jitsi/meet/meet.example.com.crt", NotAfter: at.AddDate(0, 0, 89), DaysLeft: 89},
		Keys:        &steps.KeysStatus{Kids: []string{"k1", "k2"}, Refreshed: at.Add(-20 * time.Second), Result: "success"},
		LastRun: &installer.RunInfo{ID: "20261201T015500Z-a1b2c3", Status: "finished", User: "ops@laptop", Command: "install",
			Started: at.Add(-5 * time.Minute), Applied: 1, Changes: []installer.JournalEntry{{Step: "Jicofo", Resource: "file /etc/jitsi/jicofo/jicofo.conf", Action: "update"}}},
		Drift:    []string{"file /etc/jitsi/meet/meet.example.com-config.js: update: content"},
		Problems: []string{"jitsi-videobridge2 is inactive"},
	}
	bridge := &steps.HostStatus{
		Host: "203.0.113.21", Role: answers.RoleVideobridge, Time: at, Version: "2.0.10078",
		Services: []steps.ServiceStatus{{Name: "jitsi-videobridge2", State: "active", Sub: "running", Uptime: time.Hour}},
		Packages: []steps.PackageStatus{{Name: "jitsi-videobridge2", Installed: "2.3-200-g1c5e9d1f-1", Pinned: "2.3-200-g1c5e9d1f-1", AtPin: true}},
		Bridge:   &steps.BridgeStatus{Healthy: true, Conferences: 1, Participants: 2},
		Drift:    []string{}, Problems: []string{},
	}
	down := &steps.HostStatus{Host: "203.0.113.11", Error: "dial tcp 203.0.113.11:22: connection refused"}
	var b bytes.Buffer
	renderStatus(&b, &statusReport{Hosts: []*steps.HostStatus{healthy, bridge, down}})
	b.WriteString("--- watch lines\n" + statusLine(healthy) + "\n" + statusLine(bridge) + "\n" + statusLine(down) + "\n")
	golden.Assert(t, "testdata/status.golden", b.Bytes())
}

func TestStatusReportExit(t *testing.T) {
	tests := []struct {
		r    statusReport
		want int
	}{
		{statusReport{Healthy: true}, exitOK},
		{statusReport{Healthy: false}, exitFailed},
		{statusReport{Healthy: false, unreachable: true}, exitConnect},
	}
	for _, tt := range tests {
		if got := exitCode(tt.r.exit()); got != tt.want {
			t.Errorf("%+v: exit %d, want %d", tt.r, got, tt.want)
		}
	}
}
