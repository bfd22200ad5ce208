//! The host side: an `Issuer` built once, `mint` per request.

use std::sync::Arc;
use std::time::Duration;

use chatseal::serde_json::Value;
use chatseal::{SsoToken, TokenRequest};

use crate::error::{misuse, Result};
use crate::json::JsonObject;
use crate::keys::{ClientSigningKey, PayloadFormat, PlatformEncryptionKey};

/// Mints widget tokens. Build it once at start-up, then call `mint` for each
/// request, from as many threads as you like.
///
/// `issuer` and `audience` become the `iss` and `aud` of every token; pass
/// `None` explicitly to leave one out (IBM watsonx Orchestrate's format has
/// neither). With `platform_key`, an sso_token handed to `mint` is encrypted
/// to it (`payload_format`: JWE by default, or IBM's `Wxo`); without one,
/// `mint` refuses sso_tokens rather than send them in the clear.
///
/// The `context` claim is signed, not encrypted: put nothing secret there.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Issuer(chatseal::Issuer);

#[uniffi::export]
impl Issuer {
    /// Builds an issuer that signs with `key`. `ttl_seconds` is the token
    /// lifetime (default 3600, at most 7100 unless `allow_long_ttl`).
    #[uniffi::constructor(default(
        ttl_seconds = 3600,
        platform_key = None,
        allow_long_ttl = false,
        payload_format = None
    ))]
    pub fn new(
        key: Arc<ClientSigningKey>,
        issuer: Option<String>,
        audience: Option<String>,
        ttl_seconds: u64,
        platform_key: Option<Arc<PlatformEncryptionKey>>,
        payload_format: Option<PayloadFormat>,
        allow_long_ttl: bool,
    ) -> Result<Arc<Self>> {
        let b = chatseal::Issuer::builder(key.0.clone());
        let b = match issuer {
            Some(iss) => b.issuer(iss),
            None => b.without_issuer(),
        };
        let b = match audience {
            Some(aud) => b.audience(aud),
            None => b.without_audience(),
        };
        let mut b = b.ttl(Duration::from_secs(ttl_seconds));
        if allow_long_ttl {
            b = b.allow_long_ttl();
        }
        match (platform_key, payload_format) {
            (Some(p), format) => {
                b = b.platform_key(p.0.clone(), format.unwrap_or_default().into());
            }
            (None, Some(_)) => {
                return Err(misuse(
                    "payload_format was given without a platform_key to encrypt to",
                ))
            }
            (None, None) => {}
        }
        Ok(Arc::new(Self(b.build()?)))
    }

    /// The signing key's `kid`, as put in every header.
    pub fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    /// Mints a token for the user `sub`, valid from now for the ttl.
    ///
    /// - `context`: plain user attributes (a dict in Python), put in the
    ///   signed, readable `context` claim.
    /// - `sso_token`: the on-behalf-of token, encrypted to the platform key
    ///   into `user_payload`.
    /// - `claims`: more claims (a dict in Python); registered claims (`iss`,
    ///   `sub`, `aud`, `iat`, `nbf`, `exp`, `jti`, `context`,
    ///   `user_payload`) are refused.
    #[uniffi::method(default(context = None, sso_token = None, claims = None))]
    pub fn mint(
        &self,
        sub: String,
        context: Option<JsonObject>,
        sso_token: Option<String>,
        claims: Option<JsonObject>,
    ) -> Result<String> {
        let mut req = TokenRequest::new(sub);
        if let Some(c) = context {
            req = req.context(Value::Object(c.into_map("context")?));
        }
        if let Some(t) = sso_token {
            req = req.sso_token(SsoToken::new(t));
        }
        if let Some(c) = claims {
            for (k, v) in c.into_map("claims")? {
                req = req.claim(k, v);
            }
        }
        Ok(self.0.mint(&req)?)
    }
}
