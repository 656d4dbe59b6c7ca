package standin

import (
	"fmt"
	"strings"
)

// The choices of jitsi-meet/cert-choice, exactly as the template has them.
const (
	CertLetsEncrypt = "Let's Encrypt certificates"
	CertOwn         = "I want to use my own certificate"
	CertSelfSigned  = "Generate a new self-signed certificate"
)

// Answers are the debconf answers for an unattended install of the
// stand-ins (README.md lists which ones each package requires).
type Answers struct {
	Hostname string
	// CertChoice is one of the Cert* constants; empty means CertSelfSigned.
	CertChoice string
	Email      string // with CertLetsEncrypt
	CertKey    string // with CertOwn
	CertCrt    string // with CertOwn
	// Secrets: when empty the packages generate them.
	JVBSecret     string
	FocusPassword string
	TurnSecret    string
	// For jitsi-meet-tokens.
	AppID     string
	AppSecret string
}

// Selections renders the answers as debconf-set-selections input. It holds
// secrets: never print it.
func (a Answers) Selections() string {
	var b strings.Builder
	line := func(owner, question, typ, value string) {
		fmt.Fprintf(&b, "%s %s %s %s\n", owner, question, typ, value)
	}
	choice := a.CertChoice
	if choice == "" {
		choice = CertSelfSigned
	}
	line("jitsi-videobridge2", "jitsi-videobridge/jvb-hostname", "string", a.Hostname)
	line("jitsi-meet-web-config", "jitsi-meet/cert-choice", "select", choice)
	switch choice {
	case CertLetsEncrypt:
		line("jitsi-meet-web-config", "jitsi-meet/email", "string", a.Email)
	case CertOwn:
		line("jitsi-meet-web-config", "jitsi-meet/cert-path-key", "string", a.CertKey)
		line("jitsi-meet-web-config", "jitsi-meet/cert-path-crt", "string", a.CertCrt)
	}
	line("jitsi-meet-web-config", "jitsi-meet/jaas-choice", "boolean", "false")
	if a.JVBSecret != "" {
		line("jitsi-videobridge2", "jitsi-videobridge/jvbsecret", "password", a.JVBSecret)
	}
	if a.FocusPassword != "" {
		line("jicofo", "jicofo/jicofo-authpassword", "password", a.FocusPassword)
	}
	if a.TurnSecret != "" {
		line("jitsi-meet-prosody", "jitsi-meet-prosody/turn-secret", "string", a.TurnSecret)
	}
	if a.AppID != "" {
		line("jitsi-meet-tokens", "jitsi-meet-tokens/appid", "string", a.AppID)
		line("jitsi-meet-tokens", "jitsi-meet-tokens/appsecret", "password", a.AppSecret)
	}
	return b.String()
}
