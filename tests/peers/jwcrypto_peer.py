#!/usr/bin/env python3
"""Interop peer backed by Python's `jwcrypto` (and PyJWT for the pyjwt_* ops).

Reads ONE JSON request on stdin and writes ONE JSON response on stdout.
Success: exit 0 with the op's result. Failure: exit 1 with {"error": "..."}.
The protocol is documented in tests/src/peers.rs; keep this file and
jose_peer.mjs answering the same ops the same way.

Ops (jwcrypto):
  sign           {alg, private_pem, kid?, claims}           -> {token}
  verify         {alg, public_pem | jwks | public_jwk, token, iss?, aud?}
                                                            -> {header, claims}
  encrypt_jwe    {public_pem | public_jwk, kid?, alg?, plaintext} -> {jwe}
  decrypt_jwe    {private_pem, jwe, alg?}                   -> {plaintext, header}
  generate       {kind: "rsa", bits?} | {kind: "ec" | "ed25519" | "x25519"}
                                                            -> {private_pem, public_pem}
The JWE `alg` is RSA-OAEP-256 (default), ECDH-ES or ECDH-ES+A256KW; `enc`
is always A256GCM. Signatures: RS256, PS256, ES256, Ed25519 and EdDSA.
  jwk_thumbprint {public_pem | public_jwk}                  -> {thumbprint}
Ops (PyJWT), same fields and results as sign / verify:
  pyjwt_sign, pyjwt_verify
"""

import json
import sys

SIGN_ALGS = ("RS256", "PS256", "ES256", "Ed25519", "EdDSA")
JWE_ALG = "RSA-OAEP-256"
JWE_ALGS = ("RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A256KW")
JWE_ENC = "A256GCM"


class PeerError(Exception):
    """A bad request, reported as {"error": ...}."""


def need(req, field, kind=str):
    value = req.get(field)
    if value is None:
        raise PeerError(f'missing field "{field}"')
    if not isinstance(value, kind):
        raise PeerError(f'field "{field}" must be a {kind.__name__}')
    return value


def sign_alg(req):
    alg = need(req, "alg")
    if alg not in SIGN_ALGS:
        raise PeerError(f'unsupported alg "{alg}" ({", ".join(SIGN_ALGS)})')
    return alg


def jwe_alg(req):
    alg = req.get("alg") or JWE_ALG
    if alg not in JWE_ALGS:
        raise PeerError(f'unsupported JWE alg "{alg}" ({", ".join(JWE_ALGS)})')
    return alg


def optional(req, field):
    value = req.get(field)
    return None if value is None else value


# ---------------------------------------------------------------- jwcrypto


def jwk_from_pem(pem):
    from jwcrypto import jwk

    return jwk.JWK.from_pem(pem.encode("utf-8"))


def public_jwk_for(req):
    from jwcrypto import jwk

    if isinstance(req.get("public_pem"), str):
        return jwk_from_pem(req["public_pem"])
    if isinstance(req.get("public_jwk"), dict):
        return jwk.JWK(**req["public_jwk"])
    raise PeerError('need "public_pem" or "public_jwk"')


def op_sign(req):
    from jwcrypto import jwt

    alg = sign_alg(req)
    claims = need(req, "claims", dict)
    key = jwk_from_pem(need(req, "private_pem"))
    header = {"alg": alg, "typ": "JWT"}
    if optional(req, "kid") is not None:
        header["kid"] = str(req["kid"])
    token = jwt.JWT(header=header, claims=claims, algs=[alg])
    token.make_signed_token(key)
    return {"token": token.serialize()}


def op_verify(req):
    from jwcrypto import jwk, jwt

    alg = sign_alg(req)
    raw = need(req, "token")
    if isinstance(req.get("jwks"), dict):
        key = jwk.JWKSet.from_json(json.dumps(req["jwks"]))
    else:
        key = public_jwk_for(req)
    # Signature, the alg allow-list and (when present) exp / nbf.
    token = jwt.JWT(jwt=raw, key=key, algs=[alg], expected_type="JWS")
    # iss / aud only when the request asks for them. jwcrypto skips its own
    # exp / nbf checks once check_claims is given, hence the second pass.
    checks = {}
    if optional(req, "iss") is not None:
        checks["iss"] = req["iss"]
    if optional(req, "aud") is not None:
        checks["aud"] = req["aud"]
    if checks:
        jwt.JWT(jwt=raw, key=key, algs=[alg], expected_type="JWS", check_claims=checks)
    return {"header": json.loads(token.header), "claims": json.loads(token.claims)}


def op_encrypt_jwe(req):
    from jwcrypto import jwe

    plaintext = need(req, "plaintext")
    key = public_jwk_for(req)
    header = {"alg": jwe_alg(req), "enc": JWE_ENC}
    if optional(req, "kid") is not None:
        header["kid"] = str(req["kid"])
    token = jwe.JWE(plaintext.encode("utf-8"), protected=json.dumps(header))
    token.add_recipient(key)
    return {"jwe": token.serialize(compact=True)}


def op_decrypt_jwe(req):
    from jwcrypto import jwe

    alg = jwe_alg(req)
    key = jwk_from_pem(need(req, "private_pem"))
    token = jwe.JWE(algs=[alg, JWE_ENC])
    token.deserialize(need(req, "jwe"))
    header = json.loads(token.objects.get("protected", "{}"))
    # allowed_algs already refuses anything else; say so plainly if it is.
    if header.get("alg") != alg or header.get("enc") != JWE_ENC:
        raise PeerError(f"refusing JWE with alg={header.get('alg')!r} enc={header.get('enc')!r}")
    token.decrypt(key)
    return {"plaintext": token.payload.decode("utf-8"), "header": header}


def op_generate(req):
    from jwcrypto import jwk

    kind = need(req, "kind")
    if kind == "rsa":
        bits = req.get("bits", 2048)
        if not isinstance(bits, int) or isinstance(bits, bool) or bits < 2048:
            raise PeerError('"bits" must be an integer >= 2048')
        key = jwk.JWK.generate(kty="RSA", size=bits)
    elif kind == "ec":
        key = jwk.JWK.generate(kty="EC", crv="P-256")
    elif kind == "ed25519":
        key = jwk.JWK.generate(kty="OKP", crv="Ed25519")
    elif kind == "x25519":
        key = jwk.JWK.generate(kty="OKP", crv="X25519")
    else:
        raise PeerError(f'unsupported kind "{kind}" (rsa, ec, ed25519, x25519)')
    return {
        "private_pem": key.export_to_pem(private_key=True, password=None).decode("ascii"),
        "public_pem": key.export_to_pem(private_key=False).decode("ascii"),
    }


def op_jwk_thumbprint(req):
    return {"thumbprint": public_jwk_for(req).thumbprint()}


# ---------------------------------------------------------------- PyJWT


def op_pyjwt_sign(req):
    import jwt

    alg = sign_alg(req)
    claims = need(req, "claims", dict)
    headers = {"typ": "JWT"}
    if optional(req, "kid") is not None:
        headers["kid"] = str(req["kid"])
    token = jwt.encode(claims, need(req, "private_pem"), algorithm=alg, headers=headers)
    return {"token": token}


def op_pyjwt_verify(req):
    import jwt

    alg = sign_alg(req)
    raw = need(req, "token")
    if isinstance(req.get("jwks"), dict):
        jwks = jwt.PyJWKSet.from_dict(req["jwks"])
        kid = jwt.get_unverified_header(raw).get("kid")
        matches = [k for k in jwks.keys if kid is None or k.key_id == kid]
        if len(matches) != 1:
            raise PeerError(f"no single JWKS key for kid {kid!r}")
        key = matches[0].key
    elif isinstance(req.get("public_jwk"), dict):
        key = jwt.PyJWK.from_dict(req["public_jwk"], algorithm=alg).key
    else:
        key = need(req, "public_pem")
    iss = optional(req, "iss")
    aud = optional(req, "aud")
    options = {"verify_aud": aud is not None}
    kwargs = {}
    if iss is not None:
        kwargs["issuer"] = iss
    if aud is not None:
        kwargs["audience"] = aud
    decoded = jwt.decode_complete(raw, key, algorithms=[alg], options=options, **kwargs)
    return {"header": decoded["header"], "claims": decoded["payload"]}


OPS = {
    "sign": op_sign,
    "verify": op_verify,
    "encrypt_jwe": op_encrypt_jwe,
    "decrypt_jwe": op_decrypt_jwe,
    "generate": op_generate,
    "jwk_thumbprint": op_jwk_thumbprint,
    "pyjwt_sign": op_pyjwt_sign,
    "pyjwt_verify": op_pyjwt_verify,
}


def main():
    try:
        try:
            req = json.loads(sys.stdin.read())
        except ValueError as e:
            raise PeerError(f"request is not JSON: {e}") from e
        if not isinstance(req, dict):
            raise PeerError("request must be a JSON object")
        handler = OPS.get(req.get("op"))
        if handler is None:
            raise PeerError(f'unknown op "{req.get("op")}"')
        result = handler(req)
    except Exception as e:  # every failure becomes one JSON error line
        message = str(e) or type(e).__name__
        print(json.dumps({"error": f"{type(e).__name__}: {message}"}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
