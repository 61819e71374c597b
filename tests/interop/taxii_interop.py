#!/usr/bin/python3
"""Interoperability test of a TAXII 2.1 server against the OASIS reference Python clients.

Talks to the server only through taxii2client.v21 (Server, ApiRoot, Collection, as_pages) and
builds and compares content with stix2, the way an outside consumer of ctihub would; a few checks
that the client library hides (HTTP status codes, headers) use the client's own session.

    /usr/bin/python3 tests/interop/taxii_interop.py --url http://127.0.0.1:PORT/taxii2/ \\
        --api-root /api/ --collection COLLECTION_ID (--user U --password P | --token T)

The libraries are the OASIS sources, not installed packages: set PYTHONPATH to the source
folders of cti-taxii-client, cti-python-stix2 and cti-pattern-validator (stix2 imports
stix2patterns); see /work/shared/docs/ANCHORS.md. Run with Debian's /usr/bin/python3, which has
python3-requests, -six, -tz, -simplejson and -antlr4.

Each check prints one line, PASS or FAIL with a short reason. Exit status: 0 every check passed,
1 some check failed, 2 usage error, 77 (skip) the libraries cannot be imported.
The collection must be writable by the given user; each run adds new objects (fresh ids) and
leaves them there.
"""
import argparse
import datetime as dt
import json
import sys
import time
import traceback
import urllib.parse

SKIP = 77

try:
    import requests
    import stix2
    from stix2.utils import parse_into_datetime
    from taxii2client.v21 import ApiRoot, Collection, Server, as_pages
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"SKIP: cannot import the OASIS TAXII/STIX libraries ({e}).")
    print("  Get the sources of oasis-open/cti-taxii-client, oasis-open/cti-python-stix2 and")
    print("  oasis-open/cti-pattern-validator (see /work/shared/docs/ANCHORS.md) and run with")
    print("  PYTHONPATH=<cti-taxii-client>:<cti-python-stix2>:<cti-pattern-validator> /usr/bin/python3")
    print("  (Debian packages: python3-requests python3-six python3-tz python3-simplejson"
          " python3-antlr4).")
    sys.exit(SKIP)

TAXII21 = "application/taxii+json;version=2.1"
STIX21 = "application/stix+json;version=2.1"


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = "Bearer " + self.token
        return r


class Report:
    """Counts and prints checks. A check whose name contains one of the --xfail strings is a
    known deviation of the server under test: its failure prints XFAIL and is not counted as a
    failure; its success prints XPASS and counts as a failure (the note is out of date)."""

    def __init__(self, xfail=()):
        self.passed = 0
        self.failed = 0
        self.xfailed = 0
        self.xfail = list(xfail)

    def check(self, name, ok, reason=""):
        expected_failure = any(x in name for x in self.xfail)
        if ok and not expected_failure:
            self.passed += 1
            print(f"PASS {name}" + (f" ({reason})" if reason else ""))
        elif ok:
            self.failed += 1
            print(f"FAIL {name}: XPASS, passed although --xfail names it ({reason})")
        elif expected_failure:
            self.xfailed += 1
            print(f"XFAIL {name}: {reason}")
        else:
            self.failed += 1
            print(f"FAIL {name}: {reason}")
        sys.stdout.flush()
        return ok

    def summary(self):
        extra = f", {self.xfailed} expected failures" if self.xfailed else ""
        print(f"\n{self.passed} passed, {self.failed} failed{extra}")
        return 0 if self.failed == 0 else 1


def describe(exc):
    """A one-line account of an exception, with the HTTP exchange when there is one."""
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        r = exc.response
        body = r.text[:300].replace("\n", " ")
        return f"HTTP {r.status_code} for {r.request.method} {r.request.url}: {body}"
    return f"{type(exc).__name__}: {exc}"


def ts(value):
    """A STIX/TAXII timestamp (string or datetime) as a datetime, at the precision given."""
    return parse_into_datetime(value) if value else None


def key(obj_id, version):
    return (obj_id, ts(version).isoformat())


def objects_of(envelope):
    return envelope.get("objects", []) if envelope else []


def version_of(obj):
    return obj.get("modified") or obj.get("created")


def same_stix(received, sent):
    """Compares a received JSON object with a sent stix2 object after stix2.parse.

    Returns (True, "") or (False, reason naming the properties that differ)."""
    got = stix2.parse(received, allow_custom=True)
    a, b = dict(got), dict(sent)
    if a == b:
        return True, ""
    diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    detail = "; ".join(f"{k}: sent {b.get(k)!r} got {a.get(k)!r}" for k in diff[:3])
    return False, f"{got['id']} differs in {', '.join(diff)}: {detail}"


def make_objects(n, run_tag):
    """n STIX objects: groups of indicator, malware, relationship(indicator indicates malware)."""
    objs = []
    i = 0
    while len(objs) < n:
        ind = stix2.Indicator(
            name=f"interop {run_tag} indicator {i}",
            pattern=f"[ipv4-addr:value = '198.51.{i // 256 % 256}.{i % 256}']",
            pattern_type="stix", valid_from="2024-01-01T00:00:00Z",
            indicator_types=["malicious-activity"], labels=[f"interop-{run_tag}"])
        objs.append(ind)
        if len(objs) < n:
            mal = stix2.Malware(name=f"interop {run_tag} malware {i}", is_family=False,
                                malware_types=["trojan"])
            objs.append(mal)
            if len(objs) < n:
                objs.append(stix2.Relationship(ind, "indicates", mal))
        i += 1
    return objs


def envelope(objs):
    return {"objects": [json.loads(o.serialize()) for o in objs]}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True,
                   help="discovery URL, e.g. http://127.0.0.1:8443/taxii2/")
    p.add_argument("--api-root", required=True,
                   help="API root path or URL, e.g. /api1/ (resolved against --url), or 'default' "
                        "for the discovery resource's default (or only) API root")
    p.add_argument("--collection", required=True, help="id of a collection the user can write")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--token", help="Bearer token (instead of --user/--password)")
    p.add_argument("--readonly-user", help="optional: a user who may read but not write the "
                   "collection (checks can_write=false and 403/404 on POST)")
    p.add_argument("--readonly-password")
    p.add_argument("--readonly-token")
    p.add_argument("--objects", type=int, default=30, help="objects in the envelope (>= 3)")
    p.add_argument("--page-size", type=int, default=7, help="per_request for as_pages")
    p.add_argument("--status-timeout", type=float, default=60)
    p.add_argument("--xfail", action="append", default=[], metavar="TEXT",
                   help="a known deviation of the server: checks whose name contains TEXT may "
                        "fail without failing the run (repeatable)")
    a = p.parse_args(argv)
    if not a.token and not (a.user and a.password):
        p.error("give --user and --password, or --token")
    if a.objects < 3:
        p.error("--objects must be at least 3")

    r = Report(a.xfail)
    auth = dict(auth=BearerAuth(a.token)) if a.token else dict(user=a.user, password=a.password)
    bad_auth = (dict(auth=BearerAuth(a.token + "x")) if a.token
                else dict(user=a.user, password=a.password + "-wrong"))
    run_tag = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")

    # --- 4.1 discovery --------------------------------------------------------------------------
    server = Server(a.url, **auth)
    try:
        title = server.title
        roots = [urllib.parse.urljoin(a.url, x.url) for x in server.api_roots]
        if a.api_root == "default":
            if server.default is not None:
                api_url = urllib.parse.urljoin(a.url, server.default.url)
            elif len(roots) == 1:
                api_url = roots[0]
            else:
                raise ValueError(f"--api-root default: no default and {len(roots)} API roots")
        else:
            api_url = urllib.parse.urljoin(a.url, a.api_root)
        if not api_url.endswith("/"):
            api_url += "/"
        coll_url = f"{api_url}collections/{a.collection}/"
        r.check("discovery: title", bool(title), f"title {title!r}")
        r.check("discovery: api_roots lists the API root", api_url in roots,
                f"{api_url} in {roots}" if api_url in roots else f"{api_url} not in {roots}")
        if server.default:
            print(f"     default API root: {server.default.url}")
    except Exception as e:
        r.check("discovery", False, describe(e))
        return r.summary() or 1

    # --- 4.2 API root information ---------------------------------------------------------------
    api = ApiRoot(api_url, **auth)
    try:
        api.refresh_information()
        r.check("api root: information", bool(api.title) and TAXII21 in api.versions
                and isinstance(api.max_content_length, int) and api.max_content_length > 0,
                f"title {api.title!r}, versions {api.versions}, "
                f"max_content_length {api.max_content_length}")
    except Exception as e:
        r.check("api root: information", False, describe(e))

    # --- 5.1/5.2 collections ------------------------------------------------------------------------
    coll = None
    try:
        api.refresh_collections()
        ids = [c.id for c in api.collections]
        match = [c for c in api.collections if c.id == a.collection]
        if r.check("collections: lists the collection", bool(match),
                   f"{len(ids)} collection(s)" if match else f"{a.collection} not in {ids}"):
            coll = match[0]
            r.check("collections: collection is readable and writable",
                    coll.can_read and coll.can_write,
                    f"can_read={coll.can_read} can_write={coll.can_write}")
            mt = coll.media_types
            r.check("collections: media_types", mt is None or any(
                m.replace(" ", "").startswith("application/stix+json") for m in mt), f"{mt}")
        single = Collection(coll_url, **auth)
        single.refresh()
        r.check("get a collection", single.id == a.collection and bool(single.title),
                f"title {single.title!r}")
        if coll is None:
            coll = single
    except Exception as e:
        r.check("collections", False, describe(e))
    if coll is None:
        return r.summary() or 1
    session = coll._conn.session  # the client's own requests.Session, with its auth

    def raw(method, url, **kw):
        headers = {"Accept": TAXII21}
        headers.update(kw.pop("headers", {}))
        return session.request(method, url, headers=headers, timeout=60, **kw)

    # --- 5.5 add objects ----------------------------------------------------------------------------
    sent = make_objects(a.objects, run_tag)
    sent_by_id = {o.id: o for o in sent}
    our_ids = sorted(sent_by_id)
    added = False
    try:
        t0 = time.time()
        status = coll.add_objects(envelope(sent), wait_for_completion=True, poll_interval=0.5,
                                  timeout=a.status_timeout)
        took = time.time() - t0
        ok = (status.status == "complete" and status.total_count == len(sent)
              and status.success_count == len(sent) and status.failure_count == 0
              and status.pending_count == 0)
        r.check("add objects: status complete, all succeeded", ok,
                f"status {status.status}, total {status.total_count}, successes "
                f"{status.success_count}, failures {status.failure_count}, pending "
                f"{status.pending_count}, {took:.2f} s")
        added = ok or status.success_count > 0
        if status.successes:
            got = {s.get("id") for s in status.successes}
            r.check("add objects: successes name every object", got == set(our_ids),
                    f"{len(got)} ids" if got == set(our_ids)
                    else f"missing {sorted(set(our_ids) - got)[:3]}")
        if status.failures:
            print(f"     failures: {status.failures[:3]}")
        st2 = api.get_status(status.id)
        r.check("get status: same counts", st2.id == status.id
                and st2.success_count == status.success_count and st2.status == status.status,
                f"status {st2.status}, successes {st2.success_count}")
    except Exception as e:
        r.check("add objects", False, describe(e))
    if not added:
        return r.summary() or 1

    # --- 5.4 get objects with filters -----------------------------------------------------------------
    indicators = sorted(i for i in our_ids if i.startswith("indicator--"))
    try:
        env = coll.get_objects(type="indicator", id=our_ids)
        got = [o["id"] for o in objects_of(env)]
        r.check("get objects: match[type]=indicator&match[id]=…", sorted(got) == indicators,
                f"{len(got)} indicator(s)" if sorted(got) == indicators
                else f"expected {len(indicators)} indicators, got {len(got)}: {got[:3]}")
        env = coll.get_objects(type="malware,relationship", id=our_ids)
        want = sorted(i for i in our_ids if not i.startswith("indicator--"))
        got = sorted(o["id"] for o in objects_of(env))
        r.check("get objects: match[type]=malware,relationship (OR)", got == want,
                f"{len(got)} object(s)" if got == want else f"expected {len(want)}, got {len(got)}")
        env = coll.get_objects(id=our_ids)
        bad = []
        for o in objects_of(env):
            same, why = same_stix(o, sent_by_id[o["id"]]) if o["id"] in sent_by_id else (
                False, f"unexpected {o['id']}")
            if not same:
                bad.append(why)
        n = len(objects_of(env))
        r.check("get objects: match[id] returns what was sent (stix2.parse equal)",
                n == len(sent) and not bad,
                f"{n} objects equal" if not bad and n == len(sent)
                else (bad[0] if bad else f"expected {len(sent)}, got {n}"))
        resp = raw("GET", coll_url + "objects/", params={"match[id]": indicators[0]})
        ctype = resp.headers.get("Content-Type", "")
        r.check("get objects: HTTP 200, Content-Type taxii+json;version=2.1",
                resp.status_code == 200 and ctype.replace(" ", "").lower() == TAXII21,
                f"HTTP {resp.status_code}, Content-Type {ctype!r}")
        first = resp.headers.get("X-TAXII-Date-Added-First")
        last = resp.headers.get("X-TAXII-Date-Added-Last")
        r.check("get objects: X-TAXII-Date-Added-First/Last headers (3.2)",
                bool(first) and bool(last) and ts(first) is not None,
                f"first {first!r}, last {last!r}")
        resp = raw("GET", coll_url + "objects/", params={"match[type]": "x-no-such-type"})
        body = resp.json() if resp.status_code == 200 else None
        r.check("get objects: no match gives 200 and an empty envelope (5.4)",
                resp.status_code == 200 and not objects_of(body) and not (body or {}).get("more"),
                f"HTTP {resp.status_code}, body {resp.text[:120]!r}")
    except Exception as e:
        r.check("get objects", False, describe(e))

    # --- 5.6 get an object ----------------------------------------------------------------------------
    target = sent_by_id[indicators[0]]
    try:
        env = coll.get_object(target.id)
        objs = objects_of(env)
        same, why = same_stix(objs[0], target) if len(objs) == 1 else (False, f"{len(objs)} objects")
        r.check("get an object: by id, equal to what was sent", same, why or target.id)
        resp = raw("GET", coll_url + "objects/indicator--00000000-0000-4000-8000-000000000000/")
        r.check("get an object: unknown id gives 404 (5.6)", resp.status_code == 404,
                f"HTTP {resp.status_code}")
        err = resp.json() if resp.status_code >= 400 and resp.content else {}
        ctype = resp.headers.get("Content-Type", "")
        r.check("errors: error resource with title, taxii+json (3.6.1)",
                isinstance(err, dict) and bool(err.get("title"))
                and ctype.replace(" ", "").lower() == TAXII21
                and str(err.get("http_status", resp.status_code)) == str(resp.status_code),
                f"Content-Type {ctype!r}, body {resp.text[:160]!r}")
    except Exception as e:
        r.check("get an object", False, describe(e))

    # --- second version, 5.8 versions, match[version], added_after ---------------------------------------
    time.sleep(1.1)  # so the second version's date_added is strictly later than the first batch's
    v2 = target.new_version(description=f"second version {run_tag}",
                            modified=target.modified + dt.timedelta(seconds=1))
    v1_ver, v2_ver = target.modified, v2.modified
    try:
        resp = raw("POST", coll_url + "objects/", headers={"Content-Type": TAXII21},
                   data=json.dumps(envelope([v2])).encode())
        ok = resp.status_code == 202
        body = resp.json() if resp.content else {}
        r.check("add objects: HTTP 202 with a status resource (5.5)",
                ok and body.get("id") and body.get("total_count") == 1,
                f"HTTP {resp.status_code}, status {body.get('status')!r}, "
                f"successes {body.get('success_count')}")
        if body.get("status") == "pending" and body.get("id"):
            api.get_status(body["id"]).wait_until_final(0.5, a.status_timeout)
    except Exception as e:
        r.check("add a second version", False, describe(e))

    try:
        env = coll.get_object(target.id)
        objs = objects_of(env)
        r.check("get an object: default match[version]=last gives the newest",
                len(objs) == 1 and ts(version_of(objs[0])) == v2_ver,
                f"got versions {[version_of(o) for o in objs]}")
        env = coll.get_object(target.id, version="all")
        vers = sorted(ts(version_of(o)) for o in objects_of(env))
        r.check("get an object: match[version]=all gives both versions",
                vers == sorted([v1_ver, v2_ver]), f"got {[str(v) for v in vers]}")
        same = [o for o in objects_of(env) if ts(version_of(o)) == v2_ver]
        if same:
            eq, why = same_stix(same[0], v2)
            r.check("get an object: second version equal to what was sent", eq, why or "equal")
        env = coll.get_object(target.id, version="first")
        objs = objects_of(env)
        r.check("get an object: match[version]=first gives the original",
                len(objs) == 1 and ts(version_of(objs[0])) == v1_ver,
                f"got {[version_of(o) for o in objs]}")
        env = coll.get_object(target.id, version=json.loads(target.serialize())["modified"])
        objs = objects_of(env)
        r.check("get an object: match[version]=<timestamp> gives that version",
                len(objs) == 1 and ts(version_of(objs[0])) == v1_ver,
                f"got {[version_of(o) for o in objs]}")
        env = coll.get_objects(id=our_ids, version="all")
        n = len(objects_of(env))
        r.check("get objects: match[version]=all counts both versions", n == len(sent) + 1,
                f"{n} objects, expected {len(sent) + 1}")
        env = coll.get_objects(id=our_ids)
        n = len(objects_of(env))
        r.check("get objects: default version=last counts each object once", n == len(sent),
                f"{n} objects, expected {len(sent)}")
    except Exception as e:
        r.check("versions via match[version]", False, describe(e))

    try:
        vr = coll.object_versions(target.id)
        vers = vr.get("versions", [])
        got = sorted(ts(v) for v in vers)
        r.check("get object versions: both versions listed (5.8)",
                got == sorted([v1_ver, v2_ver]), f"versions {vers}")
    except Exception as e:
        r.check("get object versions", False, describe(e))

    # --- 5.3 manifest and added_after ---------------------------------------------------------------
    manifest = []
    try:
        env = coll.get_manifest(id=our_ids, version="all")
        manifest = objects_of(env)
        complete = all({"id", "date_added", "version"} <= set(m) for m in manifest)
        r.check("manifest: one record per version with id, date_added, version",
                len(manifest) == len(sent) + 1 and complete,
                f"{len(manifest)} records, expected {len(sent) + 1}"
                + ("" if complete else "; a record lacks a required property"))
        wrong = [m for m in manifest if m["id"] in sent_by_id and m["id"] != target.id
                 and ts(m["version"]) != sent_by_id[m["id"]].modified]
        r.check("manifest: version is the object's modified", not wrong,
                f"{wrong[:1]}" if wrong else "all match")
        media = [m.get("media_type") for m in manifest if m.get("media_type")]
        r.check("manifest: media_type is stix+json 2.1 when present",
                all(x.replace(" ", "") == STIX21 for x in media), f"{set(media) or 'absent'}")
        added = [ts(m["date_added"]) for m in manifest]
        r.check("manifest: sorted by date_added ascending (3.3)", added == sorted(added),
                f"{len(added)} records")
        resp = raw("GET", coll_url + "manifest/", params={"match[id]": target.id})
        r.check("manifest: X-TAXII-Date-Added-First/Last headers (3.2)",
                resp.status_code == 200 and bool(resp.headers.get("X-TAXII-Date-Added-First"))
                and bool(resp.headers.get("X-TAXII-Date-Added-Last")),
                f"HTTP {resp.status_code}, first {resp.headers.get('X-TAXII-Date-Added-First')!r}"
                f", last {resp.headers.get('X-TAXII-Date-Added-Last')!r}")
    except Exception as e:
        r.check("manifest", False, describe(e))

    try:
        first_batch = [m for m in manifest if not (m["id"] == target.id and ts(m["version"]) == v2_ver)]
        v2_rec = [m for m in manifest if m["id"] == target.id and ts(m["version"]) == v2_ver]
        if first_batch and v2_rec:
            cut = max(first_batch, key=lambda m: ts(m["date_added"]))["date_added"]
            env = coll.get_objects(added_after=cut, id=our_ids, version="all")
            got = [(o["id"], version_of(o)) for o in objects_of(env)]
            r.check("get objects: added_after=<last date_added of batch 1> gives only version 2",
                    len(got) == 1 and got[0][0] == target.id and ts(got[0][1]) == v2_ver,
                    f"added_after={cut}: got {got[:3]}")
            cut2 = v2_rec[0]["date_added"]
            env = coll.get_objects(added_after=cut2, id=our_ids, version="all")
            got = objects_of(env)
            r.check("get objects: added_after is exclusive (3.4)", not got,
                    f"added_after={cut2} (version 2's date_added): {len(got)} object(s)")
            env = coll.get_manifest(added_after=cut, id=our_ids, version="all")
            got = objects_of(env)
            r.check("manifest: added_after", len(got) == 1 and got[0]["id"] == target.id,
                    f"{len(got)} record(s)")
        else:
            r.check("added_after", False, "manifest did not give date_added for both batches")
    except Exception as e:
        r.check("added_after", False, describe(e))

    # --- an object without modified: its version is its created (3.4.1, 5.3.1, 5.8) ---------------------
    try:
        md = stix2.MarkingDefinition(
            definition_type="statement", created="2021-05-05T05:05:05.123Z",
            definition=stix2.StatementMarking(f"interop {run_tag}: created is the version"))
        st = coll.add_objects(envelope([md]), wait_for_completion=True, poll_interval=0.5,
                              timeout=a.status_timeout)
        if st.success_count != 1:
            raise ValueError(f"adding {md.id}: {st.success_count} successes, {st.failures}")
        env = coll.get_manifest(id=md.id)
        vers = [m.get("version") for m in objects_of(env)]
        r.check("manifest: version of an object without modified is its created (5.3.1)",
                len(vers) == 1 and ts(vers[0]) == md.created,
                f"created {md.created}, manifest version {vers}")
        vers = coll.object_versions(md.id).get("versions", [])
        r.check("get object versions: an object without modified lists its created (5.8)",
                [ts(v) for v in vers] == [md.created], f"created {md.created}, versions {vers}")
        resp = raw("GET", f"{coll_url}objects/{md.id}/",
                   params={"match[version]": "2021-05-05T05:05:05.123Z"})
        n = len(objects_of(resp.json())) if resp.status_code == 200 else 0
        r.check("get an object: match[version]=<created> finds an object without modified (3.4.1)",
                n == 1, f"HTTP {resp.status_code}, {n} object(s)")
    except Exception as e:
        r.check("object without modified", False, describe(e))

    # --- 3.5 pagination -----------------------------------------------------------------------------------
    try:
        seen, pages, too_big = [], 0, 0
        for env in as_pages(coll.get_objects, per_request=a.page_size, version="all"):
            objs = objects_of(env)
            pages += 1
            too_big += len(objs) > a.page_size
            seen.extend(key(o["id"], version_of(o)) for o in objs)
            if pages > 100000:
                break
        dupes = len(seen) - len(set(seen))
        want = {key(o.id, o.modified) for o in sent} | {key(v2.id, v2_ver)}
        missing = want - set(seen)
        r.check(f"pagination: as_pages(per_request={a.page_size}) over the whole collection",
                not dupes and not missing and not too_big,
                f"{len(seen)} objects in {pages} pages, {dupes} repeated, "
                f"{len(missing)} of ours missing, {too_big} page(s) over the limit")
        mseen = []
        for env in as_pages(coll.get_manifest, per_request=a.page_size, version="all"):
            mseen.extend(key(m["id"], m["version"]) for m in objects_of(env))
        r.check("pagination: manifest pages agree with object pages",
                sorted(mseen) == sorted(seen),
                f"{len(mseen)} manifest records vs {len(seen)} objects")
    except Exception as e:
        r.check("pagination", False, describe(e))

    # --- 5.5 duplicates -----------------------------------------------------------------------------------
    try:
        dup = sent[1]
        st = coll.add_objects(envelope([dup]), wait_for_completion=True, poll_interval=0.5,
                              timeout=a.status_timeout)
        note = (f"status {st.status}, successes {st.success_count}, failures {st.failure_count}")
        if st.failure_count:
            note += " - 5.5: an exact duplicate MUST not return an error"
        r.check("add objects: re-posting an exact duplicate is accepted",
                st.status == "complete" and st.failure_count == 0, note)
        env = coll.get_object(dup.id, version="all")
        n = len(objects_of(env))
        r.check("add objects: the duplicate is stored once", n == 1, f"{n} version(s)")
    except Exception as e:
        r.check("duplicates", False, describe(e))

    # --- malformed requests and content negotiation (3.4, 1.6.8) ------------------------------------------
    try:
        for name, params in (("limit=0", {"limit": "0"}), ("limit=abc", {"limit": "abc"}),
                             ("added_after=yesterday", {"added_after": "yesterday"})):
            resp = raw("GET", coll_url + "objects/", params=params)
            r.check(f"filters: malformed {name} gives 400 (3.4)", resp.status_code == 400,
                    f"HTTP {resp.status_code} {resp.text[:100]!r}")
        resp = raw("GET", coll_url + "objects/", headers={"Accept": "application/taxii+json"},
                   params={"match[id]": target.id})
        r.check("content negotiation: Accept without version gives 200 (SHOULD, 1.6.8)",
                resp.status_code == 200, f"HTTP {resp.status_code}")
        resp = raw("GET", coll_url + "objects/indicator--00000000-0000-4000-8000-000000000000/"
                   "versions/")
        r.check("get object versions: unknown id gives 404 (5.8)", resp.status_code == 404,
                f"HTTP {resp.status_code}")
        resp = raw("GET", coll_url + "manifest/", params={"match[type]": "x-no-such-type"})
        body = resp.json() if resp.status_code == 200 else None
        r.check("manifest: empty result omits 'objects' (5.3.1)",
                resp.status_code == 200 and isinstance(body, dict) and "objects" not in body,
                f"HTTP {resp.status_code}, body {resp.text[:100]!r}")
    except Exception as e:
        r.check("malformed requests", False, describe(e))

    # --- a read-only user (5.2.1 can_write, 5.5 403/404) ---------------------------------------------------
    if a.readonly_token or (a.readonly_user and a.readonly_password):
        ro_auth = (dict(auth=BearerAuth(a.readonly_token)) if a.readonly_token
                   else dict(user=a.readonly_user, password=a.readonly_password))
        try:
            ro = Collection(coll_url, **ro_auth)
            ro.refresh()
            r.check("read-only user: collection says can_read true, can_write false",
                    ro.can_read and not ro.can_write,
                    f"can_read={ro.can_read} can_write={ro.can_write}")
            n = len(objects_of(ro.get_objects(id=our_ids)))
            r.check("read-only user: get objects", n == len(sent), f"{n} objects")
            resp = ro._conn.session.post(
                coll_url + "objects/", data=json.dumps(envelope(make_objects(3, run_tag + "ro"))),
                headers={"Accept": TAXII21, "Content-Type": TAXII21}, timeout=60)
            r.check("read-only user: add objects gives 403 or 404 (5.5)",
                    resp.status_code in (403, 404), f"HTTP {resp.status_code}")
        except Exception as e:
            r.check("read-only user", False, describe(e))

    # --- authentication -----------------------------------------------------------------------------------
    try:
        bad = Server(a.url, **bad_auth)
        try:
            bad.refresh()
            r.check("auth: wrong credentials give 401", False, "discovery answered 200")
        except requests.exceptions.HTTPError as e:
            code = e.response.status_code
            r.check("auth: wrong credentials give 401", code == 401, f"HTTP {code}")
        resp = requests.get(coll_url + "objects/", headers={"Accept": TAXII21}, timeout=30)
        r.check("auth: no credentials give 401 (8.2.2)", resp.status_code == 401,
                f"HTTP {resp.status_code}")
        r.check("auth: 401 carries WWW-Authenticate (RFC 7235 3.1)",
                bool(resp.headers.get("WWW-Authenticate")),
                f"WWW-Authenticate {resp.headers.get('WWW-Authenticate')!r}")
        c2 = Collection(coll_url, **bad_auth)
        try:
            c2.get_objects()
            r.check("auth: wrong credentials on get objects give 401", False, "HTTP 200")
        except requests.exceptions.HTTPError as e:
            code = e.response.status_code
            r.check("auth: wrong credentials on get objects give 401", code == 401, f"HTTP {code}")
    except Exception as e:
        r.check("auth", False, describe(e))

    return r.summary()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        print("\n0 passed, 1 failed")
        sys.exit(1)
