package steps

import (
	"fmt"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// aptProxyConf is the apt configuration that carries apt.proxy.
const aptProxyConf = "/etc/apt/apt.conf.d/80jitsi-installer-proxy"

// aptSettings points apt at the answers' proxy and makes sure package lists
// exist before anything is installed.
type aptSettings struct{ *env }

func (*aptSettings) Name() string  { return "APT settings" }
func (*aptSettings) Group() string { return "apt" }

// aptListsFact says whether the host has package lists: it has unless the
// query said it has none (an unasked query, -1, counts as having them).
var aptListsFact = &installer.Fact[bool]{Name: "apt.lists", Args: []string{"sh", "-c", hasAptLists},
	Parse: func(_ string, code int) bool { return code <= 0 }}

// hasAptLists exits 0 when the host has package lists, and says so when
// it has none: the plan's reason to run apt-get update.
const hasAptLists = "ls /var/lib/apt/lists/ | grep -q _Packages || { echo 'the host has no package lists'; exit 1; }"

func (s *aptSettings) Queries(*installer.Host) []installer.Query {
	return []installer.Query{aptListsFact.Query()}
}

func (s *aptSettings) Declare(h *installer.Host) ([]installer.Resource, error) {
	var rs []installer.Resource
	// Without package lists the update below runs after the proxy is set:
	// a second one for the proxy would fetch the same lists again.
	lists := aptListsFact.Get(h)
	if p := s.cfg.APT.Proxy; p != "" {
		f := &resource.File{Path: aptProxyConf, Mode: 0o644,
			Content: fmt.Appendf(nil, "// Managed by jitsi-installer.\nAcquire::http::Proxy %q;\n", p)}
		if lists {
			f.Notify = installer.Notify{Handlers: []installer.Handler{resource.AptUpdate}}
		}
		rs = append(rs, f)
	}
	// A fresh host may have no package lists at all.
	rs = append(rs, &resource.Command{Name: "apt-get update (no package lists yet)",
		Args:   []string{"apt-get", "-q", "update"},
		Unless: []string{"sh", "-c", hasAptLists}})
	return rs, nil
}
