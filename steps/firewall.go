package steps

import (
	"slices"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// firewall allows the ports the host's sshd listens on first, then what
// Jitsi needs from the world, and enables UFW.
type firewall struct{ *env }

func (*firewall) Name() string { return "Firewall" }

const factSSHPorts = "sshd.ports"

// sshPorts prints the ports sshd is configured for and those it, or systemd
// for it (ssh.socket), listens on.
var sshPorts = []string{"sh", "-c", `sshd -T 2>/dev/null | awk '$1 == "port" { print $2 }'
ss -Htlnp 2>/dev/null | awk '/"sshd/ { n = split($4, a, ":"); print a[n] }'
if systemctl -q is-active ssh.socket 2>/dev/null; then
	systemctl show -p Listen ssh.socket | tr ' ' '\n' | sed -n 's/.*:\([0-9][0-9]*\)$/\1/p'
fi
true`}

func (*firewall) Queries(*installer.Host) []installer.Query {
	return []installer.Query{sshPortsFact.Query()}
}

// sshPortsFact is the ports sshd listens on, each once, as the host says.
var sshPortsFact = &installer.Fact[[]string]{Name: factSSHPorts, Args: sshPorts,
	Parse: func(out string, _ int) []string {
		var ports []string
		for _, p := range strings.Fields(out) {
			if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 && !slices.Contains(ports, p) {
				ports = append(ports, p)
			}
		}
		return ports
	}}

// sshdPorts are the ports to keep open for SSH: those the host's sshd
// listens on, whatever port this run came through (a port forward, a jump
// host's mapping); the run's own port when the host cannot tell.
func sshdPorts(h *installer.Host) []string {
	ports := sshPortsFact.Get(h)
	if len(ports) == 0 {
		return []string{runPort(h)}
	}
	ports = slices.Clone(ports) // the fact's answer is shared by its readers
	slices.SortFunc(ports, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	return ports
}

// runPort is the port this run reaches the host's sshd on.
func runPort(h *installer.Host) string {
	if h.Port == 0 {
		return "22"
	}
	return strconv.Itoa(h.Port)
}

// throughForward reports whether this run reaches the host through a port
// forward or NAT (its port is not one sshd listens on), with both.
func throughForward(h *installer.Host) (run string, sshd []string, forwarded bool) {
	run, sshd = runPort(h), sshdPorts(h)
	return run, sshd, !slices.Contains(sshd, run)
}

func (s *firewall) rules(h *installer.Host) []*resource.UFWRule {
	var rules []*resource.UFWRule
	for _, p := range sshdPorts(h) {
		// Keep: uninstall never locks the operator out.
		rules = append(rules, &resource.UFWRule{Port: p, Proto: "tcp", Comment: "ssh (jitsi-installer)", Keep: true})
	}
	rules = append(rules,
		httpRule(),
		&resource.UFWRule{Port: "443", Proto: "tcp", Comment: "https (jitsi-installer)"},
		&resource.UFWRule{Port: "10000", Proto: "udp", Comment: "jitsi media (jitsi-installer)"},
	)
	if s.cfg.Jitsi.Turn {
		rules = append(rules,
			&resource.UFWRule{Port: "3478", Proto: "udp", Comment: "turn (jitsi-installer)"},
			&resource.UFWRule{Port: "5349", Proto: "tcp", Comment: "turns (jitsi-installer)"})
	}
	for _, from := range s.cfg.Firewall.XMPPFrom {
		rules = append(rules, &resource.UFWRule{Port: "5222", Proto: "tcp", From: from, Comment: xmppComment})
	}
	if s.cfg.Firewall.OpenGuidePorts {
		for _, p := range []struct{ port, why string }{
			{"4443", "the videobridge no longer listens on TCP 4443"},
			{"5222", "XMPP is then open to the world; only remote videobridges need it (firewall.xmpp_from)"},
			{"5347", "Prosody's component port is then open to the world; nothing outside the host needs it"},
		} {
			rules = append(rules, &resource.UFWRule{Port: p.port, Proto: "tcp", Comment: "guide (jitsi-installer)",
				Warn: "firewall.open_guide_ports opens " + p.port + "/tcp to everyone: " + p.why})
		}
	}
	return s.forRole(h, rules)
}

func (s *firewall) Declare(h *installer.Host) ([]installer.Resource, error) {
	if !s.cfg.Firewall.Enabled {
		return nil, installer.Skip("firewall.enabled is false")
	}
	if run, ports, fwd := throughForward(h); fwd {
		h.Warn("this run reaches the host on port %s, but its sshd listens on %s: UFW allows %s, not %s (a port forward or NAT in between?)",
			run, strings.Join(ports, ", "), strings.Join(ports, ", "), run)
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
	rs = append(rs, &resource.UFWUndeclared{Declared: s.rules(h), Remove: s.cfg.Firewall.RemoveUndeclared, Owned: ownedComments()})
	return append(rs, resource.UFWEnabled{}), nil
}

func (s *firewall) Checks(h *installer.Host) []installer.Check {
	if !s.cfg.Firewall.Enabled {
		return nil
	}
	var rs []installer.Resource
	for _, r := range s.rules(h) {
		rs = append(rs, r)
	}
	rs = append(rs, resource.UFWEnabled{})
	return []installer.Check{installer.StateCheck("UFW rules as declared", rs...)}
}

// httpRule opens port 80: ACME's HTTP challenge and the redirect to HTTPS.
func httpRule() *resource.UFWRule {
	return &resource.UFWRule{Port: "80", Proto: "tcp", Comment: "http, ACME (jitsi-installer)"}
}
