//! # chatseal-ffi
//!
//! uniffi bindings of [`chatseal`] for Python, Kotlin and Swift.
//!
//! This crate holds no logic of its own: each exported type is a thin,
//! `Send + Sync` wrapper around a chatseal type, built behind an `Arc`, and
//! every error is converted from [`chatseal::Error`] (and the keyring's
//! `chatseal_keys::Error`) in one place ([`ChatsealError`]). The keyring of
//! `chatseal-keys` is exposed too, so rotation scripts can be written in
//! Python. Secrets cross the boundary only where the caller asks
//! for them: the `sso_token()` of `VerifiedToken` and `VerifiedIdentity`,
//! the key `ApiKeySlot.generate()` / `regenerate()` return once, and the
//! `private_pem()` methods.
//!
//! The Python package is built by maturin (`pip install ./bindings`); Kotlin
//! and Swift sources come from the `uniffi-bindgen` binary of the
//! `chatseal-uniffi-bindgen` crate next to this one.

#![deny(missing_docs)]

mod error;
mod issuer;
mod json;
mod keyring;
mod keys;
mod tenant;
mod verifier;

pub use error::{ChatsealError, Result};
pub use issuer::Issuer;
pub use json::JsonObject;
pub use keyring::{keyring_exists, KeyAlgorithm, KeyInfo, KeyState, KeyUse, Keyring, Promotion};
pub use keys::{
    client_keys_from_jwks, jwks_json, published_sample_key, Algorithm, ClientSigningKey,
    ClientVerifyingKey, PayloadFormat, PlatformDecryptionKey, PlatformEncryptionKey,
};
pub use tenant::{
    authenticate, seal_config, unseal_config, ApiKeySlot, Authenticated, AuthenticatedKind,
    IdentityProvider, SecurityMode, TenantConfig, TenantRegistry, TenantVerifier, VerifiedIdentity,
};
pub use verifier::{VerifiedToken, Verifier};

uniffi::setup_scaffolding!("chatseal");
