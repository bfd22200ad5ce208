#!/usr/bin/env node
// Interop peer that behaves like IBM watsonx Orchestrate's secure-embed sample
// (`createJWT.js`): the token shape and library calls a host built from that
// sample sends, so chatseal's `wxo` mode can be checked against it byte for byte.
//
// What the sample does, and what `mint` repeats with no options changed:
//   const NodeRSA = require("node-rsa"); const jwtLib = require("jsonwebtoken");
//   jwtContent = { sub, user_payload: { sso_token }, context };
//   jwtContent.user_payload =
//       new NodeRSA(IBM_PUBLIC_KEY).encrypt(Buffer.from(JSON.stringify(user_payload), "utf-8"), "base64");
//   jwtLib.sign(jwtContent, PRIVATE_KEY, { algorithm: "RS256", expiresIn: "3600s" });
// node-rsa keeps its defaults: OAEP with SHA-1 (its "pkcs1_oaep" scheme), and a
// plaintext longer than one RSA block is split into blocks whose ciphertexts
// are concatenated before base64. Nothing here configures either behaviour.
//
// Reads ONE JSON request on stdin, writes ONE JSON response on stdout.
// Success: exit 0. Failure: exit 1 with {"error": "..."}.
//
// Ops:
//   mint            {client_private_pem, platform_public_pem, sub, sso_token?, context?}
//                                                      -> {token}
//   decrypt_payload {platform_private_pem, user_payload} -> {plaintext}
//   verify          {client_public_pem, token}         -> {claims}
//   jsonwebtoken_sign {alg, private_pem, kid?, claims}   -> {token}
//                   plain `jsonwebtoken` signing (RS256/PS256/ES256), the
//                   kid set with its `keyid` option, as Node hosts do

"use strict";

const path = require("path");
// Outside tests/run.sh (no NODE_PATH), find the packages install.sh put in .peers/.
module.paths.push(path.join(__dirname, "..", "..", ".peers", "node", "node_modules"));

const NodeRSA = require("node-rsa");
const jwt = require("jsonwebtoken");

function need(req, field) {
  const v = req[field];
  if (typeof v !== "string") throw new Error(`missing or non-string field "${field}"`);
  return v;
}

// The sample's createJWTString(), with its inputs taken from the request
// instead of cookies and key files.
function createJWTString(req) {
  const PRIVATE_KEY = need(req, "client_private_pem");
  const IBM_PUBLIC_KEY = need(req, "platform_public_pem");

  const jwtContent = {
    sub: need(req, "sub"),
    user_payload: {
      sso_token: "sso_token",
    },
    context: req.context ?? {},
  };

  if (typeof req.sso_token === "string") {
    jwtContent.user_payload.sso_token = req.sso_token;
  }

  if (jwtContent.user_payload) {
    const rsaKey = new NodeRSA(IBM_PUBLIC_KEY);
    const dataString = JSON.stringify(jwtContent.user_payload);
    const utf8Data = Buffer.from(dataString, "utf-8");
    jwtContent.user_payload = rsaKey.encrypt(utf8Data, "base64");
  }

  return jwt.sign(jwtContent, PRIVATE_KEY, {
    algorithm: "RS256",
    expiresIn: "3600s",
  });
}

const ops = {
  mint(req) {
    return { token: createJWTString(req) };
  },

  // What the platform side does with the sample's user_payload.
  decrypt_payload(req) {
    const key = new NodeRSA(need(req, "platform_private_pem"));
    return { plaintext: key.decrypt(need(req, "user_payload"), "utf8") };
  },

  verify(req) {
    const claims = jwt.verify(need(req, "token"), need(req, "client_public_pem"), {
      algorithms: ["RS256"],
    });
    return { claims };
  },

  jsonwebtoken_sign(req) {
    const alg = need(req, "alg");
    if (!["RS256", "PS256", "ES256"].includes(alg)) throw new Error(`unsupported alg "${alg}"`);
    const claims = req.claims;
    if (!claims || typeof claims !== "object" || Array.isArray(claims)) throw new Error("claims must be an object");
    const options = { algorithm: alg };
    if (req.kid !== undefined && req.kid !== null) options.keyid = String(req.kid);
    return { token: jwt.sign(claims, need(req, "private_pem"), options) };
  },
};

function main(raw) {
  let req;
  try {
    req = JSON.parse(raw);
  } catch (e) {
    throw new Error(`request is not JSON: ${e.message}`);
  }
  if (!req || typeof req !== "object" || Array.isArray(req)) throw new Error("request must be a JSON object");
  const handler = Object.hasOwn(ops, req.op) ? ops[req.op] : undefined;
  if (!handler) throw new Error(`unknown op "${req.op}"`);
  return handler(req);
}

const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  try {
    const result = main(Buffer.concat(chunks).toString("utf8"));
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exitCode = 0;
  } catch (e) {
    const name = e && e.name && e.name !== "Error" ? `${e.name}: ` : "";
    process.stdout.write(JSON.stringify({ error: `${name}${e && e.message ? e.message : e}` }) + "\n");
    process.exitCode = 1;
  }
});
