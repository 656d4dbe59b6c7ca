package resource

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

func TestUFWPrune(t *testing.T) {
	const added = "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=73736820286a697473692d696e7374616c6c657229\n" +
		"### tuple ### allow tcp 5222 0.0.0.0/0 any 10.0.0.2 in comment=786d707020666f72206272696467657320286a697473692d696e7374616c6c657229\n" +
		"### tuple ### allow tcp 5222 0.0.0.0/0 any 10.0.0.3 in comment=786d707020666f72206272696467657320286a697473692d696e7374616c6c657229\n" +
		"### tuple ### allow tcp 5222 0.0.0.0/0 any 10.0.0.9 in comment=6f70657261746f72\n"
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
			c, err := (&UFWPrune{Comment: "xmpp for bridges (jitsi-installer)", Keep: tc.keep}).Diff(installer.Probed{Out: added})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if c != nil {
				var from []string
				for _, d := range c.Details {
					from = append(from, d.From)
				}
				got = strings.Join(from, ", ")
				if c.Action != installer.ActionDelete {
					t.Errorf("action %s", c.Action)
				}
			}
			if got != tc.want {
				t.Errorf("stale %q, want %q", got, tc.want)
			}
		})
	}
}

// Rules a UFWPrune owns are not reported as undeclared.
func TestUFWUndeclaredLeavesOwnedRules(t *testing.T) {
	tuples := "### tuple ### allow tcp 5222 0.0.0.0/0 any 10.0.0.3 in comment=" + hex.EncodeToString([]byte("mine")) + "\n" +
		"### tuple ### allow tcp 8888 0.0.0.0/0 any 0.0.0.0/0 in\n"
	c, err := (&UFWUndeclared{Owned: []string{"mine"}}).Diff(installer.Probed{Out: tuples})
	if err != nil || c == nil || len(c.Details) != 1 || c.Details[0].From != "ufw allow 8888/tcp" {
		t.Fatalf("undeclared: %+v, %v", c, err)
	}
}
