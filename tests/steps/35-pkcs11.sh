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

export CHATSEAL_TEST_PKCS11_MODULE=$module
export CHATSEAL_TEST_PKCS11_PIN_FILE=$root/pin
export CHATSEAL_REQUIRE_PEERS=${CHATSEAL_REQUIRE_PEERS:-1}

cargo test -q -p chatseal --features pkcs11 --test pkcs11 --test pkcs11_reload
