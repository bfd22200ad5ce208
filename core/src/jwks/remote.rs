//! [`RemoteJwks`]: the HTTP fetching half of remote key sets (feature
//! `remote-jwks`).

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use super::{check_url, JwksOptions, KeySnapshot};
use crate::backend;
use crate::encoding::parse_value;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::{truncate_for_message, ClientVerifyingKey};

#[derive(Debug)]
enum Source {
    Url(String),
    Discovery {
        authority: String,
        expected_issuer: Option<String>,
    },
}

#[derive(Default)]
struct State {
    snapshot: Option<Arc<KeySnapshot>>,
    last_attempt: Option<Instant>,
    last_error: Option<Error>,
    fetching: bool,
    generation: u64,
    discovered_uri: Option<String>,
    fetches: u64,
}

/// A remote key set with a cache, a refetch cooldown, single-flight fetches
/// and stale-if-error. Share it (it is `Send + Sync`) between all the
/// threads that verify tokens of one provider.
///
/// Nothing is fetched at construction; the first [`RemoteJwks::keys`] call
/// fetches.
///
/// ```no_run
/// use chatseal::{JwksOptions, RemoteJwks};
/// let jwks = RemoteJwks::new("https://idp.example/.well-known/jwks.json", JwksOptions::default())?;
/// let snapshot = jwks.keys()?;
/// println!("{} keys", snapshot.keys().len());
/// # Ok::<(), chatseal::Error>(())
/// ```
///
/// # Security
///
/// The key set is only as trustworthy as the URL: configure it out of band,
/// keep `allow_http` off, and never take it from a token.
pub struct RemoteJwks {
    source: Source,
    opts: JwksOptions,
    agent: ureq::Agent,
    state: Mutex<State>,
    done: Condvar,
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("source", &self.source)
            .field("opts", &self.opts)
            .finish()
    }
}

fn unavailable(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::JwksUnavailable, message)
}

impl RemoteJwks {
    /// A key set fetched from `jwks_uri`.
    pub fn new(jwks_uri: impl Into<String>, opts: JwksOptions) -> Result<Self> {
        let uri = jwks_uri.into();
        check_url(&uri, opts.allow_http, "jwks_uri")?;
        Ok(Self::with_source(Source::Url(uri), opts))
    }

    /// A key set whose `jwks_uri` is discovered from
    /// `{authority}/.well-known/openid-configuration`. When `expected_issuer`
    /// is given, the discovery document's `issuer` must equal it exactly.
    pub fn discover(
        authority: impl Into<String>,
        expected_issuer: Option<String>,
        opts: JwksOptions,
    ) -> Result<Self> {
        let authority = authority.into();
        check_url(&authority, opts.allow_http, "authority")?;
        Ok(Self::with_source(
            Source::Discovery {
                authority,
                expected_issuer,
            },
            opts,
        ))
    }

    fn with_source(source: Source, opts: JwksOptions) -> Self {
        use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::PlatformVerifier)
            .unversioned_rustls_crypto_provider(backend::tls_crypto_provider())
            .build();
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(opts.timeout))
            .https_only(!opts.allow_http)
            .max_redirects(3)
            .http_status_as_error(false)
            .user_agent("chatseal-jwks")
            .tls_config(tls)
            .build()
            .new_agent();
        Self {
            source,
            opts,
            agent,
            state: Mutex::new(State::default()),
            done: Condvar::new(),
        }
    }

    /// How many HTTP fetches of the key set were attempted so far (discovery
    /// requests not counted). For metrics and tests.
    pub fn fetch_count(&self) -> u64 {
        self.lock().fetches
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current keys: cached while younger than `max_age`, else
    /// refetched (one fetch shared by concurrent callers). When the refetch
    /// fails, cached keys are returned while younger than `max_age +
    /// stale_if_error`; otherwise the error is
    /// [`ErrorKind::JwksUnavailable`].
    pub fn keys(&self) -> Result<Arc<KeySnapshot>> {
        let mut st = self.lock();
        loop {
            let now = self.opts.clock.now();
            if let Some(s) = &st.snapshot {
                if now.saturating_duration_since(s.fetched_at) < self.opts.max_age {
                    return Ok(s.clone());
                }
            }
            if st.fetching {
                st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            if st.last_error.is_some() && self.recently_attempted(&st, now) {
                return self.stale_or_error(&st, now);
            }
            let (guard, result) = self.fetch(st);
            st = guard;
            return match result {
                Ok(s) => Ok(s),
                Err(_) => self.stale_or_error(&st, self.opts.clock.now()),
            };
        }
    }

    /// The keys after a token named `kid` and the cached set has no such
    /// key: refetches at most once per cooldown, sharing the fetch with
    /// concurrent callers. The returned set may still lack `kid`; the caller
    /// then refuses the token with [`ErrorKind::UnknownKeyId`].
    pub fn keys_for_unknown_kid(&self, kid: &str) -> Result<Arc<KeySnapshot>> {
        let mut st = self.lock();
        loop {
            let now = self.opts.clock.now();
            if let Some(s) = &st.snapshot {
                if s.has_kid(kid) {
                    return Ok(s.clone());
                }
            }
            if st.fetching {
                st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            if self.recently_attempted(&st, now) {
                return self.stale_or_error(&st, now);
            }
            let (guard, result) = self.fetch(st);
            st = guard;
            return match result {
                Ok(s) => Ok(s),
                Err(_) => self.stale_or_error(&st, self.opts.clock.now()),
            };
        }
    }

    fn recently_attempted(&self, st: &State, now: Instant) -> bool {
        st.last_attempt
            .is_some_and(|t| now.saturating_duration_since(t) < self.opts.cooldown)
    }

    fn stale_or_error(&self, st: &State, now: Instant) -> Result<Arc<KeySnapshot>> {
        if let Some(s) = &st.snapshot {
            let age = now.saturating_duration_since(s.fetched_at);
            if age < self.opts.max_age.saturating_add(self.opts.stale_if_error) {
                return Ok(s.clone());
            }
        }
        Err(st
            .last_error
            .clone()
            .unwrap_or_else(|| unavailable("no key set has been fetched yet")))
    }

    /// Runs one fetch with the lock released; other callers wait on
    /// `done` meanwhile.
    fn fetch<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
    ) -> (MutexGuard<'a, State>, Result<Arc<KeySnapshot>>) {
        st.fetching = true;
        st.fetches += 1;
        let discovered = st.discovered_uri.clone();
        drop(st);
        let result = self.fetch_unlocked(discovered);
        let mut st = self.lock();
        st.fetching = false;
        st.last_attempt = Some(self.opts.clock.now());
        let out = match result {
            Ok((keys, uri)) => {
                st.generation += 1;
                let snap = Arc::new(KeySnapshot {
                    keys,
                    generation: st.generation,
                    fetched_at: self.opts.clock.now(),
                });
                st.snapshot = Some(snap.clone());
                st.last_error = None;
                if uri.is_some() {
                    st.discovered_uri = uri;
                }
                Ok(snap)
            }
            Err(e) => {
                st.last_error = Some(e.clone());
                Err(e)
            }
        };
        self.done.notify_all();
        (st, out)
    }

    fn fetch_unlocked(
        &self,
        discovered: Option<String>,
    ) -> Result<(Vec<ClientVerifyingKey>, Option<String>)> {
        let (uri, newly_discovered) = match (&self.source, discovered) {
            (Source::Url(u), _) => (u.clone(), None),
            (Source::Discovery { .. }, Some(u)) => (u, None),
            (
                Source::Discovery {
                    authority,
                    expected_issuer,
                },
                None,
            ) => {
                let u = self.discover_uri(authority, expected_issuer.as_deref())?;
                (u.clone(), Some(u))
            }
        };
        let body = self.get(&uri)?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| unavailable(format!("JWKS at {} is not UTF-8", short(&uri))))?;
        let keys = ClientVerifyingKey::from_jwks(text).map_err(|e| {
            unavailable(format!(
                "JWKS at {} is not a usable key set: {}",
                short(&uri),
                e.message()
            ))
        })?;
        Ok((keys, newly_discovered))
    }

    fn discover_uri(&self, authority: &str, expected_issuer: Option<&str>) -> Result<String> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            authority.trim_end_matches('/')
        );
        let body = self.get(&url)?;
        let doc = parse_value(&body).map_err(|e| {
            unavailable(format!(
                "discovery document at {} is not valid JSON: {e}",
                short(&url)
            ))
        })?;
        if let Some(expected) = expected_issuer {
            match doc.get("issuer").and_then(|v| v.as_str()) {
                Some(i) if i == expected => {}
                other => {
                    return Err(unavailable(format!(
                        "discovery document at {} names issuer `{}`, not the configured `{}`",
                        short(&url),
                        truncate_for_message(other.unwrap_or("(none)")),
                        truncate_for_message(expected)
                    )))
                }
            }
        }
        let uri = doc
            .get("jwks_uri")
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                unavailable(format!(
                    "discovery document at {} has no `jwks_uri` string",
                    short(&url)
                ))
            })?;
        check_url(uri, self.opts.allow_http, "discovered jwks_uri")
            .map_err(|e| unavailable(e.message().to_owned()))?;
        Ok(uri.to_owned())
    }

    fn get(&self, url: &str) -> Result<Vec<u8>> {
        let mut resp = self
            .agent
            .get(url)
            .header("accept", "application/json, application/jwk-set+json")
            .call()
            .map_err(|e| match e {
                ureq::Error::Timeout(_) => unavailable(format!(
                    "fetching {} timed out after {:?}",
                    short(url),
                    self.opts.timeout
                )),
                e => unavailable(format!("fetching {} failed: {e}", short(url))),
            })?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(unavailable(format!(
                "fetching {} returned HTTP {status}",
                short(url)
            )));
        }
        resp.body_mut()
            .with_config()
            .limit(self.opts.max_bytes as u64)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => unavailable(format!(
                    "response from {} is larger than the {} byte limit",
                    short(url),
                    self.opts.max_bytes
                )),
                ureq::Error::Timeout(_) => unavailable(format!(
                    "fetching {} timed out after {:?}",
                    short(url),
                    self.opts.timeout
                )),
                e => unavailable(format!("reading {} failed: {e}", short(url))),
            })
    }
}

fn short(url: &str) -> String {
    truncate_for_message(url.split('?').next().unwrap_or(url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn nothing_fetched_before_first_use_and_unreachable_is_typed() {
        // Port 9 on localhost (discard) is closed on test machines; any
        // failure must be JwksUnavailable, never a panic.
        let opts = JwksOptions {
            allow_http: true,
            timeout: Duration::from_secs(2),
            ..JwksOptions::default()
        };
        let j = RemoteJwks::new("http://127.0.0.1:9/keys", opts).unwrap();
        assert_eq!(j.fetch_count(), 0);
        let e = j.keys().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::JwksUnavailable);
        assert_eq!(j.fetch_count(), 1);
        // Within the cooldown a failed fetch is not retried.
        assert!(j.keys().is_err());
        assert_eq!(j.fetch_count(), 1);
    }
}
