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

# A foreign implementation (panva/jose, installed by tests/peers/install.sh)
# accepts what the CLI publishes and mints: the JWKS from `keys jwks`, a token
# from `mint`, and the user_payload JWE decrypts with the platform keyring's
# private key file.
if command -v node >/dev/null && [ -d .peers/node/node_modules/jose ]; then
  chatseal keys init --dir "$tmp/platform" --use enc --bits 2048 --json >/dev/null
  printf 'sso-from-the-cli' >"$tmp/sso"
  token=$(chatseal mint --dir "$tmp/ring" --iss https://host.example --aud chat --sub user-7 \
    --platform-key "$tmp/platform" --sso-token-file "$tmp/sso")
  chatseal keys jwks --dir "$tmp/ring" --out "$tmp/jwks.json" 2>/dev/null
  TOKEN="$token" JWKS="$tmp/jwks.json" PLATFORM="$tmp/platform" python3 - <<'PY'
import glob, json, os, subprocess, sys
def peer(req):
    out = subprocess.run(["node", "tests/peers/jose_peer.mjs"], input=json.dumps(req),
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"jose refused: {out.stdout} {out.stderr}")
    return json.loads(out.stdout)
jwks = json.load(open(os.environ["JWKS"]))
alg = jwks["keys"][-1]["alg"]
v = peer({"op": "verify", "alg": alg, "jwks": jwks, "token": os.environ["TOKEN"],
          "iss": "https://host.example", "aud": "chat"})
assert v["claims"]["sub"] == "user-7", v
pem = open(glob.glob(os.path.join(os.environ["PLATFORM"], "enc-*.pem"))[0]).read()
d = peer({"op": "decrypt_jwe", "private_pem": pem, "jwe": v["claims"]["user_payload"]})
assert json.loads(d["plaintext"])["sso_token"] == "sso-from-the-cli", d
print("jose accepts the CLI's JWKS, token and user_payload")
PY
elif [ "${CHATSEAL_REQUIRE_PEERS:-0}" = 1 ]; then
  echo "the jose peer is missing (run tests/peers/install.sh)"; exit 1
else
  echo "skipping the jose cross-check: peer not installed"
fi
echo "keys step: ok"
