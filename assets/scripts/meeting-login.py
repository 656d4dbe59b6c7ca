#!/usr/bin/python3
"""Signs in to the meeting the way the web client does, through nginx.

Run by `jitsi-installer verify` on the host, as root. Reads two tokens on
standard input, one a line: one Janssen issued, and the same with its
signature altered. With the first it signs in over BOSH
(https://DOMAIN/http-bind?room=R&token=T) and over WebSocket
(wss://DOMAIN/xmpp-websocket?room=R&token=T) with SASL ANONYMOUS, asks
Jicofo (focus.DOMAIN) for the conference and joins the room once Jicofo has
created it; the second must be refused. Tokens are never printed. When a
step fails it says which, with what Prosody answered and the lines of
Prosody's log that say why.

With --services it also asks Prosody, once signed in over BOSH, for the
external services (XEP-0215, urn:xmpp:extdisco:2) as lib-jitsi-meet does,
and prints Prosody's <services/> answer on one line that starts with
"services: ". That line holds the TURN credentials: the installer takes it
out of the output and masks the credentials.

Usage: meeting-login.py DOMAIN [ROOM] [--services]
"""

import base64
import http.client
import os
import random
import re
import socket
import ssl
import sys
import time
import uuid
import xml.etree.ElementTree as ET

HTTPBIND = "http://jabber.org/protocol/httpbind"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND = "urn:ietf:params:xml:ns:xmpp-bind"
FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
FOCUS = "http://jitsi.org/protocol/focus"
MUC_USER = "http://jabber.org/protocol/muc#user"
EXTDISCO = "urn:xmpp:extdisco:2"
TIMEOUT = 20
LOGS = ("/var/log/prosody/prosody.log", "/var/log/prosody/prosody.err")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*")
WHY = re.compile(r"error|warn|token|not found|failed|refus|denied", re.I)
STARTED = "Hello and welcome to Prosody"
LOAD = re.compile(r"Error initializing module|module '[^']+' not found|Unable to load|Failed to load", re.I)


class Failed(Exception):
    pass


def local(tag):
    return tag.rsplit("}", 1)[-1]


def text(el):
    """What an XMPP error or failure says, without markup."""
    if el is None:
        return "no answer"
    parts = [local(c.tag) for c in el.iter() if c is not el and local(c.tag) != "text"]
    parts += [t.text for t in el.iter() if local(t.tag) == "text" and t.text]
    return " ".join(p for p in parts if p) or local(el.tag)


def tls():
    # The certificate is verify's TLS check's business; this one is about
    # what happens behind it.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Bosh:
    """XEP-0124/0206 through nginx's /http-bind."""

    name = "BOSH"

    def __init__(self, domain, query):
        self.domain, self.path = domain, "/http-bind?" + query
        self.conn = http.client.HTTPSConnection("127.0.0.1", 443, timeout=TIMEOUT, context=tls())
        self.rid = random.randint(1 << 20, 1 << 30)
        self.sid = None
        self.queue = []

    def post(self, attrs, payload=""):
        self.rid += 1
        a = {"rid": str(self.rid), "xmlns": HTTPBIND}
        if self.sid:
            a["sid"] = self.sid
        a.update(attrs)
        body = "<body %s>%s</body>" % (" ".join("%s='%s'" % kv for kv in a.items()), payload)
        self.conn.request("POST", self.path, body.encode(), {
            "Host": self.domain, "Content-Type": "text/xml; charset=utf-8"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise Failed("POST https://%s/http-bind answered %d %s" % (self.domain, resp.status, resp.reason))
        root = ET.fromstring(data)
        if root.get("type") == "terminate":
            raise Failed("Prosody ended the BOSH session: %s" % (root.get("condition") or text(root)))
        self.queue.extend(list(root))
        return root

    def open(self):
        root = self.post({"to": self.domain, "xml:lang": "en", "wait": "10", "hold": "1",
                          "content": "text/xml; charset=utf-8", "ver": "1.6", "xmpp:version": "1.0",
                          "xmlns:xmpp": "urn:xmpp:xbosh"})
        self.sid = root.get("sid")
        if not self.sid:
            raise Failed("no BOSH session from https://%s/http-bind" % self.domain)

    def restart(self):
        self.post({"to": self.domain, "xml:lang": "en", "xmpp:restart": "true", "xmlns:xmpp": "urn:xmpp:xbosh"})

    def send(self, stanza):
        self.post({}, stanza)

    def next(self, deadline):
        while not self.queue:
            if time.time() > deadline:
                return None
            self.post({})
        return self.queue.pop(0)

    def close(self):
        try:
            self.post({"type": "terminate"}, "<presence type='unavailable' xmlns='jabber:client'/>")
        except (Failed, OSError, ET.ParseError):
            pass
        self.conn.close()


class WebSocket:
    """RFC 7395 XMPP over RFC 6455 WebSocket, through nginx's /xmpp-websocket."""

    name = "WebSocket"

    def __init__(self, domain, query):
        self.domain, self.path = domain, "/xmpp-websocket?" + query
        raw = socket.create_connection(("127.0.0.1", 443), timeout=TIMEOUT)
        self.sock = tls().wrap_socket(raw, server_hostname=domain)
        self.buf = b""

    def handshake(self):
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n"
            "Origin: https://%s\r\n\r\n" % (self.path, self.domain, key, self.domain)).encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Failed("wss://%s/xmpp-websocket: connection closed during the handshake" % self.domain)
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        if " 101 " not in status + " ":
            raise Failed("wss://%s/xmpp-websocket answered %s" % (self.domain, status))

    def frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = bytes([0x80 | opcode, 0x80 | n])
        elif n < 1 << 16:
            head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Failed("Prosody closed the WebSocket")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def message(self):
        while True:
            b0, b1 = self.read(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self.read(2), "big")
            elif n == 127:
                n = int.from_bytes(self.read(8), "big")
            mask = self.read(4) if b1 & 0x80 else None
            data = self.read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            op = b0 & 0x0F
            if op == 9:
                self.frame(10, data)
            elif op == 8:
                raise Failed("Prosody closed the WebSocket")
            elif op in (1, 2):
                return data

    def open(self):
        self.handshake()
        self.restart()

    def restart(self):
        self.send("<open xmlns='%s' to='%s' version='1.0'/>" % (FRAMING, self.domain))

    def send(self, stanza):
        self.frame(1, stanza.encode())

    def next(self, deadline):
        self.sock.settimeout(max(0.1, deadline - time.time()))
        try:
            el = ET.fromstring(self.message())
        except socket.timeout:
            return None
        if local(el.tag) == "close":
            raise Failed("Prosody closed the XMPP stream")
        return el

    def close(self):
        try:
            self.send("<presence type='unavailable' xmlns='jabber:client'/>")
            self.send("<close xmlns='%s'/>" % FRAMING)
        except OSError:
            pass
        self.sock.close()


def wait(conn, what, match):
    """The first element match accepts; Failed when none comes in time."""
    deadline = time.time() + TIMEOUT
    while True:
        el = conn.next(deadline)
        if el is None:
            raise Failed("%s: no answer from Prosody within %ds" % (what, TIMEOUT))
        got = match(el)
        if got is not None:
            return got


def features(conn):
    return wait(conn, "stream features", lambda el: el if local(el.tag) == "features" else None)


def sign_in(conn):
    """SASL ANONYMOUS with the token in the URL, as the web client does.
    True when Prosody accepts, the failure's text when it refuses."""
    conn.open()
    feats = features(conn)
    mechs = [m.text for m in feats.iter() if local(m.tag) == "mechanism"]
    if "ANONYMOUS" not in mechs:
        raise Failed("Prosody offers %s, not SASL ANONYMOUS: its token authentication is not loaded"
                     % ("the SASL mechanisms " + ", ".join(mechs) if mechs else "no SASL mechanism at all"))
    conn.send("<auth xmlns='%s' mechanism='ANONYMOUS'/>" % SASL)
    res = wait(conn, "token login", lambda el: el if local(el.tag) in ("success", "failure") else None)
    if local(res.tag) == "failure":
        return text(res)
    conn.restart()
    features(conn)
    conn.send("<iq type='set' id='bind' xmlns='jabber:client'><bind xmlns='%s'/></iq>" % BIND)
    res = wait(conn, "resource binding", lambda el: el if el.get("id") == "bind" else None)
    if res.get("type") != "result":
        raise Failed("resource binding refused: %s" % text(res))
    return True


def services(conn, domain):
    """XEP-0215 as lib-jitsi-meet asks: <services/> of the domain, whose
    TURN entries carry this session's credentials."""
    conn.send("<iq type='get' id='extdisco' to='%s' xmlns='jabber:client'><services xmlns='%s'/></iq>" % (domain, EXTDISCO))
    res = wait(conn, "external services (XEP-0215)", lambda el: el if el.get("id") == "extdisco" else None)
    if res.get("type") != "result":
        raise Failed("Prosody refused the external services request: %s (is mod_external_services loaded?)"
                     % text(res.find("{jabber:client}error")))
    el = res.find("{%s}services" % EXTDISCO)
    if el is None:
        raise Failed("Prosody's external services answer holds no <services/>")
    return ET.tostring(el, encoding="unicode").replace("\n", " ")


def join(conn, domain, room):
    """Ask Jicofo for the conference, then join the room it created."""
    muc = "%s@conference.%s" % (room, domain)
    conn.send("<iq type='set' id='conf' to='focus.%s' xmlns='jabber:client'><conference xmlns='%s' room='%s' machine-uid='%s'/></iq>"
              % (domain, FOCUS, muc, uuid.uuid4().hex))

    def ready(el):
        if el.get("id") != "conf":
            return None
        if el.get("type") == "error":
            raise Failed("Jicofo (focus.%s) refused the conference: %s" % (domain, text(el.find("{jabber:client}error"))))
        conf = el.find("{%s}conference" % FOCUS)
        if conf is None or conf.get("ready") != "true":
            raise Failed("Jicofo (focus.%s) did not make the conference ready" % domain)
        return True
    wait(conn, "the conference request to focus.%s" % domain, ready)
    nick = "verify-" + uuid.uuid4().hex[:6]
    conn.send("<presence to='%s/%s' xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/muc'/></presence>" % (muc, nick))

    def joined(el):
        if local(el.tag) != "presence" or not (el.get("from") or "").startswith(muc + "/" + nick):
            return None
        if el.get("type") == "error":
            raise Failed("joining %s was refused: %s" % (muc, text(el.find("{jabber:client}error"))))
        x = el.find("{%s}x" % MUC_USER)
        if x is not None and any(s.get("code") == "110" for s in x.findall("{%s}status" % MUC_USER)):
            return True
        return None
    wait(conn, "joining %s" % muc, joined)
    return muc


def log_mark():
    marks = {}
    for path in LOGS:
        try:
            marks[path] = os.path.getsize(path)
        except OSError:
            marks[path] = 0
    return marks


def log_why(marks):
    """Prosody's own words: what it logged during this run, after what it
    logged last about modules it could not load (at its start, before this
    run: a token plugin whose library is missing)."""
    load, recent = [], []
    for path, start in marks.items():
        try:
            with open(path, "rb") as f:
                end = f.seek(0, 2)
                f.seek(max(0, end - 65536))
                raw = f.read()
        except OSError:
            continue
        text = raw.decode("utf-8", "replace")
        new = raw[max(0, len(raw) - (end - start)):].decode("utf-8", "replace") if start < end else ""
        name = os.path.basename(path)
        # Load errors since Prosody's last start only (prosody.log has the
        # start line and every error too).
        started = text.rfind(STARTED)
        if started >= 0:
            load += ["  %s: %s" % (name, l.strip()) for l in text[started:].splitlines() if LOAD.search(l)]
        recent += ["  %s: %s" % (name, l.strip()) for l in new.splitlines() if WHY.search(l)]
    lines = list(dict.fromkeys(load[-2:] + recent[-5:]))
    return [JWT.sub("[token]", l) for l in lines]


def main():
    args = [a for a in sys.argv[1:] if a != "--services"]
    want_services = len(args) < len(sys.argv) - 1
    if not args:
        sys.exit(__doc__)
    domain = args[0]
    room = args[1] if len(args) > 1 else "jitsi-installer-verify-" + uuid.uuid4().hex[:8]
    tokens = sys.stdin.read().split()
    if len(tokens) != 2:
        sys.exit("want two tokens on standard input, one a line")
    good, forged = tokens
    marks = log_mark()
    step = ""
    try:
        for kind in (Bosh, WebSocket):
            step = "%s login with Janssen's token" % kind.name
            conn = kind(domain, "room=%s&token=%s" % (room, good))
            try:
                ok = sign_in(conn)
                if ok is not True:
                    raise Failed("Prosody refused the token: %s" % ok)
                if want_services and kind is Bosh:
                    step = "BOSH: external services (XEP-0215) of %s" % domain
                    print("services: " + services(conn, domain))
                step = "%s: conference %s@conference.%s" % (kind.name, room, domain)
                muc = join(conn, domain, room)
            finally:
                conn.close()
            print("pass: %s login through nginx, joined %s" % (kind.name, muc))
        step = "BOSH login with a forged signature"
        conn = Bosh(domain, "room=%s&token=%s" % (room, forged))
        try:
            if sign_in(conn) is True:
                raise Failed("Prosody accepted a token whose signature was altered")
        finally:
            conn.close()
        print("pass: a token with an altered signature is refused")
    except (Failed, OSError, ET.ParseError, http.client.HTTPException) as e:
        print("%s: %s" % (step, JWT.sub("[token]", str(e))))
        why = log_why(marks)
        if why:
            print("Prosody's log:")
            print("\n".join(why))
        sys.exit(1)


if __name__ == "__main__":
    main()
