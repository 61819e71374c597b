#!/usr/bin/env bash
# Runs one libFuzzer target for CTIHUB_FUZZ_SECONDS (default 20) seeded with the corpus.
# Exit 77 (CTest "skipped") when the fuzz build is absent.
set -euo pipefail
fuzzer="$1"
corpus="$2"
seconds="${CTIHUB_FUZZ_SECONDS:-20}"
if [[ ! -x "$fuzzer" || "$seconds" == 0 ]]; then
  echo "SKIP: $fuzzer not built (scripts/test builds it with clang++-14)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Seed with the project's corpus files (copied so libFuzzer can add to the working corpus).
find "$corpus" -type f \( -name '*.json' -o -name '*.jsonl' -o -name '*.txt' -o -name '*.csv' \) \
  -size -64k -exec cp {} "$work/" \;
# libFuzzer's default exit code for a finding is 77, which CTest would count as "skipped":
# findings and timeouts must fail the test.
"$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -print_final_stats=1 "$work"
