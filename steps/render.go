package steps

import (
	"strings"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

const jwkLib = "token/jwk.lib.lua"

const factPlugins = "prosody.plugins"

// pluginsFact is the Prosody modules Jitsi's packages installed.
var pluginsFact = &installer.Fact[map[string]bool]{Name: factPlugins,
	Args: []string{"find", assets.PluginDir, "-name", "*.lua", "-printf", "%P\\n"}, Parse: parsePlugins}

// plugins returns the installed Jitsi Prosody modules by name ("muc_lobby_rooms")
// and libraries by path ("token/jwk.lib.lua"). Its readers share the map.
func plugins(h *installer.Host) map[string]bool { return pluginsFact.Get(h) }

func parsePlugins(out string, _ int) map[string]bool {
	m := map[string]bool{}
	for _, p := range strings.Fields(out) {
		m[p] = true
		if name, ok := strings.CutPrefix(p, "mod_"); ok && !strings.Contains(name, "/") {
			m[strings.TrimSuffix(name, ".lua")] = true
		}
	}
	return m
}

// keyServerMode reports whether the host's token plugin predates JWKS
// support, so Prosody needs the loopback key server. Before the packages are
// installed there is nothing to look at: JWKS is what current releases get.
func keyServerMode(h *installer.Host) bool {
	p := plugins(h)
	return len(p) > 0 && !p[jwkLib]
}

// certPaths returns the certificate and key nginx serves for cfg.
func certPaths(cfg *answers.Config) (crt, key string) {
	d := cfg.Domain
	switch cfg.TLS.Mode {
	case answers.TLSLetsEncrypt:
		return "/etc/letsencrypt/live/" + d + "/fullchain.pem", "/etc/letsencrypt/live/" + d + "/privkey.pem"
	case answers.TLSOwn:
		return ownCertDir + "/" + d + ".crt", ownCertDir + "/" + d + ".key"
	}
	return "/etc/jitsi/meet/" + d + ".crt", "/etc/jitsi/meet/" + d + ".key"
}

// data is everything the templates need for host h.
func data(h *installer.Host, e *env) assets.Data {
	cfg := e.cfg
	sec := secretsFor(h, e)
	j := janssen(h, cfg)
	crt, key := certPaths(cfg)
	return assets.Data{
		Domain:   cfg.Domain,
		Issuer:   cfg.Janssen.Issuer,
		Audience: cfg.Janssen.Audience,
		AppID:    cfg.Janssen.AppID,
		ClientID: cfg.Janssen.ClientID,
		JWKSURL:  j.Doc.JWKSURI, KeyServerURL: assets.DefaultKeyServerURL, KeyServerMode: keyServerMode(h),
		AuthorizeURL: j.Doc.AuthorizationEndpoint, TokenURL: j.Doc.TokenEndpoint, EndSessionURL: j.Doc.EndSessionEndpoint,
		JanssenOrigin: origin(cfg.Janssen.Issuer),
		FocusPassword: sec.Focus, JVBPassword: sec.JVB, TURNSecret: sec.TURN,
		JVBInstanceID: sec.InstanceID,
		ChannelLastN:  cfg.Jitsi.ChannelLastN,
		StunServers:   cfg.Jitsi.STUNServers,
		Shard:         cfg.Jitsi.Deployment.Shard, Region: cfg.Region(e.answersHost(h)), Environment: cfg.Jitsi.Deployment.Environment,
		CertFile: crt, KeyFile: key,
		TURN:          cfg.Jitsi.Turn,
		TURN443Host:   turnHost(cfg),
		TURNTCPRelay:  cfg.TURN.TCPRelay,
		TURNUserQuota: cfg.TURN.UserQuota, TURNTotalQuota: cfg.TURN.TotalQuota,
		XMPPFrom:       cfg.Firewall.XMPPFrom,
		NoLocalBridge:  !cfg.Jitsi.CoreBridge,
		Bridges:        e.bridgeHosts(),
		Relay:          len(cfg.Regions()) > 1,
		ProsodyModules: plugins(h),
		Federation:     cfg.Jitsi.Federation,
		FrameAncestors: cfg.Jitsi.FrameAncestors,
	}
}

// configFile declares the file the template name renders for d, where
// assets puts it, with f's mode, owner and handlers; and the link that
// enables it, where assets names one, notifying the same handlers.
func (e *env) configFile(name string, d assets.Data, f resource.File) ([]installer.Resource, error) {
	b, err := assets.Render(name, d)
	if err != nil {
		return nil, err
	}
	f.Path, f.Content = assets.Dest(name, e.cfg.Domain), b
	rs := []installer.Resource{&f}
	if link := assets.Enabled(name, e.cfg.Domain); link != "" {
		rs = append(rs, &resource.Symlink{Path: link, Target: f.Path, Notify: f.Notify})
	}
	return rs, nil
}

func notify(hs ...installer.Handler) installer.Notify { return installer.Notify{Handlers: hs} }

var (
	restartProsody = restart("prosody")
	restartJicofo  = restart("jicofo")
	restartJVB     = restart("jitsi-videobridge2")
	restartCoturn  = restart("coturn")
	// nginx is reloaded only after its configuration tests clean.
	reloadNginx = installer.Handler{Name: "reload nginx", Cmds: [][]string{{"nginx", "-t", "-q"}, {"systemctl", "reload-or-restart", "nginx"}},
		AfterRemoval: true}
)
