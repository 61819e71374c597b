#!/usr/bin/env bash
# Differential comparison of validation verdicts: a reference STIX validator vs. ctihub.
#
# Usage: compare_with_reference.sh REFERENCE_CMD CTIHUB_BIN FILE_OR_DIR...
#
#   REFERENCE_CMD  an already-installed command that takes FILE... and prints one line per file:
#                  <path>\t<VALID|INVALID|ERROR>\t<messages>
#                  (e.g. a wrapper around the OASIS stix2-validator). This script only runs it;
#                  it never installs, downloads or builds anything.
#   CTIHUB_BIN     the ctihub binary (its `validate` subcommand is used).
#   FILE_OR_DIR    files, or directories searched recursively for *.json and *.jsonl.
#
# Verdict mapping:
#   reference  VALID -> valid;  INVALID, ERROR (or no line for the file) -> invalid
#   ctihub     exit 0 -> valid; exit 1 (findings), 2 (unreadable) -> invalid
#              (in batch mode the per-file "verdict" of --format json is used: valid -> valid,
#               invalid/unreadable -> invalid; that is the per-file equivalent of the exit status)
#
# Output (stdout), TSV, one line per file, in argument order (directories in LC_ALL=C sort order):
#   file  reference  ctihub  agree|DIFFER  reference-messages  ctihub-first-rules
# reference-messages is prefixed "ERROR: " when the reference reported a fatal error.
# ctihub-first-rules lists the first distinct error rules (at most 3, then "+N"); for a file
# without errors it lists warning rules as "warn:rule,...", and for an unreadable file
# "unreadable: <reason>".
# Then one final line: "# files=N agree=A differ=D"
#
# Speed: the reference is called once with all files. ctihub is called once with all files and
# --format json (needs jq); with CTIHUB_PER_FILE=1, or when jq is missing or the batch output
# cannot be used, it is called once per file and its exit status decides.
#
# Exit status: 0 all agree, 1 at least one DIFFER, 2 usage error.
set -uo pipefail

if (( $# < 3 )); then
  echo "usage: $0 REFERENCE_CMD CTIHUB_BIN FILE_OR_DIR..." >&2
  exit 2
fi
ref_cmd="$1"
ctihub="$2"
shift 2

if [[ ! -x "$ctihub" ]]; then
  echo "error: ctihub binary '$ctihub' is not executable" >&2
  exit 2
fi
if ! command -v "$ref_cmd" >/dev/null 2>&1; then
  echo "error: reference command '$ref_cmd' not found" >&2
  exit 2
fi

# ---- collect files ----------------------------------------------------------------------
files=()
declare -A seen=()
add_file() {
  local f="$1"
  # keep a relative path that starts with '-' from being read as an option or as stdin
  [[ "$f" == -* ]] && f="./$f"
  if [[ -z "${seen[$f]+x}" ]]; then
    seen[$f]=1
    files+=("$f")
  fi
}
for arg in "$@"; do
  if [[ -d "$arg" ]]; then
    while IFS= read -r -d '' f; do
      add_file "$f"
    done < <(find "$arg" -type f \( -name '*.json' -o -name '*.jsonl' \) -print0 | LC_ALL=C sort -z)
  elif [[ -e "$arg" ]]; then
    add_file "$arg"
  else
    echo "warning: '$arg' does not exist; it is passed on as is" >&2
    add_file "$arg"
  fi
done
if (( ${#files[@]} == 0 )); then
  echo "error: no *.json / *.jsonl files found" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

clean() { tr '\t\r\n' '   '; }

# ---- reference: one call for all files --------------------------------------------------
declare -A ref_verdict=() ref_msgs=()
"$ref_cmd" "${files[@]}" >"$work/ref.tsv" 2>"$work/ref.err"
ref_rc=$?
if (( ref_rc != 0 )); then
  echo "warning: reference command exited with status $ref_rc: $(head -c 500 "$work/ref.err" | clean)" >&2
fi
while IFS=$'\t' read -r path verdict msgs; do
  [[ -z "$path" ]] && continue
  ref_verdict[$path]="$verdict"
  ref_msgs[$path]="$msgs"
done <"$work/ref.tsv"

# ---- ctihub -----------------------------------------------------------------------------
declare -A cti_verdict=() cti_rules=()

# jq program: one TSV line per file: path, verdict, rules summary
# shellcheck disable=SC2016  # $vars below are jq variables, not shell ones
jq_prog='
  def distinct: reduce .[] as $r ([]; if any(.[]; . == $r) then . else . + [$r] end);
  def summary: if length > 3 then (.[0:3] | join(",")) + ",+" + ((length - 3) | tostring)
               else join(",") end;
  .files[] |
  ([.findings[]? | select(.severity == "error") | .rule] | distinct) as $errs |
  ([.findings[]? | select(.severity != "error") | .rule] | distinct) as $warns |
  [ .path, .verdict,
    (if .verdict == "unreadable" then "unreadable: " + (.io_error // "")
     elif ($errs | length) > 0 then ($errs | summary)
     elif ($warns | length) > 0 then "warn:" + ($warns | summary)
     else "" end) ]
  | map(gsub("[\t\r\n]"; " ")) | @tsv'

batch_ok=0
if [[ "${CTIHUB_PER_FILE:-0}" != 1 ]] && command -v jq >/dev/null 2>&1; then
  "$ctihub" validate --format json "${files[@]}" >"$work/cti.json" 2>"$work/cti.err"
  cti_rc=$?
  if (( cti_rc <= 2 )) && jq -r "$jq_prog" "$work/cti.json" >"$work/cti.tsv" 2>/dev/null; then
    while IFS=$'\t' read -r path verdict rules; do
      case "$verdict" in
        valid) cti_verdict[$path]=valid ;;
        *)     cti_verdict[$path]=invalid ;;
      esac
      cti_rules[$path]="$rules"
    done <"$work/cti.tsv"
    batch_ok=1
    for f in "${files[@]}"; do
      [[ -n "${cti_verdict[$f]+x}" ]] || { batch_ok=0; break; }
    done
  fi
  if (( ! batch_ok )); then
    echo "warning: ctihub batch run unusable (exit $cti_rc); falling back to one call per file" >&2
  fi
fi
if (( ! batch_ok )); then
  have_jq=0; command -v jq >/dev/null 2>&1 && have_jq=1
  for f in "${files[@]}"; do
    "$ctihub" validate --format json "$f" >"$work/one.json" 2>"$work/one.err"
    rc=$?
    case $rc in
      0) cti_verdict[$f]=valid ;;
      1|2) cti_verdict[$f]=invalid ;;
      *) cti_verdict[$f]=invalid
         cti_rules[$f]="crash: exit status $rc"
         continue ;;
    esac
    rules=""
    if (( have_jq )); then
      rules=$(jq -r "$jq_prog" "$work/one.json" 2>/dev/null | head -n 1 | cut -f3)
    fi
    cti_rules[$f]="$rules"
  done
fi

# ---- report -----------------------------------------------------------------------------
agree=0; differ=0
for f in "${files[@]}"; do
  rv="${ref_verdict[$f]-}"
  rmsg="${ref_msgs[$f]-}"
  case "$rv" in
    VALID)   r=valid ;;
    INVALID) r=invalid ;;
    ERROR)   r=invalid; rmsg="ERROR: $rmsg" ;;
    *)       r=invalid; rmsg="no reference output for this file${rv:+ (got \"$rv\")}" ;;
  esac
  c="${cti_verdict[$f]:-invalid}"
  if [[ "$r" == "$c" ]]; then status=agree; ((agree++)); else status=DIFFER; ((differ++)); fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$r" "$c" "$status" \
    "$(printf '%s' "$rmsg" | clean)" "$(printf '%s' "${cti_rules[$f]-}" | clean)"
done
printf '# files=%d agree=%d differ=%d\n' "${#files[@]}" "$agree" "$differ"
(( differ == 0 ))
