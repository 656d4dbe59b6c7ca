package installer

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

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

// Gatherer is a resource whose facts one prelude gathers for every
// resource of its kind in the batch (one stat of all files, one systemctl
// for all units): the engine calls Gather once per Kind, on the first of
// them, with all of them; their probes read what it gathered.
type Gatherer interface {
	Resource
	Kind() string
	Gather(all []Resource) string
}

// Coster is a resource whose probe takes longer than a few shell builtins
// (it runs openssl, gpg, dpkg-query): ProbeCost estimates it, 1 being a
// builtin's, so the batch's lanes end together.
type Coster interface {
	ProbeCost() int
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

// FactKey names a resource's facts gathered by a prelude, in the batch's
// directory ("$BATCH_DIR"): a file name made of hex digits, whatever the
// resource's name.
func FactKey(name string) string {
	s := sha256.Sum256([]byte(name))
	return hex.EncodeToString(s[:12])
}
