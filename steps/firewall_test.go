package steps

import (
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
)

// UFW opens the ports the host's sshd listens on, not the port this run came
// through, and says so when they differ.
func TestFirewallOpensSSHDPorts(t *testing.T) {
	tests := []struct {
		name    string
		runPort int
		facts   string
		want    []string
		warn    bool
	}{
		{"port forward 2222 -> 22", 2222, "22\n22\n", []string{"22"}, true},
		{"same port", 22, "22\n", []string{"22"}, false},
		{"sshd on two ports", 22, "2200\n22\n2200\n", []string{"22", "2200"}, false},
		{"host cannot tell", 2222, "", []string{"2222"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fw := &firewall{&env{cfg: testConfig(t)}}
			h := installertest.NewHost("h", tc.runPort, map[string]string{factSSHPorts: tc.facts})
			rs := mustDeclare(t, fw, h)
			var got []string
			for _, r := range rs[:len(tc.want)] {
				got = append(got, r.Key())
			}
			var want []string
			for _, p := range tc.want {
				want = append(want, "ufw allow "+p+"/tcp")
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("first rules %v, want %v", got, want)
			}
			if tc.warn != warned(h, "sshd listens on") {
				t.Errorf("warnings %q", h.Warnings())
			}
		})
	}
}
