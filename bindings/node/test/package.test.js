'use strict'
// The package as npm users get it: package.json, CommonJS require and ESM
// import giving the same objects, and (when the test step made one) a project
// that installed it with `npm install ./bindings/node`.

const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { chatseal } = require('./helpers')

const here = path.resolve(__dirname, '..')
const pkg = require('../package.json')

test('package.json: name, entry points, types, engines, files, install script', () => {
  assert.equal(pkg.name, 'chatseal')
  assert.equal(pkg.main, 'index.js')
  assert.equal(pkg.types, 'index.d.ts')
  assert.deepEqual(pkg.exports['.'], { types: './index.d.ts', import: './index.mjs', require: './index.js' })
  assert.match(pkg.engines.node, /^>=\d+/)
  for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'native.js', 'chatseal.*.node', 'scripts/build.js']) {
    assert.ok(pkg.files.includes(f), `files lists ${f}`)
  }
  assert.equal(pkg.scripts.install, 'node scripts/build.js')
  assert.match(pkg.dependencies['@napi-rs/cli'], /^\d+\.\d+\.\d+$/, 'the build tool is pinned')
})

test('require and import give the same exports', async () => {
  const esm = await import(path.join(here, 'index.mjs'))
  const names = Object.keys(chatseal).sort()
  assert.deepEqual(Object.keys(esm).filter((n) => n !== 'default').sort(), names)
  for (const n of names) assert.equal(esm[n], chatseal[n], n)
  assert.equal(esm.default, chatseal)
  assert.ok(!names.includes('__registerErrorFactory'), 'the internal hook is not exported')
})

const consumer = process.env.CHATSEAL_NODE_CONSUMER
test('a project that ran `npm install ./bindings/node` requires and imports `chatseal`', { skip: consumer ? false : 'CHATSEAL_NODE_CONSUMER not set (tests/steps/52-node.sh sets it)' }, () => {
  const script = `
    const key = chatseal.ClientSigningKey.generate('ES256')
    const token = new chatseal.Issuer(key, { issuer: 'i', audience: 'a' }).mint({ sub: 'u' })
    const v = new chatseal.Verifier({ keys: [key.verifyingKey()], issuer: 'i', audience: 'a' })
    let code
    try { v.verify(token + 'x') } catch (e) { code = e instanceof chatseal.ChatsealError && e.code }
    console.log(JSON.stringify([v.verify(token).sub, code]))`
  for (const [kind, args] of [
    ['commonjs', ['-e', `const chatseal = require('chatseal');${script}`]],
    ['module', ['--input-type=module', '-e', `import * as chatseal from 'chatseal';${script}`]],
  ]) {
    const r = spawnSync(process.execPath, args, { cwd: consumer, encoding: 'utf8' })
    assert.equal(r.status, 0, `${kind}: ${r.stderr}`)
    assert.deepEqual(JSON.parse(r.stdout), ['u', 'invalid_base64'], kind)
  }
})
