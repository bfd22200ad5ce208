'use strict'
// Interop in one process, both ways: npm `jose` (RS256, PS256, ES256 and the
// JWE user_payload, RSA-OAEP-256 + A256GCM), and IBM's stack, `jsonwebtoken` +
// `node-rsa`, for the `wxo` format.

const test = require('node:test')
const assert = require('node:assert/strict')
const { chatseal, peers, keys } = require('./helpers')

const { Issuer, Verifier, ClientVerifyingKey, ClientSigningKey } = chatseal

const ALGS = { RS256: keys.rs256, PS256: keys.ps256, ES256: keys.es256, Ed25519: keys.ed25519 }
// Long enough that node-rsa splits it over several RSA blocks.
const longSso = `eyJ${'x'.repeat(600)}.sso`

let p
test.before(async () => {
  p = await peers()
})

test('chatseal mints, jose verifies and decrypts the JWE user_payload', async () => {
  const { jose } = p
  const platformPrivate = await jose.importPKCS8(keys.platform.privatePem(), 'RSA-OAEP-256')
  for (const [alg, key] of Object.entries(ALGS)) {
    const issuer = new Issuer(key, {
      issuer: 'https://host.example',
      audience: 'chat',
      platformKey: keys.platform.encryptionKey(),
    })
    const token = issuer.mint({ sub: `u-${alg}`, context: { plan: 'pro' }, ssoToken: longSso })
    const { payload, protectedHeader } = await jose.jwtVerify(token, await jose.importSPKI(key.publicPem(), alg), {
      issuer: 'https://host.example',
      audience: 'chat',
      algorithms: [alg],
    })
    assert.equal(protectedHeader.kid, key.kid)
    assert.equal(payload.sub, `u-${alg}`)
    assert.deepEqual(payload.context, { plan: 'pro' })
    const { plaintext, protectedHeader: jweHeader } = await jose.compactDecrypt(payload.user_payload, platformPrivate)
    assert.equal(jweHeader.alg, 'RSA-OAEP-256')
    assert.equal(jweHeader.enc, 'A256GCM')
    assert.equal(jweHeader.kid, keys.platform.kid)
    assert.deepEqual(JSON.parse(new TextDecoder().decode(plaintext)), { sso_token: longSso })
    // The public JWK chatseal publishes is one jose imports.
    await jose.jwtVerify(token, await jose.importJWK(key.publicJwk(), alg))
  }
})

test('jose signs and encrypts, chatseal verifies and decrypts', async () => {
  const { jose } = p
  const platformPublic = await jose.importSPKI(keys.platform.encryptionKey().publicPem(), 'RSA-OAEP-256')
  for (const alg of Object.keys(ALGS)) {
    // Keys made by jose (node:crypto underneath), loaded by chatseal from PEM and JWK.
    const pair = await jose.generateKeyPair(alg, { extractable: true, modulusLength: 2048, crv: alg === 'Ed25519' ? 'Ed25519' : undefined })
    const pem = await jose.exportSPKI(pair.publicKey)
    const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: `jose-${alg}`, alg }
    const userPayload = await new jose.CompactEncrypt(new TextEncoder().encode(JSON.stringify({ sso_token: longSso })))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: keys.platform.kid })
      .encrypt(platformPublic)
    const token = await new jose.SignJWT({ context: { plan: 'pro' }, user_payload: userPayload })
      .setProtectedHeader({ alg, kid: `jose-${alg}`, typ: 'JWT' })
      .setSubject(`u-${alg}`)
      .setIssuer('https://host.example')
      .setAudience('chat')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(pair.privateKey)
    for (const trusted of [ClientVerifyingKey.fromPem(pem), ClientVerifyingKey.fromJwk(jwk)]) {
      const verifier = new Verifier({
        keys: [trusted],
        issuer: 'https://host.example',
        audience: 'chat',
        algorithms: [alg],
        decryptionKeys: [keys.platform],
      })
      const result = verifier.verify(token)
      assert.equal(result.sub, `u-${alg}`)
      assert.equal(result.header.alg, alg)
      assert.equal(result.header.kid, `jose-${alg}`)
      assert.equal(result.ssoToken.expose(), longSso)
      assert.equal((await verifier.verifyAsync(token)).ssoToken.expose(), longSso)
    }
    // A jose key is loaded for signing too (PKCS#8 from jose), and jose reads the result.
    const signer = ClientSigningKey.fromPem(await jose.exportPKCS8(pair.privateKey), alg)
    const back = new Issuer(signer, { issuer: null, audience: null }).mint({ sub: 'round-trip' })
    assert.equal((await jose.jwtVerify(back, pair.publicKey, { algorithms: [alg] })).payload.sub, 'round-trip')
  }
})

test('ECDH-ES+A256KW payloads on P-256 and X25519, both ways with jose', async () => {
  const { jose } = p
  for (const curve of ['P-256', 'X25519']) {
    const platform = chatseal.PlatformDecryptionKey.generateEcdh(curve)
    const issuer = new Issuer(keys.es256, { issuer: 'i', audience: 'a', platformKey: platform.encryptionKey() })
    const token = issuer.mint({ sub: 'u', ssoToken: longSso })
    const { payload } = await jose.jwtVerify(token, await jose.importJWK(keys.es256.publicJwk(), 'ES256'))
    const privateKey = await jose.importPKCS8(platform.privatePem(), 'ECDH-ES+A256KW')
    const { plaintext, protectedHeader } = await jose.compactDecrypt(payload.user_payload, privateKey)
    assert.equal(protectedHeader.alg, 'ECDH-ES+A256KW')
    assert.equal(protectedHeader.epk.crv, curve)
    assert.deepEqual(JSON.parse(new TextDecoder().decode(plaintext)), { sso_token: longSso })

    const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(JSON.stringify({ sso_token: `jose-${curve}` })))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: platform.kid })
      .encrypt(await jose.importJWK(platform.encryptionKey().toJwk(), 'ECDH-ES+A256KW'))
    const signed = await new jose.SignJWT({ user_payload: jwe })
      .setProtectedHeader({ alg: 'ES256', kid: keys.es256.kid })
      .setSubject('u')
      .setIssuer('i')
      .setAudience('a')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await jose.importPKCS8(keys.es256.privatePem(), 'ES256'))
    const verifier = new Verifier({ keys: [keys.es256.verifyingKey()], issuer: 'i', audience: 'a', decryptionKeys: [platform] })
    assert.equal(verifier.verify(signed).ssoToken.expose(), `jose-${curve}`)
  }
})

test('wxo: chatseal mints, jsonwebtoken verifies and node-rsa decrypts (as the IBM platform would)', () => {
  const { jwt, NodeRSA } = p
  const issuer = new Issuer(keys.rs256, {
    issuer: null,
    audience: null,
    platformKey: keys.platform.encryptionKey(),
    payloadFormat: 'wxo',
  })
  const token = issuer.mint({ sub: 'u-1', context: { name: 'Ana' }, ssoToken: longSso })
  const claims = jwt.verify(token, keys.rs256.publicPem(), { algorithms: ['RS256'] })
  assert.equal(claims.sub, 'u-1')
  assert.deepEqual(claims.context, { name: 'Ana' })
  assert.equal(claims.exp - claims.iat, 3600)
  assert.equal(claims.iss, undefined)
  assert.equal(claims.aud, undefined)
  const plaintext = new NodeRSA(keys.platform.privatePem()).decrypt(claims.user_payload, 'utf8')
  assert.deepEqual(JSON.parse(plaintext), { sso_token: longSso })
})

test("wxo: IBM's createJWTString (jsonwebtoken + node-rsa) is read by chatseal", async () => {
  const { jwt, NodeRSA } = p
  // IBM's secure-embed sample, unchanged apart from where its inputs come from.
  const PRIVATE_KEY = keys.rs256.privatePem()
  const IBM_PUBLIC_KEY = keys.platform.encryptionKey().publicPem()
  const jwtContent = { sub: 'ibm-user', user_payload: { sso_token: longSso }, context: { name: 'Ana' } }
  const rsaKey = new NodeRSA(IBM_PUBLIC_KEY)
  jwtContent.user_payload = rsaKey.encrypt(Buffer.from(JSON.stringify(jwtContent.user_payload), 'utf-8'), 'base64')
  const token = jwt.sign(jwtContent, PRIVATE_KEY, { algorithm: 'RS256', expiresIn: '3600s' })

  const verifier = new Verifier({
    keys: [ClientVerifyingKey.fromPem(keys.rs256.publicPem())],
    dangerouslySkipIssuerCheck: true,
    dangerouslySkipAudienceCheck: true,
    decryptionKeys: [keys.platform],
    payloadFormat: 'wxo',
  })
  const result = await verifier.verifyAsync(token)
  assert.equal(result.sub, 'ibm-user')
  assert.deepEqual(result.claims.context, { name: 'Ana' })
  assert.equal(result.header.kid, undefined)
  assert.equal(result.ssoToken.expose(), longSso)
})
