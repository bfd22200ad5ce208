//! Remote JWKS: fetch an identity provider's signing keys over HTTPS, cache
//! them, and refetch sparingly.
//!
//! - A fetch has a timeout (default 5 s) and a size cap (default 256 KiB).
//! - Keys are cached for a maximum age (default 10 min).
//! - A token whose `kid` is unknown triggers at most one refetch per cooldown
//!   (default 30 s), however many such tokens arrive.
//! - Single-flight: concurrent callers that need a fetch share one request.
//! - Stale-if-error: when a refetch fails, keys already cached keep working
//!   for a bounded time past their maximum age (default 1 h); a failed fetch
//!   is not retried before the cooldown has passed.
//! - Optional discovery of `jwks_uri` from
//!   `{authority}/.well-known/openid-configuration`, checking its `issuer`.
//!
//! The fetching half (`RemoteJwks`) is built with the cargo feature
//! `remote-jwks` (on by default); without it chatseal pulls in no HTTP or
//! TLS crate. TLS is rustls on aws-lc-rs with the platform's root certificates. Plain
//! HTTP is refused unless [`JwksOptions::allow_http`] is set (a tenant's
//! `requireHttpsMetadata: false`).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::keys::{truncate_for_message, ClientVerifyingKey};

#[cfg(feature = "remote-jwks")]
mod remote;
#[cfg(feature = "remote-jwks")]
pub use remote::RemoteJwks;

/// Default timeout of one fetch.
pub const DEFAULT_JWKS_TIMEOUT: Duration = Duration::from_secs(5);
/// Default largest response accepted, in bytes.
pub const DEFAULT_JWKS_MAX_BYTES: usize = 256 * 1024;
/// Default maximum age of cached keys.
pub const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(600);
/// Default cooldown between refetches caused by unknown `kid`s (and between
/// retries after a failed fetch).
pub const DEFAULT_JWKS_COOLDOWN: Duration = Duration::from_secs(30);
/// Default time cached keys keep working past their maximum age while the
/// endpoint fails.
pub const DEFAULT_JWKS_STALE_IF_ERROR: Duration = Duration::from_secs(3600);

/// A monotonic clock, injectable so that cache ages can be tested without
/// sleeping.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told to, for tests.
///
/// ```
/// use chatseal::{Clock, ManualClock};
/// use std::time::Duration;
/// let clock = ManualClock::new();
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(31));
/// assert_eq!(clock.now() - t0, Duration::from_secs(31));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    base: Instant,
    offset: Mutex<Duration>,
}

impl ManualClock {
    /// A clock standing at the moment of the call.
    pub fn new() -> Self {
        Self {
            base: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut o = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *o += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.base + *self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Settings of a `RemoteJwks` (feature `remote-jwks`). `Default` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct JwksOptions {
    /// Timeout of one whole fetch (connect, headers and body).
    pub timeout: Duration,
    /// Largest response body accepted, in bytes.
    pub max_bytes: usize,
    /// How long fetched keys are used before they are refetched.
    pub max_age: Duration,
    /// Least time between two refetches caused by unknown `kid`s, and between
    /// retries after a failed fetch.
    pub cooldown: Duration,
    /// How long past `max_age` cached keys keep working while refetches fail.
    pub stale_if_error: Duration,
    /// Accept `http://` URLs (a tenant's `requireHttpsMetadata: false`). Off
    /// by default; never turn it on for endpoints outside a trusted network.
    pub allow_http: bool,
    /// The clock for cache ages.
    pub clock: Arc<dyn Clock>,
}

impl Default for JwksOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_JWKS_TIMEOUT,
            max_bytes: DEFAULT_JWKS_MAX_BYTES,
            max_age: DEFAULT_JWKS_MAX_AGE,
            cooldown: DEFAULT_JWKS_COOLDOWN,
            stale_if_error: DEFAULT_JWKS_STALE_IF_ERROR,
            allow_http: false,
            clock: Arc::new(SystemClock),
        }
    }
}

/// One fetched key set.
#[derive(Debug)]
pub struct KeySnapshot {
    keys: Vec<ClientVerifyingKey>,
    generation: u64,
    fetched_at: Instant,
}

impl KeySnapshot {
    /// The signature keys of the set (entries chatseal cannot use are
    /// skipped).
    pub fn keys(&self) -> &[ClientVerifyingKey] {
        &self.keys
    }

    /// Counts successful fetches: a new number means a new key set.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the set holds a key that declares this `kid` or has it as
    /// its RFC 7638 thumbprint.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys
            .iter()
            .any(|k| k.declared_kid() == Some(kid) || k.thumbprint() == kid)
    }

    /// When the set was fetched (by the [`JwksOptions::clock`]).
    pub fn fetched_at(&self) -> Instant {
        self.fetched_at
    }
}

/// Checks that `url` is an absolute `https://` URL (or `http://` when
/// allowed), with a host and without credentials or a fragment.
pub(crate) fn check_url(url: &str, allow_http: bool, what: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::new(
            ErrorKind::InvalidConfig,
            format!("{what} `{}` {why}", truncate_for_message(url)),
        )
    };
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        if !allow_http {
            return Err(bad(
                "is plain HTTP; HTTPS is required (requireHttpsMetadata is true)",
            ));
        }
        r
    } else {
        return Err(bad("is not an absolute https:// URL"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    if host.contains('@') {
        // Not echoed: the URL holds a password.
        return Err(Error::new(
            ErrorKind::InvalidConfig,
            format!("{what} carries credentials (`user:password@`); they are refused"),
        ));
    }
    if url.contains('#') || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("has a fragment or whitespace"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("https://idp.example/keys", false, "u").is_ok());
        assert!(check_url("http://127.0.0.1:8080/keys", true, "u").is_ok());
        for bad in [
            "http://idp.example/keys",
            "ftp://idp.example",
            "https://",
            "https://user:pw@idp.example/keys",
            "https://idp.example/keys#x",
            "https://idp.example/ke ys",
            "idp.example/keys",
        ] {
            let e = check_url(bad, false, "jwksUri").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad}");
            assert!(!e.message().contains("pw@"), "{}", e.message());
        }
    }

    #[test]
    fn manual_clock_moves() {
        let c = ManualClock::new();
        let t = c.now();
        c.advance(Duration::from_secs(5));
        assert_eq!(c.now() - t, Duration::from_secs(5));
    }
}
