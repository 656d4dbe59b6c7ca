package transport

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// Holder is a transport that can keep a command running for as long as the
// caller holds it: a lock on the host, a watchdog for the run.
type Holder interface {
	// Hold starts c (as root when c.Sudo) without a time limit. c.Stdin is
	// ignored: the caller writes to the command's stdin through Held.
	Hold(ctx context.Context, c Cmd) (*Held, error)
}

// Held is a command started by Hold. Its stdout is read through Stdout; it
// ends when the command exits, when Close closes its stdin, or when Stop
// kills it.
type Held struct {
	Stdout io.Reader

	stdin io.WriteCloser
	stop  func()
	done  chan struct{}
	code  int
	err   error
	once  sync.Once
}

// Write writes to the command's stdin.
func (h *Held) Write(p []byte) (int, error) { return h.stdin.Write(p) }

// Close closes the command's stdin and waits up to wait for it to exit; a
// command still running then is stopped.
func (h *Held) Close(wait time.Duration) (int, error) {
	h.once.Do(func() { _ = h.stdin.Close() })
	select {
	case <-h.done:
	case <-time.After(wait):
		h.stop()
		<-h.done
	}
	return h.code, h.err
}

// Done is closed when the command has exited.
func (h *Held) Done() <-chan struct{} { return h.done }

// hold starts c through start and, for a non-root user, answers sudo as
// execute does; it returns once the command runs as root.
func hold(ctx context.Context, c Cmd, esc escalation, start starter) (*Held, error) {
	inv, err := newInvocation(c, esc, 0)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	wrong := make(chan struct{}) // sudo asked a second time
	var once sync.Once
	filter := newStderrFilter(inv, func() { once.Do(func() { close(wrong) }) })
	p, err := start(inv.line, pw, filter)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", c.Args[0], err)
	}
	h := &Held{Stdout: pr, stdin: p.stdin, stop: p.stop, done: make(chan struct{})}
	go func() {
		h.code, h.err = p.wait()
		pw.Close()
		close(h.done)
	}()
	for inv.sudo {
		select {
		case ev := <-filter.events:
			if ev == evMark {
				return h, nil
			}
			if _, err := io.WriteString(p.stdin, esc.password+"\n"); err != nil {
				p.stop()
				return nil, fmt.Errorf("run %s: %w", c.Args[0], err)
			}
		case <-wrong:
			p.stop()
			<-h.done
			return nil, fmt.Errorf("run %s: %w for %s", c.Args[0], ErrSudoPassword, esc.user)
		case <-h.done:
			errOut, _, prompts := filter.result()
			if prompts > 1 {
				return nil, fmt.Errorf("run %s: %w for %s", c.Args[0], ErrSudoPassword, esc.user)
			}
			if h.err != nil {
				return nil, fmt.Errorf("run %s: %w", c.Args[0], h.err)
			}
			return nil, sudoRefused(c.Args[0], esc, errOut)
		case <-ctx.Done():
			p.stop()
			<-h.done
			return nil, fmt.Errorf("run %s: %w", c.Args[0], ctx.Err())
		}
	}
	return h, nil
}

// Hold implements Holder. One round trip.
func (s *SSH) Hold(ctx context.Context, c Cmd) (*Held, error) {
	s.trips.Add(1)
	return hold(ctx, c, s.esc, s.start)
}

// Hold implements Holder.
func (l *Local) Hold(ctx context.Context, c Cmd) (*Held, error) {
	l.trips.Add(1)
	return hold(ctx, c, escalation{root: l.root, user: l.user, password: l.SudoPassword}, startLocal)
}
