package steps

import (
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// The choices jitsi-meet-web-config offers for its certificate.
const certChoiceSelfSigned = "Generate a new self-signed certificate"

// preseed answers every question Jitsi's packages ask, so an unattended
// install never waits at a prompt. Answers only matter to a package's first
// install: the installer writes the configuration files itself afterwards.
type preseed struct{ *env }

func (*preseed) Name() string { return "Debconf answers" }

func (s *preseed) Declare(h *installer.Host) ([]installer.Resource, error) {
	d := s.cfg.Domain
	q := func(pkg, question, typ, value string, secret bool) installer.Resource {
		return &installer.Debconf{Package: pkg, Question: question, Type: typ, Value: value, Secret: secret}
	}
	if s.bridge() {
		v, err := s.coreValues(h)
		if err != nil {
			return nil, err
		}
		return []installer.Resource{
			q("jitsi-videobridge2", "jitsi-videobridge/jvb-hostname", "string", d, false),
			q("jitsi-videobridge2", "jitsi-videobridge/jvbsecret", "password", v.JVBPassword, true),
		}, nil
	}
	sec := secretsFor(h, s.env)
	rs := []installer.Resource{
		q("jitsi-videobridge2", "jitsi-videobridge/jvb-hostname", "string", d, false),
		q("jitsi-videobridge2", "jitsi-videobridge/jvbsecret", "password", sec.JVB, true),
		q("jicofo", "jicofo/jicofo-authpassword", "password", sec.Focus, true),
		q("jitsi-meet-prosody", "jitsi-meet-prosody/turn-secret", "string", sec.TURN, true),
		// The package's own Let's Encrypt script would run during the
		// install; the certificate step does that instead, so the package
		// starts with a self-signed one.
		q("jitsi-meet-web-config", "jitsi-meet/cert-choice", "select", certChoiceSelfSigned, false),
		q("jitsi-meet-web-config", "jitsi-meet/jaas-choice", "boolean", "false", false),
		q("jitsi-meet-tokens", "jitsi-meet-tokens/appid", "string", s.cfg.Janssen.AppID, false),
		q("jitsi-meet-tokens", "jitsi-meet-tokens/appsecret", "password", sec.AppSecret, true),
	}
	return rs, nil
}
