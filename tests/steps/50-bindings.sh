#!/usr/bin/env bash
# The bindings (bindings/, crate chatseal-ffi):
#   1. a venv (.peers/bindings-venv) with the Python peers' requirements and
#      mypy;
#   2. `pip install ./bindings` into it (maturin builds the Rust library and
#      the uniffi Python module), skipped while its inputs are unchanged;
#   3. the pytest suite in bindings/tests (no test collected = failure), with
#      the `chatseal` CLI built for the Python/CLI cross-checks, then
#      `mypy --strict` over the package's type stub, its Python helpers and
#      the example backend;
#   4. Kotlin and Swift sources generated from the built library by the
#      workspace's uniffi-bindgen, checked for the exported API;
#   5. a Kotlin smoke test (bindings/kotlin/Smoke.kt) compiled against the
#      generated Kotlin and run on the JVM with JNA. The compiler comes from
#      the npm package `kotlin-compiler`, JNA and a JRE from Debian. With
#      CHATSEAL_REQUIRE_PEERS=1 (tests/run.sh sets it) a toolchain that cannot
#      be installed is a failure; otherwise the smoke test is skipped with a
#      message.
# No Swift compiler is installable from the registries this project uses, so
# the Swift sources are only generated and checked.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$PWD"

say() { printf 'bindings: %s\n' "$*"; }
die() { printf 'bindings: error: %s\n' "$*" >&2; exit 1; }
digest() { sha256sum | cut -d' ' -f1; }

python="${PYTHON:-python3}"
venv="$root/.peers/bindings-venv"
target="${CARGO_TARGET_DIR:-$root/target}"
gen="$target/chatseal-bindings"
require="${CHATSEAL_REQUIRE_PEERS:-0}"
kotlin_version="2.4.20"
# Only the bindings venv has mypy: the shared peers' requirements stay as
# they are.
mypy_pin="mypy==2.4.1"

mkdir -p "$root/.peers"
# One installer at a time, like tests/peers/install.sh.
if command -v flock >/dev/null 2>&1; then
  exec 8>"$root/.peers/.bindings.lock"
  flock 8
fi

# ------------------------------------------------------------------ 1. venv
want_venv="$( { cat tests/peers/requirements.txt; echo "$mypy_pin"; "$python" --version 2>&1; } | digest)"
if [[ -f "$venv/.stamp" && "$(cat "$venv/.stamp")" == "$want_venv" && -x "$venv/bin/python" ]]; then
  say "venv up to date ($venv)"
else
  say "creating venv $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/peers/requirements.txt "$mypy_pin"
  printf '%s\n' "$want_venv" >"$venv/.stamp"
fi
py="$venv/bin/python"

# ------------------------------------------------------ 2. pip install ./bindings
# Everything the wheel is built from: the Rust sources of core and bindings,
# the manifests, the lock file, the Python part, and the interpreter.
want_pkg="$(
  {
    find core/src core/Cargo.toml keys/src keys/Cargo.toml bindings/src bindings/Cargo.toml bindings/pyproject.toml bindings/README.md \
      bindings/uniffi.toml bindings/python bindings/uniffi-bindgen Cargo.toml Cargo.lock \
      -type f -not -path '*/__pycache__/*' -not -path 'bindings/python/chatseal/_native/*' -print0 \
      | sort -z | xargs -0 sha256sum
    "$py" --version 2>&1
  } | digest
)"
stamp="$venv/.chatseal-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want_pkg" ]] && "$py" -c 'import chatseal' 2>/dev/null; then
  say "chatseal package up to date (inputs unchanged)"
else
  say "pip install ./bindings (maturin: release build of the library)"
  rm -f "$stamp"
  "$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./bindings
  printf '%s\n' "$want_pkg" >"$stamp"
fi
so_dir="$("$py" -c 'import os, chatseal._native as n; print(os.path.dirname(n.__file__))')"
so="$so_dir/libchatseal_ffi.so"
[[ -f "$so" ]] || die "built library not found at $so"

# ---------------------------------------------------------------- 3. pytest
# The `chatseal` CLI, for the tests that cross-check Python and the CLI.
cargo build --quiet -p chatseal-keys --bin chatseal
export CHATSEAL_CLI="$target/debug/chatseal"
say "pytest bindings/tests"
set +e
(cd bindings && "$py" -m pytest tests -q -p no:cacheprovider)
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
  die "pytest collected no tests"
elif [[ $rc -ne 0 ]]; then
  die "pytest failed (exit $rc)"
fi

# The stub is what type checkers read, so it is checked from the source tree
# (MYPYPATH), not from the installed copy; the example type-checks against it.
say "mypy --strict: the stub, chatseal/_json.py and examples/{host,platform}_backend.py"
(cd bindings && MYPYPATH=python "$py" -m mypy --strict --cache-dir "$target/mypy-cache" \
  python/chatseal/__init__.pyi python/chatseal/_json.py examples/host_backend.py examples/platform_backend.py) \
  || die "mypy --strict found type errors"

# --------------------------------------------- 4. Kotlin and Swift sources
rm -rf "$gen/kotlin" "$gen/swift"
for lang in kotlin swift; do
  say "generating $lang sources into $gen/$lang"
  cargo run --quiet -p chatseal-uniffi-bindgen -- generate --no-format \
    --library "$so" --language "$lang" --out-dir "$gen/$lang"
done
kt="$gen/kotlin/uniffi/chatseal/chatseal.kt"
swift="$gen/swift/chatseal.swift"
[[ -f "$kt" ]] || die "no Kotlin source at $kt"
[[ -f "$swift" ]] || die "no Swift source at $swift"
[[ -f "$gen/swift/chatsealFFI.h" ]] || die "no Swift FFI header"

expect() { # file, then fixed strings that must each occur
  local file="$1"
  shift
  for s in "$@"; do
    grep -qF -- "$s" "$file" || die "$(basename "$file") lacks \`$s\`"
  done
}
expect "$kt" \
  "package uniffi.chatseal" \
  "open class Issuer" "fun \`mint\`(" \
  "open class Verifier" "fun \`verify\`(" \
  "open class VerifiedToken" "fun \`ssoToken\`()" \
  "open class ClientSigningKey" "open class ClientVerifyingKey" \
  "open class PlatformEncryptionKey" "open class PlatformDecryptionKey" \
  "fun \`privatePem\`(" "fun \`publicJwkJson\`()" \
  "enum class Algorithm" "enum class PayloadFormat" \
  "sealed class ChatsealException" "class Expired(" "class InvalidSignature(" \
  "class DecryptionFailed(" "class KeyRejected(" "class ApiMisuse(" \
  "fun \`clientKeysFromJwks\`(" "open class Keyring" "fun \`promote\`(" \
  "Mints a token for the user"
expect "$swift" \
  "open class Issuer" "open func mint(" \
  "open class Verifier" "open func verify(" \
  "open func ssoToken()" \
  "open class ClientSigningKey" "open class PlatformDecryptionKey" \
  "public enum Algorithm" "public enum PayloadFormat" \
  "enum ChatsealError" "case Expired(" "case MalformedToken(" \
  "public func clientKeysFromJwks(" "open class Keyring" "open func promote(" \
  "Mints a token for the user"
say "Kotlin and Swift sources carry the exported API"

# ------------------------------------------------------ 5. Kotlin smoke test
kotlin_home="$root/.peers/kotlin/kotlin-compiler-$kotlin_version"
jna_jar=/usr/share/java/jna.jar

missing_tool() {
  if [[ "$require" == "1" ]]; then
    die "$1 (needed for the Kotlin smoke test)"
  fi
  say "SKIPPED Kotlin smoke test: $1"
  exit 0
}

install_kotlin() {
  [[ -x "$kotlin_home/bin/kotlinc" ]] && return 0
  command -v npm >/dev/null 2>&1 || return 1
  local tmp
  tmp="$(mktemp -d "$root/.peers/kotlin-dl.XXXXXX")"
  (cd "$tmp" && npm pack --silent "kotlin-compiler@$kotlin_version" >/dev/null) || { rm -rf "$tmp"; return 1; }
  mkdir -p "$tmp/x"
  tar xzf "$tmp/kotlin-compiler-$kotlin_version.tgz" -C "$tmp/x" || { rm -rf "$tmp"; return 1; }
  rm -rf "$kotlin_home"
  mkdir -p "$(dirname "$kotlin_home")"
  mv "$tmp/x/package" "$kotlin_home"
  rm -rf "$tmp"
  [[ -x "$kotlin_home/bin/kotlinc" ]]
}

install_apt() { # packages
  command -v apt-get >/dev/null 2>&1 || return 1
  local sudo=""
  [[ "$(id -u)" == "0" ]] || sudo="sudo -n"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"; } \
    >"$root/.peers/bindings-apt.log" 2>&1
}

command -v java >/dev/null 2>&1 || install_apt openjdk-17-jre-headless || missing_tool "no Java runtime"
[[ -f "$jna_jar" ]] || install_apt libjna-java || missing_tool "JNA (Debian libjna-java) could not be installed"
[[ -f "$jna_jar" ]] || missing_tool "no JNA jar at $jna_jar"
install_kotlin || missing_tool "the Kotlin compiler (npm kotlin-compiler@$kotlin_version) could not be installed"

say "Kotlin smoke test ($("$kotlin_home/bin/kotlinc" -version 2>&1 | grep -o 'kotlinc-jvm [0-9.]*' || echo kotlinc))"
out="$gen/kotlin-smoke"
want_jar="$( { cat "$kt" bindings/kotlin/Smoke.kt; echo "$kotlin_version"; } | digest)"
if [[ -f "$out/smoke.jar" && "$(cat "$out/.stamp" 2>/dev/null)" == "$want_jar" ]]; then
  say "Kotlin sources unchanged: reusing $out/smoke.jar"
else
  rm -rf "$out"
  mkdir -p "$out"
  "$kotlin_home/bin/kotlinc" -nowarn "$kt" bindings/kotlin/Smoke.kt -cp "$jna_jar" -d "$out/smoke.jar"
  printf '%s\n' "$want_jar" >"$out/.stamp"
fi
java -Djna.library.path="$so_dir" \
  -cp "$out/smoke.jar:$jna_jar:$kotlin_home/lib/kotlin-stdlib.jar" SmokeKt
say "done"
