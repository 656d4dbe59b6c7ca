package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// turn writes coturn's configuration with the secret Prosody hands out.
func turn(e *env) *configStep {
	return &configStep{env: e, name: "TURN server", asset: assets.TURN,
		file: resource.File{Mode: 0o640, Group: "turnserver", Secret: true, Notify: notify(restartCoturn)},
		applies: func() error {
			if !e.cfg.Jitsi.Turn {
				return installer.Skip("jitsi.turn is false")
			}
			return nil
		},
	}
}
