package steps

import (
	"slices"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
)

func TestKeyServerModeFollowsTheTokenPlugin(t *testing.T) {
	for _, tc := range []struct {
		name, plugins string
		keyServer     bool
	}{
		{"not installed yet", "", false},
		{"JWKS support", "mod_auth_token.lua\ntoken/util.lib.lua\ntoken/jwk.lib.lua\n", false},
		{"older release", "mod_auth_token.lua\ntoken/util.lib.lua\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &prosody{env: &env{cfg: testConfig(t)}}
			h := testHost(map[string]string{factPlugins: tc.plugins})
			rs := mustDeclare(t, s, h)
			var keys []string
			var handlers []string // in the order the engine runs them
			for _, r := range rs {
				keys = append(keys, r.Key())
				if n, ok := r.(installer.Notifier); ok {
					for _, hd := range n.Notifies() {
						if !slices.Contains(handlers, hd.Name) {
							handlers = append(handlers, hd.Name)
						}
					}
				}
			}
			timer := slices.Contains(keys, "service "+assets.KeyRefreshUnit+".timer")
			jwksWarning := warned(h, "no JWKS support")
			var checks []string
			for _, c := range s.Checks(h) {
				checks = append(checks, c.Name)
			}
			checked := slices.Contains(checks, "the key server serves every key of Janssen's JWKS")
			// Every mode has the key server: the plugin must never see
			// Janssen's own JWKS (EC and encryption keys), and an unknown kid
			// must find a key server that answers.
			if !timer || !checked || jwksWarning != tc.keyServer {
				t.Fatalf("key-server mode %v: timer %v, warning %v, verify check %v\n%s", tc.keyServer, timer, jwksWarning, checked, strings.Join(keys, "\n"))
			}
			// The refresh starts the service: systemd must have read a new
			// or changed unit file by then.
			reload, refresh := slices.Index(handlers, "systemctl daemon-reload"), slices.Index(handlers, "refresh Janssen keys")
			if reload < 0 || refresh < 0 || reload > refresh {
				t.Errorf("handlers run in the order %v: daemon-reload must come before the refresh", handlers)
			}
		})
	}
}
