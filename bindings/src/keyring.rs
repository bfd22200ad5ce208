//! The keyring on disk (crate `chatseal-keys`), for rotation scripts.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use chatseal::{Passphrase, RsaKeySize};
use chatseal_keys::{KeyEntry, KeyMaterial};

use crate::error::Result;
use crate::keys::{
    ClientSigningKey, ClientVerifyingKey, PlatformDecryptionKey, PlatformEncryptionKey,
};

/// What a keyring's keys are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KeyUse {
    /// Client signing keys: the host signs widget tokens.
    Sig,
    /// Platform decryption keys: the platform decrypts sso_tokens.
    Enc,
}

impl From<chatseal_keys::KeyUse> for KeyUse {
    fn from(u: chatseal_keys::KeyUse) -> Self {
        match u {
            chatseal_keys::KeyUse::Sig => Self::Sig,
            chatseal_keys::KeyUse::Enc => Self::Enc,
        }
    }
}

/// The algorithm of a keyring key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KeyAlgorithm {
    /// RS256 client signing key.
    RS256,
    /// PS256 client signing key.
    PS256,
    /// ES256 client signing key.
    ES256,
    /// Ed25519 client signing key.
    Ed25519,
    /// RSA-OAEP-256 platform decryption key.
    RsaOaep256,
    /// ECDH-ES + AES-256 key wrap platform decryption key (P-256 or X25519).
    EcdhEsA256kw,
    /// Direct ECDH-ES platform decryption key (P-256 or X25519).
    EcdhEs,
}

/// The curve of an ECDH platform key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum EcdhCurve {
    /// NIST P-256.
    P256,
    /// X25519.
    X25519,
}

impl From<EcdhCurve> for chatseal::EcdhCurve {
    fn from(c: EcdhCurve) -> Self {
        match c {
            EcdhCurve::P256 => Self::P256,
            EcdhCurve::X25519 => Self::X25519,
        }
    }
}

impl From<KeyAlgorithm> for chatseal_keys::KeyAlg {
    fn from(a: KeyAlgorithm) -> Self {
        match a {
            KeyAlgorithm::RS256 => Self::RS256,
            KeyAlgorithm::PS256 => Self::PS256,
            KeyAlgorithm::ES256 => Self::ES256,
            KeyAlgorithm::Ed25519 => Self::Ed25519,
            KeyAlgorithm::RsaOaep256 => Self::RsaOaep256,
            KeyAlgorithm::EcdhEsA256kw => Self::EcdhEsA256kw,
            KeyAlgorithm::EcdhEs => Self::EcdhEs,
        }
    }
}

impl From<chatseal_keys::KeyAlg> for KeyAlgorithm {
    fn from(a: chatseal_keys::KeyAlg) -> Self {
        match a {
            chatseal_keys::KeyAlg::RS256 => Self::RS256,
            chatseal_keys::KeyAlg::PS256 => Self::PS256,
            chatseal_keys::KeyAlg::ES256 => Self::ES256,
            chatseal_keys::KeyAlg::Ed25519 => Self::Ed25519,
            chatseal_keys::KeyAlg::RsaOaep256 => Self::RsaOaep256,
            chatseal_keys::KeyAlg::EcdhEsA256kw => Self::EcdhEsA256kw,
            chatseal_keys::KeyAlg::EcdhEs => Self::EcdhEs,
        }
    }
}

/// The lifecycle state of a keyring key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KeyState {
    /// Published in the JWKS, not used yet (caches pick it up first).
    Pending,
    /// Published and in use; exactly one per keyring.
    Active,
    /// Published until its tokens can no longer be valid.
    Retiring,
    /// No longer published.
    Retired,
    /// Withdrawn at once; kept in the manifest for the record.
    Revoked,
}

impl From<chatseal_keys::KeyState> for KeyState {
    fn from(s: chatseal_keys::KeyState) -> Self {
        match s {
            chatseal_keys::KeyState::Pending => Self::Pending,
            chatseal_keys::KeyState::Active => Self::Active,
            chatseal_keys::KeyState::Retiring => Self::Retiring,
            chatseal_keys::KeyState::Retired => Self::Retired,
            chatseal_keys::KeyState::Revoked => Self::Revoked,
        }
    }
}

/// One key of a keyring, as its manifest records it (public data only).
/// Times are seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KeyInfo {
    /// Key id: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// `Sig` or `Enc`.
    pub key_use: KeyUse,
    /// The key's one algorithm.
    pub algorithm: KeyAlgorithm,
    /// Lifecycle state.
    pub state: KeyState,
    /// RSA modulus size in bits (none for EC keys).
    pub bits: Option<u32>,
    /// Whether the private key file is encrypted with a passphrase.
    pub encrypted: bool,
    /// Whether the key was imported rather than generated.
    pub imported: bool,
    /// Whether the private key file is still on disk (not pruned).
    pub has_private_file: bool,
    /// The public key as a JWK (JSON text).
    pub public_jwk_json: String,
    /// When the key was added.
    pub created_at: i64,
    /// When it became active.
    pub activated_at: Option<i64>,
    /// When it stopped being active.
    pub retiring_at: Option<i64>,
    /// When it left the JWKS.
    pub retired_at: Option<i64>,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
}

impl From<&KeyEntry> for KeyInfo {
    fn from(k: &KeyEntry) -> Self {
        Self {
            kid: k.kid.clone(),
            key_use: k.key_use.into(),
            algorithm: k.alg.into(),
            state: k.state.into(),
            bits: k.bits,
            encrypted: k.encrypted,
            imported: k.imported,
            has_private_file: k.file.is_some(),
            public_jwk_json: k.public_jwk.to_json(),
            created_at: k.created_at,
            activated_at: k.activated_at,
            retiring_at: k.retiring_at,
            retired_at: k.retired_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// The outcome of `Keyring.promote`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Promotion {
    /// The key that is active now.
    pub active: KeyInfo,
    /// The formerly active key, now retiring (still published).
    pub retiring: KeyInfo,
}

/// A keyring folder (`keyring.json` plus one PEM file per private key), with
/// the lifecycle pending → active → retiring → retired (or revoked), so a
/// rotation never fails a request.
///
/// Reading methods use the keyring as last loaded (`reload()` re-reads it).
/// Each changing method takes the keyring's writer lock, applies one atomic
/// change on disk, releases the lock and keeps the result; two scripts (or
/// a script and the `chatseal` CLI) never interleave their changes.
///
/// Passphrases protect the private key files at rest; without one, key
/// files are plain PKCS#8 PEM (always mode 0600).
#[derive(Debug, uniffi::Object)]
pub struct Keyring {
    dir: PathBuf,
    ring: Mutex<chatseal_keys::Keyring>,
}

fn pass(p: Option<String>) -> Option<Passphrase> {
    p.map(Passphrase::new)
}

fn rsa_size(bits: Option<u32>) -> Result<RsaKeySize> {
    Ok(bits
        .map(RsaKeySize::from_bits)
        .transpose()?
        .unwrap_or_default())
}

impl Keyring {
    fn snapshot(&self) -> MutexGuard<'_, chatseal_keys::Keyring> {
        // The guarded value is replaced whole, never left half-changed, so a
        // poisoned lock still holds a consistent keyring.
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `change` under the writer lock and keeps the keyring it leaves.
    fn change<T>(
        &self,
        change: impl FnOnce(&mut chatseal_keys::LockedKeyring) -> chatseal_keys::Result<T>,
    ) -> Result<T> {
        let mut locked = chatseal_keys::Keyring::lock(&self.dir)?;
        let out = change(&mut locked);
        *self.snapshot() = (*locked).clone();
        Ok(out?)
    }
}

#[uniffi::export]
impl Keyring {
    /// Opens the keyring in `dir`.
    #[uniffi::constructor]
    pub fn open(dir: String) -> Result<Arc<Self>> {
        let ring = chatseal_keys::Keyring::open(&dir)?;
        Ok(Arc::new(Self {
            dir: PathBuf::from(dir),
            ring: Mutex::new(ring),
        }))
    }

    /// Creates a keyring in `dir` (made 0700 if missing) with one new,
    /// active key of `algorithm` (RSA keys `rsa_bits` long, default 3072).
    /// `grace_seconds` is how long a retiring key stays published (default:
    /// the longest token lifetime plus the verifiers' leeway). With
    /// `passphrase` the key file is encrypted at rest. `ecdh_curve` is the
    /// curve of an ECDH platform key (default P-256). Refuses a folder that
    /// already holds a keyring.
    #[uniffi::constructor(default(
        rsa_bits = None,
        grace_seconds = None,
        passphrase = None,
        ecdh_curve = None
    ))]
    pub fn init(
        dir: String,
        algorithm: KeyAlgorithm,
        rsa_bits: Option<u32>,
        grace_seconds: Option<u64>,
        passphrase: Option<String>,
        ecdh_curve: Option<EcdhCurve>,
    ) -> Result<Arc<Self>> {
        let alg: chatseal_keys::KeyAlg = algorithm.into();
        let key = match ecdh_curve {
            Some(c) => KeyMaterial::generate_ecdh(alg, c.into())?,
            None => KeyMaterial::generate(alg, rsa_size(rsa_bits)?)?,
        };
        let ring = chatseal_keys::Keyring::init(
            &dir,
            key,
            grace_seconds,
            pass(passphrase).as_ref(),
            SystemTime::now(),
        )?;
        Ok(Arc::new(Self {
            dir: PathBuf::from(dir),
            ring: Mutex::new(ring),
        }))
    }
}

/// Whether `dir` holds a keyring.
#[uniffi::export]
pub fn keyring_exists(dir: String) -> bool {
    chatseal_keys::Keyring::exists(dir)
}

#[uniffi::export]
impl Keyring {
    /// The keyring folder.
    pub fn dir(&self) -> String {
        self.dir.display().to_string()
    }

    /// Re-reads the keyring from disk (after another process changed it).
    pub fn reload(&self) -> Result<()> {
        let ring = chatseal_keys::Keyring::open(&self.dir)?;
        *self.snapshot() = ring;
        Ok(())
    }

    /// What the keys are for: `Sig` (client signing) or `Enc` (platform
    /// decryption).
    pub fn key_use(&self) -> KeyUse {
        self.snapshot().key_use().into()
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> Vec<KeyInfo> {
        self.snapshot().keys().iter().map(KeyInfo::from).collect()
    }

    /// The one active key.
    pub fn active(&self) -> KeyInfo {
        self.snapshot().active().into()
    }

    /// The public JWKS (JSON text): pending, active and retiring keys. Needs
    /// no passphrase.
    pub fn jwks_json(&self) -> String {
        self.snapshot().jwks().to_json()
    }

    /// The public key of `kid` (default: the active key) as an SPKI PEM.
    #[uniffi::method(default(kid = None))]
    pub fn public_key_pem(&self, kid: Option<String>) -> Result<String> {
        Ok(self.snapshot().public_key_pem(kid.as_deref())?)
    }

    /// The active signing key of a `Sig` keyring, opened with `passphrase`
    /// when it is encrypted at rest: hand it to an `Issuer`.
    #[uniffi::method(default(passphrase = None))]
    pub fn signing_key(&self, passphrase: Option<String>) -> Result<Arc<ClientSigningKey>> {
        let key = self.snapshot().signing_key(pass(passphrase).as_ref())?;
        Ok(Arc::new(ClientSigningKey(key)))
    }

    /// The public keys that verify a `Sig` keyring's tokens: every published
    /// key. Hand them to a `Verifier`.
    pub fn verifying_keys(&self) -> Result<Vec<Arc<ClientVerifyingKey>>> {
        Ok(self
            .snapshot()
            .verifying_keys()?
            .into_iter()
            .map(|k| Arc::new(ClientVerifyingKey(k)))
            .collect())
    }

    /// The public key hosts encrypt to: the active key of an `Enc` keyring.
    pub fn encryption_key(&self) -> Result<Arc<PlatformEncryptionKey>> {
        Ok(Arc::new(PlatformEncryptionKey(
            self.snapshot().encryption_key()?,
        )))
    }

    /// The private keys of an `Enc` keyring that may still receive payloads
    /// (every published key), opened with `passphrase` when encrypted.
    #[uniffi::method(default(passphrase = None))]
    pub fn decryption_keys(
        &self,
        passphrase: Option<String>,
    ) -> Result<Vec<Arc<PlatformDecryptionKey>>> {
        Ok(self
            .snapshot()
            .decryption_keys(pass(passphrase).as_ref())?
            .into_iter()
            .map(|k| Arc::new(PlatformDecryptionKey(k)))
            .collect())
    }

    /// Rotation, step one: generates a new key of the active key's
    /// algorithm (RSA keys `rsa_bits` long, default 3072) and adds it as
    /// pending (published, not used), or with `activate` as the active key at
    /// once (the old one retiring; for platforms with a single key slot).
    /// An encrypted keyring needs its `passphrase`.
    #[uniffi::method(default(rsa_bits = None, activate = false, passphrase = None))]
    pub fn rotate(
        &self,
        rsa_bits: Option<u32>,
        activate: bool,
        passphrase: Option<String>,
    ) -> Result<KeyInfo> {
        let active = self.snapshot().active().clone();
        // An ECDH keyring keeps its curve.
        let key = match active.ecdh_curve() {
            Some(c) => KeyMaterial::generate_ecdh(active.alg, c)?,
            None => KeyMaterial::generate(active.alg, rsa_size(rsa_bits)?)?,
        };
        let p = pass(passphrase);
        let entry = self.change(|l| l.add(key, activate, false, p.as_ref(), SystemTime::now()))?;
        Ok((&entry).into())
    }

    /// Adds a private key made elsewhere (`openssl genrsa 4096`, IBM's key
    /// tool) as pending. `pem_passphrase` opens an encrypted PEM; `passphrase`
    /// is the keyring's own. A published sample key is refused unless
    /// `allow_sample_key`.
    #[uniffi::method(default(pem_passphrase = None, passphrase = None, allow_sample_key = false))]
    pub fn import_pem(
        &self,
        pem: String,
        algorithm: KeyAlgorithm,
        pem_passphrase: Option<String>,
        passphrase: Option<String>,
        allow_sample_key: bool,
    ) -> Result<KeyInfo> {
        let key = KeyMaterial::from_pem(&pem, algorithm.into(), pass(pem_passphrase).as_ref())?;
        let p = pass(passphrase);
        let entry =
            self.change(|l| l.import(key, allow_sample_key, p.as_ref(), SystemTime::now()))?;
        Ok((&entry).into())
    }

    /// Rotation, step two (once caches have the new JWKS): makes the pending
    /// key `kid` (or the only pending key) active; the old active key becomes
    /// retiring and stays published for the grace.
    #[uniffi::method(default(kid = None, allow_sample_key = false))]
    pub fn promote(&self, kid: Option<String>, allow_sample_key: bool) -> Result<Promotion> {
        let (active, retiring) =
            self.change(|l| l.promote(kid.as_deref(), allow_sample_key, SystemTime::now()))?;
        Ok(Promotion {
            active: (&active).into(),
            retiring: (&retiring).into(),
        })
    }

    /// Rotation, step three: moves retiring keys whose grace has passed out
    /// of the JWKS (`kid` limits it to one key; `force` ignores the grace,
    /// failing that key's unexpired tokens at once). Returns the kids retired.
    #[uniffi::method(default(kid = None, force = false))]
    pub fn retire(&self, kid: Option<String>, force: bool) -> Result<Vec<String>> {
        self.change(|l| l.retire(kid.as_deref(), force, SystemTime::now()))
    }

    /// Revokes `kid`: out of the JWKS at once (for a key that may have
    /// leaked). The active key cannot be revoked: rotate with `activate`
    /// first.
    pub fn revoke(&self, kid: String) -> Result<KeyInfo> {
        let entry = self.change(|l| l.revoke(&kid, SystemTime::now()))?;
        Ok((&entry).into())
    }

    /// Deletes the private key files of retired and revoked keys, and files
    /// a crash left behind. Returns the file names removed.
    pub fn prune(&self) -> Result<Vec<String>> {
        self.change(|l| l.prune())
    }
}
