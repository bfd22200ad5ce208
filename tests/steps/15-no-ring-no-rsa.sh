#!/usr/bin/env bash
# Every cryptographic operation is done by aws-lc-rs: neither `ring` nor the
# `rsa` crate may enter the dependency tree of any workspace crate, on any
# target, including through the remote-JWKS HTTP client (ureq + rustls with
# the aws-lc-rs provider and `rustls-no-provider`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

tree=$(cargo tree --workspace --target all -e normal,build,dev --prefix none)
grep -q '^aws-lc-rs v' <<<"$tree" || { echo "aws-lc-rs missing from the tree?"; exit 1; }
if bad=$(grep -E '^(ring|rsa) v' <<<"$tree"); then
  echo "forbidden crates in the dependency tree:"
  sort -u <<<"$bad"
  for c in ring rsa; do cargo tree --workspace --target all -i "$c" 2>/dev/null || true; done
  exit 1
fi
echo "no ring, no rsa: ok"
