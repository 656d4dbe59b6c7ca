package sandbox

import (
	"strings"
	"testing"
)

// A noble target's sources are a fresh Ubuntu 24.04 server's: deb822, the
// three suites, all four components, the archive key; nothing Debian.
func TestUbuntuSources(t *testing.T) {
	src := distroOf("noble").sources("noble")
	got := src["etc/apt/sources.list.d/ubuntu.sources"]
	for _, want := range []string{
		"URIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates\nComponents: main restricted universe multiverse\n",
		"URIs: http://security.ubuntu.com/ubuntu/\nSuites: noble-security\nComponents: main restricted universe multiverse\n",
		"Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ubuntu.sources lacks %q:\n%s", want, got)
		}
	}
	if l := src["etc/apt/sources.list"]; strings.Contains(l, "deb ") {
		t.Errorf("sources.list has entries: %q", l)
	}
	if d := distroOf("bookworm").sources("bookworm"); !strings.Contains(d["etc/apt/sources.list"], "deb http://security.debian.org/debian-security bookworm-security main") || len(d) != 1 {
		t.Errorf("bookworm sources = %v", d)
	}
}
