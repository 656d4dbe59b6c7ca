#!/usr/bin/python3
"""Stand-in for the Jicofo and Jitsi Videobridge daemons.

The real daemons are Java programs that log in to Prosody as an XMPP client
with the password from their HOCON config. This one does the same login
(STARTTLS, certificate checked against the system CA store, SASL PLAIN) and
answers the private REST endpoints the real ones have, so a host can be
checked the way a real one is:

  jicofo  127.0.0.1:8888  /about/health, /about/version
  jvb     127.0.0.1:8080  /about/health, /colibri/stats, /about/version
          and UDP 10000 (videobridge.ice.udp.port) bound like the real bridge.

/about/health answers 200 only when the config file was read, the XMPP
password in it is not empty, and the last login to Prosody succeeded;
otherwise 500 with the reason as text.
"""

import argparse
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

VERSIONS = {"jicofo": "1.0-1100", "jvb": "2.3-200-g1c5e9d1f"}
HEALTHY_RECHECK = 60
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
    for key in ("hostname", "port", "domain", "username", "password"):
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
    return s


class Stream:
    def __init__(self, sock):
        self.sock = sock
        self.buf = ""

    def send(self, text):
        self.sock.sendall(text.encode())

    def until(self, pattern):
        rx = re.compile(pattern, re.S)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            data = self.sock.recv(8192)
            if not data:
                raise RuntimeError("XMPP server closed the connection")
            self.buf += data.decode(errors="replace")

    def open(self, domain):
        self.buf = ""
        self.send("<?xml version='1.0'?><stream:stream to='%s' "
                  "xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' "
                  "version='1.0'>" % domain)
        return self.until(r"<stream:features.*?</stream:features>|"
                          r"<stream:error.*?</stream:error>").group(0)


def xmpp_login(s, cafile=None, timeout=10):
    """Logs in as the real daemon would; returns None or the failure."""
    try:
        sock = socket.create_connection((s["hostname"], s["port"]), timeout)
    except OSError as e:
        return "cannot connect to %s:%d: %s" % (s["hostname"], s["port"], e)
    try:
        st = Stream(sock)
        features = st.open(s["domain"])
        if "<stream:error" in features:
            return "XMPP stream error: %s" % features
        if "<starttls" in features:
            st.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            st.until(r"<proceed[^>]*/>|<failure[^>]*/>")
            ctx = ssl.create_default_context(cafile=cafile)
            try:
                st.sock = ctx.wrap_socket(sock, server_hostname=s["domain"])
            except ssl.SSLError as e:
                return "TLS to %s failed: %s" % (s["domain"], e)
            features = st.open(s["domain"])
        mechs = re.findall(r"<mechanism>([^<]+)</mechanism>", features)
        if "PLAIN" not in mechs:
            return "SASL PLAIN not offered by %s (offered: %s)" % (
                s["domain"], ", ".join(mechs) or "none")
        cred = "\0%s\0%s" % (s["username"], s["password"])
        st.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                "mechanism='PLAIN'>%s</auth>" %
                base64.b64encode(cred.encode()).decode())
        m = st.until(r"<success[^>]*/>|<success.*?</success>|"
                     r"<failure.*?</failure>|<failure[^>]*/>")
        if m.group(0).startswith("<failure"):
            cond = re.search(r"<([a-z-]+)\s*/>", m.group(0)[9:])
            return "SASLError using PLAIN: %s" % (
                cond.group(1) if cond else m.group(0))
        st.send("</stream:stream>")
        return None
    except (OSError, RuntimeError) as e:
        return "XMPP login to %s failed: %s" % (s["domain"], e)
    finally:
        sock.close()


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.problem = "starting"

    def set(self, problem):
        with self.lock:
            changed = problem != self.problem
            self.problem = problem
        if changed:
            if problem:
                log("SEVERE", problem)
            else:
                log("INFO", "logged in to XMPP; healthy")

    def get(self):
        with self.lock:
            return self.problem


def checker(args, state):
    while True:
        try:
            s = xmpp_settings(args.role, args.config)
            user = "%s@%s" % (s["username"], s["domain"])
            problem = xmpp_login(s, args.cafile)
            if problem:
                problem = "%s as %s" % (problem, user)
        except RuntimeError as e:
            problem = str(e)
        state.set(problem)
        time.sleep(FAILING_RECHECK if problem else HEALTHY_RECHECK)


def handler(args, state):
    started = time.time()

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
            problem = state.get()
            if path == "/about/health":
                if problem:
                    self.reply(500, problem + "\n")
                else:
                    self.reply(200, "")
            elif path == "/about/version":
                self.reply(200, json.dumps({
                    "name": "Jicofo" if args.role == "jicofo" else "JVB",
                    "version": VERSIONS[args.role], "os": "Linux"}),
                    "application/json")
            elif path == "/colibri/stats" and args.role == "jvb":
                self.reply(200, json.dumps({
                    "healthy": problem is None,
                    "conferences": 0, "participants": 0, "endpoints": 0,
                    "largest_conference": 0, "inactive_conferences": 0,
                    "total_conferences_created": 0, "graceful_shutdown": False,
                    "drain": False, "threads": threading.active_count(),
                    "uptime": int(time.time() - started),
                    "version": VERSIONS["jvb"],
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
        (args.role, VERSIONS[args.role], args.config))

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
