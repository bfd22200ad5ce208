'use strict'
// One refused token per code the Verifier can give, each thrown as the right
// Error subclass with the core code and message. Tokens the issuer would never
// write are signed here with node:crypto (a real signature over the bytes
// given), so the refusal is the check under test, not a bad signature.

const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { chatseal, b64url, keys, rejects } = require('./helpers')

const {
  Issuer,
  Verifier,
  ClientVerifyingKey,
  PlatformDecryptionKey,
  MalformedTokenError,
  InvalidSignatureError,
  DecryptionFailedError,
  ExpiredError,
  ClaimRejectedError,
} = chatseal

const es = keys.es256
const esPrivate = crypto.createPrivateKey(es.privatePem())
const now = () => Math.floor(Date.now() / 1000)

/** An ES256 JWS over exactly `header` and `claims` (objects or raw text). */
function sign(header, claims) {
  const input = `${b64url(header)}.${b64url(claims)}`
  const sig = crypto.sign('sha256', Buffer.from(input), { key: esPrivate, dsaEncoding: 'ieee-p1363' })
  return `${input}.${sig.toString('base64url')}`
}
const header = (extra = {}) => ({ alg: 'ES256', kid: es.kid, typ: 'JWT', ...extra })
const claims = (extra = {}) => ({ sub: 'u-1', iss: 'i', aud: 'a', iat: now(), exp: now() + 600, ...extra })

const verifier = new Verifier({ keys: [es.verifyingKey()], issuer: 'i', audience: 'a' })

const seen = new Set()
async function refused(fn, cls, code, message) {
  await rejects(assert, fn, cls, code, message)
  seen.add(code)
}

test('malformed tokens', async () => {
  const ok = sign(header(), claims())
  assert.equal(verifier.verify(ok).sub, 'u-1', 'the signer makes tokens the verifier accepts')
  const tiny = new Verifier({ keys: [es.verifyingKey()], issuer: 'i', audience: 'a', maxTokenSize: 64 })
  await refused(() => tiny.verify(ok), MalformedTokenError, 'token_too_large')
  await refused(() => verifier.verify('a.b'), MalformedTokenError, 'malformed_token')
  await refused(() => verifier.verify(`${ok}=`), MalformedTokenError, 'invalid_base64')
  await refused(() => verifier.verify(sign('{"alg":"ES256"', claims())), MalformedTokenError, 'invalid_json')
  await refused(() => verifier.verify(`${b64url({ alg: 'none' })}.${b64url(claims())}.`), MalformedTokenError, 'alg_none')
  await refused(() => verifier.verify(sign({ alg: 'HS256' }, claims())), MalformedTokenError, 'hmac_algorithm')
  await refused(() => verifier.verify(sign({ alg: 'ES384' }, claims())), MalformedTokenError, 'unsupported_algorithm')
  await refused(() => verifier.verify(sign(header({ crit: ['x-policy'], 'x-policy': 1 }), claims())), MalformedTokenError, 'unsupported_crit')
  await refused(() => verifier.verify(sign(header({ jwk: es.publicJwk() }), claims())), MalformedTokenError, 'embedded_key')
  // A JWE user_payload that asks for compression is refused before any decryption.
  const zipped = `${b64url({ alg: 'RSA-OAEP-256', enc: 'A256GCM', zip: 'DEF', kid: keys.platform.kid })}.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA`
  const decrypting = new Verifier({ keys: [es.verifyingKey()], issuer: 'i', audience: 'a', decryptionKeys: [keys.platform] })
  await refused(() => decrypting.verify(sign(header(), claims({ user_payload: zipped }))), MalformedTokenError, 'compression_not_supported')
})

test('signature and key selection', async () => {
  const rsOnly = new Verifier({ keys: [keys.rs256.verifyingKey()], issuer: 'i', audience: 'a', algorithms: ['RS256', 'ES256'] })
  await refused(() => verifier.verify(sign({ alg: 'PS256' }, claims())), InvalidSignatureError, 'algorithm_not_allowed')
  const declared = new Verifier({ jwks: ClientVerifyingKey.toJwks([es.verifyingKey()]), issuer: 'i', audience: 'a' })
  await refused(() => declared.verify(sign(header({ kid: 'not-a-known-kid' }), claims())), InvalidSignatureError, 'unknown_kid')
  await refused(() => rsOnly.verify(sign({ alg: 'ES256' }, claims())), InvalidSignatureError, 'no_matching_key')
  const [h, c] = sign(header(), claims()).split('.')
  const other = sign(header(), claims({ sub: 'u-2' })).split('.')[2]
  await refused(() => verifier.verify(`${h}.${c}.${other}`), InvalidSignatureError, 'invalid_signature', 'token signature is invalid')
  await refused(() => verifier.verifyAsync(`${h}.${c}.${other}`), InvalidSignatureError, 'invalid_signature')
})

test('decryption', async () => {
  const elsewhere = PlatformDecryptionKey.generate(2048)
  const issuer = new Issuer(es, { issuer: 'i', audience: 'a', platformKey: elsewhere.encryptionKey() })
  const token = issuer.mint({ sub: 'u', ssoToken: 'idp-token' })
  const decrypting = new Verifier({ keys: [es.verifyingKey()], issuer: 'i', audience: 'a', decryptionKeys: [keys.platform] })
  const e = await rejects(assert, () => decrypting.verify(token), DecryptionFailedError, 'decryption_failed',
    "user_payload could not be decrypted with the verifier's decryption keys")
  assert.doesNotMatch(e.message + e.stack, /idp-token/)
  seen.add('decryption_failed')
})

test('claim checks', async () => {
  const t = now()
  await refused(() => verifier.verify(sign(header(), claims({ iat: t - 4000, exp: t - 400 }))), ExpiredError, 'expired')
  await refused(() => verifier.verifyAsync(sign(header(), claims({ iat: t - 4000, exp: t - 400 }))), ExpiredError, 'expired')
  await refused(() => verifier.verify(sign(header(), claims({ nbf: t + 600, exp: t + 1200 }))), ClaimRejectedError, 'not_yet_valid')
  await refused(() => verifier.verify(sign(header(), claims({ iat: t + 600, exp: t + 1200 }))), ClaimRejectedError, 'issued_in_future')
  await refused(() => verifier.verify(sign(header(), claims({ iat: t, exp: t + 7200 }))), ClaimRejectedError, 'lifetime_too_long')
  const { exp, ...noExp } = claims()
  assert.ok(exp)
  await refused(() => verifier.verify(sign(header(), noExp)), ClaimRejectedError, 'missing_claim')
  await refused(() => verifier.verify(sign(header(), claims({ exp: 'tomorrow' }))), ClaimRejectedError, 'invalid_claim')
  await refused(() => verifier.verify(sign(header(), claims({ iss: 'https://evil.example' }))), ClaimRejectedError, 'invalid_issuer')
  await refused(() => verifier.verify(sign(header(), claims({ aud: ['b', 'c'] }))), ClaimRejectedError, 'invalid_audience')
})

test('every token refusal code of the Verifier was seen', () => {
  assert.deepEqual([...seen].sort(), [
    'algorithm_not_allowed', 'alg_none', 'compression_not_supported', 'decryption_failed', 'embedded_key',
    'expired', 'hmac_algorithm', 'invalid_audience', 'invalid_base64', 'invalid_claim', 'invalid_issuer',
    'invalid_json', 'invalid_signature', 'issued_in_future', 'lifetime_too_long', 'malformed_token',
    'missing_claim', 'no_matching_key', 'not_yet_valid', 'token_too_large', 'unknown_kid',
    'unsupported_algorithm', 'unsupported_crit',
  ].sort())
})

test('errors are Error subclasses with a name, a code and the Rust message', async () => {
  const e = await rejects(assert, () => verifier.verify('a.b'), MalformedTokenError, 'malformed_token')
  assert.ok(e instanceof Error)
  assert.equal(e.name, 'MalformedTokenError')
  assert.equal(Object.prototype.toString.call(e), '[object Error]')
  assert.match(e.stack, /^MalformedTokenError: /)
  assert.doesNotMatch(e.stack.split('\n')[1], /index\.js/, 'the stack starts at the caller')
  const base = new chatseal.ChatsealError('m', 'c')
  assert.equal(base.code, 'c')
  assert.equal(base.message, 'm')
})
