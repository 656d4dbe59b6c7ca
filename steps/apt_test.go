package steps

import (
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// apt-get update runs once on a fresh host: the update for missing package
// lists comes after the proxy is set, so a new proxy asks for none of its
// own; on a host with lists, a changed proxy does.
func TestAptUpdateOnceOnAFreshHost(t *testing.T) {
	for _, tc := range []struct {
		name      string
		code      int // of the lists query: 0 when the host has lists
		proxyAsks bool
	}{{"fresh host", 1, false}, {"host with package lists", 0, true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := testHost(nil)
			h.SetFact(aptListsFact.Name, installer.Probed{Code: tc.code})
			rs := mustDeclare(t, &aptSettings{&env{cfg: &answers.Config{APT: answers.APT{Proxy: "http://10.213.1.1:3142"}}}}, h)
			f, ok := rs[0].(*resource.File)
			if !ok || f.Path != aptProxyConf {
				t.Fatalf("first resource %v, want the proxy file", rs[0].Key())
			}
			asks := false
			for _, hd := range f.Notifies() {
				asks = asks || hd.Name == resource.AptUpdate.Name
			}
			if asks != tc.proxyAsks {
				t.Errorf("the proxy file asks for apt-get update: %v, want %v", asks, tc.proxyAsks)
			}
		})
	}
}

// The check for package lists says why apt-get update runs, in the plan's
// words, and is silent on a host that has them.
func TestAptListsCheck(t *testing.T) {
	for _, tc := range []struct {
		lists, out string
		code       int
	}{
		{"", "the host has no package lists\n", 1},
		{"lock\npartial\ndeb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages", "", 0},
	} {
		out, code := runWithFake(t, hasAptLists, "ls", "printf '%s\\n' '"+tc.lists+"'\n")
		if string(out) != tc.out || code != tc.code {
			t.Errorf("lists %q: %q, exit %d; want %q, exit %d", tc.lists, out, code, tc.out, tc.code)
		}
	}
}
