#!/usr/bin/env python3
"""Benchmark peer for tests/bench/compare.sh: chatseal's Python binding
(bindings/, built with maturin by compare.sh) doing the same work as the
other peers on the same fixture.

    python chatseal_py_bench.py <fixture.json> <seconds>

Prints `RESULT chatseal-py <op> <ops per wall second> <ops per CPU second>`
for mint, mint-pem (key loaded from PEM and the issuer built on every call),
mint-jwe, verify and verify-decrypt, and `SAMPLE` lines that compare.sh has
chatseal (Rust) verify. The context is
a dict, serialised by the binding on every call.
"""

import json
import sys
import time


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


def variant(enum, name):
    """An enum member by name, whichever case the generated code uses."""
    for candidate in (name, name.upper(), name.capitalize()):
        if hasattr(enum, candidate):
            return getattr(enum, candidate)
    raise SystemExit(f"chatseal binding: {enum.__name__} has no {name}")


def main():
    if len(sys.argv) != 3:
        print("usage: chatseal_py_bench.py <fixture.json> <seconds>", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        fx = json.load(f)
    seconds = float(sys.argv[2])

    import chatseal as cs

    rs256 = variant(cs.Algorithm, "RS256")
    jwe = variant(cs.PayloadFormat, "Jwe")
    pem = fx["client_private_pem"]
    key = cs.ClientSigningKey.from_pem(pem, rs256)
    platform_pub = cs.PlatformEncryptionKey.from_pem(fx["platform_public_pem"])
    platform = cs.PlatformDecryptionKey.from_pem(fx["platform_private_pem"])
    public = cs.ClientVerifyingKey.from_pem(fx["client_public_pem"], rs256)
    issuer = cs.Issuer(key=key, issuer=fx["iss"], audience=fx["aud"])
    issuer_jwe = cs.Issuer(
        key=key,
        issuer=fx["iss"],
        audience=fx["aud"],
        platform_key=platform_pub,
        payload_format=jwe,
    )
    verifier = cs.Verifier(keys=[public], issuers=[fx["iss"]], audiences=[fx["aud"]])
    verifier_jwe = cs.Verifier(
        keys=[public],
        issuers=[fx["iss"]],
        audiences=[fx["aud"]],
        decryption_keys=[platform],
        payload_format=jwe,
    )
    sub, context, sso = fx["sub"], fx["context"], fx["sso_token"]

    def mint():
        return issuer.mint(sub, context=context)

    def mint_pem():
        k = cs.ClientSigningKey.from_pem(pem, rs256)
        i = cs.Issuer(key=k, issuer=fx["iss"], audience=fx["aud"])
        return i.mint(sub, context=context)

    def mint_jwe():
        return issuer_jwe.mint(sub, context=context, sso_token=sso)

    def verify(token):
        return verifier.verify(token).subject()

    def verify_decrypt(token):
        return verifier_jwe.verify(token).sso_token()

    # Checks before timing.
    if verify(fx["token"]) != sub:
        raise SystemExit("chatseal-py: wrong sub")
    if verify_decrypt(fx["token_jwe"]) != sso:
        raise SystemExit("chatseal-py: wrong sso_token")
    name = "chatseal-py"
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
