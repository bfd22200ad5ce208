#!/usr/bin/env bash
# Builds chatseal's jar for the JVM (Java and Kotlin backends):
#
#   bash bindings/jvm/build.sh                 # -> target/jvm/chatseal.jar
#   bash bindings/jvm/build.sh --lib PATH      # use a built libchatseal_ffi
#   bash bindings/jvm/build.sh --check-tools   # install/find the tools; print kotlinc's path
#
# The jar holds the Kotlin code that uniffi generates from the library
# (package uniffi.chatseal), compiled with kotlinc, bindings/jvm/Chatseal.kt
# (Java's entry points where the generated API takes unsigned numbers), and
# the native library for this platform at the path JNA loads it from the
# class path (`<JNA resource prefix>/libchatseal_ffi.so`, e.g.
# `linux-x86-64/`), so no -Djna.library.path is needed. Beside it in the
# output folder are its two dependencies, jna.jar and kotlin-stdlib.jar, so
# that `-cp 'target/jvm/*'` is the whole class path:
#
#   javac -cp 'target/jvm/*' -d out bindings/jvm/Mint.java
#   java -cp 'target/jvm/*:out' Mint client.key.pem platform.pub.pem user-42
#
# Without --lib it builds the library (cargo build --release -p chatseal-ffi).
# The Kotlin sources come from the workspace's uniffi-bindgen (the same uniffi
# version as the library). Nothing is done again while its inputs are
# unchanged; the Kotlin is compiled again only when the sources change.
#
# Tools: a JDK (javac, jar), JNA (Debian's libjna-java: /usr/share/java/jna.jar)
# and the Kotlin compiler (npm package kotlin-compiler, unpacked into
# .peers/kotlin). Missing ones are installed (apt-get as root or with sudo -n;
# npm). Environment: CARGO_TARGET_DIR, OUT (output folder, default
# $CARGO_TARGET_DIR/jvm), KOTLINC, JNA_JAR.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$PWD"

say() { printf 'jvm: %s\n' "$*" >&2; }
die() { printf 'jvm: error: %s\n' "$*" >&2; exit 1; }
digest() { sha256sum | cut -d' ' -f1; }

kotlin_version="2.4.20"
kotlin_home="$root/.peers/kotlin/kotlin-compiler-$kotlin_version"
jna_jar="${JNA_JAR:-/usr/share/java/jna.jar}"
target="${CARGO_TARGET_DIR:-$root/target}"
out="${OUT:-$target/jvm}"

lib=""
check_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --lib) lib="${2:?--lib needs a path}"; shift 2 ;;
    --check-tools) check_only=1; shift ;;
    *) echo "usage: $0 [--lib PATH] [--check-tools]" >&2; exit 2 ;;
  esac
done

# ------------------------------------------------------------------ tools
install_apt() { # packages
  command -v apt-get >/dev/null 2>&1 || return 1
  local sudo=""
  [[ "$(id -u)" == "0" ]] || sudo="sudo -n"
  mkdir -p "$root/.peers"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"; } \
    >"$root/.peers/jvm-apt.log" 2>&1
}

install_kotlin() { # the pinned compiler from the npm registry, into .peers/kotlin
  [[ -x "$kotlin_home/bin/kotlinc" ]] && return 0
  command -v npm >/dev/null 2>&1 || return 1
  mkdir -p "$root/.peers"
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

{ command -v javac >/dev/null 2>&1 && command -v jar >/dev/null 2>&1; } \
  || install_apt openjdk-17-jdk-headless || die "no JDK (javac, jar) and apt-get could not install openjdk-17-jdk-headless"
[[ -f "$jna_jar" ]] || install_apt libjna-java || die "no JNA jar at $jna_jar (Debian: libjna-java)"
[[ -f "$jna_jar" ]] || die "no JNA jar at $jna_jar"
if [[ -n "${KOTLINC:-}" ]]; then
  kotlinc="$KOTLINC"
  stdlib="$(dirname "$(readlink -f "$kotlinc")")/../lib/kotlin-stdlib.jar"
else
  install_kotlin || die "the Kotlin compiler (npm kotlin-compiler@$kotlin_version) could not be installed"
  kotlinc="$kotlin_home/bin/kotlinc"
  stdlib="$kotlin_home/lib/kotlin-stdlib.jar"
fi
[[ -f "$stdlib" ]] || die "no kotlin-stdlib.jar at $stdlib"
if [[ $check_only == 1 ]]; then
  say "tools: $(javac -version 2>&1), $kotlinc, $jna_jar"
  echo "$kotlinc"
  exit 0
fi

# ---------------------------------------------------------------- library
if [[ -z "$lib" ]]; then
  say "cargo build --release -p chatseal-ffi"
  cargo build --release --quiet -p chatseal-ffi
  for f in "$target/release/libchatseal_ffi.so" "$target/release/libchatseal_ffi.dylib"; do
    [[ -f "$f" ]] && lib="$f" && break
  done
  [[ -n "$lib" ]] || die "no libchatseal_ffi in $target/release"
fi
[[ -f "$lib" ]] || die "no library at $lib"
lib_name="$(basename "$lib")"

# JNA's own name for this platform's resource folder (linux-x86-64,
# linux-aarch64, darwin-aarch64, ...), asked from the JNA that will load it.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/Prefix.java" <<'EOF'
public class Prefix {
    public static void main(String[] args) { System.out.println(com.sun.jna.Platform.RESOURCE_PREFIX); }
}
EOF
prefix="$(java -cp "$jna_jar" "$work/Prefix.java")"
[[ -n "$prefix" ]] || die "JNA did not name its resource prefix"

# ---------------------------------------------------------- Kotlin sources
cargo run --quiet -p chatseal-uniffi-bindgen -- generate --no-format \
  --library "$lib" --language kotlin --out-dir "$work/gen" >&2
kt="$work/gen/uniffi/chatseal/chatseal.kt"
[[ -f "$kt" ]] || die "uniffi-bindgen wrote no $kt"
# The generated loader asks JNA for this name; JNA then looks for
# <prefix>/lib<name>.so on the class path.
name="${lib_name#lib}"
name="${name%.*}"
grep -qF "return \"$name\"" "$kt" \
  || die "the generated Kotlin does not load ${lib_name} (see cdylib_name in bindings/uniffi.toml)"

# ---------------------------------------------------------------- classes
# Compiled again only when the Kotlin sources (the exported API) change: a
# change to the Rust code alone only repackages the jar.
classes="$out/.build/classes"
want_classes="$(
  {
    cat "$kt" bindings/jvm/Chatseal.kt | digest # $kt is in a new temp folder each time
    sha256sum "$jna_jar" "$stdlib"
    echo "$kotlin_version $kotlinc"
  } | digest
)"
if [[ -d "$classes" && "$(cat "$out/.build/classes.stamp" 2>/dev/null)" == "$want_classes" ]]; then
  say "compiled Kotlin up to date (sources unchanged)"
else
  say "kotlinc: the generated sources and bindings/jvm/Chatseal.kt"
  rm -rf "$out/.build"
  mkdir -p "$classes"
  "$kotlinc" -nowarn -cp "$jna_jar" -d "$classes" "$kt" bindings/jvm/Chatseal.kt
  printf '%s\n' "$want_classes" >"$out/.build/classes.stamp"
fi

# -------------------------------------------------------------------- jar
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
want="$( { echo "$want_classes $prefix $version"; digest <"$lib"; } | digest)"
jar_file="$out/chatseal.jar"
if [[ -f "$jar_file" && "$(cat "$out/.stamp" 2>/dev/null)" == "$want" ]]; then
  say "$jar_file up to date (inputs unchanged)"
  exit 0
fi
rm -f "$out/.stamp"
mkdir -p "$work/native/$prefix"
cp "$lib" "$work/native/$prefix/$lib_name"
# The release profile keeps line tables for profiling (debug = 1): the jar
# needs none of that (a quarter of the size).
strip --strip-debug "$work/native/$prefix/$lib_name" 2>/dev/null || strip -S "$work/native/$prefix/$lib_name" 2>/dev/null || true
cat >"$work/manifest.txt" <<EOF
Implementation-Title: chatseal
Implementation-Version: $version
Automatic-Module-Name: uniffi.chatseal
EOF
rm -f "$jar_file"
jar --create --file "$jar_file" --manifest "$work/manifest.txt" -C "$classes" . -C "$work/native" .
cp "$jna_jar" "$out/jna.jar"
cp "$stdlib" "$out/kotlin-stdlib.jar"
printf '%s\n' "$want_classes" >"$out/.classes-stamp"
printf '%s\n' "$want" >"$out/.stamp"
say "built $jar_file ($prefix/$lib_name inside; jna.jar and kotlin-stdlib.jar beside it)"
