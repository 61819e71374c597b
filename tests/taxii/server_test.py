#!/usr/bin/env python3
"""Integration tests of `ctihub serve`: the real binary on a free port with a temporary store,
spoken to over real HTTP (python's standard library only, so it runs on any Debian machine).

Covers every TAXII 2.1 endpoint with its filters, headers and error cases, the access rules
(401 without credentials, 404 for another organisation's collection, 403 for the wrong
permission), paging through 100,000 objects while objects are being added (nothing missed,
nothing repeated), and hostile HTTP (garbage, slowloris, huge headers and bodies).

    tests/taxii/server_test.py BUILD_DIR [unittest args]
"""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

BUILD = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "build")
CTIHUB = os.path.join(BUILD, "ctihub")
TAXII = "application/taxii+json;version=2.1"
PASSWORD = "integration-test-password"
BIG = int(os.environ.get("CTIHUB_TAXII_TEST_OBJECTS", "100000"))


def run(*args, stdin=None):
    r = subprocess.run([CTIHUB, *args], input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"ctihub {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r.stdout


def indicator(n, modified="2021-01-01T00:00:00.000Z", tag="x"):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, tag + str(n))}",
        "created": "2021-01-01T00:00:00.000Z", "modified": modified,
        "pattern": f"[ipv4-addr:value = '10.0.{n // 256 % 256}.{n % 256}']",
        "pattern_type": "stix", "valid_from": "2021-01-01T00:00:00Z",
    }


class Hub:
    """A temporary store with two organisations, users and collections, and a running server."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ctihub-taxii-it-")
        self.store = "sqlite:" + os.path.join(self.dir, "hub.db")
        pw = os.path.join(self.dir, "pw")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        ids = {}
        for name in ("shared", "private-b", "drop-box", "big"):
            out = run("collection", "create", name, "--store", self.store)
            ids[name] = re.search(r"\(([0-9a-f-]{36})\)", out).group(1)
        self.ids = ids
        for org in ("cert-a", "cert-b"):
            run("org", "add", org, "--store", self.store)
        for user, org in (("alice", "cert-a"), ("bob", "cert-b"), ("reader", "cert-a")):
            run("user", "add", user, "--org", org, "--password-file", pw, "--store", self.store)
        # An administrator sees every object whatever its markings (paging tests use it).
        run("user", "add", "root", "--org", "cert-a", "--admin", "--password-file", pw,
            "--store", self.store)
        grants = [("shared", "org:cert-a", "read-write"), ("shared", "org:cert-b", "read"),
                  ("private-b", "org:cert-b", "read-write"), ("drop-box", "user:alice", "write"),
                  ("big", "org:cert-a", "read-write")]
        for coll, grantee, perm in grants:
            run("collection", "grant", coll, grantee, "--permission", perm, "--store", self.store)
        run("collection", "grant", "shared", "user:reader", "--permission", "read",
            "--store", self.store)
        self.token = re.search(r"(cth_[0-9a-f]+_[A-Za-z0-9_-]+)",
                               run("key", "create", "--user", "alice", "--store", self.store)).group(1)
        self.start()

    def start(self, *extra):
        self.proc = subprocess.Popen(
            [CTIHUB, "serve", "--store", self.store, "--listen", "127.0.0.1:0",
             "--no-access-log", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "CTIHUB_ADMIN_PASSWORD": PASSWORD})
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            m = re.search(r"listening on https?://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                return
            if not line and self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.proc.stderr.read())
        raise RuntimeError("server did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err

    def request(self, method, path, user="alice", body=None, headers=None, token=None):
        h = {"Accept": TAXII}
        if token:
            h["Authorization"] = "Bearer " + token
        elif user:
            h["Authorization"] = "Basic " + base64.b64encode(
                f"{user}:{PASSWORD}".encode()).decode()
        if body is not None:
            h["Content-Type"] = TAXII
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
        h.update(headers or {})
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict(r.getheaders()), data

    def json(self, method, path, **kw):
        status, headers, data = self.request(method, path, **kw)
        return status, headers, (json.loads(data) if data else None)

    def objects_path(self, coll):
        return f"/api/collections/{self.ids[coll]}/objects/"


class TaxiiServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub()

    @classmethod
    def tearDownClass(cls):
        code, out, err = cls.hub.stop()
        shutil.rmtree(cls.hub.dir, ignore_errors=True)
        assert code == 0, f"serve exited with {code}: {err}"

    # --- authentication and authorisation ------------------------------------------------
    def test_no_endpoint_answers_without_valid_credentials(self):
        h = self.hub
        paths = ["/taxii2/", "/api/", "/api/collections/", f"/api/collections/{h.ids['shared']}/",
                 h.objects_path("shared"), f"/api/collections/{h.ids['shared']}/manifest/",
                 h.objects_path("shared") + "indicator--0/", "/api/status/x/", "/nonexistent/"]
        for p in paths:
            for auth in ({"user": None}, {"user": "alice", "headers": {"Authorization": "Basic eDp5"}},
                         {"token": "cth_0000000000000000_wrong"}):
                status, headers, _ = h.request("GET", p, **auth)
                self.assertEqual(status, 401, (p, auth))
                self.assertIn("WWW-Authenticate", headers)

    def test_api_key_authenticates(self):
        status, _, body = self.hub.json("GET", "/api/collections/", user=None, token=self.hub.token)
        self.assertEqual(status, 200)
        self.assertTrue(body["collections"])

    def test_other_organisations_private_collection_is_invisible(self):
        h = self.hub
        status, _, listing = h.json("GET", "/api/collections/", user="alice")
        names = {c["alias"] for c in listing["collections"]}
        self.assertNotIn("private-b", names)
        self.assertIn("shared", names)
        for method, path, body in (("GET", f"/api/collections/{h.ids['private-b']}/", None),
                                   ("GET", h.objects_path("private-b"), None),
                                   ("POST", h.objects_path("private-b"), {"objects": [indicator(1)]}),
                                   ("DELETE", h.objects_path("private-b") + indicator(1)["id"] + "/",
                                    None)):
            status, _, err = h.json(method, path, user="alice", body=body)
            self.assertEqual(status, 404, (method, path))
            self.assertEqual(err["http_status"], "404")
        # The owner can use it.
        status, _, _ = h.json("POST", h.objects_path("private-b"), user="bob",
                              body={"objects": [indicator(1, tag="b")]})
        self.assertEqual(status, 202)

    def test_permissions_read_only_and_write_only(self):
        h = self.hub
        self.assertEqual(h.request("POST", h.objects_path("shared"), user="bob",
                                   body={"objects": [indicator(5)]})[0], 403)
        self.assertEqual(h.request("GET", h.objects_path("drop-box"), user="alice")[0], 403)
        status, _, st = h.json("POST", h.objects_path("drop-box"), user="alice",
                               body={"objects": [indicator(6)]})
        self.assertEqual(status, 202)
        self.assertEqual(st["success_count"], 1)
        # Status resources belong to their requester.
        self.assertEqual(h.request("GET", f"/api/status/{st['id']}/", user="bob")[0], 404)
        self.assertEqual(h.request("GET", f"/api/status/{st['id']}/", user="alice")[0], 200)

    def test_a_status_stays_with_the_organisation_it_was_posted_for(self):
        # A user moved to another organisation (or removed and added again under another) does
        # not read what it posted for the first: the status names its objects and failures.
        h = self.hub
        pw = os.path.join(h.dir, "pw")
        run("user", "add", "mover", "--org", "cert-a", "--password-file", pw, "--store", h.store)
        run("collection", "grant", "drop-box", "user:mover", "--permission", "write",
            "--store", h.store)
        status, _, st = h.json("POST", h.objects_path("drop-box"), user="mover",
                               body={"objects": [indicator(7)]})
        self.assertEqual(status, 202)
        self.assertEqual(h.request("GET", f"/api/status/{st['id']}/", user="mover")[0], 200)
        run("user", "set", "mover", "--org", "cert-b", "--store", h.store)
        deadline = time.time() + 30
        while time.time() < deadline:
            status = h.request("GET", f"/api/status/{st['id']}/", user="mover")[0]
            if status != 200:
                break
            time.sleep(0.5)
        self.assertEqual(status, 404)

    # --- discovery, roots, collections -----------------------------------------------------
    def test_discovery_api_root_and_collection(self):
        h = self.hub
        status, headers, d = h.json("GET", "/taxii2/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], TAXII)
        self.assertTrue(d["api_roots"][0].endswith("/api/"))
        status, _, root = h.json("GET", "/api/")
        self.assertEqual(root["versions"], [TAXII])
        self.assertGreater(root["max_content_length"], 0)
        status, _, c = h.json("GET", f"/api/collections/{h.ids['shared']}/", user="bob")
        self.assertEqual((c["can_read"], c["can_write"]), (True, False))
        self.assertEqual(c["media_types"], ["application/stix+json;version=2.1"])

    def test_content_negotiation(self):
        h = self.hub
        self.assertEqual(h.request("GET", "/taxii2/", headers={"Accept": "application/xml"})[0], 406)
        self.assertEqual(h.request("GET", "/taxii2/", headers={
            "Accept": "application/taxii+json;version=2.0"})[0], 406)
        self.assertEqual(h.request("POST", h.objects_path("shared"), body="{}",
                                   headers={"Content-Type": "application/json"})[0], 415)

    # --- objects, filters, headers --------------------------------------------------------
    def test_post_get_versions_manifest_delete(self):
        h = self.hub
        base = indicator(1000, tag="v")
        versions = ["2021-01-01T00:00:00.000Z", "2021-02-01T00:00:00.000Z",
                    "2021-03-01T00:00:00.000Z"]
        for v in versions:
            status, _, st = h.json("POST", h.objects_path("shared"),
                                   body={"objects": [dict(base, modified=v)]})
            self.assertEqual((status, st["status"], st["success_count"]), (202, "complete", 1))
        one = h.objects_path("shared") + base["id"] + "/"
        status, headers, env = h.json("GET", one)
        self.assertEqual(env["objects"][0]["modified"], versions[-1])
        self.assertIn("X-TAXII-Date-Added-First", headers)
        _, _, env = h.json("GET", one + "?match[version]=all")
        self.assertEqual(sorted(o["modified"] for o in env["objects"]), versions)
        _, _, env = h.json("GET", one + "?match[version]=first," + versions[1])
        self.assertEqual(sorted(o["modified"] for o in env["objects"]), versions[:2])
        _, _, vs = h.json("GET", one + "versions/")
        self.assertEqual(vs["versions"], versions)
        _, _, vs = h.json("GET", one + "versions/?limit=2")
        self.assertTrue(vs["more"])
        _, _, vs2 = h.json("GET", one + "versions/?limit=2&next=" + vs["next"])
        self.assertEqual(vs["versions"] + vs2["versions"], versions)
        _, _, man = h.json("GET", f"/api/collections/{h.ids['shared']}/manifest/?match[id]=" +
                           base["id"])
        self.assertEqual([(m["id"], m["version"]) for m in man["objects"]],
                         [(base["id"], versions[-1])])
        self.assertEqual(h.request("DELETE", one + "?match[version]=" + versions[0])[0], 200)
        _, _, vs = h.json("GET", one + "versions/")
        self.assertEqual(vs["versions"], versions[1:])
        self.assertEqual(h.request("DELETE", one)[0], 200)
        self.assertEqual(h.request("GET", one)[0], 404)

    def test_a_revoked_object_gets_no_later_version_and_the_status_says_why(self):
        h = self.hub
        base = indicator(1001, tag="v")
        revoked = dict(base, modified="2021-02-01T00:00:00.000Z", revoked=True)
        later = dict(base, modified="2021-03-01T00:00:00.000Z")
        _, _, st = h.json("POST", h.objects_path("shared"), body={"objects": [base, revoked]})
        self.assertEqual(st["success_count"], 2)
        _, _, st = h.json("POST", h.objects_path("shared"), body={"objects": [later]})
        self.assertEqual(st["failure_count"], 1, st)
        self.assertIn("which revoked it", st["failures"][0]["message"])
        _, _, env = h.json("GET", h.objects_path("shared") + base["id"] + "/")
        self.assertTrue(env["objects"][0]["revoked"])

    def test_filters_and_added_after(self):
        h = self.hub
        objs = [indicator(n, tag="f") for n in range(5)]
        malware = {"type": "malware", "spec_version": "2.1",
                   "id": "malware--" + str(uuid.uuid4()), "created": "2021-01-01T00:00:00.000Z",
                   "modified": "2021-01-01T00:00:00.000Z", "name": "x", "is_family": True}
        status, _, st = h.json("POST", h.objects_path("shared"), body={"objects": objs + [malware]})
        self.assertEqual(st["success_count"], 6)
        _, _, env = h.json("GET", h.objects_path("shared") + "?match[type]=malware")
        self.assertEqual([o["id"] for o in env["objects"]], [malware["id"]])
        _, _, env = h.json("GET", h.objects_path("shared") + "?match[id]=" + objs[0]["id"] + "," +
                           objs[1]["id"])
        self.assertEqual({o["id"] for o in env["objects"]}, {objs[0]["id"], objs[1]["id"]})
        _, headers, env = h.json("GET", h.objects_path("shared") + "?match[id]=" + objs[2]["id"])
        first = headers["X-TAXII-Date-Added-First"]
        _, _, env = h.json("GET", h.objects_path("shared") + "?added_after=" + first +
                           "&match[id]=" + objs[2]["id"])
        self.assertNotIn("objects", env)
        self.assertFalse(env["more"])
        _, _, env = h.json("GET", h.objects_path("shared") + "?match[spec_version]=2.0")
        self.assertNotIn("objects", env)

    def test_bad_filters_are_400_with_a_reason(self):
        h = self.hub
        for q in ("limit=0", "limit=abc", "added_after=yesterday", "match[version]=newest",
                  "next=garbage", "match[type]=,", "match[nonsense]=1"):
            status, _, err = h.json("GET", h.objects_path("shared") + "?" + q)
            self.assertEqual(status, 400, q)
            self.assertTrue(err["description"], q)

    def test_post_reports_invalid_objects_and_keeps_valid_ones(self):
        h = self.hub
        bad = indicator(77, tag="bad")
        bad["pattern"] = "[ipv4-addr:value = "
        good = indicator(78, tag="good")
        status, _, st = h.json("POST", h.objects_path("shared"), body={"objects": [good, bad]})
        self.assertEqual(status, 202)
        self.assertEqual((st["success_count"], st["failure_count"]), (1, 1))
        self.assertEqual(st["failures"][0]["id"], bad["id"])
        self.assertIn("pattern", st["failures"][0]["message"])
        self.assertEqual(h.request("GET", h.objects_path("shared") + bad["id"] + "/")[0], 404)
        self.assertEqual(h.request("GET", h.objects_path("shared") + good["id"] + "/")[0], 200)

    def test_a_store_locked_by_another_writer_answers_503_with_retry_after(self):
        import sqlite3
        db = sqlite3.connect(self.hub.store[len("sqlite:"):], timeout=1, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")  # holds the write lock past the server's 10 s wait
        try:
            t0 = time.time()
            status, headers, body = self.hub.request(
                "POST", self.hub.objects_path("shared"),
                body={"objects": [indicator(1, tag="locked")]})
            self.assertEqual(status, 503, body)
            self.assertEqual(headers.get("Retry-After"), "1")
            self.assertLess(time.time() - t0, 30)
        finally:
            db.execute("ROLLBACK")
            db.close()

    def test_objects_are_served_as_stored_bytes(self):
        h = self.hub
        obj = indicator(4242, tag="bytes")
        text = json.dumps(obj, indent=3, ensure_ascii=False).replace('"x"', '"x"')
        body = '{"objects": [' + text + ']}'
        self.assertEqual(h.request("POST", h.objects_path("shared"), body=body)[0], 202)
        _, _, data = h.request("GET", h.objects_path("shared") + obj["id"] + "/")
        self.assertIn(text.encode(), data)

    def test_wrong_methods(self):
        h = self.hub
        status, headers, _ = h.request("PUT", h.objects_path("shared"), body="{}")
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("Allow"), "GET, HEAD, POST")

    # --- paging under writes ----------------------------------------------------------------
    def test_paging_100k_objects_while_writing_misses_and_repeats_nothing(self):
        h = self.hub
        path = os.path.join(h.dir, "big.jsonl")
        run("generate", "--seed", "7", "--objects", str(BIG), "--format", "jsonl", "-o", path)
        run("import", "--store", h.store, "--collection", "big", "--progress", "none", path)
        _, _, man = h.json("GET", f"/api/collections/{h.ids['big']}/manifest/?limit=10000", user="root")
        before = set()
        nxt = None
        while True:
            q = "?limit=10000" + ("&next=" + nxt if nxt else "")
            _, _, man = h.json("GET", f"/api/collections/{h.ids['big']}/manifest/" + q, user="root")
            before.update(m["id"] for m in man.get("objects", []))
            if not man["more"]:
                break
            nxt = man["next"]
        stop = threading.Event()
        added = []

        def writer():
            n = 0
            while not stop.is_set() and n < 2000:
                batch = [indicator(i, tag="live") for i in range(n, n + 100)]
                status, _, _ = h.json("POST", h.objects_path("big"), body={"objects": batch})
                assert status == 202
                added.extend(o["id"] for o in batch)
                n += 100

        t = threading.Thread(target=writer)
        t.start()
        seen, repeats, nxt, pages = set(), 0, None, 0
        last_added = ""
        try:
            while True:
                q = "?limit=1000" + ("&next=" + nxt if nxt else "")
                status, headers, env = h.json("GET", h.objects_path("big") + q, user="root")
                self.assertEqual(status, 200)
                pages += 1
                for o in env.get("objects", []):
                    if o["id"] in seen:
                        repeats += 1
                    seen.add(o["id"])
                if env.get("objects"):
                    self.assertGreater(headers["X-TAXII-Date-Added-First"], last_added)
                    last_added = headers["X-TAXII-Date-Added-Last"]
                if not env["more"]:
                    break
                nxt = env["next"]
        finally:
            stop.set()
            t.join()
        self.assertEqual(repeats, 0)
        self.assertFalse(before - seen, "objects present before paging began were missed")
        self.assertGreaterEqual(pages, len(before) // 1000)


class HostileClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hub = Hub()

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        shutil.rmtree(cls.hub.dir, ignore_errors=True)

    def raw(self, data, wait=5.0):
        s = socket.create_connection(("127.0.0.1", self.hub.port), timeout=wait)
        try:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except socket.timeout:
                    break
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks)
        finally:
            s.close()

    def test_garbage_gets_400(self):
        reply = self.raw(b"\x16\x03\x01garbage that is not http\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:80])

    def test_huge_header_gets_431(self):
        reply = self.raw(b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 +
                         b"\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 431"), reply[:80])

    def test_huge_body_gets_413_before_it_is_sent(self):
        reply = self.raw(b"POST /api/collections/x/objects/ HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/taxii+json;version=2.1\r\n"
                         b"Content-Length: 10000000000\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:80])

    def test_uploads_without_credentials_are_refused_before_any_body_is_read(self):
        # 500 connections each announcing 60 MB without credentials: each is refused at its
        # header (no 100 Continue), so nothing is buffered and the server's memory stays flat.
        rss_before = self.rss_kib()
        socks = []
        for _ in range(500):
            s = socket.create_connection(("127.0.0.1", self.hub.port), timeout=10)
            s.sendall(b"POST /api/collections/%s/objects/ HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/taxii+json;version=2.1\r\n"
                      b"Expect: 100-continue\r\nContent-Length: 60000000\r\n\r\n"
                      % self.hub.ids["shared"].encode())
            socks.append(s)
        for s in socks:
            reply = s.recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 401"), reply[:80])
            s.close()
        self.assertLess(self.rss_kib() - rss_before, 200 * 1024)
        # Wrong content type from an authenticated writer: 415 before the body, too.
        auth = base64.b64encode(f"alice:{PASSWORD}".encode())
        reply = self.raw(b"POST /api/collections/%s/objects/ HTTP/1.1\r\nHost: x\r\n"
                         b"Authorization: Basic %s\r\nContent-Type: application/json\r\n"
                         b"Expect: 100-continue\r\nContent-Length: 60000000\r\n\r\n"
                         % (self.hub.ids["shared"].encode(), auth))
        self.assertTrue(reply.startswith(b"HTTP/1.1 415"), reply[:80])

    def rss_kib(self):
        with open(f"/proc/{self.hub.proc.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def test_slowloris_is_cut_off_and_others_are_still_served(self):
        socks = []
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", self.hub.port))
            s.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\n")  # never finishes the header
            socks.append(s)
        t0 = time.time()
        status, _, _ = self.hub.request("GET", "/taxii2/")
        self.assertEqual(status, 200)
        self.assertLess(time.time() - t0, 5)
        for s in socks:
            s.close()


class ReleasePolicy(unittest.TestCase):
    """A partner under a sharing agreement, over TAXII and `ctihub export --as`: only what the
    agreement and the markings allow, in every byte; `policy explain` says why."""

    GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ctihub-policy-it-")
        self.store = "sqlite:" + os.path.join(self.dir, "hub.db")
        secret = json.loads(run("policy", "marking", "--classification", "NATO SECRET",
                                "--rel-to", "NATO"))
        self.secret = secret["id"]
        objs = [secret]
        # name tokens: which objects a partner may see; description tokens: granular-marked.
        plan = [("p-green", [self.GREEN], None), ("x-amber", [self.AMBER], None),
                ("x-secret", [self.GREEN, self.secret], None), ("x-unmarked", [], None),
                ("p-redacted", [self.GREEN], self.secret)]
        for n, (name, refs, granular) in enumerate(plan):
            o = indicator(n, tag="policy")
            o["name"] = name + "-TOKEN"
            if refs:
                o["object_marking_refs"] = refs
            if granular:
                o["description"] = "VICTIM-TOKEN"
                o["granular_markings"] = [{"selectors": ["description"], "marking_ref": granular}]
            objs.append(o)
        self.import_bundle("b.json", objs)
        run("collection", "create", "other", "--store", self.store)
        run("org", "add", "partner", "--community", "eu", "--store", self.store)
        pw = os.path.join(self.dir, "pw")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        run("user", "add", "pat", "--org", "partner", "--password-file", pw, "--store", self.store)
        for coll in ("feeds", "other"):
            run("collection", "grant", coll, "org:partner", "--permission", "read",
                "--store", self.store)
        self.config = os.path.join(self.dir, "hub.toml")
        with open(self.config, "w") as f:
            f.write('[policy]\naccreditation = "NATO SECRET"\n[[agreements]]\n'
                    'partner = "partner"\ncollections = ["feeds"]\ntlp = "green"\n'
                    'classification = "restricted"\n')

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def import_bundle(self, name, objects, **bundle):
        """Writes `objects` as a bundle (with any extra bundle properties) and imports it into
        feeds."""
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), **bundle,
                       "objects": objects}, f)
        run("import", "--store", self.store, "--collection", "feeds", path)

    def serve(self):
        """Starts `ctihub serve` with the agreement; returns (process, port)."""
        proc = subprocess.Popen([CTIHUB, "serve", "--store", self.store, "--listen",
                                 "127.0.0.1:0", "--config", self.config, "--no-access-log"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        while "listening on" not in line:
            if not line:  # stdout closed: the server exited, and its stderr says why
                self.fail(proc.stderr.read())
            line = proc.stdout.readline()
        return proc, int(re.search(r":(\d+)/", line).group(1))

    @staticmethod
    def get_as_partner(port, path):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        auth = base64.b64encode(f"pat:{PASSWORD}".encode()).decode()
        c.request("GET", path, headers={"Accept": TAXII, "Authorization": "Basic " + auth})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def export(self, *as_partner):
        """`ctihub export` of feeds (`as_partner`: "--as", "partner"); returns its bytes."""
        out = os.path.join(self.dir, "export.json")
        config = ["--config", self.config] if as_partner else []
        run("export", "--store", self.store, *config, "--collection", "feeds", *as_partner,
            "-o", out)
        with open(out, "rb") as f:
            return f.read()

    def check_partner_bytes(self, data):
        self.assertIn(b"p-green-TOKEN", data)
        self.assertIn(b"p-redacted-TOKEN", data)
        for token in (b"x-amber", b"x-secret", b"x-unmarked", b"VICTIM-TOKEN", b"SECRET REL TO"):
            self.assertNotIn(token, data)

    def test_partner_receives_only_what_the_agreement_allows(self):
        proc, port = self.serve()
        try:
            def get(path):
                return self.get_as_partner(port, path)

            everything = b""
            for path in ("/api/collections/feeds/objects/", "/api/collections/feeds/manifest/",
                         "/api/collections/feeds/objects/?limit=1"):
                status, data = get(path)
                self.assertEqual(status, 200, data)
                everything += data
            status, page = get("/api/collections/feeds/objects/?limit=1")
            self.assertTrue(json.loads(page)["more"])  # a full page of one, then the next
            for n in range(6):
                oid = indicator(n, tag="policy")["id"]
                for suffix in ("", "versions/"):
                    status, data = get(f"/api/collections/feeds/objects/{oid}/{suffix}")
                    everything += data
            self.check_partner_bytes(everything)
            manifest = json.loads(get("/api/collections/feeds/manifest/")[1])
            self.assertEqual(len(manifest["objects"]), 2)
            # A collection the agreement does not name is invisible, even with a grant.
            self.assertEqual(get("/api/collections/other/")[0], 404)
            collections = json.loads(get("/api/collections/")[1])
            self.assertEqual([c["alias"] for c in collections["collections"]], ["feeds"])
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)

    def test_org_set_while_serving_changes_what_the_partner_receives(self):
        """`ctihub org set` on a running node: the partner's new community opens content REL TO
        it within seconds, and taking it away closes it again, without a restart."""
        marking = json.loads(run("policy", "marking", "--classification", "NATO RESTRICTED",
                                 "--rel-to", "NATO"))
        o = indicator(40, tag="policy")
        o["name"] = "n-nato-TOKEN"
        o["object_marking_refs"] = [self.GREEN, marking["id"]]
        self.import_bundle("nato.json", [marking, o])
        proc, port = self.serve()
        try:
            def feed():
                status, data = self.get_as_partner(port, "/api/collections/feeds/objects/")
                self.assertEqual(status, 200, data)
                return data

            def wait_for(visible):
                deadline = time.time() + 20
                while time.time() < deadline:
                    if (b"n-nato-TOKEN" in feed()) == visible:
                        return True
                    time.sleep(0.5)
                return False

            self.assertNotIn(b"n-nato-TOKEN", feed())  # the partner is in "eu" only
            run("org", "set", "partner", "--community", "eu", "--community", "nato",
                "--store", self.store)
            self.assertTrue(wait_for(True), "a new community did not open REL TO content")
            self.check_partner_bytes(feed())  # nothing else changed
            run("org", "set", "partner", "--community", "eu", "--store", self.store)
            self.assertTrue(wait_for(False), "a community taken away kept REL TO content open")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)

    def test_an_agreements_sanitization_profile_applies_to_what_leaves(self):
        with open(os.path.join(self.dir, "eu.key"), "w") as f:
            f.write("a-community-key-of-some-length\n")
        with open(self.config, "a") as f:
            f.write('sanitization = "eu"\npseudonymise_sources = true\n'
                    '[node]\nidentity = "identity--d3d3c1b1-8ba4-4ba4-b1a4-2b7c0c3a9b1e"\n'
                    '[[sanitization_profiles]]\nname = "eu"\ninternal_addresses = true\n'
                    'pseudonymise = true\nkey_file = "eu.key"\npersonal_data = true\n'
                    'defang = true\nvictims = true\n')
        o = indicator(40, tag="policy")
        o["name"] = "p-sanitized-TOKEN"
        o["object_marking_refs"] = [self.GREEN]
        o["pattern"] = "[ipv4-addr:value = '10.77.0.1' OR ipv4-addr:value = '198.51.100.77']"
        o["description"] = "victim mail bob@victim.example, C2 http://evil.example/a"
        o["created_by_ref"] = "identity--aaaaaaaa-0000-4000-8000-000000000077"
        self.import_bundle("more.json", [o])
        out = os.path.join(self.dir, "partner.json")
        run("export", "--store", self.store, "--config", self.config, "--collection", "feeds",
            "--as", "partner", "-o", out)
        with open(out, "rb") as f:
            data = f.read()
        self.assertIn(b"p-sanitized-TOKEN", data)
        # The other released indicators detect only 10.0.x.x addresses: internal, withheld.
        for token in (b"p-green-TOKEN", b"p-redacted-TOKEN", b"x-amber", b"x-secret",
                      b"VICTIM-TOKEN"):
            self.assertNotIn(token, data)
        for secret in (b"10.77.0.1", b"bob@victim.example", b"http://evil.example",
                       b"aaaaaaaa-0000"):
            self.assertNotIn(secret, data)
        self.assertIn(b"hxxp://evil[.]example/a", data)
        text = run("policy", "explain", o["id"], "--to", "partner", "--store", self.store,
                   "--config", self.config)
        self.assertIn("[sanitized]", text)

    def test_a_stix20_observed_datas_observables_keep_its_markings_on_the_way_out(self):
        """A 2.0 observed-data's observables become SCOs of their own on import: each carries
        the observed-data's markings, and granular ones that selected it, so what the partner may
        not see of them (an AMBER observable, a SECRET value) stays home, ids included."""
        od = {"type": "observed-data", "id": "observed-data--" + str(uuid.uuid4()),
              "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
              "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z",
              "number_observed": 1, "object_marking_refs": [self.GREEN],
              "granular_markings": [
                  {"marking_ref": self.secret, "selectors": ["objects.1.value"]},
                  {"marking_ref": self.AMBER, "selectors": ["objects.2"]}],
              "objects": {"0": {"type": "domain-name", "value": "green-obs.example"},
                          "1": {"type": "email-addr", "value": "victim-obs@example.org"},
                          "2": {"type": "domain-name", "value": "amber-obs.example"}}}
        self.import_bundle("od20.json", [od], spec_version="2.0")
        everything = self.export()
        ids = {o.get("value"): o["id"] for o in json.loads(everything)["objects"]
               if o["type"] in ("domain-name", "email-addr")}
        self.assertEqual(len(ids), 3, everything)
        data = self.export("--as", "partner")
        self.check_partner_bytes(data)
        self.assertIn(b"green-obs.example", data)
        self.assertIn(ids["green-obs.example"].encode(), data)
        self.assertIn(od["id"].encode(), data)
        for secret in (b"victim-obs@example.org", b"amber-obs.example",
                       ids["victim-obs@example.org"].encode(), ids["amber-obs.example"].encode()):
            self.assertNotIn(secret, data)

    def test_a_reference_to_an_observable_goes_only_where_the_observable_may(self):
        """An SCO's id is the UUIDv5 of its value: a GREEN observed-data naming an AMBER address
        would give the address away to anyone hashing candidates. Over TAXII (objects, one
        object, its versions, the manifest) and `export --as`, the partner gets the
        observed-data without that reference, and nothing that names only the address."""
        namespace = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

        def sco(kind, value, refs):
            name = json.dumps({"value": value}, sort_keys=True, separators=(",", ":"))
            sid = kind + "--" + str(uuid.uuid5(namespace, name))
            return {"type": kind, "spec_version": "2.1", "id": sid, "value": value,
                    **({"object_marking_refs": refs} if refs else {})}

        def observed(refs):
            return {"type": "observed-data", "spec_version": "2.1",
                    "id": "observed-data--" + str(uuid.uuid4()),
                    "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                    "first_observed": "2024-01-01T00:00:00Z",
                    "last_observed": "2024-01-01T00:00:00Z", "number_observed": 1,
                    "object_refs": refs, "object_marking_refs": [self.GREEN]}

        amber_ip = sco("ipv4-addr", "198.51.100.77", [self.AMBER])
        green_domain = sco("domain-name", "green-ref.example", [self.GREEN])
        both = observed([amber_ip["id"], green_domain["id"]])
        only_amber = observed([amber_ip["id"]])
        self.import_bundle("refs.json", [amber_ip, green_domain, both, only_amber])
        proc, port = self.serve()
        try:
            everything = b""
            for path in ("/api/collections/feeds/objects/", "/api/collections/feeds/manifest/",
                         "/api/collections/feeds/objects/?limit=1"):
                status, data = self.get_as_partner(port, path)
                self.assertEqual(status, 200, data)
                everything += data
            for suffix in ("", "versions/"):
                everything += self.get_as_partner(
                    port, f"/api/collections/feeds/objects/{both['id']}/{suffix}")[1]
                # Asked for by name, the others are not found (the 404 names what was asked).
                for oid in (only_amber["id"], amber_ip["id"]):
                    self.assertEqual(self.get_as_partner(
                        port, f"/api/collections/feeds/objects/{oid}/{suffix}")[0], 404)
            status, data = self.get_as_partner(port, f"/api/collections/feeds/objects/{both['id']}/")
            self.assertEqual(status, 200, data)
            got = json.loads(data)["objects"][0]
            self.assertEqual(got["object_refs"], [green_domain["id"]])
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
        everything += self.export("--as", "partner")
        self.assertIn(both["id"].encode(), everything)
        self.assertIn(green_domain["id"].encode(), everything)
        for hidden in (amber_ip["id"], only_amber["id"], "198.51.100.77"):
            self.assertNotIn(hidden.encode(), everything)
        explained = run("policy", "explain", only_amber["id"], "--to", "partner", "--config",
                        self.config, "--store", self.store)
        self.assertIn("reference.invalid", explained)
        self.assertIn(amber_ip["id"], explained)

    def test_a_definition_marked_for_sharing_reaches_the_partner(self):
        """A marking-definition with markings of its own is released under them: one minted with
        `policy marking --tlp green` goes to the GREEN partner, so what it marks can be resolved
        there. One without goes to whoever is cleared for the marking it defines: the unmarked
        RESTRICTED REL TO eu one reaches the partner (cleared RESTRICTED, in eu) over TAXII and
        in `export --as`, the SECRET REL TO NATO one of setUp stays home."""
        shared = json.loads(run("policy", "marking", "--classification", "restricted",
                                "--rel-to", "eu", "--tlp", "green"))
        self.assertEqual(shared["object_marking_refs"], [self.GREEN])
        unmarked = json.loads(run("policy", "marking", "--classification", "restricted",
                                  "--rel-to", "eu", "--caveat", "CYBER"))
        cleared = json.loads(run("policy", "marking", "--classification", "restricted",
                                 "--rel-to", "eu"))
        self.assertNotIn("object_marking_refs", cleared)
        o = indicator(41, tag="policy")
        o["name"] = "p-eu-TOKEN"
        o["object_marking_refs"] = [self.GREEN, shared["id"]]
        self.import_bundle("shared.json", [shared, unmarked, cleared, o])
        data = self.export("--as", "partner")
        self.check_partner_bytes(data)
        self.assertIn(shared["id"].encode(), data)
        self.assertIn(cleared["id"].encode(), data)
        self.assertIn(b"p-eu-TOKEN", data)
        self.assertNotIn(self.secret.encode(), data)  # SECRET REL TO NATO: not cleared
        self.assertNotIn(unmarked["id"].encode(), data)  # the partner lacks the CYBER caveat
        proc, port = self.serve()
        try:
            status, body = self.get_as_partner(
                port, "/api/collections/feeds/objects/?match[type]=marking-definition")
        finally:
            proc.terminate()
            proc.wait()
        self.assertEqual(status, 200, body)
        self.assertNotIn(b"SECRET", body)
        ids = {x["id"] for x in json.loads(body).get("objects", [])}
        self.assertEqual(ids, {shared["id"], cleared["id"]})
        explained = run("policy", "explain", cleared["id"], "--to", "partner", "--store",
                        self.store, "--config", self.config)
        self.assertIn("marking.definition", explained)
        self.assertIn("cleared for the marking it defines", explained)

    def test_audit_log_records_releases_and_verify_detects_tampering(self):
        out = os.path.join(self.dir, "partner.json")
        run("export", "--store", self.store, "--config", self.config, "--collection", "feeds",
            "--as", "partner", "-o", out)
        entries = json.loads(run("audit", "list", "--store", self.store, "--format", "json"))
        kinds = [e["kind"] for e in entries]
        self.assertIn("import", kinds)
        self.assertIn("account-change", kinds)
        self.assertIn("policy-change", kinds)
        release = [e for e in entries if e["kind"] == "release"][-1]
        self.assertIn("2 released, 1 redacted", release["outcome"])
        self.assertIn("granular.redacted", release["rules"])
        self.assertIn("intact", run("audit", "verify", "--store", self.store))
        import sqlite3
        db = sqlite3.connect(self.store[len("sqlite:"):])
        db.execute("UPDATE audit_log SET outcome = 'nothing happened' WHERE seq = 2")
        db.commit()
        db.close()
        p = subprocess.run([CTIHUB, "audit", "verify", "--store", self.store],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("first bad entry 2", p.stdout)

    def test_nothing_is_served_while_the_audit_log_cannot_be_written(self):
        """Found in review: with the log unwritable (a full disk, its head row deleted) partners
        were served and nothing was recorded or said. Now requests get 503 until an entry can
        be written, and the log then says how many events were lost."""
        import sqlite3
        db_path = self.store[len("sqlite:"):]
        proc = subprocess.Popen([CTIHUB, "serve", "--store", self.store, "--listen", "127.0.0.1:0",
                                 "--config", self.config, "--no-access-log"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "CTIHUB_ADMIN_PASSWORD": PASSWORD})
        try:
            port = None
            while port is None:
                line = proc.stdout.readline()
                self.assertTrue(line, proc.stderr.read() if proc.poll() is not None else "")
                m = re.search(r"listening on https?://[^:]+:(\d+)", line)
                port = int(m.group(1)) if m else None
            auth = {"Accept": TAXII, "Authorization": "Basic " + base64.b64encode(
                f"admin:{PASSWORD}".encode()).decode()}

            def get(headers=auth):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                c.request("GET", "/taxii2/", headers=headers)
                r = c.getresponse()
                r.read()
                c.close()
                return r.status

            self.assertEqual(get(), 200)
            time.sleep(0.5)  # the recorder has written the sign-in
            db = sqlite3.connect(db_path)
            db.execute("CREATE TABLE saved AS SELECT * FROM audit_head")
            db.execute("DELETE FROM audit_head")
            db.commit()
            # A refused sign-in is always recorded, in the background: that append fails.
            self.assertEqual(get({**auth, "Authorization": "Basic " + base64.b64encode(
                b"admin:wrong-password-1").decode()}), 401)
            deadline = time.time() + 10
            while get() != 503 and time.time() < deadline:
                time.sleep(0.1)
            self.assertEqual(get(), 503)
            db.execute("INSERT INTO audit_head SELECT * FROM saved")
            db.commit()
            db.close()
            deadline = time.time() + 10
            while get() != 200 and time.time() < deadline:
                time.sleep(0.1)
            self.assertEqual(get(), 200)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        self.assertIn("not recorded", err)
        entries = json.loads(run("audit", "list", "--store", self.store, "--format", "json",
                                 "--kind", "audit-gap"))
        self.assertEqual(len(entries), 1, entries)
        self.assertIn("intact", run("audit", "verify", "--store", self.store))

    def test_a_partners_marking_definition_does_not_release_content(self):
        """A partner with only an inbox posts a `statement` definition under the id of a marking
        nobody here defined: content carrying it stays withheld, from the partner and from
        everybody else, unless the agreement trusts the partner to define markings."""
        undefined = "marking-definition--0badc0de-0000-4000-8000-00000000abcd"
        o = indicator(50, tag="policy")
        o["name"] = "u-undefined-TOKEN"
        o["object_marking_refs"] = [self.GREEN, undefined]
        self.import_bundle("undefined.json", [o])
        run("collection", "grant", "other", "org:partner", "--permission", "write",
            "--store", self.store)
        forged = {"type": "marking-definition", "spec_version": "2.1", "id": undefined,
                  "created": "2020-01-01T00:00:00.000Z", "definition_type": "statement",
                  "definition": {"statement": "free for all"}}
        proc, port = self.serve()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            auth = base64.b64encode(f"pat:{PASSWORD}".encode()).decode()
            c.request("POST", "/api/collections/other/objects/",
                      body=json.dumps({"objects": [forged]}),
                      headers={"Accept": TAXII, "Content-Type": TAXII,
                               "Authorization": "Basic " + auth})
            r = c.getresponse()
            body = r.read()
            self.assertEqual(r.status, 202, body)
            self.assertEqual(json.loads(body)["success_count"], 1, body)
            time.sleep(6)  # past the running node's re-read of the markings
            status, data = self.get_as_partner(port, "/api/collections/feeds/objects/")
            self.assertEqual(status, 200, data)
            self.assertNotIn(b"u-undefined-TOKEN", data)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        out = os.path.join(self.dir, "partner.json")
        run("export", "--store", self.store, "--config", self.config, "--collection", "feeds",
            "--as", "partner", "-o", out)
        with open(out, "rb") as f:
            self.assertNotIn(b"u-undefined-TOKEN", f.read())
        # Trusted by its agreement, the same definition is learned.
        with open(self.config, "a") as f:
            f.write("trust_marking_definitions = true\n")
        run("export", "--store", self.store, "--config", self.config, "--collection", "feeds",
            "--as", "partner", "-o", out)
        with open(out, "rb") as f:
            self.assertIn(b"u-undefined-TOKEN", f.read())

    def test_a_version_raised_above_the_ceiling_leaves_the_last_one_released(self):
        # p-green's next version is re-marked AMBER: the partner keeps receiving the GREEN one as
        # the latest (default match[version]=last, first, manifest, export --as), and nothing it
        # receives says that a newer version exists.
        raised = indicator(0, modified="2021-06-01T00:00:00.000Z", tag="policy")
        raised["name"] = "x-raised-TOKEN"
        raised["object_marking_refs"] = [self.AMBER]
        path = os.path.join(self.dir, "raised.json")
        with open(path, "w") as f:
            json.dump(raised, f)
        run("import", "--store", self.store, "--collection", "feeds", path)
        oid = raised["id"]
        proc, port = self.serve()
        try:
            def get(path):
                status, data = self.get_as_partner(port, path)
                self.assertEqual(status, 200, data)
                self.assertNotIn(b"x-raised", data)
                self.assertNotIn(b"2021-06-01", data)
                return json.loads(data)

            for query in ("", "?match[version]=last", "?match[version]=first",
                          "?match[version]=all", "?limit=1", f"?match[id]={oid}"):
                names = [o["name"] for o in get("/api/collections/feeds/objects/" + query)["objects"]]
                self.assertIn("p-green-TOKEN", names, query)
            manifest = get("/api/collections/feeds/manifest/")["objects"]
            self.assertEqual(len(manifest), 2)
            self.assertIn({"id": oid, "version": "2021-01-01T00:00:00.000Z"},
                          [{"id": m["id"], "version": m["version"]} for m in manifest])
            self.assertEqual(get(f"/api/collections/feeds/objects/{oid}/versions/")["versions"],
                             ["2021-01-01T00:00:00.000Z"])
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
        data = self.export("--as", "partner")
        self.check_partner_bytes(data)
        self.assertNotIn(b"x-raised", data)
        self.assertEqual(len(json.loads(data)["objects"]), 2)
        # Unrestricted, the latest version is the AMBER one.
        self.assertIn(b"x-raised-TOKEN", self.export())

    def test_deleting_what_it_posted_tells_a_partner_nothing_about_what_it_may_not_see(self):
        """A partner may post and delete. A version it posts of an object it may not see is
        refused by the store (it came from another source) but reported as a success, since a
        failure would confirm the hidden object; deleting it then answers 200, exactly as
        deleting an upload that was stored does, and never 404 (found in review)."""
        run("collection", "grant", "feeds", "org:partner", "--permission", "read-write",
            "--store", self.store)
        proc, port = self.serve()
        try:
            auth = base64.b64encode(f"pat:{PASSWORD}".encode()).decode()

            def call(method, path, body=None):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                headers = {"Accept": TAXII, "Authorization": "Basic " + auth}
                if body is not None:
                    headers["Content-Type"] = TAXII
                    body = json.dumps(body)
                c.request(method, path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                c.close()
                return r.status, data

            objects = "/api/collections/feeds/objects/"
            hidden = indicator(1, tag="policy")               # x-amber: withheld from it
            same_version = dict(hidden, name="probe")         # its version, other content
            newer = dict(hidden, modified="2022-01-01T00:00:00.000Z")  # a new version of it
            fresh = indicator(7, tag="never-stored")          # nothing here has this id
            for probe in (same_version, newer, fresh):
                status, data = call("POST", objects, {"objects": [probe]})
                self.assertEqual(status, 202, data)
                answer = json.loads(data)
                self.assertEqual(answer["success_count"], 1, data)
                self.assertNotIn(b"already", data)
            # Each is deleted as the partner's own: the same answer either way.
            for probe in (hidden, fresh):
                status, data = call("DELETE", objects + probe["id"] + "/")
                self.assertEqual(status, 200, data)
                status, _ = call("DELETE", objects + probe["id"] + "/")
                self.assertEqual(status, 404)
            # An id it never posted is not found whether the hub holds it or not.
            for oid in (indicator(2, tag="policy")["id"], indicator(8, tag="never-stored")["id"]):
                self.assertEqual(call("DELETE", objects + oid + "/")[0], 404)
            # match[version] selects among the versions it posted, as among stored ones.
            status, _ = call("POST", objects, {"objects": [newer]})
            self.assertEqual(status, 202)
            path = objects + hidden["id"] + "/?match[version]=2021-01-01T00:00:00.000Z"
            self.assertEqual(call("DELETE", path)[0], 404)
            path = objects + hidden["id"] + "/?match[version]=2022-01-01T00:00:00.000Z"
            self.assertEqual(call("DELETE", path)[0], 200)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
        # What the hub held is untouched: the hidden object and its one version.
        held = json.loads(self.export())["objects"]
        self.assertEqual(len(held), 6)
        kept = [o for o in held if o["id"] == hidden["id"]]
        self.assertEqual([(o["name"], o["modified"]) for o in kept],
                         [("x-amber-TOKEN", hidden["modified"])])

    def test_export_as_partner_and_policy_explain(self):
        data = self.export("--as", "partner")
        self.check_partner_bytes(data)
        self.assertEqual(len(json.loads(data)["objects"]), 2)
        self.assertEqual(len(json.loads(self.export())["objects"]), 6)
        text = run("policy", "explain", indicator(2, tag="policy")["id"], "--to", "partner",
                   "--store", self.store, "--config", self.config)
        self.assertIn("WITHHOLD", text)
        self.assertIn("[classification.clearance]", text)
        self.assertIn("[releasability]", text)
        text = run("policy", "explain", indicator(4, tag="policy")["id"], "--to", "pat",
                   "--store", self.store, "--config", self.config)
        self.assertIn("RELEASE REDACTED", text)
        self.assertIn("removed: description", text)
        # Without the node's config the partner would be judged as a local organisation (AMBER,
        # no agreement, no sanitization): naming a recipient without it is refused.
        out = os.path.join(self.dir, "no-config.json")
        for args in (["export", "--collection", "feeds", "--as", "partner", "-o", out],
                     ["policy", "explain", indicator(2, tag="policy")["id"], "--to", "partner"]):
            r = subprocess.run([CTIHUB, *args, "--store", self.store], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 2, r.stdout)
            self.assertIn("needs --config", r.stderr)
            self.assertNotIn(b"x-amber", r.stdout.encode())
        self.assertFalse(os.path.exists(out))
        # Without a read grant the partner would get nothing over TAXII: nor from export --as.
        run("collection", "revoke", "feeds", "org:partner", "--store", self.store)
        r = subprocess.run([CTIHUB, "export", "--store", self.store, "--config", self.config,
                            "--collection", "feeds", "--as", "partner",
                            "-o", os.path.join(self.dir, "partner.json")],
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no read grant", r.stderr)
        # policy explain says the same (found in review: it said RELEASE).
        text = run("policy", "explain", indicator(0, tag="policy")["id"], "--to", "partner",
                   "--store", self.store, "--config", self.config)
        self.assertIn("decision: WITHHOLD", text)
        self.assertIn("[access.grant] organisation partner has no read grant", text)
        self.assertIn("by its labels and the agreement alone: RELEASE", text)

    def test_explain_names_the_older_version_a_partner_is_served(self):
        """Found in review: with the latest version withheld, explain said WITHHOLD while every
        path served the partner the previous version (without its revocation)."""
        v1 = indicator(20, modified="2025-01-01T00:00:00.000Z", tag="policy")
        v1["object_marking_refs"] = [self.GREEN]
        v2 = dict(v1, modified="2025-02-01T00:00:00.000Z", object_marking_refs=[self.AMBER],
                  revoked=True)
        self.import_bundle("versions.json", [v1, v2])
        text = run("policy", "explain", v1["id"], "--to", "partner", "--store", self.store,
                   "--config", self.config)
        self.assertIn("(version 2025-02-01T00:00:00.000Z)", text)
        self.assertIn("decision: WITHHOLD", text)
        self.assertIn("served instead: version 2025-01-01T00:00:00.000Z (RELEASE)", text)
        self.assertIn("the latest revokes the object", text)
        served = [o for o in json.loads(self.export("--as", "partner"))["objects"]
                  if o["id"] == v1["id"]]
        self.assertEqual([o["modified"] for o in served], [v1["modified"]])


class ConfigAndTls(unittest.TestCase):
    """A node described by a TOML file: API roots, collections, organisations, users, grants,
    TLS with client certificates; and the errors a bad file gets."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ctihub-taxii-cfg-")
        self.store = "sqlite:" + os.path.join(self.dir, "hub.db")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def serve(self, *args):
        p = subprocess.run([CTIHUB, "serve", "--store", self.store, "--listen", "127.0.0.1:0",
                            *args], capture_output=True, text=True, timeout=30,
                           env={**os.environ, "CTIHUB_ADMIN_PASSWORD": PASSWORD})
        return p.returncode, p.stdout + p.stderr

    def test_a_config_with_only_other_users_still_gets_an_administrator(self):
        """The users a file declares are applied first; a node none of them administers still
        gets `admin`, in the node's organisation, which exists as an organisation."""
        self.write("a.pw", "analyst-password-1\n")
        config = self.write("hub.toml", '[[organisations]]\nname = "cert-eu"\n'
                            '[[users]]\nname = "analyst1"\norganisation = "cert-eu"\n'
                            'password_file = "a.pw"\n')
        proc = subprocess.Popen([CTIHUB, "serve", "--store", self.store, "--listen",
                                 "127.0.0.1:0", "--config", config], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "CTIHUB_ADMIN_PASSWORD": PASSWORD})
        try:
            out = ""
            line = proc.stdout.readline()
            while "listening on" not in line:
                if not line:  # only then: reading stderr waits for the server to end
                    self.fail(proc.stderr.read())
                out += line
                line = proc.stdout.readline()
            self.assertIn("created user 'admin'", out)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
        users = run("user", "list", "--store", self.store)
        self.assertRegex(users, r"admin\s+local\s+yes")
        # The node's organisation exists, so its users can be added as the docs show.
        self.assertRegex(run("org", "list", "--store", self.store), r"\blocal\s+This node")

    def test_bad_config_files_name_the_problem(self):
        cases = {
            "[server]\nlisten = 9443\n": "server.listen: must be a string",
            "[server]\nlisen = \"x\"\n": "server.lisen: unknown setting",
            "[nodes]\nname = \"x\"\n": "unknown section 'nodes'",
            "[[grants]]\ncollection = \"nope\"\ngrantee = \"*\"\n": "no such collection",
            "[server]\nlisten = \"x\n": "hub.toml:2",
            "[tls]\ncertificate = \"a.pem\"\n": "needs both certificate and private_key",
            # An empty profile name would mean "no sanitization" for a partner meant to get one.
            "[[agreements]]\npartner = \"p\"\nsanitization = \"\"\n": "sanitization: is empty",
            "[[sanitization_profiles]]\nname = \"eu\"\n[[sanitization_profiles]]\nname = \"eu\"\n"
            "defang = true\n": "'eu' names two profiles",
            "[[sanitization_profiles]]\nname = \"eu\"\nkey_file = \"empty.key\"\n":
                "the first line of empty.key holds 0",
            # One thing declared twice: the last one won by accident.
            "[[organisations]]\nname = \"a\"\n[[organisations]]\nname = \"a\"\n": "'a' is declared twice",
            "[[users]]\nname = \"u\"\n[[users]]\nname = \"u\"\n": "'u' is declared twice",
            "[[collections]]\nalias = \"c\"\n[[collections]]\nalias = \"c\"\n": "'c' is declared twice",
            "[[grants]]\ncollection = \"c\"\ngrantee = \"*\"\n[[grants]]\ncollection = \"c\"\n"
            "grantee = \"*\"\npermission = \"read-write\"\n": "granted to * twice",
            "[[api_roots]]\nname = \"a\"\ndefault = true\n[[api_roots]]\nname = \"b\"\n"
            "default = true\n": "both say default = true",
        }
        self.write("empty.key", "")
        for text, expected in cases.items():
            code, out = self.serve("--config", self.write("hub.toml", text))
            self.assertEqual(code, 2, text)
            self.assertIn(expected, out, text)

    def test_config_changes_are_audited_even_when_the_start_fails(self):
        """Found in review: accounts and grants set by the file were applied without an audit
        entry, and a start that failed part-way kept its changes unrecorded."""
        self.write("a.pw", "analyst-password-1\n")
        run("collection", "create", "shared", "--store", self.store)
        config = self.write("hub.toml", '[[organisations]]\nname = "cert-nl"\n'
                            '[[users]]\nname = "a1"\norganisation = "cert-nl"\nadmin = true\n'
                            'password_file = "a.pw"\n'
                            '[[grants]]\ncollection = "shared"\ngrantee = "org:ghost"\n'
                            'permission = "read"\n')
        code, out = self.serve("--config", config)
        self.assertEqual(code, 2, out)
        self.assertIn("no organisation 'ghost'", out)
        # Refused before anything changed (found in review: the users before it were made).
        self.assertNotIn("a1", run("user", "list", "--store", self.store))
        # What cannot be checked before (here a password too short) fails part-way: what was
        # made before it is recorded.
        self.write("a.pw", "short\n")
        config = self.write("hub.toml", '[[organisations]]\nname = "cert-nl"\n'
                            '[[users]]\nname = "a1"\norganisation = "cert-nl"\nadmin = true\n'
                            'password_file = "a.pw"\n')
        code, out = self.serve("--config", config)
        self.assertEqual(code, 2, out)
        entries = json.loads(run("audit", "list", "--store", self.store, "--format", "json"))
        by_subject = {e["subject"]: e for e in entries if e["actor"].startswith("config:")}
        self.assertIn("added", by_subject["org:cert-nl"]["outcome"])
        self.assertNotIn("user:a1", by_subject)
        self.assertNotIn("node-start", [e["kind"] for e in entries], "it never served")
        self.assertIn("intact", run("audit", "verify", "--store", self.store))
        # A start that works: the grant the file sets, and later removes, is recorded both times.
        config = self.write("hub.toml", '[[grants]]\ncollection = "shared"\n'
                            'grantee = "org:cert-nl"\npermission = "read-write"\n')
        for text in (None, ""):
            if text is not None:
                config = self.write("hub.toml", text)
            proc = subprocess.Popen([CTIHUB, "serve", "--store", self.store, "--listen",
                                     "127.0.0.1:0", "--config", config], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True,
                                    env={**os.environ, "CTIHUB_ADMIN_PASSWORD": PASSWORD})
            try:
                while "listening on" not in proc.stdout.readline():
                    self.assertIsNone(proc.poll(), proc.stderr.read() if proc.poll() else "")
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=30)
        entries = json.loads(run("audit", "list", "--store", self.store, "--format", "json"))
        grants = [e["outcome"] for e in entries if e["kind"] == "policy-change"
                  and e["actor"].startswith("config:")]
        self.assertIn("grant org:cert-nl: none→read-write", grants)
        self.assertIn("grant org:cert-nl: read-write→none", grants)
        start = [e for e in entries if e["kind"] == "node-start"][0]
        self.assertRegex(json.loads(start["details"])["config_sha256"], r"^[0-9a-f]{64}$")
        # What the node creates is its operator's alone, whatever the umask.
        for name in ("hub.db", "hub.db.audit-key"):
            self.assertEqual(os.stat(os.path.join(self.dir, name)).st_mode & 0o077, 0, name)

    def test_serve_refuses_settings_that_would_misbehave(self):
        cert = self.write("c.pem", "x")
        key = self.write("k.pem", "x")
        config = self.write("tls.toml", f'[tls]\ncertificate = "{cert}"\nprivate_key = "{key}"\n')
        code, out = self.serve("--config", config, "--dev-tls")
        self.assertEqual(code, 2, out)
        self.assertIn("--dev-tls would replace the [tls]", out)
        code, out = self.serve("--threads", "100000")
        self.assertEqual(code, 2, out)
        self.assertIn("at most 1024", out)
        code, out = self.serve("--config", self.write("m.toml", "[server]\nmax_connections = 0\n"))
        self.assertEqual(code, 2, out)
        self.assertIn("max_connections: must be positive", out)

    def test_restart_with_config_keeps_cli_changes_and_revokes_removed_grants(self):
        self.write("pw", PASSWORD + "\r\n")  # a file with CRLF line ends works
        base = """
[[collections]]
alias = "feeds"
[[organisations]]
name = "partner"
[[users]]
name = "ana"
organisation = "partner"
password_file = "pw"
"""
        grant = """
[[grants]]
collection = "feeds"
grantee = "user:ana"
permission = "read"
"""
        self.apply_config(self.write("hub.toml", base + grant))
        self.assertIn("user:ana", run("collection", "grants", "feeds", "--store", self.store))
        run("user", "set", "ana", "--disabled", "true", "--store", self.store)
        # The same file again, then one saying disabled = false: ana stays disabled, with a note.
        self.apply_config(self.write("hub.toml", base + grant))
        self.assertRegex(run("user", "list", "--store", self.store), r"ana\s+partner\s+no\s+yes")
        err = self.apply_config(self.write("hub.toml", base + "disabled = false\n" + grant))
        self.assertRegex(run("user", "list", "--store", self.store), r"ana\s+partner\s+no\s+yes")
        self.assertIn("stays disabled", err)
        # A grant removed from the file is revoked; one made from the CLI is left alone.
        run("collection", "grant", "feeds", "org:partner", "--permission", "read",
            "--store", self.store)
        self.apply_config(self.write("hub.toml", base))
        grants = run("collection", "grants", "feeds", "--store", self.store)
        self.assertNotIn("user:ana", grants)
        self.assertIn("org:partner", grants)

    def apply_config(self, config):
        """Starts the server with the config (which applies it), then stops it."""
        proc = subprocess.Popen([CTIHUB, "serve", "--store", self.store, "--listen", "127.0.0.1:0",
                                 "--config", config, "--no-access-log"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "CTIHUB_ADMIN_PASSWORD": PASSWORD})
        line = proc.stdout.readline()
        while "listening on" not in line:
            if not line:  # stdout closed: the server exited, and its stderr says why
                self.fail(proc.stderr.read())
            line = proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        return err

    def test_misspelt_root_collection_and_memory_store_are_refused(self):
        code, out = self.serve("--config", self.write("hub.toml", """
[[api_roots]]
name = "exercise"
collections = ["exercsie"]
"""))
        self.assertEqual(code, 2)
        self.assertIn("names collection 'exercsie', which does not exist", out)
        p = subprocess.run([CTIHUB, "serve", "--store", "memory:", "--listen", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("needs a persistent store", p.stderr)

    def test_configured_node_with_mutual_tls(self):
        # A CA-less setup: the partner's self-signed certificate is its own trust anchor.
        partner_cert = os.path.join(self.dir, "partner.pem")
        partner_key = os.path.join(self.dir, "partner.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                        "/CN=partner-node", "-keyout", partner_key, "-out", partner_cert],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", partner_cert, "-outform", "DER"],
                             check=True, capture_output=True).stdout
        import hashlib
        fingerprint = hashlib.sha256(der).hexdigest()
        server_cert = os.path.join(self.dir, "server.pem")
        server_key = os.path.join(self.dir, "server.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", server_key, "-out",
                        server_cert], check=True, capture_output=True)
        self.write("analyst.pw", PASSWORD + "\n")
        config = self.write("hub.toml", f"""
[node]
name = "test-node"
title = "Test node"
[server]
public_discovery = true
page_size = 2
[tls]
certificate = "server.pem"
private_key = "server.key"
client_ca = "partner.pem"
[[api_roots]]
name = "shared"
collections = ["*"]
default = true
[[api_roots]]
name = "exercise"
collections = ["ex"]
[[collections]]
alias = "ex"
title = "Exercise"
[[collections]]
alias = "feeds"
[[organisations]]
name = "partner"
[[users]]
name = "partner-node"
organisation = "partner"
certificate_sha256 = "{fingerprint}"
password_file = "analyst.pw"
[[users]]
name = "root"
organisation = "partner"
admin = true
password_file = "analyst.pw"
[[grants]]
collection = "ex"
grantee = "org:partner"
permission = "read-write"
""")
        proc = subprocess.Popen([CTIHUB, "serve", "--store", self.store, "--listen", "127.0.0.1:0",
                                 "--config", config, "--no-access-log"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "CTIHUB_ADMIN_PASSWORD": PASSWORD})
        try:
            line = proc.stdout.readline()
            while "listening on" not in line:
                if not line:  # stdout closed: the server exited, and its stderr says why
                    self.fail(proc.stderr.read())
                line = proc.stdout.readline()
            self.assertIn("https://", line)
            port = int(re.search(r":(\d+)/", line).group(1))
            import ssl
            ctx = ssl.create_default_context(cafile=server_cert)
            ctx.load_cert_chain(partner_cert, partner_key)

            def get(path, context=ctx, auth=None):
                c = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
                h = {"Accept": TAXII}
                if auth:
                    h["Authorization"] = auth
                c.request("GET", path, headers=h)
                r = c.getresponse()
                body = r.read()
                c.close()
                return r.status, json.loads(body or b"null")

            # The client certificate alone identifies the partner.
            status, d = get("/taxii2/")
            self.assertEqual(status, 200)
            self.assertEqual(d["title"], "Test node")
            self.assertTrue(d["default"].endswith("/shared/"))
            status, cols = get("/exercise/collections/")
            self.assertEqual([c["alias"] for c in cols["collections"]], ["ex"])
            # "ex" is named by another root, so the "*" root does not serve it.
            status, cols = get("/shared/collections/")
            self.assertNotIn("collections", cols)
            # Without a client certificate: discovery is public (title only), the rest is not.
            anon = ssl.create_default_context(cafile=server_cert)
            status, d = get("/taxii2/", context=anon)
            self.assertEqual((status, d.get("api_roots")), (200, None))
            self.assertEqual(get("/exercise/collections/", context=anon)[0], 401)
            admin = "Basic " + base64.b64encode(f"root:{PASSWORD}".encode()).decode()
            status, cols = get("/shared/collections/", context=anon, auth=admin)
            self.assertEqual([c["alias"] for c in cols["collections"]], ["feeds"])
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
