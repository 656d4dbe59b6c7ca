package standin

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/jwttest"
)

// wsSignIn signs in over XMPP-over-WebSocket (RFC 7395) at Prosody's
// /xmpp-websocket with ?token=, as the web app does, and returns "success",
// "failure" or what else came.
func wsSignIn(t *testing.T, port int, host, token string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	must(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	key := make([]byte, 16)
	rand.Read(key)
	path := "/xmpp-websocket"
	if token != "" {
		path += "?token=" + url.QueryEscape(token)
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
		path, host, base64.StdEncoding.EncodeToString(key))
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	must(t, err)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("WebSocket upgrade: %s", resp.Status)
	}
	send := func(text string) {
		// A masked text frame, as a client must send.
		frame := []byte{0x81}
		n := len(text)
		switch {
		case n < 126:
			frame = append(frame, 0x80|byte(n))
		default:
			frame = append(frame, 0x80|126, byte(n>>8), byte(n))
		}
		mask := make([]byte, 4)
		rand.Read(mask)
		frame = append(frame, mask...)
		for i := 0; i < n; i++ {
			frame = append(frame, text[i]^mask[i%4])
		}
		_, err := c.Write(frame)
		must(t, err)
	}
	read := func() string {
		var hdr [2]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return "read: " + err.Error()
		}
		n := int(hdr[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			io.ReadFull(r, b[:])
			n = int(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			io.ReadFull(r, b[:])
			n = int(binary.BigEndian.Uint64(b[:]))
		}
		payload := make([]byte, n)
		io.ReadFull(r, payload)
		return string(payload)
	}
	send(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="` + host + `" version="1.0"/>`)
	for i := 0; i < 5; i++ {
		msg := read()
		if strings.Contains(msg, "<mechanism>ANONYMOUS</mechanism>") {
			break
		}
		if strings.HasPrefix(msg, "read:") || i == 4 {
			t.Fatalf("no SASL ANONYMOUS over WebSocket: %s", msg)
		}
	}
	send(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="ANONYMOUS"/>`)
	msg := read()
	switch {
	case strings.Contains(msg, "<success"):
		return "success"
	case strings.Contains(msg, "<failure"):
		return "failure"
	}
	return msg
}

// bearer adds an Authorization header to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(req)
}

// TestTokenFromWebSocketAndBearer: the token reaches mod_auth_token from the
// WebSocket URL and from an Authorization header too (mod_jitsi_session).
func TestTokenFromWebSocketAndBearer(t *testing.T) {
	r := testRepo(t)
	k1 := jwttest.NewKey(t, "k1")
	jwks := newJWKSServer(t, 300, k1.JWK())
	p := startProsody(t, r, prosodyOpts{keys: `cache_keys_url = "` + jwks.URL + `/jwks"`})
	eventually(t, "prosody fetches the JWKS", func() string {
		if jwks.count() > 0 {
			return ""
		}
		return "the JWKS was not fetched"
	})
	good := k1.Sign(claims("*"), nil)
	bad := jwttest.NewKey(t, "k1").Sign(claims("*"), nil)
	for _, tt := range []struct {
		name, token, want string
	}{
		{"WebSocket ?token= valid", good, "success"},
		{"WebSocket ?token= foreign signature", bad, "failure"},
		{"WebSocket without a token", "", "failure"},
	} {
		if got := wsSignIn(t, p.httpPort, prosodyDomain, tt.token); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	boshURL := fmt.Sprintf("http://127.0.0.1:%d/http-bind", p.httpPort)
	for _, tt := range []struct {
		name, token, want string
	}{
		{"BOSH Bearer valid", good, "success"},
		{"BOSH Bearer foreign signature", bad, "failure"},
	} {
		c := &http.Client{Transport: bearer{tt.token}, Timeout: 30 * time.Second}
		if got, err := SignIn(t.Context(), c, boshURL, prosodyDomain, ""); err != nil || got != tt.want {
			t.Errorf("%s: %s %v, want %s", tt.name, got, err, tt.want)
		}
	}
}
