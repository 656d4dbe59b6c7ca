package installer_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// TestUninstallRemovesWhatTheStepsDeclare installs two steps, then plans and
// applies their removal from the same declarations: last step first, each
// file into the run's backups, directories once empty, only the handlers
// owed after a removal, the journal retired; what is not the installer's
// stays.
func TestUninstallRemovesWhatTheStepsDeclare(t *testing.T) {
	th := newTestHost(t)
	logged := func(name string) []string {
		return []string{"sh", "-c", "echo " + name + " >> " + th.path("handler.log")}
	}
	restart := installer.Handler{Name: "restart app", Cmds: [][]string{logged("restart")}}
	reload := installer.Handler{Name: "reload web", Cmds: [][]string{logged("reload")}, AfterRemoval: true}
	steps := func() []installer.Step {
		return []installer.Step{
			&testStep{name: "app", rs: func(*installer.Host) []installer.Resource {
				return []installer.Resource{
					&resource.Dir{Path: th.path("etc/app"), Mode: 0o750},
					&resource.File{Path: th.path("etc/app/app.conf"), Content: []byte("a = 1\n"), Mode: 0o640, Notify: installer.Notify{Handlers: []installer.Handler{restart}}},
					&resource.Command{Name: "init", Args: []string{"touch", th.path("etc/app/initialised")}, Creates: th.path("etc/app/initialised"),
						Undo: []string{"rm", th.path("etc/app/initialised")}},
					&resource.Command{Name: "no undo", Args: []string{"touch", th.path("stays")}, Creates: th.path("stays")},
					&resource.Dir{Path: th.path("shared"), Mode: 0o755},
					&resource.File{Path: th.path("shared/ours.conf"), Content: []byte("x\n"), Mode: 0o644},
				}
			}},
			&testStep{name: "web", rs: func(*installer.Host) []installer.Resource {
				return []installer.Resource{
					&resource.File{Path: th.path("sites/app.site"), Content: []byte("site\n"), Mode: 0o644, Notify: installer.Notify{Handlers: []installer.Handler{restart, reload}}},
					&resource.Symlink{Path: th.path("enabled"), Target: th.path("sites/app.site"), Notify: installer.Notify{Handlers: []installer.Handler{reload}}},
				}
			}},
		}
	}
	th.mkdir(t, "sites")
	e, _ := th.eng(steps()...)
	e.RunID = installer.NewRunID()
	if sum := e.Apply(context.Background(), th.plan(e)); sum.Failed != 0 {
		t.Fatalf("install: %+v", sum)
	}
	// Not the installer's: a file of someone else's in a shared directory.
	if err := os.WriteFile(th.path("shared/theirs.conf"), []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(th.path("handler.log"))

	// The plan: every removal, last declared first, the empty directory
	// last; nothing changed yet.
	e, rec := th.eng(steps()...)
	e.Remove, e.Operator, e.Command = &installer.RemoveOptions{}, "ops@laptop", "uninstall"
	p := th.plan(e)
	var pending []string
	for _, ev := range rec.of(installer.EventResourcePending) {
		pending = append(pending, string(ev.Action)+" "+ev.Resource)
	}
	want := []string{
		"delete symlink " + th.path("enabled"),
		"delete file " + th.path("sites/app.site"),
		"delete file " + th.path("shared/ours.conf"),
		"run command undo init",
		"delete file " + th.path("etc/app/app.conf"),
		"delete dir " + th.path("etc/app"),
		"delete dir " + th.path("state"),
	}
	if !slices.Equal(pending, want) {
		t.Fatalf("pending:\n%s\nwant:\n%s", strings.Join(pending, "\n"), strings.Join(want, "\n"))
	}
	var handlers []string
	for _, ev := range rec.of(installer.EventHandlerPending) {
		handlers = append(handlers, ev.Resource)
	}
	if !slices.Equal(handlers, []string{"handler reload web"}) {
		t.Errorf("handlers planned %v, want only the reload (a restart of what goes is not owed)", handlers)
	}
	if th.read("etc/app/app.conf") != "a = 1\n" {
		t.Fatal("the plan changed the host")
	}

	if sum := e.Apply(context.Background(), p); sum.Failed != 0 {
		t.Fatalf("uninstall: %+v %v", sum, p.Err())
	}
	for _, gone := range []string{"etc/app", "sites/app.site", "enabled", "shared/ours.conf", "state"} {
		if _, err := os.Lstat(th.path(gone)); !os.IsNotExist(err) {
			t.Errorf("%s still there after uninstall (%v)", gone, err)
		}
	}
	for _, stays := range []string{"shared/theirs.conf", "stays", "sites"} {
		if _, err := os.Lstat(th.path(stays)); err != nil {
			t.Errorf("%s: %v: uninstall removed what is not the installer's", stays, err)
		}
	}
	if got := th.read("handler.log"); got != "reload\n" {
		t.Errorf("handlers ran %q, want the reload once", got)
	}
	// The files and the journal are in the run's backups: rollback can
	// put them back, and the record of the run stays.
	bak := "backups/" + e.RunID
	if th.read(bak+th.path("etc/app/app.conf")) != "a = 1\n" || th.read(bak+th.path("sites/app.site")) != "site\n" {
		t.Error("the removed files are not in the run's backups")
	}
	j, err := installer.ParseJournal(th.read(bak + th.path("state/journal.json")))
	if err != nil || j.Command != "uninstall" || j.Status != "finished" || len(j.Applied) != 6 {
		t.Errorf("journal in the backups: %v %+v", err, j)
	}

	// Uninstalled: a second uninstall has nothing to do.
	e, _ = th.eng(steps()...)
	e.Remove = &installer.RemoveOptions{}
	if p := th.plan(e); p.HasChanges() {
		e.FinishPlan(p)
		t.Errorf("a second uninstall plans changes")
	}
}

// TestRemovals: what each kind of resource becomes for uninstall, from its
// declaration alone.
func TestRemovals(t *testing.T) {
	keep := installer.RemoveOptions{}
	purge := installer.RemoveOptions{PurgePackages: true}
	for _, c := range []struct {
		name string
		r    installer.Resource
		o    installer.RemoveOptions
		want string // the removal's key, "" for none
	}{
		{"file", &resource.File{Path: "/etc/a"}, keep, "file /etc/a"},
		{"symlink", &resource.Symlink{Path: "/etc/l", Target: "/etc/a"}, keep, "symlink /etc/l"},
		{"dir", &resource.Dir{Path: "/etc/d"}, keep, "dir /etc/d"},
		{"service", &resource.Service{Name: "jicofo"}, keep, "service jicofo"},
		{"kept service", &resource.Service{Name: "nginx", Keep: true}, keep, ""},
		{"rule", &resource.UFWRule{Port: "443", Proto: "tcp"}, keep, "ufw allow 443/tcp"},
		{"ssh rule", &resource.UFWRule{Port: "22", Proto: "tcp", Keep: true}, keep, ""},
		{"packages kept", &resource.Packages{Names: []string{"jicofo", "lua-unbound"}, Purge: []string{"jicofo"}}, keep, ""},
		{"packages purged", &resource.Packages{Names: []string{"jicofo", "lua-unbound"}, Purge: []string{"jicofo"}}, purge, "packages jicofo"},
		{"base packages", &resource.Packages{Names: []string{"curl"}}, purge, ""},
		{"command without undo", &resource.Command{Name: "x", Creates: "/x"}, keep, ""},
		{"command with undo", &resource.Command{Name: "x", Creates: "/x", Undo: []string{"rm", "/x"}}, keep, "command undo x"},
		{"ufw enabled", resource.UFWEnabled{}, keep, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := ""
			if rm, ok := c.r.(installer.Remover); ok {
				if r := rm.Removal(c.o); r != nil {
					got = r.Key()
				}
			}
			if got != c.want {
				t.Errorf("removal %q, want %q", got, c.want)
			}
		})
	}
}

// TestUninstallBridgesBeforeTheirCore: the hosts of later roles are
// uninstalled first, while what their steps read of the core is there.
func TestUninstallBridgesBeforeTheirCore(t *testing.T) {
	th := newTestHost(t)
	dir := th.mkdir(t, "roles")
	core := &testStep{name: "core", rs: func(*installer.Host) []installer.Resource {
		return []installer.Resource{&resource.File{Path: dir + "/core.conf", Content: []byte("core\n"), Mode: 0o644}}
	}}
	bridge := &testStep{name: "bridge", rs: func(h *installer.Host) []installer.Resource {
		mark := dir + "/" + h.Name + ".mark"
		return []installer.Resource{&resource.Command{Name: "mark", Args: []string{"touch", mark}, Creates: mark,
			Undo: []string{"sh", "-c", `test -f "$1" && rm "$2"`, "sh", dir + "/core.conf", mark}}}
	}}
	roles := []installer.Role{{Name: "core", Steps: []installer.Step{core}}, {Name: "bridge", Steps: []installer.Step{bridge}}}
	e, _ := th.eng()
	e.Roles = roles
	planAndApply(t, e, "core", "b1", "b2")
	if _, err := os.Stat(dir + "/b1.mark"); err != nil {
		t.Fatal(err)
	}
	e, rec := th.eng()
	e.Roles, e.Remove = roles, &installer.RemoveOptions{}
	p := planAndApply(t, e, "core", "b1", "b2")
	checkHosts(t, p, rec, nil)
	for _, f := range []string{"core.conf", "b1.mark", "b2.mark"} {
		if _, err := os.Stat(dir + "/" + f); !os.IsNotExist(err) {
			t.Errorf("%s after uninstall: %v", f, err)
		}
	}
}
