//! Verifying a token for a tenant: provider selection, the provider's
//! checks, then the tenant's rules.

use super::*;

// ---------------------------------------------------------------------------
// Verification.
// ---------------------------------------------------------------------------

/// Who a verified token says the user is, after every check passed.
#[derive(Clone)]
pub struct VerifiedIdentity {
    pub(super) tenant_id: String,
    pub(super) provider: String,
    pub(super) user_id: String,
    pub(super) email: Option<String>,
    pub(super) groups: Vec<String>,
    pub(super) claims: BTreeMap<String, Value>,
    pub(super) sso_token: Option<SsoToken>,
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

pub(super) fn flatten(prefix: &str, map: &Map<String, Value>, out: &mut BTreeMap<String, Value>) {
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

pub(super) enum Keys {
    Static(Verifier),
    #[cfg(feature = "remote-jwks")]
    Remote {
        jwks: RemoteJwks,
        built: Mutex<Option<(u64, Arc<Verifier>)>>,
    },
}

pub(super) struct Provider {
    pub(super) config: ProviderConfig,
    /// For the verifiers built from each fetched key set.
    #[cfg(feature = "remote-jwks")]
    pub(super) decryption: Vec<PlatformDecryptionKey>,
    pub(super) keys: Keys,
}

/// The provider's [`Verifier`]: it checks signature, algorithm, times,
/// issuer and audience; the user id is checked by the policy (its claim is
/// configurable), so a missing `sub` is left to it.
pub(super) fn build_verifier(
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
    pub(super) tenant_id: String,
    pub(super) allowed_providers: Option<BTreeSet<String>>,
    pub(super) providers: Vec<Provider>,
    pub(super) allowed_origins: Vec<String>,
    pub(super) security: SecurityMode,
    /// This instance's number, part of its [`VerifiedCache`] keys.
    pub(super) instance: u64,
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
    /// Checks a request's `Origin` header against the tenant's
    /// `allowedOrigins` (exact match after normalisation). No `Origin` (not a
    /// browser request) and an empty list pass; anything else is
    /// `origin_not_allowed`.
    pub fn check_origin(&self, origin: Option<&str>) -> Result<()> {
        check_origin(&self.tenant_id, &self.allowed_origins, origin)
    }

    /// The tenant's normalised `allowedOrigins` (empty: every origin).
    pub fn allowed_origins(&self) -> &[String] {
        &self.allowed_origins
    }

    /// The tenant's `security` mode.
    pub fn security(&self) -> SecurityMode {
        self.security
    }

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
            allowed_origins: config.allowed_origins.clone(),
            security: config.security,
            instance: cache::next_instance(),
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

    /// Fetches every remote key set of the tenant's providers now (each
    /// [`RemoteJwks::keys`], so a cached set is not fetched again), so that
    /// a service can say it is ready before the first token arrives. Inline
    /// keys need nothing. The first failure is returned
    /// ([`ErrorKind::JwksUnavailable`]).
    pub fn load_keys(&self) -> Result<()> {
        for p in &self.providers {
            #[cfg(feature = "remote-jwks")]
            if let Keys::Remote { jwks, .. } = &p.keys {
                jwks.keys()?;
            }
            #[cfg(not(feature = "remote-jwks"))]
            let _ = p;
        }
        Ok(())
    }

    /// Whether a provider of the tenant takes its keys from a remote key
    /// set (`jwksUri` or `authority`), which [`TenantVerifier::load_keys`]
    /// fetches.
    pub fn has_remote_keys(&self) -> bool {
        #[cfg(feature = "remote-jwks")]
        return self
            .providers
            .iter()
            .any(|p| matches!(p.keys, Keys::Remote { .. }));
        #[cfg(not(feature = "remote-jwks"))]
        false
    }

    /// How many HTTP fetches of remote key sets this tenant's providers
    /// attempted so far (for metrics).
    pub fn jwks_fetches(&self) -> u64 {
        #[cfg(feature = "remote-jwks")]
        return self
            .providers
            .iter()
            .map(|p| match &p.keys {
                Keys::Remote { jwks, .. } => jwks.fetch_count(),
                Keys::Static(_) => 0,
            })
            .sum();
        #[cfg(not(feature = "remote-jwks"))]
        0
    }

    /// Verifies a request that carries only a token: its `Origin` first
    /// ([`TenantVerifier::check_origin`], `origin_not_allowed`), then the
    /// token ([`TenantVerifier::verify`], with the participant id check). The
    /// order is [`authenticate`](crate::authenticate)'s; use that when the
    /// request may carry an API key or no credentials at all.
    pub fn verify_request(
        &self,
        token: &str,
        participant_id: Option<&str>,
        origin: Option<&str>,
    ) -> Result<VerifiedIdentity> {
        self.check_origin(origin)?;
        self.verify(token, participant_id)
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
            check_participant(p, &user_id, &c.user_id_claims)?;
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

/// The request's participant id must be the token's user id, exactly.
pub(super) fn check_participant(participant: &str, user_id: &str, chain: &[String]) -> Result<()> {
    if participant == user_id {
        return Ok(());
    }
    Err(denied(
        rules::PARTICIPANT_MISMATCH,
        format!(
            "participant mismatch: the request's participant id `{}` is not the token's user \
             id `{}` (claim chain {chain:?})",
            truncate_for_message(participant),
            truncate_for_message(user_id),
        ),
    ))
}

pub(super) fn shown_email(e: Option<&str>) -> String {
    match e {
        Some(e) => format!("`{}`", truncate_for_message(e)),
        None => "(none: the token has no `email`)".to_owned(),
    }
}
