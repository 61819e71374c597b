#!/usr/bin/env python3
"""Small TAXII 2.1 client for bench/taxii (standard library only, one keep-alive connection).

    taxii_client.py walk URL AUTH OUT
        GETs URL (…/objects/?limit=…), then URL&next=<token> until "more" is false, and writes the
        path of every page to OUT, one a line (for wrk's taxii_cycle.lua). Prints
        "pages=P objects=O distinct=D repeated=R seconds=S".
    taxii_client.py post OBJECTS_URL AUTH INPUT.jsonl PER_ENVELOPE ENVELOPES
        POSTs ENVELOPES envelopes of PER_ENVELOPE objects each, taken in order from INPUT.jsonl
        (so every request carries new objects), and follows each status resource until it is
        complete. Prints "envelopes=E objects=O successes=S failures=F pending=P seconds=T
        p50_s=… max_s=…"; seconds counts from the first request to the last completion, so
        successes/seconds is what the server accepted per second.

AUTH is a whole header line, e.g. "Authorization: Bearer cth_…".
"""
import http.client
import json
import sys
import time
import urllib.parse

TAXII = "application/taxii+json;version=2.1"


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port or 80, timeout=600)


def headers(auth, extra=None):
    name, _, value = auth.partition(":")
    h = {"Accept": TAXII, name.strip(): value.strip()}
    h.update(extra or {})
    return h


def request(conn, method, path, hdrs, body=None):
    conn.request(method, path, body=body, headers=hdrs)
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def walk(url, auth, out_path):
    u = urllib.parse.urlsplit(url)
    first = u.path + ("?" + u.query if u.query else "")
    conn = connect(url)
    h = headers(auth)
    paths, seen, objects, repeated = [], set(), 0, 0
    path = first
    t0 = time.time()
    while True:
        status, data = request(conn, "GET", path, h)
        if status != 200:
            sys.exit(f"walk: HTTP {status} for GET {path}: {data[:300]!r}")
        paths.append(path)
        env = json.loads(data)
        for o in env.get("objects", []):
            key = (o["id"], o.get("modified", o.get("created")))
            repeated += key in seen
            seen.add(key)
            objects += 1
        token = env.get("next")
        if not env.get("more") or not token:
            break
        sep = "&" if "?" in first else "?"
        path = first + sep + "next=" + urllib.parse.quote(token, safe="")
    took = time.time() - t0
    with open(out_path, "w") as f:
        f.write("\n".join(paths) + "\n")
    print(f"pages={len(paths)} objects={objects} distinct={len(seen)} repeated={repeated} "
          f"seconds={took:.3f}")


def post(url, auth, input_path, per_envelope, envelopes):
    u = urllib.parse.urlsplit(url)
    api_root = u.path.split("/collections/")[0] + "/"
    bodies = []
    with open(input_path, "rb") as f:
        for _ in range(envelopes):
            lines = []
            for line in f:
                line = line.strip()
                if line:
                    lines.append(line)
                if len(lines) == per_envelope:
                    break
            if len(lines) < per_envelope:
                sys.exit(f"post: {input_path} has too few objects for {envelopes} envelopes")
            bodies.append(b'{"objects":[' + b",".join(lines) + b"]}")
    conn = connect(url)
    hp = headers(auth, {"Content-Type": TAXII})
    hg = headers(auth)
    totals = {"successes": 0, "failures": 0, "pending": 0}
    each = []
    t0 = time.time()
    for body in bodies:
        t = time.time()
        status, data = request(conn, "POST", u.path, hp, body)
        if status != 202:
            sys.exit(f"post: HTTP {status} for POST {u.path}: {data[:300]!r}")
        st = json.loads(data)
        while st.get("status") != "complete":
            time.sleep(0.05)
            status, data = request(conn, "GET", f"{api_root}status/{st['id']}/", hg)
            if status != 200:
                sys.exit(f"post: HTTP {status} for GET status {st['id']}: {data[:300]!r}")
            st = json.loads(data)
        each.append(time.time() - t)
        totals["successes"] += st.get("success_count", 0)
        totals["failures"] += st.get("failure_count", 0)
        totals["pending"] += st.get("pending_count", 0)
    took = time.time() - t0
    each.sort()
    print(f"envelopes={len(bodies)} objects={len(bodies) * per_envelope} "
          f"successes={totals['successes']} failures={totals['failures']} "
          f"pending={totals['pending']} seconds={took:.3f} "
          f"p50_s={each[len(each) // 2]:.3f} max_s={each[-1]:.3f}")


def main(argv):
    if len(argv) == 4 and argv[0] == "walk":
        walk(*argv[1:])
    elif len(argv) == 6 and argv[0] == "post":
        post(argv[1], argv[2], argv[3], int(argv[4]), int(argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
