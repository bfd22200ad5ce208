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
#   5. the JVM jar (bindings/jvm/build.sh: the generated Kotlin compiled, the
#      library inside, loaded by JNA from the class path), then the Kotlin
#      smoke test (bindings/kotlin/Smoke.kt), a Java one
#      (bindings/jvm/JavaSmoke.java) and the Java example
#      (bindings/jvm/Mint.java) compiled against the jar and run with
#      `java -cp`; Mint.java's token is verified by the chatseal CLI and by
#      jwcrypto. The compiler comes from the npm package `kotlin-compiler`,
#      JNA and a JDK from Debian. With CHATSEAL_REQUIRE_PEERS=1 (tests/run.sh
#      sets it) a toolchain that cannot be installed is a failure; otherwise
#      this part is skipped with a message.
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

# ------------------------------------------- 5. the JVM jar, Java and Kotlin
# bindings/jvm/build.sh builds $target/jvm/chatseal.jar from the library built
# above: the generated Kotlin compiled with kotlinc, and the library inside
# at the path JNA loads it from. The Kotlin smoke test and the Java example
# are compiled against that jar and run with it on the class path, with no
# -Djna.library.path and no LD_LIBRARY_PATH: JNA can only find the library in
# the jar. Mint.java's token is then verified by the chatseal CLI and jwcrypto.
missing_tool() {
  if [[ "$require" == "1" ]]; then
    die "$1 (needed for the jar, the Kotlin smoke test and the Java example)"
  fi
  say "SKIPPED the jar, the Kotlin smoke test and the Java example: $1"
  exit 0
}
kotlinc="$(bash bindings/jvm/build.sh --check-tools)" \
  || missing_tool "a JDK, JNA (Debian libjna-java) or the Kotlin compiler (npm kotlin-compiler) could not be installed"
[[ -x "$kotlinc" ]] || die "bindings/jvm/build.sh named no kotlinc (got \`$kotlinc\`)"

jvm="$target/jvm"
say "the jar: bindings/jvm/build.sh --lib $so"
OUT="$jvm" bash bindings/jvm/build.sh --lib "$so"
jar tf "$jvm/chatseal.jar" | grep -q '^[a-z0-9-]*/libchatseal_ffi\.so$' || die "chatseal.jar holds no libchatseal_ffi.so"
classpath="$jvm/chatseal.jar:$jvm/jna.jar:$jvm/kotlin-stdlib.jar"

out="$gen/kotlin-smoke"
# Compiled again when the jar's classes (the API) or Smoke.kt change.
want_smoke="$( { cat "$jvm/.classes-stamp"; sha256sum bindings/kotlin/Smoke.kt; echo "$kotlinc"; } | digest)"
if [[ -f "$out/smoke.jar" && "$(cat "$out/.stamp" 2>/dev/null)" == "$want_smoke" ]]; then
  say "Kotlin smoke test unchanged: reusing $out/smoke.jar"
else
  say "kotlinc bindings/kotlin/Smoke.kt against chatseal.jar"
  rm -rf "$out"
  mkdir -p "$out"
  "$kotlinc" -nowarn bindings/kotlin/Smoke.kt -cp "$classpath" -d "$out/smoke.jar"
  printf '%s\n' "$want_smoke" >"$out/.stamp"
fi
say "Kotlin smoke test, the library loaded from the jar"
env -u LD_LIBRARY_PATH java -cp "$out/smoke.jar:$classpath" SmokeKt

say "Java: javac bindings/jvm/JavaSmoke.java and Mint.java against chatseal.jar"
java_out="$gen/java-mint"
rm -rf "$java_out"
mkdir -p "$java_out/classes"
javac -Werror -cp "$classpath" -d "$java_out/classes" bindings/jvm/JavaSmoke.java bindings/jvm/Mint.java
env -u LD_LIBRARY_PATH java -cp "$classpath:$java_out/classes" JavaSmoke
say "Java: Mint.java's token, verified by chatseal verify and jwcrypto"
keys="$java_out/keys"
mkdir -m 700 "$keys"
for k in client platform; do
  openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/$k.key.pem"
  openssl pkey -in "$keys/$k.key.pem" -pubout -out "$keys/$k.pub.pem"
done
printf 'idp-token-%s-ü\n' "$RANDOM$RANDOM" >"$keys/sso.txt"
env -u LD_LIBRARY_PATH java -cp "$classpath:$java_out/classes" Mint \
  "$keys/client.key.pem" "$keys/platform.pub.pem" user-42 <"$keys/sso.txt" >"$java_out/token"
"$CHATSEAL_CLI" verify --public-key "$keys/client.pub.pem" --alg RS256 \
  --iss https://host.example --aud chat-platform --decrypt-key "$keys/platform.key.pem" \
  --show-secrets --json "$(cat "$java_out/token")" >"$java_out/verified.json" \
  || die "chatseal verify refused Mint.java's token"
"$py" -c '
import json, sys
v = json.load(open(sys.argv[1], encoding="utf-8"))
sso = open(sys.argv[2], encoding="utf-8").read().strip()
assert v["claims"]["sub"] == "user-42", v["claims"]
assert v["claims"]["context"] == {"email": "ada@example.com"}, v["claims"]
assert sso in json.dumps(v["user_payload"], ensure_ascii=False), "chatseal verify did not decrypt the sso_token"
print("chatseal verify: Mint.java token verifies, its sso_token decrypts")
' "$java_out/verified.json" "$keys/sso.txt" || die "chatseal verify's output is not the expected one"
"$py" bindings/jvm/check_token.py "$java_out/token" "$keys/client.pub.pem" "$keys/platform.key.pem" \
  user-42 "$keys/sso.txt" || die "jwcrypto refused Mint.java's token"
rm -rf "$keys" "$java_out/verified.json"
say "done"
