"""The platform side from Python, as tests/tests/policy.rs does it in Rust:
the example tenant document, one refused token per stable code
(table-driven), the registry, API-key precedence, origins and anonymous
security, sealed documents, and the issuer-URL helper."""

import json
import socket
import time
from pathlib import Path

import pytest

import chatseal
from chatseal import Algorithm, AuthenticatedKind, ChatsealError, PayloadFormat

from conftest import jwcrypto_sign

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "tenant" / "example-tenant.json"
TID = "9188040d-6c67-4c5b-b112-36a304b66dad"
ENTRA_AUD = "api://acme-chat"
GOOGLE_AUD = "123456789012-chat.apps.googleusercontent.com"
HOST_ISS = "https://app.acme.example"
SSO = "idp-access-token"


def entra_iss() -> str:
    return chatseal.IdentityProvider.entra(TID).issuer_url()


def jwks_of(key: chatseal.ClientSigningKey) -> dict:
    return json.loads(chatseal.jwks_json([key.verifying_key()]))


class World:
    """The example document with each provider's remote keys replaced by the
    inline public keys of keys made here (the Rust test's `world()`)."""

    def __init__(self) -> None:
        self.entra = chatseal.ClientSigningKey.generate(Algorithm.RS256, rsa_bits=2048).with_kid("entra-1")
        self.google = chatseal.ClientSigningKey.generate(Algorithm.RS256, rsa_bits=2048).with_kid("google-1")
        self.host = chatseal.ClientSigningKey.generate(Algorithm.ES256).with_kid("host-1")
        self.platform = chatseal.PlatformDecryptionKey.generate(bits=2048).with_kid("platform-2026-01")
        doc = json.loads(FIXTURE.read_text())
        p = doc["providers"]
        del p["entra"]["authority"]
        p["entra"]["jwks"] = jwks_of(self.entra)
        del p["google"]["authority"]
        p["google"]["jwks"] = jwks_of(self.google)
        del p["host-app"]["jwksUri"]
        p["host-app"]["jwks"] = jwks_of(self.host)
        self.doc = doc
        self.tenant = self.tenant_of(doc)

    def tenant_of(self, doc: dict) -> chatseal.TenantVerifier:
        config = chatseal.TenantConfig.from_json_for_tenant(json.dumps(doc), "acme")
        return chatseal.TenantVerifier(config, decryption_keys=[self.platform])


ENTRA_CLAIMS = {
    "oid": "oid-ana",
    "tid": TID,
    "scp": "chat.read chat.write",
    "roles": ["Chat.User"],
    "acct": 0,
    "email": "Ana@ACME.example",
    "groups": ["chat-users", "staff"],
}

DROP = object()


def mint(key, iss, aud, claims, **changes) -> str:
    """A token of `key` minted by chatseal's Issuer, `changes` applied to the
    claims (`DROP` removes one)."""
    claims = dict(claims)
    for name, value in changes.items():
        if value is DROP:
            claims.pop(name, None)
        else:
            claims[name] = value
    issuer = chatseal.Issuer(key, issuer=iss, audience=aud)
    return issuer.mint("sub-ana", claims=claims)


def at(key, iss, aud, claims, offset: int) -> str:
    """A token whose times are shifted by `offset` seconds, signed by
    jwcrypto with the same key (chatseal's Issuer mints only for now)."""
    now = int(time.time()) + offset
    body = dict(claims, iss=iss, aud=aud, sub="sub-ana", iat=now, nbf=now, exp=now + 600)
    return jwcrypto_sign(key.private_pem(), key.kid(), body)


def entra_token(w: World, **changes) -> str:
    return mint(w.entra, entra_iss(), ENTRA_AUD, ENTRA_CLAIMS, **changes)


def google_token(w: World, **changes) -> str:
    claims = {"email": "bo@acme.example", "email_verified": True}
    return mint(w.google, "https://accounts.google.com", GOOGLE_AUD, claims, **changes)


def host_token(w: World, email: str) -> str:
    issuer = chatseal.Issuer(w.host, issuer=HOST_ISS, audience="chat-platform",
                             platform_key=w.platform.encryption_key(),
                             payload_format=PayloadFormat.JWE)
    return issuer.mint("host-user-7", context={"plan": "pro", "seats": 3}, sso_token=SSO,
                       claims={"email": email})


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_accepted_tokens_give_the_identity(world):
    w = world
    who = w.tenant.verify(entra_token(w), participant="oid-ana")
    assert (who.tenant_id(), who.provider(), who.user_id()) == ("acme", "entra", "oid-ana")
    assert who.email() == "Ana@ACME.example"
    assert who.groups() == ["chat-users", "staff"]
    assert who.sso_token() is None
    who = w.tenant.verify(host_token(w, "ana@acme.example"))
    assert who.provider() == "host-app" and who.user_id() == "host-user-7"
    assert who.claims()["context.plan"] == "pro" and who.claims()["context.seats"] == 3
    assert "user_payload" not in who.claims()
    assert who.sso_token() == SSO
    assert SSO not in repr(who) and SSO not in str(who)
    who = w.tenant.verify(google_token(w))
    assert who.provider() == "google" and who.email() == "bo@acme.example"


def refusal_rows(w: World):
    """(code, exception class, message fragment, call) per refusal, the rows
    of `every_refusal_code` in tests/tests/policy.rs plus the request-level
    codes (origin, API key, no credentials)."""
    es_key = chatseal.ClientSigningKey.generate(Algorithm.ES256).with_kid("entra-1")
    impostor = chatseal.ClientSigningKey.generate(Algorithm.RS256, rsa_bits=2048).with_kid("entra-1")
    rotated = chatseal.ClientSigningKey.generate(Algorithm.RS256, rsa_bits=2048).with_kid("entra-2")
    iss = entra_iss()
    ok = entra_token(w)

    narrow_doc = json.loads(json.dumps(w.doc))
    narrow_doc["allowedProviders"] = ["google", "host-app"]
    narrow = w.tenant_of(narrow_doc)

    down_doc = json.loads(json.dumps(w.doc))
    h = down_doc["providers"]["host-app"]
    del h["jwks"]
    h["jwksUri"] = f"http://127.0.0.1:{closed_port()}/jwks.json"
    h["requireHttpsMetadata"] = False
    down = w.tenant_of(down_doc)

    origins_doc = json.loads(json.dumps(w.doc))
    origins_doc["allowedOrigins"] = ["https://app.acme.example"]
    with_origins = w.tenant_of(origins_doc)

    registry = chatseal.TenantRegistry()
    slot = chatseal.ApiKeySlot()
    slot.generate()
    wrong_key = chatseal.ApiKeySlot().generate()

    CR, IS = ChatsealError.ClaimRejected, ChatsealError.InvalidSignature
    return [
        ("no_provider_for_issuer", CR,
         "no provider of tenant `acme` has issuer `https://evil.example`",
         lambda: w.tenant.verify(mint(w.entra, "https://evil.example", ENTRA_AUD, ENTRA_CLAIMS))),
        ("provider_not_allowed", CR, "Provider not allowed for tenant",
         lambda: narrow.verify(ok)),
        ("no_providers_configured", CR, "No OIDC providers configured for tenant `globex`",
         lambda: registry.verify("globex", ok)),
        ("algorithm_not_allowed", IS, "Signing algorithm not allowed",
         lambda: w.tenant.verify(mint(es_key, iss, ENTRA_AUD, ENTRA_CLAIMS))),
        ("scope_missing", CR, "Required scope missing: `chat.write`",
         lambda: w.tenant.verify(entra_token(w, scp="chat.read"))),
        ("invalid_audience", CR, "is not among the verifier's audiences",
         lambda: w.tenant.verify(mint(w.entra, iss, "api://other", ENTRA_CLAIMS))),
        ("claim_rule_failed", CR, "additionalClaims[0] `tid equals",
         lambda: w.tenant.verify(entra_token(w, tid="other-tid"))),
        ("claim_rule_failed", CR, "additionalClaims[1] `roles contains",
         lambda: w.tenant.verify(entra_token(w, roles=["chat.user"]))),
        ("claim_rule_failed", CR, "additionalClaims[2] `acct not_equals [1]`",
         lambda: w.tenant.verify(entra_token(w, acct=1))),
        ("claim_rule_failed", CR, "the token has no such claim",
         lambda: w.tenant.verify(entra_token(w, tid=DROP))),
        ("user_not_allowed", CR, "`eve@acme.example` is not in allowedUsers",
         lambda: w.tenant.verify(host_token(w, "eve@acme.example"))),
        ("email_domain_not_allowed", CR, "`ana@acme.example.evil` is not in allowedEmailDomains",
         lambda: w.tenant.verify(entra_token(w, email="ana@acme.example.evil"))),
        ("email_domain_not_allowed", CR, "(none: the token has no `email`)",
         lambda: w.tenant.verify(entra_token(w, email=DROP))),
        ("required_group_missing", CR, "has none of requiredGroups",
         lambda: w.tenant.verify(entra_token(w, groups=["Chat-Users"]))),
        ("email_not_verified", CR, "requireEmailVerified",
         lambda: w.tenant.verify(google_token(w, email_verified=False))),
        ("email_not_verified", CR, "requireEmailVerified",
         lambda: w.tenant.verify(google_token(w, email_verified=DROP))),
        ("participant_mismatch", CR, "participant id `oid-bob` is not the token's user id `oid-ana`",
         lambda: w.tenant.verify(ok, participant="oid-bob")),
        ("expired", ChatsealError.Expired, "token expired",
         lambda: w.tenant.verify(at(w.entra, iss, ENTRA_AUD, ENTRA_CLAIMS, -3 * 3600))),
        ("not_yet_valid", CR, "not valid before",
         lambda: w.tenant.verify(at(w.entra, iss, ENTRA_AUD, ENTRA_CLAIMS, 3600))),
        ("invalid_signature", IS, "signature is invalid",
         lambda: w.tenant.verify(mint(impostor, iss, ENTRA_AUD, ENTRA_CLAIMS))),
        ("unknown_kid", IS, "token kid `entra-2` names none",
         lambda: w.tenant.verify(mint(rotated, iss, ENTRA_AUD, ENTRA_CLAIMS))),
        ("jwks_unavailable", ChatsealError.Io, "provider `host-app`: fetching http://127.0.0.1:",
         lambda: down.verify(host_token(w, "ana@acme.example"))),
        ("origin_not_allowed", CR, "`https://app.acme.example.evil.test`",
         lambda: with_origins.verify(ok, origin="https://app.acme.example.evil.test")),
        ("api_key_invalid", CR, "the API key is not this service's current key",
         lambda: chatseal.authenticate(w.tenant, slot, api_key=wrong_key, bearer_token=ok)),
        ("no_credentials", CR, "neither an API key nor a bearer token",
         lambda: chatseal.authenticate(w.tenant, slot)),
    ]


# The statuses of tests/tests/policy.rs's rows as chatseal answers them: 403
# for a policy refusal of a valid token, 401 for the token or credentials,
# 404 an unknown tenant, 503 keys that cannot be fetched.
STATUS = {
    **dict.fromkeys(["provider_not_allowed", "scope_missing", "claim_rule_failed",
                     "user_not_allowed", "email_domain_not_allowed", "required_group_missing",
                     "email_not_verified", "participant_mismatch", "origin_not_allowed"], 403),
    **dict.fromkeys(["no_provider_for_issuer", "algorithm_not_allowed", "invalid_audience",
                     "expired", "not_yet_valid", "invalid_signature", "unknown_kid",
                     "api_key_invalid", "no_credentials"], 401),
    "no_providers_configured": 404,
    "jwks_unavailable": 503,
}


def test_every_refusal_code(world):
    w = world
    seen = set()
    for code, cls, fragment, call in refusal_rows(w):
        with pytest.raises(ChatsealError) as e:
            call()
        err = e.value
        assert err.code == code, (code, str(err))
        assert isinstance(err, cls), (code, type(err))
        assert fragment in str(err) and str(err) == err.reason, (code, str(err))
        assert SSO not in str(err) and SSO not in repr(err)
        # The answer a service gives, from chatseal's refusal_status.
        assert err.http_status == STATUS[code], code
        if err.http_status in (401, 403):
            assert err.www_authenticate.startswith('Bearer realm="chatseal"')
        else:
            assert err.www_authenticate is None
        seen.add(code)
    # Every code of chatseal::rules and of the README's list has a row.
    assert seen == {
        "no_provider_for_issuer", "provider_not_allowed", "no_providers_configured",
        "algorithm_not_allowed", "scope_missing", "invalid_audience", "claim_rule_failed",
        "user_not_allowed", "email_domain_not_allowed", "required_group_missing",
        "email_not_verified", "participant_mismatch", "expired", "not_yet_valid",
        "invalid_signature", "unknown_kid", "jwks_unavailable", "origin_not_allowed",
        "api_key_invalid", "no_credentials",
    }
    # The valid token itself passes, so each row fails for its own reason.
    assert w.tenant.verify(entra_token(w), participant="oid-ana").user_id() == "oid-ana"


def test_token_of_another_provider_is_refused_by_its_keys(world):
    # The google key signs a token that claims the entra issuer: the entra
    # provider's keys decide.
    w = world
    forged = mint(w.google.with_kid("entra-1"), entra_iss(), ENTRA_AUD, ENTRA_CLAIMS)
    with pytest.raises(ChatsealError.InvalidSignature) as e:
        w.tenant.verify(forged)
    assert e.value.code == "invalid_signature"


def test_registry(world):
    w = world
    registry = chatseal.TenantRegistry()
    assert registry.get("acme") is None
    assert registry.insert(w.tenant) is None
    got = registry.get("acme")
    assert got is not None and got.tenant_id() == "acme"
    who = registry.verify("acme", entra_token(w), participant="oid-ana")
    assert who.user_id() == "oid-ana"

    # Replacing a tenant returns the previous verifier; the new one decides.
    strict_doc = json.loads(json.dumps(w.doc))
    strict_doc["providers"]["entra"]["allowedEmailDomains"] = ["other.example"]
    previous = registry.insert(w.tenant_of(strict_doc))
    assert previous is not None and previous.tenant_id() == "acme"
    with pytest.raises(ChatsealError.ClaimRejected) as e:
        registry.verify("acme", entra_token(w))
    assert e.value.code == "email_domain_not_allowed"
    # The registry checks the origin too, before the token.
    origins_doc = json.loads(json.dumps(w.doc))
    origins_doc["allowedOrigins"] = ["https://app.acme.example"]
    registry.insert(w.tenant_of(origins_doc))
    with pytest.raises(ChatsealError) as e:
        registry.verify("acme", "not-a-token", origin="null")
    assert e.value.code == "origin_not_allowed"
    assert registry.verify("acme", entra_token(w), origin="https://APP.acme.example:443").user_id() == "oid-ana"

    removed = registry.remove("acme")
    assert removed is not None and removed.tenant_id() == "acme"
    assert registry.remove("acme") is None
    with pytest.raises(ChatsealError) as e:
        registry.verify("acme", entra_token(w))
    assert e.value.code == "no_providers_configured"
    assert repr(registry) == "TenantRegistry { tenants: {} }"


def test_api_key_decides_over_the_jwt(world):
    w = world
    slot = chatseal.ApiKeySlot()
    key = slot.generate()
    jwt = entra_token(w)
    # With an API key present, the token is not looked at.
    a = chatseal.authenticate(w.tenant, slot, api_key=key, bearer_token="garbage",
                              participant="someone-else")
    assert a.kind() == AuthenticatedKind.API_KEY and a.identity() is None
    assert key[4:] not in repr(a)

    # A wrong (old) key is refused even with a valid JWT beside it.
    new = slot.regenerate()
    with pytest.raises(ChatsealError.ClaimRejected) as e:
        chatseal.authenticate(w.tenant, slot, api_key=key, bearer_token=jwt)
    assert e.value.code == "api_key_invalid"
    assert key[4:] not in str(e.value)

    a = chatseal.authenticate(w.tenant, slot, bearer_token=jwt, participant="oid-ana")
    assert a.kind() == AuthenticatedKind.USER
    assert a.identity().user_id() == "oid-ana"
    with pytest.raises(ChatsealError) as e:
        chatseal.authenticate(w.tenant, slot, bearer_token=jwt, participant="oid-bob")
    assert e.value.code == "participant_mismatch"
    with pytest.raises(ChatsealError) as e:
        chatseal.authenticate(w.tenant, slot)
    assert e.value.code == "no_credentials"

    # A user's sso_token stays out of the outcome's repr.
    a = chatseal.authenticate(w.tenant, slot, bearer_token=host_token(w, "ana@acme.example"))
    assert a.identity().sso_token() == SSO
    assert SSO not in repr(a)

    # Delete: the newest key dies too; only the hash was ever stored.
    stored = slot.to_stored()
    assert stored.startswith("sha256:") and new[4:] not in stored
    slot.delete()
    with pytest.raises(ChatsealError) as e:
        chatseal.authenticate(w.tenant, slot, api_key=new)
    assert e.value.code == "api_key_invalid"


def test_origins_and_anonymous_security():
    idp = chatseal.ClientSigningKey.generate(Algorithm.ES256)

    def config(**extra):
        doc = {"tenantId": "acme", "providers": {"p": {
            "issuer": "https://idp", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"], "jwks": jwks_of(idp)}}}
        doc.update(extra)
        return chatseal.TenantConfig.from_json(json.dumps(doc))

    open_ = config()
    assert open_.allowed_origins() == [] and open_.security() == chatseal.SecurityMode.ON
    assert any("allowedOrigins" in m for m in open_.warnings())
    c = config(allowedOrigins=["HTTPS://Host.Example:443/"], security="anonymous")
    assert c.allowed_origins() == ["https://host.example"]
    assert c.security() == chatseal.SecurityMode.ANONYMOUS
    assert c.provider_names() == ["p"]
    for bad in ({"allowedOrigins": ["https://host.example/*"]}, {"allowedOrigins": ["*"]},
                {"security": "off"}):
        with pytest.raises(ChatsealError.Config) as e:
            config(**bad)
        assert e.value.code == "invalid_config"

    tenant = chatseal.TenantVerifier(c)
    assert tenant.tenant_id() == "acme"
    assert tenant.allowed_origins() == ["https://host.example"]
    assert tenant.security() == chatseal.SecurityMode.ANONYMOUS
    slot = chatseal.ApiKeySlot()
    token = chatseal.Issuer(idp, issuer="https://idp", audience="chat").mint("u1")
    # The origin is checked on every request, before any credential.
    for origin in ("https://host.example.evil.test", "http://host.example", "null"):
        for bearer in (token, None):
            with pytest.raises(ChatsealError) as e:
                chatseal.authenticate(tenant, slot, bearer_token=bearer, origin=origin)
            assert e.value.code == "origin_not_allowed", origin
        with pytest.raises(ChatsealError) as e:
            tenant.check_origin(origin)
        assert e.value.code == "origin_not_allowed"
    tenant.check_origin(None)
    tenant.check_origin("https://HOST.example")
    a = chatseal.authenticate(tenant, slot, bearer_token=token, origin="https://HOST.example")
    assert a.kind() == AuthenticatedKind.USER
    # Anonymous: no credentials pass; a bad credential is still refused.
    a = chatseal.authenticate(tenant, slot, origin="https://host.example")
    assert a.kind() == AuthenticatedKind.ANONYMOUS and a.identity() is None
    with pytest.raises(ChatsealError.MalformedToken):
        chatseal.authenticate(tenant, slot, bearer_token="a.b.c")
    # With security on, no credentials is refused.
    with pytest.raises(ChatsealError) as e:
        chatseal.authenticate(chatseal.TenantVerifier(open_), slot, origin="https://anywhere.example")
    assert e.value.code == "no_credentials"


def test_sealed_example_round_trips_and_refuses_changed_keys():
    text = FIXTURE.read_text()
    base, purpose = "base-secret-0123456789abcdef", "tenant-oidc-secret-0123456789"
    sealed = chatseal.seal_config(text, base, purpose)
    assert "acme" not in sealed
    assert chatseal.unseal_config(sealed, base, purpose) == text
    c = chatseal.TenantConfig.from_sealed(sealed, base, purpose, "acme")
    assert c.tenant_id() == "acme"
    assert c.provider_names() == ["entra", "google", "host-app"]
    with pytest.raises(ChatsealError.Config) as e:
        chatseal.TenantConfig.from_sealed(sealed, base, purpose, "globex")
    assert e.value.code == "invalid_config" and "tenantId mismatch" in str(e.value)
    with pytest.raises(ChatsealError.Config) as e:
        chatseal.TenantConfig.from_json_for_tenant(text, "globex")
    assert "tenantId mismatch" in str(e.value)
    with pytest.raises(ChatsealError.Config) as e:
        chatseal.TenantConfig.from_sealed(sealed, base, "tenant-oidc-secret-rotated!!", "acme")
    assert e.value.code == "config_keys_changed"
    assert str(e.value) == "the encryption keys may have changed; re-save the configuration"


def test_identity_provider_issuer_urls():
    IdP = chatseal.IdentityProvider
    table = [
        (IdP.entra("72f988bf-86f1-41af-91ab-2d7cd011db47"),
         "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"),
        (IdP.entra("contoso.onmicrosoft.com"),
         "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"),
        (IdP.okta("dev-123.okta.com"), "https://dev-123.okta.com/oauth2/default"),
        (IdP.google(), "https://accounts.google.com"),
        (IdP.explicit("https://auth.example/realms/x"), "https://auth.example/realms/x"),
    ]
    for provider, want in table:
        assert provider.issuer_url() == want
    assert "Okta" in repr(IdP.okta("dev-123.okta.com"))
    for bad in (IdP.entra(""), IdP.entra("x/../evil"), IdP.okta("https://acme.okta.com"),
                IdP.okta("acme.okta.com/oauth2"), IdP.explicit("http://auth.example"),
                IdP.explicit("auth.example")):
        with pytest.raises(ChatsealError.Config) as e:
            bad.issuer_url()
        assert e.value.code == "invalid_config"


def test_readme_tenant_example_runs(world):
    import re

    readme = Path(__file__).resolve().parent.parent / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)
    block = next(b for b in blocks if "TenantVerifier" in b)
    logged = []

    class Log:
        def warning(self, *args):
            logged.append(args)

    class Files:
        def __init__(self, text):
            self.text = text

        def read(self):
            return self.text

    w = world
    scope = {
        "chatseal": chatseal,
        "open": lambda path: Files(json.dumps(w.doc)),
        "platform_private_key": w.platform,
        "token": host_token(w, "ana@acme.example"),
        "participant_id": "host-user-7",
        "origin_header": None,
        "log": Log(),
    }
    exec(compile(block, str(readme), "exec"), scope)
    assert (scope["user"], scope["email"], scope["sso"]) == ("host-user-7", "ana@acme.example", SSO)
    scope["token"] = entra_token(w, email="eve@evil.example")
    exec(compile(block, str(readme), "exec"), scope)
    assert logged and logged[0][2] == "email_domain_not_allowed"


def test_registry_changes_while_other_threads_verify(world):
    # Threads verify through the registry while it is changed: each call sees
    # the tenant before or after a change, never an error from a half change.
    import threading

    w = world
    registry = chatseal.TenantRegistry()
    registry.insert(w.tenant)
    token = entra_token(w)
    errors, done = [], threading.Event()

    def verify() -> None:
        while not done.is_set():
            try:
                assert registry.verify("acme", token, participant="oid-ana").user_id() == "oid-ana"
            except Exception as e:  # noqa: BLE001 (collected for the assertion below)
                errors.append(e)
                return

    threads = [threading.Thread(target=verify) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(50):
            registry.insert(w.tenant_of(w.doc))
            registry.insert(w.tenant)
    finally:
        done.set()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
