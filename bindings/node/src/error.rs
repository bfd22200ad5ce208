//! Errors: a chatseal error becomes an instance of one of the `Error`
//! subclasses that `index.js` defines, carrying the core `code` and message.
//!
//! The grouping into classes is made here, in one place ([`Failure::group`]),
//! the same grouping as the uniffi bindings (`bindings/src/error.rs`).
//! `index.js` hands the native module one factory function at load time
//! ([`register_error_factory`]); every failure is built by calling it, so a
//! Node caller gets `err instanceof ExpiredError`, `err.code === 'expired'`
//! and the Rust message. Loaded without `index.js` (the `.node` file
//! directly), errors are plain `Error`s with the same `code` and message.

use chatseal::ErrorKind;
use napi::bindgen_prelude::{FnArgs, Function, FunctionRef, Unknown};
use napi::Env;
use napi_derive::napi;

/// The class a failure is thrown as (`index.js` names them `<group>Error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The token does not parse or is refused on its face.
    MalformedToken,
    /// The signature does not verify, or no trusted key may check it.
    InvalidSignature,
    /// The encrypted `user_payload` does not decrypt.
    DecryptionFailed,
    /// The token has expired.
    Expired,
    /// A claim check or a policy rule refused the token.
    ClaimRejected,
    /// Key material was refused.
    KeyRejected,
    /// A file or a remote key set could not be read or written.
    Io,
    /// The API was used in a way it does not allow.
    ApiMisuse,
    /// The keyring folder cannot be used as asked.
    Keyring,
    /// Anything else (configuration, internal failures, kinds added later):
    /// the base class `ChatsealError`.
    Other,
}

impl Group {
    /// The name `index.js` knows the class by.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedToken => "MalformedToken",
            Self::InvalidSignature => "InvalidSignature",
            Self::DecryptionFailed => "DecryptionFailed",
            Self::Expired => "Expired",
            Self::ClaimRejected => "ClaimRejected",
            Self::KeyRejected => "KeyRejected",
            Self::Io => "Io",
            Self::ApiMisuse => "ApiMisuse",
            Self::Keyring => "Keyring",
            Self::Other => "Other",
        }
    }

    fn of(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::TokenTooLarge
            | ErrorKind::MalformedToken
            | ErrorKind::InvalidBase64
            | ErrorKind::InvalidJson
            | ErrorKind::AlgorithmNone
            | ErrorKind::HmacAlgorithm
            | ErrorKind::UnsupportedAlgorithm
            | ErrorKind::UnsupportedCritical
            | ErrorKind::EmbeddedKey
            | ErrorKind::CompressionNotSupported => Self::MalformedToken,
            ErrorKind::AlgorithmNotAllowed
            | ErrorKind::UnknownKeyId
            | ErrorKind::NoMatchingKey
            | ErrorKind::InvalidSignature => Self::InvalidSignature,
            ErrorKind::DecryptionFailed => Self::DecryptionFailed,
            ErrorKind::Expired => Self::Expired,
            ErrorKind::NotYetValid
            | ErrorKind::IssuedInFuture
            | ErrorKind::LifetimeTooLong
            | ErrorKind::MissingClaim
            | ErrorKind::InvalidClaim
            | ErrorKind::InvalidIssuer
            | ErrorKind::InvalidAudience
            | ErrorKind::PolicyDenied { .. } => Self::ClaimRejected,
            ErrorKind::InvalidKey
            | ErrorKind::WeakKey
            | ErrorKind::KeyRoleMismatch
            | ErrorKind::WrongPassphrase
            | ErrorKind::SampleKey => Self::KeyRejected,
            ErrorKind::Io | ErrorKind::JwksUnavailable => Self::Io,
            ErrorKind::ApiMisuse => Self::ApiMisuse,
            // Tenant configuration (`invalid_config`, `config_keys_changed`),
            // internal failures, and kinds added to chatseal later.
            _ => Self::Other,
        }
    }
}

/// A failure on its way to JavaScript: which class, which code, which
/// message. Plain data, so it can leave a worker thread (async calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The class it is thrown as.
    pub group: Group,
    /// The stable code: `chatseal::Error::code()`, or a keyring code.
    pub code: String,
    /// The message of the Rust error (never a secret).
    pub message: String,
}

/// The one place a core error becomes a Node error.
impl From<chatseal::Error> for Failure {
    fn from(e: chatseal::Error) -> Self {
        Self {
            group: Group::of(e.kind()),
            code: e.code().to_owned(),
            message: e.message().to_owned(),
        }
    }
}

/// The keyring's errors: key problems convert as core errors; the rest get
/// the same codes as in the Python bindings.
impl From<chatseal_keys::Error> for Failure {
    fn from(e: chatseal_keys::Error) -> Self {
        let message = e.to_string();
        let keyring = |code: &str| Self {
            group: Group::Keyring,
            code: code.to_owned(),
            message: message.clone(),
        };
        match e {
            chatseal_keys::Error::Key(core) => core.into(),
            chatseal_keys::Error::Io { .. } => Self {
                group: Group::Io,
                code: ErrorKind::Io.code().to_owned(),
                message,
            },
            chatseal_keys::Error::NotFound(_) => keyring("keyring_not_found"),
            chatseal_keys::Error::Exists(_) => keyring("keyring_exists"),
            chatseal_keys::Error::Corrupt { .. } => keyring("keyring_corrupt"),
            chatseal_keys::Error::Locked { .. } => keyring("keyring_locked"),
            chatseal_keys::Error::State(_) => keyring("keyring_state"),
            _ => Self {
                group: Group::Other,
                code: "keyring".to_owned(),
                message,
            },
        }
    }
}

/// A mistake in what the JavaScript caller handed in (an option of the wrong
/// shape, two options that exclude each other), as a core `ApiMisuse` error.
pub(crate) fn misuse(message: impl Into<String>) -> Failure {
    chatseal::Error::new(ErrorKind::ApiMisuse, message).into()
}

type Factory = FunctionRef<FnArgs<(&'static str, String, String)>, Unknown<'static>>;

/// Registers the function that builds error objects:
/// `(group, code, message) => new <group>Error(message, code)`.
///
/// Called once by `index.js` when the package loads; not part of the public
/// API.
#[napi(skip_typescript, js_name = "__registerErrorFactory")]
pub fn register_error_factory(
    env: Env,
    factory: Function<FnArgs<(&'static str, String, String)>, Unknown<'static>>,
) -> napi::Result<()> {
    let factory: Factory = factory.create_ref()?;
    env.set_instance_data(factory, (), |_| {})
}

impl Failure {
    /// The JavaScript error object for this failure, as a `napi::Error` that
    /// throws (or rejects with) exactly that object.
    pub(crate) fn into_js(self, env: &Env) -> napi::Error {
        let built = env
            .get_instance_data::<Factory>()
            .ok()
            .flatten()
            .and_then(|f| f.borrow_back(env).ok())
            .and_then(|f| {
                f.call((self.group.as_str(), self.code.clone(), self.message.clone()).into())
                    .ok()
            });
        match built {
            Some(object) => napi::Error::from(object),
            // No factory registered (the `.node` file loaded directly): a
            // plain `Error` whose `code` is the chatseal code.
            None => napi::Error::from(
                napi::JsError::from(napi::Error::new(self.code, self.message)).into_unknown(*env),
            ),
        }
    }
}

/// `result.or_throw(&env)`: a chatseal result as a napi result whose error
/// is the right JavaScript error object.
pub(crate) trait OrThrow<T> {
    /// Converts the error, if any.
    fn or_throw(self, env: &Env) -> napi::Result<T>;
}

impl<T, E: Into<Failure>> OrThrow<T> for Result<T, E> {
    fn or_throw(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| e.into().into_js(env))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_code_message_and_group() {
        let f: Failure =
            chatseal::Error::new(ErrorKind::InvalidAudience, "token audience `x` is wrong").into();
        assert_eq!(f.group, Group::ClaimRejected);
        assert_eq!(f.code, "invalid_audience");
        assert_eq!(f.message, "token audience `x` is wrong");
        let f: Failure = chatseal::Error::new(
            ErrorKind::PolicyDenied {
                rule: "email_domain_not_allowed",
            },
            "m",
        )
        .into();
        assert_eq!(
            (f.group, f.code.as_str()),
            (Group::ClaimRejected, "email_domain_not_allowed")
        );
    }

    #[test]
    fn each_group() {
        for (kind, group) in [
            (ErrorKind::AlgorithmNone, Group::MalformedToken),
            (ErrorKind::UnknownKeyId, Group::InvalidSignature),
            (ErrorKind::DecryptionFailed, Group::DecryptionFailed),
            (ErrorKind::Expired, Group::Expired),
            (ErrorKind::NotYetValid, Group::ClaimRejected),
            (ErrorKind::WeakKey, Group::KeyRejected),
            (ErrorKind::SampleKey, Group::KeyRejected),
            (ErrorKind::JwksUnavailable, Group::Io),
            (ErrorKind::ApiMisuse, Group::ApiMisuse),
            (ErrorKind::Internal, Group::Other),
            (ErrorKind::InvalidConfig, Group::Other),
        ] {
            let f: Failure = chatseal::Error::new(kind, "m").into();
            assert_eq!(f.group, group, "{kind:?}");
            assert_eq!(f.code, kind.code());
        }
    }

    #[test]
    fn keyring_codes() {
        let f: Failure = chatseal_keys::Error::State("no pending key".into()).into();
        assert_eq!(
            (f.group, f.code.as_str(), f.message.as_str()),
            (Group::Keyring, "keyring_state", "no pending key")
        );
        let f: Failure =
            chatseal_keys::Error::Key(chatseal::Error::new(ErrorKind::WrongPassphrase, "m")).into();
        assert_eq!(
            (f.group, f.code.as_str()),
            (Group::KeyRejected, "wrong_passphrase")
        );
    }
}
