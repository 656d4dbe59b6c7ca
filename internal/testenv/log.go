package testenv

import (
	"io"
	"strings"
	"testing"
)

// Log is a writer into t's log, for the output of the processes and
// targets a test starts: a write is one log entry, without its trailing
// newlines.
func Log(t testing.TB) io.Writer { return logWriter{t} }

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
