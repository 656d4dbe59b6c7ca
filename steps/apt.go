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

func (s *aptSettings) Declare(*installer.Host) ([]installer.Resource, error) {
	var rs []installer.Resource
	if p := s.cfg.APT.Proxy; p != "" {
		rs = append(rs, &resource.File{Path: aptProxyConf, Mode: 0o644,
			Content: fmt.Appendf(nil, "// Managed by jitsi-installer.\nAcquire::http::Proxy %q;\n", p),
			Notify:  installer.Notify{Handlers: []installer.Handler{resource.AptUpdate}}})
	}
	// A fresh host may have no package lists at all.
	rs = append(rs, &resource.Command{Name: "apt-get update (no package lists yet)",
		Args:   []string{"apt-get", "-q", "update"},
		Unless: []string{"sh", "-c", "ls /var/lib/apt/lists/ | grep -q _Packages"}})
	return rs, nil
}
