//! The host side: an `Issuer` built once, `mint` per request.

use std::sync::Arc;
use std::time::Duration;

use chatseal::serde_json::Value;
use chatseal::{SsoToken, TokenRequest};
use napi::bindgen_prelude::{AsyncTask, ClassInstance, Either, JsValue, Null, Object};
use napi::{Env, Task};
use napi_derive::napi;

use crate::error::{misuse, Failure, OrThrow};
use crate::json;
use crate::keys::{payload_format, ClientSigningKey, PlatformEncryptionKey};

/// Options of `new Issuer(key, options)`.
#[napi(object, object_to_js = false)]
pub struct IssuerOptions<'env> {
    /// The `iss` of every token, or `null` to mint tokens without `iss` (as
    /// IBM watsonx Orchestrate's are). Required: leaving it out is an error,
    /// so the choice is explicit.
    #[napi(ts_type = "string | null")]
    pub issuer: Option<Either<String, Null>>,
    /// The `aud` of every token, or `null` for none. Required, as `issuer`.
    #[napi(ts_type = "string | null")]
    pub audience: Option<Either<String, Null>>,
    /// Token lifetime in seconds (default 3600, at most 7100 unless
    /// `allowLongTtl`).
    pub ttl_seconds: Option<u32>,
    /// Lifts the 7100-second cap on `ttlSeconds`.
    pub allow_long_ttl: Option<bool>,
    /// The platform's public key: an `ssoToken` handed to `mint` is encrypted
    /// to it. Without one, `mint` refuses sso_tokens.
    pub platform_key: Option<ClassInstance<'env, PlatformEncryptionKey>>,
    /// How the sso_token is encrypted: `'jwe'` (the default; RSA-OAEP-256 +
    /// A256GCM) or `'wxo'` (IBM watsonx Orchestrate's format).
    #[napi(ts_type = "PayloadFormat")]
    pub payload_format: Option<String>,
}

/// What `issuer.mint(request)` puts in the token.
#[napi(object, object_to_js = false)]
pub struct MintRequest<'env> {
    /// The user id (`sub`).
    pub sub: String,
    /// Plain user attributes, put in the signed, readable `context` claim.
    /// Put nothing secret here.
    #[napi(ts_type = "Record<string, unknown>")]
    pub context: Option<Object<'env>>,
    /// The on-behalf-of token, encrypted to the platform key into
    /// `user_payload`.
    pub sso_token: Option<String>,
    /// More claims. Registered claims (`iss`, `sub`, `aud`, `iat`, `nbf`,
    /// `exp`, `jti`, `context`, `user_payload`) are refused.
    #[napi(ts_type = "Record<string, unknown>")]
    pub claims: Option<Object<'env>>,
}

/// Mints widget tokens. Build it once at start-up, then call `mint` (or
/// `mintAsync`) for each request.
///
/// `issuer` and `audience` become the `iss` and `aud` of every token; `null`
/// leaves one out. With `platformKey`, an sso_token handed to `mint` is
/// encrypted to it; without one, `mint` refuses sso_tokens rather than send
/// them in the clear. The `context` claim is signed, not encrypted.
#[napi]
pub struct Issuer(Arc<chatseal::Issuer>);

fn required(
    v: Option<Either<String, Null>>,
    name: &str,
    claim: &str,
) -> Result<Option<String>, Failure> {
    match v {
        Some(Either::A(s)) => Ok(Some(s)),
        Some(Either::B(Null)) => Ok(None),
        None => Err(misuse(format!(
            "options.{name} is required: give the {name} (`{claim}` of every token), or null to \
             mint tokens without `{claim}`"
        ))),
    }
}

fn build_issuer(
    key: &ClientSigningKey,
    options: IssuerOptions<'_>,
) -> Result<chatseal::Issuer, Failure> {
    let iss = required(options.issuer, "issuer", "iss")?;
    let aud = required(options.audience, "audience", "aud")?;
    let b = chatseal::Issuer::builder(key.0.clone());
    let b = match iss {
        Some(iss) => b.issuer(iss),
        None => b.without_issuer(),
    };
    let b = match aud {
        Some(aud) => b.audience(aud),
        None => b.without_audience(),
    };
    let mut b = match options.ttl_seconds {
        Some(t) => b.ttl(Duration::from_secs(u64::from(t))),
        None => b,
    };
    if options.allow_long_ttl == Some(true) {
        b = b.allow_long_ttl();
    }
    match (options.platform_key, options.payload_format) {
        (Some(p), format) => {
            let format = format
                .as_deref()
                .map(payload_format)
                .transpose()?
                .unwrap_or_default();
            b = b.platform_key(p.0.clone(), format);
        }
        (None, Some(_)) => {
            return Err(misuse(
                "options.payloadFormat was given without a platformKey to encrypt to",
            ))
        }
        (None, None) => {}
    }
    Ok(b.build()?)
}

fn token_request(env: &Env, request: MintRequest<'_>) -> Result<TokenRequest, Failure> {
    let mut req = TokenRequest::new(request.sub);
    if let Some(c) = request.context {
        let c = json::object_arg(env, c.to_unknown(), "request.context")?;
        req = req.context(Value::Object(c));
    }
    if let Some(t) = request.sso_token {
        req = req.sso_token(SsoToken::new(t));
    }
    if let Some(c) = request.claims {
        for (k, v) in json::object_arg(env, c.to_unknown(), "request.claims")? {
            req = req.claim(k, v);
        }
    }
    Ok(req)
}

/// Minting off the event loop (`issuer.mintAsync`).
pub struct Mint {
    issuer: Arc<chatseal::Issuer>,
    request: TokenRequest,
}

impl Task for Mint {
    type Output = Result<String, Failure>;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.issuer.mint(&self.request).map_err(Failure::from))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<String> {
        output.or_throw(&env)
    }
}

#[napi]
impl Issuer {
    /// Builds an issuer that signs with `key`. `options.issuer` and
    /// `options.audience` are required (`null` to leave the claim out).
    #[napi(
        constructor,
        ts_args_type = "key: ClientSigningKey, options: IssuerOptions & { issuer: string | null; audience: string | null }"
    )]
    pub fn new(env: Env, key: &ClientSigningKey, options: IssuerOptions<'_>) -> napi::Result<Self> {
        build_issuer(key, options)
            .map(|i| Self(Arc::new(i)))
            .or_throw(&env)
    }

    /// The signing key's `kid`, as put in every header.
    #[napi(getter)]
    pub fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    /// Mints a token for `request.sub`, valid from now for the ttl, and
    /// returns it (compact JWS).
    #[napi]
    pub fn mint(&self, env: Env, request: MintRequest<'_>) -> napi::Result<String> {
        token_request(&env, request)
            .and_then(|r| Ok(self.0.mint(&r)?))
            .or_throw(&env)
    }

    /// `mint` on a worker thread (RSA signing and encryption off the event
    /// loop). The request is read before this returns.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn mint_async(&self, env: Env, request: MintRequest<'_>) -> napi::Result<AsyncTask<Mint>> {
        let request = token_request(&env, request).or_throw(&env)?;
        Ok(AsyncTask::new(Mint {
            issuer: self.0.clone(),
            request,
        }))
    }
}
