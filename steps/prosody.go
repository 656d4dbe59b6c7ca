package steps

import (
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// prosody writes the domain's Prosody configuration: token authentication
// against Janssen's keys, the conference MUC with token verification, and
// the internal MUC where the bridges meet Jicofo.
type prosody struct{ *env }

func (*prosody) Name() string  { return "Prosody" }
func (*prosody) Group() string { return "configure" }

func (s *prosody) Queries(*installer.Host) []installer.Query {
	return []installer.Query{pluginsFact.Query(), luaFact.Query()}
}

func (s *prosody) Declare(h *installer.Host) ([]installer.Resource, error) {
	d := data(h, s.env)
	// external_service_secret is the TURN secret.
	cfg, err := s.configFile(assets.Prosody, d, resource.File{Mode: 0o640, Group: "prosody", Secret: true, Notify: notify(restartProsody)})
	if err != nil {
		return nil, err
	}
	// The libraries the token plugin requires, loadable by Prosody's Lua.
	rs := append(luaLinks(h), cfg...)
	if d.KeyServerMode {
		h.Warn("this host's Prosody token plugin has no JWKS support (%s is missing): Prosody reads Janssen's keys from the loopback key server only", jwkLib)
	}
	ks, err := s.keyServer(d)
	if err != nil {
		return nil, err
	}
	return append(rs, ks...), nil
}

func (s *prosody) Checks(h *installer.Host) []installer.Check {
	got := &handedOut{}
	live := []installer.Check{s.keyServerCheck(), s.loginCheck(h, got)}
	if s.cfg.Jitsi.Turn {
		live = append(live, s.turnChecks(h, got)...)
	}
	return append(live, []installer.Check{
		{Name: "prosodyctl check config", Args: []string{"prosodyctl", "check", "config"}, Eval: exitZero("prosodyctl check config")},
		{Name: "prosodyctl check certs", Args: []string{"prosodyctl", "check", "certs"}, Eval: certProblems(s.cfg.Domain)},
		{Name: "XMPP answers on 5222", Args: []string{"python3", "-c", xmppProbe, s.cfg.Domain}, Eval: exitZero("XMPP on 127.0.0.1:5222"), Settle: true},
		{Name: "focus logs in to Prosody with the stored password", Args: []string{"python3", "-c", xmppLogin, authDomain(s.cfg.Domain), "focus", secretsFile},
			Eval: exitZero("XMPP login as focus@" + authDomain(s.cfg.Domain)), Settle: true},
	}...)
}

// certProblems fails on what stops clients of domain from connecting: a
// certificate for it that is missing, unreadable, expired or not valid for
// client connections. prosodyctl also flags every internal component
// (lobby.DOMAIN, ...) as "not valid for server-to-server connections", and
// Debian's own VirtualHost "localhost" for having no certificate; neither
// concerns a meeting.
func certProblems(domain string) func(string, int) error {
	return func(out string, code int) error {
		if code == 0 {
			return nil
		}
		var bad []string
		for _, line := range strings.Split(out, "\n") {
			l := strings.TrimSpace(line)
			heading := strings.HasPrefix(l, "Certificate:") || strings.HasPrefix(l, "Checking certificate")
			s2s := strings.HasPrefix(l, "Not valid for server-to-server connections to ")
			if !heading && !s2s && (strings.Contains(l, domain) || strings.Contains(l, "expired")) {
				bad = append(bad, l)
			}
		}
		if len(bad) == 0 {
			return nil
		}
		return fmt.Errorf("prosodyctl check certs: %s", strings.Join(bad, "; "))
	}
}
