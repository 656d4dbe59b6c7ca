package main

import (
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// limitFlag is --limit, for the commands that can run on part of a fleet.
func limitFlag(c *cobra.Command, g *globals) {
	c.Flags().StringSliceVar(&g.limit, "limit", nil, "only these hosts, by address, address:port or ssh_config alias (comma-separated); the others are not contacted")
}

// limiter is --limit's: aliases are those of --ssh-config (none when it
// cannot be read; connecting then says why).
func (g *globals) limiter() limiter {
	sc, _ := g.loadSSHConfig()
	return limiter{names: g.limit, hostName: sc.HostName}
}

// limiter chooses the hosts of --limit.
type limiter struct {
	names []string
	// hostName resolves an ssh_config alias to its HostName ("" for none).
	hostName func(alias string) string
}

// matches reports whether name names h: its address or address:port as
// written, an ssh_config alias of the host whose HostName is the address,
// or the HostName of the alias the address is. Names are not case-sensitive.
func (l limiter) matches(name string, h answers.Host) bool {
	same := func(a, b string) bool { return a != "" && strings.EqualFold(a, b) }
	if same(name, h.Address) || same(name, net.JoinHostPort(h.Address, strconv.Itoa(h.Port))) {
		return true
	}
	return l.hostName != nil && (same(l.hostName(name), h.Address) || same(l.hostName(h.Address), name))
}

// check refuses a --limit with a name that is no host of cfg, before any
// host is contacted.
func (l limiter) check(cfg *answers.Config, file string) error {
	if l.names == nil {
		return nil
	}
	if len(l.names) == 0 {
		return inputError("--limit: no host named; name hosts as --limit HOST[,HOST] (nothing was contacted)")
	}
	var unknown []string
	for _, n := range l.names {
		n = strings.TrimSpace(n)
		if n == "" {
			return inputError("--limit: an empty host name; name hosts as --limit HOST[,HOST] (nothing was contacted)")
		}
		found := false
		for _, h := range cfg.Hosts {
			if l.matches(n, h) {
				found = true
				break
			}
		}
		if !found {
			unknown = append(unknown, strconv.Quote(n))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	var known []string
	for _, h := range cfg.Hosts {
		known = append(known, h.Address)
	}
	return inputError("--limit: no host of %s is %s (its hosts: %s); nothing was contacted",
		file, strings.Join(unknown, " or "), strings.Join(known, ", "))
}

// keep reports whether h is one of the hosts of --limit (all without it).
func (l limiter) keep(h answers.Host) bool {
	if l.names == nil {
		return true
	}
	for _, n := range l.names {
		if l.matches(strings.TrimSpace(n), h) {
			return true
		}
	}
	return false
}

// apply limits ts, the answers' hosts in file order, to the chosen ones.
// With read, a core left out is still read, read only, when a videobridge
// is chosen: the bridges need its values.
func (l limiter) apply(ts []installer.Target, read bool) []installer.Target {
	if l.names == nil {
		return ts
	}
	var out []installer.Target
	var core *installer.Target
	bridges := false
	for _, t := range ts {
		h, _ := t.Data.(answers.Host)
		switch {
		case l.keep(h):
			out = append(out, t)
			bridges = bridges || t.Role == answers.RoleVideobridge
		case t.Role == answers.RoleCore:
			core = &t
		}
	}
	if read && bridges && core != nil {
		core.ReadOnly = true
		out = append([]installer.Target{*core}, out...)
	}
	return out
}
