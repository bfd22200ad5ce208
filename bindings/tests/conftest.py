"""Shared keys for the binding tests.

Keys are generated once per session by the Rust library under test (RSA 2048
to keep the suite quick); jwcrypto gets their PEMs, so every cross-check uses
the very same key pair on both sides.
"""

import json
import time

import pytest

import chatseal

ISS = "https://host.example"
AUD = "chat-platform"


@pytest.fixture(scope="session")
def client_key() -> chatseal.ClientSigningKey:
    return chatseal.ClientSigningKey.generate(chatseal.Algorithm.RS256, rsa_bits=2048)


@pytest.fixture(scope="session")
def platform_key() -> chatseal.PlatformDecryptionKey:
    return chatseal.PlatformDecryptionKey.generate(bits=2048)


@pytest.fixture(scope="session")
def issuer(client_key, platform_key) -> chatseal.Issuer:
    return chatseal.Issuer(
        client_key,
        issuer=ISS,
        audience=AUD,
        platform_key=platform_key.encryption_key(),
    )


@pytest.fixture(scope="session")
def verifier(client_key, platform_key) -> chatseal.Verifier:
    return chatseal.Verifier(
        [client_key.verifying_key()],
        issuers=[ISS],
        audiences=[AUD],
        decryption_keys=[platform_key],
    )


def jwcrypto_sign(private_pem: str, kid, claims: dict, alg: str = "RS256") -> str:
    """A token signed by jwcrypto, not by chatseal."""
    from jwcrypto import jwk, jwt

    key = jwk.JWK.from_pem(private_pem.encode())
    header = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    token = jwt.JWT(header=header, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


def standard_claims(**extra) -> dict:
    now = int(time.time())
    claims = {"iss": ISS, "aud": AUD, "sub": "user-7", "iat": now, "nbf": now, "exp": now + 600}
    claims.update(extra)
    return claims


def jwcrypto_encrypt_sso(platform_public_pem: str, kid: str, sso_token: str) -> str:
    """`user_payload` as a compact JWE made by jwcrypto."""
    from jwcrypto import jwe, jwk

    key = jwk.JWK.from_pem(platform_public_pem.encode())
    enc = jwe.JWE(
        json.dumps({"sso_token": sso_token}).encode(),
        protected=json.dumps({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": kid}),
    )
    enc.add_recipient(key)
    return enc.serialize(compact=True)
