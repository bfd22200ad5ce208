'use strict'
// Every class and function of the package, called the way a host or platform
// would: keys, Issuer, Verifier, the async variants, publishedSampleKey.

const test = require('node:test')
const assert = require('node:assert/strict')
const { chatseal, fixture, decodePart, keys, rejects } = require('./helpers')

const {
  ClientSigningKey,
  ClientVerifyingKey,
  PlatformEncryptionKey,
  PlatformDecryptionKey,
  Issuer,
  Verifier,
  SsoToken,
  publishedSampleKey,
  ApiMisuseError,
  KeyRejectedError,
  MalformedTokenError,
} = chatseal

test('ClientSigningKey: generate, getters, PEM and JWK forms', () => {
  for (const [alg, key] of [
    ['RS256', keys.rs256],
    ['PS256', keys.ps256],
    ['ES256', keys.es256],
    ['Ed25519', keys.ed25519],
  ]) {
    assert.equal(key.algorithm, alg)
    assert.equal(key.kid, key.thumbprint)
    const jwk = key.publicJwk()
    assert.equal(jwk.alg, alg)
    assert.equal(jwk.use, 'sig')
    assert.equal(jwk.kid, key.kid)
    assert.equal(jwk.d, undefined, 'a public JWK has no private member')
    assert.match(key.publicPem(), /^-----BEGIN PUBLIC KEY-----/)
    const vk = key.verifyingKey()
    assert.ok(vk instanceof ClientVerifyingKey)
    assert.equal(vk.thumbprint, key.thumbprint)
    assert.equal(vk.algorithm, alg)
    assert.equal(vk.statedAlgorithm, alg)
    assert.equal(key.toString(), `[ClientSigningKey ${alg} kid=${key.kid}]`)

    // PKCS#8 PEM round trip, as a string and as a Buffer.
    const pem = key.privatePem()
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----/)
    assert.equal(ClientSigningKey.fromPem(pem, alg).thumbprint, key.thumbprint)
    assert.equal(ClientSigningKey.fromPem(Buffer.from(pem), alg).thumbprint, key.thumbprint)
    // Encrypted at rest, opened with the passphrase.
    const enc = key.privatePem({ passphrase: 'correct horse battery staple' })
    assert.match(enc, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/)
    const back = ClientSigningKey.fromPem(enc, alg, { passphrase: 'correct horse battery staple' })
    assert.equal(back.thumbprint, key.thumbprint)
  }
  const renamed = keys.es256.withKid('host-2026')
  assert.equal(renamed.kid, 'host-2026')
  assert.equal(renamed.thumbprint, keys.es256.thumbprint)
  assert.equal(keys.es256.kid, keys.es256.thumbprint, 'withKid returns a new key')
})

test('ClientSigningKey: refusals carry the core codes', async () => {
  await rejects(assert, () => ClientSigningKey.generate('HS256'), MalformedTokenError, 'hmac_algorithm')
  await rejects(assert, () => ClientSigningKey.generate('none'), MalformedTokenError, 'alg_none')
  await rejects(assert, () => ClientSigningKey.generate('ES384'), MalformedTokenError, 'unsupported_algorithm')
  await rejects(
    assert,
    () => ClientSigningKey.generate('ES256', { rsaBits: 2048 }),
    ApiMisuseError,
    'api_misuse',
    'rsaBits applies to RS256 and PS256 keys, not ES256',
  )
  await rejects(assert, () => ClientSigningKey.generate('RS256', { rsaBits: 1024 }), ApiMisuseError, 'api_misuse', 'RSA key size 1024 is not offered; choose 2048, 3072 or 4096')
  await rejects(assert, () => ClientSigningKey.fromPem('not a pem', 'RS256'), KeyRejectedError, 'invalid_key')
  await rejects(
    assert,
    () => ClientSigningKey.fromPem(keys.es256.privatePem(), 'RS256'),
    KeyRejectedError,
    'key_role_mismatch',
  )
  const enc = keys.es256.privatePem({ passphrase: 'right passphrase' })
  await rejects(
    assert,
    () => ClientSigningKey.fromPem(enc, 'ES256', { passphrase: 'wrong passphrase' }),
    KeyRejectedError,
    'wrong_passphrase',
  )
  await rejects(assert, () => ClientSigningKey.generateAsync('HS384'), MalformedTokenError, 'hmac_algorithm')
})

test('ClientSigningKey.generateAsync and PlatformDecryptionKey.generateAsync run off the event loop', async () => {
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const [rsa, es, platform] = await Promise.all([
    ClientSigningKey.generateAsync('PS256', { rsaBits: 2048 }),
    ClientSigningKey.generateAsync('ES256'),
    PlatformDecryptionKey.generateAsync(2048),
  ])
  clearInterval(timer)
  assert.ok(rsa instanceof ClientSigningKey)
  assert.equal(rsa.algorithm, 'PS256')
  assert.equal(es.algorithm, 'ES256')
  assert.ok(platform instanceof PlatformDecryptionKey)
  assert.equal(platform.encryptionKey().bits, 2048)
  await rejects(assert, () => PlatformDecryptionKey.generateAsync(1024), ApiMisuseError, 'api_misuse')
})

test('ClientVerifyingKey: PEM with and without an algorithm, JWK, JWKS', async () => {
  const pem = keys.rs256.publicPem()
  const stated = ClientVerifyingKey.fromPem(pem, 'PS256')
  assert.equal(stated.statedAlgorithm, 'PS256')
  const bare = ClientVerifyingKey.fromPem(Buffer.from(pem))
  assert.equal(bare.statedAlgorithm, null)
  assert.equal(bare.algorithm, 'RS256', 'an RSA key that states none defaults to RS256')
  assert.equal(bare.declaredKid, null)
  assert.equal(bare.kid, bare.thumbprint)
  assert.equal(bare.toJwk().alg, undefined)
  assert.equal(bare.publicPem(), pem)

  const jwk = keys.es256.publicJwk()
  const fromObject = ClientVerifyingKey.fromJwk(jwk)
  const fromText = ClientVerifyingKey.fromJwk(JSON.stringify(jwk))
  assert.equal(fromObject.declaredKid, jwk.kid)
  assert.equal(fromText.thumbprint, fromObject.thumbprint)
  await rejects(assert, () => ClientVerifyingKey.fromJwk(jwk, 'RS256'), KeyRejectedError, 'key_role_mismatch')
  const withKid = bare.withKid('uploaded-1')
  assert.equal(withKid.declaredKid, 'uploaded-1')

  const jwks = ClientVerifyingKey.toJwks([keys.rs256.verifyingKey(), keys.es256.verifyingKey()])
  assert.deepEqual(
    jwks.keys.map((k) => k.kid),
    [keys.rs256.kid, keys.es256.kid],
  )
  const loaded = ClientVerifyingKey.fromJwks(jwks)
  assert.deepEqual(
    loaded.map((k) => k.thumbprint),
    [keys.rs256.thumbprint, keys.es256.thumbprint],
  )
  assert.equal(ClientVerifyingKey.fromJwks(JSON.stringify(jwks)).length, 2)
  await rejects(assert, () => ClientVerifyingKey.fromPem(fixture('attacks', 'keys', 'rsa1024.pub.pem')), KeyRejectedError, 'weak_key')
  await rejects(assert, () => ClientVerifyingKey.fromPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), KeyRejectedError, 'invalid_key')
  await rejects(
    assert,
    () => ClientVerifyingKey.fromJwk({ ...keys.es256.publicJwk(), d: 'AAAA' }),
    KeyRejectedError,
    'key_role_mismatch',
  )
  await rejects(assert, () => ClientVerifyingKey.fromJwk([1, 2]), KeyRejectedError, 'invalid_key')
})

test('PlatformEncryptionKey and PlatformDecryptionKey', async () => {
  const platform = keys.platform
  const pub = platform.encryptionKey()
  assert.ok(pub instanceof PlatformEncryptionKey)
  assert.equal(pub.bits, 2048)
  assert.equal(pub.kid, platform.kid)
  assert.equal(pub.thumbprint, platform.thumbprint)
  const jwk = pub.toJwk()
  assert.equal(jwk.use, 'enc')
  assert.equal(jwk.alg, 'RSA-OAEP-256')
  assert.equal(PlatformEncryptionKey.fromPem(pub.publicPem()).thumbprint, pub.thumbprint)
  assert.equal(PlatformEncryptionKey.fromPem(Buffer.from(pub.publicPem())).thumbprint, pub.thumbprint)
  assert.equal(PlatformEncryptionKey.fromJwk(jwk).kid, pub.kid)
  assert.equal(PlatformEncryptionKey.fromJwks({ keys: [jwk] }).kid, pub.kid)
  assert.equal(PlatformEncryptionKey.fromJwks(JSON.stringify({ keys: [jwk] }), pub.kid).kid, pub.kid)
  await rejects(assert, () => PlatformEncryptionKey.fromJwk(keys.rs256.publicJwk()), KeyRejectedError, 'key_role_mismatch')

  const pem = platform.privatePem()
  assert.equal(PlatformDecryptionKey.fromPem(pem).thumbprint, platform.thumbprint)
  const enc = platform.privatePem({ passphrase: 'platform passphrase' })
  assert.equal(PlatformDecryptionKey.fromPem(Buffer.from(enc), { passphrase: 'platform passphrase' }).kid, platform.kid)
  await rejects(assert, () => PlatformDecryptionKey.fromPem(enc, { passphrase: 'nope nope nope' }), KeyRejectedError, 'wrong_passphrase')
  await rejects(assert, () => PlatformDecryptionKey.fromPem(ClientSigningKey.generate('Ed25519').privatePem()), KeyRejectedError, 'key_role_mismatch')
  assert.equal(platform.withKid('platform-2026').kid, 'platform-2026')
  assert.equal(platform.toString(), `[PlatformDecryptionKey kid=${platform.kid}]`)
})

test('elliptic-curve platform keys (ECDH-ES+A256KW on P-256 and X25519)', async () => {
  for (const curve of ['P-256', 'X25519']) {
    const platform = PlatformDecryptionKey.generateEcdh(curve)
    const pub = platform.encryptionKey()
    assert.equal(pub.curve, curve)
    assert.equal(pub.jweAlgorithm, 'ECDH-ES+A256KW')
    assert.equal(PlatformEncryptionKey.fromJwk(pub.toJwk()).thumbprint, pub.thumbprint)
    assert.equal(PlatformDecryptionKey.fromPem(platform.privatePem()).thumbprint, platform.thumbprint)
    const issuer = new Issuer(keys.ed25519, { issuer: 'i', audience: 'a', platformKey: pub })
    const token = issuer.mint({ sub: 'u', ssoToken: `sso-${curve}` })
    const verifier = new Verifier({ keys: [keys.ed25519.verifyingKey()], issuer: 'i', audience: 'a', decryptionKeys: [platform] })
    assert.equal(verifier.verify(token).ssoToken.expose(), `sso-${curve}`)
    assert.equal(verifier.verify(token).header.alg, 'Ed25519')
    await rejects(
      assert,
      () => new Issuer(keys.es256, { issuer: 'i', audience: 'a', platformKey: pub, payloadFormat: 'wxo' }),
      ApiMisuseError,
      'api_misuse',
      "the `wxo` payload format is RSA-OAEP only (IBM's format); an EC platform key needs the `jwe` format",
    )
  }
  assert.equal(keys.platform.encryptionKey().curve, null)
  assert.equal(keys.platform.encryptionKey().jweAlgorithm, 'RSA-OAEP-256')
  await rejects(assert, () => PlatformDecryptionKey.generateEcdh('P-384'), ApiMisuseError, 'api_misuse', 'curve `P-384` is not offered for ECDH-ES; choose P-256 or X25519')
  await rejects(assert, () => ClientSigningKey.generate('Ed25519', { rsaBits: 2048 }), ApiMisuseError, 'api_misuse', 'rsaBits applies to RS256 and PS256 keys, not Ed25519')
})

test('publishedSampleKey names published keys and nothing else', () => {
  const sample = ClientVerifyingKey.fromPem(fixture('sample-keys', 'jwtio-es256.pub.pem'), 'ES256')
  assert.match(publishedSampleKey(sample.thumbprint), /jwt\.io/i)
  assert.equal(publishedSampleKey(keys.es256.thumbprint), null)
})

test('Issuer: options are checked; iss and aud only when given', async () => {
  await rejects(
    assert,
    () => new Issuer(keys.es256, { audience: 'chat' }),
    ApiMisuseError,
    'api_misuse',
    'options.issuer is required: give the issuer (`iss` of every token), or null to mint tokens without `iss`',
  )
  await rejects(assert, () => new Issuer(keys.es256, { issuer: null }), ApiMisuseError, 'api_misuse', /options\.audience is required/)
  await rejects(
    assert,
    () => new Issuer(keys.es256, { issuer: null, audience: null, payloadFormat: 'wxo' }),
    ApiMisuseError,
    'api_misuse',
    'options.payloadFormat was given without a platformKey to encrypt to',
  )
  await rejects(
    assert,
    () => new Issuer(keys.es256, { issuer: null, audience: null, platformKey: keys.platform.encryptionKey(), payloadFormat: 'jws' }),
    ApiMisuseError,
    'api_misuse',
    'payload format `jws` is unknown; use `jwe` or `wxo`',
  )
  await rejects(assert, () => new Issuer(keys.es256, { issuer: null, audience: null, ttlSeconds: 7200 }), ApiMisuseError, 'api_misuse')

  const ibm = new Issuer(keys.rs256, { issuer: null, audience: null })
  const bare = decodePart(ibm.mint({ sub: 'u-1' }), 1)
  assert.equal(bare.iss, undefined)
  assert.equal(bare.aud, undefined)
  assert.equal(bare.exp - bare.iat, 3600)

  const issuer = new Issuer(keys.es256, { issuer: 'https://host.example', audience: 'chat', ttlSeconds: 600 })
  assert.equal(issuer.kid, keys.es256.kid)
  const token = issuer.mint({ sub: 'u-2', context: { plan: 'pro', n: 3, when: new Date(0) }, claims: { email: 'ana@acme.example' } })
  const header = decodePart(token, 0)
  const claims = decodePart(token, 1)
  assert.deepEqual(header, { alg: 'ES256', kid: keys.es256.kid, typ: 'JWT' })
  assert.equal(claims.iss, 'https://host.example')
  assert.equal(claims.aud, 'chat')
  assert.equal(claims.exp - claims.iat, 600)
  // `context` and extra claims are written as JSON.stringify writes them.
  assert.deepEqual(claims.context, { plan: 'pro', n: 3, when: '1970-01-01T00:00:00.000Z' })
  assert.equal(claims.email, 'ana@acme.example')

  await rejects(assert, () => issuer.mint({ sub: 'u', claims: { exp: 1 } }), ApiMisuseError, 'api_misuse')
  await rejects(assert, () => issuer.mint({ sub: 'u', ssoToken: 's' }), ApiMisuseError, 'api_misuse')
  await rejects(assert, () => issuer.mint({ sub: 'u', context: [1, 2] }), ApiMisuseError, 'api_misuse', 'request.context must be an object, not an array')
  await rejects(assert, () => issuer.mintAsync({ sub: 'u', claims: { iss: 'x' } }), ApiMisuseError, 'api_misuse')
  const again = await issuer.mintAsync({ sub: 'u-3' })
  assert.equal(decodePart(again, 1).sub, 'u-3')
})

test('Verifier: verify and verifyAsync return sub, header, claims and the sso_token', async () => {
  const platform = keys.platform
  for (const format of ['jwe', 'wxo']) {
    const issuer = new Issuer(keys.ps256, {
      issuer: 'https://host.example',
      audience: 'chat',
      platformKey: platform.encryptionKey(),
      payloadFormat: format,
    })
    const verifier = new Verifier({
      keys: [keys.ps256.verifyingKey()],
      issuer: ['https://other.example', 'https://host.example'],
      audience: 'chat',
      decryptionKeys: [platform],
      payloadFormat: format,
    })
    const token = issuer.mint({ sub: 'u-1', context: { plan: 'pro' }, ssoToken: `idp-token-${format}` })
    for (const result of [verifier.verify(token), await verifier.verifyAsync(token)]) {
      assert.equal(result.sub, 'u-1')
      assert.deepEqual(result.header, { alg: 'PS256', kid: keys.ps256.kid, typ: 'JWT' })
      assert.deepEqual(result.claims.context, { plan: 'pro' })
      assert.equal(typeof result.claims.user_payload, 'string')
      assert.ok(result.ssoToken instanceof SsoToken)
      assert.equal(result.ssoToken.expose(), `idp-token-${format}`)
    }
  }
  // Without an sso_token, or without decryption keys, ssoToken is null.
  const issuer = new Issuer(keys.es256, { issuer: 'i', audience: 'a', platformKey: platform.encryptionKey() })
  const plain = new Verifier({ jwks: ClientVerifyingKey.toJwks([keys.es256.verifyingKey()]), issuer: 'i', audience: 'a' })
  assert.equal(plain.verify(issuer.mint({ sub: 'u' })).ssoToken, null)
  assert.equal(plain.verify(issuer.mint({ sub: 'u', ssoToken: 's' })).ssoToken, null)
  assert.throws(() => new SsoToken(), /constructor/i, 'an SsoToken is only ever made by a verifier')
})

test('Verifier: options are checked', async () => {
  const vk = keys.es256.verifyingKey()
  const cases = [
    [{ issuer: 'i', audience: 'a' }, 'options.keys or options.jwks is required: the keys trusted to sign tokens'],
    [{ keys: [vk], jwks: { keys: [] }, issuer: 'i', audience: 'a' }, 'give options.keys or options.jwks, not both'],
    [{ keys: [vk], audience: 'a' }, /^options\.issuer is required/],
    [{ keys: [vk], issuer: 'i' }, /^options\.audience is required/],
    [{ keys: [vk], issuer: 'i', dangerouslySkipIssuerCheck: true, audience: 'a' }, 'options.issuer was given and dangerouslySkipIssuerCheck is set; choose one'],
    [{ keys: [vk], issuer: 'i', audience: 'a', dangerouslySkipAudienceCheck: true }, 'options.audience was given and dangerouslySkipAudienceCheck is set; choose one'],
    [{ keys: [vk], issuer: 'i', audience: 'a', payloadFormat: 'wxo' }, 'options.payloadFormat was given without decryptionKeys to decrypt with'],
    [{ keys: [], issuer: 'i', audience: 'a' }, 'the verifier needs at least one trusted key'],
    [{ keys: [vk], issuer: 'i', audience: 'a', algorithms: [] }, "the verifier's algorithm list is empty"],
  ]
  for (const [options, message] of cases) {
    await rejects(assert, () => new Verifier(options), ApiMisuseError, 'api_misuse', message)
  }
  await rejects(assert, () => new Verifier({ keys: [vk], issuer: 'i', audience: 'a', algorithms: ['HS256'] }), MalformedTokenError, 'hmac_algorithm')
  // Loosened checks are named: an IBM-style token (no iss, no aud) passes only then.
  const ibm = new Issuer(keys.es256, { issuer: null, audience: null }).mint({ sub: 'u' })
  const loose = new Verifier({ keys: [vk], dangerouslySkipIssuerCheck: true, dangerouslySkipAudienceCheck: true })
  assert.equal(loose.verify(ibm).sub, 'u')
  const tokenWithoutSub = new Verifier({
    keys: [vk],
    dangerouslySkipIssuerCheck: true,
    dangerouslySkipAudienceCheck: true,
    allowMissingSubject: true,
    leewaySeconds: 0,
    maxLifetimeSeconds: 3600,
    maxTokenSize: 4096,
  })
  assert.equal(tokenWithoutSub.verify(ibm).sub, 'u')
})
