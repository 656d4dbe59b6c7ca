package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// RunOrExit runs fn with a context that SIGINT and SIGTERM cancel, so a
// program stopped that way still cleans up. If fn fails, it prints the error
// after prog and exits 1.
func RunOrExit(prog string, fn func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := fn(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, prog+":", err)
		os.Exit(1)
	}
}
