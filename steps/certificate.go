package steps

import (
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

const (
	ownCertDir = "/etc/jitsi-installer/tls"
	// A certificate is renewed when it expires within this many seconds.
	renewBefore = 30 * 24 * 3600
)

// certificate gets the web server's certificate: from Let's Encrypt (or the
// answers' ACME server) through certbot, from the operator's files, or the
// self-signed one the packages made.
type certificate struct{ *env }

func (*certificate) Name() string  { return "TLS certificate" }
func (*certificate) Group() string { return "configure" }

func (s *certificate) Declare(h *installer.Host) ([]installer.Resource, error) {
	d := s.cfg.Domain
	crt, key := certPaths(s.cfg)
	// The deploy hook copies the certificate to Prosody and coturn, in every
	// mode: certbot runs it after renewals, the next step runs it now.
	hook, err := s.configFile(assets.CertbotDeployHook, data(h, s.env), resource.File{Mode: 0o755})
	if err != nil {
		return nil, err
	}
	rs := append([]installer.Resource{&resource.Dir{Path: path.Dir(assets.Dest(assets.CertbotDeployHook, d)), Mode: 0o755}}, hook...)
	switch s.cfg.TLS.Mode {
	case answers.TLSOwn:
		c, err := os.ReadFile(s.cfg.TLS.CertFile)
		if err != nil {
			return nil, err
		}
		k, err := os.ReadFile(s.cfg.TLS.KeyFile)
		if err != nil {
			return nil, err
		}
		h.Secret(string(k))
		return append(rs,
			&resource.Dir{Path: ownCertDir, Mode: 0o755},
			&resource.File{Path: crt, Content: c, Mode: 0o644, Notify: notify(reloadNginx)},
			&resource.File{Path: key, Content: k, Mode: 0o600, Secret: true, Notify: notify(reloadNginx)},
		), nil
	case answers.TLSSelfSigned:
		return append(rs, &resource.Command{Name: "self-signed certificate for " + d,
			Args: []string{"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "825",
				"-subj", "/CN=" + d, "-addext", "subjectAltName=DNS:" + d, "-keyout", key, "-out", crt},
			Creates: crt, Undo: []string{"rm", "-f", "--", crt, key}}), nil
	}
	// A firewall that is already on must let the ACME server in first.
	if s.cfg.Firewall.Enabled {
		rs = append(rs, httpRule())
	}
	issue := certbot(s.cfg, d)
	issue.Unless = []string{"openssl", "x509", "-checkend", strconv.Itoa(renewBefore), "-noout", "-in", crt}
	// certbot's certificate and timer stay: issuing it again after an
	// uninstall counts against Let's Encrypt's rate limits.
	return append(rs, issue, &resource.Service{Name: "certbot.timer", Keep: true}), nil
}

// certbot gets the domain's certificate for names (the domain first) by
// HTTP-01 through nginx's port 80, growing the certificate when a name is
// new.
func certbot(cfg *answers.Config, names ...string) *resource.Command {
	d := cfg.Domain
	args := []string{"certbot", "certonly", "--webroot", "-w", assets.WebRoot}
	for _, n := range names {
		args = append(args, "-d", n)
	}
	args = append(args, "--cert-name", d, "--email", cfg.LetsEncrypt.Email, "--agree-tos", "--no-eff-email",
		"--non-interactive", "--keep-until-expiring", "--server", cfg.LetsEncrypt.Server)
	if len(names) > 1 {
		args = append(args, "--expand")
	}
	env := map[string]string{}
	if cfg.LetsEncrypt.CABundle != "" {
		env["REQUESTS_CA_BUNDLE"] = acmeCA
	}
	var urls []string
	for _, n := range names {
		urls = append(urls, "http://"+n+"/.well-known/acme-challenge/")
	}
	list, resolves := strings.Join(names, " and "), " resolves"
	if len(names) > 1 {
		resolves = " resolve"
	}
	hint := "the ACME server must reach " + strings.Join(urls, " and ") + " on this host: check that " + list +
		resolves + " to it, that port 80 is open to the world, and the ACME server and email in the answers file"
	if privateACME(cfg) {
		hint += "; certbot trusts the private ACME server through letsencrypt.ca_bundle: " + acmeBundleNeeds
	}
	return &resource.Command{Name: "certbot certificate for " + list, Args: args, Env: env, Hint: hint}
}

// acmeBundleNeeds is what letsencrypt.ca_bundle holds, in the answers
// file's words.
const acmeBundleNeeds = "both the CA of the server's own HTTPS certificate and the root of the certificates it issues"

func (s *certificate) Checks(*installer.Host) []installer.Check {
	d := s.cfg.Domain
	verify := ""
	if s.cfg.TLS.Mode != answers.TLSSelfSigned {
		verify = "1"
	}
	eval := exitZero("certificate served on 127.0.0.1:443")
	if s.cfg.TLS.Mode == answers.TLSLetsEncrypt && privateACME(s.cfg) {
		eval = func(out string, code int) error {
			err := exitZero("certificate served on 127.0.0.1:443")(out, code)
			if err != nil && strings.Contains(out, "the chain does not verify") {
				return fmt.Errorf("%w; the host trusts the private ACME server's certificates through letsencrypt.ca_bundle: %s", err, acmeBundleNeeds)
			}
			return err
		}
	}
	return []installer.Check{{
		Name: "served certificate is valid for " + d + " for 14 days or more",
		Args: []string{"sh", "-c", servedCert, "sh", d, verify},
		Eval: eval,
	}}
}

// servedCert fetches the certificate nginx serves for $1 and checks its
// name, its expiry and, unless self-signed ($2 empty), its chain.
const servedCert = `out=$(openssl s_client -connect 127.0.0.1:443 -servername "$1" -verify_hostname "$1" </dev/null 2>/dev/null)
pem=$(printf '%s\n' "$out" | sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p')
[ -n "$pem" ] || { echo "no certificate served on 127.0.0.1:443"; exit 1; }
printf '%s\n' "$pem" | openssl x509 -noout -checkhost "$1" | grep -q 'does match' || { echo "the certificate is not for $1"; exit 1; }
printf '%s\n' "$pem" | openssl x509 -noout -checkend 1209600 >/dev/null || { echo "the certificate expires within 14 days: $(printf '%s\n' "$pem" | openssl x509 -noout -enddate)"; exit 1; }
if [ -n "$2" ]; then code=$(printf '%s\n' "$out" | sed -n 's/^ *Verify return code: \([0-9]*\).*/\1/p' | tail -n1)
  [ "$code" = 0 ] || { echo "the chain does not verify: $(printf '%s\n' "$out" | grep 'Verify return code' | tail -n1)"; exit 1; }; fi
printf '%s\n' "$pem" | openssl x509 -noout -enddate`
