// Package transport runs commands and writes files on a host, over SSH or
// locally. It knows nothing about what is installed; the engine builds every
// command from argument lists and the transport quotes them.
//
// A round trip is one request the caller waits on the host for: connecting
// (SSH only), one Run, one WriteFile, one Upload or one ReadFile. Each costs a
// network latency however much it does on the host, which is why the engine
// batches its probes into one Run and why WriteFile is a single script rather
// than a series of sftp calls. RoundTrips counts them so a run can report and
// test its cost.
package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// Default timeouts, used when an option is zero.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultCommandTimeout = 10 * time.Minute
	// A server that answers none of DefaultKeepaliveMissed keepalives sent
	// DefaultKeepaliveInterval apart is given up: a dead link ends the run
	// within their product plus one interval.
	DefaultKeepaliveInterval = 15 * time.Second
	DefaultKeepaliveMissed   = 3
	// SessionOpenTimeout bounds opening a session on an open connection.
	SessionOpenTimeout = 30 * time.Second
)

// Cmd is one remote command. Args are quoted by the transport; user values are
// never pasted into a shell string.
type Cmd struct {
	Args  []string
	Stdin []byte
	// Sudo runs the command as root: directly when the login user is root,
	// through sudo otherwise (password fed on stdin, never on a command line).
	Sudo bool
	// Env is set for the command only (values are quoted like Args).
	Env map[string]string
	// Progress, when set, gets each line of stdout as it arrives (apt's
	// status lines); Result.Stdout still has them all.
	Progress func(line string)
}

// Result is what a command printed and how it exited.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// File is an atomic write: a temp file beside Path, then rename.
type File struct {
	Path  string
	Data  []byte
	Mode  fs.FileMode // zero means DefaultFileMode (0644)
	Owner string      // user name; empty keeps root
	Group string      // group name; empty keeps root
	// BackupDir, when set, receives a copy of the replaced file under its full
	// path (BackupDir + Path) before the rename, mode 0600; its mode, owner
	// and group are appended to BackupDir/.modes as "MODE OWNER GROUP PATH".
	BackupDir string
}

// Transport is one connection to one host, reused for every command.
type Transport interface {
	// Host names the host in every line of output.
	Host() string
	// Run executes c. A non-zero exit is reported in Result, not as an error;
	// errors mean the command could not be run (connection lost, sudo refused).
	Run(ctx context.Context, c Cmd) (Result, error)
	// WriteFile writes f atomically as root. One round trip.
	WriteFile(ctx context.Context, f File) error
	// RoundTrips counts the requests that waited for the host, connecting
	// included (see the package comment).
	RoundTrips() int
	Close() error
}

// ErrSudo is returned when privilege escalation is refused.
var ErrSudo = errors.New("sudo refused")

// ErrSudoPassword is ErrSudo when sudo asked again: the password is wrong.
var ErrSudoPassword = fmt.Errorf("%w: wrong sudo password", ErrSudo)

// Quote returns s quoted for a POSIX shell.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// Join quotes every argument and joins them into one shell command line.
func Join(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
