package standin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var sidRE = regexp.MustCompile(`sid='([^']+)'`)

// SignIn signs in to XMPP domain host over BOSH at boshURL (Prosody's
// /http-bind, directly or through nginx) the way Jitsi's web app does:
// SASL ANONYMOUS, with ?token= when token is set. It returns "success" or
// "failure", Prosody's answer; an error when the exchange itself fails.
func SignIn(ctx context.Context, c *http.Client, boshURL, host, token string) (string, error) {
	u := boshURL
	if token != "" {
		u += "?token=" + url.QueryEscape(token)
	}
	post := func(body string) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
		if err != nil {
			return "", err
		}
		// Prosody routes HTTP by the Host header, as nginx passes it.
		req.Host = host
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("POST %s: %s", boshURL, resp.Status)
		}
		return string(b), err
	}
	const ns = `xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'`
	rid := 1000
	open, err := post(fmt.Sprintf(`<body rid='%d' to='%s' wait='10' hold='1' ver='1.6' xmpp:version='1.0' %s/>`, rid, host, ns))
	if err != nil {
		return "", err
	}
	m := sidRE.FindStringSubmatch(open)
	if m == nil {
		return "", fmt.Errorf("no BOSH session: %s", open)
	}
	for i := 0; i < 3 && !strings.Contains(open, "<mechanism>ANONYMOUS</mechanism>"); i++ {
		rid++
		if open, err = post(fmt.Sprintf(`<body rid='%d' sid='%s' %s/>`, rid, m[1], ns)); err != nil {
			return "", err
		}
	}
	if !strings.Contains(open, "<mechanism>ANONYMOUS</mechanism>") {
		return "", fmt.Errorf("%s does not offer SASL ANONYMOUS over BOSH: %s", host, open)
	}
	rid++
	reply, err := post(fmt.Sprintf(`<body rid='%d' sid='%s' %s><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/></body>`, rid, m[1], ns))
	switch {
	case err != nil:
		return "", err
	case strings.Contains(reply, "<success"):
		return "success", nil
	case strings.Contains(reply, "<failure"):
		return "failure", nil
	}
	return "", fmt.Errorf("no SASL answer: %s", reply)
}
