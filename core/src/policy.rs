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
}

fn denied(rule: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::PolicyDenied { rule }, message)
}

fn config_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidConfig, message)
}

/// Most providers a tenant may configure.
pub const MAX_PROVIDERS: usize = 5;

// ---------------------------------------------------------------------------
// The document as written (serde), then validated into `TenantConfig`.
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTenant {
    tenant_id: Option<String>,
    #[serde(default)]
    allowed_providers: Option<Vec<String>>,
    #[serde(default)]
    providers: Option<BTreeMap<String, RawProvider>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawProvider {
    issuer: Option<String>,
    authority: Option<String>,
    expected_audience: Option<Value>,
    scope: Option<String>,
    require_signed_tokens: Option<bool>,
    accepted_algorithms: Option<Vec<String>>,
    require_https_metadata: Option<bool>,
    #[serde(default)]
    additional_claims: Vec<RawClaimRule>,
    provider_specific_settings: Option<RawSettings>,
    jwks: Option<Value>,
    jwks_uri: Option<String>,
    public_key_pem: Option<String>,
    decryption_keys: Option<Vec<String>>,
    payload_format: Option<String>,
    #[serde(default)]
    allowed_users: Vec<String>,
    #[serde(default)]
    allowed_email_domains: Vec<String>,
    #[serde(default)]
    required_groups: Vec<String>,
    groups_claim: Option<String>,
    require_email_verified: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaimRule {
    claim: String,
    op: String,
    value: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSettings {
    user_id_claim: Option<String>,
    user_id_claims: Option<Value>,
}

/// The comparison of an `additionalClaims` rule. All comparisons are
/// ordinal and case-sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOp {
    /// The claim (a single value) equals one of the rule's values.
    Equals,
    /// The claim (a single value) equals none of the rule's values.
    NotEquals,
    /// The claim, a string or an array, contains one of the rule's values
    /// (a substring of a string claim, an element of an array claim).
    Contains,
}

impl ClaimOp {
    fn as_str(self) -> &'static str {
        match self {
            Self::Equals => "equals",
            Self::NotEquals => "not_equals",
            Self::Contains => "contains",
        }
    }
}

/// One `additionalClaims` rule: `{claim, op, value}` where value is a
/// string, number, bool or an array of them.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRule {
    claim: String,
    op: ClaimOp,
    values: Vec<Value>,
}

impl ClaimRule {
    /// The claim the rule reads (a top-level name, or a dotted path into
    /// nested objects such as `context.plan`).
    pub fn claim(&self) -> &str {
        &self.claim
    }

    /// The comparison.
    pub fn op(&self) -> ClaimOp {
        self.op
    }

    /// The values compared with.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    fn describe(&self) -> String {
        let vals: Vec<String> = self.values.iter().map(Value::to_string).collect();
        format!("{} {} [{}]", self.claim, self.op.as_str(), vals.join(", "))
    }

    /// Whether the claims satisfy the rule. A missing claim fails every rule.
    fn holds(&self, claims: &Map<String, Value>) -> bool {
        let Some(c) = lookup(claims, &self.claim) else {
            return false;
        };
        match self.op {
            ClaimOp::Equals => is_scalar(c) && self.values.iter().any(|v| v == c),
            ClaimOp::NotEquals => is_scalar(c) && !self.values.iter().any(|v| v == c),
            ClaimOp::Contains => match c {
                Value::String(s) => self
                    .values
                    .iter()
                    .any(|v| v.as_str().is_some_and(|needle| s.contains(needle))),
                Value::Array(items) => self.values.iter().any(|v| items.contains(v)),
                _ => false,
            },
        }
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// A claim by exact top-level name, else by a dotted path into objects.
fn lookup<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(name) {
        return Some(v);
    }
    let mut parts = name.split('.');
    let mut cur = claims.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    Some(cur)
}

/// Why a tenant document that needs fetched keys is refused by a chatseal
/// built without the `remote-jwks` feature.
fn without_remote(member: &str) -> String {
    format!(
        "`{member}` needs keys fetched over HTTPS, but this chatseal was built without \
         remote-jwks (enable the `remote-jwks` cargo feature, or give the keys inline with \
         `jwks` or `publicKeyPem`)"
    )
}

#[derive(Clone)]
enum KeySpec {
    Inline(Vec<ClientVerifyingKey>),
    Uri(String),
    Discovery(String),
}

impl fmt::Debug for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inline(k) => write!(f, "Inline({} keys)", k.len()),
            Self::Uri(u) => write!(f, "Uri({u})"),
            Self::Discovery(a) => write!(f, "Discovery({a})"),
        }
    }
}

/// One validated provider of a tenant.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    name: String,
    issuer: String,
    audiences: Vec<String>,
    scopes: Vec<String>,
    algorithms: Vec<Algorithm>,
    require_https: bool,
    rules: Vec<ClaimRule>,
    user_id_claims: Vec<String>,
    keys: KeySpec,
    decryption_kids: Option<Vec<String>>,
    payload_format: PayloadFormat,
    allowed_users: Vec<String>,
    allowed_email_domains: Vec<String>,
    required_groups: Vec<String>,
    groups_claim: String,
    require_email_verified: bool,
}

impl ProviderConfig {
    /// The provider's name (its key in `providers`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The exact issuer its tokens carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The accepted audiences.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The accepted signature algorithms.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The scopes every token must carry.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The `additionalClaims` rules.
    pub fn claim_rules(&self) -> &[ClaimRule] {
        &self.rules
    }

    /// The claims tried, in order, for the user id.
    pub fn user_id_claims(&self) -> &[String] {
        &self.user_id_claims
    }

    /// Whether key URLs must be HTTPS.
    pub fn require_https_metadata(&self) -> bool {
        self.require_https
    }
}

/// A validated tenant configuration document.
///
/// ```
/// use chatseal::TenantConfig;
///
/// # #[cfg(feature = "remote-jwks")] { // `jwksUri` needs the default feature
/// let config = TenantConfig::from_json(r#"{
///   "tenantId": "acme",
///   "providers": {
///     "entra": {
///       "issuer": "https://login.microsoftonline.com/acme.example/v2.0",
///       "expectedAudience": ["api://chat"],
///       "jwksUri": "https://login.microsoftonline.com/acme.example/discovery/v2.0/keys",
///       "allowedEmailDomains": ["acme.example"]
///     }
///   }
/// }"#)?;
/// assert_eq!(config.tenant_id(), "acme");
/// assert_eq!(config.providers()[0].algorithms(), &[chatseal::Algorithm::RS256]);
/// # }
///
/// // A typo is refused, not ignored.
/// let err = TenantConfig::from_json(r#"{"tenantId": "acme", "provders": {}}"#).unwrap_err();
/// assert_eq!(err.kind(), chatseal::ErrorKind::InvalidConfig);
/// # Ok::<(), chatseal::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TenantConfig {
    tenant_id: String,
    allowed_providers: Option<BTreeSet<String>>,
    providers: Vec<ProviderConfig>,
}

/// Largest tenant document accepted, in bytes.
const MAX_CONFIG_LEN: usize = 1024 * 1024;

impl TenantConfig {
    /// Parses and validates a tenant document. Every problem is an
    /// [`ErrorKind::InvalidConfig`] naming the member and the provider.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.len() > MAX_CONFIG_LEN {
            return Err(config_error(format!(
                "tenant document is larger than {MAX_CONFIG_LEN} bytes"
            )));
        }
        let value = parse_value(json.as_bytes())
            .map_err(|e| config_error(format!("tenant document is not valid JSON: {e}")))?;
        let raw: RawTenant = serde_json::from_value(value)
            .map_err(|e| config_error(format!("tenant document: {e}")))?;
        Self::validate(raw)
    }

    /// Like [`TenantConfig::from_json`], and the document's `tenantId` must
    /// equal `tenant_id` (the tenant the document was stored for).
    pub fn from_json_for_tenant(json: &str, tenant_id: &str) -> Result<Self> {
        let c = Self::from_json(json)?;
        if c.tenant_id != tenant_id {
            return Err(config_error(format!(
                "tenantId mismatch: the document is for tenant `{}`, but was loaded for `{}`",
                truncate_for_message(&c.tenant_id),
                truncate_for_message(tenant_id)
            )));
        }
        Ok(c)
    }

    /// Opens a sealed tenant document ([`crate::seal_config`]) and parses
    /// it; its `tenantId` must equal `tenant_id`.
    pub fn from_sealed(sealed: &str, keys: &crate::ConfigKeys, tenant_id: &str) -> Result<Self> {
        Self::from_json_for_tenant(&crate::unseal_config(sealed, keys)?, tenant_id)
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The providers, ordered by name.
    pub fn providers(&self) -> &[ProviderConfig] {
        &self.providers
    }

    /// The names in `allowedProviders`, when the document restricts them.
    pub fn allowed_providers(&self) -> Option<&BTreeSet<String>> {
        self.allowed_providers.as_ref()
    }

    fn validate(raw: RawTenant) -> Result<Self> {
        let tenant_id = match raw.tenant_id {
            Some(t) if !t.trim().is_empty() && t.len() <= 256 => t,
            Some(_) => return Err(config_error("`tenantId` is empty or longer than 256 bytes")),
            None => return Err(config_error("`tenantId` is missing")),
        };
        let providers = raw.providers.unwrap_or_default();
        if providers.is_empty() {
            return Err(config_error(format!(
                "No OIDC providers configured for tenant `{}`: `providers` needs 1 to \
                 {MAX_PROVIDERS} entries",
                truncate_for_message(&tenant_id)
            )));
        }
        if providers.len() > MAX_PROVIDERS {
            return Err(config_error(format!(
                "tenant `{}` configures {} providers; at most {MAX_PROVIDERS} are allowed",
                truncate_for_message(&tenant_id),
                providers.len()
            )));
        }
        let allowed_providers = match raw.allowed_providers {
            None => None,
            Some(list) if list.is_empty() => None,
            Some(list) => {
                for n in &list {
                    if !providers.contains_key(n) {
                        return Err(config_error(format!(
                            "`allowedProviders` names `{}`, which is not a key of `providers`",
                            truncate_for_message(n)
                        )));
                    }
                }
                Some(list.into_iter().collect())
            }
        };
        let providers = providers
            .into_iter()
            .map(|(name, p)| validate_provider(name, p))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            tenant_id,
            allowed_providers,
            providers,
        })
    }
}

fn string_list(v: &Value, what: &str, provider: &str) -> Result<Vec<String>> {
    let bad = || {
        config_error(format!(
            "provider `{provider}`: `{what}` must be a string or an array of strings"
        ))
    };
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map(str::to_owned).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

fn validate_provider(name: String, p: RawProvider) -> Result<ProviderConfig> {
    if name.trim().is_empty() || name.len() > 64 {
        return Err(config_error(
            "a provider name is empty or longer than 64 bytes",
        ));
    }
    let n = truncate_for_message(&name);
    let err = |m: String| config_error(format!("provider `{n}`: {m}"));
    let issuer =
        match p.issuer {
            Some(i) if !i.trim().is_empty() => i,
            _ => return Err(err(
                "`issuer` is missing; it is required and matched exactly against the token's `iss`"
                    .into(),
            )),
        };
    if p.require_signed_tokens == Some(false) {
        return Err(err(
            "`requireSignedTokens: false` is refused; chatseal has no development mode that \
             accepts unsigned tokens"
                .into(),
        ));
    }
    let require_https = p.require_https_metadata.unwrap_or(true);
    let audiences = match &p.expected_audience {
        Some(v) => string_list(v, "expectedAudience", &n)?,
        None => Vec::new(),
    };
    if audiences.is_empty() || audiences.iter().any(|a| a.is_empty()) {
        return Err(err(
            "`expectedAudience` is missing or empty; without it a token minted for any other \
             application of the same identity provider would be accepted"
                .into(),
        ));
    }
    let algorithms = match p.accepted_algorithms {
        None => vec![Algorithm::RS256],
        Some(list) if list.is_empty() => {
            return Err(err("`acceptedAlgorithms` is empty".into()));
        }
        Some(list) => {
            let mut out = Vec::new();
            for a in &list {
                let alg = a
                    .parse::<Algorithm>()
                    .map_err(|e| err(format!("`acceptedAlgorithms`: {}", e.message())))?;
                if !out.contains(&alg) {
                    out.push(alg);
                }
            }
            out
        }
    };
    let scopes: Vec<String> = p
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut rules = Vec::new();
    for (i, r) in p.additional_claims.into_iter().enumerate() {
        let op = match r.op.as_str() {
            "equals" => ClaimOp::Equals,
            "not_equals" => ClaimOp::NotEquals,
            "contains" => ClaimOp::Contains,
            other => {
                return Err(err(format!(
                    "`additionalClaims[{i}]`: op `{}` is unknown; use equals, not_equals or \
                     contains",
                    truncate_for_message(other)
                )))
            }
        };
        if r.claim.is_empty() {
            return Err(err(format!("`additionalClaims[{i}]`: `claim` is empty")));
        }
        let values = match r.value {
            Value::Array(a) => a,
            v => vec![v],
        };
        if values.is_empty() || !values.iter().all(is_scalar) {
            return Err(err(format!(
                "`additionalClaims[{i}]`: `value` must be a string, number, bool or a non-empty \
                 array of them"
            )));
        }
        rules.push(ClaimRule {
            claim: r.claim,
            op,
            values,
        });
    }
    let user_id_claims = match p.provider_specific_settings {
        None => vec!["sub".to_owned(), "oid".to_owned()],
        Some(s) => {
            let list = match (s.user_id_claim, s.user_id_claims) {
                (Some(_), Some(_)) => {
                    return Err(err(
                        "set `userIdClaim` or `userIdClaims` in `providerSpecificSettings`, \
                         not both"
                            .into(),
                    ))
                }
                (Some(one), None) => vec![one],
                (None, Some(v)) => string_list(&v, "userIdClaims", &n)?,
                (None, None) => vec!["sub".to_owned(), "oid".to_owned()],
            };
            let split: Vec<String> = list
                .iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            if split.is_empty() {
                return Err(err("the user id claim list is empty".into()));
            }
            split
        }
    };
    let sources = [
        p.jwks.is_some(),
        p.jwks_uri.is_some(),
        p.public_key_pem.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if sources > 1 {
        return Err(err(
            "set exactly one of `jwks`, `jwksUri` and `publicKeyPem`".into(),
        ));
    }
    if let Some(a) = &p.authority {
        check_url(a, !require_https, "authority").map_err(|e| err(e.message().to_owned()))?;
    }
    let keys = if let Some(j) = &p.jwks {
        let keys = ClientVerifyingKey::from_jwks(&j.to_string())
            .map_err(|e| err(format!("`jwks`: {}", e.message())))?;
        let usable: Vec<_> = keys
            .into_iter()
            .filter(|k| algorithms.iter().any(|a| k.fits(*a)))
            .collect();
        if usable.is_empty() {
            return Err(err(format!(
                "`jwks` holds no key for the accepted algorithms {algorithms:?}"
            )));
        }
        KeySpec::Inline(usable)
    } else if let Some(u) = &p.jwks_uri {
        check_url(u, !require_https, "jwksUri").map_err(|e| err(e.message().to_owned()))?;
        if !cfg!(feature = "remote-jwks") {
            return Err(err(without_remote("jwksUri")));
        }
        KeySpec::Uri(u.clone())
    } else if let Some(pem_text) = &p.public_key_pem {
        // A PEM states no algorithm: `acceptedAlgorithms` decides.
        let key = ClientVerifyingKey::from_spki_pem_without_alg(pem_text)
            .map_err(|e| err(format!("`publicKeyPem`: {}", e.message())))?;
        if !algorithms.iter().any(|a| key.fits(*a)) {
            return Err(err(format!(
                "`publicKeyPem` is not a public key for the accepted algorithms \
                 {algorithms:?}: a {} key",
                if key.fits(Algorithm::ES256) {
                    "P-256"
                } else {
                    "RSA"
                }
            )));
        }
        KeySpec::Inline(vec![key])
    } else if let Some(a) = &p.authority {
        if !cfg!(feature = "remote-jwks") {
            return Err(err(without_remote("authority")));
        }
        KeySpec::Discovery(a.clone())
    } else {
        return Err(err(
            "no keys: set `jwks`, `jwksUri`, `publicKeyPem`, or `authority` (discovery)".into(),
        ));
    };
    let payload_format = match &p.payload_format {
        None => PayloadFormat::Jwe,
        Some(f) => f
            .parse::<PayloadFormat>()
            .map_err(|e| err(format!("`payloadFormat`: {}", e.message())))?,
    };
    let lower = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let allowed_users = lower(p.allowed_users);
    let allowed_email_domains: Vec<String> = lower(p.allowed_email_domains)
        .into_iter()
        .map(|d| d.trim_start_matches('@').to_owned())
        .collect();
    if let Some(u) = allowed_users.iter().find(|u| !u.contains('@')) {
        return Err(err(format!(
            "`allowedUsers` holds `{}`, which is not an email address",
            truncate_for_message(u)
        )));
    }
    Ok(ProviderConfig {
        issuer,
        audiences,
        scopes,
        algorithms,
        require_https,
        rules,
        user_id_claims,
        keys,
        decryption_kids: p.decryption_keys,
        payload_format,
        allowed_users,
        allowed_email_domains,
        required_groups: p.required_groups,
        groups_claim: p.groups_claim.unwrap_or_else(|| "groups".to_owned()),
        require_email_verified: p.require_email_verified.unwrap_or(false),
        name,
    })
}

// ---------------------------------------------------------------------------
// Verification.
// ---------------------------------------------------------------------------

/// Who a verified token says the user is, after every check passed.
pub struct VerifiedIdentity {
    tenant_id: String,
    provider: String,
    user_id: String,
    email: Option<String>,
    groups: Vec<String>,
    claims: BTreeMap<String, Value>,
    sso_token: Option<SsoToken>,
}

impl VerifiedIdentity {
    /// The tenant.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The provider (its name in the tenant document) that vouched for the
    /// token.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The user id: the first present claim of the provider's user id
    /// claims (default `sub`, then `oid`).
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The `email` claim, if the token has one.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The groups (from `groups` or the provider's `groupsClaim`).
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// Every claim as a flat map: nested objects are joined with `.`
    /// (`context.plan`), arrays are kept whole, and the encrypted
    /// `user_payload` is left out. This is what a chat workflow reads as
    /// `Auth.<name>`.
    pub fn claims(&self) -> &BTreeMap<String, Value> {
        &self.claims
    }

    /// The decrypted sso_token, when the token carried one and the provider
    /// has decryption keys.
    pub fn sso_token(&self) -> Option<&SsoToken> {
        self.sso_token.as_ref()
    }
}

impl fmt::Debug for VerifiedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedIdentity")
            .field("tenant_id", &self.tenant_id)
            .field("provider", &self.provider)
            .field("user_id", &self.user_id)
            .field("email", &self.email)
            .field("groups", &self.groups)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .field("sso_token", &self.sso_token)
            .finish()
    }
}

fn flatten(prefix: &str, map: &Map<String, Value>, out: &mut BTreeMap<String, Value>) {
    for (k, v) in map {
        if prefix.is_empty() && k == "user_payload" {
            continue;
        }
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) => flatten(&key, inner, out),
            other => {
                out.insert(key, other.clone());
            }
        }
    }
}

enum Keys {
    Static(Verifier),
    #[cfg(feature = "remote-jwks")]
    Remote {
        jwks: RemoteJwks,
        built: Mutex<Option<(u64, Arc<Verifier>)>>,
    },
}

struct Provider {
    config: ProviderConfig,
    /// For the verifiers built from each fetched key set.
    #[cfg(feature = "remote-jwks")]
    decryption: Vec<PlatformDecryptionKey>,
    keys: Keys,
}

/// The provider's [`Verifier`]: it checks signature, algorithm, times,
/// issuer and audience; the user id is checked by the policy (its claim is
/// configurable), so a missing `sub` is left to it.
fn build_verifier(
    c: &ProviderConfig,
    decryption: &[PlatformDecryptionKey],
    keys: Vec<ClientVerifyingKey>,
) -> Result<Verifier> {
    let mut b = Verifier::builder(keys)
        .issuer(c.issuer.clone())
        .audiences(c.audiences.clone())
        .algorithms(c.algorithms.iter().copied())
        .allow_missing_subject();
    if !decryption.is_empty() {
        b = b.decryption_keys(decryption.iter().cloned(), c.payload_format);
    }
    b.build()
}

impl Provider {
    #[cfg(feature = "remote-jwks")]
    fn remote_verifier(&self, snap: &KeySnapshot) -> Result<Arc<Verifier>> {
        let Keys::Remote { built, .. } = &self.keys else {
            return Err(Error::internal("provider has no remote keys"));
        };
        let mut b = built.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((generation, v)) = &*b {
            if *generation == snap.generation() {
                return Ok(v.clone());
            }
        }
        let usable: Vec<ClientVerifyingKey> = snap
            .keys()
            .iter()
            .filter(|k| self.config.algorithms.iter().any(|a| k.fits(*a)))
            .cloned()
            .collect();
        if usable.is_empty() {
            return Err(Error::new(
                ErrorKind::JwksUnavailable,
                format!(
                    "provider `{}`: the fetched key set holds no key for the accepted \
                     algorithms {:?}",
                    self.config.name, self.config.algorithms
                ),
            ));
        }
        let v = Arc::new(build_verifier(&self.config, &self.decryption, usable)?);
        *b = Some((snap.generation(), v.clone()));
        Ok(v)
    }

    fn verify_token(
        &self,
        token: &str,
        kid: Option<&str>,
        now: SystemTime,
    ) -> Result<crate::VerifiedToken> {
        #[cfg(not(feature = "remote-jwks"))]
        let _ = kid; // only a remote key set refetches for an unknown kid
        match &self.keys {
            Keys::Static(v) => v.verify_at(token, now),
            #[cfg(feature = "remote-jwks")]
            Keys::Remote { jwks, .. } => {
                let snap = jwks.keys()?;
                let v = self.remote_verifier(&snap)?;
                match v.verify_at(token, now) {
                    Err(e) if e.kind() == ErrorKind::UnknownKeyId => {
                        let Some(kid) = kid else { return Err(e) };
                        let fresh = jwks.keys_for_unknown_kid(kid)?;
                        if fresh.generation() == snap.generation() {
                            return Err(e);
                        }
                        self.remote_verifier(&fresh)?.verify_at(token, now)
                    }
                    r => r,
                }
            }
        }
    }
}

/// Verifies tokens for one tenant: provider selection, the provider's
/// cryptographic and claim checks, then the tenant's policy rules.
///
/// # Examples
///
/// ```
/// use chatseal::*;
///
/// let idp = ClientSigningKey::generate(Algorithm::ES256)?.with_kid("idp-1")?;
/// let jwks = ClientVerifyingKey::to_jwks([idp.verifying_key()]).to_json();
/// let config = TenantConfig::from_json(&format!(r#"{{
///   "tenantId": "acme",
///   "providers": {{ "corp": {{
///     "issuer": "https://idp.acme.example",
///     "expectedAudience": ["chat"],
///     "acceptedAlgorithms": ["ES256"],
///     "jwks": {jwks},
///     "allowedEmailDomains": ["acme.example"]
///   }} }}
/// }}"#))?;
/// let tenant = TenantVerifier::new(&config, &[])?;
///
/// let issuer = Issuer::builder(idp).issuer("https://idp.acme.example").audience("chat").build()?;
/// let ok = issuer.mint(&TokenRequest::new("u-1").claim("email", "ana@acme.example".into()))?;
/// let who = tenant.verify(&ok, Some("u-1"))?;
/// assert_eq!(who.user_id(), "u-1");
/// assert_eq!(who.claims()["email"], "ana@acme.example");
///
/// let other = issuer.mint(&TokenRequest::new("u-2").claim("email", "eve@evil.example".into()))?;
/// let err = tenant.verify(&other, None).unwrap_err();
/// assert_eq!(err.code(), "email_domain_not_allowed");
/// # Ok::<(), chatseal::Error>(())
/// ```
///
/// # Security
///
/// The tenant document decides who gets in: store it sealed
/// ([`seal_config`](crate::seal_config)), change it only through an
/// authenticated path, and keep `requireEmailVerified` on when access is
/// decided by email, since some providers put unverified addresses in
/// `email`. Log the error's code and message, never the token.
pub struct TenantVerifier {
    tenant_id: String,
    allowed_providers: Option<BTreeSet<String>>,
    providers: Vec<Provider>,
}

impl fmt::Debug for TenantVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantVerifier")
            .field("tenant_id", &self.tenant_id)
            .field(
                "providers",
                &self
                    .providers
                    .iter()
                    .map(|p| &p.config.name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl TenantVerifier {
    /// Builds the verifier with the default remote JWKS settings.
    ///
    /// `decryption_keys` are the platform's private keys; a provider's
    /// `decryptionKeys` names some of them by `kid` (they are never in the
    /// document). A named key that is not supplied is an
    /// [`ErrorKind::InvalidConfig`].
    pub fn new(config: &TenantConfig, decryption_keys: &[PlatformDecryptionKey]) -> Result<Self> {
        Self::with_jwks_options(config, decryption_keys, &JwksOptions::default())
    }

    /// Builds the verifier with `jwks` as the settings of every remote key
    /// set (timeouts, cache ages, clock). A provider's
    /// `requireHttpsMetadata: false` turns on `allow_http` for that provider
    /// only.
    pub fn with_jwks_options(
        config: &TenantConfig,
        decryption_keys: &[PlatformDecryptionKey],
        jwks: &JwksOptions,
    ) -> Result<Self> {
        let mut providers = Vec::new();
        for c in &config.providers {
            let decryption = match &c.decryption_kids {
                None => Vec::new(),
                Some(kids) => kids
                    .iter()
                    .map(|kid| {
                        decryption_keys
                            .iter()
                            .find(|k| k.kid() == kid)
                            .cloned()
                            .ok_or_else(|| {
                                config_error(format!(
                                    "provider `{}`: `decryptionKeys` names `{}`, but no \
                                     decryption key with that kid was supplied",
                                    c.name,
                                    truncate_for_message(kid)
                                ))
                            })
                    })
                    .collect::<Result<Vec<_>>>()?,
            };
            #[cfg(feature = "remote-jwks")]
            let opts = || JwksOptions {
                allow_http: !c.require_https,
                ..jwks.clone()
            };
            let keys = match &c.keys {
                KeySpec::Inline(k) => Keys::Static(build_verifier(c, &decryption, k.clone())?),
                #[cfg(feature = "remote-jwks")]
                KeySpec::Uri(u) => Keys::Remote {
                    jwks: RemoteJwks::new(u.clone(), opts())?,
                    built: Mutex::new(None),
                },
                #[cfg(feature = "remote-jwks")]
                KeySpec::Discovery(a) => Keys::Remote {
                    jwks: RemoteJwks::discover(a.clone(), Some(c.issuer.clone()), opts())?,
                    built: Mutex::new(None),
                },
                // Refused when the document was parsed; kept for a config
                // built by a chatseal that had the feature.
                #[cfg(not(feature = "remote-jwks"))]
                KeySpec::Uri(_) | KeySpec::Discovery(_) => {
                    let _ = jwks;
                    return Err(config_error(format!(
                        "provider `{}`: {}",
                        c.name,
                        without_remote("jwksUri")
                    )));
                }
            };
            providers.push(Provider {
                config: c.clone(),
                #[cfg(feature = "remote-jwks")]
                decryption,
                keys,
            });
        }
        Ok(Self {
            tenant_id: config.tenant_id.clone(),
            allowed_providers: config.allowed_providers.clone(),
            providers,
        })
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// Verifies `token` now. When `participant_id` is given (the chat
    /// request's participant), it must equal the token's user id exactly.
    pub fn verify(&self, token: &str, participant_id: Option<&str>) -> Result<VerifiedIdentity> {
        self.verify_at(token, participant_id, SystemTime::now())
    }

    /// Verifies `token` as if the time were `now` (token times only; remote
    /// key caches use their own clock).
    pub fn verify_at(
        &self,
        token: &str,
        participant_id: Option<&str>,
        now: SystemTime,
    ) -> Result<VerifiedIdentity> {
        if token.len() > DEFAULT_MAX_TOKEN_SIZE {
            return Err(Error::new(
                ErrorKind::TokenTooLarge,
                format!(
                    "token is {} bytes; at most {DEFAULT_MAX_TOKEN_SIZE} are accepted",
                    token.len()
                ),
            ));
        }
        // An unverified look at the claims, only to choose the provider whose
        // keys and rules then check everything.
        let (header, peek) = insecure_decode(token)?;
        let provider = self.select(&peek)?;
        let c = &provider.config;
        let ctx = |e: Error| Error::new(e.kind(), format!("provider `{}`: {}", c.name, e));
        match header.get("alg") {
            Some(Value::String(name)) => {
                let alg = name.parse::<Algorithm>().map_err(ctx)?;
                if !c.algorithms.contains(&alg) {
                    return Err(Error::new(
                        ErrorKind::AlgorithmNotAllowed,
                        format!(
                            "Signing algorithm not allowed: the token is signed with {alg}; \
                             provider `{}` of tenant `{}` accepts {:?} (acceptedAlgorithms)",
                            c.name,
                            truncate_for_message(&self.tenant_id),
                            c.algorithms
                        ),
                    ));
                }
            }
            _ => return Err(ctx(Error::malformed("token header has no string `alg`"))),
        }
        let kid = header.get("kid").and_then(Value::as_str);
        let verified = provider.verify_token(token, kid, now).map_err(ctx)?;
        let (_, claims, sso_token) = verified.into_parts();
        self.apply_policy(provider, claims.all(), participant_id, sso_token)
    }

    fn select(&self, peek: &Map<String, Value>) -> Result<&Provider> {
        let iss = match peek.get("iss") {
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidClaim,
                    "claim `iss` must be a string",
                ))
            }
            None => {
                return Err(Error::new(
                    ErrorKind::MissingClaim,
                    format!(
                        "token has no `iss`; tenant `{}` selects its provider by issuer",
                        truncate_for_message(&self.tenant_id)
                    ),
                ))
            }
        };
        let candidates: Vec<&Provider> = self
            .providers
            .iter()
            .filter(|p| p.config.issuer == iss)
            .collect();
        let Some(first) = candidates.first() else {
            let known: Vec<&str> = self
                .providers
                .iter()
                .map(|p| p.config.issuer.as_str())
                .collect();
            return Err(denied(
                rules::NO_PROVIDER_FOR_ISSUER,
                format!(
                    "no provider of tenant `{}` has issuer `{}` (configured issuers: {known:?})",
                    truncate_for_message(&self.tenant_id),
                    truncate_for_message(iss)
                ),
            ));
        };
        let aud: Vec<&str> = match peek.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let chosen = candidates
            .iter()
            .find(|p| p.config.audiences.iter().any(|a| aud.contains(&a.as_str())))
            .unwrap_or(first);
        if let Some(allowed) = &self.allowed_providers {
            if !allowed.contains(&chosen.config.name) {
                return Err(denied(
                    rules::PROVIDER_NOT_ALLOWED,
                    format!(
                        "Provider not allowed for tenant: provider `{}` (issuer `{}`) is not in \
                         allowedProviders {:?} of tenant `{}`",
                        chosen.config.name,
                        truncate_for_message(iss),
                        allowed,
                        truncate_for_message(&self.tenant_id)
                    ),
                ));
            }
        }
        Ok(chosen)
    }

    fn apply_policy(
        &self,
        provider: &Provider,
        claims: &Map<String, Value>,
        participant_id: Option<&str>,
        sso_token: Option<SsoToken>,
    ) -> Result<VerifiedIdentity> {
        let c = &provider.config;
        let pname = &c.name;
        // Scopes: every configured scope in `scope` or `scp`.
        if !c.scopes.is_empty() {
            let mut granted: BTreeSet<&str> = BTreeSet::new();
            for name in ["scope", "scp"] {
                match claims.get(name) {
                    Some(Value::String(s)) => granted.extend(s.split_whitespace()),
                    Some(Value::Array(a)) => granted.extend(a.iter().filter_map(Value::as_str)),
                    _ => {}
                }
            }
            if let Some(missing) = c.scopes.iter().find(|s| !granted.contains(s.as_str())) {
                return Err(denied(
                    rules::SCOPE_MISSING,
                    format!(
                        "Required scope missing: `{}` (provider `{pname}` requires `{}`; the \
                         token grants {:?})",
                        truncate_for_message(missing),
                        c.scopes.join(" "),
                        granted
                            .iter()
                            .take(16)
                            .map(|s| truncate_for_message(s))
                            .collect::<Vec<_>>()
                    ),
                ));
            }
        }
        for (i, rule) in c.rules.iter().enumerate() {
            if !rule.holds(claims) {
                let present = if lookup(claims, &rule.claim).is_some() {
                    "the token's value does not satisfy it"
                } else {
                    "the token has no such claim"
                };
                return Err(denied(
                    rules::CLAIM_RULE_FAILED,
                    format!(
                        "claim rule failed: additionalClaims[{i}] `{}` of provider `{pname}`: \
                         {present}",
                        truncate_for_message(&rule.describe())
                    ),
                ));
            }
        }
        let user_id = c
            .user_id_claims
            .iter()
            .find_map(|name| match claims.get(name) {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::MissingClaim,
                    format!(
                        "token has none of the user id claims {:?} (provider `{pname}`)",
                        c.user_id_claims
                    ),
                )
            })?;
        let email = match claims.get("email") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        if c.require_email_verified {
            let verified = matches!(claims.get("email_verified"), Some(Value::Bool(true)))
                || matches!(claims.get("email_verified"), Some(Value::String(s)) if s == "true");
            if email.is_none() || !verified {
                return Err(denied(
                    rules::EMAIL_NOT_VERIFIED,
                    format!(
                        "email not verified: provider `{pname}` has requireEmailVerified and the \
                         token's `email_verified` is not true"
                    ),
                ));
            }
        }
        let email_lc = email.as_deref().map(str::to_ascii_lowercase);
        if !c.allowed_users.is_empty()
            && !email_lc
                .as_ref()
                .is_some_and(|e| c.allowed_users.iter().any(|u| u == e))
        {
            return Err(denied(
                rules::USER_NOT_ALLOWED,
                format!(
                    "user not allowed: the token's email {} is not in allowedUsers of provider \
                     `{pname}`",
                    shown_email(email.as_deref())
                ),
            ));
        }
        if !c.allowed_email_domains.is_empty() {
            let domain = email_lc
                .as_deref()
                .and_then(|e| e.rsplit_once('@'))
                .map(|(_, d)| d);
            if !domain.is_some_and(|d| c.allowed_email_domains.iter().any(|a| a == d)) {
                return Err(denied(
                    rules::EMAIL_DOMAIN_NOT_ALLOWED,
                    format!(
                        "email domain not allowed: the token's email {} is not in \
                         allowedEmailDomains {:?} of provider `{pname}`",
                        shown_email(email.as_deref()),
                        c.allowed_email_domains
                    ),
                ));
            }
        }
        let groups: Vec<String> = match claims.get(&c.groups_claim) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        if !c.required_groups.is_empty() && !c.required_groups.iter().any(|g| groups.contains(g)) {
            return Err(denied(
                rules::REQUIRED_GROUP_MISSING,
                format!(
                    "required group missing: the token's `{}` claim has none of requiredGroups \
                     {:?} of provider `{pname}`",
                    c.groups_claim, c.required_groups
                ),
            ));
        }
        if let Some(p) = participant_id {
            if p != user_id {
                return Err(denied(
                    rules::PARTICIPANT_MISMATCH,
                    format!(
                        "participant mismatch: the request's participant id `{}` is not the \
                         token's user id `{}` (claim chain {:?})",
                        truncate_for_message(p),
                        truncate_for_message(&user_id),
                        c.user_id_claims
                    ),
                ));
            }
        }
        let mut flat = BTreeMap::new();
        flatten("", claims, &mut flat);
        Ok(VerifiedIdentity {
            tenant_id: self.tenant_id.clone(),
            provider: pname.clone(),
            user_id,
            email,
            groups,
            claims: flat,
            sso_token,
        })
    }
}

fn shown_email(e: Option<&str>) -> String {
    match e {
        Some(e) => format!("`{}`", truncate_for_message(e)),
        None => "(none: the token has no `email`)".to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Many tenants, and the API key / JWT precedence.
// ---------------------------------------------------------------------------

/// The verifiers of many tenants, by tenant id. A tenant without a
/// configuration refuses every token with `no_providers_configured`.
///
/// ```
/// use chatseal::TenantRegistry;
/// let registry = TenantRegistry::new();
/// let err = registry.verify("acme", "a.b.c", None).unwrap_err();
/// assert_eq!(err.code(), "no_providers_configured");
/// assert!(err.to_string().starts_with("No OIDC providers configured for tenant"));
/// ```
#[derive(Debug, Default)]
pub struct TenantRegistry {
    tenants: BTreeMap<String, Arc<TenantVerifier>>,
}

impl TenantRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a tenant's verifier; returns the previous one.
    pub fn insert(&mut self, tenant: TenantVerifier) -> Option<Arc<TenantVerifier>> {
        self.tenants
            .insert(tenant.tenant_id.clone(), Arc::new(tenant))
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

    fn tenant(&self, tenant_id: &str) -> Result<&Arc<TenantVerifier>> {
        self.tenants.get(tenant_id).ok_or_else(|| {
            denied(
                rules::NO_PROVIDERS_CONFIGURED,
                format!(
                    "No OIDC providers configured for tenant `{}`",
                    truncate_for_message(tenant_id)
                ),
            )
        })
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
}

/// Who a request was authenticated as.
#[derive(Debug)]
pub enum Authenticated {
    /// The service's API key: the caller is the service's operator (admin
    /// and analytics endpoints), not a chat user.
    ApiKey,
    /// A chat user, vouched for by one of the tenant's providers.
    User(Box<VerifiedIdentity>),
}

/// Authenticates a request, with a fixed precedence: **when an API key is
/// present it alone decides and the JWT is not looked at**; a wrong API key
/// is refused (`api_key_invalid`) even when a valid JWT is present too.
/// Without an API key the bearer token is verified by `tenant` (with the
/// participant id check). Without either, the request is refused
/// (`no_credentials`).
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
/// };
/// assert!(matches!(authenticate(&creds, &slot, &tenant)?, Authenticated::ApiKey));
/// # Ok::<(), chatseal::Error>(())
/// ```
pub fn authenticate(
    credentials: &RequestCredentials<'_>,
    api_keys: &ApiKeySlot,
    tenant: &TenantVerifier,
) -> Result<Authenticated> {
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
        Some(t) => Ok(Authenticated::User(Box::new(
            tenant.verify(t, credentials.participant_id)?,
        ))),
        None => Err(denied(
            rules::NO_CREDENTIALS,
            "the request carries neither an API key nor a bearer token",
        )),
    }
}

/// The feature-off build: documents that need fetched keys are refused,
/// inline keys work.
#[cfg(all(test, not(feature = "remote-jwks")))]
mod without_remote_tests {
    use super::*;
    use crate::ClientSigningKey;
    use serde_json::json;

    #[test]
    fn fetched_keys_need_the_feature() {
        for member in [
            json!({"jwksUri": "https://idp.example/keys"}),
            json!({"authority": "https://idp.example"}),
        ] {
            let mut p = json!({"issuer": "https://idp.example", "expectedAudience": "chat"});
            for (k, v) in member.as_object().unwrap() {
                p[k] = v.clone();
            }
            let doc = json!({"tenantId": "t1", "providers": {"corp": p}}).to_string();
            let e = TenantConfig::from_json(&doc).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
            assert!(e.message().contains("built without remote-jwks"), "{e}");
        }
        let k = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let jwks: Value =
            serde_json::from_str(&ClientVerifyingKey::to_jwks([k.verifying_key()]).to_json())
                .unwrap();
        let doc = json!({"tenantId": "t1", "providers": {"corp": {
            "issuer": "https://idp.example", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"], "jwks": jwks}}});
        let c = TenantConfig::from_json(&doc.to_string()).unwrap();
        TenantVerifier::new(&c, &[]).unwrap();
    }
}

#[cfg(all(test, feature = "remote-jwks"))]
mod tests {
    use super::*;
    use crate::{ClientSigningKey, Issuer, TokenRequest};
    use serde_json::json;

    fn base(extra: Value) -> String {
        let mut p = json!({
            "issuer": "https://idp.example",
            "expectedAudience": ["chat"],
            "jwksUri": "https://idp.example/keys"
        });
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        json!({"tenantId": "t1", "providers": {"corp": p}}).to_string()
    }

    fn config_err(doc: &str) -> String {
        let e = TenantConfig::from_json(doc).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
        e.message().to_owned()
    }

    #[test]
    fn defaults() {
        let c = TenantConfig::from_json(&base(json!({}))).unwrap();
        let p = &c.providers()[0];
        assert_eq!(p.algorithms(), &[Algorithm::RS256]);
        assert_eq!(p.user_id_claims(), &["sub", "oid"]);
        assert!(p.require_https_metadata());
        assert!(c.allowed_providers().is_none());
    }

    #[test]
    fn document_errors_are_clear() {
        let cases: Vec<(String, &str)> = vec![
            (base(json!({"scopee": "x"})), "unknown field `scopee`"),
            (
                json!({"tenantId": "t", "providers": {}}).to_string(),
                "No OIDC providers",
            ),
            (
                json!({"providers": {}}).to_string(),
                "`tenantId` is missing",
            ),
            (
                json!({"tenantId": "t", "providers": {
                    "a": {}, "b": {}, "c": {}, "d": {}, "e": {}, "f": {}}})
                .to_string(),
                "at most 5",
            ),
            (
                json!({"tenantId": "t", "providers": {"p": {"expectedAudience": "a",
                    "jwksUri": "https://x"}}})
                .to_string(),
                "`issuer` is missing",
            ),
            (base(json!({"acceptedAlgorithms": ["HS256"]})), "HMAC"),
            (base(json!({"acceptedAlgorithms": ["none"]})), "none"),
            (
                base(json!({"acceptedAlgorithms": ["RS384"]})),
                "not supported",
            ),
            (base(json!({"acceptedAlgorithms": []})), "empty"),
            (
                base(json!({"requireSignedTokens": false})),
                "requireSignedTokens",
            ),
            (base(json!({"expectedAudience": []})), "expectedAudience"),
            (
                base(json!({"jwksUri": "http://idp.example/keys"})),
                "plain HTTP",
            ),
            (
                base(json!({"additionalClaims": [{"claim": "tid", "op": "like", "value": "x"}]})),
                "op `like`",
            ),
            (
                base(json!({"additionalClaims": [{"claim": "tid", "op": "equals", "value": {}}]})),
                "`value`",
            ),
            (base(json!({"payloadFormat": "xml"})), "payloadFormat"),
            (base(json!({"allowedUsers": ["bob"]})), "not an email"),
            (base(json!({"publicKeyPem": "x"})), "exactly one"),
            (
                base(
                    json!({"providerSpecificSettings": {"userIdClaim": "sub", "userIdClaims": "oid"}}),
                ),
                "not both",
            ),
            (
                base(json!({"providerSpecificSettings": {"userIdClaimz": "sub"}})),
                "unknown field",
            ),
        ];
        for (doc, want) in cases {
            let m = config_err(&doc);
            assert!(m.contains(want), "{want:?} not in {m:?}");
        }
        let m = config_err(
            &json!({"tenantId": "t", "allowedProviders": ["nope"], "providers": {"p": {
                "issuer": "https://i", "expectedAudience": "a", "jwksUri": "https://x"}}})
            .to_string(),
        );
        assert!(m.contains("allowedProviders"), "{m}");
        let e = TenantConfig::from_json_for_tenant(&base(json!({})), "t2").unwrap_err();
        assert!(e.message().contains("tenantId mismatch"));
        // Plain HTTP is fine when the document says so.
        TenantConfig::from_json(&base(json!({
            "jwksUri": "http://127.0.0.1:1/keys", "requireHttpsMetadata": false})))
        .unwrap();
    }

    #[test]
    fn user_id_claim_chain() {
        let c = TenantConfig::from_json(&base(json!({
            "providerSpecificSettings": {"userIdClaims": "email, sub"}})))
        .unwrap();
        assert_eq!(c.providers()[0].user_id_claims(), &["email", "sub"]);
    }

    #[test]
    fn claim_rules_semantics() {
        let claims: Map<String, Value> = serde_json::from_value(json!({
            "tid": "abc", "n": 3, "b": true, "roles": ["a", "B"], "s": "hello world",
            "context": {"plan": "pro"}
        }))
        .unwrap();
        let rule = |claim: &str, op, v: Value| ClaimRule {
            claim: claim.into(),
            op,
            values: match v {
                Value::Array(a) => a,
                v => vec![v],
            },
        };
        use ClaimOp::*;
        let table = [
            (rule("tid", Equals, json!("abc")), true),
            (rule("tid", Equals, json!("ABC")), false),
            (rule("tid", Equals, json!(["x", "abc"])), true),
            (rule("tid", NotEquals, json!(["x", "y"])), true),
            (rule("tid", NotEquals, json!(["abc"])), false),
            (rule("n", Equals, json!(3)), true),
            (rule("n", Equals, json!("3")), false),
            (rule("b", Equals, json!(true)), true),
            (rule("roles", Contains, json!("B")), true),
            (rule("roles", Contains, json!("b")), false),
            (rule("roles", Equals, json!("a")), false),
            (rule("s", Contains, json!("lo wo")), true),
            (rule("s", Contains, json!("LO")), false),
            (rule("missing", NotEquals, json!("x")), false),
            (rule("missing", Equals, json!("x")), false),
            (rule("context.plan", Equals, json!("pro")), true),
        ];
        for (r, want) in table {
            assert_eq!(r.holds(&claims), want, "{}", r.describe());
        }
    }

    #[test]
    fn static_keys_end_to_end() {
        let k = ClientSigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("k1")
            .unwrap();
        let jwks: Value =
            serde_json::from_str(&ClientVerifyingKey::to_jwks([k.verifying_key()]).to_json())
                .unwrap();
        let doc = base(json!({"acceptedAlgorithms": ["ES256"], "jwks": jwks,
            "jwksUri": null}));
        // `jwksUri: null` counts as unset.
        let c = TenantConfig::from_json(&doc).unwrap();
        let t = TenantVerifier::new(&c, &[]).unwrap();
        let iss = Issuer::builder(k)
            .issuer("https://idp.example")
            .audience("chat")
            .build()
            .unwrap();
        let tok = iss
            .mint(&TokenRequest::new("u1").context(json!({"plan": "pro"})))
            .unwrap();
        let id = t.verify(&tok, Some("u1")).unwrap();
        assert_eq!(id.user_id(), "u1");
        assert_eq!(id.claims()["context.plan"], "pro");
        assert_eq!(
            t.verify(&tok, Some("u2")).unwrap_err().code(),
            rules::PARTICIPANT_MISMATCH
        );
    }
}
