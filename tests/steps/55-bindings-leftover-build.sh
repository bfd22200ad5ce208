#!/usr/bin/env bash
# `pip install ./bindings` works on a checkout where the binding was once
# built in place (issue 10, point 5: a `maturin develop` leaves
# bindings/python/chatseal/_native/ behind, and the package build used to
# fail with "File chatseal/_native/libchatseal_ffi.so overwrote an existing
# tracked file"):
#   1. `maturin develop --release` into a throwaway venv, which writes the
#      library and the generated module into bindings/python/chatseal/_native/;
#   2. `pip install ./bindings` into a second throwaway venv, then, from
#      outside the source tree, imports the installed package, mints and
#      verifies a token with it, and checks the wheel holds one library;
#   3. removes the leftover (and puts back one that was there before).
# Both builds reuse the release build that 50-bindings.sh left in the cargo
# target dir, so this costs two venvs and two no-op cargo builds.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$PWD"

say() { printf 'bindings-leftover: %s\n' "$*"; }
die() { printf 'bindings-leftover: error: %s\n' "$*" >&2; exit 1; }

python="${PYTHON:-python3}"
maturin_pin="maturin==1.16.0"
leftover="$root/bindings/python/chatseal/_native"

mkdir -p "$root/.peers"
# The same lock as 50-bindings.sh: no other binding build sees the leftover
# half-made, and two runs of this step do not share one.
if command -v flock >/dev/null 2>&1; then
  exec 8>"$root/.peers/.bindings.lock"
  flock 8
fi

tmp="$(mktemp -d)"
backup=""
cleanup() {
  rm -rf "$leftover"
  if [[ -n "$backup" ]]; then
    mv "$backup" "$leftover"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
if [[ -e "$leftover" ]]; then
  backup="$tmp/native-before"
  mv "$leftover" "$backup"
fi

# ------------------------------------------------- 1. an in-place build
say "maturin develop --release into a throwaway venv ($maturin_pin)"
"$python" -m venv "$tmp/develop"
"$tmp/develop/bin/python" -m pip install --quiet --disable-pip-version-check "$maturin_pin"
(cd bindings && VIRTUAL_ENV="$tmp/develop" "$tmp/develop/bin/maturin" develop --release --quiet)
for f in libchatseal_ffi.so chatseal.py __init__.py; do
  [[ -f "$leftover/$f" ]] || die "maturin develop left no $f in $leftover: nothing to test"
done
say "in-place build left: $(cd "$leftover" && ls | tr '\n' ' ')"

# --------------------------------- 2. pip install ./bindings beside it
say "pip install ./bindings into another throwaway venv"
"$python" -m venv "$tmp/install"
"$tmp/install/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps ./bindings \
  || die "pip install ./bindings failed with an in-place build in $leftover"

(cd "$tmp" && "$tmp/install/bin/python" - "$root") <<'EOF'
import sys
from importlib.metadata import files
from pathlib import Path

import chatseal
import chatseal._native.chatseal as native

source_tree = Path(sys.argv[1]).resolve()
for module in (chatseal, native):
    where = Path(module.__file__).resolve()
    assert source_tree not in where.parents, f"{module.__name__} imported from the source tree: {where}"

key = chatseal.ClientSigningKey.generate(chatseal.Algorithm.ES256)
token = chatseal.Issuer(key, issuer="i", audience="a").mint("u", context={"k": 1})
verified = chatseal.Verifier([key.verifying_key()], issuers=["i"], audiences=["a"]).verify(token)
assert verified.context() == {"k": 1}, verified.context()

libraries = [str(f) for f in files("chatseal") or [] if f.name.endswith(".so")]
assert libraries == ["chatseal/_native/libchatseal_ffi.so"], libraries
print(f"bindings-leftover: installed package imports and works: {Path(chatseal.__file__).parent}")
EOF

say "ok (leftover removed)"
