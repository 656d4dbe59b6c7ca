// Package media checks what a conference's media needs from outside a
// host: the TURN services a client is handed (XEP-0215) allocate a relay,
// over UDP and over TLS, and a media port is not refused.
package media

import (
	"encoding/xml"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// NSExtDisco is XEP-0215's namespace as Jitsi's clients ask it.
const NSExtDisco = "urn:xmpp:extdisco:2"

// Service is one <service/> of an XEP-0215 answer.
type Service struct {
	Type      string `xml:"type,attr"` // stun, turn, turns
	Host      string `xml:"host,attr"`
	Port      int    `xml:"port,attr"`
	Transport string `xml:"transport,attr"` // udp, tcp
	Username  string `xml:"username,attr"`
	Password  string `xml:"password,attr"`
	Expires   string `xml:"expires,attr"`
}

// ParseServices reads the <services/> element of an XEP-0215 answer.
func ParseServices(answer string) ([]Service, error) {
	var s struct {
		XMLName  xml.Name
		Services []Service `xml:"service"`
	}
	if err := xml.Unmarshal([]byte(answer), &s); err != nil {
		return nil, fmt.Errorf("external services answer: %w", err)
	}
	if s.XMLName.Local != "services" || s.XMLName.Space != NSExtDisco {
		return nil, fmt.Errorf("external services answer: <%s xmlns=%q>, want <services xmlns=%q>", s.XMLName.Local, s.XMLName.Space, NSExtDisco)
	}
	for i, v := range s.Services {
		if v.Type == "" || v.Host == "" {
			return nil, fmt.Errorf("external services answer: service %d has no type or host", i+1)
		}
	}
	return s.Services, nil
}

// TURN is whether the service is a relay a client allocates on.
func (s Service) TURN() bool { return s.Type == "turn" || s.Type == "turns" }

// URI is the service as lib-jitsi-meet hands it to the browser: TYPE:HOST,
// then :PORT when given, then ?transport=T unless T is udp.
func (s Service) URI() string {
	u := s.Type + ":" + s.Host
	if strings.Contains(s.Host, ":") {
		u = s.Type + ":[" + s.Host + "]"
	}
	if s.Port != 0 {
		u += ":" + strconv.Itoa(s.Port)
	}
	if s.Transport != "" && s.Transport != "udp" {
		u += "?transport=" + s.Transport
	}
	return u
}

// TLS is whether the client reaches the service over TLS.
func (s Service) TLS() bool { return s.Type == "turns" }

// port is the service's port, or the default of RFC 7065.
func (s Service) port() int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.TLS():
		return 5349
	}
	return 3478
}

// Addr is where the client connects: HOST:PORT.
func (s Service) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.port())) }

// Secrets are the values that must never be printed: the credentials.
func (s Service) Secrets() []string {
	var out []string
	for _, v := range []string{s.Username, s.Password} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
