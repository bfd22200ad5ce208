//! The platform side: a `Verifier` built once, `verify` per token, and the
//! redacting `SsoToken` that verified tokens carry.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{AsyncTask, ClassInstance, Either, Unknown};
use napi::{Env, ScopedTask};
use napi_derive::napi;

use crate::error::{misuse, Failure, OrThrow};
use crate::json;
use crate::keys::{algorithm, payload_format, ClientVerifyingKey, PlatformDecryptionKey};

/// A decrypted sso_token. `toString()`, `toJSON()` and `util.inspect` give
/// `[redacted]`, so logging a verified token never leaks it; `expose()`
/// returns the value.
#[napi]
pub struct SsoToken(pub(crate) chatseal::SsoToken);

#[napi]
impl SsoToken {
    /// The sso_token itself. A secret: hand it on, never log it.
    #[napi]
    pub fn expose(&self) -> String {
        self.0.expose_secret().to_owned()
    }

    /// `[redacted]`.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> &'static str {
        "[redacted]"
    }

    /// `[redacted]`, so `JSON.stringify` of a verified token shows no secret.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> &'static str {
        "[redacted]"
    }
}

/// The verified JOSE header.
#[napi(object, object_from_js = false)]
pub struct TokenHeader {
    /// The signature algorithm (checked against the allow-list).
    #[napi(ts_type = "Algorithm")]
    pub alg: String,
    /// The key id, if the header names one.
    pub kid: Option<String>,
    /// The `typ` member, if any.
    pub typ: Option<String>,
}

/// A token that passed every check.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct VerifiedToken<'env> {
    /// The subject (`sub`): the user id (`''` when the verifier allows
    /// tokens without one and this token has none).
    pub sub: String,
    /// The verified header.
    pub header: TokenHeader,
    /// Every claim, registered ones included (`user_payload` stays the
    /// ciphertext it is in the token).
    #[napi(ts_type = "Record<string, unknown>")]
    pub claims: Unknown<'env>,
    /// The decrypted sso_token, when the token carried one and the verifier
    /// has decryption keys; `null` otherwise.
    pub sso_token: Option<SsoToken>,
}

fn verified<'env>(env: &'env Env, v: chatseal::VerifiedToken) -> napi::Result<VerifiedToken<'env>> {
    let sub = v.subject().to_owned();
    let claims = chatseal::serde_json::Value::Object(v.claims().all().clone()).to_string();
    let (header, _, sso) = v.into_parts();
    Ok(VerifiedToken {
        sub,
        header: TokenHeader {
            alg: header.alg.as_str().to_owned(),
            kid: header.kid,
            typ: header.typ,
        },
        claims: json::parse(env, &claims)?,
        sso_token: sso.map(SsoToken),
    })
}

/// Options of `new Verifier(options)`.
#[napi(object, object_to_js = false)]
pub struct VerifierOptions<'env> {
    /// The host keys trusted to sign tokens. Give `keys` or `jwks`.
    pub keys: Option<Vec<ClassInstance<'env, ClientVerifyingKey>>>,
    /// A JWKS (an object or JSON text) whose signature keys are trusted.
    #[napi(ts_type = "JsonWebKeySet | string")]
    pub jwks: Option<Unknown<'env>>,
    /// The accepted `iss` value(s). Required unless
    /// `dangerouslySkipIssuerCheck`.
    #[napi(ts_type = "string | string[]")]
    pub issuer: Option<Either<String, Vec<String>>>,
    /// The accepted `aud` value(s). Required unless
    /// `dangerouslySkipAudienceCheck`.
    #[napi(ts_type = "string | string[]")]
    pub audience: Option<Either<String, Vec<String>>>,
    /// Accept tokens whatever their `iss` (IBM watsonx Orchestrate tokens
    /// have none): the trusted keys alone decide who the issuer is.
    pub dangerously_skip_issuer_check: Option<bool>,
    /// Accept tokens whatever their `aud`: a token minted for another
    /// service with the same key is then accepted.
    pub dangerously_skip_audience_check: Option<bool>,
    /// The accepted algorithms (default: exactly the keys' algorithms). A
    /// key that states its algorithm is used with that one only.
    #[napi(ts_type = "Algorithm[]")]
    pub algorithms: Option<Vec<String>>,
    /// Clock leeway for `exp`, `nbf`, `iat` in seconds (default 60).
    pub leeway_seconds: Option<u32>,
    /// Longest accepted `exp - iat` in seconds (default 7100).
    pub max_lifetime_seconds: Option<u32>,
    /// Largest token in bytes (default 16 KiB).
    pub max_token_size: Option<u32>,
    /// Accept tokens without `sub`.
    pub allow_missing_subject: Option<bool>,
    /// The platform keys that decrypt `user_payload`; with keys set, a token
    /// whose payload does not decrypt fails as a whole.
    pub decryption_keys: Option<Vec<ClassInstance<'env, PlatformDecryptionKey>>>,
    /// How `user_payload` is encrypted: `'jwe'` (default) or `'wxo'`.
    #[napi(ts_type = "PayloadFormat")]
    pub payload_format: Option<String>,
}

fn list(v: Either<String, Vec<String>>) -> Vec<String> {
    match v {
        Either::A(s) => vec![s],
        Either::B(l) => l,
    }
}

fn build_verifier(env: &Env, o: VerifierOptions<'_>) -> Result<chatseal::Verifier, Failure> {
    let keys: Vec<chatseal::ClientVerifyingKey> = match (o.keys, o.jwks) {
        (Some(keys), None) => keys.iter().map(|k| k.0.clone()).collect(),
        (None, Some(jwks)) => chatseal::ClientVerifyingKey::from_jwks(&json::json_text_arg(
            env,
            jwks,
            "options.jwks",
        )?)?,
        (Some(_), Some(_)) => return Err(misuse("give options.keys or options.jwks, not both")),
        (None, None) => {
            return Err(misuse(
                "options.keys or options.jwks is required: the keys trusted to sign tokens",
            ))
        }
    };
    let b = chatseal::Verifier::builder(keys);
    let b = match (o.issuer, o.dangerously_skip_issuer_check == Some(true)) {
        (Some(_), true) => {
            return Err(misuse(
                "options.issuer was given and dangerouslySkipIssuerCheck is set; choose one",
            ))
        }
        (Some(iss), false) => b.issuers(list(iss)),
        (None, true) => b.dangerous_skip_issuer_check(),
        (None, false) => {
            return Err(misuse(
                "options.issuer is required: the accepted `iss` value(s), or \
                 dangerouslySkipIssuerCheck: true to accept tokens whatever their `iss`",
            ))
        }
    };
    let mut b =
        match (o.audience, o.dangerously_skip_audience_check == Some(true)) {
            (Some(_), true) => return Err(misuse(
                "options.audience was given and dangerouslySkipAudienceCheck is set; choose one",
            )),
            (Some(aud), false) => b.audiences(list(aud)),
            (None, true) => b.dangerous_skip_audience_check(),
            (None, false) => {
                return Err(misuse(
                    "options.audience is required: the accepted `aud` value(s), or \
                 dangerouslySkipAudienceCheck: true to accept tokens whatever their `aud`",
                ))
            }
        };
    if let Some(algs) = o.algorithms {
        b = b.algorithms(
            algs.iter()
                .map(|a| algorithm(a))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    if let Some(l) = o.leeway_seconds {
        b = b.leeway(Duration::from_secs(u64::from(l)));
    }
    if let Some(m) = o.max_lifetime_seconds {
        b = b.max_lifetime(Duration::from_secs(u64::from(m)));
    }
    if let Some(s) = o.max_token_size {
        b = b.max_token_size(usize::try_from(s).unwrap_or(usize::MAX));
    }
    if o.allow_missing_subject == Some(true) {
        b = b.allow_missing_subject();
    }
    let decryption = o.decryption_keys.unwrap_or_default();
    match (decryption.is_empty(), o.payload_format) {
        (true, Some(_)) => {
            return Err(misuse(
                "options.payloadFormat was given without decryptionKeys to decrypt with",
            ))
        }
        (true, None) => {}
        (false, format) => {
            let format = format
                .as_deref()
                .map(payload_format)
                .transpose()?
                .unwrap_or_default();
            b = b.decryption_keys(decryption.iter().map(|k| k.0.clone()), format);
        }
    }
    Ok(b.build()?)
}

/// Verifies widget tokens and decrypts their sso_token. Build it once, then
/// call `verify` (or `verifyAsync`) for each token.
///
/// Safe by default: `exp` is required, `nbf`/`iat` are checked with the
/// leeway, the lifetime is bounded, the algorithm comes from the trusted
/// keys (never from the token alone), and tokens are size-bounded and parsed
/// strictly.
#[napi]
pub struct Verifier(Arc<chatseal::Verifier>);

/// Verification off the event loop (`verifier.verifyAsync`).
pub struct Verify {
    verifier: Arc<chatseal::Verifier>,
    token: String,
}

impl<'task> ScopedTask<'task> for Verify {
    type Output = Result<chatseal::VerifiedToken, Failure>;
    type JsValue = VerifiedToken<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.verifier.verify(&self.token).map_err(Failure::from))
    }

    fn resolve(
        &mut self,
        env: &'task Env,
        output: Self::Output,
    ) -> napi::Result<VerifiedToken<'task>> {
        verified(env, output.or_throw(env)?)
    }
}

#[napi]
impl Verifier {
    /// Builds a verifier from `options` (see `VerifierOptions`).
    #[napi(constructor)]
    pub fn new(env: Env, options: VerifierOptions<'_>) -> napi::Result<Self> {
        build_verifier(&env, options)
            .map(|v| Self(Arc::new(v)))
            .or_throw(&env)
    }

    /// Verifies `token` now: signature first, then every claim check, then
    /// decryption of the sso_token when decryption keys are configured.
    #[napi]
    pub fn verify<'env>(&self, env: &'env Env, token: String) -> napi::Result<VerifiedToken<'env>> {
        verified(env, self.0.verify(&token).or_throw(env)?)
    }

    /// `verify` on a worker thread (RSA decryption off the event loop).
    #[napi(ts_return_type = "Promise<VerifiedToken>")]
    pub fn verify_async(&self, token: String) -> AsyncTask<Verify> {
        AsyncTask::new(Verify {
            verifier: self.0.clone(),
            token,
        })
    }
}
