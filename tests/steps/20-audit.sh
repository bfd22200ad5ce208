#!/usr/bin/env bash
# Dependency audit.
#
# (cargo tree runs first: it brings fuzz/Cargo.lock up to date with core.)
# 1. RustSec advisories, from the offline snapshot at <root>/../shared/advisory-db
#    (CI cannot fetch the database), for the workspace's Cargo.lock and the
#    fuzz crate's fuzz/Cargo.lock. Any vulnerability fails the step.
# 2. The `rsa` crate is in neither dependency tree (`cargo tree -i rsa` must
#    find no such package), and `ring` is never built (it may be listed in
#    Cargo.lock as an optional dependency of rustls-webpki that no feature
#    turns on; `cargo tree -i ring` must print nothing).
# 3. Licenses (a small stand-in for `cargo deny check licenses`): every
#    registry dependency's SPDX expression must be satisfiable with the
#    permissive licenses in ALLOWED below. Duplicate versions are listed for
#    information only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

db="$(cd .. && pwd)/shared/advisory-db"
[ -d "$db" ] || { echo "advisory database snapshot missing at $db"; exit 1; }

if ! command -v cargo-audit >/dev/null 2>&1; then
  echo "installing cargo-audit"
  cargo install cargo-audit --locked
fi

echo "--- no rsa, no ring"
for dir in . fuzz; do
  if out=$(cd "$dir" && cargo tree --target all -e all -i rsa 2>&1); then
    echo "the rsa crate is in the dependency tree of $dir:"; echo "$out"; exit 1
  fi
  grep -q "did not match any packages" <<<"$out" || { echo "cargo tree -i rsa in $dir: $out"; exit 1; }
  if out=$(cd "$dir" && cargo tree --target all -e all -i ring 2>&1); then
    if grep -q '^ring v' <<<"$out"; then
      echo "ring is built in $dir:"; echo "$out"; exit 1
    fi
    grep -q "nothing to print" <<<"$out" && echo "$dir: ring is only an unused optional entry of Cargo.lock"
  else
    grep -q "did not match any packages" <<<"$out" || { echo "cargo tree -i ring in $dir: $out"; exit 1; }
    echo "$dir: no ring"
  fi
  echo "$dir: no rsa"
done

echo "--- cargo audit (workspace)"
cargo audit --db "$db" --no-fetch --stale --deny unsound --file Cargo.lock
echo "--- cargo audit (fuzz)"
cargo audit --db "$db" --no-fetch --stale --deny unsound --file fuzz/Cargo.lock

echo "--- licenses"
for dir in . fuzz; do
  (cd "$dir" && cargo metadata --format-version 1) | python3 -c '
import json, re, sys

ALLOWED = {
    "MIT", "MIT-0", "Apache-2.0", "Apache-2.0 WITH LLVM-exception", "BSD-2-Clause",
    "BSD-3-Clause", "ISC", "Zlib", "0BSD", "Unlicense", "CC0-1.0", "Unicode-3.0",
    "Unicode-DFS-2016", "MPL-2.0", "CDLA-Permissive-2.0", "OpenSSL", "NCSA",
}

def ok(expr):
    """Whether an SPDX expression (AND, OR, WITH, parentheses, legacy "/")
    can be satisfied with ALLOWED."""
    toks = re.findall(r"\(|\)|[^\s()]+", expr.replace("/", " OR "))
    pos = 0
    def peek():
        return toks[pos] if pos < len(toks) else None
    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]
    def atom():
        if peek() == "(":
            take(); v = any_(); take(); return v
        lic = take()
        if peek() == "WITH":
            take(); lic = lic + " WITH " + take()
        return lic in ALLOWED
    def all_():
        v = atom()
        while peek() == "AND":
            take(); v = atom() and v
        return v
    def any_():
        v = all_()
        while peek() == "OR":
            take(); v = all_() or v
        return v
    return any_()

meta = json.load(sys.stdin)
used = {n["id"] for n in meta["resolve"]["nodes"]}
bad = []
for p in meta["packages"]:
    if p["id"] not in used or p["source"] is None:
        continue  # not in the build graph, or one of our own crates
    lic = p.get("license")
    if not lic or not ok(lic):
        bad.append("%s %s: %s" % (p["name"], p["version"], lic or "no license field"))
if bad:
    print("dependencies whose license is not in the allow-list:")
    print("\n".join(sorted(bad)))
    sys.exit(1)
print("%d packages: every license is in the allow-list" % len(used))
'
done

echo "--- duplicate versions (information only)"
cargo tree --workspace -d --depth 0 -e normal 2>/dev/null | grep -E '^[a-z]' | sort -u || true

echo "audit: ok"
