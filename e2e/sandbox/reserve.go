package sandbox

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// reserve claims the name and a free /30 under a lock shared by every up.
func reserve(o Options, rootfs string) (*Target, error) {
	unlock, err := lock(filepath.Join(Dir(), "targets.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	dir := TargetDir(o.Name)
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("target %s exists (down it first: sandbox down %s)", o.Name, o.Name)
	}
	if _, err := net.InterfaceByName("ve-" + o.Name); err == nil {
		return nil, fmt.Errorf("target %s: ve-%s exists on this machine (a target of that name from another JITSI_SANDBOX_DIR?)", o.Name, o.Name)
	}
	ts, err := List()
	if err != nil {
		return nil, err
	}
	used := map[int]bool{}
	for _, t := range ts {
		used[t.Net] = true
	}
	// Addresses left on this machine by something else count as used too.
	for _, ip := range sandboxAddrs() {
		used[int(ip[2])] = true
	}
	n := 0
	for i := 1; i <= 250; i++ {
		if !used[i] {
			n = i
			break
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("no free network in 10.213.1-250.0/30")
	}
	addr, octet := fmt.Sprintf("10.213.%d.2", n), 0
	var bastion *BastionInfo
	if o.Behind != "" {
		if bastion, err = bastionFor(o); err != nil {
			return nil, err
		}
		addr = fmt.Sprintf("10.213.%d.6", n) // see behindAddrs
	}
	if o.Network != "" {
		if octet, addr, err = joinNetwork(o.Network, ts); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	t := &Target{dir: dir, State: State{
		Info: Info{
			Name:        o.Name,
			Suite:       o.Suite,
			SSHAccess:   SSHAccess{User: o.User, Address: addr, Port: 22},
			HostAddress: fmt.Sprintf("10.213.%d.1", n),
			Domain:      o.Name + DomainSuffix,
			Bastion:     bastion,
		},
		Net:      n,
		Network:  o.Network,
		NetOctet: octet,
		CPUs:     o.CPUs,
		Link:     fmt.Sprintf("10.213.%d.2", n),
		Rootfs:   rootfs,
		Merged:   filepath.Join(dir, "merged"),
		Veth:     "ve-" + o.Name,
		Created:  time.Now().UTC(),
	}}
	return t, t.save()
}
