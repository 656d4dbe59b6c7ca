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
	if s.cfg.Janssen.ClientID == "" {
		return nil, installer.Refuse("janssen.client_id is empty: the web app signs in with that Janssen client; " +
			"register one with `jitsi-installer janssen client --answers FILE --register`, or set it")
	}
	return s.configFile(assets.ConfigJS, data(h, s.env), installer.File{Mode: 0o644})
}
