package sandbox

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// A target behind a bastion (`up NAME --behind BASTION`, Options.Behind)
// is reached over SSH only through another running target, as a server
// whose SSH is on a private network is reached through a jump host:
//
//   - a veth pair joins the two targets' namespaces directly, bh-NAME in
//     the bastion (10.213.N.5) and bj-NAME in the target (10.213.N.6), N
//     being the target's own /30; nothing on this machine is on it, and
//     this machine holds an unreachable route for 10.213.N.4/30, so a
//     connection from here fails at once and no packet leaves;
//   - the target's sshd listens on 10.213.N.6 only (it waits for the
//     address before it starts), which is its Address and what the
//     answers file names, with the bastion as hosts[].bastion;
//   - the bastion is a plain target: Debian's sshd allows TCP forwarding.
//
// The target's web ports stay on its /30 address (10.213.N.2, Link), like
// a server whose HTTPS is public: Pebble validates there, and this machine
// resolves the target's domain to it (the /etc/hosts block), so verify's
// checks from here reach it as a client would.

// BastionInfo is how to reach a target's bastion.
type BastionInfo struct {
	Name string `json:"name"`
	SSHAccess
}

// behindAddrs are the bastion's and the target's ends of the private link.
func (t *Target) behindAddrs() (bastion, target string) {
	return fmt.Sprintf("10.213.%d.5", t.Net), fmt.Sprintf("10.213.%d.6", t.Net)
}

func behindVeths(name string) (inBastion, inTarget string) { return "bh-" + name, "bj-" + name }

// bastionFor checks that the bastion named in o runs, and says how to reach it.
func bastionFor(o Options) (*BastionInfo, error) {
	b, err := Load(o.Behind)
	if err != nil {
		return nil, fmt.Errorf("bastion: %w", err)
	}
	if !b.Running() || b.LeaderPID == 0 || netNS(b.LeaderPID) != b.NetNS {
		return nil, fmt.Errorf("bastion %s is not running", o.Behind)
	}
	if b.Bastion != nil {
		return nil, fmt.Errorf("bastion %s is itself behind %s: chains are not supported", b.Name, b.Bastion.Name)
	}
	return &BastionInfo{Name: b.Name, SSHAccess: b.SSHAccess}, nil
}

// behindFiles are the files a target behind a bastion needs before boot:
// sshd on the private address only, started once that address is there.
func (t *Target) behindFiles() []overlayFile {
	if t.Bastion == nil {
		return nil
	}
	m := t.Merged
	return []overlayFile{
		{filepath.Join(m, "etc/ssh/sshd_config.d/sandbox-behind.conf"),
			"# Sandbox: SSH only on the private link to the bastion.\nListenAddress " + t.Address + "\n", 0o644},
		{filepath.Join(m, "etc/systemd/system/ssh.service.d/sandbox-behind.conf"),
			"[Service]\nExecStartPre=/bin/sh -c 'for i in $$(seq 600); do ip -4 -o addr show | grep -qF \" " + t.Address + "/\" && exit 0; sleep 0.1; done; exit 1'\n", 0o644},
	}
}

// joinBastion makes the private link between a booting target and its
// bastion, and the route that keeps this machine off it.
func (t *Target) joinBastion(ctx context.Context) error {
	if t.Bastion == nil {
		return nil
	}
	b, err := Load(t.Bastion.Name)
	if err != nil {
		return fmt.Errorf("bastion: %w", err)
	}
	inB, inT := behindVeths(t.Name)
	bAddr, tAddr := t.behindAddrs()
	bl, tl := strconv.Itoa(b.LeaderPID), strconv.Itoa(t.LeaderPID)
	for _, c := range [][]string{
		{"ip", "link", "add", inT, "type", "veth", "peer", "name", inB},
		{"ip", "link", "set", inT, "netns", tl},
		{"ip", "link", "set", inB, "netns", bl},
		{"nsenter", "-t", tl, "-n", "ip", "addr", "add", tAddr + "/30", "dev", inT},
		{"nsenter", "-t", tl, "-n", "ip", "link", "set", inT, "up"},
		{"nsenter", "-t", bl, "-n", "ip", "addr", "add", bAddr + "/30", "dev", inB},
		{"nsenter", "-t", bl, "-n", "ip", "link", "set", inB, "up"},
		{"ip", "route", "replace", "unreachable", t.behindNet()},
	} {
		if err := run(ctx, nil, c[0], c[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// webAddress is where clients and Pebble reach the target: its Address,
// but for a target behind a bastion its /30 address.
func (t *Target) webAddress() string {
	if t.Bastion != nil {
		return t.linkAddress()
	}
	return t.Address
}

func (t *Target) behindNet() string { return fmt.Sprintf("10.213.%d.4/30", t.Net) }

// leaveBastion undoes joinBastion for st, a target being downed: the route
// here, and the link if neither namespace has taken it with it.
func leaveBastion(ctx context.Context, st State) error {
	if st.Bastion == nil || st.Net == 0 {
		return nil
	}
	t := &Target{State: st}
	_ = run(ctx, nil, "ip", "route", "del", "unreachable", t.behindNet())
	inB, inT := behindVeths(st.Name)
	for _, ifc := range []string{inB, inT} { // left on this machine by an up that died half way
		if _, err := net.InterfaceByName(ifc); err == nil {
			_ = run(ctx, nil, "ip", "link", "del", ifc)
		}
	}
	// The pair goes with the target's namespace; an up that died half
	// way may have left the bastion's end.
	if b, err := Load(st.Bastion.Name); err == nil && b.Running() && b.LeaderPID > 0 && netNS(b.LeaderPID) == b.NetNS {
		_ = run(ctx, nil, "nsenter", "-t", strconv.Itoa(b.LeaderPID), "-n", "ip", "link", "del", inB)
	}
	return nil
}

// proxyCommand is ssh's ProxyCommand that goes through the bastion.
func (t *Target) proxyCommand() string {
	b := t.Bastion
	hop := &Target{State: State{Info: Info{SSHAccess: b.SSHAccess}}}
	args := hop.SSHArgs()
	dest := args[len(args)-1]
	q := []string{"ssh"}
	for _, a := range args[:len(args)-1] {
		q = append(q, ShellQuote(a))
	}
	return strings.Join(append(q, "-W", "%h:%p", dest), " ")
}
