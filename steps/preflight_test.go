package steps

import (
	"slices"
	"testing"
)

func TestBehindNATWarnsWithoutPublicAddress(t *testing.T) {
	for addrs, warn := range map[string]bool{
		"10.213.4.2":            true,
		"192.168.1.10\nfd00::1": true,
		"10.0.0.5\n203.0.113.7": false,
		"2001:db8::10":          false,
	} {
		h := testHost(map[string]string{factAddrs: addrs})
		behindNAT(h)
		if got := warned(h, "jitsi.stun_servers"); got != warn {
			t.Errorf("addresses %q: warned %v, want %v (%q)", addrs, got, warn, h.Warnings())
		}
	}
}

func TestParseListeners(t *testing.T) {
	out := `tcp   LISTEN 0      511          0.0.0.0:80        0.0.0.0:*    users:(("nginx",pid=812,fd=6),("nginx",pid=811,fd=6))
udp   UNCONN 0      0                  *:10000             *:*    users:(("java",pid=900,fd=120))
tcp   LISTEN 0      128             [::]:22             [::]:*
short line`
	want := []listener{
		{Proto: "tcp", Port: "80", Users: `users:(("nginx",pid=812,fd=6),("nginx",pid=811,fd=6))`},
		{Proto: "udp", Port: "10000", Users: `users:(("java",pid=900,fd=120))`},
		{Proto: "tcp", Port: "22"},
	}
	if got := parseListeners(out, 0); !slices.Equal(got, want) {
		t.Errorf("parseListeners:\n got %q\nwant %q", got, want)
	}
}
