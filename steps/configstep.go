package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// configStep writes one configuration file that assets renders, and the
// link that enables it. Most "configure" steps are one of these, so a new
// one is a literal: its name, its template, the file's mode, owner and
// handlers, and what verify asks of it.
type configStep struct {
	*env
	name  string
	asset string
	// file carries the mode, owner and handlers; path and content come from
	// assets.
	file resource.File
	// applies, when set, says why this deployment has no such file: a
	// SkipError, or a RefuseError for answers that cannot work.
	applies func() error
	// data, when set, replaces the template data every core step shares.
	data func(h *installer.Host) (assets.Data, error)
	// checks are what verify asks once the file is in place.
	checks func(h *installer.Host) []installer.Check
	// more, when set, are resources declared after the file.
	more []installer.Resource
}

func (s *configStep) Name() string { return s.name }
func (*configStep) Group() string  { return "configure" }

func (s *configStep) Declare(h *installer.Host) ([]installer.Resource, error) {
	if s.applies != nil {
		if err := s.applies(); err != nil {
			return nil, err
		}
	}
	d := data(h, s.env)
	if s.data != nil {
		var err error
		if d, err = s.data(h); err != nil {
			return nil, err
		}
	}
	rs, err := s.configFile(s.asset, d, s.file)
	if err != nil {
		return nil, err
	}
	return append(rs, s.more...), nil
}

// Checks has nothing to ask of a file the deployment does not have.
func (s *configStep) Checks(h *installer.Host) []installer.Check {
	if s.checks == nil || (s.applies != nil && s.applies() != nil) {
		return nil
	}
	return s.checks(h)
}
