package installer

import "github.com/jitsi-installer/jitsi-installer/pkg/transport"

// Resource is one piece of declared state on a host.
//
// The engine runs Probe for every resource of a host in one batched script,
// hands each resource its own output, and applies the Change that Diff returns.
type Resource interface {
	// Key names the resource in plans and events: "file /etc/hosts".
	Key() string
	// Probe is a POSIX sh fragment, run as root, whose stdout describes the
	// resource's current state. Build it with sh() so values are quoted.
	Probe() string
	// Diff compares the probed state with the declared one; nil means converged.
	Diff(p Probed) (*Change, error)
}

// Preluder is a resource whose probe needs shell variables set once per batch.
type Preluder interface {
	Prelude() string
}

// Probed is what a resource's probe printed and how it exited.
type Probed struct {
	Out  string
	Code int
	// Secrets are the values a diff must mask (the engine's Redactor); a
	// resource holding secrets shows no content when it is nil.
	Secrets *Redactor
}

// sh quotes args into one shell command.
func sh(args ...string) string { return transport.Join(args) }
