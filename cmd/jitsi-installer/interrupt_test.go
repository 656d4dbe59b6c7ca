package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The first Ctrl+C stops the run but lets the command in progress finish;
// the second stops that too. Not parallel: the signal reaches the whole
// test binary.
func TestInterruptsStopAfterThenNow(t *testing.T) {
	var out bytes.Buffer
	run, now, stop := interrupts(&out)
	defer stop()
	ctrlC := func(ctx context.Context, what string) {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("Ctrl+C did not %s", what)
		}
	}
	ctrlC(run, "stop the run")
	if now.Err() != nil {
		t.Fatal("the first Ctrl+C stopped the command in progress")
	}
	if !strings.Contains(out.String(), "Ctrl+C again to stop it now") {
		t.Errorf("the first Ctrl+C says %q", out.String())
	}
	ctrlC(now, "stop the command in progress the second time")
}
