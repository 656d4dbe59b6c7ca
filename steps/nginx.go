package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// nginxSite writes the domain's site: TLS as the guide sets it, CORS for
// Janssen, BOSH and WebSocket proxies, and the ACME webroot on port 80. A
// site that fails nginx -t is never left in place.
type nginxSite struct{ *env }

func (*nginxSite) Name() string  { return "nginx site" }
func (*nginxSite) Group() string { return "configure" }

func (s *nginxSite) Declare(h *installer.Host) ([]installer.Resource, error) {
	return s.configFile(assets.Nginx, data(h, s.env),
		installer.File{Mode: 0o644, Validate: []string{"nginx", "-t", "-q"}, Notify: notify(reloadNginx)})
}

func (s *nginxSite) Checks(*installer.Host) []installer.Check {
	return []installer.Check{
		{Name: "nginx -t", Args: []string{"nginx", "-t"}, Eval: exitZero("nginx -t")},
		{Name: "https://" + s.cfg.Domain + "/http-bind answers",
			Args: []string{"curl", "-sS", "--fail", "-k", "--max-time", "10", "-o", "/dev/null",
				"--resolve", s.cfg.Domain + ":443:127.0.0.1", "https://" + s.cfg.Domain + "/http-bind"},
			Eval: exitZero("GET https://" + s.cfg.Domain + "/http-bind"), Settle: true},
	}
}
