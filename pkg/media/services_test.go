package media

import (
	"strings"
	"testing"
)

// What Prosody 0.12's mod_external_services answers with the site
// configuration the installer writes.
const prosodyAnswer = `<services xmlns='urn:xmpp:extdisco:2'>` +
	`<service type='stun' host='meet.example.com' port='3478'/>` +
	`<service type='turn' transport='udp' host='meet.example.com' port='3478' username='1765170000' password='c2VjcmV0LXBhc3N3b3Jk' expires='2025-12-08T05:00:00Z' restricted='1'/>` +
	`<service type='turns' transport='tcp' host='meet.example.com' port='5349' username='1765170000' password='c2VjcmV0LXBhc3N3b3Jk' expires='2025-12-08T05:00:00Z' restricted='1'/>` +
	`</services>`

func TestParseServices(t *testing.T) {
	ss, err := ParseServices(prosodyAnswer)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, s := range ss {
		uris = append(uris, s.URI())
	}
	// As lib-jitsi-meet hands them to the browser.
	want := "stun:meet.example.com:3478 turn:meet.example.com:3478 turns:meet.example.com:5349?transport=tcp"
	if got := strings.Join(uris, " "); got != want {
		t.Errorf("URIs %q, want %q", got, want)
	}
	if ss[0].TURN() || !ss[1].TURN() || !ss[2].TURN() || ss[1].TLS() || !ss[2].TLS() {
		t.Errorf("kinds: %+v", ss)
	}
	if ss[2].Username != "1765170000" || ss[2].Password != "c2VjcmV0LXBhc3N3b3Jk" || ss[2].Addr() != "meet.example.com:5349" {
		t.Errorf("turns service: %+v", ss[2])
	}
	if got := strings.Join(ss[1].Secrets(), " "); got != "1765170000 c2VjcmV0LXBhc3N3b3Jk" {
		t.Errorf("secrets %q", got)
	}
}

func TestServiceURIAndAddr(t *testing.T) {
	for _, c := range []struct {
		s         Service
		uri, addr string
	}{
		{Service{Type: "turns", Host: "2001:db8::1", Port: 443, Transport: "tcp"}, "turns:[2001:db8::1]:443?transport=tcp", "[2001:db8::1]:443"},
		{Service{Type: "turn", Host: "t.example", Transport: "tcp"}, "turn:t.example?transport=tcp", "t.example:3478"},
		{Service{Type: "turns", Host: "t.example"}, "turns:t.example", "t.example:5349"},
	} {
		if c.s.URI() != c.uri || c.s.Addr() != c.addr {
			t.Errorf("%+v: %s %s, want %s %s", c.s, c.s.URI(), c.s.Addr(), c.uri, c.addr)
		}
	}
}

func TestParseServicesRefuses(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`<services xmlns='urn:xmpp:extdisco:1'/>`, `want <services xmlns="urn:xmpp:extdisco:2">`},
		{`<error type='cancel'/>`, `<error xmlns="">`},
		{`<services xmlns='urn:xmpp:extdisco:2'><service port='3478'/></services>`, "service 1 has no type or host"},
		{`<services`, "external services answer"},
	} {
		if _, err := ParseServices(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
}
