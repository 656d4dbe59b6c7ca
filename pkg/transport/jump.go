package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// dialer opens the connection an SSH handshake runs over: a TCP connection
// from here, or a channel through a jump host.
type dialer func(ctx context.Context, addr string) (net.Conn, error)

// direct dials TCP from this machine.
func direct(timeout time.Duration) dialer {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, connectError(addr, err, timeout)
		}
		return conn, nil
	}
}

// through asks the jump host hop (at via) to connect to addr, like ssh -W.
func through(hop *ssh.Client, via string, timeout time.Duration) dialer {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		conn, err := hop.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn, nil
		}
		ce := connectError(addr, err, timeout)
		ce.Via = via
		var oce *ssh.OpenChannelError
		if errors.As(err, &oce) {
			ce.Reason = fmt.Sprintf("jump host %s could not connect: %s", via, oce.Message)
			if oce.Reason == ssh.Prohibited {
				ce.Reason = fmt.Sprintf("jump host %s refuses to forward connections: %s", via, oce.Message)
			}
		}
		return nil, ce
	}
}

// hop is the options of jump host i: its own address, user, key and host
// key; this connection's timeouts, host-key policy and prompts.
func (o *SSHOptions) hop(i int) SSHOptions {
	j := o.Jump[i]
	j.Jump = nil
	if j.KnownHostsFile == "" {
		j.KnownHostsFile = o.KnownHostsFile
	}
	j.AcceptNewHostKey, j.ConfirmHostKey, j.Passphrase = o.AcceptNewHostKey, o.ConfirmHostKey, o.Passphrase
	j.ConnectTimeout, j.CommandTimeout = o.ConnectTimeout, o.CommandTimeout
	j.KeepaliveInterval, j.KeepaliveMissed = o.KeepaliveInterval, o.KeepaliveMissed
	return j
}

// JumpError is a failure to connect to, log in to or trust jump host Hop
// (1 for the first). Err is a *ConnectError, *AuthError or *HostKeyError.
type JumpError struct {
	Hop int
	Err error
}

func (e *JumpError) Error() string { return fmt.Sprintf("jump host %d: %v", e.Hop, e.Err) }
func (e *JumpError) Unwrap() error { return e.Err }

// deadline bounds a handshake by the connect timeout. A TCP connection
// takes a deadline; a channel through a jump host cannot, so it is closed
// when the time is up.
type deadline struct {
	conn    net.Conn
	timeout time.Duration
	timer   *time.Timer
	expired atomic.Bool
}

func newDeadline(conn net.Conn, timeout time.Duration) *deadline {
	d := &deadline{conn: conn, timeout: timeout}
	d.arm()
	return d
}

// arm starts the timeout again (after a pause for a question).
func (d *deadline) arm() {
	if d.conn.SetDeadline(time.Now().Add(d.timeout)) == nil {
		return
	}
	d.timer = time.AfterFunc(d.timeout, func() {
		d.expired.Store(true)
		d.conn.Close()
	})
}

// disarm stops the timeout; false when it had already run out.
func (d *deadline) disarm() bool {
	_ = d.conn.SetDeadline(time.Time{})
	if d.timer != nil {
		d.timer.Stop()
	}
	return !d.expired.Load()
}

func closeAll(cs []io.Closer) {
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i].Close()
	}
}
