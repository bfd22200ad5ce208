#!/usr/bin/env python3
"""Benchmark peer for tests/bench/compare.sh: Python PyJWT (JWS) + jwcrypto
(JWE), from .peers/venv (installed by tests/peers/install.sh), doing the same
work as chatseal on the same fixture.

    python py_bench.py <fixture.json> <seconds>

Prints `RESULT pyjwt+jwcrypto <op> <ops per wall second> <ops per CPU
second>` for mint (key loaded once), mint-pem (PEM string handed to
jwt.encode on every call, which PyJWT then parses every time), mint-jwe,
verify and verify-decrypt; and `SAMPLE` lines that compare.sh has chatseal
verify.

Then the key paths of issue 13 (the fixture's `paths`: RS256 + RSA-OAEP-256
on RSA-2048/3072/4096, ES256 + ECDH-ES+A256KW on P-256, Ed25519 +
ECDH-ES+A256KW on X25519, with the 1,536-character `path_sso_token`) with
jwcrypto alone, which signs and verifies all three signature algorithms
(PyJWT has no `Ed25519` alg name, only `EdDSA`): `RESULT jwcrypto
mint-jwe/<path>` and `verify-decrypt/<path>`.
"""

import base64
import json
import os
import sys
import time


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def measure(seconds, fn):
    """Calls per second of wall time and of this process's CPU time."""
    warm = min(seconds / 5, 0.5)
    start = time.perf_counter()
    while time.perf_counter() - start < warm:
        fn()
    cpu0 = time.process_time()
    start = time.perf_counter()
    n = 0
    while True:
        fn()
        n += 1
        el = time.perf_counter() - start
        if el >= seconds:
            cpu = time.process_time() - cpu0
            return n / el, (n / cpu if cpu > 0 else None)


def main():
    if len(sys.argv) != 3:
        print("usage: py_bench.py <fixture.json> <seconds>", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        fx = json.load(f)
    seconds = float(sys.argv[2])

    import jwt
    from cryptography.hazmat.primitives.serialization import (
        load_pem_private_key,
        load_pem_public_key,
    )
    from jwcrypto import jwe, jwk

    name = "pyjwt+jwcrypto"
    sign_pem = fx["client_private_pem"]
    sign_key = load_pem_private_key(sign_pem.encode(), password=None)
    verify_key = load_pem_public_key(fx["client_public_pem"].encode())
    enc_key = jwk.JWK.from_pem(fx["platform_public_pem"].encode())
    dec_key = jwk.JWK.from_pem(fx["platform_private_pem"].encode())
    sso_json = json.dumps({"sso_token": fx["sso_token"]}).encode()
    jwe_header = json.dumps(
        {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": fx["platform_kid"]}
    )
    headers = {"kid": fx["client_kid"], "typ": "JWT"}

    def claims(user_payload=None):
        now = int(time.time())
        c = {
            "iss": fx["iss"],
            "sub": fx["sub"],
            "aud": fx["aud"],
            "iat": now,
            "nbf": now,
            "exp": now + fx["ttl"],
            "jti": b64url(os.urandom(16)),
            "context": fx["context"],
        }
        if user_payload is not None:
            c["user_payload"] = user_payload
        return c

    def mint():
        return jwt.encode(claims(), sign_key, algorithm="RS256", headers=headers)

    def mint_pem():
        return jwt.encode(claims(), sign_pem, algorithm="RS256", headers=headers)

    def mint_jwe():
        e = jwe.JWE(sso_json, protected=jwe_header)
        e.add_recipient(enc_key)
        up = e.serialize(compact=True)
        return jwt.encode(claims(up), sign_key, algorithm="RS256", headers=headers)

    def verify(token):
        return jwt.decode(
            token,
            verify_key,
            algorithms=["RS256"],
            audience=fx["aud"],
            issuer=fx["iss"],
            leeway=60,
            options={"require": ["exp", "sub"]},
        )

    def verify_decrypt(token):
        c = verify(token)
        e = jwe.JWE(algs=["RSA-OAEP-256", "A256GCM"])
        e.deserialize(c["user_payload"], key=dec_key)
        return json.loads(e.payload)["sso_token"]

    # Checks before timing.
    if verify(fx["token"])["sub"] != fx["sub"]:
        raise SystemExit("pyjwt: wrong sub")
    if verify_decrypt(fx["token_jwe"]) != fx["sso_token"]:
        raise SystemExit("jwcrypto: wrong sso_token")
    print(f"SAMPLE {name} mint {mint()}")
    print(f"SAMPLE {name} mint-pem {mint_pem()}")
    print(f"SAMPLE {name} mint-jwe {mint_jwe()}")

    def report(op, rate):
        wall, cpu = rate
        cpu = "-" if cpu is None else f"{cpu:.1f}"
        print(f"RESULT {name} {op} {wall:.1f} {cpu}", flush=True)

    report("mint", measure(seconds, mint))
    report("mint-pem", measure(seconds, mint_pem))
    report("mint-jwe", measure(seconds, mint_jwe))
    report("verify", measure(seconds, lambda: verify(fx["token"])))
    report("verify-decrypt", measure(seconds, lambda: verify_decrypt(fx["token_jwe"])))

    for path in ("rsa2048", "rsa3072", "rsa4096", "p256", "x25519"):
        run_path(fx, path, seconds, claims)
    return 0


def run_path(fx, path, seconds, claims):
    """jwcrypto's mint with the sso_token JWE and verify + decrypt on the
    keys of one path, keys loaded once."""
    from jwcrypto import jwe, jwk, jwt

    name = "jwcrypto"
    p = fx["paths"][path]
    alg, jwe_alg = p["client_alg"], p["jwe_alg"]
    sign_key = jwk.JWK.from_pem(p["client_private_pem"].encode())
    verify_key = jwk.JWK.from_pem(p["client_public_pem"].encode())
    enc_key = jwk.JWK.from_pem(p["platform_public_pem"].encode())
    dec_key = jwk.JWK.from_pem(p["platform_private_pem"].encode())
    sso = fx["path_sso_token"]
    sso_json = json.dumps({"sso_token": sso}).encode()
    jwe_header = json.dumps({"alg": jwe_alg, "enc": "A256GCM", "kid": p["platform_kid"]})
    header = {"alg": alg, "typ": "JWT", "kid": p["client_kid"]}
    # Signature, alg allow-list, iss, aud; exp and nbf (None: against the
    # clock, with jwcrypto's default 60 s leeway); sub present.
    checks = {"iss": fx["iss"], "aud": fx["aud"], "exp": None, "nbf": None, "sub": None}

    def mint_jwe():
        e = jwe.JWE(sso_json, protected=jwe_header)
        e.add_recipient(enc_key)
        t = jwt.JWT(header=header, claims=claims(e.serialize(compact=True)))
        t.make_signed_token(sign_key)
        return t.serialize()

    def verify_decrypt(token):
        t = jwt.JWT(
            jwt=token, key=verify_key, algs=[alg], expected_type="JWS", check_claims=checks
        )
        e = jwe.JWE(algs=[jwe_alg, "A256GCM"])
        e.deserialize(json.loads(t.claims)["user_payload"], key=dec_key)
        return json.loads(e.payload)["sso_token"]

    if verify_decrypt(p["token_jwe"]) != sso:
        raise SystemExit(f"jwcrypto {path}: wrong sso_token")
    print(f"SAMPLE {name} mint-jwe/{path} {mint_jwe()}")
    for op, fn in (
        ("mint-jwe", mint_jwe),
        ("verify-decrypt", lambda: verify_decrypt(p["token_jwe"])),
    ):
        wall, cpu = measure(seconds, fn)
        cpu = "-" if cpu is None else f"{cpu:.1f}"
        print(f"RESULT {name} {op}/{path} {wall:.1f} {cpu}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
