package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

func TestExitCodes(t *testing.T) {
	lost := &transport.ConnectError{Addr: "h:22", Reason: "connection lost: the host answered no keepalive for 45s"}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"step failed", &installer.StepError{Host: "h", Step: "s", Err: errors.New("boom")}, exitFailed},
		{"locked", &installer.LockedError{Host: "h", Holder: "run-1 2026-12-01T00:00:00Z alice@laptop"}, exitLocked},
		{"link died mid-run", &installer.StepError{Host: "h", Step: "s", Err: fmt.Errorf("run apt-get: %w", lost)}, exitConnect},
		{"unreachable", &installer.StepError{Host: "h", Step: "connect", Err: &transport.ConnectError{Addr: "h:22", Reason: "connection refused"}}, exitConnect},
		{"host key", fmt.Errorf("h: %w", &transport.HostKeyError{Addr: "h:22", Kind: transport.HostKeyChanged}), exitConnect},
		{"stopped by Ctrl+C", &installer.StepError{Host: "h", Step: "s", Err: &installer.StoppedError{Before: "file /etc/x", Err: context.Canceled}}, exitStopped},
		{"stopped while connecting", &installer.StepError{Host: "h", Step: "connect", Err: &transport.ConnectError{Addr: "h:22", Reason: "canceled", Err: context.Canceled}}, exitStopped},
		{"bad answers", fmt.Errorf("load: %w", &answers.Problems{}), exitInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := exitCode(tc.err); got != tc.want {
				t.Errorf("exit %d, want %d", got, tc.want)
			}
		})
	}
}
