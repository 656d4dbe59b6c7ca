package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sudo protocol, shared by the SSH and local transports.
//
// A privileged command for a non-root user runs as
//
//	sudo -n -- sh -c 'printf %s MARK >&2; exec timeout -k 5 N "$@"' sh ARGS...
//
// or, with a password,
//
//	sudo -S -k -p PROMPT -- sh -c 'printf %s MARK >&2; exec timeout -k 5 N "$@"' sh ARGS...
//
// PROMPT and MARK are random per command. The password is written to stdin
// only after sudo printed PROMPT on stderr, and Cmd.Stdin only after the
// wrapped shell printed MARK, so the password never reaches the command and
// sudo never reads the command's input. A second PROMPT means the password
// was wrong: the command is stopped and ErrSudo returned. Output without MARK
// means sudo refused (no password, not in sudoers): ErrSudo with sudo's words.
//
// The login user cannot signal a command that sudo started as root, so the
// host's own timeout(1), where it has one, stops the command once the command
// timeout is over: N is the time left, rounded up, plus a second.

// started is a command running on a host.
type started struct {
	stdin io.WriteCloser
	// wait returns the exit code once the command ended and its output was
	// copied; err means no exit code could be had (connection lost).
	wait func() (code int, err error)
	// stop kills the command; safe to call more than once, concurrently.
	stop func()
}

// starter starts a shell command line with output going to the writers.
type starter func(line string, stdout, stderr io.Writer) (started, error)

// escalation says how Cmd.Sudo is honoured.
type escalation struct {
	root     bool   // the login user is root: sudo is never needed
	user     string // login user, for messages
	password string // empty: sudo -n
}

// invocation is a command line and the sudo tokens to watch for.
type invocation struct {
	line   string
	sudo   bool
	prompt string // empty unless a password is fed
	mark   string
}

func newInvocation(c Cmd, esc escalation, limit time.Duration) (invocation, error) {
	if len(c.Args) == 0 {
		return invocation{}, errors.New("run: empty command")
	}
	argv, err := withEnv(c.Args, c.Env)
	if err != nil {
		return invocation{}, err
	}
	for _, a := range argv {
		if strings.IndexByte(a, 0) >= 0 {
			return invocation{}, fmt.Errorf("run %s: argument contains a NUL byte", c.Args[0])
		}
	}
	if !c.Sudo || esc.root {
		return invocation{line: Join(argv)}, nil
	}
	inv := invocation{sudo: true, mark: "sudo-ok-" + rand.Text()}
	wrap := "printf %s " + inv.mark + ` >&2; exec "$@"`
	if limit > 0 {
		secs := strconv.Itoa(int(limit.Seconds()) + 2)
		wrap = "printf %s " + inv.mark + " >&2; command -v timeout >/dev/null 2>&1 && exec timeout -k 5 " + secs + ` "$@"; exec "$@"`
	}
	sudo := "sudo -n"
	if esc.password != "" {
		inv.prompt = "sudo-password-" + rand.Text() + ":"
		sudo = "sudo -S -k -p " + Quote(inv.prompt)
	}
	inv.line = sudo + " -- sh -c " + Quote(wrap) + " sh " + Join(argv)
	return inv, nil
}

// withEnv prefixes argv with `env K=V ...`, keys sorted for stable lines.
func withEnv(args []string, env map[string]string) ([]string, error) {
	if len(env) == 0 {
		return args, nil
	}
	argv := []string{"env"}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if !validEnvName(k) {
			return nil, fmt.Errorf("run %s: invalid environment variable name %q", args[0], k)
		}
		argv = append(argv, k+"="+env[k])
	}
	return append(argv, args...), nil
}

func validEnvName(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

type sudoEvent int

const (
	evPrompt sudoEvent = iota // sudo asks for the password
	evMark                    // sudo let the command start
)

// stderrFilter collects stderr, cutting out the sudo prompt and mark and
// reporting them as events.
type stderrFilter struct {
	prompt, mark []byte
	events       chan sudoEvent
	abort        func() // called when sudo asks a second time

	mu      sync.Mutex
	out     bytes.Buffer
	pending []byte
	marked  bool
	prompts int
}

func newStderrFilter(inv invocation, abort func()) *stderrFilter {
	f := &stderrFilter{events: make(chan sudoEvent, 4), abort: abort}
	if inv.sudo {
		f.mark = []byte(inv.mark)
		f.prompt = []byte(inv.prompt)
	} else {
		f.marked = true
	}
	return f
}

func (f *stderrFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.marked {
		f.out.Write(p)
		return len(p), nil
	}
	f.pending = append(f.pending, p...)
	for !f.marked {
		ip, im := -1, bytes.Index(f.pending, f.mark)
		if len(f.prompt) > 0 {
			ip = bytes.Index(f.pending, f.prompt)
		}
		switch {
		case ip >= 0 && (im < 0 || ip < im):
			f.out.Write(f.pending[:ip])
			f.pending = f.pending[ip+len(f.prompt):]
			f.prompts++
			if f.prompts > 1 {
				f.abort()
			} else {
				f.send(evPrompt)
			}
		case im >= 0:
			f.out.Write(f.pending[:im])
			f.out.Write(f.pending[im+len(f.mark):])
			f.pending = nil
			f.marked = true
			f.send(evMark)
		default:
			// Keep a tail that may be the start of a token split across writes.
			keep := max(partialSuffix(f.pending, f.prompt), partialSuffix(f.pending, f.mark))
			f.out.Write(f.pending[:len(f.pending)-keep])
			f.pending = slices.Clone(f.pending[len(f.pending)-keep:])
			return len(p), nil
		}
	}
	return len(p), nil
}

func (f *stderrFilter) send(ev sudoEvent) {
	select {
	case f.events <- ev:
	default: // at most one prompt and one mark are ever sent
	}
}

// result returns the collected stderr and the sudo state.
func (f *stderrFilter) result() (stderr []byte, marked bool, prompts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out.Write(f.pending)
	f.pending = nil
	return f.out.Bytes(), f.marked, f.prompts
}

// partialSuffix is the length of the longest proper prefix of tok that p ends with.
func partialSuffix(p, tok []byte) int {
	for n := min(len(tok)-1, len(p)); n > 0; n-- {
		if bytes.HasSuffix(p, tok[:n]) {
			return n
		}
	}
	return 0
}

// execute runs c through start, feeding the sudo password and c.Stdin as the
// sudo protocol above describes. timeout bounds the whole command.
func execute(ctx context.Context, c Cmd, esc escalation, timeout time.Duration, start starter) (Result, error) {
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	inv, err := newInvocation(c, esc, time.Until(deadline))
	if err != nil {
		return Result{}, err
	}
	name := c.Args[0]
	runCtx, abort := context.WithCancel(ctx)
	defer abort()

	var stdout bytes.Buffer
	var out io.Writer = &stdout
	if c.Progress != nil {
		lw := &lineWriter{each: c.Progress}
		defer lw.flush()
		out = io.MultiWriter(&stdout, lw)
	}
	stderr := newStderrFilter(inv, abort)
	p, err := start(inv.line, out, stderr)
	if err != nil {
		return Result{}, fmt.Errorf("run %s: %w", name, err)
	}
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		feed(runCtx, p.stdin, stderr.events, inv, esc.password, c.Stdin)
	}()
	stopWatch := context.AfterFunc(runCtx, p.stop)
	code, waitErr := p.wait()
	stopWatch()
	abort()
	<-fed

	errOut, marked, prompts := stderr.result()
	switch {
	case prompts > 1:
		return Result{}, fmt.Errorf("run %s: %w for %s", name, ErrSudoPassword, esc.user)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return Result{}, fmt.Errorf("run %s: timed out after %s: %w", name, timeout, ctx.Err())
	case ctx.Err() != nil:
		return Result{}, fmt.Errorf("run %s: %w", name, ctx.Err())
	case waitErr != nil:
		return Result{}, fmt.Errorf("run %s: %w", name, waitErr)
	case !marked:
		return Result{}, sudoRefused(name, esc, errOut)
	}
	return Result{Stdout: stdout.Bytes(), Stderr: errOut, ExitCode: code}, nil
}

// feed writes the password when sudo asks, then the command's stdin.
func feed(ctx context.Context, w io.WriteCloser, events <-chan sudoEvent, inv invocation, password string, data []byte) {
	defer w.Close()
	if inv.prompt == "" {
		// No password to give: sudo -n never reads stdin.
		_, _ = w.Write(data)
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			switch ev {
			case evPrompt:
				if _, err := io.WriteString(w, password+"\n"); err != nil {
					return
				}
			case evMark:
				_, _ = w.Write(data)
				return
			}
		}
	}
}

func sudoRefused(name string, esc escalation, stderr []byte) error {
	// sudo starts its messages with "sudo: ", which ErrSudo already says.
	msg := strings.TrimPrefix(strings.TrimSpace(string(stderr)), "sudo: ")
	if msg == "" {
		msg = "sudo exited without running the command"
	}
	return fmt.Errorf("run %s: %w: %s", name, ErrSudo, msg)
}

// lineWriter calls each with every complete line written to it.
type lineWriter struct {
	each    func(string)
	pending []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.pending = append(w.pending, p...)
	for {
		i := bytes.IndexByte(w.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.each(strings.TrimRight(string(w.pending[:i]), "\r"))
		w.pending = w.pending[i+1:]
	}
}

// flush passes on a last line without a newline.
func (w *lineWriter) flush() {
	if len(w.pending) > 0 {
		w.each(string(w.pending))
		w.pending = nil
	}
}
