//! The gateway's tenants: built from `[[tenant]]` entries and `tenants_dir`,
//! with the stamps of the files each was built from, so that a change is
//! seen by polling and only the changed tenant is rebuilt.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use chatseal::{ApiKeySlot, PlatformDecryptionKey, TenantVerifier};
use chatseal_keys::gateway_config::{valid_tenant_id, GatewayConfig, TenantEntry};
use chatseal_keys::Keyring;

use crate::error::{usage, CliResult};
use crate::run::{load_tenant_document, passphrase_from_env, read_file, service_decryption_keys};

/// What identifies a file's version: size and modification time (`None`:
/// the file is missing).
pub(super) type Stamp = Option<(u64, SystemTime)>;

pub(super) fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// Where a tenant comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Source {
    pub(super) id: String,
    pub(super) config: PathBuf,
    pub(super) decrypt_dir: Option<PathBuf>,
    pub(super) forward_sso_token: bool,
    pub(super) api_key_hash: Option<PathBuf>,
}

impl Source {
    fn from_entry(e: &TenantEntry) -> Self {
        Self {
            id: e.id.clone(),
            config: e.config.clone(),
            decrypt_dir: e.decrypt_dir.clone(),
            forward_sso_token: e.forward_sso_token,
            api_key_hash: e.api_key_hash.clone(),
        }
    }

    /// The files the tenant is built from, in a fixed order.
    fn files(&self) -> Vec<PathBuf> {
        let mut f = vec![self.config.clone()];
        if let Some(d) = &self.decrypt_dir {
            f.push(d.join(chatseal_keys::MANIFEST_FILE));
        }
        if let Some(h) = &self.api_key_hash {
            f.push(h.clone());
        }
        f
    }

    pub(super) fn stamps(&self) -> Vec<Stamp> {
        self.files().iter().map(|p| stamp(p)).collect()
    }

    /// [`Source::stamps`], each file read once per pass: 10,000 tenants
    /// that share one keyring stat its manifest once, not 10,000 times.
    fn stamps_with(&self, memo: &mut HashMap<PathBuf, Stamp>) -> Vec<Stamp> {
        self.files()
            .into_iter()
            .map(|p| *memo.entry(p).or_insert_with_key(|p| stamp(p)))
            .collect()
    }
}

/// A tenant ready to serve.
pub(super) struct Tenant {
    pub(super) source: Source,
    pub(super) stamps: Vec<Stamp>,
    pub(super) verifier: TenantVerifier,
    pub(super) api_keys: ApiKeySlot,
    /// Whether every remote key set of the tenant has been fetched once
    /// (`TenantVerifier::load_keys`); until then the gateway is not ready.
    pub(super) keys_loaded: AtomicBool,
    /// Whether the last failure to load the keys was logged.
    keys_failure_logged: AtomicBool,
}

impl Tenant {
    /// Fetches the tenant's remote key sets if not done yet; logs a failure
    /// once until it succeeds.
    pub(super) fn load_keys(&self) {
        if self.keys_loaded.load(Ordering::Acquire) {
            return;
        }
        match self.verifier.load_keys() {
            Ok(()) => {
                self.keys_loaded.store(true, Ordering::Release);
                if self.keys_failure_logged.swap(false, Ordering::AcqRel) {
                    super::log(
                        "info",
                        "tenant_keys_loaded",
                        &[("tenant", self.source.id.as_str())],
                    );
                }
            }
            Err(e) => {
                if !self.keys_failure_logged.swap(true, Ordering::AcqRel) {
                    super::log(
                        "warn",
                        "tenant_keys_unavailable",
                        &[
                            ("tenant", self.source.id.as_str()),
                            ("code", e.code()),
                            ("message", e.message()),
                        ],
                    );
                }
            }
        }
    }
}

/// The platform keys of each keyring folder, with the stamp of its
/// manifest when they were read. Tenants that name the same `decrypt_dir`
/// (every tenant of `tenants_dir`) share one copy of its keys, read and
/// parsed once, instead of one copy each: with 10,000 tenants and an
/// RSA-3072 key, 10 s of start-up and about 10 KiB per tenant, plus the key's
/// first-use precomputation on each tenant's first request.
static PLATFORM_KEYS: Mutex<BTreeMap<PathBuf, (Stamp, Vec<PlatformDecryptionKey>)>> =
    Mutex::new(BTreeMap::new());

/// The keys of the platform keyring `dir`, read again when its manifest
/// changed (a rotation rewrites it).
pub(super) fn decryption_keys(dir: &Path) -> CliResult<Vec<PlatformDecryptionKey>> {
    let now = stamp(&dir.join(chatseal_keys::MANIFEST_FILE));
    let mut memo = PLATFORM_KEYS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((read, keys)) = memo.get(dir) {
        if now.is_some() && *read == now {
            return Ok(keys.clone());
        }
    }
    // A keyring in a PKCS#11 token opens with CHATSEAL_PKCS11_MODULE and
    // CHATSEAL_PKCS11_PIN.
    let keys = service_decryption_keys(&Keyring::open(dir)?, passphrase_from_env()?.as_ref())?;
    memo.insert(dir.to_owned(), (now, keys.clone()));
    Ok(keys)
}

/// Builds a tenant from its files. The stamps are read first: a change in
/// between is seen by the next poll.
pub(super) fn build(source: &Source) -> CliResult<Tenant> {
    let stamps = source.stamps();
    let (config, _) = load_tenant_document(&source.config)?;
    if config.tenant_id() != source.id {
        return Err(usage(format!(
            "`{}` is the document of tenant `{}`, not of `{}`",
            source.config.display(),
            config.tenant_id(),
            source.id
        )));
    }
    let keys = match &source.decrypt_dir {
        Some(d) => decryption_keys(d)?,
        None => Vec::new(),
    };
    let verifier = TenantVerifier::new(&config, &keys)?;
    if verifier.allowed_origins().is_empty() {
        super::log(
            "warn",
            "open_origins",
            &[
                ("tenant", source.id.as_str()),
                (
                    "message",
                    "allowedOrigins is empty: pages of every origin may call this tenant",
                ),
            ],
        );
    }
    let api_keys = match &source.api_key_hash {
        Some(p) => {
            let text = read_file(p, "the tenant's API key hash file")?;
            ApiKeySlot::from_stored(Some(text.trim()))
                .map_err(|e| usage(format!("{}: {}", p.display(), e.message())))?
        }
        None => ApiKeySlot::empty(),
    };
    // Inline keys need no fetch.
    let keys_loaded = AtomicBool::new(!verifier.has_remote_keys());
    Ok(Tenant {
        source: source.clone(),
        stamps,
        verifier,
        api_keys,
        keys_loaded,
        keys_failure_logged: AtomicBool::new(false),
    })
}

/// Every tenant source the configuration names: `[[tenant]]` entries, then
/// the documents in `tenants_dir` (`<id>.json` or `<id>.sealed`; an entry
/// wins over a file of the same id). Unreadable folders are an error.
pub(super) fn sources(config: &GatewayConfig) -> CliResult<Vec<Source>> {
    let mut out: Vec<Source> = config.tenants.iter().map(Source::from_entry).collect();
    if let Some(dir) = &config.tenants_dir {
        let listing = std::fs::read_dir(dir)
            .map_err(|e| usage(format!("cannot read tenants_dir `{}`: {e}", dir.display())))?;
        let mut found: Vec<Source> = Vec::new();
        for entry in listing.flatten() {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(id) = name
                .strip_suffix(".json")
                .or_else(|| name.strip_suffix(".sealed"))
            else {
                continue;
            };
            if !valid_tenant_id(id) || out.iter().any(|s| s.id == id) {
                continue;
            }
            if found.iter().any(|s| s.id == id) {
                // Both acme.json and acme.sealed: the sealed one wins, so a
                // plain copy left beside it is never served.
                if name.ends_with(".sealed") {
                    found.retain(|s| s.id != id);
                } else {
                    continue;
                }
            }
            found.push(Source {
                id: id.to_owned(),
                config: path.clone(),
                decrypt_dir: config.decrypt_dir.clone(),
                forward_sso_token: false,
                api_key_hash: None,
            });
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        out.extend(found);
    }
    Ok(out)
}

/// The tenants, by id, as one immutable value that requests read and the
/// watcher replaces whole.
#[derive(Default)]
pub(super) struct Tenants {
    pub(super) by_id: HashMap<String, Arc<Tenant>>,
    /// Tenants whose files exist but never loaded (not ready), with the
    /// stamps of the files that failed: they are tried again when those
    /// change.
    pub(super) failed: HashMap<String, Vec<Stamp>>,
    /// Loaded tenants whose changed files did not load (the previous
    /// version still serves), with the stamps of those files: they are
    /// tried, and logged, again only when the files change again.
    pub(super) rejected: HashMap<String, Vec<Stamp>>,
}

/// The result of bringing `old` in line with `sources`: the new set and
/// whether anything changed. A tenant whose files did not change is kept
/// as is; a changed one that fails to build keeps its old version (and is
/// logged); a new one that fails is left out and listed in `failed`. The
/// third value counts the builds that failed.
pub(super) fn refresh(old: &Tenants, sources: &[Source], force: bool) -> (Tenants, bool, u64) {
    let mut next = Tenants::default();
    let mut changed = false;
    let mut failures = 0;
    let mut memo = HashMap::new();
    for s in sources {
        let current = old.by_id.get(&s.id);
        let stamps = s.stamps_with(&mut memo);
        if !force {
            if let Some(t) = current.filter(|t| t.source == *s && t.stamps == stamps) {
                next.by_id.insert(s.id.clone(), t.clone());
                continue;
            }
            if current.is_none() && old.failed.get(&s.id) == Some(&stamps) {
                next.failed.insert(s.id.clone(), stamps);
                continue;
            }
            if let Some(t) = current.filter(|_| old.rejected.get(&s.id) == Some(&stamps)) {
                next.by_id.insert(s.id.clone(), t.clone());
                next.rejected.insert(s.id.clone(), stamps);
                continue;
            }
        }
        match build(s) {
            Ok(t) => {
                changed = true;
                super::log(
                    "info",
                    if current.is_some() {
                        "tenant_reloaded"
                    } else {
                        "tenant_loaded"
                    },
                    &[("tenant", s.id.as_str())],
                );
                next.by_id.insert(s.id.clone(), Arc::new(t));
            }
            Err(e) => {
                let line = e.line();
                failures += 1;
                match current {
                    Some(t) => {
                        super::log(
                            "error",
                            "tenant_reload_failed",
                            &[
                                ("tenant", s.id.as_str()),
                                ("message", line.as_str()),
                                ("kept", "the previous version"),
                            ],
                        );
                        next.by_id.insert(s.id.clone(), t.clone());
                        next.rejected.insert(s.id.clone(), stamps);
                    }
                    None => {
                        super::log(
                            "error",
                            "tenant_load_failed",
                            &[("tenant", s.id.as_str()), ("message", line.as_str())],
                        );
                        next.failed.insert(s.id.clone(), stamps);
                    }
                }
            }
        }
    }
    for id in old.by_id.keys() {
        if !next.by_id.contains_key(id) && !next.failed.contains_key(id) {
            changed = true;
            super::log("info", "tenant_removed", &[("tenant", id.as_str())]);
        }
    }
    (next, changed, failures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatseal::EcdhCurve;
    use chatseal_keys::{KeyAlg, KeyMaterial};
    use std::time::SystemTime;

    fn enc_key() -> KeyMaterial {
        KeyMaterial::generate_ecdh(KeyAlg::EcdhEsA256kw, EcdhCurve::P256).unwrap()
    }

    #[test]
    fn platform_keys_are_read_once_per_keyring_version() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("platform");
        let now = SystemTime::now();
        Keyring::init(&dir, enc_key(), None, None, now).unwrap();
        let kids = |keys: &[PlatformDecryptionKey]| {
            keys.iter().map(|k| k.kid().to_owned()).collect::<Vec<_>>()
        };
        let first = decryption_keys(&dir).unwrap();
        assert_eq!(kids(&first), kids(&decryption_keys(&dir).unwrap()));
        // A rotation rewrites the manifest: the next tenant built gets the
        // new key set.
        let mut locked = Keyring::lock(&dir).unwrap();
        locked.add(enc_key(), false, false, None, now).unwrap();
        drop(locked);
        let after = decryption_keys(&dir).unwrap();
        assert_eq!(after.len(), 2);
        assert!(kids(&after).contains(&kids(&first)[0]));
        // A keyring that is gone is an error, not the old keys.
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(decryption_keys(&dir).is_err());
    }
}
