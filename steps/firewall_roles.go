package steps

import (
	"slices"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// forRole turns the core's rules into those of the host's role. The core:
// XMPP from every videobridge host, no media port without a bridge of its
// own. A videobridge host: SSH, the media port for everyone, and the
// bridge's websockets for the core's nginx only.
func (s *firewall) forRole(h *installer.Host, rules []*resource.UFWRule) []*resource.UFWRule {
	media := func(r *resource.UFWRule) bool { return r.Port == "10000" && r.Proto == "udp" }
	if !s.bridge() {
		if !s.cfg.Jitsi.CoreBridge {
			rules = slices.DeleteFunc(rules, media)
		}
		for _, a := range s.bridgeSources(h) {
			rules = append(rules, &resource.UFWRule{Port: "5222", Proto: "tcp", From: a, Comment: xmppComment})
		}
		return rules
	}
	var out []*resource.UFWRule
	for _, r := range rules {
		if strings.HasPrefix(r.Comment, "ssh ") || media(r) {
			out = append(out, r)
		}
	}
	c, _ := s.cfg.Core()
	if a := resolved(h, c.Address); a != "" {
		out = append(out, &resource.UFWRule{Port: wsPort, Proto: "tcp", From: a, Comment: coreWSComment})
	} else {
		h.Warn("the core %s does not resolve on this host: its nginx cannot reach the bridge's websockets", c.Address)
	}
	return out
}

// ownedComments are the comments of the rules prune manages.
func ownedComments() []string { return []string{xmppComment, coreWSComment} }

// prune deletes the rules for other hosts of the deployment that are no
// longer declared: a videobridge removed from the answers file loses its
// access to the core's XMPP port on the core's next run.
func (s *firewall) prune(h *installer.Host) []installer.Resource {
	var ps []installer.Resource
	for _, comment := range ownedComments() {
		p := &resource.UFWPrune{Comment: comment}
		for _, r := range s.rules(h) {
			if r.Comment == comment {
				p.Keep = append(p.Keep, r)
			}
		}
		ps = append(ps, p)
	}
	return ps
}
