package steps

import (
	"slices"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// Paths the installer owns on the host.
const (
	caDir     = "/usr/local/share/ca-certificates"
	janssenCA = caDir + "/jitsi-installer-janssen.crt"
	acmeCA    = caDir + "/jitsi-installer-acme.crt"
)

// updateCAs rebuilds the system CA store after a certificate was added.
var updateCAs = installer.Handler{Name: "update-ca-certificates", Cmds: [][]string{{"update-ca-certificates", "--fresh"}}, AfterRemoval: true}

// basePackages installs what the guide installs before Jitsi's repository.
type basePackages struct{ *env }

func (*basePackages) Name() string  { return "Base packages" }
func (*basePackages) Group() string { return "base" }

// basePackageNames maps the guide's list onto a release: some names are
// transitional or gone in newer releases.
func basePackageNames(o osRelease, firewall bool) []string {
	names := []string{"nginx", "certbot", "python3-certbot-nginx", "ca-certificates", "curl", "gnupg", "openssl", "debconf-utils", "iproute2"}
	// apt-transport-https is built into apt since 1.5; it is only a
	// transitional package, still installed where it exists.
	if o.ID == "debian" && o.Version <= 12 || o.ubuntu() && !o.atLeast(24, 4) {
		names = append(names, "apt-transport-https")
	}
	// software-properties-common (add-apt-repository) is gone from Debian 13.
	if o.ubuntu() || o.Version <= 12 {
		names = append(names, "software-properties-common")
	}
	if firewall {
		names = append(names, "ufw")
	}
	return names
}

func (s *basePackages) Declare(h *installer.Host) ([]installer.Resource, error) {
	names := basePackageNames(hostOS(h), s.cfg.Firewall.Enabled)
	if s.bridge() {
		// No web server and no certificate on a videobridge host, and no
		// add-apt-repository where nothing uses it (Debian): it pulls in
		// PackageKit and its Python stack.
		debian := !hostOS(h).ubuntu()
		names = slices.DeleteFunc(names, func(n string) bool {
			return n == "nginx" || strings.Contains(n, "certbot") || debian && n == "software-properties-common"
		})
		return []installer.Resource{&resource.Packages{Names: names}}, nil
	}
	// TURN on port 443 routes by name in nginx's stream module, a package
	// of its own on every release.
	if turnHost(s.cfg) != "" {
		names = append(names, "libnginx-mod-stream")
	}
	rs := []installer.Resource{&resource.Packages{Names: names}}
	// Private CAs for Janssen and the ACME server go into the system store:
	// Prosody, curl and certbot's renewals all read it.
	for _, ca := range []struct{ path, pem string }{
		{janssenCA, s.ca.janssen},
		{acmeCA, s.ca.acme},
	} {
		if ca.pem != "" {
			rs = append(rs, &resource.File{Path: ca.path, Mode: 0o644, Content: []byte(ca.pem),
				Notify: installer.Notify{Handlers: []installer.Handler{updateCAs}}})
		}
	}
	return rs, nil
}
