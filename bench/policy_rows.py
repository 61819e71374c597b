#!/usr/bin/python3
# bench/policy_rows.py: where a restricted page's extra cost lies in SQLite — reading the rows a
# GREEN/RESTRICTED partner may see (a third of a mixed-label store, interleaved with the rest)
# against reading every row, with only the row access in the measurement (no decompression, no
# decision, no HTTP). Two ways for the partner, side by side in one run:
#   - as ctihub reads: the date_added index (which carries the marking set) skips what the
#     partner may not see, and each released row is fetched from the table by rowid;
#   - the rows themselves scanned in rowid order (date_added order within a collection), the
#     marking set read from each row: no seek, but every row passed over is touched.
# Run by bench/policy on its store:   bench/policy_rows.py STORE.db [PAGES]
import sqlite3
import sys
import time

# TLP 2.0 CLEAR and GREEN, TLP 1.0 WHITE and GREEN: what a GREEN ceiling admits.
ADMITTED = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
}

db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
pages = int(sys.argv[2]) if len(sys.argv) > 2 else 300
db.execute("PRAGMA mmap_size=4294967296")  # as the store opens itself
db.execute("PRAGMA cache_size=-131072")
msets = [i for i, m in db.execute("SELECT id, markings FROM marking_sets")
         if m and set(m.split()) <= ADMITTED]
coll = db.execute("SELECT coll FROM objects LIMIT 1").fetchone()[0]
partner = f" AND mset IN ({','.join(map(str, msets)) or '-1'}) AND type != 'sighting'"
# Every released row's text is read (its first bytes, so SQLite fetches it), as a page is.
AGG = "SELECT max(k), count(*), sum(length(hex(substr(json, 1, 8)))) FROM "


# The two ways of reaching a page's rows: (query, key before the first row). The query keeps
# the page's rows after ?2, and `{cond}` narrows them to the partner's.
BY_INDEX = ("SELECT date_added AS k, json FROM objects WHERE coll = ?1 AND date_added > ?2"
            " AND is_latest = 1 {cond} ORDER BY date_added LIMIT 1000", -1)
BY_ROWS = ("SELECT row AS k, json FROM objects WHERE row > ?2 AND +coll = ?1"
           " AND +is_latest = 1 {cond} ORDER BY row LIMIT 1000", 0)


def walk(way, cond):
    """Milliseconds per page over up to `pages` pages read one after another."""
    query, after = way
    sql = AGG + "(" + query.format(cond=cond) + ")"
    walked, start = 0, time.perf_counter()
    while walked < pages:
        walked += 1
        after, n, _ = db.execute(sql, (coll, after)).fetchone()
        if n < 1000:  # the last page
            break
    return (time.perf_counter() - start) / walked * 1000


print(f"SQLite row access per 1,000-row page, up to {pages} pages, partner's marking sets {msets}:")
print(f"{'':28} {'all rows':>10} {'partner':>10} {'ratio':>7}")
for name, way in (("date_added index + seek", BY_INDEX), ("rows in rowid order", BY_ROWS)):
    runs = [(walk(way, ""), walk(way, partner)) for _ in range(3)]
    admin, restricted = min(r[0] for r in runs), min(r[1] for r in runs)
    print(f"{name:28} {admin:8.2f} ms {restricted:7.2f} ms {restricted / admin:7.2f}")
