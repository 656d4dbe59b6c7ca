package steps

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// Facts every step may read; asked by the preflight step.
const (
	factOS      = "os.release"
	factCPUs    = "host.cpus"
	factMemKB   = "host.mem_kb"
	factDiskKB  = "host.disk_kb"
	factAddrs   = "host.addresses"
	factDNS     = "host.dns"
	factPorts   = "host.ports"
	factJanssen = "janssen.discovery"
	factACME    = "acme.directory"
)

// What the guide asks for, and the floors below which the installer refuses:
// a host under the floor cannot run Prosody, Jicofo and the bridge at all.
const (
	wantCPUs   = 4
	wantMemKB  = 8 << 20  // 8 GiB
	wantDiskKB = 50 << 20 // 50 GiB free
	floorCPUs  = 1
	floorMemKB = 1 << 20 // 1 GiB
	floorDisk  = 5 << 20 // 5 GiB free
)

// count is a number the host reported; ok is false when it reported none.
type count struct {
	n  int
	ok bool
}

func countFact(name string, args ...string) *installer.Fact[count] {
	return &installer.Fact[count]{Name: name, Args: args, Parse: func(out string, _ int) count {
		n, err := strconv.Atoi(out)
		return count{n, err == nil}
	}}
}

var (
	cpusFact  = countFact(factCPUs, "nproc")
	memFact   = countFact(factMemKB, "awk", "/^MemTotal:/{print $2}", "/proc/meminfo")
	diskFact  = countFact(factDiskKB, "sh", "-c", "df -Pk / | awk 'NR==2{print $4}'")
	addrsFact = &installer.Fact[[]string]{Name: factAddrs,
		Args:  []string{"sh", "-c", "ip -o addr show scope global 2>/dev/null | awk '{split($4,a,\"/\"); print a[1]}'"},
		Parse: func(out string, _ int) []string { return strings.Fields(out) }}
	portsFact = &installer.Fact[[]listener]{Name: factPorts, Args: []string{"ss", "-Hlnptu"}, Parse: parseListeners}
)

// dnsFact is the addresses the domain resolves to on the host, each once.
// Its query names the domain: the step builds it.
var dnsFact = &installer.Fact[[]string]{Name: factDNS, Parse: func(out string, _ int) []string {
	var resolved []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && !slices.Contains(resolved, f[0]) {
			resolved = append(resolved, f[0])
		}
	}
	return resolved
}}

// listener is a port a program listens on, from a line of ss -Hlnptu.
type listener struct {
	Proto string // tcp, udp
	Port  string
	Users string // the programs holding it; "" when ss could not tell
}

func parseListeners(out string, _ int) []listener {
	var ls []listener
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		local := f[4]
		l := listener{Proto: f[0], Port: local[strings.LastIndex(local, ":")+1:]}
		if len(f) > 6 {
			l.Users = strings.Join(f[6:], " ")
		}
		ls = append(ls, l)
	}
	return ls
}

// preflight refuses hosts the guide does not cover before anything changes,
// and warns where the host is below the guide's minimums.
type preflight struct{ *env }

func (*preflight) Name() string { return "Preflight" }

func (s *preflight) Queries(*installer.Host) []installer.Query {
	q := []installer.Query{
		osFact.Query(),
		cpusFact.Query(),
		memFact.Query(),
		diskFact.Query(),
		addrsFact.Query(),
		portsFact.Query(),
	}
	if s.bridge() {
		return q // a videobridge host talks to neither Janssen nor ACME
	}
	q = append(q, janssenQuery(s.env))
	if s.cfg.TLS.Mode == answers.TLSLetsEncrypt {
		q = append(q, installer.Query{Name: dnsFact.Name, Args: []string{"getent", "ahostsv4", s.cfg.Domain}})
		if privateACME(s.cfg) {
			q = append(q, installer.Query{Name: acmeFact.Name, Args: []string{"sh", "-c", fetchACME, "sh", s.cfg.LetsEncrypt.Server, s.ca.acme}})
		}
	}
	return q
}

// fetchACME fetches the ACME directory $1 on the host the way certbot will:
// trusting only the CA bundle $2 when there is one (certbot gets it as
// REQUESTS_CA_BUNDLE), else the system's CAs. It exits with curl's code
// (127: no curl yet) and prints curl's error.
const fetchACME = `command -v curl >/dev/null || exit 127
url=$1
if [ -n "$2" ]; then ca=$(mktemp); trap 'rm -f "$ca"' EXIT; printf '%s\n' "$2" > "$ca"; set -- --cacert "$ca" --capath /nonexistent; else set --; fi
out=$(curl -sS --fail --max-time 10 -o /dev/null "$@" "$url" 2>&1); code=$?
printf '%s\n' "$out" | head -n1; exit $code`

// acmeAnswer is how the host's fetch of the ACME directory went: curl's
// exit code and error.
type acmeAnswer struct {
	code int
	err  string
}

var acmeFact = &installer.Fact[acmeAnswer]{Name: factACME, Parse: func(out string, code int) acmeAnswer {
	return acmeAnswer{code: code, err: strings.TrimSpace(out)}
}}

// privateACME reports whether the answers' ACME server is not Let's
// Encrypt's: only then may the host lack its CA.
func privateACME(cfg *answers.Config) bool {
	return !strings.HasSuffix(strings.SplitN(strings.TrimPrefix(cfg.LetsEncrypt.Server, "https://"), "/", 2)[0], ".api.letsencrypt.org")
}

// acmeReachable refuses a host where certbot could not trust the private
// ACME server's HTTPS certificate, naming letsencrypt.ca_bundle; one that
// cannot reach the server at all is a warning.
func acmeReachable(h *installer.Host, cfg *answers.Config) error {
	a := acmeFact.Get(h)
	server := cfg.LetsEncrypt.Server
	switch a.code {
	case 0, 127: // fetched, or no curl yet (certbot will say)
		return nil
	case 60, 77, 35: // the certificate does not verify; the CA file is unusable; the TLS handshake failed
		if cfg.LetsEncrypt.CABundle == "" {
			return installer.Refuse("letsencrypt.server %s: the host does not trust its HTTPS certificate (%s): set letsencrypt.ca_bundle to %s",
				server, a.err, acmeBundleNeeds)
		}
		return installer.Refuse("letsencrypt.server %s: its HTTPS certificate does not verify against letsencrypt.ca_bundle %s (%s): the bundle needs %s",
			server, cfg.LetsEncrypt.CABundle, a.err, acmeBundleNeeds)
	}
	h.Warn("the ACME server %s is not reachable from the host (%s): certbot cannot get the certificate until it is", server, a.err)
	return nil
}

func (s *preflight) Declare(h *installer.Host) ([]installer.Resource, error) {
	if s.ca.err != nil {
		return nil, installer.Refuse("read the CA bundle %v", s.ca.err)
	}
	o := hostOS(h)
	if err := supported(o); err != nil {
		return nil, installer.Refuse("%v", err)
	}
	if err := resources(h); err != nil {
		return nil, err
	}
	if err := portsFree(h, s.bridge()); err != nil {
		return nil, err
	}
	if s.bridge() {
		if len(s.cfg.Jitsi.STUNServers) == 0 {
			behindNAT(h)
		}
		return nil, nil
	}
	if s.cfg.TLS.Mode == answers.TLSLetsEncrypt {
		dnsPointsHere(h, s.cfg.Domain)
		if privateACME(s.cfg) {
			if err := acmeReachable(h, s.cfg); err != nil {
				return nil, err
			}
		}
	}
	if len(s.cfg.Jitsi.STUNServers) == 0 {
		behindNAT(h)
	}
	j := janssen(h, s.cfg)
	switch {
	case j.Err != nil && strings.Contains(j.Err.Error(), "curl is not installed"):
		// Checked again once the base packages are in.
	case j.Err != nil:
		h.Warn("Janssen is not reachable from the host: %v; tokens cannot be checked until it is", j.Err)
	case j.Issuer != nil:
		return nil, installer.Refuse("janssen.issuer: %v (Prosody rejects every token otherwise)", j.Issuer)
	case j.RSAKeys == 0:
		h.Warn("Janssen's JWKS at %s has no RSA signing key with a kid: Prosody cannot check RS256 tokens", j.Doc.JWKSURI)
	}
	return nil, nil
}

func resources(h *installer.Host) error {
	if c := cpusFact.Get(h); c.ok {
		n := c.n
		if n < floorCPUs {
			return installer.Refuse("the host has %d CPUs; at least %d is needed", n, floorCPUs)
		} else if n < wantCPUs {
			h.Warn("the host has %d CPUs; the guide recommends %d for production", n, wantCPUs)
		}
	}
	if c := memFact.Get(h); c.ok {
		kb := c.n
		if kb < floorMemKB {
			return installer.Refuse("the host has %s of memory; at least %s is needed", size(kb), size(floorMemKB))
		} else if kb < wantMemKB*95/100 {
			h.Warn("the host has %s of memory; the guide recommends %s", size(kb), size(wantMemKB))
		}
	}
	if c := diskFact.Get(h); c.ok {
		kb := c.n
		if kb < floorDisk {
			return installer.Refuse("the host has %s free on /; at least %s is needed", size(kb), size(floorDisk))
		} else if kb < wantDiskKB {
			h.Warn("the host has %s free on /; the guide recommends %s", size(kb), size(wantDiskKB))
		}
	}
	return nil
}

func size(kb int) string { return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20)) }

// expectedOn names the programs that may already hold the ports Jitsi needs.
var expectedOn = map[string][]string{
	"tcp:80":    {"nginx"},
	"tcp:443":   {"nginx"},
	"tcp:5222":  {"prosody", "lua"},
	"udp:10000": {"java", "jvb", "videobridge", "python"},
}

// portsFree refuses a host where another program holds a port Jitsi needs;
// on a videobridge host only the media port.
func portsFree(h *installer.Host, bridge bool) error {
	for _, l := range portsFact.Get(h) {
		key := l.Proto + ":" + l.Port
		want, ok := expectedOn[key]
		if !ok || bridge && key != "udp:10000" || l.Users == "" {
			continue
		}
		if !anyIn(l.Users, want) {
			return installer.Refuse("%s/%s is already used by %s; Jitsi needs it for %s: stop that service first", l.Port, l.Proto, l.Users, strings.Join(want, " or "))
		}
	}
	return nil
}

func anyIn(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, "\""+x) {
			return true
		}
	}
	return false
}

func dnsPointsHere(h *installer.Host, domain string) {
	addrs := addrsFact.Get(h)
	resolved := dnsFact.Get(h)
	if len(resolved) == 0 {
		h.Warn("%s does not resolve on the host: Let's Encrypt cannot validate it until its DNS points here", domain)
		return
	}
	for _, r := range resolved {
		if slices.Contains(addrs, r) {
			return
		}
	}
	h.Warn("%s resolves to %s, not to an address of this host (%s): fine behind NAT, otherwise Let's Encrypt validation will fail",
		domain, strings.Join(resolved, ", "), strings.Join(addrs, ", "))
}

// behindNAT warns when the videobridge has no public address to offer: with
// no STUN server to learn the NAT's, it has only private ones, which remote
// participants cannot reach (and the bridge's health check, which requires
// a valid address, fails).
func behindNAT(h *installer.Host) {
	addrs := addrsFact.Get(h)
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.IsGlobalUnicast() && !ip.IsPrivate() {
			return
		}
	}
	h.Warn("the host has no public address (%s) and jitsi.stun_servers is empty: the videobridge cannot learn the address participants reach it on; set jitsi.stun_servers (e.g. [%s]) unless the bridge is only used on this network",
		strings.Join(addrs, ", "), answers.DefaultSTUNServer)
}

func (s *preflight) Checks(*installer.Host) []installer.Check {
	if s.bridge() {
		return nil
	}
	q := janssenQuery(s.env)
	return []installer.Check{{Name: "Janssen's JWKS is reachable from the host with an RSA key", Args: q.Args,
		Eval: func(out string, _ int) error {
			j := parseJanssen(out, s.cfg)
			switch {
			case j.Err != nil:
				return j.Err
			case j.Issuer != nil:
				return j.Issuer
			case j.RSAKeys == 0:
				return fmt.Errorf("no RSA signing key with a kid in %s", j.Doc.JWKSURI)
			}
			return nil
		}}}
}
