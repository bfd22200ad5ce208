"""Tokens cross between the Python binding (Rust inside), jwcrypto and PyJWT."""

import json

import jwt as pyjwt
import pytest
from jwcrypto import jwe, jwk
from jwcrypto import jwt as jwcrypto_jwt

import chatseal

from conftest import AUD, ISS, jwcrypto_encrypt_sso, jwcrypto_sign, standard_claims


def jwcrypto_verify(token: str, public_pem: str) -> dict:
    key = jwk.JWK.from_pem(public_pem.encode())
    checked = jwcrypto_jwt.JWT(
        jwt=token, key=key, algs=["RS256"], check_claims={"iss": ISS, "aud": AUD, "exp": None}
    )
    return json.loads(checked.claims)


def jwcrypto_decrypt(compact: str, private_pem: str) -> dict:
    key = jwk.JWK.from_pem(private_pem.encode())
    token = jwe.JWE()
    token.deserialize(compact, key=key)
    return json.loads(token.payload)


def test_python_mint_verified_by_rust_jwcrypto_and_pyjwt(issuer, verifier, client_key, platform_key):
    token = issuer.mint(
        "user-42",
        context={"name": "Ada", "email": "ada@example.com"},
        sso_token="idp-token-123",
        claims={"tenant": "acme"},
    )

    # The binding's own verifier (Rust).
    v = verifier.verify(token)
    assert v.subject() == "user-42"
    assert v.context() == {"name": "Ada", "email": "ada@example.com"}
    assert v.sso_token() == "idp-token-123"
    assert v.issuer() == ISS
    assert v.audiences() == [AUD]
    assert v.kid() == client_key.kid()
    assert v.algorithm() == chatseal.Algorithm.RS256
    claims = v.claims()
    assert claims["tenant"] == "acme"
    assert claims["exp"] == v.expires_at() == v.issued_at() + 3600
    assert v.header() == {"alg": "RS256", "kid": client_key.kid(), "typ": "JWT"}

    # jwcrypto: signature and claims with the public PEM, then the JWE with
    # the platform's private PEM.
    claims = jwcrypto_verify(token, client_key.public_pem())
    assert claims["sub"] == "user-42"
    assert claims["context"]["name"] == "Ada"
    assert jwcrypto_decrypt(claims["user_payload"], platform_key.private_pem()) == {
        "sso_token": "idp-token-123"
    }

    # PyJWT, from the JWK the binding publishes.
    key = pyjwt.PyJWK.from_json(client_key.public_jwk_json())
    decoded = pyjwt.decode(token, key, algorithms=["RS256"], audience=AUD, issuer=ISS)
    assert decoded["sub"] == "user-42"


def test_verify_what_jwcrypto_minted(client_key, platform_key, verifier):
    enc_key = platform_key.encryption_key()
    payload = jwcrypto_encrypt_sso(enc_key.public_pem(), enc_key.kid(), "from-jwcrypto")
    claims = standard_claims(context={"role": "admin"}, user_payload=payload)
    token = jwcrypto_sign(client_key.private_pem(), client_key.kid(), claims)

    v = verifier.verify(token)
    assert v.subject() == "user-7"
    assert v.sso_token() == "from-jwcrypto"
    assert v.context() == {"role": "admin"}


def test_verify_jwcrypto_key_from_jwks(platform_key):
    # jwcrypto owns the private key; the binding trusts it through a JWKS.
    key = jwk.JWK.generate(kty="RSA", size=2048, kid="host-2026", alg="PS256", use="sig")
    jwks = json.dumps({"keys": [json.loads(key.export_public())]})
    keys = chatseal.client_keys_from_jwks(jwks)
    assert [k.kid() for k in keys] == ["host-2026"]
    assert keys[0].algorithm() == chatseal.Algorithm.PS256
    verifier = chatseal.Verifier(keys, issuers=[ISS], audiences=[AUD])

    token = jwcrypto_sign(key.export_to_pem(private_key=True, password=None).decode(),
                          "host-2026", standard_claims(), alg="PS256")
    assert verifier.verify(token).subject() == "user-7"


def test_verify_what_pyjwt_minted_es256():
    key = chatseal.ClientSigningKey.generate(chatseal.Algorithm.ES256)
    token = pyjwt.encode(standard_claims(), key.private_pem(), algorithm="ES256",
                         headers={"kid": key.kid()})
    verifier = chatseal.Verifier([chatseal.ClientVerifyingKey.from_pem(key.public_pem(),
                                                                      chatseal.Algorithm.ES256)],
                                 issuers=[ISS], audiences=[AUD])
    assert verifier.verify(token).subject() == "user-7"


def test_non_ascii_sso_token_and_context(issuer, verifier, platform_key, client_key):
    sso = "Grüße aus Zürich — 東京 🔐 \u00e9\u0301"
    context = {"name": "Åsa Øster", "city": "Kraków"}
    token = issuer.mint("użytkownik-ß", context=context, sso_token=sso)
    v = verifier.verify(token)
    assert v.sso_token() == sso
    assert v.subject() == "użytkownik-ß"
    assert v.context() == context

    claims = jwcrypto_verify(token, client_key.public_pem())
    assert jwcrypto_decrypt(claims["user_payload"], platform_key.private_pem()) == {"sso_token": sso}


def test_wxo_format_round_trip(client_key, platform_key):
    # IBM watsonx Orchestrate's shape: no iss, no aud, wxo payload.
    issuer = chatseal.Issuer(client_key, issuer=None, audience=None,
                             platform_key=platform_key.encryption_key(),
                             payload_format=chatseal.PayloadFormat.WXO)
    token = issuer.mint("user-1", sso_token="ibm-sso-ü")
    verifier = chatseal.Verifier([client_key.verifying_key()], issuers=[], audiences=[],
                                 dangerous_skip_issuer_check=True,
                                 dangerous_skip_audience_check=True,
                                 decryption_keys=[platform_key],
                                 payload_format=chatseal.PayloadFormat.WXO)
    v = verifier.verify(token)
    assert v.sso_token() == "ibm-sso-ü"
    assert v.issuer() is None and v.audiences() == []


def test_keys_round_trip_through_pem_and_jwk(client_key, platform_key):
    again = chatseal.ClientSigningKey.from_pem(client_key.private_pem(), chatseal.Algorithm.RS256)
    assert again.kid() == client_key.kid() == client_key.thumbprint()

    sealed = client_key.private_pem(passphrase="correct horse battery")
    assert sealed.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    opened = chatseal.ClientSigningKey.from_pem(sealed, chatseal.Algorithm.RS256,
                                               passphrase="correct horse battery")
    assert opened.kid() == client_key.kid()

    # The thumbprint agrees with jwcrypto's RFC 7638 thumbprint.
    assert jwk.JWK.from_pem(client_key.public_pem().encode()).thumbprint() == client_key.thumbprint()

    public_jwk = json.loads(client_key.public_jwk_json())
    assert public_jwk["use"] == "sig" and public_jwk["alg"] == "RS256"
    assert "d" not in public_jwk
    jwks = json.loads(chatseal.jwks_json([client_key.verifying_key()]))
    assert jwks["keys"][0]["kid"] == client_key.kid()

    enc = platform_key.encryption_key()
    from_jwk = chatseal.PlatformEncryptionKey.from_jwk(enc.jwk_json())
    from_pem = chatseal.PlatformEncryptionKey.from_pem(enc.public_pem())
    assert from_jwk.thumbprint() == from_pem.thumbprint() == platform_key.thumbprint()
    assert from_pem.bits() == 2048
    reloaded = chatseal.PlatformDecryptionKey.from_pem(platform_key.private_pem())
    assert reloaded.kid() == platform_key.kid()

    renamed = client_key.with_kid("host-key-1")
    assert renamed.kid() == "host-key-1" and renamed.thumbprint() == client_key.thumbprint()


def test_secrets_are_not_in_reprs(issuer, verifier, client_key, platform_key):
    token = issuer.mint("u", sso_token="very-secret-sso")
    v = verifier.verify(token)
    assert "very-secret-sso" not in repr(v)
    assert "[redacted]" in repr(v)
    assert "PRIVATE" not in repr(client_key) and "[redacted]" in repr(client_key)
    assert "[redacted]" in repr(platform_key)
