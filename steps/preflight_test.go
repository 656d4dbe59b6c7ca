package steps

import (
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
)

func TestBehindNATWarnsWithoutPublicAddress(t *testing.T) {
	for _, tc := range []struct {
		addrs string
		warn  bool
	}{
		{"10.213.4.2", true},
		{"192.168.1.10\nfd00::1", true},
		{"10.0.0.5\n203.0.113.7", false},
		{"2001:db8::10", false},
	} {
		h := installertest.NewHost("h", 22, map[string]string{factAddrs: tc.addrs})
		behindNAT(h)
		if got := warned(h, "jitsi.stun_servers"); got != tc.warn {
			t.Errorf("addresses %q: warned %v, want %v (%q)", tc.addrs, got, tc.warn, h.Warnings())
		}
	}
}
