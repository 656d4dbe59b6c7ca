package transport

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
	"golang.org/x/crypto/ssh"
)

// newJumpHost is a test server that forwards connections (or not), with
// its own key and known_hosts file.
func newJumpHost(t *testing.T, forward bool) *testHost {
	t.Helper()
	return newTestHost(t, sshtest.Options{Forward: forward})
}

// hopOf is the options that reach h as a jump host.
func (h *testHost) hopOf() SSHOptions {
	o := h.opts
	o.KnownHostsFile = ""
	o.HostKey = h.srv.PinnedHostKey()
	return o
}

func TestJumpRunsCommandsOnTheTarget(t *testing.T) {
	target := newTestHost(t, sshtest.Options{})
	tests := []struct {
		name string
		hops []*testHost
	}{
		{"one jump host", []*testHost{newJumpHost(t, true)}},
		{"a chain of two", []*testHost{newJumpHost(t, true), newJumpHost(t, true)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			execs := target.srv.Execs()
			s := target.mustDial(t, func(o *SSHOptions) {
				for _, h := range tc.hops {
					o.Jump = append(o.Jump, h.hopOf())
				}
			})
			res := mustRun(t, s, Cmd{Args: []string{"echo", "on the target"}})
			if string(res.Stdout) != "on the target\n" {
				t.Errorf("stdout %q", res.Stdout)
			}
			if got := target.srv.Execs() - execs; got != 1 {
				t.Errorf("target ran %d commands, want 1", got)
			}
			for i, h := range tc.hops {
				if h.srv.Execs() != 0 || h.srv.Forwards() != 1 {
					t.Errorf("jump host %d: %d commands, %d forwards; want 0 and 1", i+1, h.srv.Execs(), h.srv.Forwards())
				}
			}
			// Each connection is a round trip, the command another.
			if got, want := s.RoundTrips(), len(tc.hops)+2; got != want {
				t.Errorf("RoundTrips = %d, want %d", got, want)
			}
			// Files go through the jump too (sftp as root).
			p := t.TempDir() + "/through"
			if err := s.WriteFile(t.Context(), File{Path: p, Data: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			if got, err := s.ReadFile(t.Context(), p); err != nil || string(got) != "x" {
				t.Errorf("ReadFile = %q, %v", got, err)
			}
		})
	}
}

// Each jump host has its own host-key check and credentials; a failure
// there names the jump host and never reaches the target.
func TestJumpHostFailures(t *testing.T) {
	other, _ := sshtest.NewKeyFile(t, "")
	tests := []struct {
		name    string
		forward bool
		edit    func(hop *SSHOptions, h *testHost)
		check   func(t *testing.T, err error, hop *testHost)
	}{
		{"unknown host key", true, func(o *SSHOptions, _ *testHost) { o.HostKey = "" },
			func(t *testing.T, err error, hop *testHost) {
				he := asError[*HostKeyError](t, err)
				if he.Addr != hop.srv.Addr() || he.Kind != HostKeyUnknown {
					t.Errorf("HostKeyError %+v, want the jump host's key unknown", he)
				}
			}},
		{"changed host key", true, func(o *SSHOptions, h *testHost) {
			o.HostKey, o.KnownHostsFile = "", h.srv.WriteKnownHosts(sshtest.NewSigner(t, "ed25519").PublicKey())
		}, func(t *testing.T, err error, hop *testHost) {
			he := asError[*HostKeyError](t, err)
			if he.Addr != hop.srv.Addr() || he.Kind != HostKeyChanged {
				t.Errorf("HostKeyError %+v, want the jump host's key changed", he)
			}
		}},
		{"wrong pin", true, func(o *SSHOptions, _ *testHost) {
			o.HostKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshtest.NewSigner(t, "ed25519").PublicKey())))
		}, func(t *testing.T, err error, _ *testHost) {
			if he := asError[*HostKeyError](t, err); he.Kind != HostKeyMismatchPin {
				t.Errorf("kind %s", he.Kind)
			}
		}},
		{"key not authorized", true, func(o *SSHOptions, _ *testHost) { o.KeyFile = other },
			func(t *testing.T, err error, hop *testHost) {
				if ae := asError[*AuthError](t, err); ae.Addr != hop.srv.Addr() {
					t.Errorf("AuthError names %s, want the jump host", ae.Addr)
				}
			}},
		{"forwarding refused", false, nil, func(t *testing.T, err error, hop *testHost) {
			ce := asError[*ConnectError](t, err)
			if ce.Via != hop.srv.Addr() || !strings.Contains(err.Error(), "refuses to forward") {
				t.Errorf("err %v (via %q)", err, ce.Via)
			}
			if h := Hint(err); !strings.Contains(h, "AllowTcpForwarding") {
				t.Errorf("hint %q", h)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := newTestHost(t, sshtest.Options{})
			hop := newJumpHost(t, tc.forward)
			j := hop.hopOf()
			if tc.edit != nil {
				tc.edit(&j, hop)
			}
			_, err := target.dial(t, func(o *SSHOptions) { o.Jump = []SSHOptions{j} })
			if err == nil {
				t.Fatal("dialled")
			}
			if !IsConnectFailure(err) {
				t.Errorf("%v is not a connect failure (exit 4)", err)
			}
			tc.check(t, err, hop)
			var je *JumpError
			if tc.forward && (!errors.As(err, &je) || je.Hop != 1) {
				t.Errorf("err %v: want a JumpError for hop 1", err)
			}
			if tc.forward && !strings.Contains(Hint(err), "jump host (hosts[].bastion") {
				t.Errorf("hint %q does not point at the bastion", Hint(err))
			}
			if target.srv.Conns() != 0 {
				t.Errorf("the target was contacted %d times", target.srv.Conns())
			}
		})
	}
}

// The target's own host key is checked through the jump, against the name
// the jump host connects to.
func TestJumpChecksTargetHostKey(t *testing.T) {
	target := newTestHost(t, sshtest.Options{})
	hop := newJumpHost(t, true)
	_, err := target.dial(t, func(o *SSHOptions) {
		o.KnownHostsFile = target.srv.WriteKnownHosts(sshtest.NewSigner(t, "ed25519").PublicKey())
		o.Jump = []SSHOptions{hop.hopOf()}
	})
	he := asError[*HostKeyError](t, err)
	if he.Kind != HostKeyChanged || he.Addr != target.srv.Addr() || he.Got != ssh.FingerprintSHA256(target.srv.HostKey()) {
		t.Errorf("HostKeyError %+v", he)
	}
	var je *JumpError
	if errors.As(err, &je) {
		t.Errorf("the target's key is blamed on the jump host: %v", err)
	}
}

// A jump host that cannot reach the target says so, naming both.
func TestJumpTargetUnreachable(t *testing.T) {
	target := newTestHost(t, sshtest.Options{})
	hop := newJumpHost(t, true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	_, err = target.dial(t, func(o *SSHOptions) { o.Port = port; o.Jump = []SSHOptions{hop.hopOf()} })
	ce := asError[*ConnectError](t, err)
	if ce.Via != hop.srv.Addr() || !strings.Contains(err.Error(), "could not connect") {
		t.Errorf("err %v", err)
	}
}

// Every bound of a direct connection holds through a jump host: a jump
// link that goes dead mid-command ends the command with a *ConnectError
// within the keepalive bound, and later commands fail at once.
func TestJumpDeadLinkEndsCommands(t *testing.T) {
	target := newTestHost(t, sshtest.Options{})
	hop := newJumpHost(t, true)
	px := newStallProxy(t, net.JoinHostPort(hop.srv.Host(), strconv.Itoa(hop.srv.Port())))
	j := hop.hopOf()
	j.Port = px.port()
	s := target.mustDial(t, func(o *SSHOptions) {
		o.Jump = []SSHOptions{j}
		o.KeepaliveInterval, o.KeepaliveMissed = 100*time.Millisecond, 3
	})
	mustRun(t, s, Cmd{Args: []string{"true"}})
	time.AfterFunc(200*time.Millisecond, func() { close(px.stall) })
	start := time.Now()
	_, err := s.Run(t.Context(), Cmd{Args: []string{"sleep", "60"}})
	ce := asError[*ConnectError](t, err)
	if !IsConnectFailure(err) || !strings.Contains(ce.Error(), "keepalive") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s to notice the dead link", d)
	}
	if _, err := s.Run(t.Context(), Cmd{Args: []string{"true"}}); !errors.As(err, &ce) {
		t.Errorf("next command: %v", err)
	}
}

// A handshake through a jump host that never answers is bounded by the
// connect timeout, though a channel takes no deadline.
func TestJumpHandshakeTimeout(t *testing.T) {
	hop := newJumpHost(t, true)
	o := hop.opts
	o.Port = silentPort(t)
	o.ConnectTimeout = 300 * time.Millisecond
	o.Jump = []SSHOptions{hop.hopOf()}
	start := time.Now()
	_, err := DialSSH(t.Context(), o)
	ce := asError[*ConnectError](t, err)
	if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(ce.Reason, "timed out") {
		t.Errorf("err %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
}
