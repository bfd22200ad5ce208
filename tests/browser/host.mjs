// The host application's backend in the browser test (Node's standard
// library only): it serves the host page, signs a user in with a cookie,
// and hands the signed-in user a widget token that it asks the token
// sidecar (`chatseal serve`) for, with the sidecar's API key. It listens on
// two ports of 127.0.0.1, i.e. two origins: the first is in the tenant's
// allowedOrigins, the second is not.
//
// Environment: SIDECAR_URL, SIDECAR_KEY_FILE (the API key, read from a
// file, never from argv), GATEWAY_URL_FILE (the gateway's URL, written once
// the gateway listens: it starts after the host, whose origin its tenant
// document names), TENANT, TOKEN_TTL (seconds).
// Prints "host: listening on http://127.0.0.1:A http://127.0.0.1:B".
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = (k) => {
  const v = process.env[k];
  if (!v) { console.error(`host: ${k} is not set`); process.exit(2); }
  return v;
};
const sidecar = env('SIDECAR_URL');
const apiKey = fs.readFileSync(env('SIDECAR_KEY_FILE'), 'utf8').trim();
const gatewayUrlFile = env('GATEWAY_URL_FILE');
const tenant = env('TENANT');
const ttl = Number(env('TOKEN_TTL'));

const sessions = new Map(); // sid -> { user, email }
const issued = []; // { at, origin, user, kid, expires_at }

const files = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/widget.js': ['widget.js', 'text/javascript; charset=utf-8'],
};

function send(res, status, type, body, extra = {}) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
  res.end(body);
}
const json = (res, status, v, extra) => send(res, status, 'application/json', JSON.stringify(v), extra);

function readBody(req) {
  return new Promise((resolve, reject) => {
    let b = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { b += d; if (b.length > 65536) reject(new Error('body too large')); });
    req.on('end', () => resolve(b));
    req.on('error', reject);
  });
}

// Cookies are not isolated by port: each origin has its own cookie name.
function cookieName(req) { return `sid_${req.socket.localPort}`; }
function session(req) {
  const want = cookieName(req);
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === want && sessions.has(v)) return sessions.get(v);
  }
  return null;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method === 'GET' && files[url.pathname]) {
    const [file, type] = files[url.pathname];
    return send(res, 200, type, fs.readFileSync(path.join(here, 'page', file)));
  }
  if (req.method === 'GET' && url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
  if (req.method === 'GET' && url.pathname === '/config.js') {
    const gateway = fs.readFileSync(gatewayUrlFile, 'utf8').trim();
    const cfg = { gateway, tenant, origin: `http://127.0.0.1:${req.socket.localPort}` };
    return send(res, 200, 'text/javascript', `window.CHATSEAL_CONFIG = ${JSON.stringify(cfg)};\n`);
  }
  if (req.method === 'POST' && url.pathname === '/login') {
    const { user, email } = JSON.parse(await readBody(req));
    if (typeof user !== 'string' || !/^[a-z0-9._-]{1,64}$/.test(user)) return json(res, 400, { error: 'bad user' });
    const sid = crypto.randomBytes(24).toString('base64url');
    sessions.set(sid, { user, email });
    return json(res, 200, { user }, {
      'set-cookie': `${cookieName(req)}=${sid}; Path=/; HttpOnly; SameSite=Strict`,
    });
  }
  if (req.method === 'POST' && url.pathname === '/token') {
    const s = session(req);
    if (!s) return json(res, 401, { error: 'not signed in' });
    const r = await fetch(`${sidecar}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        sub: s.user,
        claims: { email: s.email, groups: ['support'] },
        context: { plan: 'gold' },
        ttl,
      }),
    });
    const answer = await r.json();
    if (r.status !== 200) return json(res, 502, { error: 'sidecar refused', status: r.status, answer });
    issued.push({ at: Date.now(), port: req.socket.localPort, user: s.user, kid: answer.kid, expires_at: answer.expires_at });
    return json(res, 200, answer);
  }
  if (req.method === 'GET' && url.pathname === '/__issued') return json(res, 200, issued);
  return json(res, 404, { error: 'not found' });
}

const servers = [http.createServer(), http.createServer()];
for (const s of servers) {
  s.on('request', (req, res) => handle(req, res).catch((e) => {
    console.error(`host: ${req.method} ${req.url}: ${e.stack ?? e}`);
    if (!res.headersSent) json(res, 500, { error: String(e) });
  }));
}
let up = 0;
for (const s of servers) {
  s.listen(0, '127.0.0.1', () => {
    if (++up === servers.length) {
      console.log(`host: listening on ${servers.map((x) => `http://127.0.0.1:${x.address().port}`).join(' ')}`);
    }
  });
}
process.on('SIGTERM', () => process.exit(0));
