//! The platform side: tenant documents, their verifiers, a registry of
//! tenants, the identity a token proves, request authentication with API-key
//! precedence, sealed documents, API key slots and issuer URLs. Thin wrappers
//! over chatseal's `TenantConfig`, `TenantVerifier`, `TenantRegistry`,
//! `VerifiedIdentity`, `authenticate`, `seal_config`, `ApiKeySlot` and
//! `IdentityProvider`.

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

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
    /// Parses and validates a tenant document (JSON text). Every problem is
    /// an `invalid_config` error naming the member and the provider.
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(chatseal::TenantConfig::from_json(&text)?)))
    }

    /// Like `from_json`, and the document's `tenantId` must equal
    /// `tenant_id` (the tenant it was stored for).
    #[uniffi::constructor]
    pub fn from_json_for_tenant(text: String, tenant_id: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(
            chatseal::TenantConfig::from_json_for_tenant(&text, &tenant_id)?,
        )))
    }

    /// Opens a document sealed by `seal_config` with the same two secrets
    /// and parses it; its `tenantId` must equal `tenant_id`. Secrets that
    /// changed give `config_keys_changed`.
    #[uniffi::constructor]
    pub fn from_sealed(
        sealed: String,
        base_secret: String,
        purpose_secret: String,
        tenant_id: String,
    ) -> Result<Arc<Self>> {
        let keys = config_keys(base_secret, purpose_secret)?;
        Ok(Arc::new(Self(chatseal::TenantConfig::from_sealed(
            &sealed, &keys, &tenant_id,
        )?)))
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

    /// The tenant's `security` mode.
    pub fn security(&self) -> SecurityMode {
        self.0.security().into()
    }

    /// The providers' names (their keys in `providers`), in order.
    pub fn provider_names(&self) -> Vec<String> {
        self.0
            .providers()
            .iter()
            .map(|p| p.name().to_owned())
            .collect()
    }
}

/// A tenant's `security` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SecurityMode {
    /// Every request carries an API key or a token (the default).
    On,
    /// Public demos: a request without credentials passes as anonymous; a
    /// credential that is present is still verified, and a bad one refused.
    Anonymous,
}

impl From<chatseal::SecurityMode> for SecurityMode {
    fn from(m: chatseal::SecurityMode) -> Self {
        match m {
            chatseal::SecurityMode::On => Self::On,
            chatseal::SecurityMode::Anonymous => Self::Anonymous,
        }
    }
}

/// Verifies tokens for one tenant: provider selection, the provider's
/// signature and claim checks, then the tenant's rules. Build it once per
/// tenant document; `verify` from as many threads as you like.
///
/// A provider whose keys are at a `jwksUri` (or found by discovery from its
/// `authority`) fetches them on first use and caches them; `verify` may then
/// block for up to the fetch timeout, and an unreachable endpoint is an
/// `Io` error with code `jwks_unavailable`.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct TenantVerifier(Arc<chatseal::TenantVerifier>);

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
        Ok(Arc::new(Self(Arc::new(chatseal::TenantVerifier::new(
            &config.0, &keys,
        )?))))
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
        Ok(Arc::new(VerifiedIdentity(self.0.verify_request(
            &token,
            participant.as_deref(),
            origin.as_deref(),
        )?)))
    }

    /// Checks a request's `Origin` header alone against `allowedOrigins`:
    /// `None` (not a browser request) and an empty list pass; anything else
    /// not listed raises `origin_not_allowed`.
    pub fn check_origin(&self, origin: Option<String>) -> Result<()> {
        Ok(self.0.check_origin(origin.as_deref())?)
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> String {
        self.0.tenant_id().to_owned()
    }

    /// The normalised `allowedOrigins` (empty: every origin).
    pub fn allowed_origins(&self) -> Vec<String> {
        self.0.allowed_origins().to_vec()
    }

    /// The tenant's `security` mode.
    pub fn security(&self) -> SecurityMode {
        self.0.security().into()
    }
}

/// The verifiers of many tenants, by tenant id. A tenant that is not in the
/// registry refuses every token with `no_providers_configured`.
///
/// Changes (`insert`, `remove`) build a new registry and swap it in whole,
/// so a `verify` running in another thread sees the old or the new set of
/// tenants, never half of a change, and is never blocked by a remote key
/// fetch of another call.
#[derive(Default, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct TenantRegistry(RwLock<Arc<chatseal::TenantRegistry>>);

/// The registry as it is now (its tenants), without the lock around it.
impl std::fmt::Debug for TenantRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.current(), f)
    }
}

impl TenantRegistry {
    fn current(&self) -> Arc<chatseal::TenantRegistry> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn change<T>(&self, f: impl FnOnce(&mut chatseal::TenantRegistry) -> T) -> T {
        let mut slot = self.0.write().unwrap_or_else(|p| p.into_inner());
        let mut next = chatseal::TenantRegistry::clone(&slot);
        let out = f(&mut next);
        *slot = Arc::new(next);
        out
    }
}

fn shared(v: Option<Arc<chatseal::TenantVerifier>>) -> Option<Arc<TenantVerifier>> {
    v.map(|v| Arc::new(TenantVerifier(v)))
}

#[uniffi::export]
impl TenantRegistry {
    /// An empty registry.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Adds a tenant's verifier under its tenant id, or replaces the one
    /// there; returns the previous one.
    pub fn insert(&self, verifier: Arc<TenantVerifier>) -> Option<Arc<TenantVerifier>> {
        shared(self.change(|r| r.insert(verifier.0.clone())))
    }

    /// Removes a tenant; returns its verifier.
    pub fn remove(&self, tenant_id: String) -> Option<Arc<TenantVerifier>> {
        shared(self.change(|r| r.remove(&tenant_id)))
    }

    /// A tenant's verifier, if the tenant is registered.
    pub fn get(&self, tenant_id: String) -> Option<Arc<TenantVerifier>> {
        shared(self.current().get(&tenant_id).cloned())
    }

    /// Verifies a token for `tenant_id`: an unknown tenant raises
    /// `no_providers_configured`; then as `TenantVerifier.verify` (the
    /// `origin`, then the token, then `participant`).
    #[uniffi::method(default(participant = None, origin = None))]
    pub fn verify(
        &self,
        tenant_id: String,
        token: String,
        participant: Option<String>,
        origin: Option<String>,
    ) -> Result<Arc<VerifiedIdentity>> {
        Ok(Arc::new(VerifiedIdentity(self.current().verify_request(
            &tenant_id,
            &token,
            participant.as_deref(),
            origin.as_deref(),
        )?)))
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
pub struct ApiKeySlot(Mutex<chatseal::ApiKeySlot>);

impl ApiKeySlot {
    fn slot(&self) -> MutexGuard<'_, chatseal::ApiKeySlot> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[uniffi::export]
impl ApiKeySlot {
    /// A slot from its stored form (`to_stored()`), or empty with `None`.
    #[uniffi::constructor(default(stored = None))]
    pub fn new(stored: Option<String>) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(Mutex::new(
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

/// Who a request was authenticated as (see `authenticate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AuthenticatedKind {
    /// The service's API key: the caller is the service's operator (admin
    /// and analytics endpoints), not a chat user.
    ApiKey,
    /// A chat user, vouched for by one of the tenant's providers.
    User,
    /// No credentials, let through because the tenant's `security` is
    /// `anonymous` (public demos).
    Anonymous,
}

/// The outcome of `authenticate`: `kind()`, and for a user the
/// `identity()`. Its `repr()` never shows the sso_token.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Authenticated {
    kind: AuthenticatedKind,
    identity: Option<Arc<VerifiedIdentity>>,
}

impl From<chatseal::Authenticated> for Authenticated {
    fn from(a: chatseal::Authenticated) -> Self {
        let (kind, identity) = match a {
            chatseal::Authenticated::ApiKey => (AuthenticatedKind::ApiKey, None),
            chatseal::Authenticated::User(who) => (
                AuthenticatedKind::User,
                Some(Arc::new(VerifiedIdentity(*who))),
            ),
            chatseal::Authenticated::Anonymous => (AuthenticatedKind::Anonymous, None),
        };
        Self { kind, identity }
    }
}

#[uniffi::export]
impl Authenticated {
    /// API key, user or anonymous.
    pub fn kind(&self) -> AuthenticatedKind {
        self.kind
    }

    /// The user's identity when `kind()` is `USER`, else `None`.
    pub fn identity(&self) -> Option<Arc<VerifiedIdentity>> {
        self.identity.clone()
    }
}

/// Authenticates a request for `tenant`, with a fixed precedence: first the
/// request's `origin` against `allowedOrigins` (on every request); then,
/// when an `api_key` is present it alone decides and the `bearer_token` is
/// not looked at (a wrong key raises `api_key_invalid` even beside a valid
/// token); without an API key the bearer token is verified (with the
/// `participant` check); without either the request is refused
/// (`no_credentials`) unless the tenant's `security` is `anonymous`.
#[uniffi::export(default(api_key = None, bearer_token = None, participant = None, origin = None))]
pub fn authenticate(
    tenant: Arc<TenantVerifier>,
    api_keys: Arc<ApiKeySlot>,
    api_key: Option<String>,
    bearer_token: Option<String>,
    participant: Option<String>,
    origin: Option<String>,
) -> Result<Arc<Authenticated>> {
    // A copy of the slot (a hash), so that a token check that waits for a
    // remote key set does not hold the slot's lock.
    let slot = api_keys.slot().clone();
    let credentials = chatseal::RequestCredentials {
        api_key: api_key.as_deref(),
        bearer_token: bearer_token.as_deref(),
        participant_id: participant.as_deref(),
        origin: origin.as_deref(),
    };
    Ok(Arc::new(
        chatseal::authenticate(&credentials, &slot, &tenant.0)?.into(),
    ))
}

/// An identity provider whose OIDC issuer URL chatseal builds, for a
/// provider's `issuer` in a tenant document:
/// `IdentityProvider.entra("contoso.onmicrosoft.com").issuer_url()`.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct IdentityProvider(chatseal::IdentityProvider);

#[uniffi::export]
impl IdentityProvider {
    /// Microsoft Entra ID (v2.0 endpoint) for a directory id (GUID) or a
    /// verified domain: `https://login.microsoftonline.com/{tenant}/v2.0`.
    #[uniffi::constructor]
    pub fn entra(tenant: String) -> Arc<Self> {
        Arc::new(Self(chatseal::IdentityProvider::Entra { tenant }))
    }

    /// Okta's default authorization server for a domain such as
    /// `dev-123.okta.com` (no scheme): `https://{domain}/oauth2/default`.
    #[uniffi::constructor]
    pub fn okta(domain: String) -> Arc<Self> {
        Arc::new(Self(chatseal::IdentityProvider::Okta { domain }))
    }

    /// Google: `https://accounts.google.com`.
    #[uniffi::constructor]
    pub fn google() -> Arc<Self> {
        Arc::new(Self(chatseal::IdentityProvider::Google))
    }

    /// Any other issuer, given as its exact `https://` URL.
    #[uniffi::constructor]
    pub fn explicit(url: String) -> Arc<Self> {
        Arc::new(Self(chatseal::IdentityProvider::Explicit(url)))
    }

    /// The issuer URL, exactly as the provider writes it into `iss`. Invalid
    /// input (a scheme or path in a domain, a non-HTTPS explicit URL) raises
    /// `invalid_config`.
    pub fn issuer_url(&self) -> Result<String> {
        Ok(self.0.issuer_url()?)
    }
}
