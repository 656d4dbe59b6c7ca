//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// live is an installer run whose events a test watches as they come, to
// kill it or cut its link at a chosen moment.
type live struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
	events chan map[string]any
	done   chan struct{}
	code   int
}

func startJitsi(t *testing.T, args ...string) *live {
	t.Helper()
	cmd := exec.Command(installer, append(args, "--output", "json")...)
	l := &live{cmd: cmd, events: make(chan map[string]any, 1024), done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, &syncWriter{l}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l.mu.Lock()
			l.out.Write(append(sc.Bytes(), '\n'))
			l.mu.Unlock()
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				select {
				case l.events <- ev:
				default:
				}
			}
		}
		close(l.events)
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		if ee, ok := err.(*exec.ExitError); ok {
			l.code = ee.ExitCode()
		}
		close(l.done)
	}()
	return l
}

type syncWriter struct{ l *live }

func (w *syncWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.out.Write(p)
}

func (l *live) output() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.String()
}

// until returns the first event for which match is true, or nil when the
// run ended first.
func (l *live) until(match func(map[string]any) bool) map[string]any {
	for ev := range l.events {
		if match(ev) {
			return ev
		}
	}
	return nil
}

func (l *live) kill() {
	_ = l.cmd.Process.Signal(syscall.SIGKILL)
	<-l.done
}

// interrupt is Ctrl+C twice: the run must stop what it runs on the host
// and end by itself, promptly.
func (l *live) interrupt(t *testing.T) {
	t.Helper()
	_ = l.cmd.Process.Signal(os.Interrupt)
	time.Sleep(200 * time.Millisecond)
	_ = l.cmd.Process.Signal(os.Interrupt)
	select {
	case <-l.done:
	case <-time.After(60 * time.Second):
		l.kill()
		t.Errorf("still running 60 s after Ctrl+C:\n%s", lastLines(l.output(), 10))
	}
}

func resourceStarted(prefix string, skip int) func(map[string]any) bool {
	return func(ev map[string]any) bool {
		if ev["type"] != "resource.started" || !strings.HasPrefix(fmt.Sprint(ev["resource"]), prefix) {
			return false
		}
		skip--
		return skip < 0
	}
}
