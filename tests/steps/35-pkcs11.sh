#!/usr/bin/env bash
# Keys in a PKCS#11 token (issue 12), against SoftHSM2: installs softhsm2 and
# opensc (pkcs11-tool) if missing, initialises a token in an ignored folder
# (.peers/softhsm), runs the PKCS#11 Rust tests (core and keys, feature
# `pkcs11`), then the CLI story with the interop peers: tokens minted with
# token keys verified by jwcrypto and npm jose, a jwcrypto JWE and an IBM
# (node-rsa) wxo payload decrypted through the token, a rotation, prune
# --destroy, and pkcs11-tool showing the private keys sensitive and not
# extractable.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 opensc >/dev/null
fi
module=/usr/lib/softhsm/libsofthsm2.so
[ -f "$module" ] || module=$(dpkg -L softhsm2 | grep -m1 '/libsofthsm2\.so$')

root=$PWD/.peers/softhsm
rm -rf "$root"
mkdir -p "$root/tokens"
chmod 700 "$root"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' "$root" >"$root/softhsm2.conf"
export SOFTHSM2_CONF=$root/softhsm2.conf
# Test PINs of a throwaway token (softhsm2-util takes them only on argv).
printf '%s\n' 246810 >"$root/pin"
chmod 600 "$root/pin"
softhsm2-util --init-token --free --label chatseal-test --so-pin 135790 --pin 246810 >/dev/null
softhsm2-util --init-token --free --label chatseal --so-pin 135790 --pin 246810 >/dev/null
softhsm2-util --init-token --free --label chatseal-crash --so-pin 135790 --pin 246810 >/dev/null

export CHATSEAL_TEST_PKCS11_MODULE=$module
export CHATSEAL_TEST_PKCS11_PIN_FILE=$root/pin
export CHATSEAL_REQUIRE_PEERS=${CHATSEAL_REQUIRE_PEERS:-1}

cargo test -q -p chatseal --features pkcs11 --test pkcs11 --test pkcs11_reload
cargo test -q -p chatseal-keys --test pkcs11

# --- The CLI story against the token `chatseal`, with the interop peers. ---
cargo build -q -p chatseal-keys --bin chatseal
bin=${CARGO_TARGET_DIR:-target}/debug/chatseal
chatseal() { "$bin" "$@"; }
export CHATSEAL_PKCS11_MODULE=$module
pin=$root/pin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -d .peers/node/node_modules/jose ] && [ -x .peers/venv/bin/python ] || {
  echo "interop peers missing: run tests/peers/install.sh"; exit 1; }
peer() { # peer jose|jwcrypto|ibm < request.json
  case $1 in
    jose) NODE_PATH=.peers/node/node_modules node tests/peers/jose_peer.mjs ;;
    ibm) NODE_PATH=.peers/node/node_modules node tests/peers/ibm_create_jwt.js ;;
    jwcrypto) PYTHONNOUSERSITE=1 .peers/venv/bin/python tests/peers/jwcrypto_peer.py ;;
  esac
}
no_key_file() { # only the manifest and the lock: no private key byte
  local extra
  extra=$(ls -A "$1" | grep -vxE 'keyring\.json|\.lock' || true)
  [ -z "$extra" ] || { echo "keyring $1 holds $extra"; exit 1; }
}

# 1. Client keys in the token (RS256, PS256, ES256): tokens minted through
#    the token verify with npm jose and jwcrypto against the published JWKS.
for alg in RS256 PS256 ES256; do
  d=$tmp/client-$alg
  chatseal keys init --dir "$d" --alg "$alg" --bits 2048 --pkcs11 'pkcs11:token=chatseal' \
    --pkcs11-pin-file "$pin" --json >/dev/null 2>&1 || \
    chatseal keys init --dir "$d" --alg "$alg" --pkcs11 'pkcs11:token=chatseal' \
      --pkcs11-pin-file "$pin" --json >/dev/null
  no_key_file "$d"
  token=$(chatseal mint --dir "$d" --iss https://host.example --aud chat --sub "user-$alg" \
    --pkcs11-pin-file "$pin")
  chatseal keys jwks --dir "$d" --out "$d.jwks.json" 2>/dev/null
  for p in jose jwcrypto; do
    python3 - "$alg" "$d.jwks.json" "$token" "$p" <<'PY' | peer "$p" >"$tmp/out.json" || {
import json, sys
alg, jwks, token, _ = sys.argv[1:]
print(json.dumps({"op": "verify", "alg": alg, "jwks": json.load(open(jwks)), "token": token,
                  "iss": "https://host.example", "aud": "chat"}))
PY
      echo "$p refused the $alg token minted through the token:"; cat "$tmp/out.json"; exit 1; }
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["claims"]; assert c["sub"]==sys.argv[2], c' \
      "$tmp/out.json" "user-$alg"
  done
done
echo "pkcs11: RS256, PS256 and ES256 minted in the token verify with jose and jwcrypto"

# 2. A platform key in the token: a JWE made by jwcrypto (RSA-OAEP-256) and a
#    wxo payload made by IBM's createJWT.js (node-rsa) decrypt through it.
chatseal keys init --dir "$tmp/platform" --use enc --bits 2048 --pkcs11 'pkcs11:token=chatseal' \
  --pkcs11-pin-file "$pin" --json >/dev/null
no_key_file "$tmp/platform"
chatseal keys export-public --dir "$tmp/platform" >"$tmp/platform.pem"
chatseal keys init --dir "$tmp/host" --alg RS256 --bits 2048 --json >/dev/null
host_pem=$(ls "$tmp"/host/sig-*.pem)
python3 - "$tmp/platform.pem" <<'PY' | peer jwcrypto >"$tmp/jwe.json"
import json, sys
print(json.dumps({"op": "encrypt_jwe", "public_pem": open(sys.argv[1]).read(),
                  "alg": "RSA-OAEP-256", "plaintext": json.dumps({"sso_token": "from-jwcrypto"})}))
PY
python3 - "$host_pem" "$tmp/jwe.json" <<'PY' | peer jwcrypto >"$tmp/signed.json"
import json, sys, time
now = int(time.time())
print(json.dumps({"op": "sign", "alg": "RS256", "private_pem": open(sys.argv[1]).read(),
                  "claims": {"iss": "https://host.example", "aud": "chat", "sub": "user-jwe",
                             "iat": now, "exp": now + 300,
                             "user_payload": json.load(open(sys.argv[2]))["jwe"]}}))
PY
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$tmp/signed.json")
chatseal verify --dir "$tmp/host" --iss https://host.example --aud chat --decrypt-dir "$tmp/platform" \
  --pkcs11-pin-file "$pin" --json "$token" >"$tmp/v.json"
grep -q '"sso_token": "\[redacted\]"' "$tmp/v.json" || { cat "$tmp/v.json"; exit 1; }
# The gateway opens the same token keyring (module and PIN from the
# environment) and hands the decrypted sso_token to an upstream on 127.0.0.1.
chatseal keys export-public --dir "$tmp/host" >"$tmp/host.pub.pem"
platform_kid=$(chatseal keys list --dir "$tmp/platform" --json | python3 -c 'import json,sys; print([k for k in json.load(sys.stdin)["keys"] if k["state"]=="active"][0]["kid"])')
python3 - "$tmp/host.pub.pem" "$platform_kid" >"$tmp/acme.json" <<'PY'
import json, sys
print(json.dumps({"tenantId": "acme", "providers": {"host": {
    "issuer": "https://host.example", "expectedAudience": "chat",
    "acceptedAlgorithms": ["RS256"], "publicKeyPem": open(sys.argv[1]).read(),
    "decryptionKeys": [sys.argv[2]]}}}))
PY
python3 -u -c '
import http.server, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (self.headers.get("X-Chatseal-Sso-Token") or "").encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), Echo)
print(s.server_address[1]); s.serve_forever()' >"$tmp/upstream.port" &
upstream_pid=$!
gateway_pid=
trap 'kill $upstream_pid $gateway_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/upstream.port" ] && break; sleep 0.1; done
printf 'listen = "127.0.0.1:0"\nupstream = "http://127.0.0.1:%s"\n[[tenant]]\nid = "acme"\nconfig = "acme.json"\ndecrypt_dir = "platform"\nforward_sso_token = true\n' \
  "$(head -1 "$tmp/upstream.port")" >"$tmp/gateway.toml"
CHATSEAL_PKCS11_PIN=$(cat "$pin") "$bin" gateway --config "$tmp/gateway.toml" >"$tmp/gateway.out" 2>"$tmp/gateway.err" &
gateway_pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/gateway.out" 2>/dev/null && break; sleep 0.1; done
gw_port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/gateway.out" | head -1)
[ -n "$gw_port" ] || { cat "$tmp/gateway.err"; echo "the gateway did not start"; exit 1; }
got=$(python3 - "$gw_port" "$token" <<'PY'
import sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/t/acme/chat",
                             headers={"Authorization": "Bearer " + sys.argv[2]})
print(urllib.request.urlopen(req, timeout=20).read().decode())
PY
)
[ "$got" = from-jwcrypto ] || { echo "the upstream got '$got'"; cat "$tmp/gateway.err"; exit 1; }
kill "$gateway_pid" "$upstream_pid"
echo "pkcs11: chatseal gateway decrypts user_payload through the token"

# The same token without the PIN: a usage error that says how to give it.
set +e
chatseal verify --dir "$tmp/host" --iss https://host.example --aud chat \
  --decrypt-dir "$tmp/platform" "$token" >/dev/null 2>"$tmp/err"
code=$?
set -e
[ "$code" = 2 ] && grep -q -- --pkcs11-pin-file "$tmp/err" || { echo "exit $code"; cat "$tmp/err"; exit 1; }
python3 - "$host_pem" "$tmp/platform.pem" <<'PY' | peer ibm >"$tmp/ibm.json"
import json, sys
print(json.dumps({"op": "mint", "client_private_pem": open(sys.argv[1]).read(),
                  "platform_public_pem": open(sys.argv[2]).read(), "sub": "user-wxo",
                  "sso_token": "from-node-rsa-" + "x" * 400}))
PY
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$tmp/ibm.json")
chatseal verify --dir "$tmp/host" --insecure-skip-iss --insecure-skip-aud --payload-format wxo \
  --decrypt-dir "$tmp/platform" --json "$token" >"$tmp/v.json" 2>"$tmp/err" <<<"" \
  && { echo "wxo decrypted without the PIN?"; exit 1; }
CHATSEAL_PKCS11_PIN=$(cat "$pin") chatseal verify --dir "$tmp/host" --insecure-skip-iss \
  --insecure-skip-aud --payload-format wxo --decrypt-dir "$tmp/platform" --json "$token" >"$tmp/v.json"
grep -q '"sso_token": "\[redacted\]"' "$tmp/v.json" || { cat "$tmp/v.json"; exit 1; }
echo "pkcs11: a jwcrypto JWE and a node-rsa wxo payload decrypt through the token"

# 3. The rotation story in the token, then prune --destroy.
d=$tmp/client-ES256
old=$(chatseal keys list --dir "$d" --json | python3 -c 'import json,sys; print([k for k in json.load(sys.stdin)["keys"] if k["state"]=="active"][0]["kid"])')
old_uri=$(chatseal keys list --dir "$d" --json | python3 -c 'import json,sys; print([k for k in json.load(sys.stdin)["keys"] if k["state"]=="active"][0]["pkcs11"])')
token=$(chatseal mint --dir "$d" --iss https://host.example --aud chat --sub old --pkcs11-pin-file "$pin")
chatseal keys rotate --dir "$d" --pkcs11-pin-file "$pin" --json >/dev/null
chatseal keys promote --dir "$d" --json >/dev/null
chatseal verify --dir "$d" --iss https://host.example --aud chat "$token" >/dev/null
chatseal keys retire --dir "$d" "--kid=$old" --force --json >/dev/null
chatseal verify --dir "$d" --iss https://host.example --aud chat "$token" >/dev/null 2>&1 && {
  echo "a retired token key still verifies"; exit 1; }
chatseal keys prune --dir "$d" --destroy --pkcs11-pin-file "$pin" | grep -qF "$old_uri"
no_key_file "$d"
echo "pkcs11: rotation in the token; prune --destroy removed the retired key's objects"

# 4. What the token itself says: every private key chatseal made is
#    sensitive and never extractable (OpenSC's pkcs11-tool).
#    pkcs11-tool's --token-label matches by prefix (it would pick
#    chatseal-test or chatseal-crash), so the slot is found by exact label.
slot=$(pkcs11-tool --module "$module" -L 2>/dev/null | python3 -c '
import re, sys
slot = None
for line in sys.stdin:
    m = re.match(r"Slot \d+ \((0x[0-9a-f]+)\)", line)
    if m:
        slot = m.group(1)
    elif re.match(r"\s*token label\s*: chatseal\s*$", line):
        print(slot)
        break
')
[ -n "$slot" ] || { echo "no slot with the token labelled exactly chatseal"; exit 1; }
pkcs11-tool --module "$module" --slot "$slot" --login --pin "$(cat "$pin")" \
  --list-objects --type privkey >"$tmp/objects.txt" 2>/dev/null
python3 - "$tmp/objects.txt" <<'PY'
import sys
blocks = [b for b in open(sys.argv[1]).read().split("Private Key Object") if b.strip()]
ours = [b for b in blocks if "label:      chatseal-" in b]
# RS256, PS256, the rotated ES256 key and the platform key (the first ES256
# key was destroyed by prune --destroy).
assert len(ours) == 4, f"{len(ours)} chatseal keys in the token:\n" + "".join(blocks)
for b in ours:
    access = [l for l in b.splitlines() if "Access:" in l][0]
    assert "sensitive" in access and "never extractable" in access, b
    usage = [l for l in b.splitlines() if "Usage:" in l][0]
    assert not ("sign" in usage and "decrypt" in usage), f"a key with two roles:\n{b}"
print(f"pkcs11-tool: {len(ours)} chatseal private keys, all sensitive and never extractable, one role each")
PY
echo "pkcs11 step: ok"
