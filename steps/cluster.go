package steps

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// Scale out: the core runs Prosody, Jicofo, the web app and (unless
// jitsi.core_bridge is false) a bridge; each host with role videobridge runs
// only jitsi-videobridge2, logged in to the core's Prosody and announced in
// its brewery MUC. See docs/scale-out.md.

// coreOut is what the core's steps produce for the videobridges' steps:
// the Secrets step the address and password, the Videobridges step the
// certificate.
type coreOut struct {
	Address     string // where the bridges reach the core: its hosts[].address
	JVBPassword string // Prosody's jvb account, which every bridge logs in with
	AuthCert    string // Prosody's auth.DOMAIN certificate (PEM); empty before the packages made it
}

const (
	factAuthCert = "prosody.auth_cert"
	factResolve  = "resolve."
	// coreAuthCA is where a bridge keeps the core's auth.DOMAIN certificate
	// in its system CA store, which the bridge's Java trust store follows.
	coreAuthCA = caDir + "/jitsi-installer-core-auth.crt"
	// Comments of the UFW rules whose sources are other hosts of the
	// deployment: rules with them that are no longer declared are deleted.
	xmppComment   = "xmpp for bridges (jitsi-installer)"
	coreWSComment = "colibri websockets for the core (jitsi-installer)"
	wsPort        = "9090"
)

func authCertPath(domain string) string { return assets.PackageCert(authDomain(domain)) }

// bridge reports whether the steps are a videobridge host's.
func (e *env) bridge() bool { return e.role == answers.RoleVideobridge }

// bridgeID is a videobridge host's instance id (websockets.server-id, MUC
// nickname, relay id): its address with every other character than a
// letter or digit as "-". The core knows it without asking the bridge, and
// it stays while the address does.
func bridgeID(address string) string {
	var b strings.Builder
	b.WriteString("jvb-")
	for _, c := range strings.ToLower(address) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// answersHost is h's entry in the answers file, which the front end
// handed on as the target's Data (the core when it has none: --host local).
func (e *env) answersHost(h *installer.Host) answers.Host {
	if a, ok := h.Data.(answers.Host); ok {
		return a
	}
	c, _ := e.cfg.Core()
	return c
}

// coreValues returns what the core produced; bridges are declared after it.
func (e *env) coreValues(h *installer.Host) (coreOut, error) {
	v, _, ok := e.core.Get()
	if !ok {
		return v, errors.New("the core host's values are missing: the core was not planned in this run")
	}
	h.Secret(v.JVBPassword)
	v.AuthCert, _, _ = e.coreCert.Get()
	return v, nil
}

// resolveQueries ask the host for the addresses of names (not IP addresses).
func resolveQueries(names ...string) []installer.Query {
	var q []installer.Query
	for _, n := range names {
		if _, err := netip.ParseAddr(n); err != nil {
			q = append(q, resolveFact.Query(n, "getent", "ahosts", n))
		}
	}
	return q
}

// resolved is name's address as the host resolves it ("" when it does not).
func resolved(h *installer.Host, name string) string {
	if _, err := netip.ParseAddr(name); err == nil {
		return name
	}
	return resolveFact.Get(h, name)
}

// resolveFact is, by name, the first address the host resolves it to.
var resolveFact = &installer.FactFamily[string]{Prefix: factResolve, Parse: func(out string, _ int) string {
	if f := strings.Fields(out); len(f) > 0 {
		return f[0]
	}
	return ""
}}

// bridgeSources are the addresses of the videobridge hosts, as the core
// resolves them: who may log in to its Prosody.
func (e *env) bridgeSources(h *installer.Host) []string {
	var out []string
	for _, b := range e.cfg.Bridges() {
		if a := resolved(h, b.Address); a != "" {
			out = append(out, a)
		} else {
			h.Warn("videobridge %s does not resolve on the core: its XMPP port stays closed to it", b.Address)
		}
	}
	return out
}

// videobridges is the core's side of its videobridges: it hands the bridges
// Prosody's certificate (the Secrets step hands them the address and the
// jvb password), and verify checks that Jicofo sees every bridge in the
// brewery.
type videobridges struct{ *env }

func (*videobridges) Name() string { return "Videobridges" }

func (s *videobridges) Queries(*installer.Host) []installer.Query {
	var names []string
	for _, b := range s.cfg.Bridges() {
		names = append(names, b.Address)
	}
	return append(resolveQueries(names...), authCertQuery(s.cfg.Domain))
}

// authCertQuery reads Prosody's auth.DOMAIN certificate on the core.
func authCertQuery(domain string) installer.Query {
	return installer.Query{Name: authCertFact.Name, Args: []string{"cat", authCertPath(domain)}}
}

// authCertFact is Prosody's certificate for auth.DOMAIN, "" when the host
// has none yet. Its query names the domain: the step builds it.
var authCertFact = &installer.Fact[string]{Name: factAuthCert, Parse: func(out string, code int) string {
	if code != 0 {
		return ""
	}
	return out + "\n"
}}

func (s *videobridges) Declare(*installer.Host) ([]installer.Resource, error) { return nil, nil }

// Produce implements installer.Producer: the certificate the videobridge
// hosts trust, which the core's packages made.
func (s *videobridges) Produce(h *installer.Host) { s.coreCert.Set(h, authCertFact.Get(h)) }

func (s *videobridges) Checks(*installer.Host) []installer.Check {
	bridges := s.cfg.Bridges()
	if len(bridges) == 0 {
		return nil
	}
	want := len(bridges)
	var names []string
	if s.cfg.Jitsi.CoreBridge {
		want++
		c, _ := s.cfg.Core()
		names = append(names, "the core's own ("+s.cfg.Region(c)+")")
	}
	for _, b := range bridges {
		names = append(names, bridgeID(b.Address)+" ("+s.cfg.Region(b)+")")
	}
	return []installer.Check{{Name: fmt.Sprintf("Jicofo counts %d videobridges in the brewery: %s", want, strings.Join(names, ", ")),
		Args: []string{"curl", "-sS", "--fail", "--max-time", "10", "http://127.0.0.1:8888/stats"}, Settle: true,
		Eval: func(out string, code int) error {
			if code != 0 {
				return fmt.Errorf("GET 127.0.0.1:8888/stats (Jicofo): %s", strings.TrimSpace(out))
			}
			n, ok := bridgeCount(out)
			switch {
			case !ok:
				return fmt.Errorf("the stats of Jicofo have no bridge count: %.200s", out)
			case n < want:
				return fmt.Errorf("only %d of %d videobridges are in Jicofo's brewery", n, want)
			}
			return nil
		}}}
}

// bridgeHosts are the remote videobridges as the core's nginx reaches them.
func (e *env) bridgeHosts() []assets.Bridge {
	var out []assets.Bridge
	for _, b := range e.cfg.Bridges() {
		out = append(out, assets.Bridge{ID: bridgeID(b.Address), Upstream: net.JoinHostPort(b.Address, wsPort), Region: e.cfg.Region(b)})
	}
	return out
}

// coreTrust puts the core's auth.DOMAIN certificate into a bridge's CA
// store: the bridge checks Prosody's certificate after STARTTLS against it.
type coreTrust struct{ *env }

func (*coreTrust) Name() string  { return "The core's certificate" }
func (*coreTrust) Group() string { return "configure" }

func (s *coreTrust) Queries(*installer.Host) []installer.Query {
	c, _ := s.cfg.Core()
	return resolveQueries(c.Address)
}

func (s *coreTrust) Declare(h *installer.Host) ([]installer.Resource, error) {
	v, err := s.coreValues(h)
	if err != nil {
		return nil, err
	}
	if v.AuthCert == "" {
		h.Warn("the core has no %s certificate yet: the bridge trusts it once the core is installed, later in this run", authDomain(s.cfg.Domain))
		return nil, nil
	}
	return []installer.Resource{&resource.File{Path: coreAuthCA, Mode: 0o644, Content: []byte(v.AuthCert),
		Notify: notify(updateCAs, restartBridge)}}, nil
}

// restartBridge restarts a videobridge host's bridge: there is no Prosody
// on that host to start first.
var restartBridge = installer.Restart("jitsi-videobridge2")

// xmppConnected passes when the bridge holds an XMPP connection to the core.
func xmppConnected(core string) installer.Check {
	return installer.Check{Name: "XMPP connected to the core " + core, Settle: true,
		Args: []string{"ss", "-Htn", "state", "established", "( dport = :5222 )"},
		Eval: func(out string, _ int) error {
			for _, line := range strings.Split(out, "\n") {
				f := strings.Fields(line)
				if len(f) >= 4 && strings.HasPrefix(f[len(f)-1], hostPrefix(core)) {
					return nil
				}
			}
			return fmt.Errorf("no established connection to %s:5222", core)
		}}
}

// hostPrefix is how ss prints addr's side of a socket, up to the port.
func hostPrefix(addr string) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:"
	}
	return addr + ":"
}

// bridgeCount reads the number of bridges from Jicofo's /stats:
// bridge_selector.bridge_count, or bridge_count at the top in older releases.
func bridgeCount(stats string) (int, bool) {
	var v struct {
		Count    *int `json:"bridge_count"`
		Selector struct {
			Count *int `json:"bridge_count"`
		} `json:"bridge_selector"`
	}
	if json.Unmarshal([]byte(stats), &v) != nil {
		return 0, false
	}
	switch {
	case v.Selector.Count != nil:
		return *v.Selector.Count, true
	case v.Count != nil:
		return *v.Count, true
	}
	return 0, false
}

// runs reports whether the hosts of e's role run unit.
func (e *env) runs(unit string) bool {
	switch {
	case e.bridge():
		return unit == "jitsi-videobridge2"
	case unit == "coturn":
		return e.cfg.Jitsi.Turn
	case unit == "jitsi-videobridge2":
		return e.cfg.Jitsi.CoreBridge
	}
	return true
}
