'use strict'
// The sso_token never shows in console.log, util.inspect, JSON.stringify or
// string conversion of anything the package returns; neither do private keys.

const test = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { Writable } = require('node:stream')
const { chatseal, keys } = require('./helpers')

const { Issuer, Verifier, TenantVerifier, ClientVerifyingKey } = chatseal

const SECRET = 'sso-SECRET-9f2c1e'

/** Everything a logger could print of `value`. */
function renderings(value) {
  let logged = ''
  const sink = new Writable({
    write(chunk, _enc, done) {
      logged += chunk
      done()
    },
  })
  const logger = new console.Console({ stdout: sink, stderr: sink })
  logger.log(value)
  logger.log('%o', value)
  logger.log('%s', value)
  logger.dir(value, { depth: null, showHidden: true })
  logger.error(value)
  return [
    logged,
    util.inspect(value, { depth: null, showHidden: true, getters: true }),
    util.format('%j', value),
    JSON.stringify(value),
    String(value),
  ]
}

function assertRedacted(value, what) {
  for (const text of renderings(value)) {
    assert.ok(!text.includes(SECRET), `${what} leaks the sso_token: ${text}`)
  }
}

test('verified tokens, identities and their sso_token objects print [redacted]', async () => {
  const issuer = new Issuer(keys.es256.withKid('idp-1'), {
    issuer: 'https://idp.acme.example',
    audience: 'chat',
    platformKey: keys.platform.encryptionKey(),
  })
  const token = issuer.mint({ sub: 'u-1', ssoToken: SECRET })
  const verifier = new Verifier({ keys: [keys.es256.verifyingKey()], issuer: 'https://idp.acme.example', audience: 'chat', decryptionKeys: [keys.platform] })
  const tenant = TenantVerifier.fromJson(
    {
      tenantId: 'acme',
      providers: {
        corp: {
          issuer: 'https://idp.acme.example',
          expectedAudience: ['chat'],
          acceptedAlgorithms: ['ES256'],
          jwks: ClientVerifyingKey.toJwks([keys.es256.withKid('idp-1').verifyingKey()]),
          decryptionKeys: [keys.platform.kid],
        },
      },
    },
    { decryptionKeys: [keys.platform] },
  )
  const results = {
    verify: verifier.verify(token),
    verifyAsync: await verifier.verifyAsync(token),
    tenantVerify: tenant.verify(token),
    tenantVerifyAsync: await tenant.verifyAsync(token),
  }
  for (const [what, result] of Object.entries(results)) {
    assert.equal(result.ssoToken.expose(), SECRET, `${what} carries the sso_token`)
    assertRedacted(result, what)
    assertRedacted(result.ssoToken, `${what}.ssoToken`)
    assertRedacted([result], `[${what}]`)
    const sso = result.ssoToken
    assert.equal(String(sso), '[redacted]')
    assert.equal(`${sso}`, '[redacted]')
    assert.equal(sso + '', '[redacted]')
    assert.equal(util.inspect(sso), '[redacted]')
    assert.equal(JSON.stringify(sso), '"[redacted]"')
    assert.match(JSON.stringify(result), /"ssoToken":"\[redacted\]"/)
    assert.deepEqual(Object.keys(sso), [])
  }
})

test('keys print no private material', () => {
  const pem = keys.rs256.privatePem()
  const body = pem.split('\n')[1]
  for (const key of [keys.rs256, keys.platform]) {
    for (const text of renderings(key)) {
      assert.ok(!text.includes(body), `a key rendering shows its private key: ${text}`)
    }
  }
  const platformBody = keys.platform.privatePem().split('\n')[1]
  for (const text of renderings(keys.platform)) assert.ok(!text.includes(platformBody))
})
