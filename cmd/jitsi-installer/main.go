// Command jitsi-installer sets up a Jitsi Meet server with Janssen tokens,
// Let's Encrypt and UFW on Debian and Ubuntu hosts over SSH.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

// Set by the linker (see .goreleaser.yaml).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	// Ctrl+C on `install | tee log` stops tee too: the run must still stop
	// as it would on a terminal (finish the journal, release the lock, exit
	// 130), not die of SIGPIPE at its next line of output.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
