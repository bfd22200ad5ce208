//! The platform side: verify widget tokens and decrypt their sso_token.

use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use crate::encoding::{b64url_decode, parse_object};
use crate::error::{Error, ErrorKind, Result};
use crate::issuer::{NeedsAudience, NeedsIssuer, Ready, MAX_TTL};
use crate::keys::{truncate_for_message, Algorithm, ClientVerifyingKey, PlatformDecryptionKey};
use crate::payload::{self, PayloadFormat};
use crate::secret::SsoToken;
use crate::token::{unix_time, Claims, Header};

/// Default clock leeway for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Default largest token accepted, in bytes.
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 16 * 1024;

/// A token that passed every check.
pub struct VerifiedToken {
    header: Header,
    claims: Claims,
    sso_token: Option<SsoToken>,
}

impl VerifiedToken {
    /// The verified header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The verified claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The subject (`sub`): the user id.
    pub fn subject(&self) -> &str {
        self.claims.sub.as_deref().unwrap_or_default()
    }

    /// The plain `context` attributes, if any.
    pub fn context(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.claims.context()
    }

    /// The decrypted sso_token, when the token carried one and the verifier
    /// has decryption keys.
    pub fn sso_token(&self) -> Option<&SsoToken> {
        self.sso_token.as_ref()
    }

    /// The parts, to move out.
    pub fn into_parts(self) -> (Header, Claims, Option<SsoToken>) {
        (self.header, self.claims, self.sso_token)
    }
}

impl fmt::Debug for VerifiedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .field("sso_token", &self.sso_token)
            .finish()
    }
}

/// Builds a [`Verifier`]. The issuer and audience decisions are required
/// before `build` exists; everything else has a safe default.
pub struct VerifierBuilder<S> {
    keys: Vec<ClientVerifyingKey>,
    issuers: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    algorithms: Option<Vec<Algorithm>>,
    leeway: Duration,
    max_lifetime: Duration,
    max_token_size: usize,
    require_subject: bool,
    decryption: Vec<PlatformDecryptionKey>,
    format: PayloadFormat,
    _state: PhantomData<S>,
}

impl<S> VerifierBuilder<S> {
    fn next<T>(self) -> VerifierBuilder<T> {
        VerifierBuilder {
            keys: self.keys,
            issuers: self.issuers,
            audiences: self.audiences,
            algorithms: self.algorithms,
            leeway: self.leeway,
            max_lifetime: self.max_lifetime,
            max_token_size: self.max_token_size,
            require_subject: self.require_subject,
            decryption: self.decryption,
            format: self.format,
            _state: PhantomData,
        }
    }
}

impl VerifierBuilder<NeedsIssuer> {
    /// Accept tokens whose `iss` is exactly `iss`.
    pub fn issuer(self, iss: impl Into<String>) -> VerifierBuilder<NeedsAudience> {
        self.issuers([iss.into()])
    }

    /// Accept tokens whose `iss` is exactly one of `issuers`.
    pub fn issuers<I: IntoIterator<Item = impl Into<String>>>(
        mut self,
        issuers: I,
    ) -> VerifierBuilder<NeedsAudience> {
        self.issuers = Some(issuers.into_iter().map(Into::into).collect());
        self.next()
    }

    /// Do not check `iss` at all (IBM watsonx Orchestrate tokens have none).
    /// The trusted keys alone then decide who the issuer is.
    pub fn dangerous_skip_issuer_check(self) -> VerifierBuilder<NeedsAudience> {
        self.next()
    }
}

impl VerifierBuilder<NeedsAudience> {
    /// Accept tokens with `aud` containing exactly `aud`.
    pub fn audience(self, aud: impl Into<String>) -> VerifierBuilder<Ready> {
        self.audiences([aud.into()])
    }

    /// Accept tokens with an `aud` value among `audiences`.
    pub fn audiences<I: IntoIterator<Item = impl Into<String>>>(
        mut self,
        audiences: I,
    ) -> VerifierBuilder<Ready> {
        self.audiences = Some(audiences.into_iter().map(Into::into).collect());
        self.next()
    }

    /// Do not check `aud` at all (IBM watsonx Orchestrate tokens have none).
    /// A token minted for another service with the same key is then accepted.
    pub fn dangerous_skip_audience_check(self) -> VerifierBuilder<Ready> {
        self.next()
    }
}

impl VerifierBuilder<Ready> {
    /// The algorithms the caller accepts (RFC 8725 §3.1). A token signed
    /// with any other is refused, whatever the keys say. A key that states
    /// its algorithm is used with that one only; a key that states none (a
    /// PEM, a JWK without `alg`) with every listed algorithm that fits its
    /// type (RS256 or PS256 for RSA, ES256 for P-256).
    ///
    /// Default: exactly the trusted keys' [`ClientVerifyingKey::algorithm`]s
    /// (for a key that states none, its type's default: RS256, ES256).
    ///
    /// ```
    /// use chatseal::*;
    ///
    /// // The host signs PS256 and registered its key as a bare PEM.
    /// let host = ClientSigningKey::generate_rsa(Algorithm::PS256, RsaKeySize::Rsa2048)?;
    /// let token = Issuer::builder(host.clone()).without_issuer().without_audience().build()?
    ///     .mint(&TokenRequest::new("user-42"))?;
    /// let pem = host.verifying_key().to_spki_pem()?;
    /// let verifier = Verifier::builder([ClientVerifyingKey::from_spki_pem_without_alg(&pem)?])
    ///     .dangerous_skip_issuer_check()
    ///     .dangerous_skip_audience_check()
    ///     .algorithms([Algorithm::PS256])
    ///     .build()?;
    /// assert_eq!(verifier.verify(&token)?.subject(), "user-42");
    /// # Ok::<(), chatseal::Error>(())
    /// ```
    pub fn algorithms(mut self, algs: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algs.into_iter().collect());
        self
    }

    /// Clock leeway for `exp`, `nbf`, `iat` (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Longest accepted `exp - iat` (default 7100 s).
    pub fn max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = max;
        self
    }

    /// Largest accepted token in bytes (default 16 KiB).
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.max_token_size = bytes;
        self
    }

    /// Accept tokens without `sub` (the default refuses them). For identity
    /// provider tokens whose user id is another claim.
    pub fn allow_missing_subject(mut self) -> Self {
        self.require_subject = false;
        self
    }

    /// The platform's private keys that decrypt `user_payload` (several for
    /// rotation; chosen by `kid` in `jwe` format), and the payload format.
    /// With keys configured, a token whose `user_payload` does not decrypt
    /// fails verification as a whole.
    pub fn decryption_keys(
        mut self,
        keys: impl IntoIterator<Item = PlatformDecryptionKey>,
        format: PayloadFormat,
    ) -> Self {
        self.decryption = keys.into_iter().collect();
        self.format = format;
        self
    }

    /// Checks the settings and builds the verifier.
    pub fn build(self) -> Result<Verifier> {
        if self.keys.is_empty() {
            return Err(Error::misuse("the verifier needs at least one trusted key"));
        }
        let key_algs: BTreeSet<Algorithm> = self
            .keys
            .iter()
            .map(ClientVerifyingKey::algorithm)
            .collect();
        let algorithms: BTreeSet<Algorithm> = match self.algorithms {
            Some(a) => a.into_iter().collect(),
            None => key_algs.clone(),
        };
        if algorithms.is_empty() {
            return Err(Error::misuse("the verifier's algorithm list is empty"));
        }
        if !self
            .keys
            .iter()
            .any(|k| algorithms.iter().any(|a| k.fits(*a)))
        {
            return Err(Error::misuse(format!(
                "no trusted key is for an allowed algorithm (keys: {key_algs:?}, allowed: {algorithms:?})"
            )));
        }
        let mut seen = BTreeSet::new();
        for kid in self
            .keys
            .iter()
            .filter_map(ClientVerifyingKey::declared_kid)
        {
            if !seen.insert(kid) {
                return Err(Error::misuse(format!(
                    "two trusted keys share kid `{}`; key ids must be unique",
                    truncate_for_message(kid)
                )));
            }
        }
        for d in &self.decryption {
            if self.keys.iter().any(|k| k.thumbprint() == d.thumbprint()) {
                return Err(Error::misuse(
                    "a decryption key is also a trusted signing key; the two roles need two \
                     different key pairs",
                ));
            }
        }
        if matches!(&self.issuers, Some(v) if v.is_empty())
            || matches!(&self.audiences, Some(v) if v.is_empty())
        {
            return Err(Error::misuse(
                "an empty issuer or audience list accepts nothing; use the dangerous_skip_* call \
                 to skip the check",
            ));
        }
        if self.max_token_size == 0 {
            return Err(Error::misuse("max_token_size must be positive"));
        }
        Ok(Verifier {
            keys: self.keys,
            issuers: self.issuers,
            audiences: self.audiences,
            algorithms,
            leeway: i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX),
            max_lifetime: i64::try_from(self.max_lifetime.as_secs()).unwrap_or(i64::MAX),
            max_token_size: self.max_token_size,
            require_subject: self.require_subject,
            decryption: self.decryption,
            format: self.format,
        })
    }
}

/// Verifies widget tokens against the host's trusted keys and decrypts their
/// sso_token.
///
/// Safe by default: `exp` is required and checked, `nbf` and `iat` are
/// checked, the lifetime is bounded, the algorithm comes from the keys (never
/// the token alone), tokens are size-bounded and parsed strictly, and the
/// signature is checked before any claim is read.
///
/// # Examples
///
/// ```
/// use chatseal::{Algorithm, ClientSigningKey, Issuer, PayloadFormat, PlatformDecryptionKey,
///                RsaKeySize, SsoToken, TokenRequest, Verifier};
///
/// let client = ClientSigningKey::generate(Algorithm::ES256)?;
/// let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048)?;
/// let issuer = Issuer::builder(client.clone())
///     .issuer("https://host.example")
///     .audience("chat")
///     .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
///     .build()?;
/// let token = issuer.mint(&TokenRequest::new("user-42").sso_token(SsoToken::new("idp")))?;
///
/// let verifier = Verifier::builder(vec![client.verifying_key().clone()])
///     .issuer("https://host.example")
///     .audience("chat")
///     .decryption_keys([platform], PayloadFormat::Jwe)
///     .build()?;
/// let verified = verifier.verify(&token)?;
/// assert_eq!(verified.subject(), "user-42");
/// assert_eq!(verified.sso_token().unwrap().expose_secret(), "idp");
/// # Ok::<(), chatseal::Error>(())
/// ```
///
/// # Security
///
/// What the caller must still get right: trust only keys registered for the
/// host out of band; set the issuer and audience (skipping them is named
/// `dangerous_*` for a reason); keep the decryption keys private; log
/// [`Error`]'s message, never the token.
pub struct Verifier {
    keys: Vec<ClientVerifyingKey>,
    issuers: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    algorithms: BTreeSet<Algorithm>,
    leeway: i64,
    max_lifetime: i64,
    max_token_size: usize,
    require_subject: bool,
    decryption: Vec<PlatformDecryptionKey>,
    format: PayloadFormat,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.keys)
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .field("max_lifetime", &self.max_lifetime)
            .field("max_token_size", &self.max_token_size)
            .field("decryption_keys", &self.decryption.len())
            .field("format", &self.format)
            .finish()
    }
}

impl Verifier {
    /// Starts building a verifier that trusts `keys`.
    pub fn builder(
        keys: impl IntoIterator<Item = ClientVerifyingKey>,
    ) -> VerifierBuilder<NeedsIssuer> {
        VerifierBuilder {
            keys: keys.into_iter().collect(),
            issuers: None,
            audiences: None,
            algorithms: None,
            leeway: DEFAULT_LEEWAY,
            max_lifetime: MAX_TTL,
            max_token_size: DEFAULT_MAX_TOKEN_SIZE,
            require_subject: true,
            decryption: Vec::new(),
            format: PayloadFormat::Jwe,
            _state: PhantomData,
        }
    }

    /// Verifies `token` now.
    pub fn verify(&self, token: &str) -> Result<VerifiedToken> {
        self.verify_at(token, SystemTime::now())
    }

    /// Verifies `token` as if the time were `now`.
    pub fn verify_at(&self, token: &str, now: SystemTime) -> Result<VerifiedToken> {
        let (header, claims) = self.verify_signature(token)?;
        self.check_claims(&claims, unix_time(now))?;
        let sso_token = match (claims.user_payload(), self.decryption.is_empty()) {
            (Some(p), false) => payload::decrypt(&self.decryption, self.format, p)?,
            _ => None,
        };
        Ok(VerifiedToken {
            header,
            claims,
            sso_token,
        })
    }

    /// Structure, header, key choice and signature; then the claims' types.
    fn verify_signature(&self, token: &str) -> Result<(Header, Claims)> {
        let (header, p) = self.check_jws(token, false)?;
        // Only now is the payload trusted enough to parse.
        let payload = b64url_decode(p, "token claims")?;
        let claims = Claims::from_map(parse_object(&payload, "token claims")?)?;
        Ok((header, claims))
    }

    /// Header and signature only, for [`crate::dangerous::verify_jws_signature_only`]:
    /// the payload comes back decoded but unread, and may be empty.
    pub(crate) fn verify_jws_only(&self, token: &str) -> Result<(Header, Vec<u8>)> {
        let (header, p) = self.check_jws(token, true)?;
        Ok((header, b64url_decode(p, "token payload")?))
    }

    /// The one path for structure, header, key choice and signature, shared
    /// by [`Verifier::verify_signature`] and [`Verifier::verify_jws_only`].
    /// Returns the verified header and the payload segment, not yet decoded.
    /// An empty payload is a shape error unless `allow_empty_payload` (a JWT
    /// always has claims; a bare JWS may sign nothing).
    fn check_jws<'t>(
        &self,
        token: &'t str,
        allow_empty_payload: bool,
    ) -> Result<(Header, &'t str)> {
        if token.len() > self.max_token_size {
            return Err(Error::new(
                ErrorKind::TokenTooLarge,
                format!(
                    "token is {} bytes; the verifier's max_token_size is {}",
                    token.len(),
                    self.max_token_size
                ),
            ));
        }
        let mut parts = token.splitn(4, '.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            let n = token.split('.').count();
            return Err(Error::malformed(if n == 5 {
                "token is a JWE (5 segments); a signed JWT (3 segments) is expected".to_owned()
            } else {
                format!("token has {n} segments; a signed JWT has 3")
            }));
        };
        if h.is_empty() || (p.is_empty() && !allow_empty_payload) {
            return Err(Error::malformed("token has an empty segment"));
        }
        let header_bytes = b64url_decode(h, "token header")?;
        let header = Header::from_map(&parse_object(&header_bytes, "token header")?)?;
        // The empty signature is checked only after the header, so that the
        // classic unsigned `alg: none` token (`header.claims.`) is reported
        // as `AlgorithmNone`, not as a shape error (tests/tests/attacks.rs).
        if s.is_empty() {
            return Err(Error::malformed("token has an empty segment"));
        }
        if !self.algorithms.contains(&header.alg) {
            return Err(Error::new(
                ErrorKind::AlgorithmNotAllowed,
                format!(
                    "token algorithm {} is not among the verifier's algorithms {:?}",
                    header.alg, self.algorithms
                ),
            ));
        }
        let sig = b64url_decode(s, "token signature")?;
        let signing_input = &token.as_bytes()[..h.len() + 1 + p.len()];
        let alg = header.alg;
        let verified = match header.kid.as_deref() {
            Some(kid) => {
                let candidates = self.keys_for_kid(kid, alg);
                if candidates.is_empty() {
                    return Err(Error::new(
                        ErrorKind::UnknownKeyId,
                        format!(
                            "token kid `{}` names none of the verifier's {} trusted keys \
                             (by declared kid or thumbprint), and no key without a kid of \
                             its own is for {alg}",
                            truncate_for_message(kid),
                            self.keys.len()
                        ),
                    ));
                }
                let mut usable = candidates.iter().filter(|k| k.fits(alg)).peekable();
                if usable.peek().is_none() {
                    return Err(Error::new(
                        ErrorKind::AlgorithmNotAllowed,
                        match candidates[0].stated_algorithm() {
                            Some(a) => format!(
                                "token algorithm {alg} differs from the algorithm {a} of key `{}`",
                                truncate_for_message(kid)
                            ),
                            None => format!(
                                "token algorithm {alg} does not fit the type of key `{}`",
                                truncate_for_message(kid)
                            ),
                        },
                    ));
                }
                usable.any(|k| k.verify(alg, signing_input, &sig))
            }
            None => {
                let mut candidates = self.keys.iter().filter(|k| k.fits(alg)).peekable();
                if candidates.peek().is_none() {
                    return Err(Error::new(
                        ErrorKind::NoMatchingKey,
                        format!("token has no kid and no trusted key is for {alg}"),
                    ));
                }
                candidates.any(|k| k.verify(alg, signing_input, &sig))
            }
        };
        if !verified {
            return Err(Error::bad_signature());
        }
        Ok((header, p))
    }

    /// The trusted keys a token `kid` may name, in order of precedence: the
    /// key that declares it (kids are unique), else the keys whose RFC 7638
    /// thumbprint it is, else the keys that declare no kid and fit `alg`
    /// (for them the kid is only a hint, RFC 7515 §4.1.4). Empty: the kid
    /// names no key.
    fn keys_for_kid(&self, kid: &str, alg: Algorithm) -> Vec<&ClientVerifyingKey> {
        if let Some(k) = self.keys.iter().find(|k| k.declared_kid() == Some(kid)) {
            return vec![k];
        }
        let by_thumbprint: Vec<_> = self.keys.iter().filter(|k| k.thumbprint() == kid).collect();
        if !by_thumbprint.is_empty() {
            return by_thumbprint;
        }
        self.keys
            .iter()
            .filter(|k| k.declared_kid().is_none() && k.fits(alg))
            .collect()
    }

    fn check_claims(&self, c: &Claims, now: i64) -> Result<()> {
        if c.exp.saturating_add(self.leeway) <= now {
            return Err(Error::new(
                ErrorKind::Expired,
                format!(
                    "token expired at {} ({} s ago; leeway {} s)",
                    c.exp,
                    now - c.exp,
                    self.leeway
                ),
            ));
        }
        if let Some(nbf) = c.nbf {
            if nbf > now.saturating_add(self.leeway) {
                return Err(Error::new(
                    ErrorKind::NotYetValid,
                    format!(
                        "token is not valid before {nbf} ({} s from now; leeway {} s)",
                        nbf - now,
                        self.leeway
                    ),
                ));
            }
        }
        let start = match c.iat {
            Some(iat) => {
                if iat > now.saturating_add(self.leeway) {
                    return Err(Error::new(
                        ErrorKind::IssuedInFuture,
                        format!(
                            "token was issued in the future ({iat}, {} s from now; leeway {} s)",
                            iat - now,
                            self.leeway
                        ),
                    ));
                }
                iat
            }
            None => now,
        };
        if c.exp.saturating_sub(start) > self.max_lifetime {
            return Err(Error::new(
                ErrorKind::LifetimeTooLong,
                format!(
                    "token lifetime of {} s is above the verifier's max_lifetime of {} s",
                    c.exp - start,
                    self.max_lifetime
                ),
            ));
        }
        if self.require_subject && c.sub.as_deref().is_none_or(str::is_empty) {
            return Err(Error::new(
                ErrorKind::MissingClaim,
                "token has no `sub` claim (the user id)",
            ));
        }
        if let Some(issuers) = &self.issuers {
            match &c.iss {
                None => {
                    return Err(Error::new(
                        ErrorKind::MissingClaim,
                        format!("token has no `iss`; the verifier expects one of {issuers:?}"),
                    ))
                }
                Some(iss) if !issuers.iter().any(|i| i == iss) => {
                    return Err(Error::new(
                        ErrorKind::InvalidIssuer,
                        format!(
                            "token issuer `{}` is not among the verifier's issuers {issuers:?}",
                            truncate_for_message(iss)
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        if let Some(audiences) = &self.audiences {
            if c.aud.is_empty() {
                return Err(Error::new(
                    ErrorKind::MissingClaim,
                    format!("token has no `aud`; the verifier expects one of {audiences:?}"),
                ));
            }
            if !c.aud.iter().any(|a| audiences.contains(a)) {
                let shown: Vec<String> = c
                    .aud
                    .iter()
                    .take(4)
                    .map(|a| truncate_for_message(a))
                    .collect();
                return Err(Error::new(
                    ErrorKind::InvalidAudience,
                    format!("token audience {shown:?} is not among the verifier's audiences {audiences:?}"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuer::{Issuer, TokenRequest};
    use crate::keys::{ClientSigningKey, RsaKeySize};
    use crate::SsoToken;
    use std::sync::OnceLock;
    use std::time::UNIX_EPOCH;

    fn es_key() -> &'static ClientSigningKey {
        static K: OnceLock<ClientSigningKey> = OnceLock::new();
        K.get_or_init(|| ClientSigningKey::generate(Algorithm::ES256).unwrap())
    }

    fn platform() -> &'static PlatformDecryptionKey {
        static K: OnceLock<PlatformDecryptionKey> = OnceLock::new();
        K.get_or_init(|| PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap())
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    const NOW: u64 = 1_800_000_000;

    fn issuer() -> Issuer {
        Issuer::builder(es_key().clone())
            .issuer("https://host.example")
            .audience("chat")
            .platform_key(platform().encryption_key().clone(), PayloadFormat::Jwe)
            .build()
            .unwrap()
    }

    fn verifier() -> Verifier {
        Verifier::builder([es_key().verifying_key().clone()])
            .issuer("https://host.example")
            .audience("chat")
            .decryption_keys([platform().clone()], PayloadFormat::Jwe)
            .build()
            .unwrap()
    }

    fn token() -> String {
        issuer()
            .mint_at(
                &TokenRequest::new("u1").sso_token(SsoToken::new("sso")),
                at(NOW),
            )
            .unwrap()
    }

    fn kind(r: Result<VerifiedToken>) -> ErrorKind {
        r.map(|_| ()).unwrap_err().kind()
    }

    #[test]
    fn unsigned_alg_none_is_reported_as_such() {
        // Regression (attack corpus): `header.claims.` with `alg: none` used
        // to be refused as MalformedToken (empty segment) before the header
        // was read.
        let claims = crate::encoding::b64url(br#"{"sub":"u1","exp":1800003600}"#);
        for none in ["none", "None", "NONE", "nOnE"] {
            let h = crate::encoding::b64url(format!(r#"{{"alg":"{none}"}}"#).as_bytes());
            let t = format!("{h}.{claims}.");
            assert_eq!(
                kind(verifier().verify_at(&t, at(NOW))),
                ErrorKind::AlgorithmNone
            );
        }
        // An allowed algorithm with an empty signature is still a shape error.
        let t = token();
        let cut = &t[..t.rfind('.').unwrap() + 1];
        assert_eq!(
            kind(verifier().verify_at(cut, at(NOW))),
            ErrorKind::MalformedToken
        );
    }

    #[test]
    fn accepts_and_decrypts() {
        let v = verifier().verify_at(&token(), at(NOW + 10)).unwrap();
        assert_eq!(v.subject(), "u1");
        assert_eq!(v.sso_token().unwrap().expose_secret(), "sso");
        assert_eq!(v.claims().aud, vec!["chat".to_owned()]);
        assert_eq!(v.header().kid.as_deref(), Some(es_key().kid()));
    }

    #[test]
    fn time_checks_with_leeway() {
        let t = token();
        let v = verifier();
        // exp = NOW + 3600; leeway 60.
        assert!(v.verify_at(&t, at(NOW + 3600 + 59)).is_ok());
        assert_eq!(
            kind(v.verify_at(&t, at(NOW + 3600 + 60))),
            ErrorKind::Expired
        );
        assert!(v.verify_at(&t, at(NOW - 60)).is_ok());
        assert_eq!(kind(v.verify_at(&t, at(NOW - 61))), ErrorKind::NotYetValid);
    }

    #[test]
    fn lifetime_bounded() {
        let long = Issuer::builder(es_key().clone())
            .issuer("https://host.example")
            .audience("chat")
            .ttl(Duration::from_secs(8000))
            .allow_long_ttl()
            .build()
            .unwrap()
            .mint_at(&TokenRequest::new("u1"), at(NOW))
            .unwrap();
        assert_eq!(
            kind(verifier().verify_at(&long, at(NOW))),
            ErrorKind::LifetimeTooLong
        );
    }

    #[test]
    fn issuer_audience_and_keys() {
        let t = token();
        let wrong_iss = Verifier::builder([es_key().verifying_key().clone()])
            .issuer("https://other.example")
            .audience("chat")
            .build()
            .unwrap();
        let e = wrong_iss.verify_at(&t, at(NOW)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidIssuer);
        assert!(e.message().contains("https://other.example"), "{e}");
        let wrong_aud = Verifier::builder([es_key().verifying_key().clone()])
            .issuer("https://host.example")
            .audiences(["a", "b"])
            .build()
            .unwrap();
        assert_eq!(
            kind(wrong_aud.verify_at(&t, at(NOW))),
            ErrorKind::InvalidAudience
        );

        let other = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        // A key without a kid of its own is tried whatever the token's kid:
        // the signature decides.
        let v = Verifier::builder([other.verifying_key().clone()])
            .issuer("https://host.example")
            .audience("chat")
            .build()
            .unwrap();
        assert_eq!(kind(v.verify_at(&t, at(NOW))), ErrorKind::InvalidSignature);
        // A key that declares another kid is not.
        let v = Verifier::builder([other.verifying_key().with_kid("other-1").unwrap()])
            .issuer("https://host.example")
            .audience("chat")
            .build()
            .unwrap();
        assert_eq!(kind(v.verify_at(&t, at(NOW))), ErrorKind::UnknownKeyId);
        // Same kid, other key: the signature decides.
        let impostor = other.verifying_key().with_kid(es_key().kid()).unwrap();
        let v = Verifier::builder([impostor])
            .issuer("https://host.example")
            .audience("chat")
            .build()
            .unwrap();
        assert_eq!(kind(v.verify_at(&t, at(NOW))), ErrorKind::InvalidSignature);
        // Allow-list without the token's algorithm.
        let rsa = ClientSigningKey::generate_rsa(Algorithm::PS256, RsaKeySize::Rsa2048).unwrap();
        let v = Verifier::builder([
            es_key().verifying_key().clone(),
            rsa.verifying_key().clone(),
        ])
        .issuer("https://host.example")
        .audience("chat")
        .algorithms([Algorithm::PS256])
        .build()
        .unwrap();
        assert_eq!(
            kind(v.verify_at(&t, at(NOW))),
            ErrorKind::AlgorithmNotAllowed
        );
    }

    fn rsa_key(alg: Algorithm) -> &'static ClientSigningKey {
        static K: OnceLock<ClientSigningKey> = OnceLock::new();
        let k = K.get_or_init(|| {
            ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048).unwrap()
        });
        // The same RSA key material, signing with `alg`.
        static PS: OnceLock<ClientSigningKey> = OnceLock::new();
        match alg {
            Algorithm::PS256 => PS.get_or_init(|| {
                let pem = k.to_pkcs8_pem().unwrap();
                ClientSigningKey::from_pem(pem.expose_secret(), Algorithm::PS256).unwrap()
            }),
            _ => k,
        }
    }

    /// A token from `key` whose header carries `kid`.
    fn token_with_kid(key: &ClientSigningKey, kid: &str) -> String {
        Issuer::builder(key.clone().with_kid(kid).unwrap())
            .without_issuer()
            .without_audience()
            .build()
            .unwrap()
            .mint_at(&TokenRequest::new("u1"), at(NOW))
            .unwrap()
    }

    /// A token from `key` with no kid in its header.
    fn sign_without_kid(key: &ClientSigningKey) -> String {
        let header = format!(r#"{{"alg":"{}","typ":"JWT"}}"#, key.algorithm());
        let claims = format!(r#"{{"sub":"u1","iat":{NOW},"exp":{}}}"#, NOW + 600);
        let msg = format!(
            "{}.{}",
            crate::encoding::b64url(header.as_bytes()),
            crate::encoding::b64url(claims.as_bytes())
        );
        let sig = key.sign(msg.as_bytes()).unwrap();
        format!("{msg}.{}", crate::encoding::b64url(&sig))
    }

    fn open_verifier(
        keys: Vec<ClientVerifyingKey>,
        algs: Option<&[Algorithm]>,
    ) -> Result<Verifier> {
        let b = Verifier::builder(keys)
            .dangerous_skip_issuer_check()
            .dangerous_skip_audience_check();
        match algs {
            Some(a) => b.algorithms(a.iter().copied()).build(),
            None => b.build(),
        }
    }

    #[test]
    fn a_key_without_a_kid_of_its_own_is_not_defeated_by_the_token_kid() {
        let host = rsa_key(Algorithm::RS256);
        let pem = host.verifying_key().to_spki_pem().unwrap();
        let from_pem = ClientVerifyingKey::from_spki_pem(&pem, Algorithm::RS256).unwrap();
        assert_eq!(from_pem.declared_kid(), None);
        let v = open_verifier(vec![from_pem.clone()], None).unwrap();
        // Any kid the host chose, its thumbprint, or none at all.
        for t in [
            token_with_kid(host, "host-1"),
            token_with_kid(host, host.thumbprint()),
            sign_without_kid(host),
        ] {
            assert_eq!(v.verify_at(&t, at(NOW)).unwrap().subject(), "u1");
        }
        // The thumbprint names its key even when the key declares a kid
        // (the issuer stamps the thumbprint, the JWKS says `host-1`).
        let declared = from_pem.with_kid("host-1").unwrap();
        let v = open_verifier(vec![declared.clone()], None).unwrap();
        let t = token_with_kid(host, host.thumbprint());
        assert_eq!(v.verify_at(&t, at(NOW)).unwrap().subject(), "u1");
        // A key that declares a kid refuses any other kid.
        let t = token_with_kid(host, "host-2");
        assert_eq!(kind(v.verify_at(&t, at(NOW))), ErrorKind::UnknownKeyId);
        // A declared kid names its key only: a token signed by the
        // kid-less key but naming the declared one fails on the signature.
        let other = ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048).unwrap();
        let v = open_verifier(
            vec![
                other.verifying_key().with_kid("a").unwrap(),
                from_pem.clone(),
            ],
            None,
        )
        .unwrap();
        let t = token_with_kid(host, "a");
        assert_eq!(kind(v.verify_at(&t, at(NOW))), ErrorKind::InvalidSignature);
        let t = token_with_kid(host, "b");
        assert_eq!(v.verify_at(&t, at(NOW)).unwrap().subject(), "u1");
        // Kid-less keys of another algorithm do not stand in: unknown kid.
        let v = open_verifier(
            vec![
                es_key().verifying_key().clone(),
                other.verifying_key().with_kid("a").unwrap(),
            ],
            None,
        )
        .unwrap();
        let t = token_with_kid(host, "zzz");
        assert_eq!(kind(v.verify_at(&t, at(NOW))), ErrorKind::UnknownKeyId);
        // Declared kids must be unique; kid-less keys need not be.
        assert_eq!(
            open_verifier(
                vec![
                    declared.clone(),
                    other.verifying_key().with_kid("host-1").unwrap()
                ],
                None
            )
            .unwrap_err()
            .kind(),
            ErrorKind::ApiMisuse
        );
        open_verifier(vec![from_pem.clone(), other.verifying_key().clone()], None).unwrap();
    }

    #[test]
    fn algorithms_say_what_the_caller_accepts() {
        let rs = rsa_key(Algorithm::RS256);
        let ps = rsa_key(Algorithm::PS256);
        let pem = rs.verifying_key().to_spki_pem().unwrap();
        let unstated = ClientVerifyingKey::from_spki_pem_without_alg(&pem).unwrap();
        assert_eq!(unstated.stated_algorithm(), None);
        assert_eq!(unstated.algorithm(), Algorithm::RS256);
        assert!(unstated.to_jwk().alg.is_none());
        let rs_token = token_with_kid(rs, "k");
        let ps_token = token_with_kid(ps, "k");

        // Default: the key type's default algorithm only.
        let v = open_verifier(vec![unstated.clone()], None).unwrap();
        assert!(v.verify_at(&rs_token, at(NOW)).is_ok());
        assert_eq!(
            kind(v.verify_at(&ps_token, at(NOW))),
            ErrorKind::AlgorithmNotAllowed
        );
        // The caller's set decides for a key that states no algorithm.
        let v = open_verifier(vec![unstated.clone()], Some(&[Algorithm::PS256])).unwrap();
        assert!(v.verify_at(&ps_token, at(NOW)).is_ok());
        assert_eq!(
            kind(v.verify_at(&rs_token, at(NOW))),
            ErrorKind::AlgorithmNotAllowed
        );
        let both = [Algorithm::RS256, Algorithm::PS256];
        let v = open_verifier(vec![unstated.clone()], Some(&both)).unwrap();
        assert!(v.verify_at(&ps_token, at(NOW)).is_ok());
        assert!(v.verify_at(&rs_token, at(NOW)).is_ok());
        // ES256 does not fit an RSA key, whatever the set says.
        assert_eq!(
            open_verifier(vec![unstated.clone()], Some(&[Algorithm::ES256]))
                .unwrap_err()
                .kind(),
            ErrorKind::ApiMisuse
        );
        // A JWK without `alg` states none, like a PEM.
        let mut jwk = rs.verifying_key().to_jwk();
        jwk.alg = None;
        jwk.kid = Some("k".into());
        let from_jwk = ClientVerifyingKey::from_jwk(&jwk).unwrap();
        let v = open_verifier(vec![from_jwk], Some(&[Algorithm::PS256])).unwrap();
        assert!(v.verify_at(&ps_token, at(NOW)).is_ok());
        // A key that states its algorithm is used with that one only.
        let stated = ClientVerifyingKey::from_spki_pem(&pem, Algorithm::RS256).unwrap();
        let v = open_verifier(vec![stated.clone()], Some(&both)).unwrap();
        assert!(v.verify_at(&rs_token, at(NOW)).is_ok());
        // Named by its thumbprint: the key's algorithm refuses PS256.
        let ps_named = token_with_kid(ps, ps.thumbprint());
        assert_eq!(
            kind(v.verify_at(&ps_named, at(NOW))),
            ErrorKind::AlgorithmNotAllowed
        );
        // Named by another kid: no kid-less key is for PS256.
        assert_eq!(
            kind(v.verify_at(&ps_token, at(NOW))),
            ErrorKind::UnknownKeyId
        );
        assert_eq!(
            open_verifier(vec![stated], Some(&[Algorithm::PS256]))
                .unwrap_err()
                .kind(),
            ErrorKind::ApiMisuse
        );
    }

    #[test]
    fn ed25519_tokens_and_the_eddsa_name() {
        let host = ClientSigningKey::generate(Algorithm::Ed25519).unwrap();
        let platform = PlatformDecryptionKey::generate_ecdh(crate::EcdhCurve::X25519).unwrap();
        let t = Issuer::builder(host.clone())
            .without_issuer()
            .without_audience()
            .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
            .build()
            .unwrap()
            .mint_at(
                &TokenRequest::new("u1").sso_token(SsoToken::new("sso")),
                at(NOW),
            )
            .unwrap();
        let header = parse_object(
            &b64url_decode(t.split('.').next().unwrap(), "h").unwrap(),
            "h",
        )
        .unwrap();
        assert_eq!(header["alg"], "Ed25519");
        let pem = host.verifying_key().to_spki_pem().unwrap();
        let key = ClientVerifyingKey::from_spki_pem_without_alg(&pem).unwrap();
        assert_eq!(key.algorithm(), Algorithm::Ed25519);
        let v = Verifier::builder([key.clone()])
            .dangerous_skip_issuer_check()
            .dangerous_skip_audience_check()
            .decryption_keys([platform], PayloadFormat::Jwe)
            .build()
            .unwrap();
        let ok = v.verify_at(&t, at(NOW)).unwrap();
        assert_eq!(ok.sso_token().unwrap().expose_secret(), "sso");
        // The same signature under the older name `EdDSA` (RFC 8037).
        let claims = r#"{"sub":"u1","exp":1800000600}"#;
        let h = crate::encoding::b64url(br#"{"alg":"EdDSA"}"#);
        let msg = format!("{h}.{}", crate::encoding::b64url(claims.as_bytes()));
        let sig = host.sign(msg.as_bytes()).unwrap();
        let eddsa = format!("{msg}.{}", crate::encoding::b64url(&sig));
        let v = Verifier::builder([key])
            .dangerous_skip_issuer_check()
            .dangerous_skip_audience_check()
            .build()
            .unwrap();
        assert_eq!(v.verify_at(&eddsa, at(NOW)).unwrap().subject(), "u1");
        // An Ed25519 key does not verify an ES256 or RS256 token.
        assert_eq!(
            kind(v.verify_at(&token(), at(NOW))),
            ErrorKind::AlgorithmNotAllowed
        );
    }

    #[test]
    fn payload_must_decrypt_when_keys_configured() {
        let other = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
        let v = Verifier::builder([es_key().verifying_key().clone()])
            .issuer("https://host.example")
            .audience("chat")
            .decryption_keys([other], PayloadFormat::Jwe)
            .build()
            .unwrap();
        assert_eq!(
            kind(v.verify_at(&token(), at(NOW))),
            ErrorKind::DecryptionFailed
        );
        // The wrong format is refused too.
        let v = Verifier::builder([es_key().verifying_key().clone()])
            .issuer("https://host.example")
            .audience("chat")
            .decryption_keys([platform().clone()], PayloadFormat::Wxo)
            .build()
            .unwrap();
        assert_eq!(
            kind(v.verify_at(&token(), at(NOW))),
            ErrorKind::MalformedToken
        );
    }

    #[test]
    fn ibm_style_needs_explicit_skips() {
        let t = Issuer::builder(es_key().clone())
            .without_issuer()
            .without_audience()
            .build()
            .unwrap()
            .mint_at(&TokenRequest::new("u1"), at(NOW))
            .unwrap();
        assert_eq!(
            kind(verifier().verify_at(&t, at(NOW))),
            ErrorKind::MissingClaim
        );
        let v = Verifier::builder([es_key().verifying_key().clone()])
            .dangerous_skip_issuer_check()
            .dangerous_skip_audience_check()
            .build()
            .unwrap();
        assert!(v.verify_at(&t, at(NOW)).is_ok());
    }

    #[test]
    fn builder_refuses_misuse() {
        let b = || Verifier::builder([es_key().verifying_key().clone()]).issuer("i");
        assert_eq!(
            b().audiences(Vec::<String>::new())
                .build()
                .unwrap_err()
                .kind(),
            ErrorKind::ApiMisuse
        );
        assert_eq!(
            b().audience("a")
                .algorithms([Algorithm::RS256])
                .build()
                .unwrap_err()
                .kind(),
            ErrorKind::ApiMisuse
        );
        // A platform key that is also a trusted signing key is refused. Build
        // one RSA key pair and load it in both roles.
        let rsa = ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048).unwrap();
        let as_platform =
            PlatformDecryptionKey::from_pem(rsa.to_pkcs8_pem().unwrap().expose_secret()).unwrap();
        let e = Verifier::builder([rsa.verifying_key().clone()])
            .issuer("i")
            .audience("a")
            .decryption_keys([as_platform.clone()], PayloadFormat::Jwe)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ApiMisuse);
        let e = Issuer::builder(rsa)
            .issuer("i")
            .audience("a")
            .platform_key(as_platform.encryption_key().clone(), PayloadFormat::Jwe)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ApiMisuse);
    }

    #[test]
    fn issuer_refuses_misuse() {
        let i = issuer();
        let e = i
            .mint(&TokenRequest::new("u").claim("exp", 1.into()))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ApiMisuse);
        let no_platform = Issuer::builder(es_key().clone())
            .issuer("i")
            .audience("a")
            .build()
            .unwrap();
        let e = no_platform
            .mint(&TokenRequest::new("u").sso_token(SsoToken::new("x")))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ApiMisuse);
        let e = Issuer::builder(es_key().clone())
            .issuer("i")
            .audience("a")
            .ttl(Duration::from_secs(7101))
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ApiMisuse);
        // A request may shorten the lifetime, never lengthen it.
        let t = no_platform
            .mint_at(
                &TokenRequest::new("u").ttl(Duration::from_secs(20)),
                at(NOW),
            )
            .unwrap();
        let (_, claims) = crate::dangerous::insecure_decode(&t).unwrap();
        assert_eq!(claims["exp"], NOW + 20);
        for bad in [0, 3601] {
            let e = no_platform
                .mint(&TokenRequest::new("u").ttl(Duration::from_secs(bad)))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ApiMisuse, "{bad}");
        }
    }

    #[test]
    fn shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Issuer>();
        assert_send_sync::<Verifier>();
        assert_send_sync::<ClientSigningKey>();
        assert_send_sync::<PlatformDecryptionKey>();
    }
}
