"""Each major core error kind arrives as its own exception class, with the
Rust error's stable code and its exact message."""

import base64
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import chatseal
from chatseal import ChatsealError

from conftest import AUD, ISS, jwcrypto_encrypt_sso, jwcrypto_sign, standard_claims


def check(excinfo, cls, code):
    e = excinfo.value
    assert type(e) is cls, f"{type(e).__name__}: {e}"
    assert isinstance(e, ChatsealError) and isinstance(e, Exception)
    assert e.code == code
    # The exception's text is exactly the Rust error's message.
    assert str(e) == e.reason
    assert e.reason
    return e


def test_expired(client_key, verifier):
    now = int(time.time())
    claims = standard_claims(iat=now - 7000, nbf=now - 7000, exp=now - 3600)
    token = jwcrypto_sign(client_key.private_pem(), client_key.kid(), claims)
    with pytest.raises(ChatsealError.Expired) as ei:
        verifier.verify(token)
    check(ei, ChatsealError.Expired, "expired")


def test_not_yet_valid(client_key, verifier):
    now = int(time.time())
    token = jwcrypto_sign(client_key.private_pem(), client_key.kid(),
                          standard_claims(nbf=now + 3600, exp=now + 4000))
    with pytest.raises(ChatsealError.ClaimRejected) as ei:
        verifier.verify(token)
    check(ei, ChatsealError.ClaimRejected, "not_yet_valid")


def test_bad_signature(issuer, verifier):
    token = issuer.mint("user-1")
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[10] ^= 0x01
    forged = ".".join([head, body, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()])
    with pytest.raises(ChatsealError.InvalidSignature) as ei:
        verifier.verify(forged)
    e = check(ei, ChatsealError.InvalidSignature, "invalid_signature")
    assert e.reason == "token signature is invalid"


def test_signed_by_another_key_with_the_same_kid(client_key, verifier):
    other = chatseal.ClientSigningKey.generate(chatseal.Algorithm.RS256, rsa_bits=2048)
    token = jwcrypto_sign(other.private_pem(), client_key.kid(), standard_claims())
    with pytest.raises(ChatsealError.InvalidSignature) as ei:
        verifier.verify(token)
    check(ei, ChatsealError.InvalidSignature, "invalid_signature")


def test_unknown_kid(client_key):
    # Only keys that declare a kid make an unknown one an error (a key
    # without one is tried whatever the token's kid).
    named = chatseal.Verifier([client_key.verifying_key().with_kid("host-1")],
                              issuers=[ISS], audiences=[AUD])
    token = jwcrypto_sign(client_key.private_pem(), "no-such-kid", standard_claims())
    with pytest.raises(ChatsealError.InvalidSignature) as ei:
        named.verify(token)
    e = check(ei, ChatsealError.InvalidSignature, "unknown_kid")
    assert "no-such-kid" in e.reason


def test_wrong_audience(client_key, verifier):
    token = jwcrypto_sign(client_key.private_pem(), client_key.kid(),
                          standard_claims(aud="someone-else"))
    with pytest.raises(ChatsealError.ClaimRejected) as ei:
        verifier.verify(token)
    e = check(ei, ChatsealError.ClaimRejected, "invalid_audience")
    assert "someone-else" in e.reason


def test_wrong_issuer(client_key, verifier):
    token = jwcrypto_sign(client_key.private_pem(), client_key.kid(),
                          standard_claims(iss="https://evil.example"))
    with pytest.raises(ChatsealError.ClaimRejected) as ei:
        verifier.verify(token)
    check(ei, ChatsealError.ClaimRejected, "invalid_issuer")


@pytest.mark.parametrize(
    "token,code",
    [
        ("not-a-token", "malformed_token"),
        ("a.b", "malformed_token"),
        ("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "alg_none"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "hmac_algorithm"),
        ("x" * 20000, "token_too_large"),
    ],
)
def test_malformed(verifier, token, code):
    with pytest.raises(ChatsealError.MalformedToken) as ei:
        verifier.verify(token)
    check(ei, ChatsealError.MalformedToken, code)


def test_decryption_failed(client_key, platform_key, verifier):
    # user_payload encrypted to another platform key under our key's kid:
    # the signature is fine, the payload does not open.
    stranger = chatseal.PlatformDecryptionKey.generate(bits=2048).encryption_key()
    payload = jwcrypto_encrypt_sso(stranger.public_pem(), platform_key.kid(), "x")
    token = jwcrypto_sign(client_key.private_pem(), client_key.kid(),
                          standard_claims(user_payload=payload))
    with pytest.raises(ChatsealError.DecryptionFailed) as ei:
        verifier.verify(token)
    check(ei, ChatsealError.DecryptionFailed, "decryption_failed")


def test_key_rejected_not_a_key():
    with pytest.raises(ChatsealError.KeyRejected) as ei:
        chatseal.ClientSigningKey.from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                                           chatseal.Algorithm.RS256)
    assert ei.value.code == "invalid_key"
    assert str(ei.value) == ei.value.reason


def test_key_rejected_weak_rsa():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = weak.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    with pytest.raises(ChatsealError.KeyRejected) as ei:
        chatseal.ClientSigningKey.from_pem(pem, chatseal.Algorithm.RS256)
    check(ei, ChatsealError.KeyRejected, "weak_key")


def test_key_rejected_wrong_role(client_key):
    # An RSA key loaded for ES256.
    with pytest.raises(ChatsealError.KeyRejected) as ei:
        chatseal.ClientSigningKey.from_pem(client_key.private_pem(), chatseal.Algorithm.ES256)
    check(ei, ChatsealError.KeyRejected, "key_role_mismatch")
    # A signature JWK where an encryption key is expected.
    with pytest.raises(ChatsealError.KeyRejected) as ei:
        chatseal.PlatformEncryptionKey.from_jwk(client_key.public_jwk_json())
    check(ei, ChatsealError.KeyRejected, "key_role_mismatch")


def test_key_rejected_wrong_passphrase(client_key):
    sealed = client_key.private_pem(passphrase="right one")
    with pytest.raises(ChatsealError.KeyRejected) as ei:
        chatseal.ClientSigningKey.from_pem(sealed, chatseal.Algorithm.RS256, passphrase="wrong one")
    e = check(ei, ChatsealError.KeyRejected, "wrong_passphrase")
    assert "wrong one" not in e.reason and "right one" not in e.reason


def test_api_misuse(client_key):
    plain = chatseal.Issuer(client_key, issuer=ISS, audience=AUD)
    cases = [
        # An sso_token but no platform key to encrypt it to.
        lambda: plain.mint("u", sso_token="secret-sso"),
        # An extra claim that would overwrite a registered one.
        lambda: plain.mint("u", claims={"sub": "admin"}),
        # A context or claims that is not a JSON object: a list, or JSON
        # text where the dict itself belongs.
        lambda: plain.mint("u", context=[1, 2]),
        lambda: plain.mint("u", context='{"team": "blue"}'),
        lambda: plain.mint("u", claims="{not json"),
        # An empty subject.
        lambda: plain.mint(""),
        # A ttl above IBM's maximum without allow_long_ttl.
        lambda: chatseal.Issuer(client_key, issuer=ISS, audience=AUD, ttl_seconds=99999),
        # No trusted key.
        lambda: chatseal.Verifier([], issuers=[ISS], audiences=[AUD]),
        # An empty issuer list without the explicit skip.
        lambda: chatseal.Verifier([client_key.verifying_key()], issuers=[], audiences=[AUD]),
        # Both an issuer list and the skip flag.
        lambda: chatseal.Verifier([client_key.verifying_key()], issuers=[ISS], audiences=[AUD],
                                  dangerous_skip_issuer_check=True),
        # rsa_bits for an EC key; an RSA size that is not offered.
        lambda: chatseal.ClientSigningKey.generate(chatseal.Algorithm.ES256, rsa_bits=2048),
        lambda: chatseal.PlatformDecryptionKey.generate(bits=1024),
    ]
    for call in cases:
        with pytest.raises(ChatsealError.ApiMisuse) as ei:
            call()
        e = check(ei, ChatsealError.ApiMisuse, "api_misuse")
        assert "secret-sso" not in e.reason


def test_long_ttl_needs_the_explicit_flag(client_key):
    issuer = chatseal.Issuer(client_key, issuer=ISS, audience=AUD, ttl_seconds=8000,
                             allow_long_ttl=True)
    assert issuer.mint("u").count(".") == 2
