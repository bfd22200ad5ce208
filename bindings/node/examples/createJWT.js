'use strict'
// IBM watsonx Orchestrate's secure-embed route (`createJWT.js` of IBM's
// sample: Express + jsonwebtoken + node-rsa), redone with chatseal. The page's
// chat widget fetches GET /createJWT for its first token and again on
// `authTokenNeeded`; the host answers with a token signed by its client key
// (RS256, `sub`, `context`, `iat`/`exp`, no `iss` or `aud`) whose
// `user_payload` holds the user's sso_token encrypted to IBM's public key, in
// IBM's format. Tokens read by IBM's stack exactly as the sample's are.
//
//   PRIVATE_KEY_PATH=keys/example-jwtRS256.key IBM_PUBLIC_KEY_PATH=keys/ibm_public_key.pem \
//     node examples/createJWT.js          # listens on 127.0.0.1:3000 (PORT to change)
//
// Cookies, as in the sample: ANONYMOUS-USER-ID (a stable id for visitors who
// are not logged in) and SESSION_INFO (JSON: {userID, fullName, ssoToken}).

const fs = require('node:fs')
const http = require('node:http')
const { ClientSigningKey, PlatformEncryptionKey, Issuer, ChatsealError } = require('chatseal')

// ---- The minting: everything IBM's sample does with jsonwebtoken + node-rsa.
const issuer = new Issuer(ClientSigningKey.fromPem(fs.readFileSync(process.env.PRIVATE_KEY_PATH ?? 'keys/example-jwtRS256.key'), 'RS256'), {
  issuer: null, // IBM's tokens carry no iss
  audience: null, // and no aud
  ttlSeconds: 3600,
  platformKey: PlatformEncryptionKey.fromPem(fs.readFileSync(process.env.IBM_PUBLIC_KEY_PATH ?? 'keys/ibm_public_key.pem')),
  payloadFormat: 'wxo', // node-rsa's OAEP, as the platform expects
})
const createJWTString = (anonymousUserID, session) =>
  issuer.mint({ sub: session?.userID ?? anonymousUserID, context: { name: session?.fullName ?? 'Anonymous' }, ssoToken: session?.ssoToken })
// ---- End of the minting.

function cookies(req) {
  return Object.fromEntries(
    (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim().split('='))
      .filter(([name, value]) => name && value !== undefined)
      .map(([name, ...value]) => [name, decodeURIComponent(value.join('='))]),
  )
}

function createServer() {
  return http.createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url, 'http://host').pathname !== '/createJWT') {
      res.writeHead(404).end()
      return
    }
    const c = cookies(req)
    const anonymousUserID = c['ANONYMOUS-USER-ID'] ?? `anon-${Math.random().toString(36).slice(2, 12)}`
    let session
    try {
      session = c.SESSION_INFO ? JSON.parse(c.SESSION_INFO) : undefined
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('SESSION_INFO is not JSON')
      return
    }
    try {
      const token = createJWTString(anonymousUserID, session)
      res.writeHead(200, {
        'content-type': 'text/plain',
        'cache-control': 'no-store',
        'set-cookie': `ANONYMOUS-USER-ID=${encodeURIComponent(anonymousUserID)}; Path=/; HttpOnly; SameSite=Lax`,
      })
      res.end(token)
    } catch (e) {
      // The code and message say what was wrong; neither holds a secret.
      console.error(e instanceof ChatsealError ? `createJWT refused: ${e.code}: ${e.message}` : e)
      res.writeHead(500).end()
    }
  })
}

module.exports = { createJWTString, createServer }

if (require.main === module) {
  const port = Number(process.env.PORT ?? 3000)
  createServer().listen(port, '127.0.0.1', () => console.log(`createJWT on http://127.0.0.1:${port}/createJWT`))
}
