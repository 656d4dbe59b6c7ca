// Package resource holds the kinds of state steps declare: files,
// directories, symlinks, packages, debconf answers, apt keys, services, UFW
// rules and guarded commands. Each implements installer.Resource, and the
// optional interfaces (installer.Preluder, installer.Gatherer,
// installer.Coster, installer.Notifier) for what the engine does with it
// beyond probe and diff: the engine knows none of them by name.
package resource

import (
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// sh quotes args into one shell command.
func sh(args ...string) string { return transport.Join(args) }

// kind is all, which Gather got for one Kind, as that kind's type.
func kind[T installer.Resource](all []installer.Resource) []T {
	out := make([]T, len(all))
	for i, r := range all {
		out[i] = r.(T)
	}
	return out
}

// ProbeCost implements installer.Coster: a guard runs programs of its own.
func (c *Command) ProbeCost() int { return 20 }

// ProbeCost implements installer.Coster: gpg reads the key.
func (k *AptKey) ProbeCost() int { return 20 }

// ProbeCost implements installer.Coster.
func (p *Packages) ProbeCost() int { return 3 }

// ProbeCost implements installer.Coster.
func (d *Dir) ProbeCost() int { return 3 }

// ProbeCost implements installer.Coster.
func (s *Symlink) ProbeCost() int { return 3 }
