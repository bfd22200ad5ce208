#!/usr/bin/env bash
# Installs the npm packages bench.mjs measures chatseal against
# (package.json + package-lock.json here) into .peers/bench-node (ignored),
# skipped while the manifest, the lock and node's version are unchanged.
# Used by tests/bench/compare.sh and tests/steps/70-bench-compile.sh.
#
# `npm install`, not `npm ci`: the registry this project uses lacks some of
# @node-rs/jsonwebtoken's optional per-platform packages, which `npm ci`
# refuses; the lock still pins every package that is installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
dest="$root/.peers/bench-node"

mkdir -p "$root/.peers"
if command -v flock >/dev/null 2>&1; then
  exec 6>"$root/.peers/.bench-node.lock"
  flock 6
fi
want="$( { cat "$here/package.json" "$here/package-lock.json"; node --version; } | sha256sum | cut -d' ' -f1)"
if [[ -f "$dest/.stamp" && "$(cat "$dest/.stamp")" == "$want" && -d "$dest/node_modules" ]]; then
  exit 0
fi
printf 'bench: installing the Node benchmark peers into %s\n' "$dest" >&2
rm -rf "$dest"
mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
(cd "$dest" && npm install --no-audit --no-fund --loglevel=error >&2)
printf '%s\n' "$want" >"$dest/.stamp"
