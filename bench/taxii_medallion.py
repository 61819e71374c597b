#!/usr/bin/python3
"""Writes a medallion (OASIS reference TAXII 2.1 server, v3.0.0) memory-backend configuration and
data file holding the first COUNT objects of a JSON-lines STIX file, for bench/taxii.

    bench/taxii_medallion.py INPUT.jsonl OUTDIR --count N --port P --user U --password W \
        --collection ID [--max-page-size 1000]

Writes OUTDIR/config.json and OUTDIR/data.json. The data file is what medallion's own add-objects
path would have stored: every version in the collection's "objects", one manifest record per
version with date_added (input order, one microsecond apart, so the order of date_added is the
order of the file), version = modified, else created, else date_added (then kept on the object as
"_date_added", as medallion does for objects without timestamps), and the STIX 2.1 media type.
Loading this way avoids medallion's POST path, whose duplicate check compares each new object with
every stored one (quadratic).

Objects with a top-level "version" property (malware-analysis, software, x509-certificate) are
left out: medallion's find_att() takes any object's "version" as a manifest version timestamp and
answers HTTP 500 to every GET of the collection. OUTDIR/objects.jsonl receives exactly the objects
used, so the other server can be loaded with the same ones. Prints the number of objects written.
"""
import argparse
import datetime as dt
import json
import os

MEDIA = "application/stix+json;version=2.1"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("outdir")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--collection", required=True)
    p.add_argument("--max-page-size", type=int, default=1000)
    p.add_argument("--session-timeout", type=int, default=3600,
                   help="seconds a paging cursor lives (medallion's default is 30)")
    a = p.parse_args()

    base = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    objects, manifest = [], []
    os.makedirs(a.outdir, exist_ok=True)
    used = open(os.path.join(a.outdir, "objects.jsonl"), "w", encoding="utf-8")
    with open(a.input, encoding="utf-8") as f:
        for line in f:
            if len(objects) >= a.count:
                break
            obj = json.loads(line)
            if "version" in obj:
                continue
            used.write(line if line.endswith("\n") else line + "\n")
            i = len(objects)
            added = (base + dt.timedelta(microseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            version = obj.get("modified", obj.get("created"))
            if version is None:
                version = added
                obj["_date_added"] = added
            objects.append(obj)
            manifest.append({"id": obj["id"], "date_added": added, "version": version,
                             "media_type": MEDIA})
    root = f"http://127.0.0.1:{a.port}/api1/"
    data = {
        "/discovery": {"title": "medallion (bench)", "description": "bench/taxii",
                       "contact": "none", "default": root, "api_roots": [root]},
        "api1": {
            "information": {"title": "bench", "description": "bench/taxii",
                            "versions": ["application/taxii+json;version=2.1"],
                            "max_content_length": 1 << 30},
            "status": [],
            "collections": [{"id": a.collection, "title": "bench", "description": "bench",
                             "can_read": True, "can_write": True, "media_types": [MEDIA],
                             "objects": objects, "manifest": manifest}],
        },
    }
    used.close()
    data_path = os.path.abspath(os.path.join(a.outdir, "data.json"))
    with open(data_path, "w", encoding="utf-8") as f:
        json.dump(data, f)
    config = {
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend", "filename": data_path,
                    "session_timeout": a.session_timeout},
        "users": {a.user: a.password},
        "taxii": {"max_page_size": a.max_page_size},
    }
    with open(os.path.join(a.outdir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
    print(len(objects))


if __name__ == "__main__":
    main()
