//! The host side: mint widget tokens.

use serde_json::{Map, Value};
use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use crate::backend;
use crate::encoding::b64url;
use crate::error::{Error, Result};
use crate::keys::{ClientSigningKey, PlatformEncryptionKey};
use crate::payload::{self, PayloadFormat};
use crate::secret::SsoToken;
use crate::token::{unix_time, REGISTERED};

/// The default token lifetime: one hour, as IBM's sample uses.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// The longest lifetime allowed without [`IssuerBuilder::allow_long_ttl`]:
/// IBM's limit.
pub const MAX_TTL: Duration = Duration::from_secs(7100);

/// What one token says about one user: built per request, handed to
/// [`Issuer::mint`].
///
/// ```
/// use chatseal::{SsoToken, TokenRequest};
/// use serde_json::json;
///
/// let req = TokenRequest::new("user-42")
///     .context(json!({"name": "Ada", "email": "ada@example.com"}))
///     .sso_token(SsoToken::new("idp-token"))
///     .claim("tenant", json!("acme"));
/// ```
#[derive(Debug, Clone)]
pub struct TokenRequest {
    sub: String,
    context: Option<Value>,
    sso_token: Option<SsoToken>,
    extra: Map<String, Value>,
    ttl: Option<Duration>,
}

impl TokenRequest {
    /// A request for the user `sub` (a stable user id).
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            context: None,
            sso_token: None,
            extra: Map::new(),
            ttl: None,
        }
    }

    /// A lifetime for this token only, at most the issuer's own ttl (a
    /// request can shorten a token's life, never lengthen it past what the
    /// issuer was built for); longer is refused by [`Issuer::mint`].
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Plain, non-secret user attributes (a JSON object) for the `context`
    /// claim. Anyone holding the token can read them.
    pub fn context(mut self, context: Value) -> Self {
        self.context = Some(context);
        self
    }

    /// The on-behalf-of token to encrypt into `user_payload`.
    pub fn sso_token(mut self, sso_token: SsoToken) -> Self {
        self.sso_token = Some(sso_token);
        self
    }

    /// An extra claim. Registered claims (`iss`, `sub`, `aud`, `iat`, `nbf`,
    /// `exp`, `jti`, `context`, `user_payload`) cannot be set this way:
    /// [`Issuer::mint`] refuses them.
    pub fn claim(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }
}

/// Typestate: the builder still needs the issuer decision.
#[derive(Debug)]
pub struct NeedsIssuer;
/// Typestate: the builder still needs the audience decision.
#[derive(Debug)]
pub struct NeedsAudience;
/// Typestate: every required decision is made; options and `build` remain.
#[derive(Debug)]
pub struct Ready;

/// Builds an [`Issuer`]. The issuer and the audience must each be set or
/// explicitly left out before `build` exists.
#[derive(Debug)]
pub struct IssuerBuilder<S> {
    key: ClientSigningKey,
    iss: Option<String>,
    aud: Option<String>,
    ttl: Duration,
    allow_long_ttl: bool,
    platform: Option<(PlatformEncryptionKey, PayloadFormat)>,
    _state: PhantomData<S>,
}

impl<S> IssuerBuilder<S> {
    fn next<T>(self) -> IssuerBuilder<T> {
        IssuerBuilder {
            key: self.key,
            iss: self.iss,
            aud: self.aud,
            ttl: self.ttl,
            allow_long_ttl: self.allow_long_ttl,
            platform: self.platform,
            _state: PhantomData,
        }
    }
}

impl IssuerBuilder<NeedsIssuer> {
    /// The `iss` claim of every token (your host's identifier).
    pub fn issuer(mut self, iss: impl Into<String>) -> IssuerBuilder<NeedsAudience> {
        self.iss = Some(iss.into());
        self.next()
    }

    /// Tokens carry no `iss` (IBM watsonx Orchestrate's format).
    pub fn without_issuer(self) -> IssuerBuilder<NeedsAudience> {
        self.next()
    }
}

impl IssuerBuilder<NeedsAudience> {
    /// The `aud` claim of every token (the platform's identifier).
    pub fn audience(mut self, aud: impl Into<String>) -> IssuerBuilder<Ready> {
        self.aud = Some(aud.into());
        self.next()
    }

    /// Tokens carry no `aud` (IBM watsonx Orchestrate's format).
    pub fn without_audience(self) -> IssuerBuilder<Ready> {
        self.next()
    }
}

impl IssuerBuilder<Ready> {
    /// Token lifetime (default 1 hour; at most 7100 s unless
    /// [`IssuerBuilder::allow_long_ttl`]).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Allows a ttl above [`MAX_TTL`]. Longer-lived tokens are worth more to
    /// a thief; the platform may refuse them anyway.
    pub fn allow_long_ttl(mut self) -> Self {
        self.allow_long_ttl = true;
        self
    }

    /// The platform's public key that sso_tokens are encrypted to, and the
    /// format of `user_payload`.
    pub fn platform_key(mut self, key: PlatformEncryptionKey, format: PayloadFormat) -> Self {
        self.platform = Some((key, format));
        self
    }

    /// Checks the settings and builds the issuer.
    pub fn build(self) -> Result<Issuer> {
        let ttl = self.ttl.as_secs();
        if ttl == 0 {
            return Err(Error::misuse("token ttl must be at least 1 second"));
        }
        if self.ttl > MAX_TTL && !self.allow_long_ttl {
            return Err(Error::misuse(format!(
                "token ttl of {ttl} s is above the maximum of {} s; call allow_long_ttl() to \
                 exceed it",
                MAX_TTL.as_secs()
            )));
        }
        if let Some((p, format)) = &self.platform {
            if p.thumbprint() == self.key.thumbprint() {
                return Err(Error::misuse(
                    "the platform encryption key is the client signing key; the two roles need \
                     two different key pairs",
                ));
            }
            if *format == PayloadFormat::Wxo && p.curve().is_some() {
                return Err(Error::misuse(
                    "the `wxo` payload format is RSA-OAEP only (IBM's format); an EC platform \
                     key needs the `jwe` format",
                ));
            }
        }
        let header = serde_json::json!({
            "alg": self.key.algorithm().as_str(),
            "typ": "JWT",
            "kid": self.key.kid(),
        });
        // serde_json orders keys alphabetically: alg, kid, typ.
        let header_b64 = b64url(header.to_string().as_bytes());
        Ok(Issuer {
            key: self.key,
            iss: self.iss.map(Value::String),
            aud: self.aud.map(Value::String),
            ttl: i64::try_from(ttl).unwrap_or(i64::MAX),
            platform: self.platform,
            header_b64,
        })
    }
}

/// Mints widget tokens: built once per key, then `mint` per request.
///
/// `Issuer` is `Send + Sync`; share it behind an `Arc`. The key is parsed
/// once, at build time.
///
/// # Examples
///
/// ```
/// use chatseal::{Algorithm, ClientSigningKey, Issuer, PayloadFormat, PlatformDecryptionKey,
///                RsaKeySize, SsoToken, TokenRequest};
///
/// let client = ClientSigningKey::generate(Algorithm::ES256)?;
/// let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048)?; // the platform's
/// let issuer = Issuer::builder(client)
///     .issuer("https://host.example")
///     .audience("chatseal-platform")
///     .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
///     .build()?;
/// let token = issuer.mint(&TokenRequest::new("user-42").sso_token(SsoToken::new("idp")))?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), chatseal::Error>(())
/// ```
///
/// # Security
///
/// The `context` claim is signed, not encrypted: put nothing secret there.
/// Only the sso_token is encrypted, and only to the platform key you give;
/// check that key's fingerprint with the platform out of band.
#[derive(Debug)]
pub struct Issuer {
    key: ClientSigningKey,
    iss: Option<Value>,
    aud: Option<Value>,
    ttl: i64,
    platform: Option<(PlatformEncryptionKey, PayloadFormat)>,
    header_b64: String,
}

impl Issuer {
    /// Starts building an issuer that signs with `key`.
    pub fn builder(key: ClientSigningKey) -> IssuerBuilder<NeedsIssuer> {
        IssuerBuilder {
            key,
            iss: None,
            aud: None,
            ttl: DEFAULT_TTL,
            allow_long_ttl: false,
            platform: None,
            _state: PhantomData,
        }
    }

    /// The signing key's `kid`, as put in every header.
    pub fn kid(&self) -> &str {
        self.key.kid()
    }

    /// Mints a token for `request`, valid from now for the configured ttl.
    pub fn mint(&self, request: &TokenRequest) -> Result<String> {
        self.mint_at(request, SystemTime::now())
    }

    /// Mints a token as if the time were `now` (for tests and replays of a
    /// clock; production code calls [`Issuer::mint`]).
    pub fn mint_at(&self, request: &TokenRequest, now: SystemTime) -> Result<String> {
        let now = unix_time(now);
        let mut claims = Map::new();
        if let Some(name) = request
            .extra
            .keys()
            .find(|k| REGISTERED.contains(&k.as_str()))
        {
            return Err(Error::misuse(format!(
                "extra claim `{name}` would overwrite a registered claim chatseal sets itself"
            )));
        }
        if request.sub.is_empty() {
            return Err(Error::misuse("the subject (`sub`) must not be empty"));
        }
        let ttl = match request.ttl {
            None => self.ttl,
            Some(t) => {
                let t = i64::try_from(t.as_secs()).unwrap_or(i64::MAX);
                if t == 0 || t > self.ttl {
                    return Err(Error::misuse(format!(
                        "the request's ttl of {t} s is outside 1..={} s (the issuer's ttl)",
                        self.ttl
                    )));
                }
                t
            }
        };
        if let Some(iss) = &self.iss {
            claims.insert("iss".into(), iss.clone());
        }
        claims.insert("sub".into(), Value::String(request.sub.clone()));
        if let Some(aud) = &self.aud {
            claims.insert("aud".into(), aud.clone());
        }
        claims.insert("iat".into(), now.into());
        claims.insert("nbf".into(), now.into());
        claims.insert("exp".into(), now.saturating_add(ttl).into());
        let mut jti = [0u8; 16];
        backend::fill_random(&mut jti)?;
        claims.insert("jti".into(), Value::String(b64url(&jti)));
        match &request.context {
            None => {}
            Some(Value::Object(m)) => {
                claims.insert("context".into(), Value::Object(m.clone()));
            }
            Some(_) => return Err(Error::misuse("`context` must be a JSON object")),
        }
        match (&request.sso_token, &self.platform) {
            (None, _) => {}
            (Some(t), Some((key, format))) => {
                claims.insert(
                    "user_payload".into(),
                    Value::String(payload::encrypt(key, *format, t)?),
                );
            }
            (Some(_), None) => {
                return Err(Error::misuse(
                    "an sso_token was given but the issuer has no platform encryption key; \
                     configure platform_key() so the sso_token is never sent in the clear",
                ))
            }
        }
        for (k, v) in &request.extra {
            claims.insert(k.clone(), v.clone());
        }
        let body = serde_json::to_vec(&Value::Object(claims))
            .map_err(|_| Error::misuse("claims could not be serialized"))?;
        let mut token = String::with_capacity(self.header_b64.len() + body.len() * 4 / 3 + 700);
        token.push_str(&self.header_b64);
        token.push('.');
        token.push_str(&b64url(&body));
        let sig = self.key.sign(token.as_bytes())?;
        token.push('.');
        token.push_str(&b64url(&sig));
        Ok(token)
    }
}
