//! Types that hold secrets: they zeroize on drop, print `[redacted]`, and
//! give their contents out only through an explicit `expose_secret()`.

use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret string. The caller's copy is moved in, not copied.
            pub fn new(secret: impl Into<String>) -> Self {
                Self(secret.into())
            }

            /// The secret itself. Every use is a place to review: grep for it.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }

            /// The secret's length in bytes (not secret in chatseal's threat
            /// model: ciphertext lengths reveal it anyway).
            pub fn len(&self) -> usize {
                self.0.len()
            }

            /// Whether the secret is the empty string.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl From<String> for $name {
            fn from(secret: String) -> Self {
                Self(secret)
            }
        }

        impl From<&str> for $name {
            fn from(secret: &str) -> Self {
                Self(secret.to_owned())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}([redacted])", stringify!($name))
            }
        }
    };
}

secret_string! {
    /// An on-behalf-of token the host passes to the platform inside the
    /// encrypted `user_payload` claim.
    ///
    /// ```
    /// let t = chatseal::SsoToken::new("eyJhbGciOi...");
    /// assert_eq!(format!("{t:?}"), "SsoToken([redacted])");
    /// assert_eq!(t.expose_secret(), "eyJhbGciOi...");
    /// ```
    SsoToken
}

secret_string! {
    /// A passphrase that protects a private key file at rest.
    ///
    /// ```
    /// let p = chatseal::Passphrase::new("correct horse");
    /// assert_eq!(format!("{p:?}"), "Passphrase([redacted])");
    /// ```
    Passphrase
}

secret_string! {
    /// A secret rendered as text, such as a private key in PEM.
    SecretString
}

/// Secret bytes, such as a private key in DER.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Wraps secret bytes.
    pub fn new(secret: Vec<u8>) -> Self {
        Self(secret)
    }

    /// The secret bytes. Every use is a place to review.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes([redacted])")
    }
}

impl From<Zeroizing<Vec<u8>>> for SecretBytes {
    fn from(mut secret: Zeroizing<Vec<u8>>) -> Self {
        Self(std::mem::take(&mut *secret))
    }
}

/// Compares two byte strings in time that depends only on their lengths.
///
/// The one place where chatseal compares secret values (API key hashes, tags).
///
/// ```
/// assert!(chatseal::constant_time_eq(b"abc", b"abc"));
/// assert!(!chatseal::constant_time_eq(b"abc", b"abd"));
/// ```
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    crate::backend::constant_time_eq(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SsoToken::new("very-secret-value");
        let shown = format!("{s:?} {:?}", Passphrase::new("pw-very-secret"));
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("[redacted]"));
        let b = SecretBytes::new(b"k3y-bytes".to_vec());
        assert!(!format!("{b:?}").contains("k3y"));
    }
}
