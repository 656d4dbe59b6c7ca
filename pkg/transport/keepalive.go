package transport

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// keepalive asks the server to answer every KeepaliveInterval. A server that
// stays silent for KeepaliveMissed intervals is given up: the connection is
// closed, so every command, transfer and session being opened on it fails at
// once with the *ConnectError in s.lost, instead of waiting on a dead link
// for as long as TCP would. It returns the function that stops it.
func (s *SSH) keepalive() (stop func()) {
	done := make(chan struct{})
	every, missed := s.opts.KeepaliveInterval, s.opts.KeepaliveMissed
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		answered := make(chan struct{}, 1)
		last := time.Now()
		inFlight := false
		for {
			select {
			case <-done:
				return
			case <-answered:
				inFlight, last = false, time.Now()
			case <-t.C:
				if time.Since(last) >= every*time.Duration(missed) {
					s.giveUp(fmt.Sprintf("connection lost: the host answered no keepalive for %s", time.Since(last).Round(time.Second)))
					return
				}
				if inFlight {
					continue
				}
				inFlight = true
				go func() {
					// Any reply, even a refusal, proves the link works.
					_, _, err := s.client.SendRequest("keepalive@openssh.com", true, nil)
					if err == nil {
						answered <- struct{}{}
					}
				}()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}

// giveUp records why the connection is abandoned and closes it.
func (s *SSH) giveUp(reason string) {
	s.lost.CompareAndSwap(nil, &ConnectError{Addr: s.addr, Reason: reason, Via: s.via})
	// The outermost link first: closing a connection through a jump host
	// writes to the link that may be the dead one.
	for _, h := range s.hops {
		h.Close()
	}
	_ = s.client.Close()
}

// newSession opens a session, within SessionOpenTimeout: a stalled path can
// leave the channel-open request unanswered forever.
func (s *SSH) newSession() (*ssh.Session, error) {
	if l := s.lost.Load(); l != nil {
		return nil, l
	}
	type result struct {
		sess *ssh.Session
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		sess, err := s.client.NewSession()
		ch <- result{sess, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			if l := s.lost.Load(); l != nil {
				return nil, l
			}
			return nil, &ConnectError{Addr: s.addr, Reason: "open session: " + r.err.Error(), Err: r.err}
		}
		return r.sess, nil
	case <-time.After(SessionOpenTimeout):
		s.giveUp(fmt.Sprintf("connection lost: opening a session got no answer within %s", SessionOpenTimeout))
		return nil, s.lost.Load()
	}
}
