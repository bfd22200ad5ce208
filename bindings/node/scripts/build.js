#!/usr/bin/env node
'use strict'
// The package's `install` script: builds the native addon from source, cargo
// through @napi-rs/cli (`napi build`), which also writes native.js (the
// loader) and index.d.ts (the types, from the Rust signatures).
//
// `npm install ./bindings/node` links this folder into the installing project
// and runs this script here, but npm installs no dependencies of a linked
// folder; so when @napi-rs/cli is not in ./node_modules yet, it is installed
// first from this folder's package-lock.json (`npm ci --omit=dev`), at the
// pinned version.

const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const here = path.resolve(__dirname, '..')
const cli = path.join(here, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')

function run(command, args) {
  const r = spawnSync(command, args, { cwd: here, stdio: 'inherit' })
  if (r.error) throw r.error
  if (r.status !== 0) {
    process.stderr.write(`chatseal: \`${[path.basename(command), ...args].join(' ')}\` failed (exit ${r.status})\n`)
    process.exit(r.status || 1)
  }
}

// A packed copy of the package (no Rust sources) ships its built addon.
if (!fs.existsSync(path.join(here, 'Cargo.toml'))) {
  if (fs.readdirSync(here).some((f) => /^chatseal\..*\.node$/.test(f))) process.exit(0)
  process.stderr.write('chatseal: no built addon and no Rust sources to build one from\n')
  process.exit(1)
}

if (!fs.existsSync(cli)) {
  const npm = process.env.npm_execpath
  const ci = ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund']
  if (npm && npm.endsWith('.js')) run(process.execPath, [npm, ...ci])
  else run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ci)
}
run(process.execPath, [cli, 'build', '--platform', '--release', '--js', 'native.js', '--dts', 'index.d.ts'])
