#!/usr/bin/env bash
# Runs every fuzz target (or the ones named as arguments) for a long time,
# one after another, and prints how many inputs each ran without a crash.
#
#   fuzz/run-long.sh                      # every target, 1 hour each, ASan
#   FUZZ_SECONDS=600 fuzz/run-long.sh jws_verify jwe_decrypt
#   SANITIZER=none fuzz/run-long.sh       # no sanitizer (faster, stable)
#   JOBS=2 fuzz/run-long.sh               # libFuzzer -fork=2 per target
#
# With a sanitizer, cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets
# the stable toolchain accept them. The corpus each target grows is kept in
# fuzz/target/corpus/<target>/ (ignored by git) and reused by the next run;
# the checked-in seeds in fuzz/corpus/<target>/ are read, never written.
# A crash stops the run and leaves its input in fuzz/artifacts/<target>/:
# reproduce with `cargo fuzz run <target> fuzz/artifacts/<target>/<file>`,
# shrink with `cargo fuzz tmin`, then add a regression test in core.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

seconds=${FUZZ_SECONDS:-3600}
sanitizer=${SANITIZER:-address}
jobs=${JOBS:-1}

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export CHATSEAL_FUZZ_TMP="$scratch"

cargo fuzz build -s "$sanitizer"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)

summary=()
for t in "${targets[@]}"; do
  mkdir -p "target/corpus/$t"
  log="target/fuzz-$t.log"
  fork=()
  [ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=0)
  echo "==> $t: ${seconds}s, sanitizer $sanitizer, log $log"
  start=$(date +%s)
  # CPU time of the fuzzer (user + system, children included), which is
  # what "ran N CPU-minutes without a crash" means on a shared machine.
  cpu_file=$(mktemp -p "$scratch")
  status=0
  { TIMEFORMAT='%U %S'; time cargo fuzz run -s "$sanitizer" "$t" "target/corpus/$t" "corpus/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "${fork[@]}" >"$log" 2>&1; } 2>"$cpu_file" || status=$?
  grep -E '^(#[0-9]+[[:space:]]+DONE|==[0-9]+==|SUMMARY|thread)' "$log" || true
  took=$(( $(date +%s) - start ))
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$cpu_file")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ "$status" -ne 0 ]; then
    echo "!! $t FAILED after ${took}s; see fuzz/$log and fuzz/artifacts/$t/"
    exit 1
  fi
  summary+=("$(printf '%-18s %14s runs %7s s wall %7s s CPU  (%s, %d job(s))' \
    "$t" "${runs:-?}" "$took" "$cpu" "$sanitizer" "$jobs")")
done
printf '%s\n' "no crash:" "${summary[@]}"
