#!/usr/bin/env bash
# Install the foreign interop peers into .peers/ at the repo root (gitignored):
#   .peers/node/node_modules  from tests/peers/package.json + package-lock.json (npm ci)
#   .peers/venv               from tests/peers/requirements.txt (python3 -m venv + pip)
#
# Idempotent: each half records a hash of its inputs (manifest, lock file,
# interpreter version) in a stamp file and is skipped while that hash still
# matches. Delete .peers/ (or one stamp) to force a reinstall. To bump a Node
# peer, see tests/peers/.npmrc; for Python, edit requirements.txt.
#
# Environment:
#   PYTHON  interpreter that creates the venv (default: python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
peers="$root/.peers"
python="${PYTHON:-python3}"

say() { printf 'peers: %s\n' "$*"; }
die() { printf 'peers: error: %s\n' "$*" >&2; exit 1; }

# sha256 of everything on stdin.
digest() { sha256sum | cut -d' ' -f1; }

mkdir -p "$peers"

# One installer at a time (two test runs started together must not interleave).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$peers/.install.lock"
  flock 9
fi

# ---------------------------------------------------------------- Node peers
install_node() {
  command -v node >/dev/null 2>&1 || die "node not found on PATH (need Node.js >= 20)"
  command -v npm >/dev/null 2>&1 || die "npm not found on PATH"

  local dest="$peers/node" stamp="$peers/node/.stamp" want
  want="$( { cat "$here/package.json" "$here/package-lock.json"; node --version; } | digest)"

  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$dest/node_modules" ]]; then
    say "node peers up to date ($dest)"
    return
  fi

  say "installing node peers into $dest (npm ci)"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$here/package.json" "$here/package-lock.json" "$dest/"
  (
    cd "$dest"
    npm ci --no-audit --no-fund --loglevel=error
  )
  printf '%s\n' "$want" >"$stamp"
  say "node peers installed: $(cd "$dest" && node -p '["jose","jsonwebtoken","node-rsa"].map(n => n + "@" + require("./node_modules/" + n + "/package.json").version).join(" ")')"
}

# ---------------------------------------------------------------- Python peers
install_python() {
  command -v "$python" >/dev/null 2>&1 || die "$python not found on PATH (set PYTHON=...)"

  local venv="$peers/venv" stamp="$peers/venv/.stamp" want
  want="$( { cat "$here/requirements.txt"; "$python" --version 2>&1; } | digest)"

  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
    say "python peers up to date ($venv)"
    return
  fi

  say "creating venv $venv and installing requirements"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  printf '%s\n' "$want" >"$stamp"
  say "python peers installed: $("$venv/bin/python" -c '
from importlib.metadata import version
print(" ".join(f"{n}=={version(n)}" for n in ("jwcrypto", "PyJWT", "cryptography", "pytest")))
')"
}

install_node
install_python
