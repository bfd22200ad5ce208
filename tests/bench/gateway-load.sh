#!/usr/bin/env bash
# Load benchmark of `chatseal gateway` (issue 14, section 3). Not part of the
# test command (speed is measured, never asserted): run it by hand on a
# quiet machine.
#
#   bash tests/bench/gateway-load.sh            # ~4 minutes
#   ROUNDS=1 DURATION=2 TENANT_COUNTS="1 100" bash tests/bench/gateway-load.sh   # a quick look
#
# On 127.0.0.1 only: a release build of the gateway in front of a fast hyper
# upstream (tests/bench/gateway-peers), driven by wrk (Debian's `wrk`,
# installed when missing and running as root). RSA-3072 client keys (RS256)
# and a JWE user_payload (RSA-OAEP-256 to an RSA-3072 platform key, which
# the gateway decrypts from its decrypt_dir keyring) in every token.
#
#   (a) one token repeated (the verified-token cache answers),
#   (b) a distinct token per request (signature, claims, policy and
#       decryption every time; tokens pre-minted, wrk cycles through them),
#   (c) the upstream alone, with the same request,
#
# side by side in ROUNDS interleaved rounds (medians reported), each round
# also timing in-process TenantVerifier::verify (2 threads and 1) and
# verify_cached, DURATION/3 s each;
# then (a) and (b) with TENANT_COUNTS tenants in tenants_dir (requests of
# (b) spread over every tenant, after a first request to each), the
# gateway's RSS per tenant count (and with tenants that hold no platform
# key), its start time and its CPU while idle (the tenant files are polled).
#
# Environment: DURATION (5 s per wrk run), ROUNDS (3), CONNS (16), THREADS
# (2, wrk's), TOKENS (40000), TENANT_COUNTS ("1 1000 10000"),
# CARGO_TARGET_DIR (target/bench-gateway). Output: the table on stdout and
# in target/bench-gateway-load/results-<time>.md, wrk's own output beside
# it in raw-<time>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
TOKENS=${TOKENS:-40000}
TENANT_COUNTS=${TENANT_COUNTS:-"1 1000 10000"}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/bench-gateway}

if ! command -v wrk >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk
  else
    echo "gateway-load: wrk is missing (Debian: apt-get install wrk)" >&2
    exit 1
  fi
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=$root/target/bench-gateway-load
raw=$out/raw-$stamp
mkdir -p "$raw"
work=$(mktemp -d /tmp/chatseal-gateway-load.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building (release)"
cargo build --release -q -p chatseal-keys --bin chatseal
cargo build --release -q --manifest-path tests/bench/gateway-peers/Cargo.toml
bin=$CARGO_TARGET_DIR/release/chatseal
helper=$CARGO_TARGET_DIR/release/chatseal-bench-gateway

echo "== fixtures: RSA-3072 keyrings, $TOKENS tokens with a JWE user_payload"
"$bin" keys init --dir "$work/client" --alg RS256 --bits 3072 >/dev/null
"$bin" keys init --dir "$work/platform" --use enc --alg RSA-OAEP-256 --bits 3072 >/dev/null
t0=$(date +%s.%N)
"$helper" fixtures "$work" "$TOKENS"
echo "   minted in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s"
for n in $TENANT_COUNTS; do
  "$helper" tenants "$work" "$n"
  "$helper" tenants "$work" "$n" plain
done

# Waits for "... listening on http://127.0.0.1:PORT" in $1; prints PORT.
port_of() {
  local i
  for i in $(seq 1 3000); do
    if grep -q "listening on http://" "$1" 2>/dev/null; then
      sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$1" | head -1
      return 0
    fi
    sleep 0.05
  done
  echo "gateway-load: nothing listening (see $1)" >&2
  return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="chatseal_gateway_$2" '$1 == m {print $2}'; }

"$helper" upstream >"$work/upstream.out" &
up_pid=$!
pids+=("$up_pid")
up_port=$(port_of "$work/upstream.out")

gw_pid=
gw_port=
# start_gateway LABEL TENANTS_DIR [decrypt]: starts a gateway on a fresh
# port, records its start time and RSS.
start_gateway() {
  local label=$1 dir=$2 decrypt=${3:-}
  {
    echo "listen = \"127.0.0.1:0\""
    echo "upstream = \"http://127.0.0.1:$up_port\""
    echo "tenants_dir = \"$dir\""
    [[ -n $decrypt ]] && echo "decrypt_dir = \"$work/platform\""
  } >"$work/gateway.toml"
  local t0
  t0=$(date +%s.%N)
  "$bin" gateway --config "$work/gateway.toml" >"$work/gateway-$label.out" 2>"$work/gateway-$label.log" &
  gw_pid=$!
  pids+=("$gw_pid")
  gw_port=$(port_of "$work/gateway-$label.out")
  local started
  started=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.2f}')")
  sleep 1
  echo "START $label $started $(rss_kb "$gw_pid")" >>"$raw/results.txt"
}
stop_gateway() {
  echo "MEM $1 $(rss_kb "$gw_pid") $(hwm_kb "$gw_pid")" >>"$raw/results.txt"
  kill -TERM "$gw_pid"
  wait "$gw_pid" 2>/dev/null || true
}

offset=0
# bench LABEL ROUND PORT PATH_OR_SCRIPT TENANTS: one wrk run, with the CPU
# time the gateway and the upstream spent and the cache counters.
bench() {
  local label=$1 round=$2 port=$3 kind=$4 tenants=${5:-1}
  local file=$raw/$label-r$round.txt
  local g0=0 u0 h0=0 m0=0
  if [[ $port != "$up_port" ]]; then
    g0=$(cpu_ticks "$gw_pid")
    h0=$(metric "$port" cache_hits_total)
    m0=$(metric "$port" cache_misses_total)
  fi
  u0=$(cpu_ticks "$up_pid")
  if [[ $kind == distinct ]]; then
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency \
      -s tests/bench/wrk/distinct-tokens.lua "http://127.0.0.1:$port" \
      -- "$work/tokens.txt" "$tenants" "$offset" "$THREADS" >"$file"
    # The next run starts past the tokens this one used: wrk's threads do
    # not send equally many, so skip twice the count (a run that started
    # at offset + sent reused up to 4 % of the previous run's tokens).
    local sent
    sent=$(awk '/requests in/ {print $1}' "$file")
    offset=$(((offset + 2 * sent) % TOKENS))
  else
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency \
      -H "Authorization: Bearer $(cat "$work/token.txt")" "http://127.0.0.1:$port$kind" >"$file"
  fi
  local g1=0 u1 h1=0 m1=0
  if [[ $port != "$up_port" ]]; then
    g1=$(cpu_ticks "$gw_pid")
    h1=$(metric "$port" cache_hits_total)
    m1=$(metric "$port" cache_misses_total)
  fi
  u1=$(cpu_ticks "$up_pid")
  echo "RUN $label $round $file $((g1 - g0)) $((u1 - u0)) $((h1 - h0)) $((m1 - m0))" >>"$raw/results.txt"
  printf '   %-22s round %s: %s\n' "$label" "$round" "$(awk '/Requests\/sec/ {print $2 " req/s"}' "$file")"
}

{
  echo "DATE $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "LOAD $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "CPU $(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "WRK $(wrk -v 2>&1 | head -1)"
  echo "RUSTC $(rustc --version)"
  echo "PARAMS duration=${DURATION}s rounds=$ROUNDS connections=$CONNS wrk_threads=$THREADS tokens=$TOKENS token_bytes=$(($(wc -c <"$work/token.txt") - 1))"
} >"$raw/results.txt"

first=${TENANT_COUNTS%% *}
echo "== gateway with $first tenant(s): (a), (b), (c) side by side, $ROUNDS rounds x ${DURATION}s"
start_gateway "n$first" "$work/tenants-$first" decrypt
# Warm up (first connections, JWKS of the first tenant, the cache's entry).
wrk -t1 -c2 -d1s -H "Authorization: Bearer $(cat "$work/token.txt")" "http://127.0.0.1:$gw_port/t/t0/chat" >/dev/null
curl -sf -H "Authorization: Bearer $(cat "$work/token.txt")" "http://127.0.0.1:$gw_port/t/t0/chat" >"$raw/sample-answer.json"
for r in $(seq 1 "$ROUNDS"); do
  bench c-upstream "$r" "$up_port" /chat
  bench a-one-token "$r" "$gw_port" /t/t0/chat
  bench b-distinct "$r" "$gw_port" distinct "$first"
  # The in-process rate in the same round (the gateway idle meanwhile).
  "$helper" verify-rate "$work" "$(python3 -c "print(max(0.5, $DURATION / 3))")" | tee -a "$raw/results.txt" | sed 's/^/   /'
done
stop_gateway "n$first"

for n in $TENANT_COUNTS; do
  [[ $n == "$first" ]] && continue
  echo "== gateway with $n tenants"
  start_gateway "n$n" "$work/tenants-$n" decrypt
  # Idle CPU: the watcher polls every tenant's files each second.
  c0=$(cpu_ticks "$gw_pid")
  sleep 3
  echo "IDLE n$n $(($(cpu_ticks "$gw_pid") - c0)) 3" >>"$raw/results.txt"
  # Every tenant's first request (the one token; each tenant verifies it
  # in full once), then the timed runs.
  c0=$(cpu_ticks "$gw_pid")
  wrk -t"$THREADS" -c"$CONNS" -d"$((n / 1000 + 2))s" -s tests/bench/wrk/distinct-tokens.lua \
    "http://127.0.0.1:$gw_port" -- "$work/token.txt" "$n" 0 "$THREADS" >"$raw/first-n$n.txt"
  echo "FIRST n$n $(($(cpu_ticks "$gw_pid") - c0)) $n $(awk '/requests in/ {print $1}' "$raw/first-n$n.txt")" >>"$raw/results.txt"
  last=$((n - 1))
  wrk -t1 -c2 -d1s -H "Authorization: Bearer $(cat "$work/token.txt")" "http://127.0.0.1:$gw_port/t/t$last/chat" >/dev/null
  for r in $(seq 1 "$ROUNDS"); do
    bench "a-one-token-n$n" "$r" "$gw_port" "/t/t$last/chat"
    bench "b-distinct-n$n" "$r" "$gw_port" distinct "$n"
  done
  stop_gateway "n$n"
done

echo "== memory without platform keys"
for n in $TENANT_COUNTS; do
  start_gateway "plain-n$n" "$work/tenants-$n-plain"
  stop_gateway "plain-n$n"
done

kill "$up_pid" 2>/dev/null || true
python3 tests/bench/gateway_report.py "$raw/results.txt" | tee "$out/results-$stamp.md"
echo "(written to target/bench-gateway-load/results-$stamp.md; wrk output in ${raw#"$root"/})"
