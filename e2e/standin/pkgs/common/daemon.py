#!/usr/bin/python3
"""Stand-in for the Jicofo and Jitsi Videobridge daemons.

The real daemons are Java programs that stay logged in to Prosody as XMPP
clients with the password from their HOCON config. This one does the same
(STARTTLS, certificate checked against the system CA store, SASL PLAIN,
resource binding, presence) and keeps the session:

  jvb     joins the brewery MUC(s) of its xmpp-client config (MUC_JIDS) as
          MUC_NICKNAME, as the real bridge announces itself to Jicofo;
          127.0.0.1:8080 /about/health, /colibri/stats, /about/version;
          binds UDP 10000 (videobridge.ice.udp.port) like the real bridge.
  jicofo  joins jicofo.bridge.brewery-jid and counts the bridges in it;
          answers the web app's conference request (an IQ to the
          focus.DOMAIN client_proxy) by creating the room as its owner
          (joins it, submits the muc#owner form) and replying ready='true';
          127.0.0.1:8888 /about/health, /stats, /about/version.

/about/health is 200 with an empty body only when the config was read, the
XMPP password is not empty, the session is up and, for Jicofo, a bridge is
in the brewery; otherwise 500 with the reason, e.g. "SASLError using PLAIN:
not-authorized as focus@auth.HOST" or "No operational bridges available".
"""

import argparse
import collections
import base64
import ctypes
import http.server
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

# The package's upstream version, filled in when the package is built.
VERSION = "__STANDIN_VERSION__"
FAILING_RECHECK = 5


def log(level, msg):
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
    print("%s.%03d %s: [%s] %s" % (stamp, int(now * 1000) % 1000, level,
                                   threading.current_thread().name, msg),
          flush=True)


def hocon_get(path, key):
    """Reads one value with the hocon tool (ruby-hocon), the reader the real
    packages use; None when the key is absent."""
    try:
        out = subprocess.run(["hocon", "-f", path, "get", key],
                             capture_output=True, text=True, timeout=30)
    except OSError as e:
        raise RuntimeError("cannot run hocon: %s" % e)
    if out.returncode != 0:
        if "find the given path" in out.stderr:
            return None
        raise RuntimeError("hocon -f %s: %s" % (path, out.stderr.strip()))
    text = out.stdout.strip()
    if text.startswith('"'):
        return json.loads(text)
    return text


def xmpp_settings(role, path):
    """The XMPP client settings the real daemon would use."""
    if not os.access(path, os.R_OK):
        raise RuntimeError("cannot read %s" % path)
    if role == "jicofo":
        base = "jicofo.xmpp.client"
    else:
        configs = hocon_get(path, "videobridge.apis.xmpp-client.configs")
        ids = re.findall(r'^"?([^"\s:={]+)"?\s*[:=]?\s*\{', configs or "",
                         re.M)
        if not ids:
            raise RuntimeError(
                "no videobridge.apis.xmpp-client.configs in %s" % path)
        base = "videobridge.apis.xmpp-client.configs." + ids[0]
    s = {}
    keys = ["hostname", "port", "domain", "username", "password"]
    if role != "jicofo":
        keys += ["muc_jids", "muc_nickname"]
    for key in keys:
        # The bridge's reference.conf spells these in capitals, as the
        # package's postinst writes them; lowercase is read too.
        v = None
        if role != "jicofo":
            v = hocon_get(path, base + "." + key.upper())
        s[key] = v if v is not None else hocon_get(path, base + "." + key)
    s["hostname"] = s["hostname"] or "localhost"
    s["port"] = int(s["port"] or 5222)
    if role == "jicofo":
        s["username"] = s["username"] or "focus"
    if not s["domain"]:
        raise RuntimeError("%s.domain is not set in %s" % (base, path))
    if not s["password"]:
        raise RuntimeError("%s.password is empty in %s" % (base, path))
    if role == "jicofo":
        s["brewery"] = hocon_get(path, "jicofo.bridge.brewery-jid")
        s["nickname"] = "focus"
    else:
        jids = s.get("muc_jids") or ""
        s["brewery"] = jids.split(",")[0].strip() or None
        s["nickname"] = s.get("muc_nickname") or str(uuid.uuid4())
    return s


NS_STREAM = "http://etherx.jabber.org/streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner"
NS_FOCUS = "http://jitsi.org/protocol/focus"
NS_COLIBRI = "http://jitsi.org/protocol/colibri"
NS_PING = "urn:xmpp:ping"


class LoginError(Exception):
    """A failure to log in, worded as the real daemons log it."""


def q(name, ns):
    return "{%s}%s" % (ns, name)


def bare(jid):
    return (jid or "").split("/", 1)[0]


def resource(jid):
    parts = (jid or "").split("/", 1)
    return parts[1] if len(parts) > 1 else ""


class Stream:
    """One XMPP client stream; stanzas are parsed elements."""

    def __init__(self, sock):
        self.sock = sock
        self.parser = None
        self.depth = 0
        self.ready = collections.deque()

    def send(self, text):
        self.sock.sendall(text.encode())

    def open(self, domain):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.ready.clear()
        self.send("<?xml version='1.0'?><stream:stream to=%s "
                  "xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' "
                  "version='1.0'>" % quoteattr(domain))
        features = self.next()
        if features.tag == q("error", NS_STREAM):
            raise LoginError("XMPP stream error: %s" %
                             " ".join(c.tag.split("}")[-1] for c in features))
        if features.tag != q("features", NS_STREAM):
            raise LoginError("no stream features from %s" % domain)
        return features

    def next(self, timeout=None):
        """The next top-level element; socket.timeout when none came."""
        while not self.ready:
            self.sock.settimeout(timeout)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("XMPP server closed the connection")
            self.parser.feed(data)
            for event, elem in self.parser.read_events():
                if event == "start":
                    self.depth += 1
                    if self.depth == 1 and elem.tag != q("stream", NS_STREAM):
                        raise ConnectionError("not an XMPP stream")
                else:
                    self.depth -= 1
                    if self.depth == 0:
                        raise ConnectionError("XMPP server closed the stream")
                    if self.depth == 1:
                        self.ready.append(elem)
        return self.ready.popleft()


def xmpp_connect(s, cafile, res, timeout=10):
    """Logs in and binds a resource as the real daemon would; returns the
    stream and the full JID, or raises LoginError."""
    try:
        sock = socket.create_connection((s["hostname"], s["port"]), timeout)
    except OSError as e:
        raise LoginError("cannot connect to %s:%d: %s" %
                         (s["hostname"], s["port"], e))
    st = Stream(sock)
    try:
        features = st.open(s["domain"])
        if features.find(q("starttls", NS_TLS)) is not None:
            st.send("<starttls xmlns='%s'/>" % NS_TLS)
            if st.next(timeout).tag != q("proceed", NS_TLS):
                raise LoginError("STARTTLS refused by %s" % s["domain"])
            ctx = ssl.create_default_context(cafile=cafile)
            try:
                st.sock = ctx.wrap_socket(sock, server_hostname=s["domain"])
            except ssl.SSLError as e:
                raise LoginError("TLS to %s failed: %s" % (s["domain"], e))
            features = st.open(s["domain"])
        mechs = [m.text for m in features.iter(q("mechanism", NS_SASL))]
        if "PLAIN" not in mechs:
            raise LoginError("SASL PLAIN not offered by %s (offered: %s)" % (
                s["domain"], ", ".join(mechs) or "none"))
        cred = "\0%s\0%s" % (s["username"], s["password"])
        st.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (
            NS_SASL, base64.b64encode(cred.encode()).decode()))
        answer = st.next(timeout)
        if answer.tag == q("failure", NS_SASL):
            cond = [c.tag.split("}")[-1] for c in answer if c.tag != q("text", NS_SASL)]
            raise LoginError("SASLError using PLAIN: %s" % (
                cond[0] if cond else "failure"))
        if answer.tag != q("success", NS_SASL):
            raise LoginError("unexpected SASL answer %s" % answer.tag)
        features = st.open(s["domain"])
        if features.find(q("bind", NS_BIND)) is None:
            raise LoginError("no resource binding offered")
        st.send("<iq type='set' id='bind'><bind xmlns='%s'><resource>%s"
                "</resource></bind></iq>" % (NS_BIND, escape(res)))
        reply = st.next(timeout)
        full = reply.findtext("%s/%s" % (q("bind", NS_BIND), q("jid", NS_BIND)))
        if reply.get("type") != "result" or not full:
            raise LoginError("resource binding failed")
        if features.find(q("session", "urn:ietf:params:xml:ns:xmpp-session")) is not None:
            st.send("<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>")
            st.next(timeout)
        st.sock.settimeout(None)
        return st, full
    except LoginError:
        sock.close()
        raise
    except (OSError, ET.ParseError, ConnectionError) as e:
        sock.close()
        raise LoginError("XMPP login to %s failed: %s" % (s["domain"], e))


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.problem = "starting"
        self.bridges = set()
        self.rooms = {}  # room JID -> set of occupant nicks (not focus)
        self.created = 0
        self.participants_total = 0
        self.started = time.time()

    def set(self, problem):
        with self.lock:
            changed = problem != self.problem
            self.problem = problem
        if changed:
            if problem:
                log("SEVERE", problem)
            else:
                log("INFO", "logged in to XMPP")

    def get(self):
        with self.lock:
            return self.problem


class Session:
    """The daemon's XMPP session and what it does with it."""

    def __init__(self, args, state, settings, st, full):
        self.args, self.state, self.s = args, state, settings
        self.st, self.full = st, full
        self.backlog = collections.deque()
        self.ids = 0

    def next_id(self):
        self.ids += 1
        return "standin%d" % self.ids

    def send(self, text):
        self.st.send(text)

    def join(self, room_jid, nick, extra=""):
        self.send("<presence to=%s><x xmlns='%s'/>%s</presence>" % (
            quoteattr("%s/%s" % (room_jid, nick)), NS_MUC, extra))

    def wait_for(self, match, timeout):
        """Reads stanzas until match(stanza) is true; the others are kept
        for the main loop. Returns the stanza or None after timeout."""
        deadline = time.time() + timeout
        kept = []
        try:
            while True:
                left = deadline - time.time()
                if left <= 0:
                    return None
                try:
                    stanza = self.st.next(left)
                except socket.timeout:
                    return None
                if match(stanza):
                    return stanza
                kept.append(stanza)
        finally:
            self.backlog.extend(kept)
            self.st.sock.settimeout(None)

    def start(self):
        self.send("<presence/>")
        if self.s["brewery"]:
            extra = ""
            if self.args.role == "jvb":
                extra = ("<stats xmlns='%s'><stat name='version' value=%s/>"
                         "<stat name='drain' value='false'/></stats>" % (
                             NS_COLIBRI, quoteattr(VERSION)))
            self.join(self.s["brewery"], self.s["nickname"], extra)
            log("INFO", "joining the brewery %s as %s" % (
                self.s["brewery"], self.s["nickname"]))

    def run(self):
        self.start()
        while True:
            if self.backlog:
                stanza = self.backlog.popleft()
            else:
                try:
                    stanza = self.st.next(30)
                except socket.timeout:
                    self.send(" ")
                    continue
            self.handle(stanza)

    def handle(self, stanza):
        tag = stanza.tag.split("}")[-1]
        if tag == "presence":
            self.on_presence(stanza)
        elif tag == "iq" and stanza.get("type") in ("get", "set"):
            self.on_iq(stanza)

    def on_presence(self, p):
        frm = p.get("from") or ""
        room, nick = bare(frm).lower(), resource(frm)
        gone = p.get("type") in ("unavailable", "error")
        with self.state.lock:
            if self.s["brewery"] and room == bare(self.s["brewery"]).lower():
                if nick and nick != self.s["nickname"]:
                    if gone:
                        self.state.bridges.discard(nick)
                    elif nick not in self.state.bridges:
                        self.state.bridges.add(nick)
                        log("INFO", "bridge %s joined the brewery" % nick)
            elif room in self.state.rooms and nick and nick != "focus":
                occupants = self.state.rooms[room]
                if gone:
                    occupants.discard(nick)
                elif nick not in occupants:
                    occupants.add(nick)
                    self.state.participants_total += 1

    def on_iq(self, iq):
        child = iq[0] if len(iq) else None
        frm, iq_id = iq.get("from"), iq.get("id")
        if child is not None and child.tag == q("ping", NS_PING):
            self.send("<iq type='result' to=%s id=%s/>" % (
                quoteattr(frm), quoteattr(iq_id)))
            return
        if (self.args.role == "jicofo" and iq.get("type") == "set"
                and child is not None and child.tag == q("conference", NS_FOCUS)):
            self.conference(iq, child)
            return
        self.send("<iq type='error' to=%s id=%s><error type='cancel'>"
                  "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                  "</error></iq>" % (quoteattr(frm or ""), quoteattr(iq_id or "")))

    def conference(self, iq, conf):
        """Creates the room as Jicofo does: join as focus, be its owner,
        submit the owner configuration form, answer ready."""
        frm, iq_id = iq.get("from"), iq.get("id")
        room = (conf.get("room") or "").lower()

        def fail(cond, text):
            log("SEVERE", "conference request for %s from %s: %s" % (room, frm, text))
            self.send("<iq type='error' to=%s id=%s><error type='cancel'>"
                      "<%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                      "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>%s</text>"
                      "</error></iq>" % (quoteattr(frm), quoteattr(iq_id or ""),
                                         cond, escape(text)))

        if "@" not in room:
            fail("bad-request", "no room")
            return
        with self.state.lock:
            known = room in self.state.rooms
        if not known:
            self.join(room, "focus")
            me = room + "/focus"

            def self_presence(p):
                return (p.tag == "{jabber:client}presence"
                        and (p.get("from") or "").lower() == me)
            p = self.wait_for(self_presence, 10)
            if p is None:
                fail("remote-server-timeout", "no answer joining %s" % room)
                return
            if p.get("type") == "error":
                err = p.find("{jabber:client}error")
                cond = err[0].tag.split("}")[-1] if err is not None and len(err) else "error"
                fail("not-allowed", "cannot join %s: %s" % (room, cond))
                return
            item = p.find("%s/%s" % (q("x", NS_MUC_USER), q("item", NS_MUC_USER)))
            if item is None or item.get("affiliation") != "owner":
                fail("not-allowed", "focus is not the owner of %s (affiliation %s)" % (
                    room, item.get("affiliation") if item is not None else "none"))
                return
            form_id = self.next_id()
            self.send(
                "<iq type='set' to=%s id=%s><query xmlns='%s'>"
                "<x xmlns='jabber:x:data' type='submit'>"
                "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>"
                "<field var='muc#roomconfig_whois'><value>anyone</value></field>"
                "<field var='muc#roomconfig_persistentroom'><value>false</value></field>"
                "</x></query></iq>" % (quoteattr(room), quoteattr(form_id), NS_MUC_OWNER))
            r = self.wait_for(lambda s: s.get("id") == form_id
                              and s.tag == "{jabber:client}iq", 10)
            if r is None or r.get("type") != "result":
                fail("not-allowed", "the owner form of %s was refused" % room)
                return
            with self.state.lock:
                self.state.rooms.setdefault(room, set())
                self.state.created += 1
            log("INFO", "created conference %s for %s" % (room, frm))
        self.send(
            "<iq type='result' to=%s id=%s><conference xmlns='%s' ready='true' "
            "room=%s focusjid=%s><property name='authentication' value='false'/>"
            "<property name='externalAuth' value='false'/></conference></iq>" % (
                quoteattr(frm), quoteattr(iq_id or ""), NS_FOCUS,
                quoteattr(room), quoteattr(bare(self.full))))


def checker(args, state):
    res = "focus" if args.role == "jicofo" else "jvb-" + uuid.uuid4().hex[:8]
    while True:
        user = args.role
        try:
            s = xmpp_settings(args.role, args.config)
            user = "%s@%s" % (s["username"], s["domain"])
            st, full = xmpp_connect(s, args.cafile, res)
        except (RuntimeError, LoginError) as e:
            problem = str(e)
            if isinstance(e, LoginError):
                problem = "%s as %s" % (problem, user)
            state.set(problem)
            time.sleep(FAILING_RECHECK)
            continue
        with state.lock:
            state.bridges.clear()
            state.rooms.clear()
        state.set(None)
        log("INFO", "session %s" % full)
        try:
            Session(args, state, s, st, full).run()
        except (OSError, ET.ParseError, ConnectionError) as e:
            state.set("XMPP connection to %s lost: %s" % (s["domain"], e))
        finally:
            try:
                st.sock.close()
            except OSError:
                pass
        time.sleep(FAILING_RECHECK)


def health_problem(args, state):
    with state.lock:
        problem = state.problem
        bridges = len(state.bridges)
    if problem:
        return problem
    if args.role == "jicofo" and bridges == 0:
        return "No operational bridges available"
    return None


def handler(args, state):
    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, code, body, ctype="text/plain"):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?")[0]
            problem = health_problem(args, state)
            if path == "/about/health":
                if problem:
                    self.reply(500, problem + "\n")
                else:
                    self.reply(200, "")
            elif path == "/about/version":
                self.reply(200, json.dumps({
                    "name": "Jicofo" if args.role == "jicofo" else "JVB",
                    "version": VERSION, "os": "Linux"}),
                    "application/json")
            elif path == "/stats" and args.role == "jicofo":
                with state.lock:
                    sizes = [len(o) for o in state.rooms.values()]
                    bridges = len(state.bridges)
                    body = {
                        "conferences": len(state.rooms),
                        "participants": sum(sizes),
                        "largest_conference": max(sizes) if sizes else 0,
                        "total_conferences_created": state.created,
                        "total_participants": state.participants_total,
                        "bridge_selector": {
                            "bridge_count": bridges,
                            "operational_bridge_count": bridges,
                        },
                        "healthy": problem is None,
                    }
                self.reply(200, json.dumps(body), "application/json")
            elif path == "/colibri/stats" and args.role == "jvb":
                self.reply(200, json.dumps({
                    "healthy": problem is None,
                    "conferences": 0, "participants": 0, "endpoints": 0,
                    "largest_conference": 0, "inactive_conferences": 0,
                    "total_conferences_created": 0, "graceful_shutdown": False,
                    "drain": False, "threads": threading.active_count(),
                    "uptime": int(time.time() - state.started),
                    "version": VERSION,
                    "current_timestamp": time.strftime(
                        "%Y-%m-%d %H:%M:%S.000", time.gmtime())}),
                    "application/json")
            else:
                self.reply(404, "not found\n")

        def log_message(self, fmt, *a):
            pass

    return Handler


def set_process_name(name):
    # Tools that look at the listening sockets see the daemon under the
    # name the real one has.
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode(), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--role", choices=["jicofo", "jvb"], required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int)
    p.add_argument("--udp-port", type=int,
                   help="jvb only; default from videobridge.ice.udp.port")
    p.add_argument("--cafile", help="trust only this CA (tests)")
    args = p.parse_args()
    if args.port is None:
        args.port = 8888 if args.role == "jicofo" else 8080
    set_process_name("java")
    threading.current_thread().name = "main"
    log("INFO", "starting %s %s stand-in with %s" %
        (args.role, VERSION, args.config))

    udp = None
    if args.role == "jvb":
        port = args.udp_port
        if port is None:
            try:
                port = int(hocon_get(args.config,
                                     "videobridge.ice.udp.port") or 10000)
            except (RuntimeError, ValueError):
                port = 10000
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("0.0.0.0", port))
        log("INFO", "ICE UDP port %d bound" % port)

    state = State()
    server = http.server.ThreadingHTTPServer((args.bind, args.port),
                                             handler(args, state))
    log("INFO", "REST on %s:%d" % (args.bind, args.port))
    threading.Thread(target=checker, args=(args, state), name="xmpp",
                     daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
