package installer

import (
	"strings"
	"testing"
)

func TestUFWPrune(t *testing.T) {
	const added = `Added user rules (see 'ufw status' for running firewall):
ufw allow 22/tcp comment 'ssh (jitsi-installer)'
ufw allow from 10.0.0.2 to any port 5222 proto tcp comment 'xmpp for bridges (jitsi-installer)'
ufw allow from 10.0.0.3 to any port 5222 proto tcp comment 'xmpp for bridges (jitsi-installer)'
ufw allow from 10.0.0.9 to any port 5222 proto tcp comment 'operator'`
	keep := &UFWRule{Port: "5222", Proto: "tcp", From: "10.0.0.2", Comment: "xmpp for bridges (jitsi-installer)"}
	for _, tc := range []struct {
		name string
		keep []*UFWRule
		want string
	}{
		{"one left", []*UFWRule{keep}, "ufw allow from 10.0.0.3 to any port 5222 proto tcp"},
		{"none kept", nil, "ufw allow from 10.0.0.2 to any port 5222 proto tcp, ufw allow from 10.0.0.3 to any port 5222 proto tcp"},
		{"all kept", []*UFWRule{keep, {Port: "5222", Proto: "tcp", From: "10.0.0.3"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := (&UFWPrune{Comment: "xmpp for bridges (jitsi-installer)", Keep: tc.keep}).Diff(Probed{Out: added})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if c != nil {
				got = strings.Join(c.Details, ", ")
				if c.Action != ActionDelete {
					t.Errorf("action %s", c.Action)
				}
			}
			if got != tc.want {
				t.Errorf("stale %q, want %q", got, tc.want)
			}
		})
	}
}
