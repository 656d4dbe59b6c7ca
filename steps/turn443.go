package steps

import (
	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// turnHost is turn.tls_443_host, "" when TURN on port 443 is off.
func turnHost(cfg *answers.Config) string {
	if !cfg.Jitsi.Turn {
		return ""
	}
	return cfg.TURN.TLS443Host
}

// turn443 serves TURN over TLS on port 443 under a name of its own, for
// networks that let nothing else out: nginx's stream module reads the name
// the client asks for and passes that name's connections to coturn, the
// rest to the web server (which the nginx site moves to loopback). The name
// goes into the certificate. With the option off, the stream block goes.
type turn443 struct{ *env }

func (*turn443) Name() string  { return "TURN on port 443" }
func (*turn443) Group() string { return "configure" }

func (s *turn443) Declare(h *installer.Host) ([]installer.Resource, error) {
	stream := assets.Dest(assets.NginxStream, s.cfg.Domain)
	host := turnHost(s.cfg)
	if host == "" {
		return []installer.Resource{&resource.Command{Name: "remove the stream block of TURN on port 443",
			Args: []string{"rm", "-f", stream}, Unless: []string{"test", "!", "-e", stream}, Notify: notify(reloadNginx)}}, nil
	}
	rs, err := s.configFile(assets.NginxStream, data(h, s.env), resource.File{Mode: 0o644,
		Validate: []string{"nginx", "-t", "-q"}, Notify: notify(reloadNginx)})
	if err != nil {
		return nil, err
	}
	if c := s.certificate(host); c != nil {
		rs = append(rs, c)
	}
	return rs, nil
}

// certificate adds host to the certificate the domain's own step made; an
// own certificate must already have it (the answers check that).
func (s *turn443) certificate(host string) *resource.Command {
	d := s.cfg.Domain
	crt, key := certPaths(s.cfg)
	has := []string{"sh", "-c", `openssl x509 -noout -checkhost "$2" -in "$1" | grep -q 'does match'`, "sh", crt, host}
	switch s.cfg.TLS.Mode {
	case answers.TLSSelfSigned:
		return &resource.Command{Name: "self-signed certificate for " + d + " and " + host,
			Args: []string{"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "825",
				"-subj", "/CN=" + d, "-addext", "subjectAltName=DNS:" + d + ",DNS:" + host, "-keyout", key, "-out", crt},
			Unless: has, Notify: notify(reloadNginx), Undo: []string{"rm", "-f", "--", crt, key}}
	case answers.TLSLetsEncrypt:
		c := certbot(s.cfg, d, host)
		// The ACME server asks http://HOST/ for its challenge: the nginx
		// site that names HOST on port 80 (written by the step before) must
		// be live before certbot runs, not at the end of the run.
		c.Args = append([]string{"sh", "-c", `nginx -t -q && systemctl reload nginx && exec "$@"`, "sh"}, c.Args...)
		c.Unless, c.Notify = has, notify(reloadNginx)
		return c
	}
	return nil
}
