//! The chatseal keyring on disk: a folder holding a versioned manifest
//! (`keyring.json`) and one PKCS#8 PEM file per private key.
//!
//! Keys go through the lifecycle every JWKS provider uses, so a rotation never
//! fails a request:
//!
//! | state      | published in the JWKS | signs / is encrypted to |
//! |------------|-----------------------|-------------------------|
//! | `pending`  | yes (caches pick it up first) | no              |
//! | `active`   | yes                   | yes: exactly one per keyring |
//! | `retiring` | yes, until its tokens can no longer be valid | no |
//! | `retired`  | no                    | no                      |
//! | `revoked`  | no, at once           | no                      |
//!
//! A keyring holds keys of one use: `sig` (client signing keys) or `enc`
//! (platform decryption keys).
//!
//! # Crash safety
//!
//! Every change is one atomic replacement of the manifest (temp file in the
//! same folder, `sync_all`, rename, fsync of the folder). A new private key is
//! written, complete and synced, under its final name *before* the manifest
//! that names it, so a manifest never names a missing file; a key file that no
//! manifest names (left by a crash) is ignored and removed by
//! [`LockedKeyring::prune`]. Writers take an exclusive `flock` on `.lock`,
//! which the kernel drops when the process dies.
//!
//! # Examples
//!
//! ```
//! use chatseal_keys::{KeyAlg, KeyMaterial, KeyState, Keyring};
//! use std::time::SystemTime;
//!
//! let dir = std::env::temp_dir().join(format!("chatseal-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let now = SystemTime::now();
//! let first = KeyMaterial::generate(KeyAlg::ES256, Default::default())?;
//! let ring = Keyring::init(&dir, first, None, None, now)?;
//! let old_kid = ring.active().kid.clone();
//!
//! // Rotate: publish a pending key, then promote it.
//! let mut locked = Keyring::lock(&dir)?;
//! locked.add(KeyMaterial::generate(KeyAlg::ES256, Default::default())?, false, false, None, now)?;
//! locked.promote(None, false, now)?;
//! assert_eq!(locked.get(&old_kid).unwrap().state, KeyState::Retiring);
//! assert_eq!(locked.jwks().keys.len(), 2); // both still verify
//! # drop(locked);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), chatseal_keys::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod fsio;
#[cfg(feature = "gateway-config")]
pub mod gateway_config;
mod model;
#[cfg(feature = "pkcs11")]
mod pkcs11;

pub use model::{unix_seconds, KeyAlg, KeyEntry, KeyMaterial, KeyState, KeyUse, Manifest};

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chatseal::{
    published_sample_key, Algorithm, ClientSigningKey, ClientVerifyingKey, EcdhCurve, ErrorKind,
    JweAlgorithm, Jwk, Jwks, Passphrase, PlatformDecryptionKey, PlatformEncryptionKey, RsaKeySize,
};
use serde::{Deserialize, Serialize};

/// The manifest's file name inside a keyring folder.
pub const MANIFEST_FILE: &str = "keyring.json";
/// The lock file's name inside a keyring folder.
pub const LOCK_FILE: &str = ".lock";
/// The manifest format this version writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// How long a writer waits for another writer's lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// Environment variable that overrides the lock wait, in milliseconds.
pub const LOCK_TIMEOUT_ENV: &str = "CHATSEAL_LOCK_TIMEOUT_MS";

/// The default grace of a retiring key, in seconds: the longest token
/// lifetime chatseal mints ([`chatseal::MAX_TTL`]) plus the verifier's
/// default leeway ([`chatseal::DEFAULT_LEEWAY`]).
pub const DEFAULT_GRACE_SECONDS: u64 =
    chatseal::MAX_TTL.as_secs() + chatseal::DEFAULT_LEEWAY.as_secs();

/// Everything that can go wrong with a keyring.
///
/// Messages name the keyring folder and the fix; none contains key material
/// or a passphrase.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key was refused or could not be opened (invalid key, wrong
    /// passphrase, published sample key, ...): see its `kind()`.
    #[error("{0}")]
    Key(#[from] chatseal::Error),
    /// Reading or writing a file failed.
    #[error("cannot {what} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The folder holds no keyring.
    #[error("no keyring in `{}` (no {MANIFEST_FILE}); create one with `chatseal keys init --dir {}`", .0.display(), .0.display())]
    NotFound(PathBuf),
    /// The folder already holds a keyring.
    #[error("`{}` already holds a keyring; refusing to overwrite it (use `chatseal keys rotate` to add a key)", .0.display())]
    Exists(PathBuf),
    /// The manifest does not load.
    #[error("keyring `{}` is damaged: {reason}", path.display())]
    Corrupt {
        /// The keyring folder.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Another process held the writer lock for the whole wait.
    #[error("another chatseal process is changing the keyring `{}` (lock `{LOCK_FILE}` held for {} s); retry when it is done, or set {LOCK_TIMEOUT_ENV} to wait longer", path.display(), waited.as_secs_f32())]
    Locked {
        /// The keyring folder.
        path: PathBuf,
        /// How long this process waited.
        waited: Duration,
    },
    /// The requested change does not fit the keyring's state (no pending key
    /// to promote, an unknown kid, revoking the active key, ...).
    #[error("{0}")]
    State(String),
}

/// Shorthand for results of keyring operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io { what, path, source }
}

/// Refuses a published sample key unless `allow` is set.
fn check_sample(kid: &str, thumbprint: &str, allow: bool) -> Result<()> {
    match published_sample_key(thumbprint) {
        Some(source) if !allow => Err(chatseal::Error::new(
            ErrorKind::SampleKey,
            format!(
                "key `{kid}` is a published sample key ({source}): its private half is public, \
                 so anyone could sign tokens or read sso_tokens with it; generate a fresh key \
                 (`chatseal keys rotate`), or pass --allow-sample-key for a throwaway demo"
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

/// A keyring loaded from disk (read-only view; see [`Keyring::lock`] to
/// change it).
///
/// # Security
///
/// The folder holds private keys. It is created 0700 and each key file
/// 0600, but keep it on a disk only the service's user can read, and back it
/// up as a secret. With a passphrase the key files are PKCS#8 `ENCRYPTED
/// PRIVATE KEY` (PBES2, PBKDF2-SHA256, AES-256; `openssl pkey` reads them);
/// the manifest and the public keys in it are not secret and stay readable
/// without it, so publishing the JWKS needs no passphrase. A key whose
/// private half may have leaked must be revoked, not retired: retiring keeps
/// it trusted for the whole grace.
#[derive(Debug, Clone)]
pub struct Keyring {
    dir: PathBuf,
    manifest: Manifest,
}

impl Keyring {
    /// Whether `dir` holds a keyring manifest.
    pub fn exists(dir: impl AsRef<Path>) -> bool {
        dir.as_ref().join(MANIFEST_FILE).is_file()
    }

    /// Loads and checks the keyring in `dir`. Readers take no lock: every
    /// change replaces the manifest atomically.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let path = dir.join(MANIFEST_FILE);
        let read = |dir: &Path| match fs::read_to_string(&path) {
            Ok(t) => Ok(t),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::NotFound(dir.into())),
            Err(e) => Err(io_err("read", &path)(e)),
        };
        let mut text = read(&dir)?;
        // A writer may replace the manifest (and then prune a file it no
        // longer names) while this reader checks the files of the one it
        // read: if the manifest changed meanwhile, load the new one.
        for _ in 0..8 {
            match Self::parse(&dir, &text) {
                Ok(ring) => return Ok(ring),
                Err(e) => {
                    let again = read(&dir)?;
                    if again == text {
                        return Err(e);
                    }
                    text = again;
                }
            }
        }
        Self::parse(&dir, &text)
    }

    fn parse(dir: &Path, text: &str) -> Result<Self> {
        let dir = dir.to_path_buf();
        let corrupt = |reason: String| Error::Corrupt {
            path: dir.clone(),
            reason,
        };
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| corrupt(format!("{MANIFEST_FILE} is not valid JSON: {e}")))?;
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(corrupt(format!(
                    "{MANIFEST_FILE} has format version {v}; this chatseal reads version \
                     {FORMAT_VERSION} (upgrade chatseal)"
                )))
            }
            None => return Err(corrupt(format!("{MANIFEST_FILE} has no `version`"))),
        }
        let manifest: Manifest = serde_json::from_value(value)
            .map_err(|e| corrupt(format!("{MANIFEST_FILE} is malformed: {e}")))?;
        let ring = Self {
            dir: dir.clone(),
            manifest,
        };
        ring.check().map_err(corrupt)?;
        Ok(ring)
    }

    /// The invariants every loadable keyring satisfies.
    fn check(&self) -> std::result::Result<(), String> {
        let m = &self.manifest;
        let mut kids = BTreeSet::new();
        let mut active = 0;
        for k in &m.keys {
            if !kids.insert(k.kid.as_str()) {
                return Err(format!("kid `{}` appears twice", k.kid));
            }
            if k.key_use != m.key_use || k.alg.key_use() != k.key_use {
                return Err(format!(
                    "key `{}` ({} {}) does not belong in a `{}` keyring",
                    k.kid, k.key_use, k.alg, m.key_use
                ));
            }
            if k.state == KeyState::Active {
                active += 1;
            }
            let thumbprint = match k.key_use {
                KeyUse::Sig => {
                    ClientVerifyingKey::from_jwk(&k.public_jwk).map(|v| v.thumbprint().to_owned())
                }
                KeyUse::Enc => PlatformEncryptionKey::from_jwk(&k.public_jwk)
                    .map(|v| v.thumbprint().to_owned()),
            }
            .map_err(|e| format!("public key of `{}` does not load: {e}", k.kid))?;
            if thumbprint != k.kid {
                return Err(format!(
                    "public key of `{}` has thumbprint `{thumbprint}`",
                    k.kid
                ));
            }
            if let Some(f) = &k.file {
                if !is_key_file_name(f) {
                    return Err(format!("key `{}` names the file `{f}`", k.kid));
                }
                // Only published keys need their file: a retired or revoked
                // key's file may be going away under a concurrent `prune`
                // (which drops it from the manifest first), and a reader
                // holding the older manifest must still load.
                if k.state.is_published() && !self.dir.join(f).is_file() {
                    return Err(format!("key file `{f}` of `{}` is missing", k.kid));
                }
            } else if k.state.is_published() && k.pkcs11.is_none() {
                return Err(format!("{} key `{}` has no file", k.state, k.kid));
            }
        }
        if active != 1 {
            return Err(format!(
                "it has {active} active keys; a keyring has exactly one"
            ));
        }
        Ok(())
    }

    /// Creates a keyring in `dir` (created 0700 if missing) whose one active
    /// key is `key`. `grace_seconds` defaults to [`DEFAULT_GRACE_SECONDS`].
    /// With a passphrase, the key file is encrypted at rest.
    ///
    /// Refuses a folder that already holds a keyring, and a published sample
    /// key.
    pub fn init(
        dir: impl AsRef<Path>,
        key: KeyMaterial,
        grace_seconds: Option<u64>,
        passphrase: Option<&Passphrase>,
        now: SystemTime,
    ) -> Result<Self> {
        let dir = dir.as_ref();
        if Self::exists(dir) {
            return Err(Error::Exists(dir.to_path_buf()));
        }
        check_sample(key.thumbprint(), key.thumbprint(), false)?;
        fsio::create_private_dir(dir).map_err(io_err("create the folder", dir))?;
        let lock = take_lock(dir)?;
        if Self::exists(dir) {
            return Err(Error::Exists(dir.to_path_buf()));
        }
        let t = unix_seconds(now);
        let mut entry = write_key(dir, &key, passphrase, t)?;
        entry.state = KeyState::Active;
        entry.activated_at = Some(t);
        let mut locked = LockedKeyring {
            ring: Self {
                dir: dir.to_path_buf(),
                manifest: Manifest {
                    version: FORMAT_VERSION,
                    key_use: key.alg().key_use(),
                    grace_seconds: grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS),
                    keys: vec![entry],
                },
            },
            _lock: lock,
        };
        locked.save()?;
        Ok(locked.ring)
    }

    /// Takes the writer lock on the keyring in `dir` (waiting at most
    /// [`DEFAULT_LOCK_TIMEOUT`], or `CHATSEAL_LOCK_TIMEOUT_MS`) and loads it
    /// fresh under the lock.
    pub fn lock(dir: impl AsRef<Path>) -> Result<LockedKeyring> {
        let dir = dir.as_ref();
        if !Self::exists(dir) {
            return Err(Error::NotFound(dir.to_path_buf()));
        }
        let lock = take_lock(dir)?;
        Ok(LockedKeyring {
            ring: Self::open(dir)?,
            _lock: lock,
        })
    }

    /// The keyring folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest as loaded.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The use of the keyring's keys.
    pub fn key_use(&self) -> KeyUse {
        self.manifest.key_use
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> &[KeyEntry] {
        &self.manifest.keys
    }

    /// The key with `kid`.
    pub fn get(&self, kid: &str) -> Option<&KeyEntry> {
        self.manifest.keys.iter().find(|k| k.kid == kid)
    }

    /// The one active key.
    pub fn active(&self) -> &KeyEntry {
        // `check` guarantees exactly one.
        self.manifest
            .keys
            .iter()
            .find(|k| k.state == KeyState::Active)
            .unwrap_or(&self.manifest.keys[0])
    }

    /// The published keys: pending, active and retiring.
    pub fn published(&self) -> impl Iterator<Item = &KeyEntry> {
        self.manifest.keys.iter().filter(|k| k.state.is_published())
    }

    /// The public JWKS: pending, active and retiring keys, with `kid`,
    /// `use` and `alg`. Needs no passphrase.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self.published().map(|k| k.public_jwk.clone()).collect(),
        }
    }

    /// The public keys that verify this (`sig`) keyring's tokens: every
    /// published key.
    pub fn verifying_keys(&self) -> Result<Vec<ClientVerifyingKey>> {
        self.require_use(KeyUse::Sig)?;
        self.published()
            .map(|k| Ok(ClientVerifyingKey::from_jwk(&k.public_jwk)?))
            .collect()
    }

    /// The public key hosts encrypt to: the active key of this (`enc`)
    /// keyring. Needs no passphrase.
    pub fn encryption_key(&self) -> Result<PlatformEncryptionKey> {
        self.require_use(KeyUse::Enc)?;
        Ok(PlatformEncryptionKey::from_jwk(&self.active().public_jwk)?)
    }

    /// The active signing key of this (`sig`) keyring, decrypted with
    /// `passphrase` if it is encrypted at rest.
    pub fn signing_key(&self, passphrase: Option<&Passphrase>) -> Result<ClientSigningKey> {
        self.require_use(KeyUse::Sig)?;
        match self.load_private(self.active(), passphrase)? {
            KeyMaterial::Sig(k) => Ok(k),
            KeyMaterial::Enc(_) => Err(Error::State("internal: key use mismatch".into())),
        }
    }

    /// The private keys of this (`enc`) keyring that may still receive
    /// payloads: every published key.
    pub fn decryption_keys(
        &self,
        passphrase: Option<&Passphrase>,
    ) -> Result<Vec<PlatformDecryptionKey>> {
        self.require_use(KeyUse::Enc)?;
        self.published()
            .map(|k| match self.load_private(k, passphrase)? {
                KeyMaterial::Enc(d) => Ok(d),
                KeyMaterial::Sig(_) => Err(Error::State("internal: key use mismatch".into())),
            })
            .collect()
    }

    /// Reads and opens the private key of `entry`; checks that it matches the
    /// manifest's public key.
    pub fn load_private(
        &self,
        entry: &KeyEntry,
        passphrase: Option<&Passphrase>,
    ) -> Result<KeyMaterial> {
        if let Some(uri) = &entry.pkcs11 {
            return Err(Error::State(format!(
                "the private key of `{}` is in a PKCS#11 token (`{uri}`); open it through the \
                 token: give the PIN with --pkcs11-pin-file FILE or CHATSEAL_PKCS11_PIN (and \
                 the module with --pkcs11-module PATH or CHATSEAL_PKCS11_MODULE)",
                entry.kid
            )));
        }
        let file = entry.file.as_deref().ok_or_else(|| {
            Error::State(format!(
                "the private key of `{}` was pruned ({})",
                entry.kid, entry.state
            ))
        })?;
        let path = self.dir.join(file);
        let pem = chatseal::SecretString::new(
            fs::read_to_string(&path).map_err(io_err("read the key file", &path))?,
        );
        if entry.encrypted && passphrase.is_none() {
            return Err(chatseal::Error::new(
                ErrorKind::WrongPassphrase,
                format!(
                    "the private key `{file}` is encrypted at rest; give its passphrase with \
                     --passphrase-file FILE or the CHATSEAL_PASSPHRASE environment variable"
                ),
            )
            .into());
        }
        let key = KeyMaterial::from_pem(pem.expose_secret(), entry.alg, passphrase).map_err(
            |e| match e {
                Error::Key(k) if k.kind() == ErrorKind::WrongPassphrase => {
                    Error::Key(chatseal::Error::new(
                        ErrorKind::WrongPassphrase,
                        format!(
                            "the passphrase does not open the private key `{}`",
                            path.display()
                        ),
                    ))
                }
                other => other,
            },
        )?;
        if key.thumbprint() != entry.kid {
            return Err(Error::Corrupt {
                path: self.dir.clone(),
                reason: format!(
                    "the key file `{file}` does not hold the key `{}`",
                    entry.kid
                ),
            });
        }
        Ok(key)
    }

    /// The public key of `kid` (default: the active key) as an SPKI PEM.
    pub fn public_key_pem(&self, kid: Option<&str>) -> Result<String> {
        let entry = self.entry_or_active(kid)?;
        Ok(match entry.key_use {
            KeyUse::Sig => ClientVerifyingKey::from_jwk(&entry.public_jwk)?.to_spki_pem()?,
            KeyUse::Enc => PlatformEncryptionKey::from_jwk(&entry.public_jwk)?.to_spki_pem()?,
        })
    }

    /// The key with `kid`, or the active key.
    pub fn entry_or_active(&self, kid: Option<&str>) -> Result<&KeyEntry> {
        match kid {
            None => Ok(self.active()),
            Some(kid) => self.get(kid).ok_or_else(|| self.unknown_kid(kid)),
        }
    }

    fn unknown_kid(&self, kid: &str) -> Error {
        Error::State(format!(
            "keyring `{}` has no key `{kid}` (see `chatseal keys list`)",
            self.dir.display()
        ))
    }

    fn require_use(&self, want: KeyUse) -> Result<()> {
        if self.manifest.key_use == want {
            return Ok(());
        }
        Err(Error::State(format!(
            "keyring `{}` holds `{}` keys; this needs a `{want}` keyring ({})",
            self.dir.display(),
            self.manifest.key_use,
            match want {
                KeyUse::Sig => "the client signing keys",
                KeyUse::Enc => "the platform decryption keys",
            }
        )))
    }
}

fn is_key_file_name(f: &str) -> bool {
    f.ends_with(".pem")
        && !f.starts_with('.')
        && f.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn lock_timeout() -> Duration {
    std::env::var(LOCK_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_LOCK_TIMEOUT)
}

fn take_lock(dir: &Path) -> Result<fsio::DirLock> {
    let timeout = lock_timeout();
    let path = dir.join(LOCK_FILE);
    fsio::lock(&path, timeout).map_err(|f| match f {
        fsio::LockFailure::Busy => Error::Locked {
            path: dir.to_path_buf(),
            waited: timeout,
        },
        fsio::LockFailure::Io(e) => io_err("lock", &path)(e),
    })
}

/// Writes a key's file (complete and synced, never over an existing file)
/// and returns its pending manifest entry.
fn write_key(
    dir: &Path,
    key: &KeyMaterial,
    passphrase: Option<&Passphrase>,
    now: i64,
) -> Result<KeyEntry> {
    let kid = key.thumbprint().to_owned();
    let alg = key.alg();
    if let Some(uri) = key.pkcs11_uri() {
        // The private key stays in the token: no byte of it is written here.
        return Ok(KeyEntry {
            kid,
            key_use: alg.key_use(),
            alg,
            state: KeyState::Pending,
            bits: key.bits(),
            file: None,
            encrypted: false,
            pkcs11: Some(uri),
            imported: false,
            public_jwk: key.public_jwk(),
            created_at: now,
            activated_at: None,
            retiring_at: None,
            retired_at: None,
            revoked_at: None,
        });
    }
    let file = format!("{}-{kid}.pem", alg.key_use());
    let pem = key.to_pem(passphrase)?;
    let path = dir.join(&file);
    match fsio::create_file(dir, &file, pem.expose_secret().as_bytes(), 0o600) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // Not in the manifest (the caller checked), so a crash's leftover.
            fs::remove_file(&path).map_err(io_err("remove the stale key file", &path))?;
            fsio::create_file(dir, &file, pem.expose_secret().as_bytes(), 0o600)
                .map_err(io_err("write the key file", &path))?;
        }
        Err(e) => return Err(io_err("write the key file", &path)(e)),
    }
    Ok(KeyEntry {
        kid,
        key_use: alg.key_use(),
        alg,
        state: KeyState::Pending,
        bits: key.bits(),
        file: Some(file),
        encrypted: passphrase.is_some(),
        pkcs11: None,
        imported: false,
        public_jwk: key.public_jwk(),
        created_at: now,
        activated_at: None,
        retiring_at: None,
        retired_at: None,
        revoked_at: None,
    })
}

/// A keyring held under the writer lock; dropping it releases the lock.
///
/// Each method makes one change and saves it with one atomic manifest write
/// (plus, for [`LockedKeyring::add`], the new key's file first).
#[derive(Debug)]
pub struct LockedKeyring {
    ring: Keyring,
    _lock: fsio::DirLock,
}

impl Deref for LockedKeyring {
    type Target = Keyring;
    fn deref(&self) -> &Keyring {
        &self.ring
    }
}

impl LockedKeyring {
    fn save(&mut self) -> Result<()> {
        self.ring.check().map_err(|reason| {
            Error::State(format!(
                "internal: refusing to write a bad keyring: {reason}"
            ))
        })?;
        let mut text = serde_json::to_string_pretty(&self.ring.manifest)
            .map_err(|e| Error::State(format!("internal: manifest does not serialize: {e}")))?;
        text.push('\n');
        let dir = self.ring.dir.clone();
        fsio::replace_file(&dir, MANIFEST_FILE, text.as_bytes(), 0o600)
            .map_err(io_err("write the manifest", &dir.join(MANIFEST_FILE)))
    }

    fn find_mut(&mut self, kid: &str) -> Result<&mut KeyEntry> {
        let err = self.ring.unknown_kid(kid);
        self.ring
            .manifest
            .keys
            .iter_mut()
            .find(|k| k.kid == kid)
            .ok_or(err)
    }

    /// Adds `key` as pending (published, not yet used) or, with `activate`,
    /// as the active key at once, the old active key becoming retiring (for
    /// platforms with a single key slot). `imported` is recorded.
    ///
    /// With a passphrase the key file is encrypted. If the keyring's active
    /// key is encrypted, the same passphrase is required, so a keyring never
    /// mixes passphrases or leaves a key in the clear by mistake.
    ///
    /// Refuses a key already in the keyring, a key of the other use, and a
    /// published sample key unless `allow_sample_key` (a pending key is
    /// already trusted by verifiers).
    pub fn add(
        &mut self,
        key: KeyMaterial,
        activate: bool,
        allow_sample_key: bool,
        passphrase: Option<&Passphrase>,
        now: SystemTime,
    ) -> Result<KeyEntry> {
        self.add_inner(key, activate, false, allow_sample_key, passphrase, now)
    }

    /// Like [`LockedKeyring::add`] (as pending), for a key made elsewhere
    /// (`openssl genrsa 4096`, IBM's key tool); the entry is marked imported.
    pub fn import(
        &mut self,
        key: KeyMaterial,
        allow_sample_key: bool,
        passphrase: Option<&Passphrase>,
        now: SystemTime,
    ) -> Result<KeyEntry> {
        self.add_inner(key, false, true, allow_sample_key, passphrase, now)
    }

    fn add_inner(
        &mut self,
        key: KeyMaterial,
        activate: bool,
        imported: bool,
        allow_sample_key: bool,
        passphrase: Option<&Passphrase>,
        now: SystemTime,
    ) -> Result<KeyEntry> {
        let key_use = key.alg().key_use();
        if key_use != self.key_use() {
            return Err(Error::State(format!(
                "keyring `{}` holds `{}` keys; the new key is a `{key_use}` key",
                self.dir.display(),
                self.key_use()
            )));
        }
        if let Some(existing) = self.get(key.thumbprint()) {
            return Err(Error::State(format!(
                "keyring `{}` already has this key (kid `{}`, {})",
                self.dir.display(),
                existing.kid,
                existing.state
            )));
        }
        check_sample(key.thumbprint(), key.thumbprint(), allow_sample_key)?;
        let active = self.active().clone();
        // A key that stays in a token has no file to encrypt.
        if active.encrypted && key.pkcs11_uri().is_none() {
            match passphrase {
                None => {
                    return Err(chatseal::Error::new(
                        ErrorKind::WrongPassphrase,
                        "the keyring's keys are encrypted at rest; give the passphrase \
                         (--passphrase-file FILE or CHATSEAL_PASSPHRASE) so the new key is \
                         encrypted too",
                    )
                    .into())
                }
                // Proves the passphrase is the keyring's before using it.
                Some(p) => drop(self.load_private(&active, Some(p))?),
            }
        }
        let t = unix_seconds(now);
        let mut entry = write_key(&self.ring.dir, &key, passphrase, t)?;
        entry.imported = imported;
        if activate {
            entry.state = KeyState::Active;
            entry.activated_at = Some(t);
            let old = self.find_mut(&active.kid)?;
            old.state = KeyState::Retiring;
            old.retiring_at = Some(t);
        }
        self.ring.manifest.keys.push(entry.clone());
        self.save()?;
        Ok(entry)
    }

    /// Makes the pending key `kid` (or the only pending key) active; the old
    /// active key becomes retiring. Returns `(new active, now retiring)`.
    ///
    /// Refuses a published sample key unless `allow_sample_key`.
    pub fn promote(
        &mut self,
        kid: Option<&str>,
        allow_sample_key: bool,
        now: SystemTime,
    ) -> Result<(KeyEntry, KeyEntry)> {
        let pending: Vec<&KeyEntry> = self
            .keys()
            .iter()
            .filter(|k| k.state == KeyState::Pending)
            .collect();
        let chosen = match kid {
            Some(kid) => {
                let k = self.entry_or_active(Some(kid))?;
                if k.state != KeyState::Pending {
                    return Err(Error::State(format!(
                        "key `{kid}` is {}, not pending; only a pending key can be promoted",
                        k.state
                    )));
                }
                k.kid.clone()
            }
            None => match pending.as_slice() {
                [one] => one.kid.clone(),
                [] => {
                    return Err(Error::State(format!(
                        "keyring `{}` has no pending key to promote; add one with `chatseal keys \
                         rotate`",
                        self.dir.display()
                    )))
                }
                many => {
                    return Err(Error::State(format!(
                        "keyring `{}` has {} pending keys; name one with --kid",
                        self.dir.display(),
                        many.len()
                    )))
                }
            },
        };
        check_sample(&chosen, &chosen, allow_sample_key)?;
        let t = unix_seconds(now);
        let old_kid = self.active().kid.clone();
        {
            let old = self.find_mut(&old_kid)?;
            old.state = KeyState::Retiring;
            old.retiring_at = Some(t);
        }
        {
            let new = self.find_mut(&chosen)?;
            new.state = KeyState::Active;
            new.activated_at = Some(t);
        }
        self.save()?;
        let new = self.find_mut(&chosen)?.clone();
        let old = self.find_mut(&old_kid)?.clone();
        Ok((new, old))
    }

    /// Moves retiring keys whose grace has passed to retired (out of the
    /// JWKS). `kid` limits it to one key; `force` ignores the grace (tokens
    /// that key signed and that are still unexpired then fail at once).
    /// Returns the kids retired.
    pub fn retire(
        &mut self,
        kid: Option<&str>,
        force: bool,
        now: SystemTime,
    ) -> Result<Vec<String>> {
        if let Some(kid) = kid {
            let k = self.entry_or_active(Some(kid))?;
            if k.state != KeyState::Retiring {
                return Err(Error::State(format!(
                    "key `{kid}` is {}, not retiring; promote another key first",
                    k.state
                )));
            }
        }
        let t = unix_seconds(now);
        let grace = i64::try_from(self.manifest.grace_seconds).unwrap_or(i64::MAX);
        let mut done = Vec::new();
        for k in self.ring.manifest.keys.iter_mut() {
            if k.state != KeyState::Retiring || kid.is_some_and(|kid| kid != k.kid) {
                continue;
            }
            let since = k.retiring_at.unwrap_or(k.created_at);
            if force || since.saturating_add(grace) <= t {
                k.state = KeyState::Retired;
                k.retired_at = Some(t);
                done.push(k.kid.clone());
            }
        }
        if !done.is_empty() {
            self.save()?;
        }
        Ok(done)
    }

    /// Revokes `kid`: out of the JWKS at once, kept in the manifest. The
    /// active key cannot be revoked (a keyring always has one): rotate with
    /// `--now` first, then revoke the old key.
    pub fn revoke(&mut self, kid: &str, now: SystemTime) -> Result<KeyEntry> {
        let k = self.entry_or_active(Some(kid))?;
        match k.state {
            KeyState::Active => {
                return Err(Error::State(format!(
                    "key `{kid}` is the active key; make another key active first \
                     (`chatseal keys rotate --now`), then revoke it"
                )))
            }
            KeyState::Revoked => {
                return Err(Error::State(format!("key `{kid}` is already revoked")))
            }
            _ => {}
        }
        let t = unix_seconds(now);
        let k = self.find_mut(kid)?;
        k.state = KeyState::Revoked;
        k.revoked_at = Some(t);
        let out = k.clone();
        self.save()?;
        Ok(out)
    }

    /// Deletes the private key files of retired and revoked keys (their
    /// manifest entries stay, for the record), and files a crash left behind
    /// (temp files, key files no manifest names). Returns the file names
    /// removed.
    pub fn prune(&mut self) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        let mut doomed = Vec::new();
        for k in self.ring.manifest.keys.iter_mut() {
            if !k.state.is_published() {
                if let Some(f) = k.file.take() {
                    doomed.push(f);
                }
            }
        }
        // The manifest stops naming the files before they go, so it never
        // names a missing file.
        if !doomed.is_empty() {
            self.save()?;
        }
        let named: BTreeSet<String> = self.keys().iter().filter_map(|k| k.file.clone()).collect();
        let dir = self.ring.dir.clone();
        let entries = fs::read_dir(&dir).map_err(io_err("list", &dir))?;
        for entry in entries {
            let entry = entry.map_err(io_err("list", &dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = name.starts_with(fsio::TEMP_PREFIX)
                || (is_key_file_name(&name)
                    && (name.starts_with("sig-") || name.starts_with("enc-"))
                    && !named.contains(&name));
            if stale && entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                let path = dir.join(&name);
                fs::remove_file(&path).map_err(io_err("remove", &path))?;
                removed.push(name);
            }
        }
        if !removed.is_empty() {
            fsio::sync_dir(&dir).map_err(io_err("sync", &dir))?;
        }
        removed.sort();
        Ok(removed)
    }
}

/// Writes `text` to `path` atomically (temp file beside it, fsync, rename,
/// fsync of the folder), mode 0644: for public files such as a JWKS.
pub fn write_public_file(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::State(format!("`{}` is not a file name", path.display())))?
        .to_string_lossy()
        .into_owned();
    fsio::replace_file(&dir, &name, text.as_bytes(), 0o644).map_err(io_err("write", path))
}

/// Writes `text` to `path` atomically like [`write_public_file`], mode
/// 0600: for files only their owner should read, such as an unsealed tenant
/// document.
pub fn write_private_file(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::State(format!("`{}` is not a file name", path.display())))?
        .to_string_lossy()
        .into_owned();
    fsio::replace_file(&dir, &name, text.as_bytes(), 0o600).map_err(io_err("write", path))
}

#[cfg(test)]
mod tests;
