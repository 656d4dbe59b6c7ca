package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// web writes config.js: hosts, last-N, p2p STUN, deploymentInfo, and the
// sign-in through Janssen.
func web(e *env) *configStep {
	return &configStep{env: e, name: "Web app", asset: assets.ConfigJS,
		file: resource.File{Mode: 0o644},
		applies: func() error {
			if e.cfg.Janssen.ClientID == "" {
				return installer.Refuse("janssen.client_id is empty: the web app signs in with that Janssen client; " +
					"register one with `jitsi-installer janssen client --answers FILE --register`, or set it")
			}
			return nil
		},
		checks: signInChecks(e),
	}
}
