"""The keyring of chatseal-keys, driven from Python as a rotation script
would: init, rotate, promote, retire, revoke, with tokens checked at each
step."""

import json
import os
import stat
from pathlib import Path

import pytest
from jwcrypto import jwk

import chatseal
from chatseal import ChatsealError, KeyAlgorithm, KeyState

ISS, AUD = "https://host.example", "chat-platform"


def verifier_for(ring):
    return chatseal.Verifier(ring.verifying_keys(), issuers=[ISS], audiences=[AUD])


def mint_with(ring, sub="user-1"):
    return chatseal.Issuer(ring.signing_key(), issuer=ISS, audience=AUD).mint(sub)


def test_rotation_without_a_failed_request(tmp_path):
    d = str(tmp_path / "client")
    ring = chatseal.Keyring.init(d, KeyAlgorithm.ES256)
    assert chatseal.keyring_exists(d)
    assert ring.key_use() == chatseal.KeyUse.SIG
    first = ring.active()
    assert first.state == KeyState.ACTIVE and first.algorithm == KeyAlgorithm.ES256
    old_token = mint_with(ring, "before")

    # Step one: a pending key is published but not used.
    pending = ring.rotate()
    assert pending.state == KeyState.PENDING
    assert ring.active().kid == first.kid
    jwks = json.loads(ring.jwks_json())
    assert {k["kid"] for k in jwks["keys"]} == {first.kid, pending.kid}
    # jwcrypto reads the published set.
    assert jwk.JWKSet.from_json(ring.jwks_json()).get_key(pending.kid) is not None

    # Step two: promote; the old key is retiring and still verifies.
    promo = ring.promote()
    assert promo.active.kid == pending.kid and promo.active.state == KeyState.ACTIVE
    assert promo.retiring.kid == first.kid and promo.retiring.state == KeyState.RETIRING
    new_token = mint_with(ring, "after")
    v = verifier_for(ring)
    assert v.verify(old_token).subject() == "before"
    assert v.verify(new_token).subject() == "after"
    assert v.verify(new_token).kid() == pending.kid

    # Within the grace nothing retires; forced, the old key leaves the JWKS.
    assert ring.retire() == []
    assert ring.retire(kid=first.kid, force=True) == [first.kid]
    assert [k["kid"] for k in json.loads(ring.jwks_json())["keys"]] == [pending.kid]
    with pytest.raises(ChatsealError.InvalidSignature) as e:
        verifier_for(ring).verify(old_token)
    assert e.value.code == "unknown_kid"

    # Another process sees the same keyring.
    again = chatseal.Keyring.open(d)
    assert [(k.kid, k.state) for k in again.keys()] == [
        (first.kid, KeyState.RETIRED), (pending.kid, KeyState.ACTIVE)]
    assert again.prune() == [f"sig-{first.kid}.pem"]
    assert not [k for k in again.keys() if k.kid == first.kid][0].has_private_file
    ring.reload()
    assert ring.keys() == again.keys()


def test_revoke_and_state_errors(tmp_path):
    ring = chatseal.Keyring.init(str(tmp_path / "k"), KeyAlgorithm.ES256)
    with pytest.raises(ChatsealError.Keyring) as e:
        ring.promote()  # nothing pending
    assert e.value.code == "keyring_state" and str(e.value) == e.value.reason
    with pytest.raises(ChatsealError.Keyring) as e:
        ring.revoke(ring.active().kid)  # the active key
    assert e.value.code == "keyring_state"

    leaked = ring.rotate()
    revoked = ring.revoke(leaked.kid)
    assert revoked.state == KeyState.REVOKED and revoked.revoked_at is not None
    assert leaked.kid not in ring.jwks_json()


def test_open_and_init_errors(tmp_path):
    with pytest.raises(ChatsealError.Keyring) as e:
        chatseal.Keyring.open(str(tmp_path / "none"))
    assert e.value.code == "keyring_not_found"
    d = str(tmp_path / "k")
    chatseal.Keyring.init(d, KeyAlgorithm.ES256)
    with pytest.raises(ChatsealError.Keyring) as e:
        chatseal.Keyring.init(d, KeyAlgorithm.ES256)
    assert e.value.code == "keyring_exists"
    with pytest.raises(ChatsealError.ApiMisuse):
        chatseal.Keyring.init(str(tmp_path / "k2"), KeyAlgorithm.RS256, rsa_bits=1000)


def test_passphrase_at_rest(tmp_path):
    d = tmp_path / "enc-at-rest"
    ring = chatseal.Keyring.init(str(d), KeyAlgorithm.RS256, rsa_bits=2048,
                                 passphrase="correct horse")
    info = ring.active()
    assert info.encrypted and info.bits == 2048
    key_file = d / f"sig-{info.kid}.pem"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert key_file.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")

    with pytest.raises(ChatsealError.KeyRejected) as e:
        ring.signing_key()
    assert e.value.code == "wrong_passphrase"
    with pytest.raises(ChatsealError.KeyRejected) as e:
        ring.signing_key(passphrase="wrong horse")
    assert e.value.code == "wrong_passphrase" and "wrong horse" not in e.value.reason
    assert ring.signing_key(passphrase="correct horse").kid() == info.kid
    # A rotation of an encrypted keyring needs the same passphrase.
    with pytest.raises(ChatsealError):
        ring.rotate(rsa_bits=2048)
    assert ring.rotate(rsa_bits=2048, passphrase="correct horse").encrypted


def test_platform_keyring_decrypts(tmp_path):
    ring = chatseal.Keyring.init(str(tmp_path / "platform"), KeyAlgorithm.RSA_OAEP256,
                                 rsa_bits=2048)
    assert ring.key_use() == chatseal.KeyUse.ENC
    client = chatseal.ClientSigningKey.generate(chatseal.Algorithm.ES256)
    issuer = chatseal.Issuer(client, issuer=ISS, audience=AUD, platform_key=ring.encryption_key())
    token = issuer.mint("u", sso_token="obo-token")
    verifier = chatseal.Verifier([client.verifying_key()], issuers=[ISS], audiences=[AUD],
                                 decryption_keys=ring.decryption_keys())
    assert verifier.verify(token).sso_token() == "obo-token"
    assert ring.public_key_pem().startswith("-----BEGIN PUBLIC KEY-----")
    # A platform keyring has no signing key.
    with pytest.raises(ChatsealError.Keyring) as e:
        ring.signing_key()
    assert e.value.code == "keyring_state"


def test_import_a_key_made_elsewhere(tmp_path):
    ring = chatseal.Keyring.init(str(tmp_path / "k"), KeyAlgorithm.RS256, rsa_bits=2048)
    outside = chatseal.ClientSigningKey.generate(chatseal.Algorithm.RS256, rsa_bits=2048)
    entry = ring.import_pem(outside.private_pem(passphrase="p"), KeyAlgorithm.RS256,
                            pem_passphrase="p")
    assert entry.imported and entry.state == KeyState.PENDING and entry.kid == outside.kid()
    with pytest.raises(ChatsealError):
        ring.import_pem(outside.private_pem(), KeyAlgorithm.RS256)  # already there


SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "sample-keys"


def test_published_sample_keys_are_recognised_and_refused(tmp_path):
    pem = (SAMPLES / "jwtio-rs256.key.pem").read_text()
    sample = chatseal.ClientSigningKey.from_pem(pem, chatseal.Algorithm.RS256)
    assert chatseal.published_sample_key(sample.thumbprint())
    fresh = chatseal.ClientSigningKey.generate(chatseal.Algorithm.ES256)
    assert chatseal.published_sample_key(fresh.thumbprint()) is None

    ring = chatseal.Keyring.init(str(tmp_path / "k"), KeyAlgorithm.RS256, rsa_bits=2048)
    with pytest.raises(ChatsealError.KeyRejected) as e:
        ring.import_pem(pem, KeyAlgorithm.RS256)
    assert e.value.code == "sample_key"
    # A throwaway demo may opt in, explicitly.
    assert ring.import_pem(pem, KeyAlgorithm.RS256, allow_sample_key=True).kid == sample.thumbprint()
