#!/usr/bin/env bash
# End to end in headless Chromium (issue 14, section 3): a host page on one
# origin gets widget tokens from its backend, which signs the user in by
# cookie and asks the token sidecar (`chatseal serve`); the page chats
# through `chatseal gateway` (another origin) with them and shows the
# identity that the chat backend echoes; a page from an origin the tenant
# does not allow is blocked; 20 s tokens run out and are replaced
# mid-session, and a key rotation happens mid-session, with no failed chat
# request; the chat WebSocket is closed with 4001 at each token's expiry and
# reconnects. See tests/browser/e2e.mjs for the scenario and its checks.
#
#   1. Debian's chromium (apt-get, when /usr/bin/chromium is missing);
#   2. playwright-core, pinned by tests/browser/package-lock.json, into
#      .peers/browser (npm ci --ignore-scripts: no browser is downloaded);
#   3. the chatseal binary (cargo build, debug, in CARGO_TARGET_DIR);
#   4. node tests/browser/e2e.mjs: every server on 127.0.0.1, all stopped
#      at the end. The screenshot of the final page and the servers' logs
#      go to target/browser/.
# With CHATSEAL_REQUIRE_PEERS=1 (tests/run.sh) anything that cannot be
# installed is a failure; without it, the step says so and skips.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$PWD"

say() { printf 'browser: %s\n' "$*"; }
die() { printf 'browser: error: %s\n' "$*" >&2; exit 1; }
missing() {
  if [[ "${CHATSEAL_REQUIRE_PEERS:-0}" == 1 ]]; then
    die "$* (CHATSEAL_REQUIRE_PEERS=1: not skipping)"
  fi
  say "skipped: $*"
  exit 0
}
digest() { sha256sum | cut -d' ' -f1; }

# ------------------------------------------------------------ 1. chromium
chromium=/usr/bin/chromium
if [[ ! -x "$chromium" ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium (apt-get)"
    log="$root/.peers/browser-apt.log"
    mkdir -p "$root/.peers"
    { DEBIAN_FRONTEND=noninteractive apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } >"$log" 2>&1 \
      || { tail -20 "$log" >&2; missing "apt-get install chromium failed (log: $log)"; }
  fi
  [[ -x "$chromium" ]] || missing "no $chromium, and it cannot be installed here (needs root and apt-get)"
fi
say "$("$chromium" --version 2>/dev/null | head -1)"

# ------------------------------------------------------- 2. playwright-core
command -v node >/dev/null 2>&1 || missing "node is not on PATH"
command -v npm >/dev/null 2>&1 || missing "npm is not on PATH"
peers="$root/.peers/browser"
mkdir -p "$peers"
if command -v flock >/dev/null 2>&1; then
  exec 7>"$root/.peers/.browser.lock"
  flock 7
fi
want="$( { cat tests/browser/package.json tests/browser/package-lock.json; node --version; } | digest)"
if [[ -f "$peers/node_modules/.chatseal-stamp" && "$(cat "$peers/node_modules/.chatseal-stamp")" == "$want" ]]; then
  say "playwright-core up to date ($peers)"
else
  say "npm ci (playwright-core) into $peers"
  cp tests/browser/package.json tests/browser/package-lock.json "$peers/"
  (cd "$peers" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
    || missing "npm ci of playwright-core failed"
  printf '%s\n' "$want" >"$peers/node_modules/.chatseal-stamp"
fi

# ------------------------------------------------------- 3. the chatseal binary
target="${CARGO_TARGET_DIR:-$root/target}"
say "cargo build -p chatseal-keys --bin chatseal"
cargo build --quiet -p chatseal-keys --bin chatseal
bin="$target/debug/chatseal"
[[ -x "$bin" ]] || die "no $bin after cargo build"

# ------------------------------------------------------------------ 4. run
artifacts="$root/target/browser"
rm -rf "$artifacts"
mkdir -p "$artifacts"
pidfile="$artifacts/chromium.pid"
pid=""
cleanup() {
  # The driver stops what it started; this is for a driver that could not
  # (killed, or timed out). `timeout` leads the process group of the driver
  # and its servers; Playwright starts chromium in a group of its own.
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  if [[ -f "$pidfile" ]]; then
    local c
    c="$(cat "$pidfile")"
    if [[ "$c" =~ ^[0-9]+$ ]] && kill -0 "$c" 2>/dev/null; then
      kill -KILL -- "-$c" 2>/dev/null || kill -KILL "$c" 2>/dev/null || true
    fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
say "node tests/browser/e2e.mjs"
CHATSEAL_BIN="$bin" BROWSER_PEERS="$peers" CHROMIUM="$chromium" ARTIFACTS="$artifacts" \
  BROWSER_PIDFILE="$pidfile" timeout -k 10 170 node tests/browser/e2e.mjs &
pid=$!
status=0
wait "$pid" || status=$?
pid=""
[[ $status == 124 ]] && die "the browser test did not finish within 170 s"
[[ $status == 0 ]] || die "the browser test failed (exit $status); logs in $artifacts"
say "passed in $((SECONDS - start)) s; screenshot: $artifacts/final-page.png"
