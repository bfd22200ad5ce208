'use strict'
// Shared by the node --test files: the package under test, the interop peers
// (installed by tests/peers/install.sh into .peers/node), fixtures, and small
// token helpers. Nothing here checks tokens: the peers and chatseal do.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { pathToFileURL } = require('node:url')

const chatseal = require('..')

const root = path.resolve(__dirname, '..', '..', '..')
const peersBase = process.env.CHATSEAL_NODE_PEERS ?? path.join(root, '.peers', 'node')

function peerPath(name) {
  return require.resolve(name, { paths: [peersBase] })
}

/** The npm peers: jose (ESM), jsonwebtoken, node-rsa. */
async function peers() {
  return {
    jose: await import(pathToFileURL(peerPath('jose')).href),
    jwt: require(peerPath('jsonwebtoken')),
    NodeRSA: require(peerPath('node-rsa')),
  }
}

function fixture(...parts) {
  return fs.readFileSync(path.join(root, 'tests', 'fixtures', ...parts), 'utf8')
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'chatseal-node-'))
}

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
const decodePart = (token, i) => JSON.parse(Buffer.from(token.split('.')[i], 'base64url').toString())

/** The keys most tests share; RSA keys are 2048 bits to keep the suite fast. */
const keys = {
  rs256: chatseal.ClientSigningKey.generate('RS256', { rsaBits: 2048 }),
  ps256: chatseal.ClientSigningKey.generate('PS256', { rsaBits: 2048 }),
  es256: chatseal.ClientSigningKey.generate('ES256'),
  ed25519: chatseal.ClientSigningKey.generate('Ed25519'),
  platform: chatseal.PlatformDecryptionKey.generate(2048),
}

/** Asserts that `fn` throws (or rejects with) a `cls` with `code`. */
async function rejects(assert, fn, cls, code, message) {
  let thrown
  try {
    await fn()
  } catch (e) {
    thrown = e
  }
  assert.ok(thrown, `expected ${cls.name} ${code}, nothing was thrown`)
  assert.ok(thrown instanceof cls, `expected a ${cls.name}, got ${thrown && thrown.name}: ${thrown && thrown.message}`)
  assert.ok(thrown instanceof chatseal.ChatsealError)
  assert.equal(thrown.code, code, thrown.message)
  if (message !== undefined) {
    if (message instanceof RegExp) assert.match(thrown.message, message)
    else assert.equal(thrown.message, message)
  }
  return thrown
}

module.exports = { chatseal, peers, fixture, tempDir, b64url, decodePart, keys, rejects, root }
