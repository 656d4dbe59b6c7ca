package standin

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

var sidRE = regexp.MustCompile(`sid='([^']+)'|sid="([^"]+)"`)

// SignIn signs in to XMPP domain host over BOSH at boshURL (Prosody's
// /http-bind, directly or through nginx) the way Jitsi's web app does:
// SASL ANONYMOUS, with ?token= when token is set. It returns "success" or
// "failure", Prosody's answer; an error when the exchange itself fails or
// Prosody gives no answer (the token plugin raised an error).
func SignIn(ctx context.Context, c *http.Client, boshURL, host, token string) (string, error) {
	_, result, err := OpenBOSH(ctx, c, boshURL, host, token, 10)
	return result, err
}

// ErrNoAnswer is returned when Prosody answers a sign-in with nothing: the
// BOSH request ran out its wait without a SASL result.
var ErrNoAnswer = errors.New("no SASL answer")

// BOSH is a client session over BOSH, as Jitsi's web app keeps one.
type BOSH struct {
	c         *http.Client
	url, host string
	sid       string
	rid       int
	ids       int
	wait      int
	pending   []string // stanzas received and not yet returned
	JID       string   // the bound full JID, after Bind
}

const boshNS = `xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'`

// OpenBOSH opens a BOSH session to host at boshURL (with ?token= when token
// is set; wait is the BOSH wait in seconds) and signs in with SASL
// ANONYMOUS. It returns the session, and "success" or "failure".
func OpenBOSH(ctx context.Context, c *http.Client, boshURL, host, token string, wait int) (*BOSH, string, error) {
	u := boshURL
	if token != "" {
		u += "?token=" + url.QueryEscape(token)
	}
	b := &BOSH{c: c, url: u, host: host, rid: 1000, wait: wait}
	open, err := b.post(ctx, fmt.Sprintf(`<body rid='%d' to='%s' wait='%d' hold='1' ver='1.6' xmpp:version='1.0' %s/>`, b.rid, host, wait, boshNS))
	if err != nil {
		return nil, "", err
	}
	m := sidRE.FindStringSubmatch(open)
	if m == nil {
		return nil, "", fmt.Errorf("no BOSH session: %s", open)
	}
	b.sid = m[1] + m[2]
	for i := 0; i < 3 && !strings.Contains(open, "<mechanism>ANONYMOUS</mechanism>"); i++ {
		if open, err = b.send(ctx, ""); err != nil {
			return nil, "", err
		}
	}
	if !strings.Contains(open, "<mechanism>ANONYMOUS</mechanism>") {
		return nil, "", fmt.Errorf("%s does not offer SASL ANONYMOUS over BOSH: %s", host, open)
	}
	reply, err := b.send(ctx, `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>`)
	switch {
	case err != nil:
		return nil, "", err
	case strings.Contains(reply, "<success"):
		return b, "success", nil
	case strings.Contains(reply, "<failure"):
		return b, "failure", nil
	}
	return nil, "", fmt.Errorf("%w: %s", ErrNoAnswer, reply)
}

func (b *BOSH) post(ctx context.Context, body string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	// Prosody routes HTTP by the Host header, as nginx passes it.
	req.Host = b.host
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	resp, err := b.c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("POST %s: %s", b.url, resp.Status)
	}
	return string(out), err
}

// send posts payload (stanzas, or nothing to poll) in the session and
// returns the response body.
func (b *BOSH) send(ctx context.Context, payload string) (string, error) {
	b.rid++
	if payload == "" {
		return b.post(ctx, fmt.Sprintf(`<body rid='%d' sid='%s' %s/>`, b.rid, b.sid, boshNS))
	}
	return b.post(ctx, fmt.Sprintf(`<body rid='%d' sid='%s' %s>%s</body>`, b.rid, b.sid, boshNS, payload))
}

func (b *BOSH) restart(ctx context.Context) (string, error) {
	b.rid++
	return b.post(ctx, fmt.Sprintf(`<body rid='%d' sid='%s' to='%s' xmpp:restart='true' %s/>`, b.rid, b.sid, b.host, boshNS))
}

var jidRE = regexp.MustCompile(`<jid>([^<]+)</jid>`)

// Bind restarts the stream after a successful sign-in and binds a
// resource, as the web app does.
func (b *BOSH) Bind(ctx context.Context) (string, error) {
	if _, err := b.restart(ctx); err != nil {
		return "", err
	}
	reply, err := b.Exchange(ctx, `<iq type='set' id='bind_1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`, "id='bind_1'", 10*time.Second)
	if err != nil {
		return "", err
	}
	m := jidRE.FindStringSubmatch(reply)
	if m == nil {
		return "", fmt.Errorf("no bound JID: %s", reply)
	}
	b.JID = m[1]
	return b.JID, nil
}

// Exchange sends payload and polls until a received stanza contains want,
// returning that stanza; other stanzas are kept for later calls.
func (b *BOSH) Exchange(ctx context.Context, payload, want string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for first := true; ; first = false {
		for i, s := range b.pending {
			if strings.Contains(s, want) {
				b.pending = append(b.pending[:i:i], b.pending[i+1:]...)
				return s, nil
			}
		}
		if !first && time.Now().After(deadline) {
			return "", fmt.Errorf("no stanza with %s within %s (got %q)", want, timeout, b.pending)
		}
		p := ""
		if first {
			p = payload
		}
		body, err := b.send(ctx, p)
		if err != nil {
			return "", err
		}
		b.pending = append(b.pending, boshStanzas(body)...)
	}
}

// NextID returns a fresh stanza id.
func (b *BOSH) NextID() string {
	b.ids++
	return fmt.Sprintf("standin_%d", b.ids)
}

// Conference asks the focus component (focus.HOST, Jicofo through its
// client_proxy) for room, a bare room JID, as the web app does, and
// returns the IQ answer.
func (b *BOSH) Conference(ctx context.Context, room string) (string, error) {
	id := b.NextID()
	iq := fmt.Sprintf(`<iq type='set' to='focus.%s' id='%s' xmlns='jabber:client'><conference xmlns='http://jitsi.org/protocol/focus' room='%s' machine-uid='standin-test'/></iq>`, b.host, id, room)
	return b.Exchange(ctx, iq, "id='"+id+"'", 20*time.Second)
}

// Join enters room (a bare room JID) as nick and returns the answer: the
// self-presence, or an error presence.
func (b *BOSH) Join(ctx context.Context, room, nick string) (string, error) {
	full := room + "/" + nick
	p := fmt.Sprintf(`<presence to='%s' xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, full)
	return b.Exchange(ctx, p, "from='"+full+"'", 15*time.Second)
}

// boshStanzas splits a BOSH body into its top-level stanzas, as text.
func boshStanzas(body string) []string {
	d := xml.NewDecoder(strings.NewReader(body))
	var out []string
	depth := 0
	var start int64
	for {
		off := d.InputOffset()
		tok, err := d.RawToken()
		if err != nil {
			return out
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 {
				start = off
			}
		case xml.EndElement:
			if depth == 2 {
				out = append(out, body[start:d.InputOffset()])
			}
			depth--
		}
	}
}
