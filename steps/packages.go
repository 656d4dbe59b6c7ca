package steps

import (
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// jitsiPackages installs Jitsi Meet, token authentication and the TURN server.
type jitsiPackages struct{ *env }

func (*jitsiPackages) Name() string { return "Jitsi packages" }

func (s *jitsiPackages) Declare(h *installer.Host) ([]installer.Resource, error) {
	// lua-unbound: Prosody 0.12 and later resolve DNS with it and warn
	// without it; the Jitsi handbook installs it.
	if s.bridge() {
		return []installer.Resource{&installer.Packages{Names: []string{"jitsi-videobridge2"}}}, nil
	}
	// jitsi-meet pre-depends on the bridge: without one of its own the
	// core gets jitsi-meet's other packages by name.
	meet := []string{"jitsi-meet"}
	if !s.cfg.Jitsi.CoreBridge {
		meet = []string{"jicofo", "jitsi-meet-web", "jitsi-meet-web-config", "jitsi-meet-prosody"}
	}
	names := append(meet, "jitsi-meet-tokens", sqlitePackage(hostOS(h)), "lua-unbound")
	if s.cfg.Jitsi.Turn {
		names = append(names, "jitsi-meet-turnserver")
	}
	return []installer.Resource{&installer.Packages{Names: names}}, nil
}
