#!/usr/bin/env bash
# Runs tests/interop/taxii_interop.py (the OASIS taxii2-client and stix2 libraries) against a real
# `ctihub serve` on a free loopback port with a temporary store: once with HTTP Basic and once
# with an API key (Bearer). Builds nothing.
#
#   tests/interop/run_ctihub_interop.sh [BUILD_DIR]        # default: build
#
# The OASIS libraries are sources, not installed packages (see /work/shared/docs/ANCHORS.md):
# $CTIHUB_TAXII_CLIENT_PYTHONPATH (colon-separated) names the source folders of cti-taxii-client,
# cti-python-stix2 and cti-pattern-validator (stix2 imports stix2patterns); the default is
# /work/anchors/src/{cti-taxii-client-v2.3.0,cti-python-stix2-v3.0.2,cti-pattern-validator}.
# Debian's /usr/bin/python3 runs them (python3-requests, -six, -tz, -simplejson, -antlr4).
# Extra arguments for taxii_interop.py may be given in $CTIHUB_INTEROP_ARGS.
#
# Exit status: 0 all checks passed in both runs, 1 a check failed or the server misbehaved,
# 77 (skip) the libraries cannot be imported or BUILD_DIR/ctihub has no `serve` command.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD="${1:-build}"
CTIHUB="$BUILD/ctihub"
PY=/usr/bin/python3
A=/work/anchors/src
export PYTHONPATH="${CTIHUB_TAXII_CLIENT_PYTHONPATH:-$A/cti-taxii-client-v2.3.0:$A/cti-python-stix2-v3.0.2:$A/cti-pattern-validator}"

if [[ ! -x "$CTIHUB" ]] || ! "$CTIHUB" --help 2>/dev/null | grep -E '^ +serve( |$)' >/dev/null; then
  echo "SKIP: $CTIHUB is missing or has no 'serve' command"
  exit 77
fi
if ! "$PY" -c 'import taxii2client.v21, stix2' 2>/dev/null; then
  echo "SKIP: cannot import taxii2client and stix2 with $PY and PYTHONPATH=$PYTHONPATH"
  echo "  Set CTIHUB_TAXII_CLIENT_PYTHONPATH to the source folders of oasis-open/cti-taxii-client,"
  echo "  oasis-open/cti-python-stix2 and oasis-open/cti-pattern-validator (see"
  echo "  /work/shared/docs/ANCHORS.md; Debian packages python3-requests python3-six python3-tz"
  echo "  python3-simplejson python3-antlr4)."
  exit 77
fi

TMP=$(mktemp -d -p "${TMPDIR:-/tmp}" ctihub-interop.XXXXXX)
SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() {  # to stderr: it is also called inside $(…)
  echo "FAIL setup: $*" >&2
  [[ -s "$TMP/serve.err" ]] && sed 's/^/  serve: /' "$TMP/serve.err" >&2
  exit 1
}
hub() { "$CTIHUB" "$@" --store "$STORE" 2>"$TMP/cmd.err" || fail "ctihub $*: $(cat "$TMP/cmd.err")"; }

STORE="sqlite:$TMP/hub.db"
USER_NAME=interop
head -c 18 /dev/urandom | base64 | tr -d '\n/+=' > "$TMP/password"
PASSWORD=$(cat "$TMP/password")
head -c 18 /dev/urandom | base64 | tr -d '\n/+=' > "$TMP/admin-password"

out=$(hub collection create interop) || exit 1
COLLECTION=$(grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' <<<"$out" | head -1)
[[ -n "$COLLECTION" ]] || fail "no collection id in the output of 'collection create': $out"
hub org add interop-org >/dev/null || exit 1
hub user add "$USER_NAME" --org interop-org --password-file "$TMP/password" >/dev/null || exit 1
hub collection grant interop "user:$USER_NAME" --permission read-write >/dev/null || exit 1
hub user add interop-reader --org interop-org --password-file "$TMP/password" >/dev/null || exit 1
hub collection grant interop user:interop-reader --permission read >/dev/null || exit 1
out=$(hub key create --user "$USER_NAME") || exit 1
TOKEN=$(grep -oE 'cth_[A-Za-z0-9_-]+' <<<"$out" | head -1)
[[ -n "$TOKEN" ]] || fail "no API key (cth_…) in the output of 'key create': $out"

"$CTIHUB" serve --store "$STORE" --listen 127.0.0.1:0 --admin-password-file "$TMP/admin-password" \
  >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
BASE=
for _ in $(seq 300); do
  BASE=$(grep -m1 -oE 'listening on https?://[^ /]+' "$TMP/serve.out" | sed 's/^listening on //')
  [[ -n "$BASE" ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "serve exited with status $(wait "$SERVER_PID"; echo $?)"
  sleep 0.1
done
[[ -n "$BASE" ]] || fail "serve printed no 'listening on http://…' line within 30 s"
echo "ctihub serve at $BASE (store $STORE, collection $COLLECTION)"

# shellcheck disable=SC2086
run() { "$PY" tests/interop/taxii_interop.py --url "$BASE/taxii2/" --api-root default \
          --collection "$COLLECTION" --readonly-user interop-reader --readonly-password "$PASSWORD" \
          "$@" ${CTIHUB_INTEROP_ARGS:-}; }
echo "== HTTP Basic"
run --user "$USER_NAME" --password "$PASSWORD"
basic=$?
echo "== API key (Bearer)"
run --token "$TOKEN"
bearer=$?

kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
serve_status=$?
SERVER_PID=
if [[ $serve_status -ne 0 ]]; then
  echo "FAIL serve: exited with status $serve_status after SIGTERM"
  sed 's/^/  serve: /' "$TMP/serve.err"
fi
for s in $basic $bearer; do [[ $s -eq 77 ]] && exit 77; done
(( basic == 0 && bearer == 0 && serve_status == 0 )) && exit 0
exit 1
