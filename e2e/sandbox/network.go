package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
)

// Shared networks (`up NAME --network NET`): the targets of one network
// reach each other and this machine on 10.213.X.0/24, X in 251 to 254 (the
// /30s of single targets are 10.213.1-250.0), through a Linux bridge
// jsn-NET whose address is 10.213.X.1; members are 10.213.X.2 and up.
// Each member keeps its own /30 to its daemon, and gets a route to every
// other member's daemon address (a local address of this machine, so no
// forwarding is involved): the core's apt proxy and repository serve its
// bridges too. Nothing routes anywhere else. The bridge goes with the
// network's last member.

// networkFirst and networkLast bound the third octet of shared networks.
const networkFirst, networkLast = 251, 254

var networkRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,9}[a-z0-9]$`)

// bridgeName is the Linux bridge of network name (at most 15 bytes).
func bridgeName(network string) string { return "jsn-" + network }

// netVeth is the host side of a member's veth on the network.
func netVeth(name string) string { return "vn-" + name }

// joinNetwork picks the network's /24 (the one its members use, or a free
// one) and a free member address; the caller holds the targets lock.
func joinNetwork(network string, ts []*Target) (octet int, addr string, err error) {
	used := map[int]bool{}
	members := map[string]bool{}
	for _, t := range ts {
		if t.NetOctet == 0 {
			continue
		}
		used[t.NetOctet] = true
		if t.Network == network {
			octet = t.NetOctet
			members[t.Address] = true
		}
	}
	if octet == 0 {
		for _, ip := range sandboxAddrs() {
			// A bridge of another state directory, or left over.
			if int(ip[2]) >= networkFirst && !bridgeOf(network, ip) {
				used[int(ip[2])] = true
			}
		}
		for x := networkFirst; x <= networkLast; x++ {
			if !used[x] {
				octet = x
				break
			}
		}
		if octet == 0 {
			return 0, "", fmt.Errorf("no free shared network in 10.213.%d-%d.0/24", networkFirst, networkLast)
		}
	}
	for i := 2; i < 255; i++ {
		if a := fmt.Sprintf("10.213.%d.%d", octet, i); !members[a] {
			return octet, a, nil
		}
	}
	return 0, "", fmt.Errorf("network %s is full", network)
}

// sandboxAddrs are the IPv4 addresses in 10.213.0.0/16 on this machine's
// interfaces, in their 4-byte form.
func sandboxAddrs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []net.IP
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip4 := ipn.IP.To4(); ip4 != nil && ip4[0] == 10 && ip4[1] == 213 {
				out = append(out, ip4)
			}
		}
	}
	return out
}

// bridgeOf reports whether ip is on network's own bridge (left by a member
// whose down did not finish): reused rather than counted as taken.
func bridgeOf(network string, ip net.IP) bool {
	ifc, err := net.InterfaceByName(bridgeName(network))
	if err != nil {
		return false
	}
	addrs, _ := ifc.Addrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// gateway is this machine's address on the target's shared network.
func (t *Target) gateway() string { return fmt.Sprintf("10.213.%d.1", t.NetOctet) }

// attach puts a booted member on its network: the bridge (made by the first
// member), its address, and routes between its daemon and the others'.
func (t *Target) attach(ctx context.Context) error {
	unlock, err := lock(filepath.Join(Dir(), "targets.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	// Members that attach later find this one, with its namespace.
	if err := t.save(); err != nil {
		return err
	}
	br := bridgeName(t.Network)
	if _, err := net.InterfaceByName(br); err != nil {
		for _, c := range [][]string{
			{"ip", "link", "add", br, "type", "bridge"},
			{"ip", "addr", "add", t.gateway() + "/24", "dev", br},
			{"ip", "link", "set", br, "up"},
		} {
			if err := run(ctx, nil, c[0], c[1:]...); err != nil {
				return err
			}
		}
	}
	leader := strconv.Itoa(t.LeaderPID)
	cmds := [][]string{
		{"ip", "link", "set", netVeth(t.Name), "master", br},
		{"ip", "link", "set", netVeth(t.Name), "up"},
		{"nsenter", "-t", leader, "-n", "ip", "addr", "add", t.Address + "/24", "dev", "net0"},
		{"nsenter", "-t", leader, "-n", "ip", "link", "set", "net0", "up"},
	}
	others, err := t.members()
	if err != nil {
		return err
	}
	for _, o := range others {
		cmds = append(cmds,
			[]string{"nsenter", "-t", leader, "-n", "ip", "route", "replace", o.HostAddress + "/32", "via", t.gateway()},
			[]string{"nsenter", "-t", strconv.Itoa(o.LeaderPID), "-n", "ip", "route", "replace", t.HostAddress + "/32", "via", t.gateway()})
	}
	for _, c := range cmds {
		if err := run(ctx, nil, c[0], c[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// members are the other running targets of t's network.
func (t *Target) members() ([]*Target, error) {
	ts, err := List()
	if err != nil {
		return nil, err
	}
	var out []*Target
	for _, o := range ts {
		if o.Name != t.Name && o.Network == t.Network && o.LeaderPID > 0 && alive(o.LeaderPID, "") && o.NetNS != "" && netNS(o.LeaderPID) == o.NetNS {
			out = append(out, o)
		}
	}
	return out, nil
}

// leaveNetwork undoes attach for st, a member being downed: the others'
// routes to its daemon, and the bridge when no member is left.
func leaveNetwork(ctx context.Context, st State) error {
	if st.Network == "" {
		return nil
	}
	unlock, err := lock(filepath.Join(Dir(), "targets.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	t := &Target{State: st}
	others, err := t.members()
	if err != nil {
		return err
	}
	var errs []error
	for _, o := range others {
		// Gone already when that member is being downed too: not an error.
		_ = run(ctx, nil, "nsenter", "-t", strconv.Itoa(o.LeaderPID), "-n", "ip", "route", "del", st.HostAddress+"/32")
	}
	if _, err := net.InterfaceByName(netVeth(st.Name)); err == nil {
		if err := run(ctx, nil, "ip", "link", "del", netVeth(st.Name)); err != nil {
			if _, still := net.InterfaceByName(netVeth(st.Name)); still == nil {
				errs = append(errs, err)
			}
		}
	}
	if len(others) == 0 {
		if _, err := net.InterfaceByName(bridgeName(st.Network)); err == nil {
			errs = append(errs, run(ctx, nil, "ip", "link", "del", bridgeName(st.Network)))
		}
	}
	return errors.Join(errs...)
}

// validNetwork checks a network name: the bridge name must fit in 15 bytes.
func validNetwork(name string) error {
	if name != "" && !networkRE.MatchString(name) {
		return fmt.Errorf("network %q: want 2 to 11 of a-z, 0-9 and -, starting with a letter", name)
	}
	return nil
}
