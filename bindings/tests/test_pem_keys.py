"""Public keys registered as bare PEMs, the way hosts upload them: the PEM
states neither an algorithm nor a kid. Loaded with `algorithm=None`, the
verifier's `algorithms` decide what such a key checks, and the token's kid is
only a hint."""

import json

import jwt as pyjwt
import pytest

import chatseal
from chatseal import Algorithm, ChatsealError

from conftest import AUD, ISS, standard_claims


@pytest.fixture(scope="module")
def host():
    """The host's RSA key pair; the platform only ever sees its PEM."""
    return chatseal.ClientSigningKey.generate(Algorithm.PS256, rsa_bits=2048)


def pyjwt_token(signing_key, alg, kid="host-1"):
    return pyjwt.encode(standard_claims(), signing_key.private_pem(), algorithm=alg,
                        headers={"kid": kid})


def verifier(keys, algorithms=None):
    return chatseal.Verifier(keys, issuers=[ISS], audiences=[AUD], algorithms=algorithms)


def test_a_pem_loaded_without_algorithm_states_none(host):
    key = chatseal.ClientVerifyingKey.from_pem(host.public_pem(), None)
    assert key.stated_algorithm() is None
    assert key.algorithm() == Algorithm.RS256  # the RSA default, used when nothing is listed
    assert key.declared_kid() is None
    assert key.kid() == key.thumbprint() == host.thumbprint()
    assert "alg" not in json.loads(key.jwk_json())

    stated = chatseal.ClientVerifyingKey.from_pem(host.public_pem(), Algorithm.PS256)
    assert stated.stated_algorithm() == Algorithm.PS256
    assert json.loads(stated.jwk_json())["alg"] == "PS256"


def test_the_verifiers_algorithms_decide(host):
    key = chatseal.ClientVerifyingKey.from_pem(host.public_pem(), None)
    ps256 = pyjwt_token(host, "PS256")
    rs256 = pyjwt_token(host, "RS256")

    v = verifier([key], algorithms=[Algorithm.PS256]).verify(ps256)
    assert v.subject() == "user-7" and v.algorithm() == Algorithm.PS256

    # Without `algorithms`, an RSA key that states none is RS256 only.
    default = verifier([key])
    with pytest.raises(ChatsealError.InvalidSignature) as e:
        default.verify(ps256)
    assert e.value.code == "algorithm_not_allowed"
    assert default.verify(rs256).algorithm() == Algorithm.RS256

    with pytest.raises(ChatsealError.InvalidSignature) as e:
        verifier([key], algorithms=[Algorithm.PS256]).verify(rs256)
    assert e.value.code == "algorithm_not_allowed"

    both = verifier([key], algorithms=[Algorithm.RS256, Algorithm.PS256])
    assert both.verify(ps256).algorithm() == Algorithm.PS256
    assert both.verify(rs256).algorithm() == Algorithm.RS256


def test_a_key_that_states_its_algorithm_keeps_to_it(host):
    rs256_only = chatseal.ClientVerifyingKey.from_pem(host.public_pem(), Algorithm.RS256)
    both = verifier([rs256_only], algorithms=[Algorithm.RS256, Algorithm.PS256])
    assert both.verify(pyjwt_token(host, "RS256")).subject() == "user-7"
    with pytest.raises(ChatsealError.InvalidSignature):
        both.verify(pyjwt_token(host, "PS256"))


def test_a_p256_pem_without_algorithm_is_es256():
    host = chatseal.ClientSigningKey.generate(Algorithm.ES256)
    key = chatseal.ClientVerifyingKey.from_pem(host.public_pem(), None)
    assert key.stated_algorithm() is None and key.algorithm() == Algorithm.ES256
    assert verifier([key]).verify(pyjwt_token(host, "ES256")).subject() == "user-7"
    with pytest.raises(ChatsealError.KeyRejected) as e:
        chatseal.ClientVerifyingKey.from_pem(host.public_pem(), Algorithm.RS256)
    assert e.value.code == "key_role_mismatch"


def test_any_kid_verifies_against_a_pem_key(host):
    key = chatseal.ClientVerifyingKey.from_pem(host.public_pem(), None)
    token = pyjwt_token(host, "RS256", kid="host-1")
    v = verifier([key]).verify(token)
    assert v.kid() == "host-1" and v.subject() == "user-7"

    # The kid is only a hint: the signature still decides.
    stranger = chatseal.ClientSigningKey.generate(Algorithm.RS256, rsa_bits=2048)
    with pytest.raises(ChatsealError.InvalidSignature):
        verifier([key]).verify(pyjwt_token(stranger, "RS256", kid="host-1"))

    # A key that declares a kid is not tried for another one.
    named = key.with_kid("host-2")
    assert named.declared_kid() == "host-2"
    with pytest.raises(ChatsealError.InvalidSignature) as e:
        verifier([named]).verify(token)
    assert e.value.code == "unknown_kid"
    assert verifier([named]).verify(pyjwt_token(host, "RS256", kid="host-2")).kid() == "host-2"
