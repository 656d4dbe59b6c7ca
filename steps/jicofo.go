package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// jicofo writes Jicofo's configuration: its XMPP client, the bridge brewery,
// region-based bridge selection and the sender limits.
type jicofo struct{ *env }

func (*jicofo) Name() string  { return "Jicofo" }
func (*jicofo) Group() string { return "configure" }

func (s *jicofo) Declare(h *installer.Host) ([]installer.Resource, error) {
	// Owned as jicofo's postinst leaves it (chown -R jicofo:jitsi on every
	// configure), so an upgrade is no drift.
	return s.configFile(assets.Jicofo, data(h, s.env),
		installer.File{Mode: 0o640, Owner: "jicofo", Group: "jitsi", Secret: true, Notify: notify(restartJicofo)})
}

func (s *jicofo) Checks(*installer.Host) []installer.Check {
	return []installer.Check{httpCheck("Jicofo health", "http://127.0.0.1:8888/about/health")}
}
