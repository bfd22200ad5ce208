"""chatseal: signed widget tokens for embedded chat, with the user's
on-behalf-of sso_token encrypted so that only the platform can read it.

Python bindings of the chatseal Rust SDK: every call runs the Rust library
(aws-lc-rs underneath); nothing here re-implements crypto or policy.

Host backend, once at start-up, then per request::

    import chatseal

    key = chatseal.ClientSigningKey.from_pem(open("client.key.pem").read(),
                                             chatseal.Algorithm.RS256)
    platform = chatseal.PlatformEncryptionKey.from_pem(open("platform.pub.pem").read())
    issuer = chatseal.Issuer(key, issuer="https://host.example",
                             audience="chat-platform", platform_key=platform)
    token = issuer.mint("user-42", context={"email": email}, sso_token=idp_token)

Platform side, per tenant document::

    config = chatseal.TenantConfig.from_json(open("tenant.json").read())
    tenant = chatseal.TenantVerifier(config, decryption_keys=[platform_private])
    who = tenant.verify(token, participant=participant_id, origin=origin_header)

`TenantRegistry` holds the verifiers of many tenants; `authenticate` decides a
request that may carry an API key (`ApiKeySlot`), which then takes precedence
over its token. Refusals carry the policy code
(`e.code == "email_domain_not_allowed"`).

`context` and `claims` are dicts (any Mapping of JSON values), and a
`VerifiedToken`'s `claims()`, `context()` and `header()` are dicts.

Errors are `ChatsealError` subclasses (`ChatsealError.Expired`,
`ChatsealError.InvalidSignature`, ...) with `code` (stable, e.g. `expired`),
`reason` (the Rust error's message, also `str(e)`), and the answer a service
gives a request refused with it: `http_status` and `www_authenticate`.
"""

from ._native.chatseal import (
    Algorithm,
    ApiKeySlot,
    Authenticated,
    AuthenticatedKind,
    ChatsealError,
    ClientSigningKey,
    ClientVerifyingKey,
    EcdhCurve,
    IdentityProvider,
    InternalError,
    Issuer,
    KeyAlgorithm,
    KeyInfo,
    Keyring,
    KeyState,
    KeyUse,
    PayloadFormat,
    PlatformDecryptionKey,
    PlatformEncryptionKey,
    SecurityMode,
    TenantConfig,
    TenantRegistry,
    TenantVerifier,
    VerifiedIdentity,
    VerifiedToken,
    Verifier,
    Promotion,
    authenticate,
    client_keys_from_jwks,
    jwks_json,
    keyring_exists,
    published_sample_key,
    seal_config,
    unseal_config,
)


def _reason(self: ChatsealError) -> str:
    return self.reason


# uniffi renders an error's text as "code='...', reason='...'"; make str(e)
# the Rust error's message itself, as logs expect. The variants inherit it.
ChatsealError.__str__ = _reason  # type: ignore[method-assign]

__all__ = [
    "Algorithm",
    "ApiKeySlot",
    "Authenticated",
    "AuthenticatedKind",
    "ChatsealError",
    "ClientSigningKey",
    "ClientVerifyingKey",
    "EcdhCurve",
    "IdentityProvider",
    "InternalError",
    "Issuer",
    "KeyAlgorithm",
    "KeyInfo",
    "Keyring",
    "KeyState",
    "KeyUse",
    "PayloadFormat",
    "PlatformDecryptionKey",
    "PlatformEncryptionKey",
    "SecurityMode",
    "TenantConfig",
    "TenantRegistry",
    "TenantVerifier",
    "VerifiedIdentity",
    "VerifiedToken",
    "Verifier",
    "Promotion",
    "authenticate",
    "client_keys_from_jwks",
    "jwks_json",
    "keyring_exists",
    "published_sample_key",
    "seal_config",
    "unseal_config",
]
