//! The one error type of the bindings, converted from `chatseal::Error` in
//! exactly one place ([`From<chatseal::Error>`]).

use chatseal::ErrorKind;

/// Every failure of a chatseal call, grouped the way an operator reads a log.
///
/// Each variant carries `code`, the stable machine-readable code of the core
/// error kind (for example `expired`, `invalid_audience`, `weak_key`): match
/// on the variant or on `code`, never on the text. `reason` is the same
/// human-readable message the Rust error has; it names the check and the
/// setting that decides it and never contains a secret.
///
/// In Python every variant is a subclass of `ChatsealError` (an `Exception`):
/// `except chatseal.ChatsealError.Expired as e: print(e.code, e.reason)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum ChatsealError {
    /// The token does not parse or is refused on its face: too large, not a
    /// compact JWS, bad base64url or JSON, `alg: none`, an HMAC or unknown
    /// algorithm, `crit`, a key embedded in the header, compression.
    #[error("{reason}")]
    MalformedToken {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
    },
    /// The signature does not verify, or no trusted key may check it (its
    /// algorithm is not allowed, its `kid` is unknown, no key matches).
    #[error("{reason}")]
    InvalidSignature {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
    },
    /// The encrypted `user_payload` does not decrypt with the configured
    /// keys. Nothing more is said, on purpose.
    #[error("{reason}")]
    DecryptionFailed {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
    },
    /// The token's `exp` is in the past (beyond the leeway): mint a new one.
    #[error("{reason}")]
    Expired {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
    },
    /// The signature is valid but a claim check refused the token: not yet
    /// valid, issued in the future, lifetime too long, a missing or
    /// ill-typed claim, wrong issuer, wrong audience, or a policy rule
    /// (`code` is then the rule's code).
    #[error("{reason}")]
    ClaimRejected {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
    },
    /// Key material was refused: it does not parse, is too weak, has the
    /// wrong kind or role, the passphrase is wrong, or it is a published
    /// sample key.
    #[error("{reason}")]
    KeyRejected {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
    },
    /// Reading or writing a file, or fetching a remote key set, failed.
    #[error("{reason}")]
    Io {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
    },
    /// The API was used in a way it does not allow (a bug in the calling
    /// code, not bad input): an extra claim that would overwrite a
    /// registered one, a ttl above the maximum, an sso_token without a
    /// platform key, invalid JSON handed in by the caller, ...
    #[error("{reason}")]
    ApiMisuse {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
    },
    /// The keyring folder cannot be used as asked: no keyring there
    /// (`keyring_not_found`), one already there (`keyring_exists`), a damaged
    /// manifest (`keyring_corrupt`), another process holding its lock
    /// (`keyring_locked`), or a change that does not fit its state, such as
    /// promoting with no pending key (`keyring_state`).
    #[error("{reason}")]
    Keyring {
        /// Stable code of the keyring error.
        code: String,
        /// The message of the Rust error.
        reason: String,
    },
    /// Anything else: a configuration problem, a failure that is not the
    /// input's fault (the system random generator failed), or a kind added
    /// to chatseal after these bindings were written. `code` still tells
    /// which.
    #[error("{reason}")]
    Other {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
    },
}

impl ChatsealError {
    /// The stable machine-readable code of the core error kind.
    pub fn code(&self) -> &str {
        match self {
            Self::MalformedToken { code, .. }
            | Self::InvalidSignature { code, .. }
            | Self::DecryptionFailed { code, .. }
            | Self::Expired { code, .. }
            | Self::ClaimRejected { code, .. }
            | Self::KeyRejected { code, .. }
            | Self::Io { code, .. }
            | Self::ApiMisuse { code, .. }
            | Self::Keyring { code, .. }
            | Self::Other { code, .. } => code,
        }
    }
}

/// The one place a core error becomes a binding error.
impl From<chatseal::Error> for ChatsealError {
    fn from(e: chatseal::Error) -> Self {
        let code = e.code().to_owned();
        let reason = e.message().to_owned();
        match e.kind() {
            ErrorKind::TokenTooLarge
            | ErrorKind::MalformedToken
            | ErrorKind::InvalidBase64
            | ErrorKind::InvalidJson
            | ErrorKind::AlgorithmNone
            | ErrorKind::HmacAlgorithm
            | ErrorKind::UnsupportedAlgorithm
            | ErrorKind::UnsupportedCritical
            | ErrorKind::EmbeddedKey
            | ErrorKind::CompressionNotSupported => Self::MalformedToken { code, reason },
            ErrorKind::AlgorithmNotAllowed
            | ErrorKind::UnknownKeyId
            | ErrorKind::NoMatchingKey
            | ErrorKind::InvalidSignature => Self::InvalidSignature { code, reason },
            ErrorKind::DecryptionFailed => Self::DecryptionFailed { code, reason },
            ErrorKind::Expired => Self::Expired { code, reason },
            ErrorKind::NotYetValid
            | ErrorKind::IssuedInFuture
            | ErrorKind::LifetimeTooLong
            | ErrorKind::MissingClaim
            | ErrorKind::InvalidClaim
            | ErrorKind::InvalidIssuer
            | ErrorKind::InvalidAudience
            | ErrorKind::PolicyDenied { .. } => Self::ClaimRejected { code, reason },
            ErrorKind::InvalidKey
            | ErrorKind::WeakKey
            | ErrorKind::KeyRoleMismatch
            | ErrorKind::WrongPassphrase
            | ErrorKind::SampleKey => Self::KeyRejected { code, reason },
            ErrorKind::Io | ErrorKind::JwksUnavailable => Self::Io { code, reason },
            ErrorKind::ApiMisuse => Self::ApiMisuse { code, reason },
            // Tenant-configuration kinds (that API is not bound), internal
            // failures, and kinds added to chatseal later.
            ErrorKind::InvalidConfig | ErrorKind::ConfigKeysChanged | ErrorKind::Internal => {
                Self::Other { code, reason }
            }
            _ => Self::Other { code, reason },
        }
    }
}

/// The keyring's errors: key problems convert as core errors above; the
/// rest get codes of their own.
impl From<chatseal_keys::Error> for ChatsealError {
    fn from(e: chatseal_keys::Error) -> Self {
        let reason = e.to_string();
        let keyring = |code: &str| Self::Keyring {
            code: code.to_owned(),
            reason: reason.clone(),
        };
        match e {
            chatseal_keys::Error::Key(core) => core.into(),
            chatseal_keys::Error::Io { .. } => Self::Io {
                code: ErrorKind::Io.code().to_owned(),
                reason,
            },
            chatseal_keys::Error::NotFound(_) => keyring("keyring_not_found"),
            chatseal_keys::Error::Exists(_) => keyring("keyring_exists"),
            chatseal_keys::Error::Corrupt { .. } => keyring("keyring_corrupt"),
            chatseal_keys::Error::Locked { .. } => keyring("keyring_locked"),
            chatseal_keys::Error::State(_) => keyring("keyring_state"),
            _ => Self::Other {
                code: "keyring".to_owned(),
                reason,
            },
        }
    }
}

/// A caller-side mistake in what was handed across the boundary (invalid
/// JSON, an unknown option), as a core `ApiMisuse` error so it converts
/// through the one `From` above.
pub(crate) fn misuse(message: impl Into<String>) -> ChatsealError {
    chatseal::Error::new(ErrorKind::ApiMisuse, message).into()
}

/// Shorthand for results of binding calls.
pub type Result<T, E = ChatsealError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_message_and_code() {
        let e: ChatsealError =
            chatseal::Error::new(ErrorKind::InvalidAudience, "token audience `x` is wrong").into();
        assert_eq!(
            e,
            ChatsealError::ClaimRejected {
                code: "invalid_audience".into(),
                reason: "token audience `x` is wrong".into()
            }
        );
        assert_eq!(e.to_string(), "token audience `x` is wrong");
        assert_eq!(e.code(), "invalid_audience");
    }

    #[test]
    fn policy_rule_code_survives() {
        let e: ChatsealError = chatseal::Error::new(
            ErrorKind::PolicyDenied {
                rule: "email_domain_not_allowed",
            },
            "denied",
        )
        .into();
        assert!(matches!(e, ChatsealError::ClaimRejected { .. }));
        assert_eq!(e.code(), "email_domain_not_allowed");
    }

    #[test]
    fn each_group() {
        let cases = [
            (ErrorKind::AlgorithmNone, "MalformedToken"),
            (ErrorKind::UnknownKeyId, "InvalidSignature"),
            (ErrorKind::DecryptionFailed, "DecryptionFailed"),
            (ErrorKind::Expired, "Expired"),
            (ErrorKind::NotYetValid, "ClaimRejected"),
            (ErrorKind::WeakKey, "KeyRejected"),
            (ErrorKind::JwksUnavailable, "Io"),
            (ErrorKind::ApiMisuse, "ApiMisuse"),
            (ErrorKind::Internal, "Other"),
            (ErrorKind::InvalidConfig, "Other"),
            (ErrorKind::ConfigKeysChanged, "Other"),
            (ErrorKind::SampleKey, "KeyRejected"),
            (ErrorKind::TokenTooLarge, "MalformedToken"),
            (ErrorKind::PolicyDenied { rule: "r" }, "ClaimRejected"),
        ];
        for (kind, variant) in cases {
            let e: ChatsealError = chatseal::Error::new(kind, "m").into();
            let got = format!("{e:?}");
            assert!(got.starts_with(variant), "{kind:?} -> {got}");
            assert_eq!(e.code(), kind.code());
        }
    }
}
