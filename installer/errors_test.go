package installer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// A failure on a host gets the hint of its cause: a sudo refusal is not a
// host that stopped answering.
func TestHintFor(t *testing.T) {
	sudo := fmt.Errorf("run apt-get: %w: a password is required", transport.ErrSudo)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"sudo refused", &StepError{Host: "h", Step: "Base packages", Err: sudo}, "sudo_password"},
		{"connect refused key", &StepError{Host: "h", Step: stepConnect, Err: &transport.AuthError{User: "u", Addr: "h:22", Reason: "no key accepted"}}, "authorized_keys"},
		{"link lost", &StepError{Host: "h", Step: "Base packages", Err: &transport.ConnectError{Addr: "h:22", Reason: "connection lost"}}, "stopped answering"},
		{"stopped", &StepError{Host: "h", Step: "Base packages", Err: context.Canceled}, "run was stopped"},
	}
	for _, tt := range tests {
		if got := hintFor(tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("%s: hint %q lacks %q", tt.name, got, tt.want)
		}
	}
}
