//! The one error type of the bindings, converted from `chatseal::Error` in
//! exactly one place ([`From<chatseal::Error>`]).

use chatseal::ErrorKind;

/// Every failure of a chatseal call, grouped the way an operator reads a log.
///
/// Each variant carries `code`, the stable machine-readable code of the core
/// error kind (for example `expired`, `invalid_audience`, `weak_key`): match
/// on the variant or on `code`, never on the text. `reason` is the same
/// human-readable message the Rust error has; it names the check and the
/// setting that decides it and never contains a secret. `http_status` and
/// `www_authenticate` are the answer a service gives a request refused with
/// this error (chatseal's `refusal_status` and `www_authenticate`: 401 for a
/// token problem or missing credentials, 403 for a policy or origin refusal,
/// 404 for an unknown tenant, 503 when keys cannot be fetched, 500 for the
/// service's own faults).
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
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
    },
    /// The signature does not verify, or no trusted key may check it (its
    /// algorithm is not allowed, its `kid` is unknown, no key matches).
    #[error("{reason}")]
    InvalidSignature {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
    },
    /// The encrypted `user_payload` does not decrypt with the configured
    /// keys. Nothing more is said, on purpose.
    #[error("{reason}")]
    DecryptionFailed {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
    },
    /// The token's `exp` is in the past (beyond the leeway): mint a new one.
    #[error("{reason}")]
    Expired {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
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
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
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
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
    },
    /// Reading or writing a file, or fetching a remote key set, failed.
    #[error("{reason}")]
    Io {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
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
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
    },
    /// A configuration is refused: a tenant document that does not
    /// validate (`invalid_config`, the message names the member and the
    /// provider), a bad issuer-URL input, or a sealed document whose
    /// secrets changed (`config_keys_changed`).
    #[error("{reason}")]
    Config {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
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
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
    },
    /// Anything else: a failure that is not the input's fault (the system random generator failed), or a kind added
    /// to chatseal after these bindings were written. `code` still tells
    /// which.
    #[error("{reason}")]
    Other {
        /// Stable code of the core error kind.
        code: String,
        /// The message of the Rust error.
        reason: String,
        /// The HTTP status a service answers this refusal with.
        http_status: u16,
        /// The `WWW-Authenticate` value for the answer, if one belongs.
        www_authenticate: Option<String>,
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
            | Self::Config { code, .. }
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
        let http_status = chatseal::refusal_status(&e);
        let www_authenticate = chatseal::www_authenticate(&e);
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
            | ErrorKind::CompressionNotSupported => Self::MalformedToken {
                code,
                reason,
                http_status,
                www_authenticate,
            },
            ErrorKind::AlgorithmNotAllowed
            | ErrorKind::UnknownKeyId
            | ErrorKind::NoMatchingKey
            | ErrorKind::InvalidSignature => Self::InvalidSignature {
                code,
                reason,
                http_status,
                www_authenticate,
            },
            ErrorKind::DecryptionFailed => Self::DecryptionFailed {
                code,
                reason,
                http_status,
                www_authenticate,
            },
            ErrorKind::Expired => Self::Expired {
                code,
                reason,
                http_status,
                www_authenticate,
            },
            ErrorKind::NotYetValid
            | ErrorKind::IssuedInFuture
            | ErrorKind::LifetimeTooLong
            | ErrorKind::MissingClaim
            | ErrorKind::InvalidClaim
            | ErrorKind::InvalidIssuer
            | ErrorKind::InvalidAudience
            | ErrorKind::PolicyDenied { .. } => Self::ClaimRejected {
                code,
                reason,
                http_status,
                www_authenticate,
            },
            ErrorKind::InvalidKey
            | ErrorKind::WeakKey
            | ErrorKind::KeyRoleMismatch
            | ErrorKind::WrongPassphrase
            | ErrorKind::SampleKey => Self::KeyRejected {
                code,
                reason,
                http_status,
                www_authenticate,
            },
            ErrorKind::Io | ErrorKind::JwksUnavailable => Self::Io {
                code,
                reason,
                http_status,
                www_authenticate,
            },
            ErrorKind::ApiMisuse => Self::ApiMisuse {
                code,
                reason,
                http_status,
                www_authenticate,
            },
            ErrorKind::InvalidConfig | ErrorKind::ConfigKeysChanged => Self::Config {
                code,
                reason,
                http_status,
                www_authenticate,
            },
            // Internal failures, and kinds added to chatseal later.
            ErrorKind::Internal => Self::Other {
                code,
                reason,
                http_status,
                www_authenticate,
            },
            _ => Self::Other {
                code,
                reason,
                http_status,
                www_authenticate,
            },
        }
    }
}

/// The keyring's errors: key problems convert as core errors above; the
/// rest get codes of their own.
impl From<chatseal_keys::Error> for ChatsealError {
    fn from(e: chatseal_keys::Error) -> Self {
        let reason = e.to_string();
        // Not request refusals: a service's own fault, answered with 500
        // (what chatseal's `refusal_status` gives every such error).
        let (http_status, www_authenticate) = (500, None);
        let keyring = |code: &str| Self::Keyring {
            code: code.to_owned(),
            reason: reason.clone(),
            http_status,
            www_authenticate: None,
        };
        match e {
            chatseal_keys::Error::Key(core) => core.into(),
            chatseal_keys::Error::Io { .. } => Self::Io {
                code: ErrorKind::Io.code().to_owned(),
                reason,
                http_status,
                www_authenticate,
            },
            chatseal_keys::Error::NotFound(_) => keyring("keyring_not_found"),
            chatseal_keys::Error::Exists(_) => keyring("keyring_exists"),
            chatseal_keys::Error::Corrupt { .. } => keyring("keyring_corrupt"),
            chatseal_keys::Error::Locked { .. } => keyring("keyring_locked"),
            chatseal_keys::Error::State(_) => keyring("keyring_state"),
            _ => Self::Other {
                code: "keyring".to_owned(),
                reason,
                http_status,
                www_authenticate,
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
                reason: "token audience `x` is wrong".into(),
                http_status: 401,
                www_authenticate: Some(
                    "Bearer realm=\"chatseal\", error=\"invalid_token\", \
                     error_description=\"invalid_audience\""
                        .into()
                ),
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
    fn carries_core_http_answer() {
        let answer = |kind| {
            let e = chatseal::Error::new(kind, "m");
            let (status, header) = (chatseal::refusal_status(&e), chatseal::www_authenticate(&e));
            let b: ChatsealError = e.into();
            match b {
                ChatsealError::ClaimRejected {
                    http_status,
                    www_authenticate,
                    ..
                }
                | ChatsealError::Io {
                    http_status,
                    www_authenticate,
                    ..
                }
                | ChatsealError::Config {
                    http_status,
                    www_authenticate,
                    ..
                } => {
                    assert_eq!((http_status, &www_authenticate), (status, &header));
                    (http_status, www_authenticate.is_some())
                }
                other => panic!("{other:?}"),
            }
        };
        let rule = |rule| ErrorKind::PolicyDenied { rule };
        assert_eq!(answer(rule("email_domain_not_allowed")), (403, true));
        assert_eq!(answer(rule("no_credentials")), (401, true));
        assert_eq!(answer(rule("no_providers_configured")), (404, false));
        assert_eq!(answer(ErrorKind::JwksUnavailable), (503, false));
        assert_eq!(answer(ErrorKind::InvalidConfig), (500, false));
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
            (ErrorKind::InvalidConfig, "Config"),
            (ErrorKind::ConfigKeysChanged, "Config"),
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
