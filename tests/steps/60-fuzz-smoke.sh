#!/usr/bin/env bash
# Fuzz smoke test: builds every cargo-fuzz target in fuzz/ (no sanitizer, so
# it works on the stable toolchain) and runs each for FUZZ_SECONDS (default
# 15) starting from its checked-in seed corpus. Any crash, panic, failed
# property, timeout (> 10 s for one input) or out-of-memory fails the step;
# libFuzzer's reproducer is kept in fuzz/artifacts/<target>/.
#
# New inputs the fuzzer finds go to a scratch folder, never into
# fuzz/corpus/. For long runs (with AddressSanitizer) see fuzz/run-long.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

seconds=${FUZZ_SECONDS:-15}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CHATSEAL_FUZZ_TMP="$work"

cd fuzz
cargo fuzz build -s none

targets=$(cargo fuzz list)
[ -n "$targets" ] || { echo "no fuzz targets?"; exit 1; }
printf '%-18s %12s %8s %s\n' target runs seconds result
for t in $targets; do
  [ -d "corpus/$t" ] || { echo "fuzz/corpus/$t (the seed corpus) is missing"; exit 1; }
  mkdir -p "$work/corpus/$t"
  log="$work/$t.log"
  if ! cargo fuzz run -s none "$t" "$work/corpus/$t" "corpus/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
    printf '%-18s %12s %8s %s\n' "$t" - "$seconds" FAILED
    tail -n 60 "$log"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  printf '%-18s %12s %8s %s\n' "$t" "${runs:-?}" "$seconds" ok
done
echo "fuzz smoke: every target ran ${seconds}s without a crash"
