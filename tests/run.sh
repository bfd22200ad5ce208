#!/usr/bin/env bash
# The one command that runs every test of the project (CI runs it through
# .ci/run). Installs the foreign interop peers first and makes a missing peer
# a failure, so no interop test passes by skipping. Then runs every step
# script in tests/steps/ in name order; each is one part of the suite
# (bindings, fuzz smoke, audit, ...) and fails the run if it fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
export -f step

step "interop peers (tests/peers/install.sh)"
bash tests/peers/install.sh
export CHATSEAL_REQUIRE_PEERS=1

step "cargo test --workspace --all-targets"
cargo test --workspace --all-targets

step "cargo test --workspace --doc"
cargo test --workspace --doc

for s in tests/steps/*.sh; do
  [ -e "$s" ] || continue
  step "$s"
  bash "$s"
done

step "done: every step above passed"
