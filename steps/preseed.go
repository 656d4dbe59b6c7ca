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

// secretAnswer is a debconf question whose answer is one of our secrets,
// and the packages whose configuration reads it: it is preseeded until the
// last of them is installed, and then cleared (see DebconfForget).
type secretAnswer struct {
	question, typ string
	readers       []string
	value         func(secretSet) string
}

func (e *env) secretAnswers() []secretAnswer {
	turnReaders := []string{"jitsi-meet-prosody"}
	if e.cfg.Jitsi.Turn {
		turnReaders = append(turnReaders, "jitsi-meet-turnserver")
	}
	return []secretAnswer{
		{"jitsi-videobridge/jvbsecret", "password", []string{"jitsi-videobridge2", "jitsi-meet-prosody"}, func(s secretSet) string { return s.JVB }},
		{"jicofo/jicofo-authpassword", "password", []string{"jicofo", "jitsi-meet-prosody"}, func(s secretSet) string { return s.Focus }},
		{"jitsi-meet-prosody/turn-secret", "string", turnReaders, func(s secretSet) string { return s.TURN }},
		{"jitsi-meet-tokens/appsecret", "password", []string{"jitsi-meet-tokens"}, func(s secretSet) string { return s.AppSecret }},
	}
}

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
		// The package's own Let's Encrypt script would run during the
		// install; the certificate step does that instead, so the package
		// starts with a self-signed one.
		q("jitsi-meet-web-config", "jitsi-meet/cert-choice", "select", certChoiceSelfSigned, false),
		q("jitsi-meet-web-config", "jitsi-meet/jaas-choice", "boolean", "false", false),
		q("jitsi-meet-tokens", "jitsi-meet-tokens/appid", "string", s.cfg.Janssen.AppID, false),
	}
	// A secret is answered until the last package that reads it is
	// installed: the secrets step then clears it from debconf.
	for _, a := range s.secretAnswers() {
		rs = append(rs, q(a.readers[len(a.readers)-1], a.question, a.typ, a.value(sec), true))
	}
	return rs, nil
}
