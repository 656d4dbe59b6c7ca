package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// interrupts turns Ctrl+C and SIGTERM into two stops. The first cancels run:
// nothing new starts, and a change in progress on a host finishes, so that
// an apt or dpkg run is never cut in half by an impatient key. The second
// cancels now: the command in progress is stopped too. After that the
// signals have their default effect again. stop releases the signals.
func interrupts(stderr io.Writer) (run, now context.Context, stop func()) {
	run, cancelRun := context.WithCancel(context.Background())
	now, cancelNow := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "\nStopping: a change in progress finishes first (Ctrl+C again to stop it now).")
		cancelRun()
		select {
		case <-sig:
		case <-done:
			return
		}
		signal.Stop(sig)
		fmt.Fprintln(stderr, "\nStopping now.")
		cancelNow()
	}()
	return run, now, func() {
		signal.Stop(sig)
		close(done)
		cancelRun()
		cancelNow()
	}
}
