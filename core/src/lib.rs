//! # chatseal
//!
//! Signed widget tokens for embedded chat, with the host user's on-behalf-of
//! `sso_token` encrypted so that only the platform can read it.
//!
//! - A **host backend** signs tokens with its *client* key
//!   ([`ClientSigningKey`], RS256/PS256/ES256) through an [`Issuer`], and
//!   encrypts the sso_token to the *platform* key
//!   ([`PlatformEncryptionKey`]) as a compact JWE or in IBM watsonx
//!   Orchestrate's format ([`PayloadFormat`]).
//! - The **platform** checks each token with a [`Verifier`] built from the
//!   host's [`ClientVerifyingKey`]s and decrypts the sso_token with its
//!   [`PlatformDecryptionKey`]s.
//!
//! ```
//! use chatseal::*;
//!
//! // Host: its own client key pair, and the platform's public key.
//! let client = ClientSigningKey::generate(Algorithm::ES256)?;
//! let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048)?; // lives at the platform
//! let issuer = Issuer::builder(client.clone())
//!     .issuer("https://host.example")
//!     .audience("chat-platform")
//!     .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
//!     .build()?;
//! let token = issuer.mint(&TokenRequest::new("user-42").sso_token(SsoToken::new("idp-token")))?;
//!
//! // Platform: the host's public key, its own private key.
//! let verifier = Verifier::builder([client.verifying_key().clone()])
//!     .issuer("https://host.example")
//!     .audience("chat-platform")
//!     .decryption_keys([platform], PayloadFormat::Jwe)
//!     .build()?;
//! let verified = verifier.verify(&token)?;
//! assert_eq!(verified.subject(), "user-42");
//! assert_eq!(verified.sso_token().map(|t| t.expose_secret()), Some("idp-token"));
//! # Ok::<(), chatseal::Error>(())
//! ```
//!
//! All cryptography is done by aws-lc-rs, behind one internal module.
//!
//! # Cargo features
//!
//! - `remote-jwks` (default): `RemoteJwks` fetches key sets over HTTPS
//!   (ureq, rustls on aws-lc-rs), and tenant documents may name `jwksUri` or
//!   `authority`. A host backend that only mints can leave it out,
//!   `chatseal = { version = "0.1", default-features = false }`, and
//!   compiles no HTTP or TLS crate; tenant documents that need fetched keys
//!   are then refused with [`ErrorKind::InvalidConfig`] ("built without
//!   remote-jwks").
//! - `pkcs11` (off by default): keys held in a PKCS#11 token (an HSM, a
//!   cloud HSM, SoftHSM2) behind the same types:
//!   `ClientSigningKey::from_pkcs11`, `PlatformDecryptionKey::from_pkcs11`,
//!   with `Pkcs11Module`, `Pkcs11Token`, `Pkcs11Uri` (RFC 7512) and
//!   `Pkcs11Pin`. Signing and decryption run inside the token.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod apikey;
mod backend;
mod der;
mod encoding;
mod error;
mod idp;
mod issuer;
mod jwks;
mod keys;
mod payload;
mod pem;
mod pkcs8enc;
mod policy;
mod sample_keys;
mod samples;
mod sealed;
mod secret;
mod token;
mod verifier;
#[cfg(test)]
mod wycheproof;

pub mod dangerous;

pub use apikey::{ApiKey, ApiKeyHash, ApiKeySlot, API_KEY_PREFIX};
#[cfg(feature = "pkcs11")]
pub use backend::pkcs11::{
    Pkcs11Module, Pkcs11ObjectType, Pkcs11Pin, Pkcs11Token, Pkcs11Uri, PKCS11_MODULE_ENV,
    PKCS11_PIN_ENV,
};
pub use error::{Error, ErrorKind, Result};
pub use idp::IdentityProvider;
pub use issuer::{
    Issuer, IssuerBuilder, NeedsAudience, NeedsIssuer, Ready, TokenRequest, DEFAULT_TTL, MAX_TTL,
};
#[cfg(feature = "remote-jwks")]
pub use jwks::RemoteJwks;
pub use jwks::{
    Clock, JwksOptions, KeySnapshot, ManualClock, SystemClock, DEFAULT_JWKS_COOLDOWN,
    DEFAULT_JWKS_MAX_AGE, DEFAULT_JWKS_MAX_BYTES, DEFAULT_JWKS_STALE_IF_ERROR,
    DEFAULT_JWKS_TIMEOUT,
};
pub use keys::{
    thumbprint_of_spki_pem, Algorithm, ClientSigningKey, ClientVerifyingKey, EcdhCurve,
    JweAlgorithm, Jwk, Jwks, PlatformDecryptionKey, PlatformEncryptionKey, RsaKeySize,
};
pub use payload::PayloadFormat;
pub use policy::{
    authenticate, authenticate_cached, extract_credentials, identity_headers,
    is_credential_parameter, is_stripped_header, normalize_origin, refusal_status, rules,
    unknown_tenant, www_authenticate, Authenticated, ClaimOp, ClaimRule, ExtractedCredentials,
    ProviderConfig, RequestCredentials, SecurityMode, TenantConfig, TenantRegistry, TenantVerifier,
    TokenSource, VerifiedCache, VerifiedIdentity, CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS,
    CORS_MAX_AGE, DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES, IDENTITY_HEADER_PREFIX,
    MAX_CREDENTIAL_INPUT, MAX_PROVIDERS,
};
pub use samples::published_sample_key;
pub use sealed::{
    seal_config, unseal_config, ConfigKeys, KEYS_CHANGED_MESSAGE, MIN_SECRET_LEN, SEALED_PREFIX,
};
pub use secret::{constant_time_eq, Passphrase, SecretBytes, SecretString, SsoToken};
pub use token::{Claims, Header};
pub use verifier::{
    VerifiedToken, Verifier, VerifierBuilder, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_SIZE,
};

/// The JSON crate chatseal's API uses for claims and context.
pub use serde_json;
