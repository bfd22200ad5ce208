//! The platform side for a tenant: a tenant document, its verifier, and the
//! identity a token proves. Thin wrappers over chatseal's `TenantConfig`,
//! `TenantVerifier` and `VerifiedIdentity`.

use std::sync::Arc;

use chatseal::serde_json::{Map, Value};

use crate::error::Result;
use crate::json::JsonObject;
use crate::keys::PlatformDecryptionKey;

/// A validated tenant document (providers, issuers, audiences, algorithms,
/// access rules, `allowedOrigins`, `security`). Unknown members are refused.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct TenantConfig(chatseal::TenantConfig);

#[uniffi::export]
impl TenantConfig {
    /// Parses and validates a tenant document (JSON text).
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(chatseal::TenantConfig::from_json(&text)?)))
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> String {
        self.0.tenant_id().to_owned()
    }

    /// The normalised `allowedOrigins` (empty: every origin).
    pub fn allowed_origins(&self) -> Vec<String> {
        self.0.allowed_origins().to_vec()
    }

    /// What an operator should know although the document is valid (an
    /// empty `allowedOrigins`, anonymous security).
    pub fn warnings(&self) -> Vec<String> {
        self.0.warnings()
    }
}

/// Verifies tokens for one tenant: provider selection, the provider's
/// signature and claim checks, then the tenant's rules. Build it once per
/// tenant document; `verify` from as many threads as you like.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct TenantVerifier(chatseal::TenantVerifier);

#[uniffi::export]
impl TenantVerifier {
    /// A verifier for `config`; `decryption_keys` are the platform keys its
    /// providers' `decryptionKeys` name by kid.
    #[uniffi::constructor(default(decryption_keys = []))]
    pub fn new(
        config: Arc<TenantConfig>,
        decryption_keys: Vec<Arc<PlatformDecryptionKey>>,
    ) -> Result<Arc<Self>> {
        let keys: Vec<chatseal::PlatformDecryptionKey> =
            decryption_keys.iter().map(|k| k.0.clone()).collect();
        Ok(Arc::new(Self(chatseal::TenantVerifier::new(
            &config.0, &keys,
        )?)))
    }

    /// Verifies `token`. `origin` (a browser request's `Origin` header) is
    /// checked against `allowedOrigins` first; `participant` (the chat
    /// request's participant id) must equal the token's user id. Refusals
    /// raise `ChatsealError` with the policy code (`e.code`, e.g.
    /// `email_domain_not_allowed`).
    #[uniffi::method(default(participant = None, origin = None))]
    pub fn verify(
        &self,
        token: String,
        participant: Option<String>,
        origin: Option<String>,
    ) -> Result<Arc<VerifiedIdentity>> {
        self.0.check_origin(origin.as_deref())?;
        Ok(Arc::new(VerifiedIdentity(
            self.0.verify(&token, participant.as_deref())?,
        )))
    }
}

/// Who a verified token says the user is. Its `repr()` never shows the
/// sso_token; read it with `sso_token()`.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct VerifiedIdentity(chatseal::VerifiedIdentity);

#[uniffi::export]
impl VerifiedIdentity {
    /// The tenant.
    pub fn tenant_id(&self) -> String {
        self.0.tenant_id().to_owned()
    }

    /// The provider that vouched for the token.
    pub fn provider(&self) -> String {
        self.0.provider().to_owned()
    }

    /// The user id (the provider's user id claims, default `sub` then `oid`).
    pub fn user_id(&self) -> String {
        self.0.user_id().to_owned()
    }

    /// The `email` claim, if any.
    pub fn email(&self) -> Option<String> {
        self.0.email().map(str::to_owned)
    }

    /// The groups (the provider's groups claim).
    pub fn groups(&self) -> Vec<String> {
        self.0.groups().to_vec()
    }

    /// The verified claims, flattened (a dict in Python).
    pub fn claims(&self) -> JsonObject {
        let map: Map<String, Value> = self
            .0
            .claims()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        JsonObject::from(map)
    }

    /// The decrypted sso_token, when the token carried one and the tenant
    /// has decryption keys. The one call that exposes it.
    pub fn sso_token(&self) -> Option<String> {
        self.0.sso_token().map(|t| t.expose_secret().to_owned())
    }
}

/// Encrypts a tenant document at rest (AES-256-GCM under a key derived with
/// HKDF-SHA256 from the two secrets); the document is validated first.
#[uniffi::export]
pub fn seal_config(text: String, base_secret: String, purpose_secret: String) -> Result<String> {
    chatseal::TenantConfig::from_json(&text)?;
    let keys = config_keys(base_secret, purpose_secret)?;
    Ok(chatseal::seal_config(&text, &keys)?)
}

/// Decrypts a sealed tenant document. Secrets that changed give
/// `config_keys_changed`, never garbage.
#[uniffi::export]
pub fn unseal_config(
    sealed: String,
    base_secret: String,
    purpose_secret: String,
) -> Result<String> {
    let keys = config_keys(base_secret, purpose_secret)?;
    Ok(chatseal::unseal_config(&sealed, &keys)?)
}

fn config_keys(base: String, purpose: String) -> Result<chatseal::ConfigKeys> {
    Ok(chatseal::ConfigKeys::new(
        chatseal::SecretString::new(base),
        chatseal::SecretString::new(purpose),
    )?)
}

/// A service's API key slot (Airgentic-style analytics key): only the key's
/// SHA-256 hash is kept; `generate` / `regenerate` return the key once.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct ApiKeySlot(std::sync::Mutex<chatseal::ApiKeySlot>);

impl ApiKeySlot {
    fn slot(&self) -> std::sync::MutexGuard<'_, chatseal::ApiKeySlot> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[uniffi::export]
impl ApiKeySlot {
    /// A slot from its stored form (`to_stored()`), or empty with `None`.
    #[uniffi::constructor(default(stored = None))]
    pub fn new(stored: Option<String>) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(std::sync::Mutex::new(
            chatseal::ApiKeySlot::from_stored(stored.as_deref())?,
        ))))
    }

    /// Creates the key (the slot must be empty); the key is returned once.
    pub fn generate(&self) -> Result<String> {
        Ok(self.slot().generate()?.expose_secret().to_owned())
    }

    /// Replaces the key: the old one dies at once; the new one is returned
    /// once.
    pub fn regenerate(&self) -> Result<String> {
        Ok(self.slot().regenerate()?.expose_secret().to_owned())
    }

    /// Deletes the key.
    pub fn delete(&self) {
        self.slot().delete();
    }

    /// Whether `key` is the slot's key (constant-time).
    pub fn verify(&self, key: String) -> bool {
        self.slot().verify(&key)
    }

    /// The stored form (the hash only), or `None` when empty.
    pub fn to_stored(&self) -> Option<String> {
        self.slot().to_stored()
    }
}
