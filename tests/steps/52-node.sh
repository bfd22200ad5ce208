#!/usr/bin/env bash
# The Node.js package (bindings/node: npm package `chatseal`, crate
# chatseal-node, on napi-rs):
#   1. the package's own npm dependencies (@napi-rs/cli, typescript,
#      @types/node) from its package-lock.json (`npm ci --ignore-scripts`),
#      skipped while the lock is unchanged;
#   2. `npm install ./bindings/node` into a throwaway project in the cargo
#      target dir, as a user would: the package's install script builds the
#      addon from source (napi build -> cargo build --release -p
#      chatseal-node, in the workspace's target dir) and writes native.js and
#      index.d.ts. Skipped while its inputs (the Rust sources of core, keys and
#      the binding, the manifests, the lock files, the package) are unchanged;
#   3. the generated index.d.ts and native.js must be the committed ones;
#   4. `node --test` over bindings/node/test (interop with the npm peers that
#      tests/peers/install.sh put in .peers/node, the example on 127.0.0.1,
#      and the project from step 2 requiring and importing the package);
#   5. `tsc --strict` over bindings/node/test/types.ts against index.d.ts.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$PWD"
pkg="$root/bindings/node"

say() { printf 'node: %s\n' "$*"; }
die() { printf 'node: error: %s\n' "$*" >&2; exit 1; }
digest() { sha256sum | cut -d' ' -f1; }

command -v node >/dev/null 2>&1 || die "node not found on PATH (need Node.js >= 20.17)"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$target/chatseal-node"
consumer="$work/consumer"
peers="$root/.peers/node"
[[ -d "$peers/node_modules/jose" ]] || die "the npm peers are not installed in $peers: run tests/peers/install.sh"

mkdir -p "$root/.peers" "$work"
# One build of the addon at a time (two test runs started together).
if command -v flock >/dev/null 2>&1; then
  exec 7>"$root/.peers/.node.lock"
  flock 7
fi

# ------------------------------------------------- 1. the package's npm deps
want_deps="$( { cat "$pkg/package.json" "$pkg/package-lock.json"; node --version; } | digest)"
if [[ -f "$pkg/node_modules/.chatseal-stamp" && "$(cat "$pkg/node_modules/.chatseal-stamp")" == "$want_deps" ]]; then
  say "npm dependencies up to date ($pkg/node_modules)"
else
  say "npm ci in bindings/node (pinned @napi-rs/cli, typescript, @types/node)"
  (cd "$pkg" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$want_deps" >"$pkg/node_modules/.chatseal-stamp"
fi

# ---------------------------------- 2. npm install ./bindings/node (the build)
want_build="$(
  {
    find core/src core/Cargo.toml keys/src keys/Cargo.toml Cargo.toml Cargo.lock \
      bindings/node/src bindings/node/Cargo.toml bindings/node/build.rs bindings/node/package.json \
      bindings/node/package-lock.json bindings/node/dts-header.d.ts bindings/node/scripts \
      -type f -print0 | sort -z | xargs -0 sha256sum
    node --version
  } | digest
)"
stamp="$work/.build-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want_build" && -d "$consumer/node_modules/chatseal" ]] \
  && compgen -G "$pkg/chatseal.*.node" >/dev/null; then
  say "addon up to date (inputs unchanged)"
else
  say "npm install ./bindings/node into $consumer (builds the addon: napi build, cargo --release)"
  rm -f "$stamp"
  rm -rf "$consumer"
  mkdir -p "$consumer"
  printf '{ "name": "chatseal-node-consumer", "private": true }\n' >"$consumer/package.json"
  start=$SECONDS
  (cd "$consumer" && npm install --no-audit --no-fund --loglevel=error "$pkg")
  say "built and installed in $((SECONDS - start)) s"
  printf '%s\n' "$want_build" >"$stamp"
fi
compgen -G "$pkg/chatseal.*.node" >/dev/null || die "no built addon (chatseal.*.node) in $pkg"

# ------------------------------------ 3. generated files are the committed ones
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$root" diff --exit-code --stat -- bindings/node/index.d.ts bindings/node/native.js \
    || die "napi build wrote an index.d.ts or native.js that differs from the committed one: commit the regenerated files"
  for f in index.d.ts native.js; do
    git -C "$root" ls-files --error-unmatch "bindings/node/$f" >/dev/null 2>&1 || die "bindings/node/$f is not committed"
  done
  say "index.d.ts and native.js match the committed ones"
fi
grep -q 'export declare class ExpiredError extends ChatsealError' "$pkg/index.d.ts" \
  || die "index.d.ts lacks the error classes of dts-header.d.ts"

# ------------------------------------------------------------ 4. node --test
say "node --test bindings/node/test"
CHATSEAL_NODE_CONSUMER="$consumer" CHATSEAL_NODE_PEERS="$peers" \
  node --test "$pkg"/test/*.test.js

# ------------------------------------------------------------ 5. tsc --strict
say "tsc --strict: bindings/node/test/types.ts against index.d.ts"
"$pkg/node_modules/.bin/tsc" -p "$pkg/test/tsconfig.json" || die "tsc --strict found type errors"
say "done"
