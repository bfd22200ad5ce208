//! User-facing errors of the `chatseal` command and their exit codes.
//!
//! - 0: success;
//! - 1: a token or key was rejected, or a check failed;
//! - 2: usage or configuration error (arguments, missing or damaged keyring,
//!   wrong or missing passphrase, I/O, lock held by another process, an
//!   invalid tenant document, a remote JWKS that cannot be fetched).
//!
//! A sealed tenant document that does not open with the configured secrets
//! (`config_keys_changed`) is a failed check: exit 1.

use chatseal::ErrorKind;

/// Exit code: a token or key was rejected, or a check failed.
pub(crate) const EXIT_REJECTED: u8 = 1;
/// Exit code: usage or configuration error.
pub(crate) const EXIT_USAGE: u8 = 2;

/// An error to report on one line of stderr, with its exit code.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Bad arguments or configuration (exit 2).
    Usage(String),
    /// The token was refused by the verifier (exit 1).
    TokenRejected(chatseal::Error),
    /// A core error outside token verification.
    Core(chatseal::Error),
    /// A keyring error.
    Keyring(chatseal_keys::Error),
}

impl From<chatseal::Error> for CliError {
    fn from(e: chatseal::Error) -> Self {
        Self::Core(e)
    }
}

impl From<chatseal_keys::Error> for CliError {
    fn from(e: chatseal_keys::Error) -> Self {
        match e {
            chatseal_keys::Error::Key(k) => Self::Core(k),
            other => Self::Keyring(other),
        }
    }
}

fn core_exit(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::WrongPassphrase
        | ErrorKind::Io
        | ErrorKind::ApiMisuse
        | ErrorKind::Internal
        | ErrorKind::JwksUnavailable
        | ErrorKind::InvalidConfig
        // A token that cannot be reached or opened is configuration, like
        // a wrong passphrase or an unreadable file.
        | ErrorKind::InvalidPkcs11Uri
        | ErrorKind::Pkcs11ModuleUnavailable
        | ErrorKind::TokenUnavailable
        | ErrorKind::WrongPin
        | ErrorKind::KeyNotFound
        | ErrorKind::TokenFailed => EXIT_USAGE,
        // Every other kind is a token or key that was refused.
        _ => EXIT_REJECTED,
    }
}

impl CliError {
    /// The process exit code.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Keyring(_) => EXIT_USAGE,
            Self::TokenRejected(_) => EXIT_REJECTED,
            Self::Core(e) => core_exit(e.kind()),
        }
    }

    /// The one line printed on stderr (never a secret: core and keyring
    /// messages carry none).
    pub(crate) fn line(&self) -> String {
        let text = match self {
            Self::Usage(m) => format!("error: {m}"),
            Self::TokenRejected(e) => format!("token rejected: {}: {}", e.code(), e.message()),
            Self::Core(e) if e.kind() == ErrorKind::ConfigKeysChanged => {
                format!(
                    "sealed configuration rejected: {}: {}",
                    e.code(),
                    e.message()
                )
            }
            Self::Core(e) if core_exit(e.kind()) == EXIT_REJECTED => {
                format!("key rejected: {}: {}", e.code(), e.message())
            }
            Self::Core(e) => format!("error: {}: {}", e.code(), e.message()),
            Self::Keyring(e) => format!("error: {e}"),
        };
        let one_line: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("chatseal: {one_line}")
    }
}

/// Shorthand for the command implementations.
pub(crate) type CliResult<T = ()> = Result<T, CliError>;

/// A usage error.
pub(crate) fn usage(message: impl Into<String>) -> CliError {
    CliError::Usage(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_single_line() {
        let e = CliError::TokenRejected(chatseal::Error::new(ErrorKind::Expired, "a\nb"));
        assert_eq!(e.exit_code(), 1);
        assert_eq!(e.line(), "chatseal: token rejected: expired: a b");
        let e = CliError::Core(chatseal::Error::new(ErrorKind::WrongPassphrase, "x"));
        assert_eq!(e.exit_code(), 2);
        let e = CliError::Core(chatseal::Error::new(ErrorKind::SampleKey, "x"));
        assert_eq!(e.exit_code(), 1);
        let e = CliError::Core(chatseal::Error::new(ErrorKind::InvalidConfig, "x"));
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.line(), "chatseal: error: invalid_config: x");
        let e = CliError::Core(chatseal::Error::new(ErrorKind::ConfigKeysChanged, "y"));
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.line(),
            "chatseal: sealed configuration rejected: config_keys_changed: y"
        );
        assert_eq!(usage("u").exit_code(), 2);
        let k: CliError = chatseal_keys::Error::State("s".into()).into();
        assert_eq!(k.exit_code(), 2);
    }
}
