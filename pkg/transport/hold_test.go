package transport

import (
	"bufio"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// A held command runs as root (through sudo with a password too), reads
// what the caller writes while held, and ends when its stdin is closed.
func TestHold(t *testing.T) {
	const password = "sudo-secret-3"
	tests := []struct {
		name string
		tr   func(t *testing.T) Holder
	}{
		{"ssh as root", func(t *testing.T) Holder { return newTestHost(t, sshtest.Options{}).mustDial(t, nil) }},
		{"ssh through sudo", func(t *testing.T) Holder {
			h := newSudoHost(t, password)
			return h.dialSudo(t, password)
		}},
		{"local", func(t *testing.T) Holder {
			t.Setenv("PATH", sshtest.FakeSudo(t, "")) // not root: sudo -n
			return NewLocal()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			held, err := tc.tr(t).Hold(t.Context(), Cmd{Sudo: true, Args: []string{"sh", "-c", `echo ready; while read -r l; do echo "got $l"; done; echo bye`}})
			if err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(held.Stdout)
			if l, _ := r.ReadString('\n'); l != "ready\n" {
				t.Fatalf("first line %q", l)
			}
			held.Write([]byte("beat\n"))
			if l, _ := r.ReadString('\n'); l != "got beat\n" {
				t.Errorf("echo %q", l)
			}
			go func() { _, _ = held.Close(10 * time.Second) }()
			if l, _ := r.ReadString('\n'); l != "bye\n" {
				t.Errorf("after close %q", l)
			}
			select {
			case <-held.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("still running after its stdin closed")
			}
		})
	}

	t.Run("wrong sudo password", func(t *testing.T) {
		h := newSudoHost(t, password)
		s := h.dialSudo(t, "wrong")
		_, err := s.Hold(t.Context(), Cmd{Sudo: true, Args: []string{"cat"}})
		if !errors.Is(err, ErrSudo) || !strings.Contains(err.Error(), "wrong sudo password") {
			t.Errorf("err = %v", err)
		}
	})
}
