package sandbox

import (
	"fmt"
	"slices"
)

// distro is where a suite's packages come from and what its apt sources
// look like on a fresh install.
type distro struct {
	mirror   string // for mmdebstrap and the target's sources
	security string
	ubuntu   bool
}

var (
	debian = distro{mirror: "http://deb.debian.org/debian", security: "http://security.debian.org/debian-security"}
	ubuntu = distro{mirror: "http://archive.ubuntu.com/ubuntu", security: "http://security.ubuntu.com/ubuntu", ubuntu: true}
)

// includes are the packages added to minbase for the distribution. Debian's
// minbase has apt, its archive keyring and tzdata; on Ubuntu they are
// priority important, which minbase leaves out, yet every Ubuntu server has
// them. Without tzdata there is no /etc/localtime link, nspawn bind-mounts
// the host's file there, and tzdata's postinst (pulled in by python3) then
// fails to replace it.
func (d distro) includes() []string {
	if d.ubuntu {
		return append(slices.Clone(includes), "apt", "ubuntu-keyring", "tzdata")
	}
	return includes
}

// ubuntuSuites are the Suites that are Ubuntu releases.
var ubuntuSuites = []string{"noble"}

func distroOf(suite string) distro {
	if slices.Contains(ubuntuSuites, suite) {
		return ubuntu
	}
	return debian
}

// sources are the apt source files of a fresh install of suite, by path
// under the root: Debian's one-line sources.list, or Ubuntu 24.04's deb822
// ubuntu.sources with all four components (the installer must cope with
// what a real server has, universe included) and a sources.list that only
// points there.
func (d distro) sources(suite string) map[string]string {
	if !d.ubuntu {
		return map[string]string{"etc/apt/sources.list": fmt.Sprintf("deb %[1]s %[2]s main\ndeb %[1]s %[2]s-updates main\ndeb %[3]s %[2]s-security main\n",
			d.mirror, suite, d.security)}
	}
	stanza := "Types: deb\nURIs: %s\nSuites: %s\nComponents: main restricted universe multiverse\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n"
	return map[string]string{
		"etc/apt/sources.list": "# Ubuntu sources have moved to /etc/apt/sources.list.d/ubuntu.sources\n",
		"etc/apt/sources.list.d/ubuntu.sources": fmt.Sprintf(stanza, d.mirror+"/", suite+" "+suite+"-updates") + "\n" +
			fmt.Sprintf(stanza, d.security+"/", suite+"-security"),
	}
}
