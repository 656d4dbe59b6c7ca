package resource

import (
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// TestRemovalDiffs: what each removal makes of what the host has, from its
// probe's output alone: only what is still the installer's goes.
func TestRemovalDiffs(t *testing.T) {
	dir := &EmptyDir{Path: "/etc/app"}
	dir.Holds([]string{"file /etc/app/app.conf", "symlink /etc/app/current", "file /etc/other/x", "path /etc/app/made"})
	user := (&Command{Name: "add the user", Args: []string{"useradd", "u"}, Unless: []string{"id", "-u", "u"}, Undo: []string{"userdel", "u"}}).Removal(installer.RemoveOptions{})
	https := &UFWRuleGone{Rule: &UFWRule{Port: "443", Proto: "tcp", Comment: "https"}}
	tuples := "### tuple ### allow tcp 443 0.0.0.0/0 any 0.0.0.0/0 in comment=6162\n### tuple ### allow tcp 443 ::/0 any ::/0 in comment=6162\n"
	for _, tc := range []struct {
		name   string
		r      installer.Resource
		out    string
		delete bool   // a change is planned (its action delete, or run for an undo)
		text   string // part of the change's summary
	}{
		{"file there", &Gone{Path: "/etc/a"}, "file\n", true, "moved into this run's backups"},
		{"file gone", &Gone{Path: "/etc/a"}, "absent\n", false, ""},
		{"a symlink where the file was", &Gone{Path: "/etc/a"}, "link /elsewhere\n", false, ""},
		{"symlink to its target", &Gone{Path: "/etc/l", Link: true, Target: "/etc/a"}, "link /etc/a\n", true, "moved"},
		{"symlink pointed elsewhere by hand", &Gone{Path: "/etc/l", Link: true, Target: "/etc/a"}, "link /etc/b\n", false, ""},
		{"dir holding only what goes", dir, "dir\napp.conf\ncurrent\nmade\n", true, "empty once"},
		{"dir empty", dir, "dir\n", true, "empty once"},
		{"dir holding someone else's file", dir, "dir\napp.conf\ntheirs.conf\n", false, ""},
		{"dir gone", dir, "absent\n", false, ""},
		{"rule opened", https, tuples, true, "opened by the installer"},
		{"rule gone", https, "", false, ""},
		{"packages installed", &Purged{Names: []string{"jicofo", "jitsi-meet"}}, "jicofo ii\njitsi-meet rc\n", true, "jicofo purged, jitsi-meet purged"},
		{"packages purged", &Purged{Names: []string{"jicofo"}}, "jicofo un\n", false, ""},
		{"undo of a command that ran", user, "needed 1\n998\n", true, "install did it"},
		{"undo done", user, "done\n", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.r.Diff(installer.Probed{Out: tc.out})
			if err != nil {
				t.Fatal(err)
			}
			if (c != nil) != tc.delete {
				t.Fatalf("change %+v, want one: %v", c, tc.delete)
			}
			if c == nil {
				return
			}
			if c.Action != installer.ActionDelete && c.Action != installer.ActionRun || c.Apply == nil {
				t.Errorf("action %s", c.Action)
			}
			if !strings.Contains(c.Summary(), tc.text) || strings.Contains(c.Summary(), "998") {
				t.Errorf("summary %q, want %q in it", c.Summary(), tc.text)
			}
		})
	}
	// What an undo removes is known to the directories that hold it.
	copies := (&Command{Name: "copy", Unless: []string{"check"}, Undo: []string{"rm", "/d/a", "/d/b"}, UndoUnless: []string{"gone"}, Made: []string{"/d/a", "/d/b"}}).Removal(installer.RemoveOptions{})
	if p := copies.(installer.PathRemover).RemovedPaths(); strings.Join(p, " ") != "/d/a /d/b" {
		t.Errorf("an undo's paths %v", p)
	}
	if k := https.Key(); k != "ufw allow 443/tcp" {
		t.Errorf("a rule's removal is keyed as the rule: %q", k)
	}
}
