// Compiled with `tsc --strict --noEmit` by tests/steps/52-node.sh against the
// package's index.d.ts: the types cover the whole API, and each line after an
// expect-error marker must stay a type error.
import {
  ClientSigningKey,
  ClientVerifyingKey,
  PlatformDecryptionKey,
  PlatformEncryptionKey,
  Issuer,
  Verifier,
  TenantVerifier,
  Keyring,
  SsoToken,
  ChatsealError,
  ExpiredError,
  publishedSampleKey,
  type Algorithm,
  type VerifiedToken,
  type VerifiedIdentity,
  type KeyInfo,
  type JsonWebKeySet,
} from 'chatseal'

async function host(pem: string, platformPem: Buffer): Promise<string[]> {
  const key: ClientSigningKey = ClientSigningKey.fromPem(pem, 'RS256', { passphrase: 'p' })
  const generated: ClientSigningKey = await ClientSigningKey.generateAsync('ES256')
  const alg: Algorithm = generated.algorithm
  const issuer = new Issuer(key, {
    issuer: null,
    audience: 'chat',
    ttlSeconds: 600,
    platformKey: PlatformEncryptionKey.fromPem(platformPem),
    payloadFormat: 'wxo',
  })
  const token: string = issuer.mint({ sub: 'u', context: { plan: 'pro' }, ssoToken: 's', claims: { email: 'a@b' } })
  const later: string = await issuer.mintAsync({ sub: 'u' })
  // @ts-expect-error issuer and audience must be given (null to leave them out)
  new Issuer(key, { ttlSeconds: 60 })
  // @ts-expect-error algorithms are the three JOSE names
  ClientSigningKey.generate('HS256')
  // @ts-expect-error payloadFormat is 'jwe' or 'wxo'
  new Issuer(key, { issuer: null, audience: null, payloadFormat: 'jws' })
  return [token, later, alg, key.publicPem(), key.privatePem({ passphrase: 'x' }), String(key.publicJwk().kid)]
}

async function platform(token: string, jwks: JsonWebKeySet): Promise<string | undefined> {
  const keys: ClientVerifyingKey[] = [ClientVerifyingKey.fromPem('pem'), ...ClientVerifyingKey.fromJwks(jwks)]
  const decryption = [
    PlatformDecryptionKey.fromPem('pem'),
    await PlatformDecryptionKey.generateAsync(2048),
    PlatformDecryptionKey.generateEcdh('X25519'),
  ]
  const curve: 'P-256' | 'X25519' | null = decryption[2].encryptionKey().curve
  // @ts-expect-error ECDH curves are P-256 and X25519
  PlatformDecryptionKey.generateEcdh('P-384')
  const verifier = new Verifier({ keys, issuer: ['a', 'b'], audience: 'chat', algorithms: ['RS256', 'PS256'], decryptionKeys: decryption })
  const result: VerifiedToken = verifier.verify(token)
  const again: VerifiedToken = await verifier.verifyAsync(token)
  const sso: SsoToken | null = result.ssoToken
  // @ts-expect-error ssoToken may be null
  result.ssoToken.expose()
  const tenant = TenantVerifier.fromJson({ tenantId: 't' }, { decryptionKeys: decryption })
  const who: VerifiedIdentity = await tenant.verifyAsync(token, { participant: 'u', origin: 'https://app.example' })
  const email: string | null = who.email
  const groups: string[] = who.groups
  try {
    tenant.verify(token)
  } catch (e) {
    if (e instanceof ExpiredError) return e.code
    if (e instanceof ChatsealError) return `${e.code}: ${e.message}`
  }
  return [curve, sso?.expose(), again.sub, result.header.alg, email, groups.join(), publishedSampleKey('x') ?? ''].join()
}

function rotation(dir: string): KeyInfo[] {
  const ring = Keyring.exists(dir) ? Keyring.open(dir) : Keyring.init(dir, { algorithm: 'ECDH-ES+A256KW', ecdhCurve: 'X25519' })
  const pending: KeyInfo = ring.rotate({ passphrase: 'p' })
  const { active, retiring } = ring.promote({ kid: pending.kid })
  const retired: string[] = ring.retire({ force: true })
  ring.revoke(retiring.kid)
  const published: JsonWebKeySet = ring.jwks()
  return [active, ...ring.keys()].filter((k) => k.state !== 'retired' && !retired.includes(k.kid) && published.keys.length > 0)
}

export { host, platform, rotation }
