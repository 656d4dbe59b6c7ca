package resource

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

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

// aptInstall runs an apt-get install (args from "apt-get install" on)
// with the answers its maintainer scripts read, passing apt's own status
// lines (APT::Status-Fd) on as the host's progress.
func aptInstall(ctx context.Context, h *installer.Host, answers []installer.Answer, args []string) error {
	args = append([]string{args[0], args[1], "-o", "APT::Status-Fd=1"}, args[2:]...)
	args, in := installer.WithAnswers(answers, args)
	_, err := h.RunProgress(ctx, in, aptEnv, aptProgress(h.Progress), args...)
	return err
}

// aptStatus is a line apt writes to its status fd: dlstatus while it
// downloads, pmstatus while dpkg installs; the package name may hold a
// colon (libuv1:amd64), the percent never does.
var aptStatus = regexp.MustCompile(`^(?:dl|pm)status:.*?:(\d+(?:\.\d+)?):(.*)$`)

// aptProgress turns apt's status lines into "42% Unpacking jicofo", said
// when the whole percent moves: a few dozen lines for an install, not
// hundreds.
func aptProgress(say func(string)) func(string) {
	last := -1
	return func(line string) {
		m := aptStatus.FindStringSubmatch(line)
		if m == nil {
			return
		}
		pct, err := strconv.ParseFloat(m[1], 64)
		if err != nil || int(pct) == last {
			return
		}
		last = int(pct)
		say(fmt.Sprintf("%d%% %s", last, m[2]))
	}
}
