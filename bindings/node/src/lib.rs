//! # chatseal-node
//!
//! Node.js bindings of [`chatseal`] (napi-rs): the native part of the npm
//! package `chatseal` in this folder.
//!
//! This crate holds no token logic, cryptography or policy: each class is a
//! thin wrapper around a chatseal (or `chatseal-keys`) type, options objects
//! become the core builders' calls, and every error is converted from
//! [`chatseal::Error`] (and the keyring's errors) in one place
//! ([`error::Failure`]) into the `Error` subclass `index.js` defines, with the
//! core `code` and message. Secrets cross into JavaScript only where the
//! caller asks: `SsoToken.expose()` and the `privatePem()` methods.
//!
//! Built by `napi build` (the package's `install` script), which also writes
//! `index.d.ts` from these signatures.

#![deny(missing_docs)]

pub mod error;
mod issuer;
mod json;
mod keyring;
mod keys;
mod tenant;
mod verifier;

pub use issuer::{Issuer, IssuerOptions, Mint, MintRequest};
pub use keyring::{
    ImportOptions, InitOptions, KeyInfo, Keyring, PassphraseOptions, PromoteOptions, Promotion,
    RetireOptions, RotateOptions,
};
pub use keys::{
    published_sample_key, ClientSigningKey, ClientVerifyingKey, GenerateDecryptionKey,
    GenerateOptions, GenerateSigningKey, PemOptions, PlatformDecryptionKey, PlatformEncryptionKey,
    PrivatePemOptions,
};
pub use tenant::{
    TenantOptions, TenantVerifier, TenantVerify, TenantVerifyOptions, VerifiedIdentity,
};
pub use verifier::{SsoToken, TokenHeader, VerifiedToken, Verifier, VerifierOptions, Verify};
