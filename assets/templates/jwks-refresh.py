#!/usr/bin/python3
"""Keeps Janssen's signing keys where Prosody's token plugin looks for them.

Written by jitsi-installer for {{.Domain}}; run by {{.KeyRefreshUnit}}.timer.
The token plugin reads RSA keys only: it converts every key of a JWKS as RSA
and stops refreshing at the first EC or encryption key, and it fetches a key
it has not cached from asap_key_server/hex(sha256(kid)).pem. Janssen's JWKS
also holds EC and encryption keys. This fetches Janssen's JWKS and writes
its RSA signing keys twice, for nginx to serve on loopback: each as
hex(sha256(kid)).pem, and all as one JWKS (jwks.json, for cache_keys_url).
A key that left Janssen's JWKS is removed: Janssen keeps a rotated key
published while tokens signed with it are valid, so one it drops is retired.
On any error nothing is removed and the exit status is 1. With --check it
changes nothing and exits 1 unless the key server serves every key.
"""

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import sys
import tempfile
import urllib.request

JWKS_URL = {{py .JWKSURL}}
KEYS_DIR = {{py .KeysDir}}
KEY_SERVER = {{py .KeyServerBase}}
JWKS_NAME = {{py .JWKSFile}}
UNIT = {{py (print .KeyRefreshUnit ".service")}}
MAX_BYTES = 1 << 20
PEM_NAME = re.compile(r"^[0-9a-f]{64}\.pem$")
# AlgorithmIdentifier: SEQUENCE { OID rsaEncryption, NULL }
RSA_ALGORITHM = bytes.fromhex("300d06092a864886f70d0101010500")


def say(msg, err=False):
    """One line of output. Under systemd the line carries its syslog level:
    the unit logs notices and worse only, so a refresh that changes nothing,
    every 30 seconds, leaves no trace in the journal."""
    if os.environ.get("JOURNAL_STREAM"):
        msg = ("<3>" if err else "<5>") + msg
    print("jwks-refresh: " + msg, file=sys.stderr if err else sys.stdout)


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def der(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        size = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(size)]) + size
    return bytes([tag]) + head + body


def der_uint(raw):
    raw = raw.lstrip(b"\0") or b"\0"
    if raw[0] & 0x80:
        raw = b"\0" + raw
    return der(0x02, raw)


def to_pem(jwk):
    """SubjectPublicKeyInfo PEM of an RSA JWK (n, e)."""
    rsa = der(0x30, der_uint(b64url(jwk["n"])) + der_uint(b64url(jwk["e"])))
    spki = der(0x30, RSA_ALGORITHM + der(0x03, b"\0" + rsa))
    body = base64.b64encode(spki).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def get(url, accept):
    req = urllib.request.Request(url, headers={
        "Accept": accept,
        "User-Agent": "jitsi-installer-jwks-refresh",
    })
    with urllib.request.urlopen(req, timeout=30) as resp:
        data = resp.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError("answer larger than 1 MiB")
    return data


def fetch(url):
    doc = json.loads(get(url, "application/json").decode("utf-8"))
    keys = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(keys, list):
        raise ValueError('no "keys" array')
    return keys


def usable(jwk):
    """An RSA key for signatures, with the fields Prosody's RS* check needs."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
        return False
    if jwk.get("use", "sig") != "sig" or not str(jwk.get("alg", "RS256")).startswith("RS"):
        return False
    return all(isinstance(jwk.get(k), str) and jwk[k] for k in ("kid", "n", "e"))


def write(path, text):
    """Replace path with text in one rename; True when the content changed."""
    try:
        with open(path, encoding="ascii") as f:
            if f.read() == text:
                return False
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True


def jwks_text(jwks):
    """The JWKS of the usable keys: only the fields a public RSA key has."""
    fields = ("kty", "use", "alg", "kid", "n", "e")
    keys = [{k: jwk[k] for k in fields if k in jwk} for jwk in jwks]
    return json.dumps({"keys": keys}, indent=1, sort_keys=True) + "\n"


def served_kids(base):
    doc = json.loads(get(base + "/" + JWKS_NAME, "application/json").decode("utf-8"))
    return sorted(k.get("kid") for k in doc.get("keys", []))


def check(keys, kids, base):
    """Exit status 0 when base serves every key as Prosody asks for it."""
    bad = []
    try:
        if served_kids(base) != sorted(kids.values()):
            bad.append("%s/%s does not list exactly the JWKS's RSA signing keys" % (base, JWKS_NAME))
    except (OSError, ValueError) as e:
        bad.append("%s/%s: %s" % (base, JWKS_NAME, e))
    for name, text in sorted(keys.items()):
        url = base + "/" + name
        try:
            served = get(url, "application/x-pem-file").decode("ascii", "replace")
        except (OSError, ValueError) as e:
            bad.append("kid %s: %s: %s" % (kids[name], url, e))
            continue
        if served.strip() != text.strip():
            bad.append("kid %s: %s serves another key" % (kids[name], url))
    for line in bad:
        say(line, err=True)
    if bad:
        say("refresh with systemctl start %s; its log: journalctl -u %s" % (UNIT, UNIT), err=True)
        return 1
    say("%s serves all %d RSA keys of the JWKS" % (base, len(keys)))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=JWKS_URL, help="JWKS URL (default: %(default)s)")
    parser.add_argument("--dir", default=KEYS_DIR, help="key directory (default: %(default)s)")
    parser.add_argument("--check", nargs="?", const=KEY_SERVER, metavar="BASE",
                        help="only check that the key server (default: %s) serves every key" % KEY_SERVER)
    args = parser.parse_args()

    try:
        jwks = fetch(args.url)
    except (OSError, ValueError) as e:
        say("%s: %s" % (args.url, e), err=True)
        return 1
    keys, kids, good = {}, {}, []
    for jwk in filter(usable, jwks):
        name = hashlib.sha256(jwk["kid"].encode("utf-8")).hexdigest() + ".pem"
        try:
            keys[name], kids[name] = to_pem(jwk), jwk["kid"]
            good.append(jwk)
        except (ValueError, binascii.Error):
            say("key %r: bad n or e, skipped" % jwk["kid"], err=True)
    if not keys:
        say("%s has no RSA signing key; keys left as they were" % args.url, err=True)
        return 1
    if args.check:
        return check(keys, kids, args.check.rstrip("/"))

    os.makedirs(args.dir, mode=0o755, exist_ok=True)
    # PEM files first: a kid Prosody finds in the JWKS is also on the key server.
    changed = sum(write(os.path.join(args.dir, name), text) for name, text in sorted(keys.items()))
    write(os.path.join(args.dir, JWKS_NAME), jwks_text(good))
    removed = 0
    for name in os.listdir(args.dir):
        if PEM_NAME.match(name) and name not in keys:
            os.unlink(os.path.join(args.dir, name))
            removed += 1
    # Every 30 seconds: say something only when something changed.
    if changed or removed:
        say("%d RSA keys from %s, %d new or changed, %d removed" % (len(keys), args.url, changed, removed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
