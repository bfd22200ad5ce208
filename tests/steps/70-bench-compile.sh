#!/usr/bin/env bash
# Benchmarks are not run by the test command (speed is measured, never
# asserted): this step only checks that they still build, and that the
# comparison harness's scripts parse. The benchmarks themselves:
#   cargo bench -p chatseal            (criterion, core/benches)
#   bash tests/bench/compare.sh        (side by side with OpenSSL and peers)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cargo bench -p chatseal --no-run

bash -n tests/bench/compare.sh
for f in tests/bench/report.py tests/bench/peers/*.py; do
  python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f"
done
if command -v node >/dev/null; then
  node --check tests/bench/peers/jose_bench.mjs
fi
echo "bench compile smoke: ok"
