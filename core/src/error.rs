//! The one error type of chatseal, with a grouped, machine-readable kind.

use std::fmt;

/// What went wrong, grouped the way an operator reads a log.
///
/// Match on this, never on the message: messages are for people and may be
/// reworded. New kinds may be added in minor releases.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    // --- The token is malformed (attacker input that does not parse). ---
    /// The token is larger than the verifier's `max_token_size`.
    TokenTooLarge,
    /// The token is not a compact JWS (or the payload not a compact JWE) of
    /// the expected shape: wrong number of segments, a JWE where a JWS was
    /// expected or the reverse, empty segments.
    MalformedToken,
    /// A segment is not strict base64url (padding, other alphabet, stray
    /// bits), or `user_payload` is not strict standard base64 in `wxo` mode.
    InvalidBase64,
    /// A header or the claims are not a JSON object as required: invalid
    /// JSON, a duplicate member, nesting deeper than allowed, a claim of the
    /// wrong type.
    InvalidJson,
    /// The header names `alg: none` (in any casing). Unsigned tokens are never
    /// accepted.
    AlgorithmNone,
    /// The header names an HMAC algorithm (`HS256`, ...). chatseal verifies
    /// only asymmetric signatures, so a public key can never be used as an
    /// HMAC secret.
    HmacAlgorithm,
    /// The header names an algorithm chatseal does not implement.
    UnsupportedAlgorithm,
    /// The header lists a `crit` extension chatseal does not understand.
    UnsupportedCritical,
    /// The header carries a key or a key location (`jwk`, `jku`, `x5u`,
    /// `x5c`). Keys come from the verifier's configuration, never from the
    /// token.
    EmbeddedKey,
    /// The JWE header asks for compression (`zip`), which is refused.
    CompressionNotSupported,

    // --- Signature and key selection. ---
    /// The token's algorithm is not in the verifier's allow-list, or not the
    /// algorithm of the key its `kid` names.
    AlgorithmNotAllowed,
    /// The token's `kid` names no trusted key.
    UnknownKeyId,
    /// The token has no `kid` and no trusted key is allowed for its algorithm.
    NoMatchingKey,
    /// The signature does not verify. Nothing more is said, on purpose.
    InvalidSignature,
    /// `user_payload` does not decrypt or does not hold the expected JSON.
    /// Nothing more is said, on purpose (no padding oracle).
    DecryptionFailed,

    // --- Claim checks (the signature was valid). ---
    /// `exp` is in the past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    IssuedInFuture,
    /// `exp - iat` is longer than the verifier's `max_lifetime`.
    LifetimeTooLong,
    /// A claim the verifier requires is missing (`exp`, `sub`, `iss`, ...).
    MissingClaim,
    /// A claim has a value of the wrong type or range (for example a
    /// negative or fractional time).
    InvalidClaim,
    /// `iss` is not among the verifier's issuers.
    InvalidIssuer,
    /// No `aud` value is among the verifier's audiences.
    InvalidAudience,
    /// A policy rule refused the token; `rule` is its stable code (for
    /// example `email_domain_not_allowed`).
    PolicyDenied {
        /// The stable code of the rule that refused the token.
        rule: &'static str,
    },

    // --- Key handling. ---
    /// The key material does not parse as the format it was given as.
    InvalidKey,
    /// The key is too weak (RSA under 2048 bits) or of an unsupported kind
    /// (an EC curve other than P-256).
    WeakKey,
    /// The key is of another kind or role than the one expected: a JWK whose
    /// `use`, `key_ops` or `alg` contradict the role it is loaded for, an EC
    /// key for an RSA algorithm, private members where a public key is
    /// expected.
    KeyRoleMismatch,
    /// The passphrase does not open the encrypted private key.
    WrongPassphrase,
    /// The key is one of the published sample keys and must not be used.
    SampleKey,

    // --- Keys held in a PKCS#11 token (feature `pkcs11`). ---
    /// A PKCS#11 URI does not parse (RFC 7512), or asks for something
    /// chatseal refuses (a `pin-value` in the URI).
    InvalidPkcs11Uri,
    /// The PKCS#11 module (the vendor's shared library) is missing, is not a
    /// PKCS#11 module, or does not initialise.
    Pkcs11ModuleUnavailable,
    /// No token matches the URI, or the token went away (removed, module
    /// finalised, device error). Calls recover once it is back.
    TokenUnavailable,
    /// The token refused the PIN (incorrect, locked, expired), or a PIN is
    /// needed and none was given.
    WrongPin,
    /// No key object in the token matches the URI, or several do.
    KeyNotFound,
    /// The token refused an operation for another reason; the message names
    /// the PKCS#11 return value (`CKR_...`).
    TokenFailed,

    // --- Storage and fetching. ---
    /// Reading or writing a file failed.
    Io,
    /// A remote key set could not be fetched or parsed.
    JwksUnavailable,

    // --- Platform configuration. ---
    /// A tenant configuration document is invalid: unknown member, provider
    /// count outside 1 to 5, missing issuer, unknown or symmetric algorithm,
    /// a reference to a key that was not supplied.
    InvalidConfig,
    /// A sealed configuration does not open with the configured secrets:
    /// the encryption keys may have changed, or the envelope was altered.
    ConfigKeysChanged,

    // --- Caller misuse (a bug in the calling code, not bad input). ---
    /// The API was used in a way it does not allow, such as an extra claim
    /// that would overwrite a registered claim, or a ttl above the maximum.
    ApiMisuse,
    /// A cryptographic operation failed for a reason that is not the input's
    /// fault (for example the system random generator failed).
    Internal,
}

impl ErrorKind {
    /// A stable, machine-readable code for logs and metrics, e.g. `expired`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TokenTooLarge => "token_too_large",
            Self::MalformedToken => "malformed_token",
            Self::InvalidBase64 => "invalid_base64",
            Self::InvalidJson => "invalid_json",
            Self::AlgorithmNone => "alg_none",
            Self::HmacAlgorithm => "hmac_algorithm",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::UnsupportedCritical => "unsupported_crit",
            Self::EmbeddedKey => "embedded_key",
            Self::CompressionNotSupported => "compression_not_supported",
            Self::AlgorithmNotAllowed => "algorithm_not_allowed",
            Self::UnknownKeyId => "unknown_kid",
            Self::NoMatchingKey => "no_matching_key",
            Self::InvalidSignature => "invalid_signature",
            Self::DecryptionFailed => "decryption_failed",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::MissingClaim => "missing_claim",
            Self::InvalidClaim => "invalid_claim",
            Self::InvalidIssuer => "invalid_issuer",
            Self::InvalidAudience => "invalid_audience",
            Self::PolicyDenied { rule } => rule,
            Self::InvalidKey => "invalid_key",
            Self::WeakKey => "weak_key",
            Self::KeyRoleMismatch => "key_role_mismatch",
            Self::WrongPassphrase => "wrong_passphrase",
            Self::SampleKey => "sample_key",
            Self::InvalidPkcs11Uri => "invalid_pkcs11_uri",
            Self::Pkcs11ModuleUnavailable => "pkcs11_module_unavailable",
            Self::TokenUnavailable => "token_unavailable",
            Self::WrongPin => "wrong_pin",
            Self::KeyNotFound => "key_not_found",
            Self::TokenFailed => "token_failed",
            Self::Io => "io",
            Self::JwksUnavailable => "jwks_unavailable",
            Self::InvalidConfig => "invalid_config",
            Self::ConfigKeysChanged => "config_keys_changed",
            Self::ApiMisuse => "api_misuse",
            Self::Internal => "internal",
        }
    }

    /// Whether this kind means the token was refused (as opposed to a
    /// configuration, key or caller problem).
    pub fn is_token_rejection(&self) -> bool {
        !matches!(
            self,
            Self::InvalidKey
                | Self::WeakKey
                | Self::KeyRoleMismatch
                | Self::WrongPassphrase
                | Self::SampleKey
                | Self::InvalidPkcs11Uri
                | Self::Pkcs11ModuleUnavailable
                | Self::TokenUnavailable
                | Self::WrongPin
                | Self::KeyNotFound
                | Self::TokenFailed
                | Self::Io
                | Self::InvalidConfig
                | Self::ConfigKeysChanged
                | Self::ApiMisuse
                | Self::Internal
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The error of every fallible chatseal call.
///
/// [`Error::kind`] says what went wrong; `Display` says it for a person, names
/// the check and the setting that decides it, and never contains a secret.
///
/// ```
/// use chatseal::{ErrorKind, Verifier};
///
/// let verifier = Verifier::builder(Vec::new());
/// // An empty key set is a configuration error, reported as such.
/// let err = verifier.issuer("https://host.example").audience("chat").build().unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::ApiMisuse);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: Box<str>,
}

impl Error {
    /// A new error of `kind` with a message for the operator.
    ///
    /// The message must never contain secret material.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into().into_boxed_str(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable machine-readable code of the kind, e.g. `expired`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The human-readable message (also what `Display` prints).
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::MalformedToken, message)
    }

    pub(crate) fn misuse(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ApiMisuse, message)
    }

    pub(crate) fn invalid_key(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidKey, message)
    }

    pub(crate) fn bad_signature() -> Self {
        Self::new(ErrorKind::InvalidSignature, "token signature is invalid")
    }

    pub(crate) fn decryption_failed() -> Self {
        Self::new(
            ErrorKind::DecryptionFailed,
            "user_payload could not be decrypted with the verifier's decryption keys",
        )
    }

    pub(crate) fn internal(what: &str) -> Self {
        Self::new(
            ErrorKind::Internal,
            format!("cryptographic backend failed: {what}"),
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
