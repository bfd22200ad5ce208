#!/usr/bin/env bash
# Benchmarks are not run by the test command (speed is measured, never
# asserted): this step only checks that they still build, and that the
# comparison harness's scripts parse. The benchmarks themselves:
#   cargo bench -p chatseal            (criterion, core/benches)
#   bash tests/bench/compare.sh        (side by side with OpenSSL and peers)
#   bash tests/bench/gateway-load.sh   (chatseal gateway under wrk)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cargo bench -p chatseal --no-run

bash -n tests/bench/compare.sh
bash -n tests/bench/gateway-load.sh
for f in tests/bench/report.py tests/bench/gateway_report.py tests/bench/peers/*.py; do
  python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f"
done
if command -v node >/dev/null; then
  node --check tests/bench/peers/jose_bench.mjs
  node --check bindings/node/bench/bench.mjs
fi
# The Node packages' benchmark once, with tiny counts: its checks (every peer
# reads chatseal's tokens and chatseal reads every peer's) run in full. It
# needs the addon that tests/steps/52-node.sh builds.
if compgen -G "bindings/node/chatseal.*.node" >/dev/null; then
  bash bindings/node/bench/install-peers.sh
  node bindings/node/bench/bench.mjs --secs 0.02 --runs 1 >/dev/null
elif [[ "${CHATSEAL_REQUIRE_PEERS:-0}" == "1" ]]; then
  echo "bench compile smoke: no built Node addon in bindings/node (tests/steps/52-node.sh builds it)" >&2
  exit 1
else
  echo "bench compile smoke: SKIPPED the Node benchmark (no built addon in bindings/node)"
fi
echo "bench compile smoke: ok"
