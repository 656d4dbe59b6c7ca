package transport

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Each cause of a failed connection gets the hint that fits it.
func TestHint(t *testing.T) {
	dial := func(err error) error {
		return connectError("203.0.113.10:22", &net.OpError{Op: "dial", Net: "tcp", Err: err}, 10*time.Second)
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"refused", dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), "nothing listens on that port"},
		{"no route", dial(os.NewSyscallError("connect", syscall.EHOSTUNREACH)), "no route to the host"},
		{"network unreachable", dial(os.NewSyscallError("connect", syscall.ENETUNREACH)), "no route to the host"},
		{"timeout", dial(os.ErrDeadlineExceeded), "did not answer in time"},
		{"dns", connectError("meet.invalid:22", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "meet.invalid"}}, time.Second), "does not resolve"},
		{"authentication", &AuthError{User: "deploy", Addr: "203.0.113.10:22", Reason: "no key accepted"}, "authorized_keys"},
		{"host key", &HostKeyError{Addr: "203.0.113.10:22", Kind: HostKeyUnknown}, "fingerprint"},
		{"sudo", fmt.Errorf("run apt-get: %w: a password is required", ErrSudo), "allow the SSH user to run sudo without a password, or set hosts[].sudo_password"},
		{"sudo password wrong", fmt.Errorf("run apt-get: %w for deploy", ErrSudoPassword), "hosts[].sudo_password in the answers file is not"},
		{"other", fmt.Errorf("run apt-get: exit status 100"), ""},
	}
	for _, tt := range tests {
		got := Hint(tt.err)
		if tt.want == "" {
			if got != "" {
				t.Errorf("%s: hint %q, want none", tt.name, got)
			}
			continue
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: hint %q lacks %q", tt.name, got, tt.want)
		}
	}
}
