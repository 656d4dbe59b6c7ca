package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/frontend/tui"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// targets are the answers' hosts (those of --limit), or this machine with
// --host local. ask, when set, answers the host-key and passphrase
// questions (the TUI); otherwise a passphrase is asked on the terminal, if
// there is one.
func (g *globals) targets(cfg *answers.Config, ask tui.Asker) []installer.Target {
	if g.host == "local" {
		return []installer.Target{{Name: "local", Address: "localhost", User: os.Getenv("USER"), Role: answers.RoleCore,
			Dial: func(context.Context) (transport.Transport, error) { return transport.NewLocal(), nil }}}
	}
	sc, scErr := g.loadSSHConfig()
	var ts []installer.Target
	for i, h := range cfg.Hosts {
		o := transport.SSHOptions{
			Address: h.Address, Port: h.Port, User: h.User, KeyFile: h.KeyFile,
			HostKey: h.HostKey, KnownHostsFile: g.knownHosts, AcceptNewHostKey: g.acceptNewHostKey,
			ConnectTimeout: g.connectTimeout, SudoPassword: h.SudoPassword,
		}
		// ssh_config fills what the file leaves out, not the file's defaults.
		if !cfg.Given(fmt.Sprintf("hosts[%d].port", i)) {
			o.Port = 0
		}
		if !cfg.Given(fmt.Sprintf("hosts[%d].user", i)) {
			o.User = ""
		}
		if b := h.Bastion; b.Address != "" {
			o.Jump = []transport.SSHOptions{{Address: b.Address, Port: b.Port, User: b.User, KeyFile: b.KeyFile,
				HostKey: b.HostKey, KnownHostsFile: b.KnownHosts}}
		}
		switch {
		case ask != nil:
			o.ConfirmHostKey, o.Passphrase = ask.ConfirmHostKey, ask.Passphrase
		case isTerminal(g.stdin, g.stderr):
			o.Passphrase = g.askPassphrase
		}
		err := scErr
		if err == nil {
			o, err = sc.Apply(o)
		}
		port, user := cmp.Or(o.Port, 22), cmp.Or(o.User, "root")
		var via []string
		for _, j := range o.Jump {
			via = append(via, net.JoinHostPort(j.Address, strconv.Itoa(cmp.Or(j.Port, 22))))
		}
		ts = append(ts, installer.Target{Name: h.Address, Address: h.Address, Port: port, User: user, Role: h.Role, Data: h,
			Via: strings.Join(via, " -> "),
			Dial: func(ctx context.Context) (transport.Transport, error) {
				if err != nil {
					return nil, &transport.ConnectError{Addr: h.Address, Reason: err.Error(), Err: err}
				}
				return transport.DialSSH(ctx, o)
			}})
	}
	// A core left out of --limit is read, not changed, for its bridges.
	return g.limiter().apply(ts, true)
}

// loadSSHConfig reads --ssh-config; nil without one.
func (g *globals) loadSSHConfig() (*transport.SSHConfig, error) {
	if g.sshConfig == "" || g.sshConfig == "none" {
		return nil, nil
	}
	return transport.LoadSSHConfig(g.sshConfig)
}
