#!/usr/bin/env python3
"""Integration tests of federation (docs/federation.md): two and three real `ctihub serve`
processes on loopback, each with its own store, Ed25519 key and config (written here, with free
ports and secrets in password files), driven round by round with `ctihub sync --json`.

What a node receives from a peer is compared, byte for byte, with what the peer's TAXII server
releases to that partner (GET objects, match[version]=all, every page, as the partner's user):
by pull, by push, both ways, along a chain a ↔ b ↔ c (no echo, nothing twice, a round with
nothing new moves nothing), through new versions and revocations, after SIGKILL of the serving
node or of the `ctihub sync` client mid-round, with wrong, missing or tampered signatures, through
one-way transfer files (tampered, truncated, replayed, re-ordered, misaddressed, unsigned), and
against the OASIS reference TAXII server medallion v3.0.0 when its source is present
($CTIHUB_MEDALLION_DIR, default /work/anchors/src/cti-taxii-server-v3.0.0). Tests marked
expectedFailure would record product bugs still open (none are).

Python's standard library only (/usr/bin/python3):

    tests/federation/federation_test.py BUILD_DIR [unittest args]
"""
import base64
import collections
import hashlib
import http.client
import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

BUILD = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "build")
CTIHUB = os.path.join(BUILD, "ctihub")
PY = "/usr/bin/python3"
MEDALLION = os.environ.get("CTIHUB_MEDALLION_DIR", "/work/anchors/src/cti-taxii-server-v3.0.0")
TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
# Objects for the kill tests: enough pages that a SIGKILL lands in the middle of a round.
BIG = int(os.environ.get("CTIHUB_FEDERATION_TEST_OBJECTS", "30000"))

TLP2 = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1 = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
# What a partner whose agreement says tlp = "green" may see marked on anything it receives.
GREEN_OR_BELOW = {TLP2["clear"], TLP2["green"], TLP1["white"], TLP1["green"]}
AMBER_OR_BELOW = GREEN_OR_BELOW | {TLP2["amber"], TLP1["amber"]}


_ports_given = set()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(v) for v in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A port that is free now and stays free while the test runs. Nodes must know each other's
    ports before they start and keep them across restarts, so a kernel-chosen port (bind to 0)
    will not do: it comes from the ephemeral range, where any outgoing connection on the machine,
    or a parallel test listening on port 0, can take it before `serve` binds it. Ports below
    that range are never handed out by the kernel."""
    low, high = _ephemeral_range()
    candidates = list(range(20000, 32768)) if low > 20000 else list(range(high + 1, 65536))
    rng = random.Random()
    for _ in range(1000):
        port = rng.choice(candidates)
        if port in _ports_given or low <= port <= high:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        _ports_given.add(port)
        return port
    raise RuntimeError("no free port outside the ephemeral range")


def run(*args, cwd=None, check=True, timeout=600):
    r = subprocess.run([CTIHUB, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"ctihub {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r


def write_secret(path, value=None):
    value = value or base64.urlsafe_b64encode(os.urandom(18)).decode().rstrip("=")
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)
    return value


def toml(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    raise TypeError(value)


# --- TAXII on the wire -----------------------------------------------------------------------

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def envelope(data):
    """The exact bytes of each object of a TAXII envelope, and its other fields (parsed)."""
    s = data.decode("utf-8")
    texts, fields = [], {}

    def ws(i):
        return _WS.match(s, i).end()

    i = ws(0)
    assert s[i] == "{", data[:100]
    i += 1
    while True:
        i = ws(i)
        if s[i] == "}":
            return texts, fields
        key, i = _DECODER.raw_decode(s, i)
        i = ws(i)
        assert s[i] == ":"
        i = ws(i + 1)
        if key == "objects":
            assert s[i] == "["
            i = ws(i + 1)
            while s[i] != "]":
                _, end = _DECODER.raw_decode(s, i)
                texts.append(s[i:end].encode("utf-8"))
                i = ws(end)
                if s[i] == ",":
                    i = ws(i + 1)
            i += 1
        else:
            fields[key], i = _DECODER.raw_decode(s, i)
        i = ws(i)
        if s[i] == ",":
            i += 1


def request(port, method, path, user=None, password=None, body=None, headers=None, timeout=120):
    h = {"Accept": TAXII}
    if user:
        h["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    if body is not None:
        h["Content-Type"] = TAXII
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
    h.update(headers or {})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def all_versions(port, root, collection, user, password, limit=500, missing_ok=False):
    """Every object version a TAXII server returns to `user` for a collection: the texts, as
    sent, following `next` to the end (none when missing_ok and the collection is unknown)."""
    texts, nxt = [], None
    base = f"/{root}/collections/{collection}/objects/?match[version]=all&limit={limit}"
    while True:
        path = base + ("&next=" + urllib.parse.quote(nxt, safe="") if nxt else "")
        status, _, data = request(port, "GET", path, user, password)
        if status == 404 and not texts and missing_ok:
            return []
        if status != 200:
            raise AssertionError(f"GET {path} as {user}: {status} {data[:300]!r}")
        page, fields = envelope(data)
        texts.extend(page)
        if not fields.get("more"):
            return texts
        nxt = fields["next"]


class Proxy:
    """A man in the middle on loopback: forwards each request to 127.0.0.1:`target`, records
    (method, path, status), and lets a test rewrite request or response bodies and headers."""

    def __init__(self, target):
        self.target = target
        self.log = []
        self.on_request = None   # (method, path, headers, body) -> (headers, body)
        self.on_response = None  # (method, path, status, headers, body) -> (status, headers, body)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "content-length")}
                if proxy.on_request:
                    headers, body = proxy.on_request(self.command, self.path, headers, body)
                c = http.client.HTTPConnection("127.0.0.1", proxy.target, timeout=120)
                try:
                    c.request(self.command, self.path, body=body or None, headers=headers)
                    r = c.getresponse()
                    status, data = r.status, r.read()
                    out = {k: v for k, v in r.getheaders()
                           if k.lower() not in ("connection", "content-length",
                                                "transfer-encoding")}
                finally:
                    c.close()
                if proxy.on_response:
                    status, out, data = proxy.on_response(self.command, self.path, status, out,
                                                          data)
                proxy.log.append((self.command, self.path, status))
                self.send_response(status)
                for k, v in out.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def without(headers, name):
    return {k: v for k, v in headers.items() if k.lower() != name.lower()}


def flip_first(data, pattern):
    """`data` with the character after the first match of `pattern` (bytes regex) changed to
    another hex digit: still well-formed JSON, no longer the bytes that were signed."""
    m = re.search(pattern, data)
    assert m, pattern
    i = m.end()
    return data[:i] + (b"1" if data[i:i + 1] != b"1" else b"2") + data[i + 1:]


def key_of(text):
    o = json.loads(text)
    return o["id"], o.get("modified", o.get("created", ""))


def indicator(tag, name, refs, modified="2024-03-01T00:00:00.000Z", **extra):
    o = {"type": "indicator", "spec_version": "2.1",
         "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, tag + '/' + name)}",
         "created": "2024-03-01T00:00:00.000Z", "modified": modified, "name": name,
         "pattern": f"[ipv4-addr:value = '198.51.100.{len(name) % 250 + 1}']",
         "pattern_type": "stix", "valid_from": "2024-03-01T00:00:00Z", "confidence": 80}
    if refs:
        o["object_marking_refs"] = refs
    o.update(extra)
    return o


def adversarial(tag):
    """Objects that a partner under a GREEN agreement without sightings must never receive
    (their name or description carries a token with FORBIDDEN), beside controls it must
    (ALLOWED). Returns (objects, forbidden (id, modified) keys)."""
    green, red = TLP2["green"], TLP2["red"]
    allowed = indicator(tag, "ALLOWED-GREEN", [green])
    flip_v1 = indicator(tag, "ALLOWED-FLIP", [green])
    # A new version of a released object that raises its marking to RED: the old version may
    # travel, the new one never.
    flip_v2 = dict(flip_v1, modified="2024-03-02T00:00:00.000Z", name="FORBIDDEN-FLIPPED-TO-RED",
                   object_marking_refs=[red])
    withheld = [
        indicator(tag, "FORBIDDEN-RED", [red]),
        indicator(tag, "FORBIDDEN-RED-TLP1", [TLP1["red"]]),
        indicator(tag, "FORBIDDEN-AMBER", [TLP2["amber"]]),
        indicator(tag, "FORBIDDEN-AMBER-TLP1", [TLP1["amber"]]),
        indicator(tag, "FORBIDDEN-AMBER-STRICT", [TLP2["amber+strict"]]),
        indicator(tag, "FORBIDDEN-GREEN-AND-RED", [green, red]),
        indicator(tag, "FORBIDDEN-UNMARKED", []),  # unmarked_tlp defaults to AMBER
        flip_v2,
        {"type": "sighting", "spec_version": "2.1",
         "id": f"sighting--{uuid.uuid5(uuid.NAMESPACE_URL, tag + '/sighting')}",
         "created": "2024-03-01T00:00:00.000Z", "modified": "2024-03-01T00:00:00.000Z",
         "sighting_of_ref": allowed["id"], "count": 3, "object_marking_refs": [green],
         "description": "FORBIDDEN-SIGHTING"},
    ]
    # Released redacted: the RED-marked description is removed, the rest travels.
    granular = indicator(tag, "ALLOWED-REDACTED", [green], description="FORBIDDEN-GRANULAR",
                         granular_markings=[{"selectors": ["description"], "marking_ref": red}])
    objects = [allowed, flip_v1, granular] + withheld
    return objects, {(o["id"], o["modified"]) for o in withheld}


def write_bundle(path, objects):
    with open(path, "w") as f:
        json.dump({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}, f)
    return path


# --- a node ------------------------------------------------------------------------------------

class Node:
    """One ctihub node: a directory with its key, secrets, config (rendered from the fields
    below) and SQLite store, and its `ctihub serve` process when started."""

    def __init__(self, root, name, signing=True):
        self.name = name
        self.dir = os.path.join(root, name)
        os.makedirs(os.path.join(self.dir, "secrets"))
        self.db = os.path.join(self.dir, "hub.db")
        self.store = "sqlite:" + self.db
        self.config = os.path.join(self.dir, "node.toml")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key_file = os.path.join(self.dir, "secrets", "node.key")
        out = run("node-key", "generate", "-o", self.key_file).stdout
        self.public_key = re.search(r"^public key:\s*(\S+)", out, re.M).group(1)
        self.signing = signing
        self.tls = None  # a [tls] table: the node serves https
        self.passwords = {"admin": write_secret(self.secret("admin.pw"))}
        self.collections = ["feeds", "inbox"]
        self.organisations = ["local"]
        self.users = [{"name": "admin", "organisation": "local", "admin": True,
                       "password_file": self.secret("admin.pw")}]
        self.grants, self.agreements, self.peers, self.profiles = [], [], [], []
        self.proc = None
        self.starts = 0
        self.log = os.path.join(self.dir, "serve.log")

    def secret(self, name):
        return os.path.join(self.dir, "secrets", name)

    # -- config
    def partner(self, other, grants=(("feeds", "read"), ("inbox", "write")), **agreement):
        """`other` becomes a partner organisation here, with an account (`OTHER-sync`, whose
        password `other` keeps as secrets/at-SELF.pw), grants and, when given, an agreement."""
        user = f"{other.name}-sync"
        self.organisations.append(other.name)
        self.passwords[user] = write_secret(self.secret(user + ".pw"))
        write_secret(other.secret(f"at-{self.name}.pw"), self.passwords[user])
        self.users.append({"name": user, "organisation": other.name,
                           "password_file": self.secret(user + ".pw")})
        for collection, permission in grants:
            self.grants.append({"collection": collection, "grantee": "org:" + other.name,
                                "permission": permission})
        if agreement:
            self.agreements.append({"partner": other.name, **agreement})

    def peer(self, other, direction, **settings):
        """A [[peers]] entry for `other` (its url, our account there, its key trusted)."""
        p = {"name": other.name, "direction": direction}
        if direction != "none":  # "none": only trusted for its uploads and transfer files
            p["url"] = other.url
            p["username"] = f"{self.name}-sync"
            p["password_file"] = self.secret(f"at-{other.name}.pw")
        p["trusted_keys"] = [other.public_key]
        p.update(settings)
        self.peers = [q for q in self.peers if q["name"] != other.name] + [p]
        return p

    def write_config(self):
        lines = [f'[node]\nname = "{self.name}"\n'
                 f'identity = "identity--{uuid.uuid5(uuid.NAMESPACE_URL, "ctihub-it-" + self.name)}"',
                 f'[server]\nlisten = "127.0.0.1:{self.port}"']
        if self.signing:
            lines.append(f"[signing]\nkey_file = {toml(self.key_file)}")
        if self.tls:
            lines.append("[tls]\n" + "\n".join(f"{k} = {toml(v)}" for k, v in self.tls.items()))
        tables = [("collections", [{"alias": c} for c in self.collections]),
                  ("organisations", [{"name": o} for o in self.organisations]),
                  ("users", self.users), ("grants", self.grants),
                  ("sanitization_profiles", self.profiles), ("agreements", self.agreements),
                  ("peers", self.peers)]
        for name, entries in tables:
            for entry in entries:
                lines.append(f"[[{name}]]\n" + "\n".join(f"{k} = {toml(v)}"
                                                         for k, v in entry.items()))
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    # -- processes
    def start(self, first_sync_after=100000):
        self.write_config()
        log = open(self.log, "a")
        self.proc = subprocess.Popen(
            [CTIHUB, "serve", "--config", self.config, "--store", self.store, "--no-access-log",
             "--first-sync-after", str(first_sync_after)],
            cwd=self.dir, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(self.log) as f:
                text = f.read()
            if text.count("listening on") > self.starts:
                self.starts += 1
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: serve exited ({self.proc.returncode}):\n{text}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name}: serve did not start:\n{text}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        code, self.proc = (self.proc.returncode if self.proc else 0), None
        return code

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)
        self.proc = None

    def restart(self):
        self.stop()
        self.start()

    # -- commands
    def ctihub(self, *args, check=True, timeout=600):
        """A command on this node, with the config as it is now (a running server keeps the one
        it started with)."""
        self.write_config()
        return run(*args, "--config", self.config, "--store", self.store, cwd=self.dir,
                   check=check, timeout=timeout)

    def sync(self, *peers, ok=True):
        """One `ctihub sync --json` round: {peer: report}. With ok, every peer must succeed."""
        r = self.ctihub("sync", "--json", *peers, check=False)
        if r.returncode not in (0, 1) or not r.stdout.strip():
            raise AssertionError(f"{self.name}: ctihub sync exited {r.returncode}: {r.stderr}")
        reports = {e["peer"]: e for e in json.loads(r.stdout)}
        if ok:
            failed = {p: e["error"] for p, e in reports.items() if "error" in e}
            if failed or r.returncode != 0:
                raise AssertionError(f"{self.name}: sync failed: {failed} {r.stderr}")
        return reports

    def peers_state(self):
        return {e["peer"]: e for e in json.loads(self.ctihub("peers", "--json").stdout)}

    def import_objects(self, collection, objects=None, path=None):
        if objects is not None:
            path = write_bundle(os.path.join(self.dir, f"import-{uuid.uuid4()}.json"), objects)
        return run("import", "--store", self.store, "--collection", collection,
                   "--progress", "none", path).stdout

    def generate(self, collection, seed, count, exclude_ids=(), keep=None):
        """Imports `count` generated objects (seeded); those whose id is in exclude_ids, or that
        `keep` refuses, are left out. Returns the ids imported."""
        path = os.path.join(self.dir, f"generated-{seed}.jsonl")
        run("generate", "--seed", str(seed), "--objects", str(count), "--format", "jsonl",
            "-o", path)
        if exclude_ids or keep:
            with open(path) as f:
                lines = [line for line in f if json.loads(line)["id"] not in exclude_ids
                         and (keep is None or keep(json.loads(line)))]
            with open(path, "w") as f:
                f.writelines(lines)
        self.import_objects(collection, path=path)
        with open(path) as f:
            return {json.loads(line)["id"] for line in f}

    def objects(self, collection, as_user="admin", missing_ok=False):
        """Every version of `collection` this node's TAXII server returns to `as_user`."""
        return all_versions(self.port, "api", collection, as_user, self.passwords[as_user],
                            missing_ok=missing_ok)

    def released_to(self, partner, collection="feeds", settled_to=None):
        """What this node's TAXII server releases of `collection` to the account of `partner`
        (a Node or an organisation name). With `settled_to` (texts), read again for a while
        until it holds exactly those: under a profile that withholds internal addresses, the
        server releases content once its index of observables has read it (victims.pending,
        seconds), while one-shot commands (sync, transfer) wait for that themselves."""
        user = f"{getattr(partner, 'name', partner)}-sync"
        deadline = time.time() + 15
        while True:
            released = self.objects(collection, as_user=user)
            if settled_to is None or time.time() > deadline or \
                    collections.Counter(released) == collections.Counter(settled_to):
                return released
            time.sleep(0.5)

    def rows(self, collection):
        """(id, version, origin) of each stored version, read from the SQLite store."""
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute(
                "SELECT o.id, o.version_text, o.origin FROM objects o JOIN collections c "
                "ON o.coll = c.pk WHERE c.alias = ?", (collection,)).fetchall()
        finally:
            db.close()

    def count(self, collection):
        try:
            return len(self.rows(collection))
        except sqlite3.OperationalError:
            return 0


class Federation(unittest.TestCase):
    """Base: a temporary directory of nodes, all stopped at the end."""

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="ctihub-federation-it-")
        self.nodes = []
        self.addCleanup(self.stop_nodes)  # also when a subclass's setUp fails

    def stop_nodes(self):
        codes = {}
        for n in self.nodes:
            try:
                codes[n.name] = n.stop()
            except Exception as e:
                codes[n.name] = e
                if n.proc:
                    n.proc.kill()
        if os.environ.get("CTIHUB_KEEP_TEST_DIR"):
            print(f"\n(kept {self.root})", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        self.assertEqual(set(codes.values()) - {0}, set(), f"serve on SIGTERM: {codes}")

    def node(self, name, **kw):
        n = Node(self.root, name, **kw)
        self.nodes.append(n)
        return n

    # -- checks
    def assertSameTexts(self, received, released, what):
        """The receiver's versions are exactly the released ones, byte for byte, once each."""
        r, s = collections.Counter(received), collections.Counter(released)
        dup = [t[:120] for t, n in r.items() if n > 1]
        self.assertFalse(dup, f"{what}: stored more than once: {dup[:3]}")
        missing, extra = s - r, r - s
        self.assertFalse(missing or extra,
                         f"{what}: {len(missing)} released versions missing, {len(extra)} "
                         f"received that were not released (or differ in bytes), e.g. "
                         f"missing {[t[:160] for t in list(missing)[:2]]} "
                         f"extra {[t[:160] for t in list(extra)[:2]]}")

    def assertWithinAgreement(self, texts, forbidden, allowed_markings, sightings, what):
        """Nothing withheld reached the receiver: no forbidden (id, modified), no marking above
        the agreement's TLP, no sighting when sightings are not shared, no FORBIDDEN token."""
        blob = b"\n".join(texts)
        self.assertNotIn(b"FORBIDDEN", blob, what)
        keys = {key_of(t) for t in texts}
        self.assertFalse(keys & forbidden, f"{what}: withheld versions arrived: {keys & forbidden}")
        for t in texts:
            o = json.loads(t)
            refs = set(o.get("object_marking_refs", []))
            refs |= {g["marking_ref"] for g in o.get("granular_markings", []) if "marking_ref" in g}
            # Unmarked content counts as [policy] unmarked_tlp, AMBER by default; an unmarked
            # marking-definition goes to whoever is cleared for what it defines (a TLP one: that
            # TLP's audience).
            if refs:
                ok = refs <= allowed_markings
            elif o["type"] == "marking-definition" and o["id"] in {*TLP1.values(), *TLP2.values()}:
                ok = o["id"] in allowed_markings
            else:
                ok = TLP2["amber"] in allowed_markings
            self.assertTrue(ok, f"{what}: {o['id']} marked {refs or 'not at all'} arrived")
            if not sightings:
                self.assertNotEqual(o["type"], "sighting", f"{what}: a sighting arrived")


def moved(report):
    return (report.get("pulled_new", 0) + report.get("pulled_new_versions", 0)
            + report.get("pushed", 0))


# --- 1. pull, push, both ------------------------------------------------------------------------

class TwoNodes(Federation):
    """a shares with b under a GREEN agreement (no sightings, sanitized); b shares with a under
    AMBER (sightings shared). What moves is what the sender's TAXII server releases, in bytes."""

    GREEN_AGREEMENT = {"collections": ["feeds"], "tlp": "green", "share_sightings": False,
                       "sanitization": "partners"}
    AMBER_AGREEMENT = {"collections": ["feeds"], "tlp": "amber", "share_sightings": True}

    def pair(self, a_data=True, b_data=False):
        a, b = self.node("a"), self.node("b")
        a.profiles.append({"name": "partners", "internal_addresses": True, "defang": True})
        a.partner(b, **self.GREEN_AGREEMENT)
        b.partner(a, **self.AMBER_AGREEMENT)
        self.forbidden = set()
        if a_data:
            a.generate("feeds", seed=11, count=1500)
            objs, self.forbidden = adversarial("a")
            a.import_objects("feeds", objs)
        if b_data:
            b.generate("feeds", seed=12, count=1500)
        return a, b

    def check_a_to_b(self, a, b, collection):
        released = a.released_to(b)
        self.assertGreater(len(released), 300)
        received = b.objects(collection)
        self.assertSameTexts(received, released, f"a → b ({collection})")
        self.assertWithinAgreement(received, self.forbidden, GREEN_OR_BELOW, False,
                                   f"a → b ({collection})")
        blob = b"\n".join(received)
        for token in (b"ALLOWED-GREEN", b"ALLOWED-FLIP", b"ALLOWED-REDACTED"):
            self.assertIn(token, blob)
        return released

    def test_pull_moves_exactly_what_the_agreement_releases(self):
        a, b = self.pair()
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a", page_size=97)
        a.start()
        b.start()
        r = b.sync()["a"]
        released = self.check_a_to_b(a, b, "from-a")
        self.assertEqual(r["pulled_new"] + r["pulled_new_versions"], len(released))
        self.assertEqual((r["pulled_duplicates"], r["pulled_rejected"]), (0, 0))
        again = b.sync()["a"]
        self.assertEqual((again["pulled"], moved(again)), (0, 0))
        state = b.peers_state()["a"]
        self.assertTrue(state["last_success"])
        self.assertTrue(state["pull_watermark"])
        self.assertEqual((state["last_error"], state["consecutive_failures"]), ("", 0))

    def test_push_moves_exactly_what_the_agreement_releases(self):
        a, b = self.pair()
        a.peer(b, "push", push_from=["feeds"], push_to="inbox", push_batch=101)
        b.peer(a, "none")  # b trusts a's key for a's uploads, and requires it
        a.start()
        b.start()
        r = a.sync()["b"]
        released = self.check_a_to_b(a, b, "inbox")
        self.assertEqual((r["pushed"], r["pushed_accepted"], r["pushed_refused"]),
                         (len(released), len(released), 0))
        self.assertGreater(r["withheld"], 0)
        for rule in ("agreement.sightings", "granular.redacted", "sanitized"):
            self.assertIn(rule, r["rules"], r["rules"])
        self.assertGreater(r["redacted"], 0)
        again = a.sync()["b"]
        self.assertEqual((again["pushed"], again["withheld"]), (0, 0))
        self.assertEqual(a.peers_state()["b"]["push_backlog"], 0)

    # Every version the agreement keeps from the partner is counted, with its rule — also those
    # a TAXII read filters in the store query (TLP above the agreement, unmarked under GREEN).
    def test_push_report_counts_everything_withheld(self):
        a, b = self.pair()
        a.peer(b, "push", push_from=["feeds"], push_to="inbox")
        b.peer(a, "none")
        a.start()
        b.start()
        r = a.sync()["b"]
        self.assertEqual(r["pushed"] + r["withheld"], a.count("feeds"), r)
        self.assertTrue(any(rule.startswith("tlp") for rule in r["rules"]), r["rules"])

    def test_both_directions_each_under_its_own_agreement(self):
        a, b = self.pair(b_data=True)
        a.peer(b, "both", pull_from="feeds", pull_into="from-b", push_from=["feeds"],
               push_to="inbox", page_size=250, push_batch=250)
        b.peer(a, "both", pull_from="feeds", pull_into="from-a", push_from=["feeds"],
               push_to="inbox", page_size=250, push_batch=250)
        a.start()
        b.start()
        a.sync()
        b.sync()
        self.check_a_to_b(a, b, "from-a")
        self.check_a_to_b(a, b, "inbox")
        released = b.released_to(a)
        for collection in ("from-b", "inbox"):
            received = a.objects(collection)
            self.assertSameTexts(received, released, f"b → a ({collection})")
            self.assertWithinAgreement(received, set(), AMBER_OR_BELOW, True, "b → a")
        self.assertIn(b'"sighting"', b"".join(released))  # b's agreement shares sightings
        for node in (a, b):
            again = node.sync()
            self.assertEqual([moved(r) for r in again.values()], [0], again)

    def test_a_batch_still_pending_at_the_status_timeout_is_sent_again(self):
        a, b = self.pair()
        proxy = Proxy(b.port)
        self.addCleanup(proxy.close)
        # The proxy rewrites b's statuses (so they cannot carry b's signature): not required.
        a.peer(b, "push", push_from=["feeds"], push_to="inbox", push_batch=200,
               url=proxy.url, require_signatures=False, status_timeout_seconds=1)
        b.peer(a, "none")
        a.start()
        b.start()

        def pending(method, path, status, headers, body):
            if (method == "POST" and status == 202) or "/status/" in path:
                st = json.loads(body)
                st.update(status="pending", pending_count=st["total_count"], success_count=0,
                          pendings=st.pop("successes", []))
                headers, body = without(headers, "X-Ctihub-Signature"), json.dumps(st).encode()
            return status, headers, body

        proxy.on_response = pending
        r = a.sync(ok=False)["b"]
        self.assertIn("error", r)
        self.assertIn("pending", r["error"])
        self.assertIn("sent again", a.peers_state()["b"]["last_error"])
        self.assertTrue(any(m == "GET" and "/status/" in p for m, p, _ in proxy.log))
        first = b.count("inbox")
        self.assertEqual(first, 200)  # b stored the batch; a does not know it yet
        proxy.on_response = None
        r = a.sync()["b"]
        released = self.check_a_to_b(a, b, "inbox")
        self.assertEqual(r["pushed"], len(released))  # the first batch again, then the rest
        self.assertEqual(r["pushed_accepted"], len(released))
        self.assertEqual(a.peers_state()["b"]["last_error"], "")

    def test_sync_exits_1_when_objects_are_rejected(self):
        a, b = self.pair(a_data=False)
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a")
        mine = indicator("exit", "conflict", [TLP2["green"]])
        a.import_objects("feeds", [mine, indicator("exit", "fine", [TLP2["green"]])])
        # b already holds another text under the same (id, modified): it rejects a's.
        b.import_objects("from-a", [dict(mine, description="b's own")])
        a.start()
        r = b.ctihub("sync", "--json", check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        report = {e["peer"]: e for e in json.loads(r.stdout)}["a"]
        self.assertNotIn("error", report)
        self.assertEqual((report["pulled_new"], report["pulled_rejected"]), (1, 1))

    # --- 3. new versions and revocations --------------------------------------------------------

    def test_new_versions_and_revocations_propagate(self):
        a, b = self.pair()
        a.peer(b, "push", push_from=["feeds"], push_to="inbox")
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a")
        a.start()
        b.start()
        a.sync()
        b.sync()
        released = [json.loads(t) for t in a.released_to(b)]
        indicators = [o for o in released if o["type"] == "indicator" and not o.get("revoked")
                      and o.get("object_marking_refs") == [TLP2["green"]]]
        updated = dict(indicators[0], modified="2025-06-01T00:00:00.000Z",
                       name="NEW-VERSION-TOKEN")
        revoked = dict(indicators[1], modified="2025-06-02T00:00:00.000Z", revoked=True)
        a.import_objects("feeds", [updated, revoked])
        r_push = a.sync()["b"]
        # a's server releases them once its index of observables has read them (victims.pending).
        deadline = time.time() + 15
        while b"NEW-VERSION-TOKEN" not in b"".join(a.released_to(b)) and time.time() < deadline:
            time.sleep(0.5)
        r_pull = b.sync()["a"]
        self.assertEqual(r_push["pushed"], 2)
        self.assertEqual((r_pull["pulled_new"], r_pull["pulled_new_versions"]), (0, 2))
        for collection in ("from-a", "inbox"):
            self.check_a_to_b(a, b, collection)
            for new in (updated, revoked):
                path = f"/api/collections/{collection}/objects/{new['id']}/"
                status, _, data = request(b.port, "GET", path, "admin", b.passwords["admin"])
                latest = json.loads(envelope(data)[0][0])
                self.assertEqual((status, latest["modified"]), (200, new["modified"]))
            status, _, data = request(b.port, "GET", f"/api/collections/{collection}/objects/"
                                      f"{revoked['id']}/versions/", "admin", b.passwords["admin"])
            self.assertEqual(len(json.loads(data)["versions"]), 2)
        self.assertTrue(json.loads(request(
            b.port, "GET", f"/api/collections/inbox/objects/{revoked['id']}/", "admin",
            b.passwords["admin"])[2])["objects"][0]["revoked"])

    def test_deletions_reach_the_peer_only_for_what_it_received(self):
        a, b = self.pair()
        # b's agreement with a covers only b's feeds: b's inbox is write-only for a, which may
        # delete there only what a itself sent.
        proxy = Proxy(b.port)
        self.addCleanup(proxy.close)
        a.peer(b, "push", push_from=["feeds"], push_to="inbox")["url"] = proxy.url
        a.start()
        b.start()
        a.sync()
        released = [json.loads(t) for t in a.released_to(b)]
        gone = next(o for o in released if o["type"] == "indicator"
                    and not o["name"].startswith("ALLOWED"))
        never = indicator("a", "FORBIDDEN-RED", [])  # a never released it to b
        # b's own version of the deleted object stays: a may delete only what came from a.
        own = dict(gone, modified="2030-01-01T00:00:00.000Z", name="B-OWN-VERSION")
        b.import_objects("inbox", [own])
        for doomed in (gone, never):
            status, _, data = request(a.port, "DELETE", f"/api/collections/feeds/objects/"
                                      f"{doomed['id']}/", "admin", a.passwords["admin"])
            self.assertEqual(status, 200, data)
        proxy.log.clear()
        r = a.sync()["b"]
        self.assertEqual((r["deletions_sent"], r["deletions_absent"], r["deletions_refused"]),
                         (1, 0, 0), r)
        deletes = [path for method, path, _ in proxy.log if method == "DELETE"]
        self.assertEqual(len(deletes), 1, proxy.log)
        self.assertIn(gone["id"], deletes[0])
        self.assertFalse([e for e in proxy.log if never["id"] in e[1]],
                         "b was told about an object it never received")
        held = [json.loads(t) for t in b.objects("inbox")]
        self.assertEqual([o["name"] for o in held if o["id"] == gone["id"]], ["B-OWN-VERSION"])
        self.assertSameTexts([t for t in b.objects("inbox") if json.loads(t)["id"] != gone["id"]],
                             a.released_to(b), "a → b after the deletion")
        proxy.log.clear()
        again = a.sync()["b"]
        self.assertEqual(again["deletions_sent"] + again["deletions_absent"], 0, again)
        self.assertFalse([e for e in proxy.log if e[0] == "DELETE"])

    def test_a_puller_learns_of_deletions_of_what_it_read(self):
        a, b = self.pair()
        a.peer(b, "none")  # declared here: b is told which of what it reads a deletes
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a")
        a.start()
        b.start()
        b.sync()
        gone = next(o for o in map(json.loads, a.released_to(b)) if o["type"] == "indicator"
                    and not o["name"].startswith("ALLOWED"))
        for doomed in (gone["id"], indicator("a", "FORBIDDEN-RED", [])["id"]):
            status, _, data = request(a.port, "DELETE", f"/api/collections/feeds/objects/"
                                      f"{doomed}/", "admin", a.passwords["admin"])
            self.assertEqual(status, 200, data)
        r = b.sync()["a"]
        self.assertEqual(r["pulled_deletions"], 1, r)
        self.assertNotIn(gone["id"], {json.loads(t)["id"] for t in b.objects("from-a")})
        self.check_a_to_b(a, b, "from-a")
        self.assertEqual(b.sync()["a"]["pulled_deletions"], 0)

    # --- the schedule of `ctihub serve` ---------------------------------------------------------

    def test_serve_runs_rounds_on_its_own_schedule(self):
        a, b = self.pair()
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a", interval_seconds=2)
        a.start()
        b.start(first_sync_after=1)
        released = a.released_to(b)
        self.wait_for(lambda: b.count("from-a") == len(released), "the first scheduled round")
        extra = indicator("a", "SCHEDULED-LATER", [TLP2["green"]])
        a.import_objects("feeds", [extra])
        self.wait_for(lambda: b.count("from-a") == len(released) + 1, "a later scheduled round")
        self.check_a_to_b(a, b, "from-a")
        state = b.peers_state()["a"]
        self.assertTrue(state["last_success"])
        self.assertEqual(state["last_error"], "")

    def wait_for(self, condition, what, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if condition():
                return
            time.sleep(0.2)
        self.fail(f"{what} did not happen within {seconds} s")


# --- 2. a chain of three ------------------------------------------------------------------------

class Chain(Federation):
    """a ↔ b ↔ c on one collection `shared` at each node: b pulls from a and pushes to a, b and
    c push to each other. Every object is first stored at one node (its own); it must reach the
    others along the chain, never come back, and be stored once."""

    def test_chain_converges_without_echo_or_duplicates(self):
        a, b, c = self.node("a"), self.node("b"), self.node("c")
        for n in (a, b, c):
            n.collections = ["shared"]
        both = (("shared", "read-write"),)
        a.partner(b, grants=both, collections=["shared"], tlp="amber")
        b.partner(a, grants=both, collections=["shared"], tlp="amber")
        b.partner(c, grants=both, collections=["shared"], tlp="green")
        c.partner(b, grants=both, collections=["shared"], tlp="amber", share_sightings=False)
        a.peer(b, "none")
        b.peer(a, "both", pull_from="shared", pull_into="shared", push_from=["shared"],
               push_to="shared", page_size=150, push_batch=150)
        b.peer(c, "push", push_from=["shared"], push_to="shared", push_batch=150)
        c.peer(b, "push", push_from=["shared"], push_to="shared", push_batch=150)
        # Each node's own objects; an id generated at two nodes is kept only at the first.
        own = {}
        own["a"] = a.generate("shared", seed=21, count=800)
        own["b"] = b.generate("shared", seed=22, count=800, exclude_ids=own["a"])
        own["c"] = c.generate("shared", seed=23, count=800, exclude_ids=own["a"] | own["b"])
        self.assertGreater(min(len(ids) for ids in own.values()), 500)
        for n in (a, b, c):
            n.start()
        totals = collections.Counter()
        for rounds in range(1, 7):
            reports = {"b": b.sync(), "c": c.sync()}
            for node, by_peer in reports.items():
                for peer, r in by_peer.items():
                    totals[node, peer, "pulled"] += r["pulled_new"] + r["pulled_new_versions"]
                    totals[node, peer, "pushed"] += r["pushed"]
                    # A page never carries what the puller already holds (its own objects).
                    self.assertEqual(r["pulled_duplicates"], 0, (rounds, node, peer))
                    self.assertEqual((r["pulled_rejected"], r["pushed_refused"]), (0, 0))
            if not any(moved(r) for by_peer in reports.values() for r in by_peer.values()):
                break
        self.assertLessEqual(rounds, 4, "the chain did not converge")
        final = {"b": b.sync(), "c": c.sync()}
        for node, by_peer in final.items():
            for peer, r in by_peer.items():
                self.assertEqual((r["pulled"], r["pushed"]), (0, 0), (node, peer, r))

        nodes = {"a": a, "b": b, "c": c}
        links = [("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")]
        released = {(x, y): nodes[x].released_to(nodes[y], "shared") for x, y in links}
        for (x, y), texts in released.items():
            self.assertTrue(texts, (x, y))
            ids = {key_of(t)[0] for t in texts}
            # Never back to where it was first stored, nor to the peer it came from.
            self.assertFalse(ids & own[y], f"{x} releases {y}'s own objects back to {y}")
            came_from_y = {i for i, _, origin in nodes[x].rows("shared") if origin == y}
            self.assertFalse(ids & came_from_y, f"{x} releases to {y} what came from {y}")
        # Each version moved once per link, no more: the totals of all rounds are the releases.
        self.assertEqual(totals["b", "a", "pulled"], len(released["a", "b"]))
        self.assertEqual(totals["b", "a", "pushed"], len(released["b", "a"]))
        self.assertEqual(totals["b", "c", "pushed"], len(released["b", "c"]))
        self.assertEqual(totals["c", "b", "pushed"], len(released["c", "b"]))
        for y, node in nodes.items():
            stored = node.objects("shared")
            received = [t for t in stored if key_of(t)[0] not in own[y]]
            expected = [t for (x, to), texts in released.items() if to == y for t in texts]
            self.assertSameTexts(received, expected, f"what {y} received")
            self.assertEqual(len(stored), len({key_of(t) for t in stored}), f"{y}: duplicates")
            # Every version records the neighbour it came from (origin), or none for its own.
            via = {"a": {"b": "b", "c": "b"}, "b": {"a": "a", "c": "c"},
                   "c": {"a": "b", "b": "b"}}[y]
            for i, version, origin in node.rows("shared"):
                first = next(n for n in own if i in own[n])
                self.assertEqual(origin, None if first == y else via[first], (y, i, version))
        # What moved along two hops: a's objects at c, c's at a.
        at_c = {key_of(t)[0] for t in c.objects("shared")}
        at_a = {key_of(t)[0] for t in a.objects("shared")}
        self.assertTrue(at_c & own["a"] and at_a & own["c"])
        for n in (a, b, c):
            self.assertIn("ok", run("store", "check", "--store", n.store).stdout)


# --- 4. crashes ----------------------------------------------------------------------------------

class Crashes(Federation):
    """SIGKILL in the middle of a round — of the serving node, of the receiving node, of the
    `ctihub sync` client — then a restart and further rounds: every released version is on the
    other side exactly once, and both stores check out."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="ctihub-federation-crash-")
        cls.nodes = []
        cls.addClassCleanup(cls.stop_all)
        a, b, c = (Node(cls.root, n) for n in "abc")
        cls.nodes = [a, b, c]
        for n in (b, c):
            a.partner(n, collections=["feeds"], tlp="amber")
        a.generate("feeds", seed=31, count=BIG)
        a.peer(b, "push", push_from=["feeds"], push_to="inbox", push_batch=100)
        a.peer(c, "push", push_from=["feeds"], push_to="inbox", push_batch=100)
        for n in (b, c):
            n.partner(a, grants=(("inbox", "write"),))
            n.peer(a, "pull", pull_from="feeds", pull_into="from-a", page_size=100)
        for n in (a, b, c):
            n.start()
        cls.a, cls.b, cls.c = a, b, c
        cls.released = {}

    @classmethod
    def stop_all(cls):
        for n in cls.nodes:
            if n.proc:
                n.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):  # the nodes are the class's; one a test killed is started again
        for n in self.nodes:
            if n.proc is None:
                n.start()

    def release(self, to):
        if to.name not in self.released:
            self.released[to.name] = self.a.released_to(to)
        return self.released[to.name]

    def sync_killed_when(self, syncing, peer, watched, collection, victim=None, at=1500):
        """Starts `ctihub sync PEER` at `syncing` and, once `watched` holds `at` versions in
        `collection`, SIGKILLs `victim` (a node) or, without one, the sync process itself.
        Returns the sync's exit code and output."""
        syncing.write_config()
        proc = subprocess.Popen([CTIHUB, "sync", "--json", peer, "--config", syncing.config,
                                 "--store", syncing.store], cwd=syncing.dir,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while watched.count(collection) < at and proc.poll() is None:
            time.sleep(0.01)
        self.assertIsNone(proc.poll(), "the round ended before the kill: use more objects")
        if victim:
            victim.kill()
        else:
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
        return proc.returncode, out + err

    def settle(self, node, peer, collection, receiver):
        """Rounds until one moves nothing; then the receiver holds exactly the release."""
        for _ in range(4):
            if moved(node.sync(peer)[peer]) == 0:
                break
        else:
            self.fail("rounds kept moving objects")
        released = self.release(receiver)
        self.assertGreater(len(released), BIG // 3)
        self.assertSameTexts(receiver.objects(collection), released,
                             f"{receiver.name}'s {collection}")
        for n in self.nodes:
            r = run("store", "check", "--store", n.store, check=False)
            self.assertEqual(r.returncode, 0, f"{n.name}: {r.stdout}{r.stderr}")

    def test_serving_node_killed_mid_pull(self):
        code, out = self.sync_killed_when(self.b, "a", self.b, "from-a", victim=self.a)
        self.assertEqual(code, 1, out)
        self.assertIn('"error"', out)
        state = self.b.peers_state()["a"]
        self.assertTrue(state["last_error"])
        self.assertEqual(state["consecutive_failures"], 1)
        self.a.start()
        self.settle(self.b, "a", "from-a", self.b)

    def test_sync_client_killed_mid_pull(self):
        code, _ = self.sync_killed_when(self.c, "a", self.c, "from-a")
        self.assertEqual(code, -signal.SIGKILL)
        self.settle(self.c, "a", "from-a", self.c)

    def test_sync_client_killed_mid_push(self):
        code, _ = self.sync_killed_when(self.a, "b", self.b, "inbox")
        self.assertEqual(code, -signal.SIGKILL)
        self.settle(self.a, "b", "inbox", self.b)

    def test_receiving_node_killed_mid_push(self):
        code, out = self.sync_killed_when(self.a, "c", self.c, "inbox", victim=self.c)
        self.assertEqual(code, 1, out)
        self.c.start()
        self.settle(self.a, "c", "inbox", self.c)


# --- 5. signatures -------------------------------------------------------------------------------

class Signatures(Federation):
    """Whatever a node accepts from a peer requiring signatures is signed by a key it trusts for
    that peer, over the exact bytes received: pushes and pulled pages otherwise are refused
    before anything of them is stored."""

    def setUp(self):
        super().setUp()
        self.a, self.b = self.node("a"), self.node("b")
        self.a.partner(self.b, collections=["feeds"], tlp="amber")
        self.b.partner(self.a, collections=["feeds"], tlp="amber")
        self.a.generate("feeds", seed=41, count=400)
        other = os.path.join(self.root, "other.key")
        self.wrong = re.search(r"public key:\s*(\S+)",
                               run("node-key", "generate", "-o", other).stdout).group(1)

    def assertRefused(self, report, *words):
        self.assertIn("error", report, report)
        for w in words:
            self.assertIn(w, report["error"])

    def test_receiver_trusting_another_key_refuses_pushes(self):
        a, b = self.a, self.b
        b.peer(a, "none", trusted_keys=[self.wrong], require_signatures=True)
        a.peer(b, "push", push_from=["feeds"], push_to="inbox")
        a.start()
        b.start()
        r = a.sync(ok=False)["b"]
        self.assertRefused(r, "401", "Signature refused", "is not trusted")
        self.assertEqual(b.count("inbox"), 0)
        self.assertEqual(a.peers_state()["b"]["consecutive_failures"], 1)
        # The right key: the same push goes through, and nothing was half-stored before.
        b.peer(a, "none")
        b.restart()  # stopping flushes the audit log, which recorded the refusal
        refusals = [e for e in map(json.loads, run("audit", "list", "--store", b.store,
                                                   "--format", "jsonl").stdout.splitlines())
                    if e["outcome"] == "refused"]
        self.assertTrue(refusals)
        self.assertIn("is not trusted", json.dumps(refusals))
        r = a.sync()["b"]
        self.assertSameTexts(b.objects("inbox"), a.released_to(b), "a → b after the fix")
        self.assertEqual(r["pushed_accepted"], b.count("inbox"))

    def test_unsigned_sender_is_refused_when_signatures_are_required(self):
        a, b = self.a, self.b
        a.signing = False  # no [signing] key_file: pushes and responses go unsigned
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a")
        a.peer(b, "push", push_from=["feeds"], push_to="inbox")
        a.start()
        b.start()
        self.assertRefused(a.sync(ok=False)["b"], "401", "must be signed")
        self.assertEqual(b.count("inbox"), 0)
        self.assertRefused(b.sync(ok=False)["a"], "unsigned")
        self.assertEqual(b.count("from-a"), 0)
        # Signatures not required (a trusted key but require_signatures = false): accepted.
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a", require_signatures=False)
        b.sync()
        self.assertSameTexts(b.objects("from-a"), a.released_to(b), "unsigned, not required")

    def test_puller_trusting_another_key_refuses_pages(self):
        a, b = self.a, self.b
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a", page_size=50)
        a.start()
        b.start()
        b.sync()
        before = b.count("from-a")
        self.assertGreater(before, 100)
        a.import_objects("feeds", [indicator("a", f"LATER-{n}", [TLP2["green"]])
                                   for n in range(20)])
        # The remote collection is known from the first round: it is the page that is refused.
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a", page_size=50,
               trusted_keys=[self.wrong])
        self.assertRefused(b.sync(ok=False)["a"], "signature refused")
        self.assertEqual(b.count("from-a"), before)
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a", page_size=50)
        self.assertEqual(b.sync()["a"]["pulled_new"], 20)
        self.assertSameTexts(b.objects("from-a"), a.released_to(b), "a → b after the fix")

    def test_a_trusted_key_file_is_found_beside_the_config(self):
        a, b = self.a, self.b
        pem = subprocess.run(["openssl", "pkey", "-in", a.key_file, "-pubout"], check=True,
                             capture_output=True, text=True).stdout
        with open(os.path.join(b.dir, "a.pub"), "w") as f:
            f.write(pem)
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a", trusted_keys=["a.pub"])
        b.write_config()
        a.start()
        # Run from elsewhere: relative paths in a config are relative to the config.
        r = run("sync", "--json", "--config", b.config, "--store", b.store, cwd=self.root,
                check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertGreater(json.loads(r.stdout)[0]["pulled_new"], 100)

    def test_tampered_or_stripped_signatures_are_refused(self):
        a, b = self.a, self.b
        proxy_to_a, proxy_to_b = Proxy(a.port), Proxy(b.port)
        self.addCleanup(proxy_to_a.close)
        self.addCleanup(proxy_to_b.close)
        b.peer(a, "pull", pull_from="feeds", pull_into="from-a", url=proxy_to_a.url)
        a.peer(b, "push", push_from=["feeds"], push_to="inbox", url=proxy_to_b.url)
        a.start()
        b.start()

        def objects_page(tamper):
            def hook(method, path, status, headers, body):
                if "/objects/" in path and status == 200:
                    headers, body = tamper(headers, body)
                return status, headers, body
            return hook

        def upload(tamper):
            def hook(method, path, headers, body):
                return tamper(headers, body) if method == "POST" else (headers, body)
            return hook

        changed = lambda h, body: (h, flip_first(body, rb'"id":\s*"[a-z-]+--'))
        stripped = lambda h, body: (without(h, "X-Ctihub-Signature"), body)
        for hook, words in ((changed, ["signature refused"]), (stripped, ["unsigned"])):
            proxy_to_a.on_response = objects_page(hook)
            self.assertRefused(b.sync(ok=False)["a"], *words)
            self.assertEqual(b.count("from-a"), 0)
        for hook, words in ((changed, ["401"]), (stripped, ["401", "must be signed"])):
            proxy_to_b.on_request = upload(hook)
            self.assertRefused(a.sync(ok=False)["b"], *words)
            self.assertEqual(b.count("inbox"), 0)
        # Untouched, through the same proxies: accepted.
        proxy_to_a.on_response = proxy_to_b.on_request = None
        b.sync()
        a.sync()
        self.assertSameTexts(b.objects("from-a"), a.released_to(b), "pulled")
        self.assertSameTexts(b.objects("inbox"), a.released_to(b), "pushed")


# --- 6. transfer files ---------------------------------------------------------------------------

class TransferFiles(Federation):
    """One-way files a → b: what the agreement releases, every version, signed and sequenced;
    anything damaged, replayed, out of order, misaddressed or unsigned is refused whole."""

    def setUp(self):
        super().setUp()
        a, b, c = self.node("a"), self.node("b"), self.node("c")
        a.profiles.append({"name": "partners", "internal_addresses": True, "defang": True})
        a.partner(b, **TwoNodes.GREEN_AGREEMENT)
        a.partner(c, collections=["feeds"], tlp="amber")
        a.peer(b, "none")  # reached by transfer files only: no url
        a.peer(c, "none")
        b.peer(a, "none")
        c.peer(a, "none")
        a.generate("feeds", seed=51, count=600)
        objs, self.forbidden = adversarial("a")
        a.import_objects("feeds", objs)
        for n in (a, b, c):
            n.start()
        self.a, self.b, self.c = a, b, c
        self.batch = 0

    def more_objects(self, n=5):
        """New GREEN objects at a, so that the next file is not empty."""
        self.batch += 1
        self.a.import_objects("feeds", [indicator("a", f"BATCH-{self.batch}-{i}",
                                                  [TLP2["green"]]) for i in range(n)])

    def export(self, to, name):
        path = os.path.join(self.root, name)
        out = self.a.ctihub("transfer", "export", "--to", to.name, "-o", path).stdout
        self.assertIn("signed by key", out)
        return path

    def import_file(self, node, path, *flags):
        return node.ctihub("transfer", "import", path, *flags, check=False)

    def held(self, node):
        """What `node` holds from a (over TAXII), and the last transfer it imported from a."""
        return (sorted(node.objects("from-a", missing_ok=True)),
                node.peers_state()["a"]["transfer_received"])

    def assertImportRefused(self, node, path, *words, flags=()):
        before = self.held(node)
        r = self.import_file(node, path, *flags)
        self.assertNotEqual(r.returncode, 0, f"{path} was imported: {r.stdout}")
        # Refused is an answer (1); only a file that cannot be read or named is 2.
        self.assertEqual(r.returncode, 2 if "not a ctihub transfer file" in r.stderr else 1,
                         r.stderr)
        for w in words + ("nothing imported",):
            self.assertIn(w, r.stderr, path)
        self.assertEqual(self.held(node), before, f"{path}: something was imported")

    def assertImported(self, node, path, sequence, *flags):
        r = self.import_file(node, path, *flags)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"imported transfer #{sequence} from a", r.stdout)
        self.assertEqual(node.peers_state()["a"]["transfer_received"], sequence)

    def variant(self, path, name, edit):
        with open(path, "rb") as f:
            data = f.read()
        out = os.path.join(self.root, name)
        with open(out, "wb") as f:
            f.write(edit(data))
        return out

    def test_a_file_carries_exactly_what_the_agreement_releases(self):
        a, b = self.a, self.b
        path = self.export(b, "a-to-b-1.ctx")
        self.assertImported(b, path, 1)
        received = b.objects("from-a")
        self.assertSameTexts(received, a.released_to(b), "transfer a → b")
        self.assertWithinAgreement(received, self.forbidden, GREEN_OR_BELOW, False, "transfer")
        self.assertEqual(a.peers_state()["b"]["transfer_sent"], 1)
        # The next file holds only what is new since, and together they still equal the release.
        self.more_objects()
        path = self.export(b, "a-to-b-2.ctx")
        self.assertImported(b, path, 2)
        received = b.objects("from-a")
        self.assertSameTexts(received, a.released_to(b, settled_to=received), "after file 2")

    def test_a_file_since_a_time_leaves_what_it_skipped_to_the_next_file(self):
        """`--since` later than where the last file stopped skips what lies between: the next
        file without it still carries that (found in review: it was lost for good)."""
        a, b = self.a, self.b
        self.assertImported(b, self.export(b, "a-to-b-1.ctx"), 1)
        self.more_objects()  # BATCH-1: after file 1, before the --since time
        time.sleep(0.05)
        now = time.time()
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + \
            ".%06dZ" % int((now % 1) * 1e6)
        time.sleep(0.05)
        self.more_objects()  # BATCH-2
        path = os.path.join(self.root, "a-to-b-since.ctx")
        a.ctihub("transfer", "export", "--to", "b", "--since", since, "-o", path)
        self.assertImported(b, path, 2)
        names = [json.loads(o).get("name", "") for o in b.objects("from-a")]
        self.assertTrue(any(n.startswith("BATCH-2") for n in names))
        self.assertFalse(any(n.startswith("BATCH-1") for n in names))
        self.assertImported(b, self.export(b, "a-to-b-3.ctx"), 3)
        received = b.objects("from-a")
        self.assertSameTexts(received, a.released_to(b, settled_to=received),
                             "after the file since a time")

    def test_exports_started_at_once_take_one_sequence_number_each(self):
        """Two `transfer export` to one peer at the same moment: each file its own number
        (found in review: both took the next one, and the receiver refused the second)."""
        a = self.a
        a.write_config()
        paths = [os.path.join(self.root, f"at-once-{i}.ctx") for i in range(3)]
        procs = [subprocess.Popen([CTIHUB, "transfer", "export", "--to", "b", "-o", path,
                                   "--config", a.config, "--store", a.store], cwd=a.dir,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for path in paths]
        for p in procs:
            out, err = p.communicate(timeout=300)
            self.assertEqual(p.returncode, 0, out + err)
        sequences = []
        for path in paths:
            with open(path, "rb") as f:
                sequences.append(json.loads(f.readline())["sequence"])
        sequences.sort()
        self.assertEqual(sequences, [1, 2, 3])
        self.assertEqual(a.peers_state()["b"]["transfer_sent"], 3)

    def delete_at_a(self, *ids):
        for object_id in ids:
            status, _, data = request(self.a.port, "DELETE", f"/api/collections/feeds/objects/"
                                      f"{object_id}/", "admin", self.a.passwords["admin"])
            self.assertEqual(status, 200, data)

    def a_green_indicator_b_received(self):
        return next(o["id"] for o in map(json.loads, self.a.released_to(self.b))
                    if o["type"] == "indicator" and not o["name"].startswith("ALLOWED"))

    @staticmethod
    def manifest_of(path):
        with open(path, "rb") as f:
            data = f.read()
        return data, json.loads(data.rstrip(b"\n").rsplit(b"\n", 1)[-1])["manifest"]

    def test_deletions_travel_only_to_who_received_the_object(self):
        a, b, c = self.a, self.b, self.c
        self.assertImported(b, self.export(b, "a-to-b-1.ctx"), 1)
        gone = self.a_green_indicator_b_received()
        amber = indicator("a", "FORBIDDEN-AMBER", [])["id"]  # never released to b (GREEN)
        self.delete_at_a(gone, amber)
        path = self.export(b, "a-to-b-2.ctx")
        data, manifest = self.manifest_of(path)
        self.assertEqual(manifest["deletions"], [gone])
        self.assertNotIn(amber.encode(), data)
        r = self.import_file(b, path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("deletions: 1 listed, 1 objects deleted", r.stdout)
        self.assertNotIn(gone, {json.loads(t)["id"] for t in b.objects("from-a")})
        self.assertSameTexts(b.objects("from-a"), a.released_to(b), "b after the deletion")
        # c never received either: its first file names neither.
        self.assertNotIn("deletions", self.manifest_of(self.export(c, "a-to-c-1.ctx"))[1])
        # Told once.
        self.more_objects()
        self.assertNotIn("deletions", self.manifest_of(self.export(b, "a-to-b-3.ctx"))[1])

    def test_a_receiver_whose_agreement_keeps_what_it_received_ignores_deletions(self):
        a, b = self.a, self.b
        b.partner(a, grants=(), collections=["feeds"], accept_deletions=False)
        self.assertImported(b, self.export(b, "a-to-b-1.ctx"), 1)
        gone = self.a_green_indicator_b_received()
        self.delete_at_a(gone)
        r = self.import_file(b, self.export(b, "a-to-b-2.ctx"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("none applied (the agreement with a has accept_deletions = false)", r.stdout)
        self.assertIn(gone, {json.loads(t)["id"] for t in b.objects("from-a")})

    # docs/federation.md: the lines between the header and the manifest are a plain STIX 2.1
    # bundle that `ctihub validate` accepts; on the whole file it reports just those two lines.
    def test_a_leftover_partial_file_says_whether_to_deliver_or_remove_it(self):
        # An export that crashed after recording #1 but before renaming it leaves #1 as
        # .partial: the next export to that name says to deliver it, not to remove it.
        first = self.export(self.b, "a-to-b-1.ctx")
        target = os.path.join(self.root, "a-to-b-2.ctx")
        shutil.copyfile(first, target + ".partial")
        r = self.a.ctihub("transfer", "export", "--to", "b", "-o", target, check=False)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("recorded as sent: deliver it", r.stderr)
        # One that was never recorded (#2, unfinished): remove it, it is written again.
        with open(target + ".partial", "wb") as f:
            with open(first, "rb") as src:
                header = json.loads(src.readline())
            header["sequence"] = 2
            f.write(json.dumps(header).encode() + b"\n")
        r = self.a.ctihub("transfer", "export", "--to", "b", "-o", target, check=False)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("never recorded as sent", r.stderr)
        os.remove(target + ".partial")
        self.more_objects()
        self.assertEqual(self.import_file(self.b, first).returncode, 0)
        self.assertEqual(self.import_file(self.b, self.export(self.b, "a-to-b-2.ctx")).returncode, 0)

    def test_the_middle_of_a_transfer_file_is_a_valid_stix_bundle(self):
        path = self.export(self.b, "a-to-b-1.ctx")
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        bundle = os.path.join(self.root, "bundle.json")
        with open(bundle, "wb") as f:
            f.write(b"\n".join(lines[1:-2]) + b"\n")
        r = run("validate", bundle, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        whole = run("validate", path, check=False)
        self.assertEqual(whole.returncode, 1, whole.stdout)
        self.assertIn("2 errors", whole.stdout + whole.stderr)

    def test_damaged_replayed_and_unsigned_files_are_refused(self):
        b = self.b
        self.assertImported(b, self.export(b, "a-to-b-1.ctx"), 1)
        self.more_objects()
        good = self.export(b, "a-to-b-2.ctx")
        with open(good, "rb") as f:
            data = f.read()
        # A header line, the bundle (one object a line), the signed manifest line.
        header, rest = data.split(b"\n", 1)
        body, manifest, end = rest.rstrip(b"\n").rpartition(b"\n")[0], \
            rest.rstrip(b"\n").rpartition(b"\n")[2], data[len(data.rstrip(b"\n")):]
        self.assertTrue(body.startswith(b'{"type":"bundle"'), body[:40])
        self.assertTrue(manifest.startswith(b'{"manifest":'), manifest[:40])

        def body_flipped(data):
            start = len(header) + 1
            return data[:start] + flip_first(data[start:], rb'"id":\s*"indicator--')

        def signed_manifest(edit):
            def apply(data):
                m = json.loads(manifest)
                edit(m)
                text = json.dumps(m, separators=(",", ":")).encode()  # as written
                return header + b"\n" + body + b"\n" + text + end
            return apply

        cases = [
            ("flipped.ctx", body_flipped, ["does not match the signed manifest"]),
            ("header.ctx", lambda d: d.replace(b'"sequence":2', b'"sequence":3', 1),
             ["does not match the signed manifest"]),
            ("truncated.ctx", lambda d: d[:len(d) // 2], ["truncated"]),
            ("no-manifest.ctx", lambda d: d[:len(header) + len(body) + 2], ["truncated"]),
            ("appended.ctx", lambda d: d + d[len(header) + 1:], ["bytes were added"]),
            ("unsigned.ctx", signed_manifest(lambda m: m.pop("signature")), ["no signature"]),
            ("blank.ctx", signed_manifest(lambda m: m.update(signature="")),
             ["manifest signature", "malformed"]),
            ("forged-count.ctx", signed_manifest(
                lambda m: m["manifest"].update(objects=m["manifest"]["objects"] + 1)),
             ["manifest signature"]),
        ]
        for name, edit, words in cases:
            self.assertImportRefused(b, self.variant(good, name, edit), *words)
        self.assertImported(b, good, 2)
        self.assertImportRefused(b, good, "a replay")
        self.assertSameTexts(b.objects("from-a"), self.a.released_to(b), "after the refusals")

    def test_out_of_order_files_are_refused_until_the_gap_is_filled_or_accepted(self):
        b, c = self.b, self.c
        files = []
        for n in range(1, 4):
            files.append(self.export(b, f"a-to-b-{n}.ctx"))
            self.more_objects()
        self.assertImported(b, files[0], 1)
        self.assertImportRefused(b, files[2], "transfer 2 is missing")
        self.assertImported(b, files[1], 2)
        self.assertImported(b, files[2], 3)
        self.assertImportRefused(b, files[1], "a replay or an out-of-order file")
        self.assertSameTexts(b.objects("from-a"),
                             [t for t in self.a.released_to(b)
                              if b"BATCH-3-" not in t], "files 1 to 3")
        # c never receives file 1: it refuses file 2 until told that 1 is lost.
        to_c = [self.export(c, "a-to-c-1.ctx")]
        self.more_objects()
        to_c.append(self.export(c, "a-to-c-2.ctx"))
        self.assertImportRefused(c, to_c[1], "transfer 1 is missing", "import this one with --accept-gap")
        self.assertImported(c, to_c[1], 2, "--accept-gap")
        self.assertTrue(c.objects("from-a"))
        self.assertImportRefused(c, to_c[0], "a replay or an out-of-order file")

    def test_export_without_a_signing_key_says_how_to_make_one(self):
        self.a.signing = False
        path = os.path.join(self.root, "unsigned.ctx")
        r = self.a.ctihub("transfer", "export", "--to", "b", "-o", path, check=False)
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("has no signing key", r.stderr)
        # The command it names exists (`ctihub key` manages API keys).
        hint = re.search(r"`(ctihub [^`]+)`", r.stderr).group(1).split()
        out = os.path.join(self.root, "made.key")
        made = run(*[out if w == "node.key" else w for w in hint[1:]], check=False)
        self.assertEqual(made.returncode, 0, f"{' '.join(hint)}: {made.stderr}")
        self.assertFalse(os.path.exists(path))

    def test_misaddressed_and_foreign_files_are_refused(self):
        b, c = self.b, self.c
        self.assertImportRefused(b, self.export(c, "a-to-c-1.ctx"), "addressed to 'c'")
        # Another node calling itself "a", with its own key: b trusts only a's.
        mallory = Node(os.path.join(self.root, "elsewhere"), "a")
        mallory.partner(b, collections=["feeds"], tlp="clear")
        mallory.peer(b, "none")
        mallory.import_objects("feeds", [indicator("m", "FORBIDDEN-FORGED", [TLP2["clear"]])])
        forged = os.path.join(self.root, "forged.ctx")
        mallory.ctihub("transfer", "export", "--to", "b", "-o", forged)
        self.assertImportRefused(b, forged, "manifest signature", "is not trusted")
        # A node that is not b's peer at all.
        c.partner(b, collections=["feeds"], tlp="clear")
        c.peer(b, "none")
        c.import_objects("feeds", [indicator("c", "FORBIDDEN-FROM-C", [TLP2["clear"]])])
        from_c = os.path.join(self.root, "c-to-b.ctx")
        c.ctihub("transfer", "export", "--to", "b", "-o", from_c)
        r = self.import_file(b, from_c)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not a peer of this node", r.stderr)
        # The file's own writer: the operator picked the wrong node, and is told so.
        r = self.import_file(c, from_c)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("the file was written by this node ('c')", r.stderr)
        self.assertEqual(b.objects("from-c", missing_ok=True), [])
        self.assertEqual(b.objects("from-a", missing_ok=True), [])


# --- 7. the OASIS reference TAXII server -----------------------------------------------------------

def medallion_compatible(o):
    # medallion v3.0.0 takes any top-level "version" property (malware-analysis, software,
    # x509-certificate) for a manifest version and then answers 500 to every GET of the
    # collection: such objects are left out.
    return "version" not in o


def canonical(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"))


class GrantsBound(Federation):
    """An agreement that names no collections covers what the partner's read grants allow, on
    every path: a collection it may not read over TAXII is in no transfer file and no push."""

    def setUp(self):
        super().setUp()
        a, b = self.node("a"), self.node("b")
        a.collections.append("internal")
        a.partner(b, grants=(("feeds", "read"),), tlp="green")  # no `collections`
        a.peer(b, "push", push_from=["internal"], push_to="inbox")
        b.partner(a, grants=(("inbox", "write"),))
        b.peer(a, "none")
        a.import_objects("feeds", [indicator("a", "ALLOWED-FEEDS", [TLP2["green"]])])
        a.import_objects("internal", [indicator("a", "FORBIDDEN-NO-GRANT", [TLP2["green"]])])
        a.start()
        b.start()
        self.a, self.b = a, b

    def test_a_transfer_file_holds_only_collections_the_partner_may_read(self):
        path = os.path.join(self.root, "a-to-b.ctx")
        out = self.a.ctihub("transfer", "export", "--to", "b", "-o", path).stdout
        self.assertIn("signed by key", out)
        with open(path, "rb") as f:
            data = f.read()
        self.assertIn(b"ALLOWED-FEEDS", data)
        self.assertNotIn(b"FORBIDDEN-NO-GRANT", data)
        r = self.a.ctihub("transfer", "export", "--to", "b", "--collection", "internal", "-o",
                          path + ".2", check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("no read grant on collection 'internal'", r.stderr)
        self.assertFalse(os.path.exists(path + ".2"))

    def test_a_push_of_a_collection_the_partner_may_not_read_sends_nothing(self):
        reports = self.a.sync(ok=False)
        self.assertIn("no read grant on collection 'internal'", reports["b"].get("error", ""),
                      reports)
        self.assertEqual(reports["b"].get("pushed", 0), 0)
        self.assertEqual(self.b.count("inbox"), 0)


@unittest.skipUnless(os.path.exists(os.path.join(MEDALLION, "medallion", "scripts", "run.py")),
                     f"no medallion v3.0.0 source at {MEDALLION} (set CTIHUB_MEDALLION_DIR)")
class Medallion(Federation):
    """ctihub against medallion v3.0.0 (memory backend): it pulls a medallion collection
    (medallion signs nothing: require_signatures = false) and pushes to one, following
    medallion's status resources to completion."""

    def setUp(self):
        super().setUp()
        self.med_port = free_port()
        self.med_password = base64.urlsafe_b64encode(os.urandom(12)).decode()
        self.source_id, self.sink_id = str(uuid.uuid4()), str(uuid.uuid4())
        self.med_dir = os.path.join(self.root, "medallion")
        os.makedirs(self.med_dir)
        self.preloaded = []
        self.proxy = Proxy(self.med_port)  # to see (and bend) what ctihub asks of medallion
        self.addCleanup(self.proxy.close)

    def start_medallion(self):
        """medallion with two collections, `source` (holding self.preloaded, each object with
        its own date_added, as bench/taxii_medallion.py loads it) and `sink`, both read-write."""
        root = f"http://127.0.0.1:{self.med_port}/api1/"
        base = time.time() - 3600
        manifest = []
        for i, o in enumerate(self.preloaded):
            added = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base)) + f".{i:06d}Z"
            version = o.get("modified", o.get("created"))
            if version is None:
                version = o["_date_added"] = added
            manifest.append({"id": o["id"], "date_added": added, "version": version,
                             "media_type": STIX})
        collection = lambda id_, title, objects, manifest: {
            "id": id_, "title": title, "description": title, "can_read": True,
            "can_write": True, "media_types": [STIX], "objects": objects, "manifest": manifest}
        data = {"/discovery": {"title": "medallion", "description": "federation test",
                               "contact": "none", "default": root, "api_roots": [root]},
                "api1": {"information": {"title": "api1", "description": "federation test",
                                         "versions": [TAXII], "max_content_length": 1 << 26},
                         "status": [],
                         "collections": [
                             collection(self.source_id, "source", self.preloaded, manifest),
                             collection(self.sink_id, "sink", [], [])]}}
        path = os.path.join(self.med_dir, "data.json")
        with open(path, "w") as f:
            json.dump(data, f)
        config = {"backend": {"module": "medallion.backends.memory_backend",
                              "module_class": "MemoryBackend", "filename": path,
                              "session_timeout": 600},
                  "users": {"ctihub": self.med_password}, "taxii": {"max_page_size": 1000}}
        with open(os.path.join(self.med_dir, "config.json"), "w") as f:
            json.dump(config, f)
        log = open(os.path.join(self.med_dir, "medallion.log"), "w")
        self.medallion = subprocess.Popen(
            [PY, "medallion/scripts/run.py", "--host", "127.0.0.1", "--port",
             str(self.med_port), os.path.join(self.med_dir, "config.json")],
            cwd=MEDALLION, env={**os.environ, "PYTHONPATH": "."}, stdout=log,
            stderr=subprocess.STDOUT)
        log.close()
        self.addCleanup(self.stop_medallion)
        deadline = time.time() + 30
        while True:
            try:
                if self.med("GET", "/taxii2/")[0] == 200:
                    break
            except OSError:
                pass
            self.assertIsNone(self.medallion.poll(), "medallion exited")
            self.assertLess(time.time(), deadline, "medallion did not start")
            time.sleep(0.1)

    def stop_medallion(self):
        self.medallion.terminate()
        self.medallion.wait(timeout=30)

    def med(self, method, path, body=None):
        return request(self.med_port, method, path, "ctihub", self.med_password, body=body)

    def med_post(self, collection, objects):
        status, _, data = self.med("POST", f"/api1/collections/{collection}/objects/",
                                   {"objects": objects})
        self.assertEqual(status, 202, data)
        st = json.loads(data)
        self.assertEqual((st["status"], st["failure_count"]), ("complete", 0), st)

    def med_all(self, collection):
        """Every version in a medallion collection, parsed (medallion re-serialises)."""
        return [json.loads(t) for t in all_versions(self.med_port, "api1", collection,
                                                    "ctihub", self.med_password, limit=100)]

    def node_with_medallion_peer(self, **settings):
        x = self.node("x")
        write_secret(x.secret("at-medallion.pw"), self.med_password)
        x.organisations.append("medallion")
        x.passwords["medallion-sync"] = write_secret(x.secret("medallion-sync.pw"))
        x.users.append({"name": "medallion-sync", "organisation": "medallion",
                        "password_file": x.secret("medallion-sync.pw")})
        x.grants.append({"collection": "feeds", "grantee": "org:medallion",
                         "permission": "read"})
        x.agreements.append({"partner": "medallion", "collections": ["feeds"], "tlp": "amber"})
        x.peers.append({"name": "medallion", "url": self.proxy.url, "api_root": "api1",
                        "username": "ctihub", "password_file": x.secret("at-medallion.pw"),
                        "require_signatures": False, "status_timeout_seconds": 60, **settings})
        return x

    def source_objects(self, seed, count):
        path = os.path.join(self.root, f"medallion-{seed}.jsonl")
        run("generate", "--seed", str(seed), "--objects", str(count), "--format", "jsonl",
            "-o", path)
        with open(path) as f:
            return [o for o in map(json.loads, f) if medallion_compatible(o)]

    def pull_node(self):
        x = self.node_with_medallion_peer(direction="pull", pull_from="source",
                                          pull_into="from-medallion", page_size=40)
        x.start()
        return x

    def assertPulledAll(self, x, objects, report):
        received = [json.loads(t) for t in x.objects("from-medallion")]
        self.assertEqual(len(received), len(objects))
        self.assertEqual(sorted(map(canonical, received)), sorted(map(canonical, objects)))
        self.assertEqual(report["pulled_new"] + report["pulled_new_versions"], len(objects))
        self.assertEqual(report["pulled_rejected"], 0)

    def test_pull_from_medallion(self):
        self.preloaded = self.source_objects(61, 400)
        objects = [dict(o) for o in self.preloaded]
        self.start_medallion()
        x = self.pull_node()
        self.assertPulledAll(x, objects, x.sync()["medallion"])
        # Nothing new: nothing moves.
        self.assertEqual(moved(x.sync()["medallion"]), 0)
        # A later POST at medallion arrives with the next round.
        later = [indicator("med", f"LATER-{n}", [TLP2["green"]]) for n in range(3)]
        self.med_post(self.source_id, later)
        r = x.sync()["medallion"]
        self.assertEqual(r["pulled_new"], 3)
        self.assertEqual(x.count("from-medallion"), len(objects) + 3)

    # medallion gives every object of one POST the same date_added: following `next` with the
    # query it was issued for, and going on from just before the watermark when a token is
    # refused, no object sharing a page's last date_added is skipped.
    def test_pull_from_medallion_of_objects_posted_together(self):
        objects = self.source_objects(63, 400)
        self.start_medallion()
        # Loaded the way a producer does it: POSTs of 100 objects.
        for i in range(0, len(objects), 100):
            self.med_post(self.source_id, objects[i:i + 100])
        x = self.pull_node()
        r = x.sync()["medallion"]
        self.assertPulledAll(x, objects, r)
        # Every page answered 200; the one 404 is ctihub's deletion feed, which medallion (like
        # any plain TAXII server) does not have.
        self.assertEqual([entry for entry in self.proxy.log if entry[2] != 200],
                         [entry for entry in self.proxy.log if "x-ctihub-deletions" in entry[1]])
        self.assertEqual(len([e for e in self.proxy.log if "x-ctihub-deletions" in e[1]]), 1)

    def test_push_to_medallion_follows_its_status_resources(self):
        x = self.node_with_medallion_peer(direction="push", push_from=["feeds"], push_to="sink",
                                          push_batch=60)
        x.generate("feeds", seed=62, count=300, keep=medallion_compatible)
        self.start_medallion()
        x.start()

        # medallion completes every POST at once; say "pending" instead, so that ctihub must
        # follow the status resource (TAXII 2.1 §4.3.1) to learn the outcome.
        def pending(method, path, status, headers, body):
            if method == "POST" and status == 202:
                st = json.loads(body)
                st.update(status="pending", pending_count=st["total_count"], success_count=0,
                          failure_count=0, pendings=st.pop("successes", []))
                st.pop("failures", None)
                body = json.dumps(st).encode()
            return status, headers, body

        self.proxy.on_response = pending
        r = x.sync()["medallion"]
        released = x.released_to("medallion")
        self.assertEqual((r["pushed"], r["pushed_accepted"], r["pushed_refused"]),
                         (len(released), len(released), 0))
        posts = [p for m, p, _ in self.proxy.log if m == "POST"]
        status_gets = [p for m, p, s in self.proxy.log if m == "GET" and "/status/" in p]
        self.assertEqual(len(posts), r["pushed"] // 60 + (1 if r["pushed"] % 60 else 0))
        self.assertGreaterEqual(len(status_gets), len(posts))
        in_medallion = self.med_all(self.sink_id)
        self.assertEqual(sorted(map(canonical, in_medallion)),
                         sorted(canonical(json.loads(t)) for t in released))
        self.assertEqual(moved(x.sync()["medallion"]), 0)


# --- configuration errors ---------------------------------------------------------------------------

# --- 6. HTTPS between two serve processes ------------------------------------------------------

def self_signed(directory, name, *extra):
    """A self-signed P-256 certificate and key (its own trust anchor): (cert, key, sha256)."""
    cert, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", f"/CN={name}",
                    *extra, "-keyout", key, "-out", cert], check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return cert, key, hashlib.sha256(der).hexdigest()


class Https(Federation):
    """b serves https and knows a by its client certificate alone (mutual TLS, no password): a
    pulls and pushes, with signatures, and a wrong certificate on either side stops the round."""

    def test_pull_and_push_over_mutual_tls(self):
        a, b = self.node("a"), self.node("b")
        server_cert, server_key, _ = self_signed(b.dir, "localhost", "-addext",
                                                  "subjectAltName=IP:127.0.0.1")
        client_cert, client_key, fingerprint = self_signed(a.dir, "a-node")
        b.tls = {"certificate": server_cert, "private_key": server_key, "client_ca": client_cert}
        b.url = f"https://127.0.0.1:{b.port}"
        b.partner(a, collections=["feeds"], tlp="green")
        b.users[-1]["certificate_sha256"] = fingerprint
        b.peer(a, "none")
        a.partner(b, collections=["feeds"], tlp="green")
        b.generate("feeds", seed=71, count=300)
        a.generate("feeds", seed=72, count=300)
        peer = a.peer(b, "both", pull_from="feeds", pull_into="from-b", push_from=["feeds"],
                      push_to="inbox")
        del peer["username"], peer["password_file"]
        peer.update(certificate_file=client_cert, private_key_file=client_key, ca_file=server_cert)
        b.start()
        r = a.sync()["b"]
        self.assertGreater(r["pulled_new"], 50, r)
        self.assertGreater(r["pushed_accepted"], 50, r)
        # What b releases to a, by the same decision (`export --as`), is what a now holds.
        out = os.path.join(self.root, "b-as-a.json")
        b.ctihub("export", "--collection", "feeds", "--as", "a", "-o", out)
        with open(out) as f:
            released = {o["id"] for o in json.load(f).get("objects", [])}
        self.assertEqual({row[0] for row in a.rows("from-b")}, released)
        self.assertEqual(r["pushed_accepted"], a.count("feeds") - r["withheld"], r)
        self.assertEqual({row[2] for row in b.rows("inbox")}, {"a"}, "origin: a's organisation")
        # Another client certificate: b does not know it, and nothing moves.
        other_cert, other_key, _ = self_signed(a.dir, "someone-else")
        peer.update(certificate_file=other_cert, private_key_file=other_key)
        a.import_objects("feeds", [indicator("a", "AFTER-THE-SWAP", [TLP2["green"]])])
        failed = a.sync(ok=False)["b"]
        self.assertIn("refused this node's TLS client certificate", failed["error"])
        self.assertNotIn("gave up", failed["error"], "a certificate that fails is not retried")
        # The server's certificate not trusted: refused as such, at once.
        peer.update(certificate_file=client_cert, private_key_file=client_key,
                    ca_file=other_cert)
        failed = a.sync(ok=False)["b"]
        self.assertIn("certificate", failed["error"])
        self.assertNotIn("gave up", failed["error"], "a certificate that fails is not retried")
        self.assertNotIn("AFTER-THE-SWAP", json.dumps(b.rows("inbox")))
        # Back to the right ones: the round goes on where it stopped.
        peer.update(ca_file=server_cert)
        r = a.sync()["b"]
        self.assertEqual(r["pushed_accepted"], 1, r)


class PeerConfigErrors(Federation):
    """A [[peers]] entry that cannot work is refused when the node starts, naming the setting."""

    def test_bad_peer_entries_name_the_problem(self):
        a, b = self.node("a"), self.node("b")
        a.partner(b, collections=["feeds"], tlp="green")
        good = {"name": "b", "url": b.url, "direction": "pull", "pull_from": "feeds",
                "username": "a-sync", "password_file": a.secret("at-b.pw"),
                "trusted_keys": [b.public_key]}
        write_secret(a.secret("at-b.pw"))
        cases = [
            ({"direction": "push", "push_from": ["feeds"], "push_to": "inbox", "name": "c"},
             'peers[0].push_from: pushing to \'c\' needs a sharing agreement'),
            ({"trusted_keys": [], "require_signatures": True},
             "require_signatures needs at least one trusted key"),
            ({"pull_from": ""}, "peers[0].pull_from: is required to pull"),
            ({"url": "127.0.0.1:9443"}, "peers[0].url: must start with https:// or http://"),
            ({"direction": "sideways"}, "peers[0].direction: must be pull, push, both or none"),
            ({"interval_seconds": 0}, "peers[0].interval_seconds: must be positive"),
            ({"password_file": "missing.pw"}, "peers[0].password_file: cannot read"),
            ({"trusted_keys": ["not-a-key"]}, "not-a-key"),
            ({"page_size": 0}, "peers[0].page_size: must be 1..100000"),
            ({"pull_form": "feeds"}, "peers[0].pull_form: unknown setting"),
        ]
        for change, expected in cases:
            a.peers = [dict(good, **change)]
            a.write_config()
            r = subprocess.run([CTIHUB, "serve", "--config", a.config, "--store", a.store],
                               cwd=a.dir, capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, (change, r.stdout, r.stderr))
            self.assertIn(expected, r.stderr, change)
        a.peers = [dict(good), dict(good)]
        a.write_config()
        r = run("sync", "--config", a.config, "--store", a.store, check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("'b' is declared twice", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
