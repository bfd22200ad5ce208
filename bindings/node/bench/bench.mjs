#!/usr/bin/env node
// Mint and verify(+decrypt) per second, in one Node process, for chatseal's
// Node package against the npm packages a Node host backend would use instead:
//
//   - npm `jose` (panva/jose, on WebCrypto),
//   - `jsonwebtoken` + `node-rsa`: IBM's stack (its secure-embed sample,
//     createJWT.js, signs with jsonwebtoken and encrypts the sso_token with
//     node-rsa: chatseal's `wxo` format),
//   - `@node-rs/jsonwebtoken`: the napi-rs project's own Rust-backed JWT
//     package (signing and verifying only: it has no encryption).
//
//   node bindings/node/bench/bench.mjs [--secs 2] [--runs 3]
//
// tests/bench/compare.sh runs it after building the package
// (`npm install ./bindings/node`) and installing the peers from
// bindings/node/bench/package.json into .peers/bench-node
// (CHATSEAL_BENCH_PEERS to point elsewhere).
//
// The work is compare.sh's: an RS256 widget token on an RSA-2048 client key
// (iss, sub, aud, iat, nbf, exp, random jti, a three-member context); the
// sso_token (200 characters) encrypted to an RSA-2048 platform key, either as
// a compact JWE (RSA-OAEP-256 + A256GCM: chatseal and jose) or in IBM's
// format (node-rsa's RSA-OAEP: chatseal `wxo` and jsonwebtoken + node-rsa,
// tokens without iss and aud, as IBM's). Keys are parsed once wherever the
// package allows it; @node-rs/jsonwebtoken takes only PEM text, so it parses
// the key on every call. One call at a time: async calls (jose; chatseal's
// mintAsync/verifyAsync, run on libuv's pool) are awaited before the next.
//
// Before timing, every peer verifies (and decrypts) chatseal's tokens and
// chatseal verifies (and decrypts) a token minted by every peer, so each row
// does the same, working job. Runs are interleaved (every package once per
// run); each figure is the median over the runs. Prints a Markdown table on
// stdout (progress on stderr): ops per second of wall-clock time and per
// second of the process's CPU time (user + system, all threads).

import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const { values: opts } = parseArgs({
  options: {
    secs: { type: "string", default: "2" },
    runs: { type: "string", default: "3" },
  },
});
const seconds = Number(opts.secs);
const runs = Number(opts.runs);
if (!(seconds > 0) || !(runs >= 1)) {
  console.error("usage: bench.mjs [--secs S] [--runs N]");
  process.exit(2);
}

// ------------------------------------------------------------- the packages
const require = createRequire(import.meta.url);
let chatseal;
try {
  chatseal = require("..");
} catch (e) {
  console.error(`bench: chatseal's Node package is not built (npm install ./bindings/node): ${e.message}`);
  process.exit(1);
}
const peersBase = process.env.CHATSEAL_BENCH_PEERS ?? join(root, ".peers", "bench-node");
const peerPath = (name) => require.resolve(name, { paths: [peersBase] });
const jose = await import(pathToFileURL(peerPath("jose")).href);
const jwt = require(peerPath("jsonwebtoken"));
const NodeRSA = require(peerPath("node-rsa"));
const nrs = require(peerPath("@node-rs/jsonwebtoken"));
const version = (name) => JSON.parse(readFileSync(join(peersBase, "node_modules", name, "package.json"), "utf8")).version;

// ------------------------------------------------------------ the fixture
const pems = () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    priv: privateKey.export({ type: "pkcs8", format: "pem" }),
    pub: publicKey.export({ type: "spki", format: "pem" }),
  };
};
const client = pems();
const platform = pems();
const fx = {
  iss: "https://host.example",
  aud: "chat-platform",
  sub: "user-42",
  ttl: 3600,
  context: { name: "Ada Lovelace", email: "ada@example.com", tier: "gold" },
  sso: randomBytes(150).toString("base64url"), // 200 characters
};

const {
  ClientSigningKey,
  ClientVerifyingKey,
  PlatformDecryptionKey,
  PlatformEncryptionKey,
  Issuer,
  Verifier,
} = chatseal;
const signing = ClientSigningKey.fromPem(client.priv, "RS256");
const verifying = ClientVerifyingKey.fromPem(client.pub, "RS256");
const decryption = PlatformDecryptionKey.fromPem(platform.priv);
const encryption = PlatformEncryptionKey.fromPem(platform.pub);
const kid = signing.kid;

// ------------------------------------------------------------------ the jobs
// chatseal, JWE and IBM's format.
const csIssuer = new Issuer(signing, { issuer: fx.iss, audience: fx.aud, ttlSeconds: fx.ttl, platformKey: encryption });
const csVerifier = new Verifier({ keys: [verifying], issuer: fx.iss, audience: fx.aud, decryptionKeys: [decryption] });
const csWxoIssuer = new Issuer(signing, {
  issuer: null,
  audience: null,
  ttlSeconds: fx.ttl,
  platformKey: encryption,
  payloadFormat: "wxo",
});
const csWxoVerifier = new Verifier({
  keys: [verifying],
  dangerouslySkipIssuerCheck: true,
  dangerouslySkipAudienceCheck: true,
  decryptionKeys: [decryption],
  payloadFormat: "wxo",
});
const plainToken = csIssuer.mint({ sub: fx.sub, context: fx.context });
const jweToken = csIssuer.mint({ sub: fx.sub, context: fx.context, ssoToken: fx.sso });
const wxoToken = csWxoIssuer.mint({ sub: fx.sub, context: fx.context, ssoToken: fx.sso });

// npm jose.
const joseSign = await jose.importPKCS8(client.priv, "RS256");
const joseVerifyKey = await jose.importSPKI(client.pub, "RS256");
const joseEnc = await jose.importSPKI(platform.pub, "RSA-OAEP-256");
const joseDec = await jose.importPKCS8(platform.priv, "RSA-OAEP-256");
const ssoJson = new TextEncoder().encode(JSON.stringify({ sso_token: fx.sso }));
async function joseMint(userPayload) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { context: fx.context };
  if (userPayload !== undefined) claims.user_payload = userPayload;
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid })
    .setIssuer(fx.iss)
    .setSubject(fx.sub)
    .setAudience(fx.aud)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + fx.ttl)
    .setJti(randomBytes(16).toString("base64url"))
    .sign(joseSign);
}
async function joseMintJwe() {
  const up = await new jose.CompactEncrypt(ssoJson)
    .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A256GCM" })
    .encrypt(joseEnc);
  return joseMint(up);
}
async function joseVerify(token) {
  const { payload } = await jose.jwtVerify(token, joseVerifyKey, {
    issuer: fx.iss,
    audience: fx.aud,
    algorithms: ["RS256"],
    clockTolerance: 60,
    requiredClaims: ["exp", "sub"],
  });
  return payload;
}
async function joseVerifyDecrypt(token) {
  const payload = await joseVerify(token);
  const { plaintext } = await jose.compactDecrypt(payload.user_payload, joseDec, {
    keyManagementAlgorithms: ["RSA-OAEP-256"],
    contentEncryptionAlgorithms: ["A256GCM"],
  });
  return JSON.parse(new TextDecoder().decode(plaintext)).sso_token;
}

// jsonwebtoken + node-rsa, as IBM's createJWT.js uses them (keys parsed once).
const jwtSignKey = createPrivateKey(client.priv);
const jwtVerifyKey = createPublicKey(client.pub);
const rsaEnc = new NodeRSA(platform.pub);
const rsaDec = new NodeRSA(platform.priv);
const jwtOptions = { algorithm: "RS256", expiresIn: fx.ttl, notBefore: 0, keyid: kid };
const ibmMint = () =>
  jwt.sign(
    { context: fx.context, jti: randomBytes(16).toString("base64url") },
    jwtSignKey,
    { ...jwtOptions, issuer: fx.iss, audience: fx.aud, subject: fx.sub },
  );
// IBM's sample: user_payload = node-rsa's base64 encryption of {sso_token}.
const ibmMintWxo = () =>
  jwt.sign(
    {
      sub: fx.sub,
      context: fx.context,
      jti: randomBytes(16).toString("base64url"),
      user_payload: rsaEnc.encrypt(Buffer.from(JSON.stringify({ sso_token: fx.sso }), "utf-8"), "base64"),
    },
    jwtSignKey,
    jwtOptions,
  );
const ibmVerify = (token) =>
  jwt.verify(token, jwtVerifyKey, { algorithms: ["RS256"], issuer: fx.iss, audience: fx.aud, clockTolerance: 60 });
const ibmVerifyDecryptWxo = (token) => {
  const claims = jwt.verify(token, jwtVerifyKey, { algorithms: ["RS256"], clockTolerance: 60 });
  return JSON.parse(rsaDec.decrypt(claims.user_payload, "utf8")).sso_token;
};

// @node-rs/jsonwebtoken (PEM text on every call: its API takes nothing else).
const nrsMint = () => {
  const now = Math.floor(Date.now() / 1000);
  return nrs.signSync(
    {
      iss: fx.iss,
      sub: fx.sub,
      aud: fx.aud,
      iat: now,
      nbf: now,
      exp: now + fx.ttl,
      jti: randomBytes(16).toString("base64url"),
      context: fx.context,
    },
    client.priv,
    { algorithm: "RS256", keyId: kid },
  );
};
const nrsValidation = { algorithms: ["RS256"], iss: [fx.iss], aud: [fx.aud], leeway: 60, requiredSpecClaims: ["exp", "sub"] };
const nrsVerify = (token) => nrs.verifySync(token, client.pub, nrsValidation);

// --------------------------------------------------- checks before timing
function check(cond, what) {
  if (!cond) throw new Error(`bench: check failed: ${what}`);
}
// Every peer reads chatseal's tokens.
check((await joseVerify(plainToken)).sub === fx.sub, "jose verifies chatseal's token");
check((await joseVerifyDecrypt(jweToken)) === fx.sso, "jose decrypts chatseal's JWE");
check(ibmVerify(plainToken).sub === fx.sub, "jsonwebtoken verifies chatseal's token");
check(ibmVerifyDecryptWxo(wxoToken) === fx.sso, "jsonwebtoken + node-rsa decrypt chatseal's wxo token");
check(nrsVerify(plainToken).sub === fx.sub, "@node-rs/jsonwebtoken verifies chatseal's token");
// chatseal reads every peer's tokens.
check(csVerifier.verify(await joseMint()).sub === fx.sub, "chatseal verifies jose's token");
check(csVerifier.verify(await joseMintJwe()).ssoToken.expose() === fx.sso, "chatseal decrypts jose's JWE");
check(csVerifier.verify(ibmMint()).sub === fx.sub, "chatseal verifies jsonwebtoken's token");
check(csWxoVerifier.verify(ibmMintWxo()).ssoToken.expose() === fx.sso, "chatseal decrypts IBM's stack's token");
check(csVerifier.verify(nrsMint()).sub === fx.sub, "chatseal verifies @node-rs/jsonwebtoken's token");
check(csVerifier.verify(jweToken).ssoToken.expose() === fx.sso, "chatseal round trip (JWE)");
check(csWxoVerifier.verify(wxoToken).ssoToken.expose() === fx.sso, "chatseal round trip (wxo)");

// ---------------------------------------------------------------- the table
const CS = "chatseal";
const CS_ASYNC = "chatseal, async (mintAsync / verifyAsync)";
const JOSE = "npm jose";
const IBM = "jsonwebtoken + node-rsa (IBM's stack)";
const NRS = "@node-rs/jsonwebtoken";
// [work, implementation, fn, async?]; the first row of each work is the one
// the others are compared with.
const mintReq = { sub: fx.sub, context: fx.context };
const ssoReq = { sub: fx.sub, context: fx.context, ssoToken: fx.sso };
const rows = [
  ["mint RS256", CS, () => csIssuer.mint(mintReq), false],
  ["mint RS256", CS_ASYNC, () => csIssuer.mintAsync(mintReq), true],
  ["mint RS256", JOSE, () => joseMint(), true],
  ["mint RS256", IBM, ibmMint, false],
  ["mint RS256", NRS, nrsMint, false],
  ["mint + sso_token JWE (RSA-OAEP-256)", CS, () => csIssuer.mint(ssoReq), false],
  ["mint + sso_token JWE (RSA-OAEP-256)", CS_ASYNC, () => csIssuer.mintAsync(ssoReq), true],
  ["mint + sso_token JWE (RSA-OAEP-256)", JOSE, joseMintJwe, true],
  ["mint + sso_token, IBM's format (wxo)", CS, () => csWxoIssuer.mint(ssoReq), false],
  ["mint + sso_token, IBM's format (wxo)", CS_ASYNC, () => csWxoIssuer.mintAsync(ssoReq), true],
  ["mint + sso_token, IBM's format (wxo)", IBM, ibmMintWxo, false],
  ["verify RS256", CS, () => csVerifier.verify(plainToken), false],
  ["verify RS256", CS_ASYNC, () => csVerifier.verifyAsync(plainToken), true],
  ["verify RS256", JOSE, () => joseVerify(plainToken), true],
  ["verify RS256", IBM, () => ibmVerify(plainToken), false],
  ["verify RS256", NRS, () => nrsVerify(plainToken), false],
  ["verify + decrypt JWE", CS, () => csVerifier.verify(jweToken).ssoToken.expose(), false],
  ["verify + decrypt JWE", CS_ASYNC, async () => (await csVerifier.verifyAsync(jweToken)).ssoToken.expose(), true],
  ["verify + decrypt JWE", JOSE, () => joseVerifyDecrypt(jweToken), true],
  ["verify + decrypt, IBM's format (wxo)", CS, () => csWxoVerifier.verify(wxoToken).ssoToken.expose(), false],
  [
    "verify + decrypt, IBM's format (wxo)",
    CS_ASYNC,
    async () => (await csWxoVerifier.verifyAsync(wxoToken)).ssoToken.expose(),
    true,
  ],
  ["verify + decrypt, IBM's format (wxo)", IBM, () => ibmVerifyDecryptWxo(wxoToken), false],
];

// Calls per second of wall time and of this process's CPU time.
async function measure(fn, isAsync) {
  const warm = Math.min(seconds / 5, 0.5) * 1000;
  let start = performance.now();
  if (isAsync) while (performance.now() - start < warm) await fn();
  else while (performance.now() - start < warm) fn();
  const cpu0 = process.cpuUsage();
  start = performance.now();
  let n = 0;
  let el;
  if (isAsync) {
    do {
      await fn();
      n += 1;
      el = performance.now() - start;
    } while (el < seconds * 1000);
  } else {
    do {
      fn();
      n += 1;
      el = performance.now() - start;
    } while (el < seconds * 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  return [(n * 1000) / el, (n * 1e6) / (cpu.user + cpu.system)];
}

const samples = rows.map(() => []);
for (let r = 1; r <= runs; r++) {
  console.error(`node bench: run ${r} of ${runs}`);
  for (const [i, [, , fn, isAsync]] of rows.entries()) samples[i].push(await measure(fn, isAsync));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => Math.round(x).toLocaleString("en-US");
const stats = samples.map((xs) => {
  const wall = xs.map((x) => x[0]);
  const cpu = xs.map((x) => x[1]);
  const spread = (v) => (Math.max(...v) - Math.min(...v)) / median(v);
  return { wall: median(wall), cpu: median(cpu), spread: Math.max(spread(wall), spread(cpu)) };
});

const out = [];
out.push(
  `Node ${process.version}; chatseal ${require("../package.json").version}, jose ${version("jose")},` +
    ` jsonwebtoken ${version("jsonwebtoken")}, node-rsa ${version("node-rsa")},` +
    ` @node-rs/jsonwebtoken ${version("@node-rs/jsonwebtoken")}; ${runs} run(s) x ${seconds} s per figure, medians.`,
  "",
  "| work | implementation | ops/s (wall) | ops/s (CPU) | × chatseal (wall) | × chatseal (CPU) | spread |",
  "|---|---|---:|---:|---:|---:|---:|",
);
let base;
let last;
for (const [i, [work, impl]] of rows.entries()) {
  const s = stats[i];
  if (work !== last) base = s;
  out.push(
    `| ${work === last ? "" : work} | ${impl} | ${fmt(s.wall)} | ${fmt(s.cpu)} |` +
      ` ${(s.wall / base.wall).toFixed(2)} | ${(s.cpu / base.cpu).toFixed(2)} | ${Math.round(s.spread * 100)}% |`,
  );
  last = work;
}
console.log(out.join("\n"));
