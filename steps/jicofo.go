package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// jicofo writes Jicofo's configuration: its XMPP client, the bridge brewery,
// region-based bridge selection and the sender limits.
func jicofo(e *env) *configStep {
	return &configStep{env: e, name: "Jicofo", asset: assets.Jicofo,
		// Owned as jicofo's postinst leaves it (chown -R jicofo:jitsi on every
		// configure), so an upgrade is no drift.
		file: resource.File{Mode: 0o640, Owner: "jicofo", Group: "jitsi", Secret: true, Notify: notify(restartJicofo)},
		checks: func(*installer.Host) []installer.Check {
			return []installer.Check{httpCheck("Jicofo health", "http://127.0.0.1:8888/about/health")}
		},
	}
}
