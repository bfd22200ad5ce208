#!/usr/bin/env bash
# Side-by-side benchmark: chatseal against OpenSSL's limit and the libraries
# users would pick instead, in one run on one machine.
#
#   bash tests/bench/compare.sh            # 5 runs x 2 s per figure (~25 min)
#   bash tests/bench/compare.sh --quick    # 1 run x 0.5 s, 100k-verify memory run (~5 min)
#
# Environment: RUNS (5), SECS (2; seconds per figure per run), MEMORY_N
# (1000000 verifications), CARGO_TARGET_DIR (default target/bench-peers).
#
# Single-threaded ops/s of the same work (RSA-2048 RS256 widget token; the
# sso_token JWE is RSA-OAEP-256 + A256GCM to an RSA-2048 platform key) with:
#   - `openssl speed rsa2048 rsa3072 ecdsap256`: the ideal (a mint is one
#     private-key operation, a verify one public-key operation; mint + JWE and
#     verify + decrypt one of each),
#   - chatseal, jsonwebtoken (aws_lc_rs) and aws-lc-rs's bare RSA operations
#     (chatseal's backend with nothing around it) from tests/bench/rust-peers,
#     and josekit from tests/bench/josekit-peer: release builds outside the
#     chatseal workspace,
#   - npm jose and Python PyJWT + jwcrypto (the interop peers installed by
#     tests/peers/install.sh into .peers/),
#   - chatseal's Python binding, when bindings/pyproject.toml exists.
# Then the key paths of issue 13, the whole job (mint with a 1,536-character
# sso_token JWE; verify + decrypt) on each key choice: RS256 + RSA-OAEP-256
# with RSA-2048/3072/4096 keys, ES256 + ECDH-ES+A256KW on P-256, Ed25519 +
# ECDH-ES+A256KW on X25519; by chatseal and by aws-lc-rs bare (the same
# primitives: the ideal), measured in interleaved slices in one process
# (`chatseal-bench-peers paths`), by npm jose and jwcrypto, and against
# `openssl speed rsa4096 ecdhp256 ecdhx25519 ed25519` too.
# Then chatseal's Node package (bindings/node, built with `npm install
# ./bindings/node`) against npm jose, jsonwebtoken + node-rsa (IBM's stack)
# and @node-rs/jsonwebtoken in one Node process: mint and verify(+decrypt),
# JWE and IBM's `wxo` format (bindings/node/bench/bench.mjs, its own table).
# Runs are interleaved (every peer once per run) and each figure is the
# median over the runs. Then chatseal on 1 and 2 threads, and the peak RSS of
# MEMORY_N verifications in one process. Every peer first checks that it
# accepts chatseal's tokens, and chatseal verifies a token minted by every
# peer, so each row is known to do the same, working job.
#
# Prints the table (tests/bench/report.py) and writes it, with the raw
# output, to target/bench-compare/. Not part of tests/run.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tests/bench"
cd "$root"

RUNS="${RUNS:-5}"
SECS="${SECS:-2}"
MEMORY_N="${MEMORY_N:-1000000}"
if [[ "${1:-}" == "--quick" ]]; then
  RUNS=1
  SECS=0.5
  MEMORY_N=100000
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--quick]" >&2
  exit 2
fi
# openssl speed takes whole seconds.
OSSL_SECS="$(python3 -c "import math; print(max(1, math.ceil($SECS)))")"

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

command -v openssl >/dev/null || die "openssl not found"
command -v cargo >/dev/null || die "cargo not found"
command -v python3 >/dev/null || die "python3 not found"

# josekit links the system OpenSSL: it needs the headers and pkg-config.
if ! dpkg -s libssl-dev >/dev/null 2>&1 || ! command -v pkg-config >/dev/null; then
  say "installing libssl-dev and pkg-config (josekit builds against OpenSSL)"
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq && $sudo apt-get install -y -qq libssl-dev pkg-config >/dev/null \
    || die "could not install libssl-dev and pkg-config"
fi

say "interop peers (tests/peers/install.sh)"
bash tests/peers/install.sh >&2

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/bench-peers}"
say "building tests/bench/rust-peers and josekit-peer (release) into $CARGO_TARGET_DIR"
cargo build --release --quiet --manifest-path "$here/rust-peers/Cargo.toml"
cargo build --release --quiet --manifest-path "$here/josekit-peer/Cargo.toml"
peers="$CARGO_TARGET_DIR/release/chatseal-bench-peers"
josekit="$CARGO_TARGET_DIR/release/chatseal-bench-josekit"

out_dir="$root/target/bench-compare"
mkdir -p "$out_dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
raw="$out_dir/raw-$stamp.txt"
meta="$out_dir/meta-$stamp.txt"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"
fixture="$work/fixture.json" # throwaway keys, deleted on exit
"$peers" fixtures "$fixture"

# The Python binding, when it has landed: a release wheel installed into its
# own venv in .peers, as users install it. Nothing is written into the source
# tree (`maturin develop` would build in place into bindings/python/).
py_binding=""
if [[ -f bindings/pyproject.toml ]]; then
  venv="$root/.peers/bench-venv"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  say "building the Python binding (pip install ./bindings: maturin, release)"
  if "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall \
    --no-deps ./bindings >&2; then
    py_binding="$venv/bin/python"
  else
    say "the Python binding did not build; its row is left out"
  fi
fi

# chatseal's Node package, built as users build it (`npm install
# ./bindings/node` into a throwaway project: napi build, cargo --release into
# $CARGO_TARGET_DIR), and the npm packages its benchmark measures it against
# (bindings/node/bench/package.json) in .peers/bench-node.
say "building the Node package (npm install ./bindings/node: napi build, release)"
node_consumer="$CARGO_TARGET_DIR/node-consumer"
rm -rf "$node_consumer"
mkdir -p "$node_consumer"
printf '{ "name": "chatseal-bench-consumer", "private": true }\n' >"$node_consumer/package.json"
(cd "$node_consumer" && npm install --no-audit --no-fund --loglevel=error "$root/bindings/node" >&2)
node_peers="$root/.peers/bench-node"
bash bindings/node/bench/install-peers.sh

{
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); runs: $RUNS x ${SECS} s per figure (openssl speed: ${OSSL_SECS} s); medians."
  echo "Machine: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs, $(uname -sr); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Versions: $(openssl version | cut -d' ' -f1-2); $(rustc --version | cut -d' ' -f1-2); node $(node --version); $(.peers/venv/bin/python --version);" \
    "jose $(node -p 'require("./.peers/node/node_modules/jose/package.json").version');" \
    "$(.peers/venv/bin/python -c 'from importlib.metadata import version as v; print(", ".join("%s %s" % (n, v(n)) for n in ("PyJWT", "jwcrypto", "cryptography")))');" \
    "$(python3 -c 'import sys, tomllib; print(", ".join("%s %s" % (x["name"], x["version"]) for f in sys.argv[1:] for x in tomllib.load(open(f, "rb"))["package"] if x["name"] in ("aws-lc-rs", "jsonwebtoken", "josekit", "openssl")))' "$here/rust-peers/Cargo.lock" "$here/josekit-peer/Cargo.lock")."
} >"$meta"

# The primitives of every key path: RSA sign/verify, ECDSA P-256, ECDH on
# P-256 and X25519, Ed25519.
ossl_algs="rsa2048 rsa3072 rsa4096 ecdsap256 ecdhp256 ecdhx25519 ed25519"

for run in $(seq 1 "$RUNS"); do
  say "run $run of $RUNS"
  echo "RUN $run" >>"$raw"
  # Wall-clock rates (-elapsed), like every peer's first figure; then the
  # default, which divides by user CPU time, for the CPU-time table.
  echo "OPENSSL wall" >>"$raw"
  openssl speed -elapsed -seconds "$OSSL_SECS" $ossl_algs 2>/dev/null >>"$raw"
  echo "OPENSSL cpu" >>"$raw"
  openssl speed -seconds "$OSSL_SECS" $ossl_algs 2>/dev/null >>"$raw"
  for impl in chatseal aws-lc-rs jsonwebtoken; do
    "$peers" run "$impl" "$fixture" "$SECS" >>"$raw"
  done
  "$josekit" "$fixture" "$SECS" >>"$raw"
  node "$here/peers/jose_bench.mjs" "$fixture" "$SECS" >>"$raw"
  .peers/venv/bin/python "$here/peers/py_bench.py" "$fixture" "$SECS" >>"$raw"
  if [[ -n "$py_binding" ]]; then
    "$py_binding" "$here/peers/chatseal_py_bench.py" "$fixture" "$SECS" >>"$raw"
  elif [[ $run -eq 1 ]]; then
    echo "SKIP chatseal Python binding (bindings/pyproject.toml not there yet)" >>"$raw"
  fi
  "$peers" paths "$fixture" "$SECS" >>"$raw"
  "$peers" extra "$SECS" >>"$raw"
  "$peers" threads "$fixture" "$SECS" >>"$raw"
done

say "Node packages: chatseal, jose, jsonwebtoken + node-rsa, @node-rs/jsonwebtoken ($RUNS runs)"
node_table="$out_dir/node-$stamp.md"
CHATSEAL_BENCH_PEERS="$node_peers" node bindings/node/bench/bench.mjs --secs "$SECS" --runs "$RUNS" >"$node_table"

say "chatseal verifies a token minted by every peer"
"$peers" check "$fixture" "$raw" >>"$raw"

say "memory: $MEMORY_N verifications in one process"
"$peers" memory "$fixture" "$MEMORY_N" >>"$raw"

python3 "$here/report.py" "$raw" "$meta" "$out_dir/results-$stamp.md"
{
  printf '\n## Node.js packages, in one process (bindings/node/bench/bench.mjs)\n\n'
  cat "$node_table"
} | tee -a "$out_dir/results-$stamp.md"
say "raw output: $raw"
say "table: $out_dir/results-$stamp.md"
