#!/usr/bin/env bash
# The README's first command, run the way a newcomer runs it: from the
# repository root, with the default keyring folder ./keys (it creates
# keys/client and keys/platform, both gitignored), twice (the second run reuses
# the keyrings). Debug build, which the cargo tests already made; the README
# uses --release. Then a scripted rotation through --json, as an operator's
# cron job would drive it. The CLI's own tests (every command, exit codes,
# SIGKILL crash test) run under `cargo test` in keys/tests/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

chatseal() { cargo run -q -p chatseal-keys --bin chatseal -- "$@"; }

out=$(chatseal quickstart)
for want in "Step 1" "Step 4" "signature OK" "[redacted]"; do
  grep -qF "$want" <<<"$out" || { echo "quickstart output lacks '$want':"; echo "$out"; exit 1; }
done
if grep -qF "demo-idp-access-token" <<<"$out"; then
  echo "quickstart printed the sso_token"; exit 1
fi
chatseal quickstart | grep -qF "reusing ./keys/client"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chatseal keys init --dir "$tmp/ring" --alg ES256 --json >/dev/null
old=$(chatseal keys list --dir "$tmp/ring" --json | python3 -c 'import json,sys; print([k["kid"] for k in json.load(sys.stdin)["keys"] if k["state"]=="active"][0])')
token=$(chatseal mint --dir "$tmp/ring" --iss https://host.example --aud chat --sub user-42)
chatseal keys rotate --dir "$tmp/ring" --json >/dev/null
chatseal keys jwks --dir "$tmp/ring" --out "$tmp/jwks.json" 2>/dev/null
chatseal keys promote --dir "$tmp/ring" --json >/dev/null
chatseal verify --jwks "$tmp/jwks.json" --iss https://host.example --aud chat "$token" >/dev/null
chatseal keys retire --dir "$tmp/ring" --kid "$old" --force --json >/dev/null
set +e
chatseal verify --dir "$tmp/ring" --iss https://host.example --aud chat "$token" 2>"$tmp/err" >/dev/null
code=$?
set -e
[ "$code" = 1 ] || { echo "verify of a retired key's token exited $code, want 1"; exit 1; }
grep -q "^chatseal: token rejected: unknown_kid:" "$tmp/err" || { cat "$tmp/err"; exit 1; }
echo "keys step: ok"
