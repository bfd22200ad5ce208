//! The repeat path: a chat session sends the same token on every request.
//! [`VerifiedCache`] keeps what a [`TenantVerifier`] concluded about a token
//! so that the signature, decryption and policy work is done once per token,
//! not once per request.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::verify::check_participant;
use super::*;

/// Default most entries of a [`VerifiedCache`].
pub const DEFAULT_CACHE_ENTRIES: usize = 10_000;
/// Default most bytes (estimated) of a [`VerifiedCache`].
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// A bounded cache of verified identities, shared by every tenant of a
/// service (it is `Send + Sync`).
///
/// - The key is SHA-256 over the verifier's instance and the token: the
///   token itself is not kept, and a verifier rebuilt from a changed tenant
///   document or keyring never sees the entries of the one it replaced
///   ([`VerifiedCache::clear`] frees them at once).
/// - An entry dies at the token's `exp`; entries and bytes are bounded, the
///   oldest entry leaving first.
/// - Only the outcome of the token's own checks is cached. The participant
///   check runs on every request (and the origin and API-key checks of
///   [`authenticate`] are the caller's, per request).
/// - A cached sso_token is zeroized when its entry leaves the cache and no
///   request holds it any more.
///
/// ```
/// use chatseal::*;
/// # let idp = ClientSigningKey::generate(Algorithm::ES256)?;
/// # let jwks = ClientVerifyingKey::to_jwks([idp.verifying_key()]).to_json();
/// # let config = TenantConfig::from_json(&format!(r#"{{"tenantId":"t","providers":{{"p":{{
/// #   "issuer":"https://idp","expectedAudience":"chat","acceptedAlgorithms":["ES256"],"jwks":{jwks}}}}}}}"#))?;
/// # let token = Issuer::builder(idp).issuer("https://idp").audience("chat").build()?
/// #     .mint(&TokenRequest::new("u1"))?;
/// let tenant = TenantVerifier::new(&config, &[])?;
/// let cache = VerifiedCache::new(10_000, 64 << 20);
/// let first = tenant.verify_cached(&cache, &token, Some("u1"))?;   // verifies
/// let again = tenant.verify_cached(&cache, &token, Some("u1"))?;   // from the cache
/// assert_eq!(again.user_id(), first.user_id());
/// assert_eq!(cache.stats(), (1, 1));                                // (hits, misses)
/// // The participant is checked on every request, cached or not.
/// assert_eq!(tenant.verify_cached(&cache, &token, Some("u2")).unwrap_err().code(),
///            "participant_mismatch");
/// # Ok::<(), chatseal::Error>(())
/// ```
pub struct VerifiedCache {
    inner: Mutex<Inner>,
    max_entries: usize,
    max_bytes: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<[u8; 32], Entry>,
    /// Insertion order, oldest first; may hold keys already gone from `map`.
    order: VecDeque<[u8; 32]>,
    bytes: usize,
}

struct Entry {
    identity: Arc<VerifiedIdentity>,
    exp: i64,
    bytes: usize,
}

impl fmt::Debug for VerifiedCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedCache")
            .field("entries", &self.len())
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Default for VerifiedCache {
    fn default() -> Self {
        Self::new(DEFAULT_CACHE_ENTRIES, DEFAULT_CACHE_BYTES)
    }
}

impl VerifiedCache {
    /// A cache of at most `max_entries` entries and about `max_bytes` bytes.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            max_entries: max_entries.max(1),
            max_bytes: max_bytes.max(1),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops every entry (after a tenant document or keyring changed).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.map.clear();
        inner.order.clear();
        inner.bytes = 0;
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The estimated bytes held.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// (hits, misses) since the cache was made, for metrics.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn get(&self, key: &[u8; 32], now: i64) -> Option<Arc<VerifiedIdentity>> {
        let mut inner = self.lock();
        let found = match inner.map.get(key) {
            Some(e) if e.exp > now => Some(e.identity.clone()),
            Some(_) => {
                if let Some(e) = inner.map.remove(key) {
                    inner.bytes -= e.bytes;
                }
                None
            }
            None => None,
        };
        drop(inner);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn insert(&self, key: [u8; 32], identity: Arc<VerifiedIdentity>, exp: i64, bytes: usize) {
        if bytes > self.max_bytes {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.map.remove(&key) {
            inner.bytes -= old.bytes;
        }
        while inner.map.len() >= self.max_entries || inner.bytes + bytes > self.max_bytes {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(e) = inner.map.remove(&oldest) {
                inner.bytes -= e.bytes;
            }
        }
        inner.map.insert(
            key,
            Entry {
                identity,
                exp,
                bytes,
            },
        );
        inner.bytes += bytes;
        inner.order.push_back(key);
        // Keys of entries that expired or were replaced stay in `order`;
        // keep it within twice the entry bound.
        if inner.order.len() > 2 * self.max_entries {
            let Inner { map, order, .. } = &mut *inner;
            let mut seen = std::collections::HashSet::new();
            order.retain(|k| map.contains_key(k) && seen.insert(*k));
        }
    }
}

/// Every verifier instance gets its own number, part of its cache keys.
pub(super) fn next_instance() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl TenantVerifier {
    /// Like [`TenantVerifier::verify`], through `cache`: a token this
    /// verifier already accepted is not verified again until its `exp`; the
    /// participant id is checked on every call. Refusals are not cached.
    pub fn verify_cached(
        &self,
        cache: &VerifiedCache,
        token: &str,
        participant_id: Option<&str>,
    ) -> Result<Arc<VerifiedIdentity>> {
        self.verify_cached_at(cache, token, participant_id, SystemTime::now())
    }

    /// [`TenantVerifier::verify_cached`] as if the time were `now`.
    pub fn verify_cached_at(
        &self,
        cache: &VerifiedCache,
        token: &str,
        participant_id: Option<&str>,
        now: SystemTime,
    ) -> Result<Arc<VerifiedIdentity>> {
        if token.len() > DEFAULT_MAX_TOKEN_SIZE {
            // Not even hashed.
            return self.verify_at(token, participant_id, now).map(Arc::new);
        }
        let mut input = Vec::with_capacity(8 + token.len());
        input.extend_from_slice(&self.instance.to_be_bytes());
        input.extend_from_slice(token.as_bytes());
        let key = crate::backend::sha256(&input);
        let now_s = crate::token::unix_time(now);
        let identity = match cache.get(&key, now_s) {
            Some(hit) => hit,
            None => {
                let fresh = Arc::new(self.verify_at(token, None, now)?);
                if let Some(exp) = fresh.claims.get("exp").and_then(Value::as_i64) {
                    if exp > now_s {
                        let bytes = token.len()
                            + fresh
                                .claims
                                .iter()
                                .map(|(k, v)| k.len() + v.to_string().len())
                                .sum::<usize>()
                            + fresh.sso_token.as_ref().map_or(0, SsoToken::len)
                            + 256;
                        cache.insert(key, fresh.clone(), exp, bytes);
                    }
                }
                fresh
            }
        };
        if let Some(p) = participant_id {
            let chain = self
                .providers
                .iter()
                .find(|pr| pr.config.name == identity.provider)
                .map(|pr| pr.config.user_id_claims.as_slice())
                .unwrap_or(&[]);
            check_participant(p, &identity.user_id, chain)?;
        }
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientSigningKey, Issuer, TokenRequest};
    use std::time::{Duration, UNIX_EPOCH};

    fn world() -> (ClientSigningKey, TenantConfig) {
        let idp = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let jwks: Value =
            serde_json::from_str(&ClientVerifyingKey::to_jwks([idp.verifying_key()]).to_json())
                .unwrap();
        let doc = serde_json::json!({"tenantId": "t", "providers": {"p": {
            "issuer": "https://idp", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"], "jwks": jwks}}});
        (idp, TenantConfig::from_json(&doc.to_string()).unwrap())
    }

    fn token(idp: &ClientSigningKey, sub: &str, at: u64, ttl: u64) -> String {
        Issuer::builder(idp.clone())
            .issuer("https://idp")
            .audience("chat")
            .ttl(Duration::from_secs(ttl))
            .build()
            .unwrap()
            .mint_at(
                &TokenRequest::new(sub),
                UNIX_EPOCH + Duration::from_secs(at),
            )
            .unwrap()
    }

    const NOW: u64 = 1_800_000_000;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn hits_expiry_participants_and_instances() {
        let (idp, config) = world();
        let tenant = TenantVerifier::new(&config, &[]).unwrap();
        let cache = VerifiedCache::new(100, 1 << 20);
        let t = token(&idp, "u1", NOW, 600);
        let a = tenant
            .verify_cached_at(&cache, &t, Some("u1"), at(NOW))
            .unwrap();
        let b = tenant
            .verify_cached_at(&cache, &t, None, at(NOW + 1))
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b), "the second call is a hit");
        assert_eq!(cache.stats(), (1, 1));
        // The participant is checked on a hit too.
        let e = tenant
            .verify_cached_at(&cache, &t, Some("u2"), at(NOW + 2))
            .unwrap_err();
        assert_eq!(e.code(), rules::PARTICIPANT_MISMATCH);
        // The entry dies at exp: the next call verifies again (and, past the
        // leeway, refuses).
        let e = tenant
            .verify_cached_at(&cache, &t, None, at(NOW + 600 + 61))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Expired);
        assert!(cache.is_empty());
        // Refusals are not cached.
        let bad = format!("{}x", &t[..t.len() - 1]);
        assert!(tenant
            .verify_cached_at(&cache, &bad, None, at(NOW))
            .is_err());
        assert!(cache.is_empty());
        // A verifier rebuilt from the document never sees the old entries.
        tenant.verify_cached_at(&cache, &t, None, at(NOW)).unwrap();
        let rebuilt = TenantVerifier::new(&config, &[]).unwrap();
        let (hits, _) = cache.stats();
        rebuilt.verify_cached_at(&cache, &t, None, at(NOW)).unwrap();
        assert_eq!(cache.stats().0, hits, "no hit across verifier instances");
        cache.clear();
        assert!(cache.is_empty() && cache.bytes() == 0);
    }

    #[test]
    fn entries_and_bytes_are_bounded() {
        let (idp, config) = world();
        let tenant = TenantVerifier::new(&config, &[]).unwrap();
        let cache = VerifiedCache::new(5, 1 << 20);
        let tokens: Vec<String> = (0..20)
            .map(|i| token(&idp, &format!("u{i}"), NOW, 600))
            .collect();
        for t in &tokens {
            tenant.verify_cached_at(&cache, t, None, at(NOW)).unwrap();
            assert!(cache.len() <= 5);
        }
        // The newest are kept.
        let (hits, _) = cache.stats();
        tenant
            .verify_cached_at(&cache, &tokens[19], None, at(NOW))
            .unwrap();
        assert_eq!(cache.stats().0, hits + 1);
        tenant
            .verify_cached_at(&cache, &tokens[0], None, at(NOW))
            .unwrap();
        assert_eq!(cache.stats().0, hits + 1, "the oldest was evicted");
        // A byte bound smaller than two entries keeps one.
        let small = VerifiedCache::new(100, 1500);
        for t in &tokens[..4] {
            tenant.verify_cached_at(&small, t, None, at(NOW)).unwrap();
            assert!(small.bytes() <= 1500, "{}", small.bytes());
        }
        assert!(small.len() <= 2);
        // Re-inserting the same tokens many times keeps the order queue bounded.
        let tiny = VerifiedCache::new(2, 1 << 20);
        for i in 0..50u64 {
            for t in &tokens[..3] {
                tenant
                    .verify_cached_at(&tiny, t, None, at(NOW + i))
                    .unwrap();
            }
        }
        assert!(tiny.lock().order.len() <= 4);
    }
}
