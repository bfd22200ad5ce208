'use strict'
// TenantVerifier over a tenant document: the identity it returns, and one
// refused token per policy code reachable from a single document.

const test = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const { chatseal, fixture, keys, rejects } = require('./helpers')

const { Issuer, TenantVerifier, ClientVerifyingKey, ClaimRejectedError, ChatsealError, IoError, SsoToken } = chatseal

const idp = keys.es256.withKid('idp-1')
const other = keys.ps256.withKid('other-1')

function doc(corp = {}) {
  return {
    tenantId: 'acme',
    allowedProviders: ['corp', 'partner'],
    providers: {
      corp: {
        issuer: 'https://idp.acme.example',
        expectedAudience: ['chat'],
        acceptedAlgorithms: ['ES256'],
        jwks: ClientVerifyingKey.toJwks([idp.verifyingKey()]),
        decryptionKeys: [keys.platform.kid],
        scope: 'chat.read',
        additionalClaims: [{ claim: 'tid', op: 'equals', value: 'acme-tenant' }],
        allowedEmailDomains: ['acme.example'],
        requiredGroups: ['chat-users'],
        requireEmailVerified: true,
        ...corp,
      },
      partner: {
        issuer: 'https://partner.example',
        expectedAudience: ['chat'],
        acceptedAlgorithms: ['PS256'],
        jwks: ClientVerifyingKey.toJwks([other.verifyingKey()]),
        allowedUsers: ['bob@partner.example'],
      },
      legacy: {
        issuer: 'https://legacy.example',
        expectedAudience: ['chat'],
        acceptedAlgorithms: ['ES256'],
        jwks: ClientVerifyingKey.toJwks([idp.verifyingKey()]),
      },
    },
  }
}

const corp = new Issuer(idp, { issuer: 'https://idp.acme.example', audience: 'chat', platformKey: keys.platform.encryptionKey() })
const good = {
  email: 'ana@acme.example',
  email_verified: true,
  groups: ['chat-users', 'eng'],
  scope: 'chat.read chat.write',
  tid: 'acme-tenant',
}
const mint = (claims = {}, extra = {}) => corp.mint({ sub: 'u-1', context: { plan: 'pro' }, ssoToken: 'idp-token', claims: { ...good, ...claims }, ...extra })

test('fromJson (object or text), verify and verifyAsync', async () => {
  const tenant = TenantVerifier.fromJson(doc(), { decryptionKeys: [keys.platform] })
  const fromText = TenantVerifier.fromJson(JSON.stringify(doc()), { decryptionKeys: [keys.platform] })
  assert.equal(tenant.tenantId, 'acme')
  for (const who of [tenant.verify(mint(), { participant: 'u-1' }), await fromText.verifyAsync(mint())]) {
    assert.equal(who.tenantId, 'acme')
    assert.equal(who.provider, 'corp')
    assert.equal(who.userId, 'u-1')
    assert.equal(who.email, 'ana@acme.example')
    assert.deepEqual(who.groups, ['chat-users', 'eng'])
    assert.equal(who.claims['context.plan'], 'pro')
    assert.equal(who.claims.user_payload, undefined)
    assert.ok(who.ssoToken instanceof SsoToken)
    assert.equal(who.ssoToken.expose(), 'idp-token')
  }
  // A provider without decryption keys: no sso_token, and no email -> null.
  const partner = new Issuer(other, { issuer: 'https://partner.example', audience: 'chat' })
  const bob = tenant.verify(partner.mint({ sub: 'b-1', claims: { email: 'bob@partner.example' } }))
  assert.equal(bob.provider, 'partner')
  assert.equal(bob.ssoToken, null)
  assert.deepEqual(bob.groups, [])
  // A claim whose value is `undefined` is left out, as JSON.stringify does.
  const noEmail = TenantVerifier.fromJson(doc({ requireEmailVerified: false, allowedEmailDomains: [] }), { decryptionKeys: [keys.platform] })
  assert.equal(noEmail.verify(mint({ email: undefined })).email, null)
})

test('one refused token per policy code, with the core message', async () => {
  const tenant = TenantVerifier.fromJson(doc(), { decryptionKeys: [keys.platform] })
  const cases = [
    [mint({ scope: 'chat.write' }), 'scope_missing'],
    [mint({ tid: 'other-tenant' }), 'claim_rule_failed'],
    [mint({ email: 'eve@evil.example' }), 'email_domain_not_allowed'],
    [mint({ groups: ['eng'] }), 'required_group_missing'],
    [mint({ email_verified: false }), 'email_not_verified'],
    [new Issuer(other, { issuer: 'https://partner.example', audience: 'chat' }).mint({ sub: 'e', claims: { email: 'eve@partner.example' } }), 'user_not_allowed'],
    [new Issuer(idp, { issuer: 'https://nobody.example', audience: 'chat' }).mint({ sub: 'u' }), 'no_provider_for_issuer'],
    [new Issuer(idp, { issuer: 'https://legacy.example', audience: 'chat' }).mint({ sub: 'u' }), 'provider_not_allowed'],
  ]
  for (const [token, code] of cases) {
    const e = await rejects(assert, () => tenant.verify(token), ClaimRejectedError, code)
    assert.doesNotMatch(e.message, /idp-token/)
  }
  await rejects(assert, () => tenant.verify(mint(), { participant: 'u-2' }), ClaimRejectedError, 'participant_mismatch')
  // allowedOrigins: the request's Origin header, checked before the token.
  const withOrigins = TenantVerifier.fromJson({ ...doc(), allowedOrigins: ['https://app.acme.example'] }, { decryptionKeys: [keys.platform] })
  assert.equal(withOrigins.verify(mint(), { origin: 'https://app.acme.example', participant: 'u-1' }).userId, 'u-1')
  assert.equal(withOrigins.verify(mint()).userId, 'u-1', 'no Origin header: not a browser request')
  await rejects(assert, () => withOrigins.verify(mint(), { origin: 'https://evil.example' }), ClaimRejectedError, 'origin_not_allowed',
    'Origin not allowed: `https://evil.example` is not in allowedOrigins of tenant `acme`')
  await rejects(assert, () => withOrigins.verifyAsync('not-even-a-token', { origin: 'null' }), ClaimRejectedError, 'origin_not_allowed')
  await rejects(assert, () => tenant.verifyAsync(mint(), { participant: 'u-2' }), ClaimRejectedError, 'participant_mismatch')
  // Token checks keep their own codes.
  await rejects(assert, () => tenant.verify(mint({}).slice(0, -4) + 'AAAA'), chatseal.InvalidSignatureError, 'invalid_signature')
})

test('document errors are invalid_config; unreachable key sets are jwks_unavailable', async () => {
  await rejects(assert, () => TenantVerifier.fromJson({ tenantId: 'acme', provders: {} }), ChatsealError, 'invalid_config', /provders/)
  await rejects(assert, () => TenantVerifier.fromJson('{not json'), ChatsealError, 'invalid_config', /^tenant document is not valid JSON/)
  await rejects(assert, () => TenantVerifier.fromJson(doc()), ChatsealError, 'invalid_config', /decryptionKeys/)
  // The example document of the repository parses (its keys are remote).
  const example = JSON.parse(fixture('tenant', 'example-tenant.json'))
  assert.ok(example.tenantId)

  // A key set on a port where nothing listens: refused, not hung.
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  await new Promise((resolve) => server.close(resolve))
  const remote = TenantVerifier.fromJson({
    tenantId: 'acme',
    providers: {
      corp: {
        issuer: 'https://idp.acme.example',
        expectedAudience: ['chat'],
        acceptedAlgorithms: ['ES256'],
        jwksUri: `http://127.0.0.1:${port}/jwks.json`,
        requireHttpsMetadata: false,
      },
    },
  })
  await rejects(assert, () => remote.verifyAsync(corp.mint({ sub: 'u' })), IoError, 'jwks_unavailable')
})
