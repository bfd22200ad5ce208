//! The platform side: a `Verifier` built once, `verify` per token.

use std::sync::Arc;
use std::time::Duration;

use chatseal::serde_json::{json, Map};

use crate::error::{misuse, Result};
use crate::json::JsonObject;
use crate::keys::{Algorithm, ClientVerifyingKey, PayloadFormat, PlatformDecryptionKey};

/// Verifies widget tokens and decrypts their sso_token. Build it once, then
/// call `verify` for each token, from as many threads as you like.
///
/// Safe by default: `exp` is required, `nbf`/`iat` are checked with
/// `leeway_seconds`, the lifetime is bounded, the algorithm comes from the
/// trusted keys (never from the token alone), and tokens are size-bounded
/// and parsed strictly.
///
/// `issuers` and `audiences` are the accepted `iss` and `aud` values. To
/// accept tokens without them (IBM watsonx Orchestrate's format), pass an
/// empty list *and* `dangerous_skip_issuer_check=True` /
/// `dangerous_skip_audience_check=True`.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Verifier(chatseal::Verifier);

#[uniffi::export]
impl Verifier {
    /// Builds a verifier that trusts `keys` (see `ClientVerifyingKey` and
    /// `client_keys_from_jwks`).
    ///
    /// - `algorithms`: the algorithms accepted; a token signed with any other
    ///   is refused. A key that states its algorithm is used with that one
    ///   only, a key that states none with each listed algorithm that fits
    ///   its type (default: exactly the keys' `algorithm()`s).
    /// - `leeway_seconds`: clock leeway for `exp`, `nbf`, `iat` (default 60).
    /// - `max_lifetime_seconds`: longest `exp - iat` (default 7100).
    /// - `max_token_size`: largest token in bytes (default 16 KiB).
    /// - `decryption_keys` + `payload_format`: the platform keys that decrypt
    ///   `user_payload`; with keys set, a token whose payload does not
    ///   decrypt fails as a whole.
    #[uniffi::constructor(default(
        dangerous_skip_issuer_check = false,
        dangerous_skip_audience_check = false,
        algorithms = None,
        leeway_seconds = 60,
        max_lifetime_seconds = None,
        max_token_size = None,
        allow_missing_subject = false,
        decryption_keys = [],
        payload_format = None
    ))]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        keys: Vec<Arc<ClientVerifyingKey>>,
        issuers: Vec<String>,
        audiences: Vec<String>,
        dangerous_skip_issuer_check: bool,
        dangerous_skip_audience_check: bool,
        algorithms: Option<Vec<Algorithm>>,
        leeway_seconds: u64,
        max_lifetime_seconds: Option<u64>,
        max_token_size: Option<u64>,
        allow_missing_subject: bool,
        decryption_keys: Vec<Arc<PlatformDecryptionKey>>,
        payload_format: Option<PayloadFormat>,
    ) -> Result<Arc<Self>> {
        if dangerous_skip_issuer_check && !issuers.is_empty() {
            return Err(misuse(
                "issuers were given and dangerous_skip_issuer_check is set; choose one",
            ));
        }
        if dangerous_skip_audience_check && !audiences.is_empty() {
            return Err(misuse(
                "audiences were given and dangerous_skip_audience_check is set; choose one",
            ));
        }
        let b = chatseal::Verifier::builder(keys.iter().map(|k| k.0.clone()));
        let b = if dangerous_skip_issuer_check {
            b.dangerous_skip_issuer_check()
        } else {
            b.issuers(issuers)
        };
        let mut b = if dangerous_skip_audience_check {
            b.dangerous_skip_audience_check()
        } else {
            b.audiences(audiences)
        };
        if let Some(algs) = algorithms {
            b = b.algorithms(algs.into_iter().map(chatseal::Algorithm::from));
        }
        b = b.leeway(Duration::from_secs(leeway_seconds));
        if let Some(m) = max_lifetime_seconds {
            b = b.max_lifetime(Duration::from_secs(m));
        }
        if let Some(s) = max_token_size {
            b = b.max_token_size(usize::try_from(s).unwrap_or(usize::MAX));
        }
        if allow_missing_subject {
            b = b.allow_missing_subject();
        }
        if decryption_keys.is_empty() && payload_format.is_some() {
            return Err(misuse(
                "payload_format was given without decryption_keys to decrypt with",
            ));
        }
        if !decryption_keys.is_empty() {
            b = b.decryption_keys(
                decryption_keys.iter().map(|k| k.0.clone()),
                payload_format.unwrap_or_default().into(),
            );
        }
        Ok(Arc::new(Self(b.build()?)))
    }

    /// Verifies `token` now: signature first, then every claim check, then
    /// decryption of the sso_token when decryption keys are configured.
    pub fn verify(&self, token: String) -> Result<Arc<VerifiedToken>> {
        let v = self.0.verify(&token)?;
        Ok(Arc::new(VerifiedToken(v)))
    }
}

/// A token that passed every check.
///
/// Its `repr()` never shows the sso_token; read it with `sso_token()`.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct VerifiedToken(chatseal::VerifiedToken);

#[uniffi::export]
impl VerifiedToken {
    /// The subject (`sub`): the user id ("" when the verifier allows tokens
    /// without one and this token has none).
    pub fn subject(&self) -> String {
        self.0.subject().to_owned()
    }

    /// The verified header (`alg`, and `kid`/`typ` when present; a dict in
    /// Python).
    pub fn header(&self) -> JsonObject {
        let h = self.0.header();
        let mut m = Map::new();
        m.insert("alg".into(), json!(h.alg.as_str()));
        if let Some(k) = &h.kid {
            m.insert("kid".into(), json!(k));
        }
        if let Some(t) = &h.typ {
            m.insert("typ".into(), json!(t));
        }
        m.into()
    }

    /// Every claim, registered ones included (a dict in Python;
    /// `user_payload` stays the ciphertext it is in the token).
    pub fn claims(&self) -> JsonObject {
        self.0.claims().all().clone().into()
    }

    /// The plain `context` claim (a dict in Python), if the token has one.
    pub fn context(&self) -> Option<JsonObject> {
        self.0.context().map(|c| c.clone().into())
    }

    /// The `kid` of the key that signed the token, if the header names one.
    pub fn kid(&self) -> Option<String> {
        self.0.header().kid.clone()
    }

    /// The algorithm the token was signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.0.header().alg.into()
    }

    /// The issuer (`iss`), if any.
    pub fn issuer(&self) -> Option<String> {
        self.0.claims().iss.clone()
    }

    /// The audiences (`aud`; a single string becomes one entry).
    pub fn audiences(&self) -> Vec<String> {
        self.0.claims().aud.clone()
    }

    /// Expiry (`exp`), seconds since the Unix epoch.
    pub fn expires_at(&self) -> i64 {
        self.0.claims().exp
    }

    /// Issued at (`iat`), seconds since the Unix epoch, if present.
    pub fn issued_at(&self) -> Option<i64> {
        self.0.claims().iat
    }

    /// The token id (`jti`), if present.
    pub fn token_id(&self) -> Option<String> {
        self.0.claims().jti.clone()
    }

    /// The decrypted sso_token, when the token carried one and the verifier
    /// has decryption keys. A secret: hand it on, never log it.
    pub fn sso_token(&self) -> Option<String> {
        self.0.sso_token().map(|t| t.expose_secret().to_owned())
    }
}
