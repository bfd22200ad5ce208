//! API keys for a platform's analytics and admin endpoints: 256 random bits
//! behind a recognizable prefix, stored only as a SHA-256 hash, compared in
//! constant time.

use std::fmt;

use crate::backend;
use crate::encoding::{b64url, b64url_decode};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::SecretString;

/// The prefix of every chatseal API key (`csk_` + 43 base64url characters),
/// so that secret scanners and people recognize a leaked key.
pub const API_KEY_PREFIX: &str = "csk_";

/// The prefix of a stored hash (`sha256:` + 64 hex digits).
const HASH_PREFIX: &str = "sha256:";

/// A freshly generated API key: shown to its owner once, then only its
/// [`ApiKeyHash`] is kept.
#[derive(Clone)]
pub struct ApiKey {
    key: SecretString,
    hash: ApiKeyHash,
}

impl ApiKey {
    /// Generates a key from 32 bytes of the system's secure random
    /// generator.
    pub fn generate() -> Result<Self> {
        let mut raw = zeroize::Zeroizing::new([0u8; 32]);
        backend::fill_random(&mut raw[..])?;
        let key = SecretString::new(format!("{API_KEY_PREFIX}{}", b64url(&raw[..])));
        let hash = ApiKeyHash(backend::sha256(key.expose_secret().as_bytes()));
        Ok(Self { key, hash })
    }

    /// The full key, to show once to its owner.
    pub fn expose_secret(&self) -> &str {
        self.key.expose_secret()
    }

    /// The hash to store.
    pub fn hash(&self) -> &ApiKeyHash {
        &self.hash
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// The stored form of an API key: its SHA-256 hash. Not a secret by itself
/// (the key has 256 random bits), but still compared in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyHash([u8; 32]);

impl ApiKeyHash {
    /// The text to store: `sha256:` and 64 lowercase hex digits.
    pub fn to_stored(&self) -> String {
        let mut s = String::with_capacity(HASH_PREFIX.len() + 64);
        s.push_str(HASH_PREFIX);
        for b in self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// Parses the text written by [`ApiKeyHash::to_stored`].
    pub fn from_stored(stored: &str) -> Result<Self> {
        let bad = || {
            Error::new(
                ErrorKind::InvalidConfig,
                "stored API key hash is not `sha256:` followed by 64 lowercase hex digits",
            )
        };
        let hex = stored.strip_prefix(HASH_PREFIX).ok_or_else(bad)?;
        if hex.len() != 64 || !hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Self(out))
    }

    /// Whether `presented` is the key this hash was made from. The hashes
    /// are compared in constant time; a value without the `csk_` prefix or of
    /// the wrong shape never matches.
    pub fn matches(&self, presented: &str) -> bool {
        let well_formed = presented
            .strip_prefix(API_KEY_PREFIX)
            .is_some_and(|b| b.len() == 43 && b64url_decode(b, "api key").is_ok());
        let h = backend::sha256(presented.as_bytes());
        // Hash and compare even for malformed input, so the time taken does
        // not depend on where the input is wrong.
        backend::constant_time_eq(&h, &self.0) & well_formed
    }
}

impl fmt::Debug for ApiKeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeyHash({})", self.to_stored())
    }
}

/// The one API key slot of a service: empty, or holding the hash of the
/// current key. Generate, regenerate (the old key stops matching at once),
/// delete.
///
/// ```
/// use chatseal::ApiKeySlot;
///
/// let mut slot = ApiKeySlot::empty();
/// let first = slot.generate()?;             // show first.expose_secret() once
/// assert!(first.expose_secret().starts_with("csk_"));
/// assert!(slot.verify(first.expose_secret()));
///
/// let second = slot.regenerate()?;
/// assert!(!slot.verify(first.expose_secret())); // the old key died at once
/// assert!(slot.verify(second.expose_secret()));
///
/// let stored = slot.to_stored();              // persist only this hash
/// let reloaded = ApiKeySlot::from_stored(stored.as_deref())?;
/// assert!(reloaded.verify(second.expose_secret()));
///
/// slot.delete();
/// assert!(!slot.verify(second.expose_secret()));
/// # Ok::<(), chatseal::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ApiKeySlot {
    current: Option<ApiKeyHash>,
}

impl ApiKeySlot {
    /// A slot with no key: every presented key is refused.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A slot loaded from storage (`None`: no key).
    pub fn from_stored(stored: Option<&str>) -> Result<Self> {
        Ok(Self {
            current: stored.map(ApiKeyHash::from_stored).transpose()?,
        })
    }

    /// The text to store, if a key is set.
    pub fn to_stored(&self) -> Option<String> {
        self.current.as_ref().map(ApiKeyHash::to_stored)
    }

    /// Whether a key is set.
    pub fn is_set(&self) -> bool {
        self.current.is_some()
    }

    /// Creates the first key. When a key already exists this is an
    /// [`ErrorKind::ApiMisuse`]: call [`ApiKeySlot::regenerate`], which says
    /// that the old key dies.
    pub fn generate(&mut self) -> Result<ApiKey> {
        if self.current.is_some() {
            return Err(Error::new(
                ErrorKind::ApiMisuse,
                "an API key already exists; regenerate it to replace it",
            ));
        }
        self.regenerate()
    }

    /// Replaces the key (or creates one): the previous key stops matching
    /// immediately.
    pub fn regenerate(&mut self) -> Result<ApiKey> {
        let key = ApiKey::generate()?;
        self.current = Some(key.hash().clone());
        Ok(key)
    }

    /// Removes the key: every presented key is refused from now on.
    pub fn delete(&mut self) {
        self.current = None;
    }

    /// Whether `presented` is the current key (constant-time comparison of
    /// hashes).
    pub fn verify(&self, presented: &str) -> bool {
        self.current.as_ref().is_some_and(|h| h.matches(presented))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_prefixed_and_hashed() {
        let a = ApiKey::generate().unwrap();
        let b = ApiKey::generate().unwrap();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(a.expose_secret().len(), 4 + 43);
        assert!(a.hash().matches(a.expose_secret()));
        assert!(!a.hash().matches(b.expose_secret()));
        assert!(!format!("{a:?}").contains(&a.expose_secret()[4..]));
        let stored = a.hash().to_stored();
        assert!(!stored.contains(&a.expose_secret()[4..]));
        assert_eq!(&ApiKeyHash::from_stored(&stored).unwrap(), a.hash());
    }

    #[test]
    fn near_misses_do_not_match() {
        let a = ApiKey::generate().unwrap();
        let k = a.expose_secret();
        let mut flipped = k.to_owned().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        for bad in [
            "",
            &k[4..],
            &k[..k.len() - 1],
            &format!("{k}x"),
            &format!("CSK_{}", &k[4..]),
            std::str::from_utf8(&flipped).unwrap(),
        ] {
            assert!(!a.hash().matches(bad), "{bad}");
        }
    }

    #[test]
    fn slot_lifecycle() {
        let mut slot = ApiKeySlot::empty();
        assert!(!slot.verify("csk_anything"));
        let k1 = slot.generate().unwrap();
        assert_eq!(slot.generate().unwrap_err().kind(), ErrorKind::ApiMisuse);
        let k2 = slot.regenerate().unwrap();
        assert!(!slot.verify(k1.expose_secret()));
        assert!(slot.verify(k2.expose_secret()));
        slot.delete();
        assert!(!slot.verify(k2.expose_secret()));
        assert!(slot.to_stored().is_none());
    }

    #[test]
    fn bad_stored_hashes() {
        for bad in [
            "",
            "sha256:",
            "sha1:00",
            &format!("sha256:{}", "A".repeat(64)),
            &format!("sha256:{}", "0".repeat(63)),
        ] {
            assert_eq!(
                ApiKeyHash::from_stored(bad).unwrap_err().kind(),
                ErrorKind::InvalidConfig
            );
        }
    }
}
