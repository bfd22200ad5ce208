#!/usr/bin/env node
// Benchmark peer for tests/bench/compare.sh: npm `jose` (panva/jose, from
// .peers/node/node_modules, installed by tests/peers/install.sh) doing the
// same work as chatseal on the same fixture.
//
//   node jose_bench.mjs <fixture.json> <seconds>
//
// Prints `RESULT jose <op> <ops per wall second> <ops per CPU second>` for
// mint, mint-jwe, verify and verify-decrypt, and `SAMPLE jose <op> <token>`
// lines that compare.sh has chatseal verify. Keys are imported once (the usual way with jose). One
// operation at a time: each call is awaited before the next starts.

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

async function loadJose() {
  const here = dirname(fileURLToPath(import.meta.url));
  const modules = join(here, "..", "..", "..", ".peers", "node", "node_modules");
  const require = createRequire(join(modules, "noop.js"));
  return import(pathToFileURL(require.resolve("jose")).href);
}

const jose = await loadJose();
const [fixturePath, secondsArg] = process.argv.slice(2);
if (!fixturePath || !secondsArg) {
  console.error("usage: jose_bench.mjs <fixture.json> <seconds>");
  process.exit(2);
}
const fx = JSON.parse(readFileSync(fixturePath, "utf8"));
const seconds = Number(secondsArg);

const signKey = await jose.importPKCS8(fx.client_private_pem, "RS256");
const verifyKey = await jose.importSPKI(fx.client_public_pem, "RS256");
const encKey = await jose.importSPKI(fx.platform_public_pem, "RSA-OAEP-256");
const decKey = await jose.importPKCS8(fx.platform_private_pem, "RSA-OAEP-256");
const ssoJson = new TextEncoder().encode(JSON.stringify({ sso_token: fx.sso_token }));

async function mint(userPayload) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { context: fx.context };
  if (userPayload !== undefined) claims.user_payload = userPayload;
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: fx.client_kid })
    .setIssuer(fx.iss)
    .setSubject(fx.sub)
    .setAudience(fx.aud)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + fx.ttl)
    .setJti(randomBytes(16).toString("base64url"))
    .sign(signKey);
}

async function mintJwe() {
  const up = await new jose.CompactEncrypt(ssoJson)
    .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A256GCM", kid: fx.platform_kid })
    .encrypt(encKey);
  return mint(up);
}

async function verify(token) {
  const { payload } = await jose.jwtVerify(token, verifyKey, {
    issuer: fx.iss,
    audience: fx.aud,
    algorithms: ["RS256"],
    clockTolerance: 60,
    requiredClaims: ["exp", "sub"],
  });
  return payload;
}

async function verifyDecrypt(token) {
  const payload = await verify(token);
  const { plaintext } = await jose.compactDecrypt(payload.user_payload, decKey, {
    keyManagementAlgorithms: ["RSA-OAEP-256"],
    contentEncryptionAlgorithms: ["A256GCM"],
  });
  return JSON.parse(new TextDecoder().decode(plaintext)).sso_token;
}

// Calls per second of wall time and per second of this process's CPU time
// (user + system, every thread: WebCrypto runs on libuv's pool).
async function measure(fn) {
  const warm = Math.min(seconds / 5, 0.5) * 1000;
  let start = performance.now();
  while (performance.now() - start < warm) await fn();
  const cpu0 = process.cpuUsage();
  start = performance.now();
  let n = 0;
  for (;;) {
    await fn();
    n += 1;
    const el = performance.now() - start;
    if (el >= seconds * 1000) {
      const cpu = process.cpuUsage(cpu0);
      return [(n * 1000) / el, (n * 1e6) / (cpu.user + cpu.system)];
    }
  }
}

// Checks before timing: jose accepts chatseal's tokens and finds the sso_token.
if ((await verify(fx.token)).sub !== fx.sub) throw new Error("jose: wrong sub");
if ((await verifyDecrypt(fx.token_jwe)) !== fx.sso_token) throw new Error("jose: wrong sso_token");
console.log(`SAMPLE jose mint ${await mint()}`);
console.log(`SAMPLE jose mint-jwe ${await mintJwe()}`);

const report = (op, [wall, cpu]) =>
  console.log(`RESULT jose ${op} ${wall.toFixed(1)} ${cpu.toFixed(1)}`);
report("mint", await measure(() => mint()));
report("mint-jwe", await measure(mintJwe));
report("verify", await measure(() => verify(fx.token)));
report("verify-decrypt", await measure(() => verifyDecrypt(fx.token_jwe)));
