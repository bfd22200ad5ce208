"""The elliptic-curve fast path from Python: Ed25519 client keys, P-256 and
X25519 platform keys (ECDH-ES+A256KW), and keyrings of those kinds."""

import chatseal
from chatseal import Algorithm, EcdhCurve, KeyAlgorithm, PayloadFormat


def test_ed25519_and_ecdh_round_trip():
    for curve in (EcdhCurve.P256, EcdhCurve.X25519):
        host = chatseal.ClientSigningKey.generate(Algorithm.ED25519)
        platform = chatseal.PlatformDecryptionKey.generate_ecdh(curve)
        issuer = chatseal.Issuer(
            host, issuer="https://host.example", audience="chat",
            platform_key=platform.encryption_key(), payload_format=PayloadFormat.JWE,
        )
        token = issuer.mint("user-42", context={"email": "a@b.example"}, sso_token="obo")
        verifier = chatseal.Verifier(
            [host.verifying_key()], issuers=["https://host.example"], audiences=["chat"],
            decryption_keys=[platform],
        )
        v = verifier.verify(token)
        assert v.subject() == "user-42"
        assert v.sso_token() == "obo"
        assert v.header()["alg"] == "Ed25519"
        # The PEM round trip keeps the key.
        again = chatseal.PlatformDecryptionKey.from_pem(platform.private_pem())
        assert again.thumbprint() == platform.thumbprint()


def test_ecdh_keyrings_keep_their_curve(tmp_path):
    ring = chatseal.Keyring.init(
        str(tmp_path / "platform"), KeyAlgorithm.ECDH_ES_A256KW, ecdh_curve=EcdhCurve.X25519
    )
    assert ring.active().algorithm == KeyAlgorithm.ECDH_ES_A256KW
    info = ring.rotate(activate=True)
    assert info.algorithm == KeyAlgorithm.ECDH_ES_A256KW
    import json
    jwks = json.loads(ring.jwks_json())
    assert {k["crv"] for k in jwks["keys"]} == {"X25519"}
    sig = chatseal.Keyring.init(str(tmp_path / "client"), KeyAlgorithm.ED25519)
    assert sig.active().algorithm == KeyAlgorithm.ED25519
