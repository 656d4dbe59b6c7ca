package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// web writes config.js: hosts, last-N, p2p STUN, deploymentInfo, and the
// sign-in through Janssen.
type web struct{ *env }

func (*web) Name() string  { return "Web app" }
func (*web) Group() string { return "configure" }

func (s *web) Declare(h *installer.Host) ([]installer.Resource, error) {
	b, err := render(assets.ConfigJS, data(h, s.env))
	if err != nil {
		return nil, err
	}
	return []installer.Resource{&installer.File{Path: "/etc/jitsi/meet/" + s.cfg.Domain + "-config.js", Content: b, Mode: 0o644}}, nil
}
