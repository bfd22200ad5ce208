'use strict'
// Keyring: a full rotation as a Node script would run it, and the keyring's
// own refusals (codes shared with the Python bindings).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')
const { chatseal, fixture, tempDir, rejects } = require('./helpers')

const { Keyring, Issuer, Verifier, ClientSigningKey, KeyringError, KeyRejectedError, IoError } = chatseal

test('client keyring: init, mint, rotate, promote, retire, revoke, prune', async () => {
  const dir = path.join(tempDir(), 'client')
  assert.equal(Keyring.exists(dir), false)
  const ring = Keyring.init(dir, { algorithm: 'ES256', graceSeconds: 0 })
  assert.equal(Keyring.exists(dir), true)
  assert.equal(ring.dir, dir)
  assert.equal(ring.keyUse, 'sig')
  const first = ring.active()
  assert.equal(first.state, 'active')
  assert.equal(first.use, 'sig')
  assert.equal(first.algorithm, 'ES256')
  assert.equal(first.bits, null)
  assert.equal(first.hasPrivateFile, true)
  assert.equal(first.encrypted, false)
  assert.equal(first.publicJwk.kid, first.kid)
  assert.equal(typeof first.createdAt, 'number')
  assert.equal(first.retiredAt, null)
  assert.equal((fs.statSync(dir).mode & 0o777).toString(8), '700')

  const issuer = new Issuer(ring.signingKey(), { issuer: 'https://host.example', audience: 'chat' })
  const before = issuer.mint({ sub: 'u-1' })

  const pending = ring.rotate()
  assert.equal(pending.state, 'pending')
  assert.deepEqual(ring.jwks().keys.map((k) => k.kid).sort(), [first.kid, pending.kid].sort())
  assert.equal(ring.verifyingKeys().length, 2)
  assert.match(ring.publicKeyPem(pending.kid), /^-----BEGIN PUBLIC KEY-----/)
  assert.equal(ring.publicKeyPem(), ring.signingKey().publicPem())

  // Another process (here, a second handle) sees the change after reload().
  const other = Keyring.open(dir)
  const { active, retiring } = other.promote()
  assert.equal(active.kid, pending.kid)
  assert.equal(retiring.kid, first.kid)
  assert.equal(ring.active().kid, first.kid, 'reads use the keyring as last loaded')
  ring.reload()
  assert.equal(ring.active().kid, pending.kid)

  // Tokens of the retiring key still verify until it is retired.
  const verifier = () => new Verifier({ keys: Keyring.open(dir).verifyingKeys(), issuer: 'https://host.example', audience: 'chat' })
  assert.equal(verifier().verify(before).sub, 'u-1')
  assert.deepEqual(ring.retire(), [first.kid])
  assert.equal(ring.keys().find((k) => k.kid === first.kid).state, 'retired')
  await rejects(assert, () => verifier().verify(before), chatseal.InvalidSignatureError, 'unknown_kid')

  const spare = ring.rotate()
  const revoked = ring.revoke(spare.kid)
  assert.equal(revoked.state, 'revoked')
  assert.equal(typeof revoked.revokedAt, 'number')
  const removed = ring.prune()
  assert.equal(removed.length, 2)
  assert.equal(ring.keys().filter((k) => k.hasPrivateFile).length, 1)
  await rejects(assert, () => ring.promote(), KeyringError, 'keyring_state')
  await rejects(assert, () => ring.revoke(ring.active().kid), KeyringError, 'keyring_state')
  await rejects(assert, () => ring.retire({ kid: 'nope', force: true }), KeyringError, 'keyring_state')
})

test('platform keyring with a passphrase; imported keys', async () => {
  const dir = path.join(tempDir(), 'platform')
  const ring = Keyring.init(dir, { algorithm: 'RSA-OAEP-256', rsaBits: 2048, passphrase: 'platform pass' })
  assert.equal(ring.keyUse, 'enc')
  assert.equal(ring.active().encrypted, true)
  assert.equal(ring.active().bits, 2048)
  const [dk] = ring.decryptionKeys({ passphrase: 'platform pass' })
  assert.equal(dk.kid, ring.active().kid)
  assert.equal(ring.encryptionKey().kid, dk.kid)
  await rejects(assert, () => ring.decryptionKeys({ passphrase: 'not the pass' }), KeyRejectedError, 'wrong_passphrase')
  await rejects(assert, () => ring.signingKey(), KeyringError, 'keyring_state', /holds `enc` keys; this needs a `sig` keyring/)
  const rotated = ring.rotate({ rsaBits: 2048, activate: true, passphrase: 'platform pass' })
  assert.equal(rotated.state, 'active')

  const ecdh = Keyring.init(path.join(tempDir(), 'ecdh'), { algorithm: 'ECDH-ES+A256KW', ecdhCurve: 'X25519' })
  assert.equal(ecdh.active().algorithm, 'ECDH-ES+A256KW')
  assert.equal(ecdh.active().publicJwk.crv, 'X25519')
  assert.equal(ecdh.rotate().publicJwk.crv, 'X25519', 'rotation keeps the curve')
  assert.equal(ecdh.encryptionKey().curve, 'X25519')
  const ed = Keyring.init(path.join(tempDir(), 'ed'), { algorithm: 'Ed25519' })
  assert.equal(ed.signingKey().algorithm, 'Ed25519')

  const client = Keyring.init(path.join(tempDir(), 'imported'), { algorithm: 'RS256', rsaBits: 2048 })
  const made = ClientSigningKey.generate('RS256', { rsaBits: 2048 })
  const imported = client.importPem(Buffer.from(made.privatePem()), { algorithm: 'RS256' })
  assert.equal(imported.imported, true)
  assert.equal(imported.kid, made.thumbprint)
  const promoted = client.promote({ kid: imported.kid })
  assert.equal(promoted.active.kid, imported.kid)
  await rejects(assert, () => client.importPem(fixture('sample-keys', 'ibm-wxo-obo-client.key.pem'), { algorithm: 'RS256' }), KeyRejectedError, 'sample_key')
})

test('keyring refusals', async () => {
  const base = tempDir()
  await rejects(assert, () => Keyring.open(path.join(base, 'missing')), KeyringError, 'keyring_not_found')
  const dir = path.join(base, 'k')
  Keyring.init(dir, { algorithm: 'ES256' })
  await rejects(assert, () => Keyring.init(dir, { algorithm: 'ES256' }), KeyringError, 'keyring_exists')
  await rejects(assert, () => Keyring.init(path.join(base, 'x'), { algorithm: 'HS256' }), KeyringError, 'keyring_state')
  fs.writeFileSync(path.join(base, 'a-file'), 'not a folder')
  await rejects(assert, () => Keyring.init(path.join(base, 'a-file', 'k'), { algorithm: 'ES256' }), IoError, 'io')
  const corrupt = path.join(base, 'corrupt')
  Keyring.init(corrupt, { algorithm: 'ES256' })
  fs.writeFileSync(path.join(corrupt, 'keyring.json'), '{"version": 1')
  await rejects(assert, () => Keyring.open(corrupt), KeyringError, 'keyring_corrupt')
})

test('keyring_locked while another process holds the writer lock', { skip: spawnSync('flock', ['--version']).error ? 'no flock(1)' : false }, async () => {
  const dir = path.join(tempDir(), 'locked')
  const ring = Keyring.init(dir, { algorithm: 'ES256' })
  const holder = spawn('flock', ['-x', path.join(dir, '.lock'), '-c', 'echo held; exec sleep 30'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  })
  await new Promise((resolve) => holder.stdout.once('data', resolve))
  const before = process.env.CHATSEAL_LOCK_TIMEOUT_MS
  process.env.CHATSEAL_LOCK_TIMEOUT_MS = '100'
  try {
    await rejects(assert, () => ring.rotate(), KeyringError, 'keyring_locked')
  } finally {
    if (before === undefined) delete process.env.CHATSEAL_LOCK_TIMEOUT_MS
    else process.env.CHATSEAL_LOCK_TIMEOUT_MS = before
    process.kill(-holder.pid) // flock and the sleep holding the lock
  }
})
