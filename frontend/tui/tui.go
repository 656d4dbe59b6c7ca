// Package tui is the interactive installer: a form that gathers the answers
// (checking each one as `answers validate` would, and Janssen live), the plan
// to review before anything changes, and the run as it happens, rendered
// from the engine's event stream like the text log. An accessible mode asks
// the same questions as plain prompts, which a screen reader can read and a
// pipe can answer.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

// Options configure Run.
type Options struct {
	// Defaults are the answers the form starts from, such as an answers file
	// given with --answers; nil starts from the built-in defaults.
	Defaults *answers.Config
	// File is where Defaults came from: relative paths are relative to it,
	// and answers are saved there unless the operator names another file.
	File string
	// LastRun reads the answers the installer recorded on the host of cfg
	// (its only host) on its last run there, and when they were recorded;
	// nil data when there are none. Unless Defaults are given, the pages
	// after the target start from them. ask confirms an unknown host key.
	LastRun func(ctx context.Context, cfg *answers.Config, ask Asker) ([]byte, time.Time, error)
	// Prepare builds the run of the confirmed answers (workflow.New), its
	// events going to sink. ask shows what the SSH transport asks while
	// connecting: an unknown host key, a key's passphrase.
	Prepare func(cfg *answers.Config, ask Asker, sink installer.Sink) (*workflow.Run, error)
	// Log, when set, receives every event too (the --log-file).
	Log installer.Sink
	// Accessible asks plain prompts, one per line, instead of the full-screen
	// form: for screen readers, TERM=dumb and answers on a pipe.
	Accessible bool
	// DryRun shows the plan and never applies it.
	DryRun bool

	In  io.Reader // the terminal, or a pipe in accessible mode
	Out io.Writer
}

// Asker asks the operator what connecting needs. Its methods match
// transport.SSHOptions' ConfirmHostKey and Passphrase.
type Asker interface {
	ConfirmHostKey(addr, keyType, fingerprint string) (bool, error)
	Passphrase(keyFile string) ([]byte, error)
}

// Outcome is how the operator left.
type Outcome int

const (
	// Quit: nothing was applied.
	Quit Outcome = iota
	// Applied: the plan was applied, completely or not; see Result.
	Applied
	// Converged: the hosts needed no change; verify ran.
	Converged
)

// Result is what happened, for the exit code and the lines printed after
// the screen is gone.
type Result struct {
	Outcome Outcome
	// Config is the last answers confirmed, nil when the form was left.
	Config *answers.Config
	// Saved is the answers file written, if any, and SavedEnv the
	// environment variables its ${env:...} references need.
	Saved    string
	SavedEnv []string
	// HostErr is why hosts failed to plan or apply (a transport.ConnectError
	// when one could not be reached).
	HostErr error
	// Summary is the apply's, Stopped true when the operator stopped it.
	Summary installer.Summary
	Stopped bool
	// Checks and ChecksFailed count the verify checks.
	Checks, ChecksFailed int
	// URL is where the meetings are.
	URL string
	// Failures are what failed on the screen, one line each, to print when
	// the screen is gone.
	Failures []string
}

// Run gathers the answers, shows the plan and applies it when the operator
// confirms. It returns when the operator leaves; a cancelled ctx stops an
// apply after the resource in progress.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.In == nil {
		o.In = os.Stdin
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Prepare == nil {
		return Result{}, errors.New("tui: Options.Prepare is required")
	}
	if o.File == "" {
		o.File = "answers.yaml"
	}
	if abs, err := filepath.Abs(o.File); err == nil {
		o.File = abs
	}
	if o.Accessible {
		return runAccessible(ctx, o)
	}
	return runScreen(ctx, o)
}

// save writes the answers to path, readable by the owner only since a file
// reference may sit next to secrets, and returns the environment variables
// the file refers to for secrets typed in the form.
func save(v *values, path string) ([]string, error) {
	data, env, err := v.answersFile()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("save answers: %w", err)
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	slices.Sort(names)
	return names, nil
}

// savedText tells the operator how to use the saved file unattended.
func savedText(path string, env []string) string {
	s := "Saved the answers to " + path + "."
	if len(env) > 0 {
		s += " Before running it unattended, export " + strings.Join(env, ", ") + " (the file refers to them, and never holds the secrets)."
	}
	return s + " Run: jitsi-installer install --answers " + path
}
