package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// nginxSite writes the domain's site: TLS as the guide sets it, CORS for
// Janssen, BOSH and WebSocket proxies, and the ACME webroot on port 80. A
// site that fails nginx -t is never left in place.
func nginxSite(e *env) *configStep {
	domain := e.cfg.Domain
	bosh := "https://" + domain + "/http-bind"
	return &configStep{env: e, name: "nginx site", asset: assets.Nginx,
		file: resource.File{Mode: 0o644, Validate: []string{"nginx", "-t", "-q"}, Notify: notify(reloadNginx)},
		more: []installer.Resource{defaultSiteOff()},
		checks: func(*installer.Host) []installer.Check {
			return []installer.Check{
				{Name: "nginx -t", Args: []string{"nginx", "-t"}, Eval: exitZero("nginx -t")},
				{Name: bosh + " answers",
					Args: []string{"curl", "-sS", "--fail", "-k", "--max-time", "10", "-o", "/dev/null",
						"--resolve", domain + ":443:127.0.0.1", bosh},
					Eval: exitZero("GET " + bosh), Settle: true},
			}
		},
	}
}

// debianDefaultSite is the "Welcome to nginx" site nginx-common enables on
// its first install only, so it stays off across upgrades.
const debianDefaultSite = "/etc/nginx/sites-enabled/default"

// defaultSiteOff disables Debian's default site, which answers on port 80
// for every name without a redirect; the meeting's port-80 server takes
// its place. The site itself stays in sites-available.
func defaultSiteOff() *resource.Command {
	return &resource.Command{
		Name:   "disable Debian's default nginx site",
		Args:   []string{"rm", "-f", debianDefaultSite},
		Unless: []string{"sh", "-c", `! [ -e "$1" ] && ! [ -L "$1" ]`, "sh", debianDefaultSite},
		Notify: notify(reloadNginx),
	}
}
