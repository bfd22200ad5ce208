'use strict'
// examples/createJWT.js: IBM's secure-embed route on 127.0.0.1, its tokens read
// by IBM's own stack (jsonwebtoken + node-rsa), as the platform reads them.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { chatseal, peers, tempDir, keys } = require('./helpers')

function get(port, cookie) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/createJWT', headers: cookie ? { cookie } : {} }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.setTimeout(10000, () => req.destroy(new Error('timeout')))
  })
}

test('createJWT.js mints in at most ten lines, and IBM\'s stack reads its tokens', async () => {
  const source = fs.readFileSync(path.join(__dirname, '..', 'examples', 'createJWT.js'), 'utf8')
  const minting = source.split('// ---- The minting')[1].split('// ---- End of the minting')[0]
  assert.ok(minting.trim().split('\n').length - 1 <= 10, `the minting is ${minting.trim().split('\n').length - 1} lines`)

  const { jwt, NodeRSA } = await peers()
  const dir = tempDir()
  process.env.PRIVATE_KEY_PATH = path.join(dir, 'example-jwtRS256.key')
  process.env.IBM_PUBLIC_KEY_PATH = path.join(dir, 'ibm_public_key.pem')
  fs.writeFileSync(process.env.PRIVATE_KEY_PATH, keys.rs256.privatePem(), { mode: 0o600 })
  fs.writeFileSync(process.env.IBM_PUBLIC_KEY_PATH, keys.platform.encryptionKey().publicPem())
  const { createJWTString, createServer } = require('../examples/createJWT.js')

  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  try {
    const session = encodeURIComponent(JSON.stringify({ userID: 'ana@acme.example', fullName: 'Ana', ssoToken: 'idp-sso-token' }))
    const logged = await get(port, `ANONYMOUS-USER-ID=anon-1; SESSION_INFO=${session}`)
    assert.equal(logged.status, 200)
    assert.equal(logged.headers['cache-control'], 'no-store')
    const claims = jwt.verify(logged.body, keys.rs256.publicPem(), { algorithms: ['RS256'] })
    assert.equal(claims.sub, 'ana@acme.example')
    assert.deepEqual(claims.context, { name: 'Ana' })
    assert.equal(claims.exp - claims.iat, 3600)
    // chatseal names its key in the header (`kid`); IBM's platform ignores it.
    assert.deepEqual(jwt.decode(logged.body, { complete: true }).header, { alg: 'RS256', typ: 'JWT', kid: keys.rs256.kid })
    const payload = new NodeRSA(keys.platform.privatePem()).decrypt(claims.user_payload, 'utf8')
    assert.deepEqual(JSON.parse(payload), { sso_token: 'idp-sso-token' })

    const anonymous = await get(port, 'ANONYMOUS-USER-ID=anon-7')
    const anonClaims = jwt.verify(anonymous.body, keys.rs256.publicPem(), { algorithms: ['RS256'] })
    assert.equal(anonClaims.sub, 'anon-7')
    assert.equal(anonClaims.user_payload, undefined)
    assert.equal((await get(port, 'SESSION_INFO=%7Bnot-json')).status, 400)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
  // The platform side of chatseal reads the same tokens.
  const verifier = new chatseal.Verifier({
    keys: [chatseal.ClientVerifyingKey.fromPem(keys.rs256.publicPem())],
    dangerouslySkipIssuerCheck: true,
    dangerouslySkipAudienceCheck: true,
    decryptionKeys: [keys.platform],
    payloadFormat: 'wxo',
  })
  assert.equal(verifier.verify(createJWTString('anon-2', { userID: 'u-9', ssoToken: 's' })).ssoToken.expose(), 's')
})
