package steps

import (
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// exitZero passes when the check's command exits 0, and fails with the last
// lines of its output otherwise.
func exitZero(what string) func(string, int) error {
	return func(out string, code int) error {
		if code == 0 {
			return nil
		}
		out = strings.TrimSpace(out)
		if lines := strings.Split(out, "\n"); len(lines) > 6 {
			out = strings.Join(lines[len(lines)-6:], "\n")
		}
		if out == "" {
			return fmt.Errorf("%s: exit %d", what, code)
		}
		return fmt.Errorf("%s: exit %d: %s", what, code, out)
	}
}

// xmppProbe opens an XMPP stream on 127.0.0.1:5222 and expects Prosody's answer.
const xmppProbe = `import socket, sys
s = socket.create_connection(("127.0.0.1", 5222), timeout=5)
s.sendall(("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" % sys.argv[1]).encode())
data = b""
while b"</stream:features>" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
if b"<stream:features" not in data:
    sys.exit("no XMPP stream features from 127.0.0.1:5222: %r" % data[:200])
print("stream features received")`

// xmppLogin logs in to Prosody with SASL PLAIN after STARTTLS, the way
// Jicofo does, with the password the installer stored on the host. It
// never prints the password.
const xmppLogin = `import base64, json, re, socket, ssl, sys
domain, user, store = sys.argv[1], sys.argv[2], sys.argv[3]
password = json.load(open(store))[user]
def stream(sock):
    sock.sendall(("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" % domain).encode())
    return read(sock, b"</stream:features>")
def read(sock, until):
    data = b""
    while until not in data:
        chunk = sock.recv(4096)
        if not chunk:
            sys.exit("connection closed by Prosody: %r" % data[-200:])
        data += chunk
        if b"<failure" in data and until != b"<failure":
            break
    return data
s = socket.create_connection(("127.0.0.1", 5222), timeout=10)
features = stream(s)
if b"starttls" in features:
    s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    read(s, b"<proceed")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s, server_hostname=domain)
    features = stream(s)
if b"PLAIN" not in features:
    sys.exit("Prosody offers no SASL PLAIN on %s: %r" % (domain, features[-300:]))
token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
s.sendall(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>" % token).encode())
reply = b""
while b"<success" not in reply and b"</failure>" not in reply:
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
if b"<success" not in reply:
    sys.exit("login as %s@%s refused: %s" % (user, domain, re.sub(rb"<[^>]*>", b" ", reply).decode(errors="replace").strip() or "no answer"))
print("logged in as %s@%s" % (user, domain))`

// servicesActive checks each unit with systemctl is-active.
func serviceCheck(unit string) installer.Check {
	return installer.Check{Name: unit + " is active", Args: []string{"systemctl", "is-active", unit}, Eval: exitZero("systemctl is-active " + unit), Settle: true}
}

// httpCheck fetches a loopback URL and expects a 2xx answer: a health
// endpoint, which may take a while after a (re)start.
func httpCheck(name, url string) installer.Check {
	return installer.Check{Name: name, Args: []string{"curl", "-sS", "--fail", "--max-time", "10", "-o", "/dev/null", url}, Eval: exitZero("GET " + url), Settle: true}
}
