package steps

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/media"
)

// servicesLine starts the line of the login script's output that carries
// Prosody's XEP-0215 answer; it holds the TURN credentials.
const servicesLine = "services: "

// handedOut is what Prosody handed the verify login (XEP-0215): filled by
// the login check's Eval, read by the TURN checks that run here after it.
type handedOut struct {
	services []media.Service
	err      error
}

// take reads the services line out of the login script's output, registers
// the credentials as secrets, and returns the output without that line.
func (o *handedOut) take(h *installer.Host, out string) string {
	o.services, o.err = nil, errors.New("the login did not get as far as asking Prosody for the external services (see the login check)")
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		answer, ok := strings.CutPrefix(l, servicesLine)
		if !ok {
			keep = append(keep, l)
			continue
		}
		o.services, o.err = media.ParseServices(answer)
		for _, s := range o.services {
			for _, v := range s.Secrets() {
				h.Secret(v)
			}
		}
	}
	return strings.Join(keep, "\n")
}

// find is the handed-out service with uri.
func (o *handedOut) find(uri string) (media.Service, error) {
	if o.err != nil {
		return media.Service{}, o.err
	}
	var got []string
	for _, s := range o.services {
		if s.URI() == uri {
			return s, nil
		}
		got = append(got, s.URI())
	}
	return media.Service{}, fmt.Errorf("the login got no %s from Prosody (it got: %s)\nfix: external_services in Prosody's site configuration must list it; re-run install", uri, orNone(got))
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "nothing"
	}
	return strings.Join(l, ", ")
}

// turnServices are the TURN services Prosody's configuration lists (the
// template's external_services), as clients get them: with TURN on 443,
// also that one under its own name.
func turnServices(cfg *answers.Config) []media.Service {
	svcs := []media.Service{
		{Type: "turn", Host: cfg.Domain, Port: 3478, Transport: "udp"},
		{Type: "turns", Host: cfg.Domain, Port: 5349, Transport: "tcp"},
	}
	if h := turnHost(cfg); h != "" {
		svcs = append(svcs, media.Service{Type: "turns", Host: h, Port: 443, Transport: "tcp"})
	}
	return svcs
}

// certMinValid is how long a served certificate must stay valid, as for
// the one nginx serves.
const certMinValid = 14 * 24 * time.Hour

// turnChecks allocate a relay from the installer's machine on each TURN
// service Prosody lists, with the credentials it handed the verify login:
// what a client behind a strict firewall gets, through the host's firewall.
func (s *prosody) turnChecks(h *installer.Host, got *handedOut) []installer.Check {
	o, optErr := s.mediaOptions(h)
	unreachable := noClientRoute(h, s.cfg.Domain)
	var cs []installer.Check
	for _, want := range turnServices(s.cfg) {
		uri := want.URI()
		name := "TURN " + uri + " allocates a relay from here with Prosody's credentials"
		if want.TLS() {
			name += " (certificate for " + want.Host + ", 14 days or more left)"
		}
		if unreachable != "" {
			cs = append(cs, installer.Check{Name: name, Skip: unreachable})
			continue
		}
		if !s.hasTestClient() {
			cs = append(cs, installer.Check{Name: name, Skip: noTestClient})
			continue
		}
		cs = append(cs, installer.Check{Name: name, Settle: true, Local: func(ctx context.Context) error {
			if optErr != nil {
				return optErr
			}
			svc, err := got.find(uri)
			if err != nil {
				return err
			}
			// The check's name holds the URI.
			return turnFailure("", allocate(ctx, svc, o))
		}})
	}
	if !s.hasTestClient() || unreachable != "" {
		return cs
	}
	cs = append(cs, installer.Check{Name: "every TURN service Prosody hands out allocates a relay from here", Settle: true, Local: func(ctx context.Context) error {
		if optErr != nil {
			return optErr
		}
		if got.err != nil {
			return got.err
		}
		listed := map[string]bool{}
		for _, w := range turnServices(s.cfg) {
			listed[w.URI()] = true
		}
		var errs []error
		for _, svc := range got.services {
			if svc.TURN() && !listed[svc.URI()] {
				errs = append(errs, turnFailure(svc.URI(), allocate(ctx, svc, o)))
			}
		}
		return errors.Join(errs...)
	}})
	return cs
}

func allocate(ctx context.Context, s media.Service, o media.Options) error {
	_, err := media.Allocate(ctx, s, o)
	return err
}

// mediaOptions are how the checks reach the host from here: the domain as
// this machine resolves it, else the host's address from the answers; a
// TLS certificate verified with the system's CAs and the ACME server's.
func (s *prosody) mediaOptions(h *installer.Host) (media.Options, error) {
	o := media.Options{Fallback: h.Address, MinValid: certMinValid, SkipChain: s.cfg.TLS.Mode == answers.TLSSelfSigned}
	if b := s.cfg.LetsEncrypt.CABundle; b != "" && s.cfg.TLS.Mode == answers.TLSLetsEncrypt {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(b)
		if err != nil {
			return o, fmt.Errorf("letsencrypt.ca_bundle: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return o, fmt.Errorf("letsencrypt.ca_bundle %s: no PEM certificate", b)
		}
		o.RootCAs = pool
	}
	return o, nil
}

// turnFailure says what answered and the fix that fits, after the URI
// unless it is empty (a check named by it).
func turnFailure(uri string, err error) error {
	if err == nil {
		return nil
	}
	prefix := ""
	if uri != "" {
		prefix = uri + ": "
	}
	var f *media.Failure
	if !errors.As(err, &f) {
		return fmt.Errorf("%s%w", prefix, err)
	}
	return fmt.Errorf("%s%s\nfix: %s", prefix, f.Answer, turnHint(f))
}

// turnHint is the fix for a failed allocation on our coturn.
func turnHint(f *media.Failure) string {
	tls := f.TLS
	switch f.Stage {
	case media.StageResolve:
		return "the domain must resolve to the host for clients; check its DNS records"
	case media.StageConnect:
		if tls {
			return "coturn's TLS listener is down or blocked: `journalctl -u coturn` says why (\"cannot find certificate file\": " +
				"turnserver cannot read /etc/coturn/certs); re-run install, which repairs the certificate copies and restarts coturn; " +
				"and open 5349/tcp in every firewall between clients and the host"
		}
		return "coturn does not answer on 3478/udp: `systemctl status coturn`; re-run install; and open 3478/udp in every firewall between clients and the host"
	case media.StageTLS:
		return "coturn serves a certificate that does not verify as the domain: its copy in /etc/coturn/certs is stale or wrong; " +
			"re-run install (the certbot deploy hook copies the current certificate and restarts coturn)"
	case media.StageCert:
		return "the certificate was not renewed: `certbot renew` and check certbot.timer; the deploy hook then gives coturn the new one"
	}
	switch f.Code {
	case 400, 401, 441:
		return "coturn refused the credentials Prosody hands out: static-auth-secret in /etc/turnserver.conf and external_service_secret " +
			"in Prosody's configuration differ; re-run install, which writes both from one secret, and restart prosody and coturn"
	case 486, 508:
		return "coturn's allocation quota or capacity is reached (user-quota, total-quota in /etc/turnserver.conf): wait, or raise them"
	}
	return "`journalctl -u coturn` says why coturn refused"
}

// noClientRoute says why this machine cannot reach the host as a client
// does, or "": a client reaches it at host (the domain, or an address);
// where host does not resolve here the checks use the SSH address, which
// is the host's own unless SSH goes through a forward, as from behind a
// NAT: a check aimed there would test this machine's forward; or through
// a jump host, which reaches it where this machine may not.
func noClientRoute(h *installer.Host, host string) string {
	named := net.ParseIP(host) == nil
	if h.Via != "" {
		// The SSH address is the host's as the jump host sees it.
		if named && resolvesHere(host) {
			return ""
		}
		return fmt.Sprintf("SSH reaches the host through the jump host %s and %s does not resolve on this machine: "+
			"nothing here reaches the host as a client does", h.Via, host)
	}
	run, ports, fwd := throughForward(h)
	if !fwd || named && resolvesHere(host) {
		return ""
	}
	return fmt.Sprintf("SSH reaches the host through a forward (port %s; its sshd listens on %s) and %s does not resolve on this machine: "+
		"nothing here reaches the host as a client does", run, strings.Join(ports, ", "), host)
}

// resolvesHere reports whether this machine resolves name, within 5 s.
func resolvesHere(name string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupHost(ctx, name)
	return err == nil && len(ips) > 0
}

// mediaPortCheck is the bridge's media port (ICE over UDP) as a client
// outside reaches it: not refused. The host's firewall rules (verify's UFW
// check) tell an open port from one a firewall drops: both are silent.
func mediaPortCheck(h *installer.Host, host, fallback string) installer.Check {
	const name = "media port 10000/udp of the bridge is not refused from here"
	if why := noClientRoute(h, host); why != "" {
		return installer.Check{Name: name, Skip: why}
	}
	return installer.Check{Name: name, Settle: true, Local: func(ctx context.Context) error {
		err := media.UDPPortOpen(ctx, host, 10000, fallback, 2*time.Second)
		var f *media.Failure
		if errors.As(err, &f) {
			return fmt.Errorf("%s\nfix: the bridge must listen on 10000/udp (`systemctl status jitsi-videobridge2`, videobridge.ice.udp.port in jvb.conf) "+
				"and every firewall between clients and the host must let 10000/udp in", f.Answer)
		}
		return err
	}}
}
