#!/usr/bin/env bash
# Keys in a PKCS#11 token (SoftHSM2) against keys in memory: mint and
# verify + decrypt per second, 1 and 2 threads, in one run
# (core/benches/pkcs11.rs). Installs softhsm2 if missing and initialises a
# throwaway token in an ignored folder (.peers/softhsm-bench).
#   bash tests/bench/pkcs11.sh            # 2 s per figure
#   CHATSEAL_BENCH_SECS=0.2 bash tests/bench/pkcs11.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v softhsm2-util >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null
fi
module=/usr/lib/softhsm/libsofthsm2.so
[ -f "$module" ] || module=$(dpkg -L softhsm2 | grep -m1 '/libsofthsm2\.so$')
root=$PWD/.peers/softhsm-bench
rm -rf "$root"
mkdir -p "$root/tokens"
chmod 700 "$root"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$root" >"$root/softhsm2.conf"
export SOFTHSM2_CONF=$root/softhsm2.conf
printf '%s\n' 112233 >"$root/pin"
softhsm2-util --init-token --free --label chatseal-bench --so-pin 445566 --pin 112233 >/dev/null

export CHATSEAL_BENCH_PKCS11_MODULE=$module CHATSEAL_BENCH_PKCS11_PIN_FILE=$root/pin
echo "softhsm2 $(dpkg-query -W -f='${Version}' softhsm2 2>/dev/null || echo '?'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench -q -p chatseal --features pkcs11 --bench pkcs11
