package steps

import (
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// The choices jitsi-meet-web-config offers for its certificate.
const certChoiceSelfSigned = "Generate a new self-signed certificate"

// preseed answers every question Jitsi's packages ask, so an unattended
// install never waits at a prompt. Answers only matter to a package's first
// install: the installer writes the configuration files itself afterwards.
// The secret answers are not among them: see secretAnswers.
type preseed struct{ *env }

func (*preseed) Name() string { return "Debconf answers" }

// secretAnswers are the debconf questions whose answers are our secrets.
// The packages' maintainer scripts read them on every install, upgrade and
// reinstall (an empty one makes them generate a random secret of their own
// or register jvb without one), so each package operation carries them: they
// are in debconf's files for that apt run only (installer.Answer).
func (e *env) secretAnswers(h *installer.Host) ([]installer.Answer, error) {
	if e.bridge() {
		v, err := e.coreValues(h)
		if err != nil {
			return nil, err
		}
		return []installer.Answer{{Package: "jitsi-videobridge2", Question: "jitsi-videobridge/jvbsecret", Type: "password", Value: v.JVBPassword}}, nil
	}
	s := secretsFor(h, e)
	return []installer.Answer{
		{Package: "jitsi-videobridge2", Question: "jitsi-videobridge/jvbsecret", Type: "password", Value: s.JVB},
		{Package: "jicofo", Question: "jicofo/jicofo-authpassword", Type: "password", Value: s.Focus},
		{Package: "jitsi-meet-prosody", Question: "jitsi-meet-prosody/turn-secret", Type: "string", Value: s.TURN},
		{Package: "jitsi-meet-tokens", Question: "jitsi-meet-tokens/appsecret", Type: "password", Value: s.AppSecret},
	}, nil
}

func (s *preseed) Declare(*installer.Host) ([]installer.Resource, error) {
	d := s.cfg.Domain
	q := func(pkg, question, typ, value string) installer.Resource {
		return &resource.Debconf{Package: pkg, Question: question, Type: typ, Value: value}
	}
	if s.bridge() {
		return []installer.Resource{q("jitsi-videobridge2", "jitsi-videobridge/jvb-hostname", "string", d)}, nil
	}
	return []installer.Resource{
		q("jitsi-videobridge2", "jitsi-videobridge/jvb-hostname", "string", d),
		// The package's own Let's Encrypt script would run during the
		// install; the certificate step does that instead, so the package
		// starts with a self-signed one.
		q("jitsi-meet-web-config", "jitsi-meet/cert-choice", "select", certChoiceSelfSigned),
		q("jitsi-meet-web-config", "jitsi-meet/jaas-choice", "boolean", "false"),
		q("jitsi-meet-tokens", "jitsi-meet-tokens/appid", "string", s.cfg.Janssen.AppID),
	}, nil
}
