package resource

import "github.com/jitsi-installer/jitsi-installer/installer"

// aptEnv makes apt and dpkg never wait at a prompt.
var aptEnv = map[string]string{"DEBIAN_FRONTEND": "noninteractive", "NEEDRESTART_MODE": "a"}

// AptUpdate is the handler that refreshes apt's lists after a source changed.
var AptUpdate = installer.Handler{Name: "apt-get update", Cmds: [][]string{{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-q", "update", "-o", "DPkg::Lock::Timeout=300"}},
	AfterRemoval: true}

// dpkgPrelude sets DPKG_STATUS to dpkg's status of every package, once a
// batch: the probes of Packages and Debconf read it.
const dpkgPrelude = `DPKG_STATUS="
$(dpkg-query -W -f='${Package} ${db:Status-Abbrev} ${Version}\n' 2>/dev/null)
"`
