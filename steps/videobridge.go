package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// videobridge writes the bridge's configuration: ICE on UDP 10000, the XMPP
// client to the brewery, websockets, stats, and an instance id that stays.
type videobridge struct{ *env }

func (*videobridge) Name() string  { return "Videobridge" }
func (*videobridge) Group() string { return "configure" }

func (s *videobridge) Declare(h *installer.Host) ([]installer.Resource, error) {
	b, err := render(assets.JVB, data(h, s.env))
	if err != nil {
		return nil, err
	}
	// Owned as the bridge's postinst leaves it (chown -R jvb:jitsi).
	return []installer.Resource{&installer.File{Path: jvbConf, Content: b, Mode: 0o640, Owner: "jvb", Group: "jitsi", Secret: true, Notify: notify(restartJVB)}}, nil
}

func (s *videobridge) Checks(*installer.Host) []installer.Check {
	return []installer.Check{httpCheck("Videobridge health", "http://127.0.0.1:8080/about/health")}
}
