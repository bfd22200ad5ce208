//! The tenant document: as written (serde), then validated into
//! [`TenantConfig`].

use super::*;

// ---------------------------------------------------------------------------
// The document as written (serde), then validated into `TenantConfig`.
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawTenant {
    tenant_id: Option<String>,
    #[serde(default)]
    allowed_providers: Option<Vec<String>>,
    #[serde(default)]
    allowed_origins: Vec<String>,
    security: Option<String>,
    #[serde(default)]
    providers: Option<BTreeMap<String, RawProvider>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawProvider {
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
pub(super) struct RawClaimRule {
    claim: String,
    op: String,
    value: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawSettings {
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
    pub(super) claim: String,
    pub(super) op: ClaimOp,
    pub(super) values: Vec<Value>,
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

    pub(super) fn describe(&self) -> String {
        let vals: Vec<String> = self.values.iter().map(Value::to_string).collect();
        format!("{} {} [{}]", self.claim, self.op.as_str(), vals.join(", "))
    }

    /// Whether the claims satisfy the rule. A missing claim fails every rule.
    pub(super) fn holds(&self, claims: &Map<String, Value>) -> bool {
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

pub(super) fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// A claim by exact top-level name, else by a dotted path into objects.
pub(super) fn lookup<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
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
pub(super) fn without_remote(member: &str) -> String {
    format!(
        "`{member}` needs keys fetched over HTTPS, but this chatseal was built without \
         remote-jwks (enable the `remote-jwks` cargo feature, or give the keys inline with \
         `jwks` or `publicKeyPem`)"
    )
}

#[derive(Clone)]
pub(super) enum KeySpec {
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
    pub(super) name: String,
    pub(super) issuer: String,
    pub(super) audiences: Vec<String>,
    pub(super) scopes: Vec<String>,
    pub(super) algorithms: Vec<Algorithm>,
    pub(super) require_https: bool,
    pub(super) rules: Vec<ClaimRule>,
    pub(super) user_id_claims: Vec<String>,
    pub(super) keys: KeySpec,
    pub(super) decryption_kids: Option<Vec<String>>,
    pub(super) payload_format: PayloadFormat,
    pub(super) allowed_users: Vec<String>,
    pub(super) allowed_email_domains: Vec<String>,
    pub(super) required_groups: Vec<String>,
    pub(super) groups_claim: String,
    pub(super) require_email_verified: bool,
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
    pub(super) tenant_id: String,
    pub(super) allowed_providers: Option<BTreeSet<String>>,
    pub(super) providers: Vec<ProviderConfig>,
    pub(super) allowed_origins: Vec<String>,
    pub(super) security: SecurityMode,
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

    /// The normalised `allowedOrigins` (see [`crate::normalize_origin`]);
    /// empty: every origin may embed the chat.
    pub fn allowed_origins(&self) -> &[String] {
        &self.allowed_origins
    }

    /// The tenant's `security` mode (default [`SecurityMode::On`]).
    pub fn security(&self) -> SecurityMode {
        self.security
    }

    /// What an operator should know about the document although it is
    /// valid: an empty `allowedOrigins` (every site may embed the chat, which
    /// Airgentic calls "not recommended"), `security: "anonymous"`.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.allowed_origins.is_empty() {
            w.push(format!(
                "tenant `{}`: `allowedOrigins` is empty, so every origin may embed the chat; \
                 list the host sites' origins",
                truncate_for_message(&self.tenant_id)
            ));
        }
        if self.security == SecurityMode::Anonymous {
            w.push(format!(
                "tenant `{}`: `security` is \"anonymous\": requests without credentials pass \
                 (public demos only)",
                truncate_for_message(&self.tenant_id)
            ));
        }
        w
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
        let allowed_origins = validate_origins(raw.allowed_origins)?;
        let security = match raw.security {
            None => SecurityMode::On,
            Some(s) => s.parse()?,
        };
        Ok(Self {
            tenant_id,
            allowed_providers,
            providers,
            allowed_origins,
            security,
        })
    }
}

pub(super) fn string_list(v: &Value, what: &str, provider: &str) -> Result<Vec<String>> {
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

pub(super) fn validate_provider(name: String, p: RawProvider) -> Result<ProviderConfig> {
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
