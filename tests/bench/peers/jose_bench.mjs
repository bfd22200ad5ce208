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
//
// Then the key paths of issue 13 (the fixture's `paths`: RS256 +
// RSA-OAEP-256 on RSA-2048/3072/4096, ES256 + ECDH-ES+A256KW on P-256,
// Ed25519 + ECDH-ES+A256KW on X25519, with the 1,536-character
// `path_sso_token`): `mint-jwe/<path>` and `verify-decrypt/<path>`, the same
// job as chatseal's `paths` figures.

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

// The four jobs for one pair of keys: the client's signing key (`alg`) and
// the platform's key (`jweAlg`), imported once.
async function job(k) {
  const signKey = await jose.importPKCS8(k.client_private_pem, k.alg);
  const verifyKey = await jose.importSPKI(k.client_public_pem, k.alg);
  const encKey = await jose.importSPKI(k.platform_public_pem, k.jweAlg);
  const decKey = await jose.importPKCS8(k.platform_private_pem, k.jweAlg);
  const ssoJson = new TextEncoder().encode(JSON.stringify({ sso_token: k.sso_token }));

  async function mint(userPayload) {
    const now = Math.floor(Date.now() / 1000);
    const claims = { context: fx.context };
    if (userPayload !== undefined) claims.user_payload = userPayload;
    return new jose.SignJWT(claims)
      .setProtectedHeader({ alg: k.alg, typ: "JWT", kid: k.client_kid })
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
      .setProtectedHeader({ alg: k.jweAlg, enc: "A256GCM", kid: k.platform_kid })
      .encrypt(encKey);
    return mint(up);
  }

  async function verify(token) {
    const { payload } = await jose.jwtVerify(token, verifyKey, {
      issuer: fx.iss,
      audience: fx.aud,
      algorithms: [k.alg],
      clockTolerance: 60,
      requiredClaims: ["exp", "sub"],
    });
    return payload;
  }

  async function verifyDecrypt(token) {
    const payload = await verify(token);
    const { plaintext } = await jose.compactDecrypt(payload.user_payload, decKey, {
      keyManagementAlgorithms: [k.jweAlg],
      contentEncryptionAlgorithms: ["A256GCM"],
    });
    return JSON.parse(new TextDecoder().decode(plaintext)).sso_token;
  }

  return { mint, mintJwe, verify, verifyDecrypt };
}

const { mint, mintJwe, verify, verifyDecrypt } = await job({
  ...fx,
  alg: "RS256",
  jweAlg: "RSA-OAEP-256",
});

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

// The key paths of issue 13.
for (const name of ["rsa2048", "rsa3072", "rsa4096", "p256", "x25519"]) {
  const p = fx.paths[name];
  const j = await job({
    ...p,
    alg: p.client_alg,
    jweAlg: p.jwe_alg,
    sso_token: fx.path_sso_token,
  });
  if ((await j.verifyDecrypt(p.token_jwe)) !== fx.path_sso_token) {
    throw new Error(`jose ${name}: wrong sso_token`);
  }
  console.log(`SAMPLE jose mint-jwe/${name} ${await j.mintJwe()}`);
  report(`mint-jwe/${name}`, await measure(j.mintJwe));
  report(`verify-decrypt/${name}`, await measure(() => j.verifyDecrypt(p.token_jwe)));
}
