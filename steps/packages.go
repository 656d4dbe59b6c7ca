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
	names := []string{"jitsi-meet", "jitsi-meet-tokens", sqlitePackage(hostOS(h)), "lua-unbound"}
	if s.cfg.Jitsi.Turn {
		names = append(names, "jitsi-meet-turnserver")
	}
	// The pin step resolved jitsi.version: every Jitsi package at its
	// exact version (the plan shows each version change), then the rest.
	if pv := pinned(h); len(pv) > 0 {
		return []installer.Resource{&installer.PackageVersions{Packages: pv}, &installer.Packages{Names: names}}, nil
	}
	return []installer.Resource{&installer.Packages{Names: names}}, nil
}
