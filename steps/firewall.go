package steps

import (
	"strconv"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// firewall allows the SSH port this run is connected through first, then
// what Jitsi needs from the world, and enables UFW.
type firewall struct{ *env }

func (*firewall) Name() string { return "Firewall" }

func (s *firewall) rules(h *installer.Host) []*installer.UFWRule {
	port := h.Port
	if port == 0 {
		port = 22
	}
	rules := []*installer.UFWRule{
		{Port: strconv.Itoa(port), Proto: "tcp", Comment: "ssh (jitsi-installer)"},
		httpRule(),
		{Port: "443", Proto: "tcp", Comment: "https (jitsi-installer)"},
		{Port: "10000", Proto: "udp", Comment: "jitsi media (jitsi-installer)"},
	}
	if s.cfg.Jitsi.Turn {
		rules = append(rules,
			&installer.UFWRule{Port: "3478", Proto: "udp", Comment: "turn (jitsi-installer)"},
			&installer.UFWRule{Port: "5349", Proto: "tcp", Comment: "turns (jitsi-installer)"})
	}
	for _, from := range s.cfg.Firewall.XMPPFrom {
		rules = append(rules, &installer.UFWRule{Port: "5222", Proto: "tcp", From: from, Comment: xmppComment})
	}
	if s.cfg.Firewall.OpenGuidePorts {
		for _, p := range []struct{ port, why string }{
			{"4443", "the videobridge no longer listens on TCP 4443"},
			{"5222", "XMPP is then open to the world; only remote videobridges need it (firewall.xmpp_from)"},
			{"5347", "Prosody's component port is then open to the world; nothing outside the host needs it"},
		} {
			rules = append(rules, &installer.UFWRule{Port: p.port, Proto: "tcp", Comment: "guide (jitsi-installer)",
				Warn: "firewall.open_guide_ports opens " + p.port + "/tcp to everyone: " + p.why})
		}
	}
	return s.forRole(h, rules)
}

func (s *firewall) Declare(h *installer.Host) ([]installer.Resource, error) {
	if !s.cfg.Firewall.Enabled {
		return nil, installer.Skip("firewall.enabled is false")
	}
	var rs []installer.Resource
	for _, r := range s.rules(h) {
		if s.cfg.TLS.Mode == answers.TLSLetsEncrypt && r.Key() == httpRule().Key() {
			continue // the certificate step opened it before certbot ran
		}
		rs = append(rs, r)
	}
	prunes := s.prune(h)
	rs = append(rs, prunes...)
	rs = append(rs, &installer.UFWUndeclared{Declared: s.rules(h), Remove: s.cfg.Firewall.RemoveUndeclared, Owned: ownedComments()})
	return append(rs, installer.UFWEnabled{}), nil
}

func (s *firewall) Checks(h *installer.Host) []installer.Check {
	if !s.cfg.Firewall.Enabled {
		return nil
	}
	var rs []installer.Resource
	for _, r := range s.rules(h) {
		rs = append(rs, r)
	}
	rs = append(rs, installer.UFWEnabled{})
	return []installer.Check{installer.StateCheck("UFW rules as declared", rs...)}
}

// httpRule opens port 80: ACME's HTTP challenge and the redirect to HTTPS.
func httpRule() *installer.UFWRule {
	return &installer.UFWRule{Port: "80", Proto: "tcp", Comment: "http, ACME (jitsi-installer)"}
}
