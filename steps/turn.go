package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// turn writes coturn's configuration with the secret Prosody hands out.
type turn struct{ *env }

func (*turn) Name() string  { return "TURN server" }
func (*turn) Group() string { return "configure" }

func (s *turn) Declare(h *installer.Host) ([]installer.Resource, error) {
	if !s.cfg.Jitsi.Turn {
		return nil, installer.Skip("jitsi.turn is false")
	}
	return s.configFile(assets.TURN, data(h, s.env),
		installer.File{Mode: 0o640, Group: "turnserver", Secret: true, Notify: notify(restartCoturn)})
}
