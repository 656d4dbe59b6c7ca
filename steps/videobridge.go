package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// videobridge writes the bridge's configuration: ICE on UDP 10000, the XMPP
// client to the brewery, websockets, stats, and an instance id that stays.
// On a videobridge host it points at the core's Prosody.
func videobridge(e *env) *configStep {
	s := &configStep{env: e, name: "Videobridge", asset: assets.JVB,
		// Owned as the bridge's postinst leaves it (chown -R jvb:jitsi).
		file: resource.File{Mode: 0o640, Owner: "jvb", Group: "jitsi", Secret: true, Notify: notify(restartJVB)},
		applies: func() error {
			if !e.bridge() && !e.cfg.Jitsi.CoreBridge {
				return installer.Skip("jitsi.core_bridge is false: the bridges run on the videobridge hosts")
			}
			return nil
		},
		checks: func(h *installer.Host) []installer.Check {
			cs := []installer.Check{httpCheck("Videobridge health", "http://127.0.0.1:8080/about/health")}
			if e.bridge() {
				c, _ := e.cfg.Core()
				cs = append(cs, xmppConnected(resolved(h, c.Address)), mediaPortCheck(h, h.Address, ""))
			} else {
				// Clients reach the core's bridge at the domain's address.
				cs = append(cs, mediaPortCheck(h, e.cfg.Domain, h.Address))
			}
			return cs
		},
	}
	if e.bridge() {
		s.file.Notify, s.data = notify(restartBridge), e.bridgeData
	}
	return s
}

// bridgeData is what a videobridge host's jvb.conf needs: the core's
// Prosody and password, the host's own id and region.
func (e *env) bridgeData(h *installer.Host) (assets.Data, error) {
	v, err := e.coreValues(h)
	if err != nil {
		return assets.Data{}, err
	}
	a := e.answersHost(h)
	return assets.Data{
		Domain: e.cfg.Domain, JVBPassword: v.JVBPassword, JVBInstanceID: bridgeID(a.Address),
		StunServers: e.cfg.Jitsi.STUNServers, Region: e.cfg.Region(a),
		XMPPHost: v.Address, WSHost: "0.0.0.0", Relay: len(e.cfg.Regions()) > 1,
	}, nil
}
