package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// videobridge writes the bridge's configuration: ICE on UDP 10000, the XMPP
// client to the brewery, websockets, stats, and an instance id that stays.
type videobridge struct{ *env }

func (*videobridge) Name() string  { return "Videobridge" }
func (*videobridge) Group() string { return "configure" }

func (s *videobridge) Declare(h *installer.Host) ([]installer.Resource, error) {
	if !s.bridge() && !s.cfg.Jitsi.CoreBridge {
		return nil, installer.Skip("jitsi.core_bridge is false: the bridges run on the videobridge hosts")
	}
	d, restart := data(h, s.env), restartJVB
	if s.bridge() {
		var err error
		if d, err = s.bridgeData(h); err != nil {
			return nil, err
		}
		restart = restartBridge
	}
	// Owned as the bridge's postinst leaves it (chown -R jvb:jitsi).
	return s.configFile(assets.JVB, d, installer.File{Mode: 0o640, Owner: "jvb", Group: "jitsi", Secret: true, Notify: notify(restart)})
}

// bridgeData is what a videobridge host's jvb.conf needs: the core's
// Prosody and password, the host's own id and region.
func (s *videobridge) bridgeData(h *installer.Host) (assets.Data, error) {
	v, err := s.coreValues(h)
	if err != nil {
		return assets.Data{}, err
	}
	a := s.answersHost(h)
	return assets.Data{
		Domain: s.cfg.Domain, JVBPassword: v.JVBPassword, JVBInstanceID: bridgeID(a.Address),
		StunServers: s.cfg.Jitsi.STUNServers, Region: s.cfg.Region(a),
		XMPPHost: v.Address, WSHost: "0.0.0.0", Relay: len(s.cfg.Regions()) > 1,
	}, nil
}

func (s *videobridge) Checks(h *installer.Host) []installer.Check {
	if !s.bridge() && !s.cfg.Jitsi.CoreBridge {
		return nil
	}
	cs := []installer.Check{httpCheck("Videobridge health", "http://127.0.0.1:8080/about/health")}
	if s.bridge() {
		c, _ := s.cfg.Core()
		cs = append(cs, xmppConnected(resolved(h, c.Address)))
	}
	return cs
}
