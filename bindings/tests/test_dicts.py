"""`context` and `claims` go in as dicts (or any Mapping) and verified claims
come back as dicts: the JSON text they cross the boundary as never reaches
the caller."""

import datetime
import json
from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType

import jwt as pyjwt
import pytest

import chatseal
from chatseal import ChatsealError

from conftest import AUD, ISS, standard_claims


class ReadOnly(Mapping):
    """A Mapping that is not a dict."""

    def __init__(self, **items):
        self._items = items

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)


def test_natural_call(issuer, verifier):
    email = "ada@example.com"
    token = issuer.mint("user-42", context={"email": email}, sso_token="idp-token")
    v = verifier.verify(token)
    assert v.context() == {"email": email}
    assert v.sso_token() == "idp-token"


def test_json_types_round_trip(issuer, verifier, client_key):
    context = {
        "name": "Åsa", "age": 41, "score": 2.5, "admin": False, "manager": None,
        "teams": ["blue", "青"], "address": {"city": "Kraków", "zip": "30-001"},
    }
    claims = {"tenant": "acme", "roles": ["viewer"], "limits": {"daily": 100}}
    token = issuer.mint("user-1", context=context, claims=claims)

    v = verifier.verify(token)
    assert v.context() == context
    got = v.claims()
    assert isinstance(got, dict)
    assert {k: got[k] for k in claims} == claims
    assert got["context"] == context
    assert got["sub"] == "user-1" and got["iss"] == ISS and got["aud"] == AUD
    assert isinstance(got["exp"], int) and got["exp"] == v.expires_at()
    assert v.header() == {"alg": "RS256", "kid": client_key.kid(), "typ": "JWT"}

    # What a third party reads from the token is the same.
    decoded = pyjwt.decode(token, client_key.public_pem(), algorithms=["RS256"], audience=AUD)
    assert decoded["context"] == context and decoded["limits"] == {"daily": 100}


def test_any_mapping_at_any_depth(issuer, verifier):
    context = MappingProxyType({"team": ReadOnly(name="blue", size=3),
                                "order": OrderedDict([("b", 1), ("a", 2)])})
    token = issuer.mint("u", context=context, claims=ReadOnly(tenant="acme"))
    v = verifier.verify(token)
    assert v.context() == {"team": {"name": "blue", "size": 3}, "order": {"b": 1, "a": 2}}
    assert v.claims()["tenant"] == "acme"


def test_no_context_is_none(issuer, verifier):
    v = verifier.verify(issuer.mint("u"))
    assert v.context() is None
    assert "context" not in v.claims()


def test_each_call_gets_its_own_dict(issuer, verifier):
    v = verifier.verify(issuer.mint("u", context={"a": 1}))
    first = v.context()
    first["a"] = 2
    assert v.context() == {"a": 1}


@pytest.mark.parametrize("value,says", [
    ([1, 2], "not an array"),
    # The old habit of serialising by hand: the text is a JSON string.
    (json.dumps({"email": "x"}), "not a string"),
    (42, "not a number"),
])
def test_not_an_object_is_refused_by_the_library(issuer, value, says):
    with pytest.raises(ChatsealError.ApiMisuse) as e:
        issuer.mint("u", context=value)
    assert e.value.code == "api_misuse"
    assert e.value.reason == f"context must be a JSON object (a dict in Python), {says}"
    with pytest.raises(ChatsealError.ApiMisuse) as e:
        issuer.mint("u", claims=value)
    assert e.value.reason.startswith("claims must be a JSON object")


def test_values_json_cannot_hold_are_python_errors(issuer):
    with pytest.raises(TypeError, match="datetime is not JSON serializable"):
        issuer.mint("u", context={"when": datetime.datetime.now()})
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        issuer.mint("u", claims={"roles": {"a", "b"}})
    with pytest.raises(ValueError):
        issuer.mint("u", context={"score": float("nan")})


def test_registered_claims_stay_refused(issuer):
    for name in ("sub", "exp", "iss", "context", "user_payload"):
        with pytest.raises(ChatsealError.ApiMisuse) as e:
            issuer.mint("u", claims={name: "x"})
        assert name in e.value.reason


def test_claims_of_a_foreign_token_are_a_dict(client_key, verifier):
    claims = standard_claims(aud=[AUD, "other"], nested={"list": [1, {"x": None}]})
    token = pyjwt.encode(claims, client_key.private_pem(), algorithm="RS256",
                         headers={"kid": client_key.kid()})
    got = verifier.verify(token).claims()
    assert got == claims
