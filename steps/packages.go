package steps

import (
	"slices"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// jitsiPackages installs Jitsi Meet, token authentication and the TURN server.
type jitsiPackages struct{ *env }

func (*jitsiPackages) Name() string { return "Jitsi packages" }

func (s *jitsiPackages) Declare(h *installer.Host) ([]installer.Resource, error) {
	// lua-unbound: Prosody 0.12 and later resolve DNS with it and warn
	// without it; the Jitsi handbook installs it.
	pv, err := s.pinned(h)
	if err != nil {
		return nil, err
	}
	if s.bridge() {
		names := []string{"jitsi-videobridge2"}
		if pv := s.only(pv, names); len(pv) > 0 {
			return []installer.Resource{&installer.PackageVersions{Packages: pv}}, nil
		}
		return []installer.Resource{&installer.Packages{Names: names}}, nil
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
	// The pin step resolved jitsi.version: every Jitsi package at its
	// exact version (the plan shows each version change), then the rest.
	if !s.cfg.Jitsi.CoreBridge {
		pv = slices.DeleteFunc(pv, func(p installer.PackageVersion) bool { return p.Name == "jitsi-meet" || p.Name == "jitsi-videobridge2" })
	}
	if len(pv) > 0 {
		return []installer.Resource{&installer.PackageVersions{Packages: pv}, &installer.Packages{Names: names}}, nil
	}
	return []installer.Resource{&installer.Packages{Names: names}}, nil
}

// only keeps the pinned versions of names.
func (*jitsiPackages) only(pv []installer.PackageVersion, names []string) []installer.PackageVersion {
	return slices.DeleteFunc(pv, func(p installer.PackageVersion) bool { return !slices.Contains(names, p.Name) })
}
