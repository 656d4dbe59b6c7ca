package transport

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// stallProxy forwards TCP to a server until stalled: from then on it passes
// nothing either way and closes nothing, like a dead route.
type stallProxy struct {
	ln     net.Listener
	mu     sync.Mutex
	stall  chan struct{}
	closed []net.Conn
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, stall: make(chan struct{})}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.closed {
			c.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.closed = append(p.closed, c, s)
			p.mu.Unlock()
			go p.pipe(c, s)
			go p.pipe(s, c)
		}
	}()
	return p
}

func (p *stallProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-p.stall:
			<-make(chan struct{}) // swallow everything, for ever
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err == io.EOF {
				return
			}
			return
		}
	}
}

func (p *stallProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// A link that goes dead mid-command, or while a session is being opened,
// ends the command with a *ConnectError within the keepalive bound instead
// of hanging.
func TestDeadLinkEndsCommands(t *testing.T) {
	tests := []struct {
		name string
		cmd  []string
	}{
		{"during a command", []string{"sleep", "60"}},
		{"opening a session", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHost(t, sshtest.Options{})
			px := newStallProxy(t, net.JoinHostPort(h.srv.Host(), strconv.Itoa(h.srv.Port())))
			s := h.mustDial(t, func(o *SSHOptions) {
				o.Port = px.port()
				o.HostKey = h.srv.PinnedHostKey()
				o.KeepaliveInterval, o.KeepaliveMissed = 100*time.Millisecond, 3
			})
			mustRun(t, s, Cmd{Args: []string{"true"}})
			cmd := tc.cmd
			if cmd == nil {
				close(px.stall)
				cmd = []string{"true"}
			} else {
				time.AfterFunc(200*time.Millisecond, func() { close(px.stall) })
			}
			start := time.Now()
			_, err := s.Run(t.Context(), Cmd{Args: cmd})
			var ce *ConnectError
			if !errors.As(err, &ce) || !IsConnectFailure(err) {
				t.Fatalf("err = %v, want a ConnectError", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s to notice the dead link", d)
			}
			// Later commands fail at once.
			if _, err := s.Run(t.Context(), Cmd{Args: []string{"true"}}); !errors.As(err, &ce) {
				t.Errorf("next command: %v", err)
			}
		})
	}
}
