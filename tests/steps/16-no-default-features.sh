#!/usr/bin/env bash
# The host that only mints: `chatseal = { default-features = false }` builds
# without the `remote-jwks` feature, so no HTTP or TLS crate (ureq, rustls)
# enters its tree; the crate still builds, and its unit and doc tests pass
# in that configuration (tenant documents naming `jwksUri`/`authority` are
# refused with "built without remote-jwks", core/src/policy.rs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

tree=$(cargo tree -p chatseal --no-default-features -e normal --prefix none)
if bad=$(grep -E '^(ureq|ureq-proto|rustls|rustls-platform-verifier|webpki-roots) v' <<<"$tree"); then
  echo "chatseal without default features still depends on:"
  sort -u <<<"$bad"
  exit 1
fi
# And the default build does have them (so the check above means something).
cargo tree -p chatseal -e normal --prefix none | grep -q '^ureq v' \
  || { echo "the default build of chatseal lacks ureq: is the feature wired?"; exit 1; }
echo "chatseal --no-default-features: no ureq, no rustls"

cargo build --quiet -p chatseal --no-default-features
cargo test --quiet -p chatseal --no-default-features --lib
cargo test --quiet -p chatseal --no-default-features --doc
echo "chatseal --no-default-features: builds, unit and doc tests pass"
