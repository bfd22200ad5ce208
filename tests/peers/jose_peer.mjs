#!/usr/bin/env node
// Interop peer backed by the `jose` npm package (panva/jose).
//
// Reads ONE JSON request on stdin and writes ONE JSON response on stdout.
// Success: exit 0 with the op's result. Failure: exit 1 with {"error": "..."}.
// The protocol is documented in tests/src/peers.rs; keep this file and
// jwcrypto_peer.py answering the same ops the same way.
//
// Ops:
//   sign          {alg, private_pem, kid?, claims}           -> {token}
//   verify        {alg, public_pem | jwks | public_jwk, token, iss?, aud?}
//                                                            -> {header, claims}
//   encrypt_jwe   {public_pem | public_jwk, kid?, alg?, plaintext} -> {jwe}
//   decrypt_jwe   {private_pem, jwe, alg?}                   -> {plaintext, header}
//   generate      {kind: "rsa", bits?} | {kind: "ec" | "ed25519" | "x25519"}
//                                                            -> {private_pem, public_pem}
//
// The JWE `alg` is RSA-OAEP-256 (default), ECDH-ES or ECDH-ES+A256KW; `enc`
// is always A256GCM. Signatures: RS256, PS256, ES256, Ed25519 and EdDSA.
//   jwk_thumbprint {public_pem | public_jwk}                 -> {thumbprint}
//
// Keys are PKCS#8 / SPKI PEM (the contract). PKCS#1 ("BEGIN RSA PRIVATE KEY",
// "BEGIN RSA PUBLIC KEY") and SEC1 ("BEGIN EC PRIVATE KEY") are converted with
// node:crypto first, as a convenience.

import { createRequire } from "node:module";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const SIGN_ALGS = new Set(["RS256", "PS256", "ES256", "Ed25519", "EdDSA"]);
const JWE_ALG = "RSA-OAEP-256";
const JWE_ALGS = new Set(["RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A256KW"]);
const JWE_ENC = "A256GCM";

// ESM imports ignore NODE_PATH, so resolve `jose` through the CommonJS resolver
// (which honours NODE_PATH) and fall back to the repo's .peers/node install.
async function loadJose() {
  const require = createRequire(import.meta.url);
  const here = dirname(fileURLToPath(import.meta.url));
  const fallback = join(here, "..", "..", ".peers", "node", "node_modules");
  let resolved;
  try {
    resolved = require.resolve("jose");
  } catch {
    resolved = require.resolve("jose", { paths: [fallback] });
  }
  return import(pathToFileURL(resolved).href);
}

let jose;

function fail(message) {
  process.stdout.write(JSON.stringify({ error: String(message) }) + "\n");
  process.exit(1);
}

function need(req, field, type = "string") {
  const v = req[field];
  if (v === undefined || v === null) throw new Error(`missing field "${field}"`);
  if (type === "object" ? typeof v !== "object" || Array.isArray(v) : typeof v !== type) {
    throw new Error(`field "${field}" must be a ${type}`);
  }
  return v;
}

function signAlg(req) {
  const alg = need(req, "alg");
  if (!SIGN_ALGS.has(alg)) throw new Error(`unsupported alg "${alg}" (${[...SIGN_ALGS].join(", ")})`);
  return alg;
}

function jweAlg(req) {
  const alg = req.alg ?? JWE_ALG;
  if (!JWE_ALGS.has(alg)) throw new Error(`unsupported JWE alg "${alg}" (${[...JWE_ALGS].join(", ")})`);
  return alg;
}

// PKCS#8 goes to jose untouched; other private-key PEMs are re-encoded first.
function pkcs8Pem(pem) {
  if (pem.includes("-----BEGIN PRIVATE KEY-----")) return pem;
  return createPrivateKey(pem).export({ type: "pkcs8", format: "pem" });
}

function spkiPem(pem) {
  if (pem.includes("-----BEGIN PUBLIC KEY-----")) return pem;
  return createPublicKey(pem).export({ type: "spki", format: "pem" });
}

// The signing alg that fits a public key, for ops that take no alg (thumbprint).
function algForPublicPem(pem) {
  const type = createPublicKey(pem).asymmetricKeyType;
  if (type === "rsa") return "RS256";
  if (type === "ec") return "ES256";
  if (type === "ed25519") return "Ed25519";
  if (type === "x25519") return "ECDH-ES";
  throw new Error(`unsupported key type "${type}"`);
}

async function publicKeyFor(req, alg) {
  if (typeof req.public_pem === "string") return jose.importSPKI(spkiPem(req.public_pem), alg);
  if (req.public_jwk && typeof req.public_jwk === "object") return jose.importJWK(req.public_jwk, alg);
  throw new Error('need "public_pem" or "public_jwk"');
}

const ops = {
  async sign(req) {
    const alg = signAlg(req);
    const claims = need(req, "claims", "object");
    const key = await jose.importPKCS8(pkcs8Pem(need(req, "private_pem")), alg);
    const header = { alg, typ: "JWT" };
    if (req.kid !== undefined && req.kid !== null) header.kid = String(req.kid);
    const token = await new jose.SignJWT(claims).setProtectedHeader(header).sign(key);
    return { token };
  },

  async verify(req) {
    const alg = signAlg(req);
    const token = need(req, "token");
    let key;
    if (req.jwks && typeof req.jwks === "object") {
      key = jose.createLocalJWKSet(req.jwks);
    } else {
      key = await publicKeyFor(req, alg);
    }
    const options = { algorithms: [alg] };
    if (req.iss !== undefined && req.iss !== null) options.issuer = req.iss;
    if (req.aud !== undefined && req.aud !== null) options.audience = req.aud;
    const { payload, protectedHeader } = await jose.jwtVerify(token, key, options);
    return { header: protectedHeader, claims: payload };
  },

  async encrypt_jwe(req) {
    const plaintext = need(req, "plaintext");
    const alg = jweAlg(req);
    const key = await publicKeyFor(req, alg);
    const header = { alg, enc: JWE_ENC };
    if (req.kid !== undefined && req.kid !== null) header.kid = String(req.kid);
    const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader(header)
      .encrypt(key);
    return { jwe };
  },

  async decrypt_jwe(req) {
    const alg = jweAlg(req);
    const key = await jose.importPKCS8(pkcs8Pem(need(req, "private_pem")), alg);
    const { plaintext, protectedHeader } = await jose.compactDecrypt(need(req, "jwe"), key, {
      keyManagementAlgorithms: [alg],
      contentEncryptionAlgorithms: [JWE_ENC],
    });
    return {
      plaintext: new TextDecoder("utf-8", { fatal: true }).decode(plaintext),
      header: protectedHeader,
    };
  },

  async generate(req) {
    const kind = need(req, "kind");
    let pair;
    if (kind === "rsa") {
      const bits = req.bits ?? 2048;
      if (!Number.isInteger(bits) || bits < 2048) throw new Error(`"bits" must be an integer >= 2048`);
      pair = await jose.generateKeyPair("RS256", { modulusLength: bits, extractable: true });
    } else if (kind === "ec") {
      pair = await jose.generateKeyPair("ES256", { extractable: true });
    } else if (kind === "ed25519") {
      pair = await jose.generateKeyPair("Ed25519", { extractable: true });
    } else if (kind === "x25519") {
      pair = await jose.generateKeyPair("ECDH-ES", { crv: "X25519", extractable: true });
    } else {
      throw new Error(`unsupported kind "${kind}" (rsa, ec, ed25519, x25519)`);
    }
    return {
      private_pem: await jose.exportPKCS8(pair.privateKey),
      public_pem: await jose.exportSPKI(pair.publicKey),
    };
  },

  async jwk_thumbprint(req) {
    let jwk;
    if (req.public_jwk && typeof req.public_jwk === "object") {
      jwk = req.public_jwk;
    } else {
      const pem = spkiPem(need(req, "public_pem"));
      const key = await jose.importSPKI(pem, algForPublicPem(pem), { extractable: true });
      jwk = await jose.exportJWK(key);
    }
    return { thumbprint: await jose.calculateJwkThumbprint(jwk, "sha256") };
  },
};

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

try {
  jose = await loadJose();
  const raw = await readStdin();
  let req;
  try {
    req = JSON.parse(raw);
  } catch (e) {
    throw new Error(`request is not JSON: ${e.message}`);
  }
  if (!req || typeof req !== "object" || Array.isArray(req)) throw new Error("request must be a JSON object");
  const handler = Object.hasOwn(ops, req.op) ? ops[req.op] : undefined;
  if (!handler) throw new Error(`unknown op "${req.op}"`);
  const result = await handler(req);
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
} catch (e) {
  fail(`${e.code ? e.code + ": " : ""}${e.message ?? e}`);
}
