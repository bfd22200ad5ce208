// End to end in headless Chromium (issue 14, section 3): a host page on
// one origin gets widget tokens from its backend (cookie sign-in, then the
// token sidecar `chatseal serve` with the API key), chats through
// `chatseal gateway` on another origin with them, and shows the identity
// that the chat backend behind the gateway echoes. Also: a page from an
// origin that the tenant does not allow is blocked (CORS preflight and
// WebSocket refused); 20 s tokens run out mid-session and the page gets
// fresh ones (authTokenNeeded / updateAuthToken) with no failed chat
// request; a key rotation on the host keyring mid-session (rotate, the
// sidecar serves the new JWKS, promote) fails nothing; the chat WebSocket
// is closed by the gateway with 4001 at each token's expiry and the page
// reconnects with a fresh token. Everything listens on 127.0.0.1.
//
// Run by tests/steps/80-browser.sh; environment:
//   CHATSEAL_BIN      the chatseal binary
//   BROWSER_PEERS     the folder whose node_modules holds playwright-core
//   CHROMIUM          the browser (Debian's /usr/bin/chromium)
//   ARTIFACTS         where the screenshot and the logs go (an ignored folder)
//   BROWSER_PIDFILE   (optional) where to write the browser's pid, for the step's trap
import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const need = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const bin = need('CHATSEAL_BIN');
const chromiumPath = need('CHROMIUM');
const artifacts = need('ARTIFACTS');
const { chromium } = createRequire(path.join(need('BROWSER_PEERS'), 'package.json'))('playwright-core');

const TTL = 20; // seconds: the widget tokens' lifetime
const TENANT = 'acme';
const ISS = 'https://host.example';
const AUD = 'chat-platform';
// The gateway's remote JWKS refetches for an unknown kid at most once per
// cooldown (core's DEFAULT_JWKS_COOLDOWN, 30 s), counted from its last
// fetch. The promote must come that long after the gateway's last fetch,
// or the first token of the new key is refused; the README's order
// (rotate, wait for verifier caches, promote) has far more margin.
const JWKS_COOLDOWN_MS = 30_000;
const PERIOD_MS = 700; // one chat request and one socket line per period
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const say = (m) => console.log(`browser: [${since()}] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

fs.mkdirSync(artifacts, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'chatseal-browser-'));
const children = [];
let context = null;

// ----------------------------------------------------------------- helpers
function run(args, { stdout } = {}) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 1 << 20 }, (err, out, errOut) => {
      if (err) reject(new Error(`chatseal ${args.join(' ')}: ${err.message}\n${errOut}`));
      else {
        if (stdout) fs.writeFileSync(stdout, out, { mode: 0o600 });
        resolve(out);
      }
    });
  });
}

// Starts a service and resolves with the first stdout match of `ready`.
function start(name, cmd, args, ready, env = {}) {
  const log = fs.openSync(path.join(artifacts, `${name}.log`), 'w');
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', log] });
  children.push({ name, child });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not say it listens within 15 s: ${out}`)), 15_000);
    child.stdout.on('data', (d) => {
      fs.writeSync(log, d);
      out += d;
      const m = out.match(ready);
      if (m && timer) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? sig}) before it listened; see ${name}.log`));
    });
  });
}

async function getJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
  return r.json();
}

// One counter of a Prometheus text page (a sum over the lines that match).
function metric(text, name, labels = {}) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = line.match(/^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/);
    if (!m || m[1] !== name) continue;
    const ok = Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`));
    if (ok) sum += Number(m[3]);
  }
  return sum;
}

async function until(what, f, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

const failures = [];
function check(ok, what, detail) {
  if (ok) say(`ok: ${what}`);
  else {
    failures.push(what);
    console.error(`browser: FAILED: ${what}${detail === undefined ? '' : `\n  ${JSON.stringify(detail).slice(0, 2000)}`}`);
  }
}

async function stopAll() {
  if (context) await context.close().catch(() => {});
  context = null;
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(children.map(({ child }) => (child.exitCode !== null || child.signalCode !== null)
    ? null
    : Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000).then(() => child.kill('SIGKILL'))])));
  fs.rmSync(work, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopAll().finally(() => process.exit(1)); });

// -------------------------------------------------------------- the test
async function main() {
  // The host's keyring, the sidecar's API key and the sidecar.
  const keys = path.join(work, 'host-keys');
  await run(['keys', 'init', '--dir', keys, '--alg', 'ES256']);
  const keyFile = path.join(work, 'sidecar.key');
  await run(['apikey', 'generate', '--out', path.join(work, 'sidecar.key.hash')], { stdout: keyFile });
  const [, sidecarPort] = await start('sidecar', bin, ['serve', '--dir', keys, '--iss', ISS, '--aud', AUD,
    '--api-key-hash', path.join(work, 'sidecar.key.hash'), '--listen', '127.0.0.1:0'],
  /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const sidecar = `http://127.0.0.1:${sidecarPort}`;
  const jwksUrl = `${sidecar}/.well-known/jwks.json`;
  let ownJwksGets = 0; // this driver's own JWKS requests, to tell the gateway's apart
  const jwksKids = async () => { ownJwksGets++; return (await getJson(jwksUrl)).keys.map((k) => k.kid); };
  const sidecarJwksRequests = async () => {
    const t = await (await fetch(`${sidecar}/metrics`)).text();
    return metric(t, 'chatseal_jwks_requests_total');
  };

  // The chat backend, and the host backend on two origins.
  const [, upstreamPort] = await start('upstream', process.execPath, [path.join(here, 'upstream.mjs')], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const gatewayUrlFile = path.join(work, 'gateway.url');
  const [, portA, portC] = await start('host', process.execPath, [path.join(here, 'host.mjs')],
    /listening on http:\/\/127\.0\.0\.1:(\d+) http:\/\/127\.0\.0\.1:(\d+)/, {
      SIDECAR_URL: sidecar, SIDECAR_KEY_FILE: keyFile, GATEWAY_URL_FILE: gatewayUrlFile, TENANT, TOKEN_TTL: String(TTL),
    });
  const originA = `http://127.0.0.1:${portA}`; // allowed
  const originC = `http://127.0.0.1:${portC}`; // not allowed

  // The gateway: the tenant's keys are the sidecar's JWKS.
  fs.writeFileSync(path.join(work, `${TENANT}.json`), JSON.stringify({
    tenantId: TENANT,
    allowedOrigins: [originA],
    providers: {
      'host-app': {
        issuer: ISS,
        expectedAudience: AUD,
        acceptedAlgorithms: ['ES256'],
        requireHttpsMetadata: false,
        jwksUri: jwksUrl,
      },
    },
  }, null, 2));
  fs.writeFileSync(path.join(work, 'gateway.toml'),
    `listen = "127.0.0.1:0"\nupstream = "${upstream}"\n\n[[tenant]]\nid = "${TENANT}"\nconfig = "${TENANT}.json"\n`);
  const [, gatewayPort] = await start('gateway', bin, ['gateway', '--config', path.join(work, 'gateway.toml')],
    /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const gateway = `http://127.0.0.1:${gatewayPort}`;
  fs.writeFileSync(gatewayUrlFile, gateway);
  const gatewayMetrics = async () => (await fetch(`${gateway}/metrics`)).text();
  say(`sidecar ${sidecar}, gateway ${gateway}, upstream ${upstream}, host page ${originA} (allowed) and ${originC} (not allowed)`);

  // The browser: Debian's chromium with a fresh profile.
  const profile = path.join(work, 'profile');
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 900 },
  });
  say(`chromium ${context.browser()?.version() ?? '(version unknown)'}`);
  // The browser's pid, for the step's trap should this driver be killed
  // before it closes the browser: our own child with this profile.
  if (process.env.BROWSER_PIDFILE) {
    for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const ppid = Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
        if (ppid === process.pid && cmd.includes(`--user-data-dir=${profile}`)) fs.writeFileSync(process.env.BROWSER_PIDFILE, p);
      } catch { /* gone meanwhile */ }
    }
  }
  const pageErrors = [];
  const consoleErrors = {}; // origin -> the browser's console errors
  const openPage = async (origin) => {
    const page = await context.newPage();
    consoleErrors[origin] = [];
    page.on('pageerror', (e) => pageErrors.push(`${origin}: ${e}`));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      consoleErrors[origin].push(m.text());
      fs.appendFileSync(path.join(artifacts, 'console.log'), `${origin}: ${m.text()}\n`);
    });
    await page.goto(`${origin}/`);
    return page;
  };
  const signIn = async (page, user, email) => {
    await page.fill('#user', user);
    await page.fill('#email', email);
    await page.click('#signin-button');
    await page.waitForFunction((u) => document.getElementById('signed-in').textContent === `signed in to the host as ${u}`, user);
  };

  const user = `ada-${crypto.randomBytes(4).toString('hex')}`;
  const email = `${user}@host.example`;

  // ---------------------------------------------- 1. the allowed origin
  const page = await openPage(originA);
  await signIn(page, user, email);
  const first = await page.evaluate((p) => window.app.start(p), PERIOD_MS);
  const firstReplyAt = Date.now();
  check(first.ok && first.reply.user === user, `the first chat request through the gateway is answered for ${user}`, first);
  await page.waitForFunction((u) => document.getElementById('who').textContent.startsWith(`${u} <`), user, { timeout: 5000 });
  const shown = await page.textContent('#who');
  check(shown === `${user} <${email}> · tenant ${TENANT} · auth token · groups ["support"]`,
    'the page shows the identity the chat backend echoed (X-Chatseal-User, -Email, -Tenant, -Auth, -Groups)', shown);
  const [kid1] = await jwksKids();

  // ------------------------------------ 2. an origin that is not allowed
  const foreign = await openPage(originC);
  await signIn(foreign, user, email);
  const probe = await foreign.evaluate(() => window.app.probe());
  check(probe.stats.tokens.length === 1, 'the page on the other origin got a valid token from its host', probe.stats.tokens);
  check(!probe.http.ok && probe.http.status === null && /^TypeError/.test(probe.http.error ?? ''),
    'its chat request is blocked by CORS (fetch fails with a TypeError, no response reaches the page)', probe.http);
  check(probe.ws && !probe.ws.opened && probe.ws.closed && probe.ws.closed.code === 1006,
    'its WebSocket is refused (never opens, closed 1006)', probe.ws);
  check((await foreign.textContent('#who')).startsWith('blocked: TypeError'), 'that page shows the block', await foreign.textContent('#who'));
  const said = consoleErrors[originC];
  check(said.some((m) => m.includes(`from origin '${originC}' has been blocked by CORS policy`))
    && said.some((m) => m.includes('WebSocket connection') && m.includes('403')),
  'and Chromium says why: blocked by CORS policy, WebSocket handshake answered 403', said);
  await foreign.close();
  const m1 = await gatewayMetrics();
  const originRefusals = metric(m1, 'chatseal_gateway_requests_total', { outcome: 'refused', code: 'origin_not_allowed' });
  check(originRefusals >= 2, 'the gateway refused the preflight and the WebSocket upgrade as origin_not_allowed', originRefusals);

  // ------------------------------------- 3. the first token runs out
  const stats = () => page.evaluate(() => window.app.stats());
  await until('the first 4001 close and a reconnect with a fresh token', async () => {
    const s = await stats();
    return s.tokens.length >= 2 && s.ws.length >= 2 && s.ws[0].closed?.code === 4001 && s.ws[1].hello ? s : null;
  }, (TTL + 10) * 1000);
  say('the first token expired: the socket was closed with 4001 and reopened with a fresh token');

  // ------------------------------- 4. key rotation on the host keyring
  await run(['keys', 'rotate', '--dir', keys]);
  const rotatedAt = Date.now();
  const published = await until('the sidecar to publish the pending key', async () => {
    const kids = await jwksKids();
    return kids.length === 2 ? kids : null;
  }, 10_000);
  const kid2 = published.find((k) => k !== kid1);
  check(published.includes(kid1) && kid2, `after rotate the sidecar's JWKS has the old and the pending key (${kid1.slice(0, 8)}…, ${kid2?.slice(0, 8)}…)`, published);
  const wait = firstReplyAt + JWKS_COOLDOWN_MS + 1500 - Date.now();
  if (wait > 0) {
    say(`promoting in ${(wait / 1000).toFixed(1)} s (the gateway's unknown-kid refetch cooldown since its JWKS fetch)`);
    await sleep(wait);
  }
  const jwksBeforePromote = (await sidecarJwksRequests()) - ownJwksGets;
  await run(['keys', 'promote', '--dir', keys]);
  const promotedAt = Date.now();
  say(`promoted ${kid2.slice(0, 8)}…: tokens from now on are signed with it`);

  // ------------- 5. the session goes on until the new key has done it all
  const done = await until('chat requests and a WebSocket with a token of the new key', async () => {
    const s = await stats();
    const http2 = s.http.filter((h) => h.ok && h.kid === kid2).length;
    const ws2 = s.ws.filter((w) => w.kid === kid2 && w.hello && w.echoes >= 2).length;
    return http2 >= 3 && ws2 >= 1 ? s : null;
  }, (2 * TTL + 10) * 1000);
  const sessionEnd = await page.evaluate(() => window.app.stop());
  const jwksAfter = (await sidecarJwksRequests()) - ownJwksGets;
  say(`session over: ${sessionEnd.http.length} chat requests, ${sessionEnd.tokens.length} tokens, ${sessionEnd.ws.length} sockets`);
  const shot = path.join(artifacts, 'final-page.png');
  await page.screenshot({ path: shot, fullPage: true });

  // ------------------------------------------------------ 6. the checks
  const s = sessionEnd;
  check(s.failed === 0 && s.http.every((h) => h.ok && h.status === 200),
    `no failed chat request (${s.http.length} sent over ${((s.http.at(-1).doneAt - s.http[0].sentAt) / 1000).toFixed(0)} s)`,
    s.http.filter((h) => !h.ok));
  check(s.unauthorized === 0, 'no chat request was refused 401 (none needed a retry)', s.unauthorized);
  check(s.errors.length === 0 && pageErrors.length === 0 && consoleErrors[originA].length === 0,
    'no widget, page or console errors on the allowed origin', [s.errors, pageErrors, consoleErrors[originA]]);
  check(s.http.every((h) => h.reply?.user === user && h.reply?.email === email && h.reply?.tenant === TENANT && h.reply?.auth === 'token'),
    'every reply carries the signed-in user as the gateway told the backend', s.http.find((h) => h.reply?.user !== user));
  check(s.http.every((h) => h.sentAt / 1000 < h.exp && h.reply?.exp === h.exp && h.reply?.jti === h.jti),
    'every chat request carried a token that had not expired, and the backend saw that token\'s claims',
    s.http.find((h) => !(h.sentAt / 1000 < h.exp && h.reply?.exp === h.exp)));
  const jtis = new Set(s.http.map((h) => h.jti));
  check(s.tokens.length >= 4 && jtis.size >= 4 && s.tokens.every((t) => t.exp - t.iat === TTL),
    `tokens of ${TTL} s ran out mid-session and were replaced (${s.tokens.length} tokens, ${jtis.size} used for chat requests)`, s.tokens);
  check(s.authTokenNeeded === s.tokens.length, 'each token came from an authTokenNeeded event answered by the host', [s.authTokenNeeded, s.tokens.length]);
  check(s.http.at(-1).sentAt / 1000 > s.tokens[0].exp + TTL, 'the session went on well past the first token\'s expiry', [s.http.at(-1).sentAt, s.tokens[0].exp]);

  // Rotation.
  const before = s.tokens.filter((t) => t.at < rotatedAt);
  const between = s.tokens.filter((t) => t.at > rotatedAt && t.at < promotedAt);
  const after = s.tokens.filter((t) => t.at > promotedAt + 1000);
  check(before.every((t) => t.kid === kid1) && between.every((t) => t.kid === kid1),
    'until promote, the sidecar signed with the old key (a pending key only sits in the JWKS)', s.tokens);
  check(after.length >= 1 && after.every((t) => t.kid === kid2), 'after promote, with the new key', after);
  check(s.http.some((h) => h.kid === kid1) && s.http.filter((h) => h.kid === kid2).length >= 3,
    'chat requests with tokens of both keys were answered', null);
  check(jwksAfter > jwksBeforePromote, `the gateway fetched the JWKS again for the new kid (${jwksBeforePromote} → ${jwksAfter} fetches)`, [jwksBeforePromote, jwksAfter]);

  // WebSockets.
  const sockets = s.ws;
  const expired = sockets.slice(0, -1);
  const last = sockets.at(-1);
  check(sockets.every((w) => w.opened && w.protocol === 'chat.v1' && w.hello?.user === user && w.hello?.email === email),
    'every socket opened (protocol chat.v1 from the backend; the token protocol not echoed) and the backend greeted the user', sockets);
  check(expired.length >= 2 && expired.every((w) => w.closed?.code === 4001 && w.closed.reason === 'token expired'),
    `every socket but the last was closed by the gateway with 4001 'token expired' (${expired.length} of them)`, expired.map((w) => w.closed));
  // The gateway counts the time to exp in whole seconds from the upgrade:
  // the close comes 0 to 1 s after exp, plus delivery.
  check(expired.every((w) => w.closed?.at >= w.exp * 1000 - 250 && w.closed?.at <= w.exp * 1000 + 3000),
    'each at its token\'s exp (within -0.25 s .. +3 s)', expired.map((w) => w.closed && w.closed.at - w.exp * 1000));
  check(expired.every((w, i) => sockets[i + 1].startedAt - w.closed?.at < 3000 && sockets[i + 1].jti !== w.jti),
    'and the page reconnected at once with a fresh token', sockets.map((w) => [w.startedAt, w.closed?.at, w.jti]));
  check(last.closed?.code === 1000, 'the last socket was closed by the page at the end', last.closed);
  check(sockets.filter((w) => w.kid === kid2).length >= 1, 'a socket with a token of the new key was served', null);
  const echoes = sockets.reduce((a, w) => a + w.echoes, 0);
  check(echoes >= s.http.length * 0.7, `the socket carried chat lines both ways across the reconnects (${echoes} echoes)`, echoes);

  // What the backend and the gateway saw.
  const seen = await getJson(`${upstream}/__log`);
  const httpSeen = seen.filter((r) => r.kind === 'http');
  const wsSeen = seen.filter((r) => r.kind === 'websocket');
  check(httpSeen.length === s.http.length && wsSeen.length === sockets.length,
    `the backend received exactly the page's requests (${httpSeen.length} chat, ${wsSeen.length} sockets) and none from the other origin`,
    [httpSeen.length, s.http.length, wsSeen.length, sockets.length]);
  check(seen.every((r) => r.origin === originA && r.user === user && r.auth === 'token'),
    'all of them from the allowed origin, with the identity headers', seen.find((r) => r.origin !== originA || r.user !== user));
  check(seen.every((r) => r.authorization === null && !(r.protocols ?? '').includes('bearer.')),
    'no token reached the backend (no Authorization header, no bearer. protocol)', seen.find((r) => r.authorization || (r.protocols ?? '').includes('bearer')));
  const m2 = await gatewayMetrics();
  const closedAtExpiry = metric(m2, 'chatseal_gateway_websockets_closed_at_expiry_total');
  check(closedAtExpiry === expired.length, `the gateway counted ${closedAtExpiry} sockets closed at expiry`, closedAtExpiry);
  const refused = metric(m2, 'chatseal_gateway_requests_total', { outcome: 'refused' });
  check(refused === originRefusals, 'the gateway refused nothing but the other origin\'s requests', m2.split('\n').filter((l) => l.includes('refused')));
  const issued = await getJson(`http://127.0.0.1:${portA}/__issued`);
  check(issued.filter((t) => t.port === Number(portA)).length === s.tokens.length,
    'the host issued exactly the tokens the page used', [issued.length, s.tokens.length]);

  console.log(`browser: screenshot of the final page: ${shot}`);
  return failures.length === 0;
}

let ok = false;
try {
  ok = await main();
} catch (e) {
  console.error(`browser: error: ${e.stack ?? e}`);
}
if (!ok) {
  console.error(`browser: ${failures.length} check(s) failed; logs in ${artifacts}`);
  for (const f of ['gateway', 'sidecar', 'upstream', 'host']) {
    const p = path.join(artifacts, `${f}.log`);
    if (fs.existsSync(p)) console.error(`--- ${f}.log (last lines)\n${fs.readFileSync(p, 'utf8').split('\n').slice(-15).join('\n')}`);
  }
}
await stopAll();
say(ok ? 'passed' : 'FAILED');
process.exit(ok ? 0 : 1);
