//! Many tenants, and the API key / JWT precedence.

use super::*;

// ---------------------------------------------------------------------------
// Many tenants, and the API key / JWT precedence.
// ---------------------------------------------------------------------------

/// The verifiers of many tenants, by tenant id. A tenant without a
/// configuration refuses every token with `no_providers_configured`.
///
/// Cloning is cheap (the verifiers are shared), so a service can keep the
/// registry behind an `Arc`, change a copy and swap it in whole.
///
/// ```
/// use chatseal::TenantRegistry;
/// let registry = TenantRegistry::new();
/// let err = registry.verify("acme", "a.b.c", None).unwrap_err();
/// assert_eq!(err.code(), "no_providers_configured");
/// assert!(err.to_string().starts_with("No OIDC providers configured for tenant"));
/// ```
#[derive(Debug, Default, Clone)]
pub struct TenantRegistry {
    tenants: BTreeMap<String, Arc<TenantVerifier>>,
}

impl TenantRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a tenant's verifier (owned, or shared behind an
    /// `Arc`); returns the previous one.
    pub fn insert(
        &mut self,
        tenant: impl Into<Arc<TenantVerifier>>,
    ) -> Option<Arc<TenantVerifier>> {
        let tenant = tenant.into();
        self.tenants.insert(tenant.tenant_id.clone(), tenant)
    }

    /// Removes a tenant's verifier.
    pub fn remove(&mut self, tenant_id: &str) -> Option<Arc<TenantVerifier>> {
        self.tenants.remove(tenant_id)
    }

    /// A tenant's verifier.
    pub fn get(&self, tenant_id: &str) -> Option<&Arc<TenantVerifier>> {
        self.tenants.get(tenant_id)
    }

    /// Verifies a token for `tenant_id` (see [`TenantVerifier::verify`]).
    pub fn verify(
        &self,
        tenant_id: &str,
        token: &str,
        participant_id: Option<&str>,
    ) -> Result<VerifiedIdentity> {
        self.tenant(tenant_id)?.verify(token, participant_id)
    }

    /// Verifies a request for `tenant_id` that carries only a token: an
    /// unknown tenant is refused (`no_providers_configured`), then
    /// [`TenantVerifier::verify_request`] checks the `Origin` and the token.
    pub fn verify_request(
        &self,
        tenant_id: &str,
        token: &str,
        participant_id: Option<&str>,
        origin: Option<&str>,
    ) -> Result<VerifiedIdentity> {
        self.tenant(tenant_id)?
            .verify_request(token, participant_id, origin)
    }

    fn tenant(&self, tenant_id: &str) -> Result<&Arc<TenantVerifier>> {
        self.tenants
            .get(tenant_id)
            .ok_or_else(|| super::request::unknown_tenant(tenant_id))
    }
}

/// The credentials a request carries.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestCredentials<'a> {
    /// The API key (e.g. from an `X-Api-Key` header).
    pub api_key: Option<&'a str>,
    /// The bearer token (a JWT).
    pub bearer_token: Option<&'a str>,
    /// The participant id the request acts for.
    pub participant_id: Option<&'a str>,
    /// The request's `Origin` header, when a browser sent one.
    pub origin: Option<&'a str>,
}

/// Who a request was authenticated as.
#[derive(Debug)]
pub enum Authenticated {
    /// The service's API key: the caller is the service's operator (admin
    /// and analytics endpoints), not a chat user.
    ApiKey,
    /// A chat user, vouched for by one of the tenant's providers.
    User(Box<VerifiedIdentity>),
    /// No credentials, let through because the tenant's `security` is
    /// `anonymous` (public demos).
    Anonymous,
}

/// Authenticates a request, with a fixed precedence: first the `Origin`
/// against the tenant's `allowedOrigins` (on every request, whatever the
/// credentials); then, **when an API key is present it alone decides and the
/// JWT is not looked at**; a wrong API key is refused (`api_key_invalid`)
/// even when a valid JWT is present too. Without an API key the bearer token
/// is verified by `tenant` (with the participant id check). Without either,
/// the request is refused (`no_credentials`), unless the tenant's `security`
/// is `anonymous`: then it passes as [`Authenticated::Anonymous`] (a
/// credential that is present is still checked, and a bad one refused).
///
/// ```
/// use chatseal::*;
/// let mut slot = ApiKeySlot::empty();
/// let key = slot.generate()?;
/// # let idp = ClientSigningKey::generate(Algorithm::ES256)?;
/// # let jwks = ClientVerifyingKey::to_jwks([idp.verifying_key()]).to_json();
/// # let config = TenantConfig::from_json(&format!(r#"{{"tenantId":"t","providers":{{"p":{{
/// #   "issuer":"https://idp","expectedAudience":"chat","acceptedAlgorithms":["ES256"],"jwks":{jwks}}}}}}}"#))?;
/// let tenant = TenantVerifier::new(&config, &[])?;
/// let creds = RequestCredentials {
///     api_key: Some(key.expose_secret()),
///     bearer_token: Some("not.even.a-token"),
///     participant_id: None,
///     origin: None,
/// };
/// assert!(matches!(authenticate(&creds, &slot, &tenant)?, Authenticated::ApiKey));
/// # Ok::<(), chatseal::Error>(())
/// ```
pub fn authenticate(
    credentials: &RequestCredentials<'_>,
    api_keys: &ApiKeySlot,
    tenant: &TenantVerifier,
) -> Result<Authenticated> {
    authenticate_with(credentials, api_keys, tenant, |t, p| {
        tenant.verify(t, p).map(Box::new)
    })
}

/// The precedence of [`authenticate`], with `verify` checking the bearer
/// token (directly or through a cache).
pub(super) fn authenticate_with(
    credentials: &RequestCredentials<'_>,
    api_keys: &ApiKeySlot,
    tenant: &TenantVerifier,
    verify: impl FnOnce(&str, Option<&str>) -> Result<Box<VerifiedIdentity>>,
) -> Result<Authenticated> {
    tenant.check_origin(credentials.origin)?;
    if let Some(k) = credentials.api_key {
        return if api_keys.verify(k) {
            Ok(Authenticated::ApiKey)
        } else {
            Err(denied(
                rules::API_KEY_INVALID,
                "the API key is not this service's current key (it may have been regenerated \
                 or deleted); an API key decides alone, so the request's JWT was not looked at",
            ))
        };
    }
    match credentials.bearer_token {
        Some(t) => Ok(Authenticated::User(verify(t, credentials.participant_id)?)),
        None if tenant.security() == SecurityMode::Anonymous => Ok(Authenticated::Anonymous),
        None => Err(denied(
            rules::NO_CREDENTIALS,
            "the request carries neither an API key nor a bearer token",
        )),
    }
}
