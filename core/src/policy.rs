//! The platform side, per tenant: which identity providers a tenant trusts,
//! which of their users may chat, and why a token was refused.
//!
//! A [`TenantConfig`] is a JSON document in the shape multi-tenant chat
//! platforms already use (Xians AI's tenant OIDC configuration) plus
//! chatseal's own key and access settings. A [`TenantVerifier`] built from
//! it picks the provider by the token's `iss` (then `aud`), lets that
//! provider's [`Verifier`] check signature, times, issuer and audience, and
//! then applies the tenant's policy rules. Every refusal is an [`Error`]
//! with a stable code: [`ErrorKind::PolicyDenied`] for policy rules (codes in
//! [`rules`]), the verifier's kinds (`expired`, `invalid_signature`, ...) for
//! token checks.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
#[cfg(feature = "remote-jwks")]
use std::sync::Mutex;
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::apikey::ApiKeySlot;
use crate::dangerous::insecure_decode;
use crate::encoding::parse_value;
use crate::error::{Error, ErrorKind, Result};
use crate::jwks::{check_url, JwksOptions};
#[cfg(feature = "remote-jwks")]
use crate::jwks::{KeySnapshot, RemoteJwks};
use crate::keys::{truncate_for_message, Algorithm, ClientVerifyingKey, PlatformDecryptionKey};
use crate::payload::PayloadFormat;
use crate::secret::SsoToken;
use crate::verifier::{Verifier, DEFAULT_MAX_TOKEN_SIZE};

mod cache;
mod config;
mod origin;
mod registry;
mod request;
#[cfg(test)]
mod tests;
mod verify;

pub use cache::{VerifiedCache, DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES};
use config::*;
pub use config::{ClaimOp, ClaimRule, ProviderConfig, TenantConfig};
use origin::{check_origin, validate_origins};
pub use origin::{normalize_origin, SecurityMode};
use registry::authenticate_with;
pub use registry::{authenticate, Authenticated, RequestCredentials, TenantRegistry};
pub use request::{
    authenticate_cached, extract_credentials, identity_headers, is_credential_parameter,
    is_stripped_header, refusal_status, unknown_tenant, www_authenticate, ExtractedCredentials,
    TokenSource, CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_MAX_AGE, IDENTITY_HEADER_PREFIX,
    MAX_CREDENTIAL_INPUT,
};
pub use verify::{TenantVerifier, VerifiedIdentity};

/// The stable codes of [`ErrorKind::PolicyDenied`] refusals.
pub mod rules {
    /// The token's `iss` matches no provider of the tenant.
    pub const NO_PROVIDER_FOR_ISSUER: &str = "no_provider_for_issuer";
    /// The provider that matches the token is not in `allowedProviders`.
    pub const PROVIDER_NOT_ALLOWED: &str = "provider_not_allowed";
    /// The tenant has no configuration (see [`crate::TenantRegistry`]).
    pub const NO_PROVIDERS_CONFIGURED: &str = "no_providers_configured";
    /// A scope the provider requires is not in `scope` / `scp`.
    pub const SCOPE_MISSING: &str = "scope_missing";
    /// An `additionalClaims` rule failed (the message says which).
    pub const CLAIM_RULE_FAILED: &str = "claim_rule_failed";
    /// The token's email is not in `allowedUsers`.
    pub const USER_NOT_ALLOWED: &str = "user_not_allowed";
    /// The token's email domain is not in `allowedEmailDomains`.
    pub const EMAIL_DOMAIN_NOT_ALLOWED: &str = "email_domain_not_allowed";
    /// The token has none of `requiredGroups`.
    pub const REQUIRED_GROUP_MISSING: &str = "required_group_missing";
    /// `requireEmailVerified` is on and `email_verified` is not true.
    pub const EMAIL_NOT_VERIFIED: &str = "email_not_verified";
    /// The request's participant id differs from the token's user id.
    pub const PARTICIPANT_MISMATCH: &str = "participant_mismatch";
    /// The request's API key is not the service's current key.
    pub const API_KEY_INVALID: &str = "api_key_invalid";
    /// The request carries neither an API key nor a token.
    pub const NO_CREDENTIALS: &str = "no_credentials";
    /// The request's `Origin` is not in the tenant's `allowedOrigins`.
    pub const ORIGIN_NOT_ALLOWED: &str = "origin_not_allowed";
    /// The request's credentials are in a shape no client should send: a
    /// token in two places, a second `Authorization` header, a scheme other
    /// than `Bearer` (see [`crate::extract_credentials`]).
    pub const INVALID_REQUEST: &str = "invalid_request";
}

pub(super) fn denied(rule: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::PolicyDenied { rule }, message)
}

pub(super) fn config_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidConfig, message)
}

/// Most providers a tenant may configure.
pub const MAX_PROVIDERS: usize = 5;
