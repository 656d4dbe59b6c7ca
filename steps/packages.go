package steps

import (
	"slices"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// jitsiPackages installs Jitsi Meet, token authentication and the TURN server.
type jitsiPackages struct{ *env }

func (*jitsiPackages) Name() string { return "Jitsi packages" }

func (s *jitsiPackages) Declare(h *installer.Host) ([]installer.Resource, error) {
	pv, err := s.pinned(h)
	if err != nil {
		return nil, err
	}
	answers, err := s.secretAnswers(h)
	if err != nil {
		return nil, err
	}
	var rs []installer.Resource
	if s.bridge() {
		names := s.packages()
		if pv := s.only(pv, names); len(pv) > 0 {
			rs = append(rs, &resource.PackageVersions{Packages: pv, Answers: answers, Purge: names})
		} else {
			rs = append(rs, &resource.Packages{Names: names, Answers: answers, Purge: names})
		}
		return append(rs, forget(answers)...), nil
	}
	// jitsi-meet pre-depends on the bridge: without one of its own the
	// core gets jitsi-meet's other packages by name.
	meet := []string{"jitsi-meet"}
	if !s.cfg.Jitsi.CoreBridge {
		meet = []string{"jicofo", "jitsi-meet-web", "jitsi-meet-web-config", "jitsi-meet-prosody"}
	}
	// lua-unbound: Prosody 0.12 and later resolve DNS with it and warn
	// without it; the Jitsi handbook installs it.
	names := append(meet, "jitsi-meet-tokens", sqlitePackage(hostOS(h)), "lua-unbound")
	if s.cfg.Jitsi.Turn {
		names = append(names, "jitsi-meet-turnserver")
	}
	// The pin step resolved jitsi.version: every Jitsi package at its
	// exact version (the plan shows each version change), then the rest.
	if !s.cfg.Jitsi.CoreBridge {
		pv = slices.DeleteFunc(pv, func(p resource.PackageVersion) bool { return p.Name == "jitsi-meet" || p.Name == "jitsi-videobridge2" })
	}
	if len(pv) > 0 {
		rs = append(rs, &resource.PackageVersions{Packages: pv, Answers: answers})
	}
	// uninstall --purge-packages purges Jitsi's packages, not the
	// libraries and servers (Prosody, coturn) they brought.
	rs = append(rs, &resource.Packages{Names: names, Answers: answers, Purge: JitsiPackages(s.cfg)})
	return append(rs, forget(answers)...), nil
}

// forget clears what a package operation cut short (killed, its link lost)
// left of the secret answers in debconf, and what an older installer kept.
func forget(answers []installer.Answer) []installer.Resource {
	var rs []installer.Resource
	for _, a := range answers {
		if a.Value == "" {
			continue // the probe could not tell it from no answer
		}
		rs = append(rs, &resource.DebconfForget{Question: a.Question, Value: a.Value})
	}
	return rs
}

// only keeps the pinned versions of names.
func (*jitsiPackages) only(pv []resource.PackageVersion, names []string) []resource.PackageVersion {
	return slices.DeleteFunc(pv, func(p resource.PackageVersion) bool { return !slices.Contains(names, p.Name) })
}

// packages are the Jitsi packages a host of e's role has: a videobridge
// host has the bridge only.
func (e *env) packages() []string {
	if e.bridge() {
		return []string{"jitsi-videobridge2"}
	}
	return JitsiPackages(e.cfg)
}
