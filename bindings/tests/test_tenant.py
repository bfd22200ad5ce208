"""The platform side from Python: a tenant document, its verifier, the
verified identity, and the policy refusals with their codes."""

import json

import pytest

import chatseal
from chatseal import Algorithm, EcdhCurve, PayloadFormat


def _tenant(host, extra=None, keys=()):
    doc = {
        "tenantId": "acme",
        "allowedOrigins": ["https://host.example"],
        "providers": {"host": {
            "issuer": "https://host.example", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"],
            "jwks": json.loads(chatseal.jwks_json([host.verifying_key()])),
            "allowedEmailDomains": ["acme.example"],
        }},
    }
    doc["providers"]["host"].update(extra or {})
    config = chatseal.TenantConfig.from_json(json.dumps(doc))
    return config, chatseal.TenantVerifier(config, decryption_keys=list(keys))


def _token(host, platform=None, **context):
    issuer = chatseal.Issuer(host, issuer="https://host.example", audience="chat",
                             platform_key=platform.encryption_key() if platform else None,
                             payload_format=PayloadFormat.JWE if platform else None)
    return issuer.mint("user-42", context=context or None,
                       claims={"email": "ada@acme.example", "groups": ["chat-users"]},
                       sso_token="obo" if platform else None)


def test_verify_returns_the_identity():
    host = chatseal.ClientSigningKey.generate(Algorithm.ES256)
    platform = chatseal.PlatformDecryptionKey.generate_ecdh(EcdhCurve.X25519).with_kid("pk-1")
    config, tenant = _tenant(host, {"decryptionKeys": ["pk-1"]}, keys=[platform])
    assert config.tenant_id() == "acme"
    assert config.allowed_origins() == ["https://host.example"]
    assert config.warnings() == []
    who = tenant.verify(_token(host, platform), participant="user-42",
                        origin="https://HOST.example:443")
    assert who.user_id() == "user-42"
    assert who.email() == "ada@acme.example"
    assert who.groups() == ["chat-users"]
    assert who.claims()["sub"] == "user-42"
    assert who.sso_token() == "obo"
    assert "obo" not in repr(who)


@pytest.mark.parametrize("kwargs,code", [
    ({"participant": "someone-else"}, "participant_mismatch"),
    ({"origin": "https://host.example.evil.test"}, "origin_not_allowed"),
    ({"origin": "null"}, "origin_not_allowed"),
])
def test_refusals_carry_the_policy_code(kwargs, code):
    host = chatseal.ClientSigningKey.generate(Algorithm.ES256)
    _, tenant = _tenant(host)
    with pytest.raises(chatseal.ChatsealError) as e:
        tenant.verify(_token(host), **kwargs)
    assert e.value.code == code


def test_document_rules_and_errors():
    host = chatseal.ClientSigningKey.generate(Algorithm.ES256)
    _, strict = _tenant(host, {"allowedEmailDomains": ["other.example"]})
    with pytest.raises(chatseal.ChatsealError) as e:
        strict.verify(_token(host))
    assert e.value.code == "email_domain_not_allowed"
    other = chatseal.ClientSigningKey.generate(Algorithm.ES256)
    _, tenant = _tenant(host)
    with pytest.raises(chatseal.ChatsealError) as e:
        tenant.verify(_token(other))
    assert e.value.code in ("invalid_signature", "unknown_kid")
    with pytest.raises(chatseal.ChatsealError) as e:
        chatseal.TenantConfig.from_json('{"tenantId": "t", "provders": {}}')
    assert e.value.code == "invalid_config"


def test_sealed_documents_and_api_keys():
    host = chatseal.ClientSigningKey.generate(Algorithm.ES256)
    doc = json.dumps({"tenantId": "acme", "providers": {"host": {
        "issuer": "https://host.example", "expectedAudience": "chat",
        "acceptedAlgorithms": ["ES256"],
        "jwks": json.loads(chatseal.jwks_json([host.verifying_key()]))}}})
    base, purpose = "b" * 40, "p" * 40
    sealed = chatseal.seal_config(doc, base, purpose)
    assert "acme" not in sealed
    assert json.loads(chatseal.unseal_config(sealed, base, purpose))["tenantId"] == "acme"
    with pytest.raises(chatseal.ChatsealError) as e:
        chatseal.unseal_config(sealed, base, "q" * 40)
    assert e.value.code == "config_keys_changed"

    slot = chatseal.ApiKeySlot()
    key = slot.generate()
    assert key.startswith("csk_") and slot.verify(key)
    stored = slot.to_stored()
    assert stored and key[4:] not in stored
    again = chatseal.ApiKeySlot(stored)
    assert again.verify(key)
    new = again.regenerate()
    assert again.verify(new) and not again.verify(key)
    again.delete()
    assert not again.verify(new) and again.to_stored() is None
