// Command jitsi-installer sets up a Jitsi Meet server with Janssen tokens,
// Let's Encrypt and UFW on Debian and Ubuntu hosts over SSH.
package main

import (
	"os"
)

// Set by the linker (see .goreleaser.yaml).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
