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

// preflight refuses hosts the guide does not cover before anything changes,
// and warns where the host is below the guide's minimums.
type preflight struct{ *env }

func (*preflight) Name() string { return "Preflight" }

func (s *preflight) Queries(*installer.Host) []installer.Query {
	q := []installer.Query{
		osFact.Query(),
		{Name: factCPUs, Args: []string{"nproc"}},
		{Name: factMemKB, Args: []string{"awk", "/^MemTotal:/{print $2}", "/proc/meminfo"}},
		{Name: factDiskKB, Args: []string{"sh", "-c", "df -Pk / | awk 'NR==2{print $4}'"}},
		{Name: factAddrs, Args: []string{"sh", "-c", "ip -o addr show scope global 2>/dev/null | awk '{split($4,a,\"/\"); print a[1]}'"}},
		{Name: factPorts, Args: []string{"ss", "-Hlnptu"}},
	}
	if s.bridge() {
		return q // a videobridge host talks to neither Janssen nor ACME
	}
	q = append(q, janssenQuery(s.env))
	if s.cfg.TLS.Mode == answers.TLSLetsEncrypt {
		q = append(q, installer.Query{Name: factDNS, Args: []string{"getent", "ahostsv4", s.cfg.Domain}})
	}
	return q
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

func factInt(h *installer.Host, name string) (int, bool) {
	n, err := strconv.Atoi(h.Fact(name))
	return n, err == nil
}

func resources(h *installer.Host) error {
	if n, ok := factInt(h, factCPUs); ok {
		if n < floorCPUs {
			return installer.Refuse("the host has %d CPUs; at least %d is needed", n, floorCPUs)
		} else if n < wantCPUs {
			h.Warn("the host has %d CPUs; the guide recommends %d for production", n, wantCPUs)
		}
	}
	if kb, ok := factInt(h, factMemKB); ok {
		if kb < floorMemKB {
			return installer.Refuse("the host has %s of memory; at least %s is needed", size(kb), size(floorMemKB))
		} else if kb < wantMemKB*95/100 {
			h.Warn("the host has %s of memory; the guide recommends %s", size(kb), size(wantMemKB))
		}
	}
	if kb, ok := factInt(h, factDiskKB); ok {
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
	for _, line := range strings.Split(h.Fact(factPorts), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		local := f[4]
		port := local[strings.LastIndex(local, ":")+1:]
		key := f[0] + ":" + port
		want, ok := expectedOn[key]
		if !ok || bridge && key != "udp:10000" {
			continue
		}
		users := ""
		if len(f) > 6 {
			users = strings.Join(f[6:], " ")
		}
		if users == "" {
			continue
		}
		if !anyIn(users, want) {
			return installer.Refuse("%s/%s is already used by %s; Jitsi needs it for %s: stop that service first", port, f[0], users, strings.Join(want, " or "))
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
	addrs := strings.Fields(h.Fact(factAddrs))
	var resolved []string
	for _, line := range strings.Split(h.Fact(factDNS), "\n") {
		if f := strings.Fields(line); len(f) > 0 && !slices.Contains(resolved, f[0]) {
			resolved = append(resolved, f[0])
		}
	}
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
	addrs := strings.Fields(h.Fact(factAddrs))
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
