//! The keyring on disk (crate `chatseal-keys`), for Node rotation scripts.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use chatseal::{Passphrase, RsaKeySize};
use chatseal_keys::{KeyAlg, KeyEntry, KeyMaterial};
use napi::bindgen_prelude::{Buffer, Either, Unknown};
use napi::Env;
use napi_derive::napi;

use crate::error::{Failure, OrThrow};
use crate::json;
use crate::keys::{
    pem_text, ClientSigningKey, ClientVerifyingKey, PlatformDecryptionKey, PlatformEncryptionKey,
};

/// One key of a keyring, as its manifest records it (public data only).
/// Times are seconds since the Unix epoch.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct KeyInfo<'env> {
    /// Key id: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// `'sig'` (client signing) or `'enc'` (platform decryption).
    #[napi(js_name = "use", ts_type = "'sig' | 'enc'")]
    pub key_use: String,
    /// The key's one algorithm.
    #[napi(ts_type = "KeyAlgorithm")]
    pub algorithm: String,
    /// Lifecycle state.
    #[napi(ts_type = "'pending' | 'active' | 'retiring' | 'retired' | 'revoked'")]
    pub state: String,
    /// RSA modulus size in bits (`null` for EC keys).
    pub bits: Option<u32>,
    /// Whether the private key file is encrypted with a passphrase.
    pub encrypted: bool,
    /// Whether the key was imported rather than generated.
    pub imported: bool,
    /// Whether the private key file is still on disk (not pruned).
    pub has_private_file: bool,
    /// The public key as a JWK.
    #[napi(ts_type = "JsonWebKey")]
    pub public_jwk: Unknown<'env>,
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

fn info<'env>(env: &'env Env, k: &KeyEntry) -> napi::Result<KeyInfo<'env>> {
    Ok(KeyInfo {
        kid: k.kid.clone(),
        key_use: k.key_use.as_str().to_owned(),
        algorithm: k.alg.as_str().to_owned(),
        state: k.state.as_str().to_owned(),
        bits: k.bits,
        encrypted: k.encrypted,
        imported: k.imported,
        has_private_file: k.file.is_some(),
        public_jwk: json::parse(env, &k.public_jwk.to_json())?,
        created_at: k.created_at,
        activated_at: k.activated_at,
        retiring_at: k.retiring_at,
        retired_at: k.retired_at,
        revoked_at: k.revoked_at,
    })
}

/// The outcome of `keyring.promote()`.
#[napi(object, object_from_js = false)]
pub struct Promotion<'env> {
    /// The key that is active now.
    pub active: KeyInfo<'env>,
    /// The formerly active key, now retiring (still published).
    pub retiring: KeyInfo<'env>,
}

/// Options of `Keyring.init`.
#[napi(object, object_to_js = false)]
pub struct InitOptions {
    /// The first key's algorithm: `'RS256'`, `'PS256'`, `'ES256'`,
    /// `'Ed25519'` (a client signing keyring) or `'RSA-OAEP-256'`,
    /// `'ECDH-ES+A256KW'`, `'ECDH-ES'` (a platform decryption keyring).
    #[napi(ts_type = "KeyAlgorithm")]
    pub algorithm: String,
    /// RSA modulus size (default 3072).
    pub rsa_bits: Option<u32>,
    /// How long a retiring key stays published, in seconds (default: the
    /// longest token lifetime plus the verifiers' leeway).
    pub grace_seconds: Option<u32>,
    /// Encrypts the private key files at rest.
    pub passphrase: Option<String>,
    /// The curve of an ECDH platform key (`'ECDH-ES+A256KW'`, `'ECDH-ES'`):
    /// `'P-256'` (the default) or `'X25519'`.
    #[napi(ts_type = "EcdhCurve")]
    pub ecdh_curve: Option<String>,
}

/// Options of `keyring.rotate`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct RotateOptions {
    /// RSA modulus size of the new key (default 3072).
    pub rsa_bits: Option<u32>,
    /// Make the new key active at once, the old one retiring (for platforms
    /// with a single key slot); default: pending.
    pub activate: Option<bool>,
    /// The keyring's passphrase, when it is encrypted.
    pub passphrase: Option<String>,
}

/// Options of `keyring.importPem`.
#[napi(object, object_to_js = false)]
pub struct ImportOptions {
    /// The key's algorithm.
    #[napi(ts_type = "KeyAlgorithm")]
    pub algorithm: String,
    /// Opens an encrypted PEM.
    pub pem_passphrase: Option<String>,
    /// The keyring's own passphrase.
    pub passphrase: Option<String>,
    /// Accept a published sample key (never in production).
    pub allow_sample_key: Option<bool>,
}

/// Options of `keyring.promote`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct PromoteOptions {
    /// The pending key to promote (default: the only pending key).
    pub kid: Option<String>,
    /// Accept a published sample key (never in production).
    pub allow_sample_key: Option<bool>,
}

/// Options of `keyring.retire`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct RetireOptions {
    /// Retire only this key.
    pub kid: Option<String>,
    /// Ignore the grace: that key's unexpired tokens fail at once.
    pub force: Option<bool>,
}

/// Options of the methods that open private keys.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct PassphraseOptions {
    /// The keyring's passphrase, when it is encrypted.
    pub passphrase: Option<String>,
}

/// A keyring folder (`keyring.json` plus one PEM file per private key), with
/// the lifecycle pending → active → retiring → retired (or revoked), so a
/// rotation never fails a request.
///
/// Reading methods use the keyring as last loaded (`reload()` re-reads it).
/// Each changing method takes the keyring's writer lock, applies one atomic
/// change on disk and releases the lock; two scripts (or a script and the
/// `chatseal` CLI) never interleave their changes.
#[napi]
pub struct Keyring {
    dir: PathBuf,
    ring: Mutex<chatseal_keys::Keyring>,
}

fn pass(p: Option<String>) -> Option<Passphrase> {
    p.map(Passphrase::new)
}

fn rsa_size(bits: Option<u32>) -> Result<RsaKeySize, Failure> {
    Ok(bits
        .map(RsaKeySize::from_bits)
        .transpose()?
        .unwrap_or_default())
}

fn key_alg(name: &str) -> Result<KeyAlg, Failure> {
    Ok(name.parse::<KeyAlg>()?)
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
    ) -> Result<T, Failure> {
        let mut locked = chatseal_keys::Keyring::lock(&self.dir)?;
        let out = change(&mut locked);
        *self.snapshot() = (*locked).clone();
        Ok(out?)
    }
}

#[napi]
impl Keyring {
    /// Opens the keyring in `dir`.
    #[napi(factory)]
    pub fn open(env: Env, dir: String) -> napi::Result<Self> {
        chatseal_keys::Keyring::open(&dir)
            .map(|ring| Self {
                dir: PathBuf::from(dir),
                ring: Mutex::new(ring),
            })
            .or_throw(&env)
    }

    /// Creates a keyring in `dir` (made 0700 if missing) with one new, active
    /// key. Refuses a folder that already holds a keyring.
    #[napi(factory)]
    pub fn init(env: Env, dir: String, options: InitOptions) -> napi::Result<Self> {
        let create = || -> Result<_, Failure> {
            let alg = key_alg(&options.algorithm)?;
            let key = match options.ecdh_curve.as_deref() {
                Some(c) => KeyMaterial::generate_ecdh(alg, c.parse()?)?,
                None => KeyMaterial::generate(alg, rsa_size(options.rsa_bits)?)?,
            };
            Ok(chatseal_keys::Keyring::init(
                &dir,
                key,
                options.grace_seconds.map(u64::from),
                pass(options.passphrase).as_ref(),
                SystemTime::now(),
            )?)
        };
        create()
            .map(|ring| Self {
                dir: PathBuf::from(&dir),
                ring: Mutex::new(ring),
            })
            .or_throw(&env)
    }

    /// Whether `dir` holds a keyring.
    #[napi]
    pub fn exists(dir: String) -> bool {
        chatseal_keys::Keyring::exists(dir)
    }

    /// The keyring folder.
    #[napi(getter)]
    pub fn dir(&self) -> String {
        self.dir.display().to_string()
    }

    /// Re-reads the keyring from disk (after another process changed it).
    #[napi]
    pub fn reload(&self, env: Env) -> napi::Result<()> {
        let ring = chatseal_keys::Keyring::open(&self.dir).or_throw(&env)?;
        *self.snapshot() = ring;
        Ok(())
    }

    /// What the keys are for: `'sig'` (client signing) or `'enc'` (platform
    /// decryption).
    #[napi(getter, ts_return_type = "'sig' | 'enc'")]
    pub fn key_use(&self) -> &'static str {
        self.snapshot().key_use().as_str()
    }

    /// Every key, oldest first.
    #[napi]
    pub fn keys<'env>(&self, env: &'env Env) -> napi::Result<Vec<KeyInfo<'env>>> {
        self.snapshot()
            .keys()
            .iter()
            .map(|k| info(env, k))
            .collect()
    }

    /// The one active key.
    #[napi]
    pub fn active<'env>(&self, env: &'env Env) -> napi::Result<KeyInfo<'env>> {
        info(env, self.snapshot().active())
    }

    /// The public JWKS: pending, active and retiring keys. Needs no
    /// passphrase.
    #[napi(ts_return_type = "JsonWebKeySet")]
    pub fn jwks<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let text = self.snapshot().jwks().to_json();
        json::parse(env, &text)
    }

    /// The public key of `kid` (default: the active key) as an SPKI PEM.
    #[napi]
    pub fn public_key_pem(&self, env: Env, kid: Option<String>) -> napi::Result<String> {
        self.snapshot()
            .public_key_pem(kid.as_deref())
            .or_throw(&env)
    }

    /// The active signing key of a `sig` keyring: hand it to an `Issuer`.
    #[napi]
    pub fn signing_key(
        &self,
        env: Env,
        options: Option<PassphraseOptions>,
    ) -> napi::Result<ClientSigningKey> {
        let p = pass(options.unwrap_or_default().passphrase);
        self.snapshot()
            .signing_key(p.as_ref())
            .map(ClientSigningKey)
            .or_throw(&env)
    }

    /// The public keys that verify a `sig` keyring's tokens: every published
    /// key. Hand them to a `Verifier`.
    #[napi]
    pub fn verifying_keys(&self, env: Env) -> napi::Result<Vec<ClientVerifyingKey>> {
        self.snapshot()
            .verifying_keys()
            .map(|keys| keys.into_iter().map(ClientVerifyingKey).collect())
            .or_throw(&env)
    }

    /// The public key hosts encrypt to: the active key of an `enc` keyring.
    #[napi]
    pub fn encryption_key(&self, env: Env) -> napi::Result<PlatformEncryptionKey> {
        self.snapshot()
            .encryption_key()
            .map(PlatformEncryptionKey)
            .or_throw(&env)
    }

    /// The private keys of an `enc` keyring that may still receive payloads
    /// (every published key).
    #[napi]
    pub fn decryption_keys(
        &self,
        env: Env,
        options: Option<PassphraseOptions>,
    ) -> napi::Result<Vec<PlatformDecryptionKey>> {
        let p = pass(options.unwrap_or_default().passphrase);
        self.snapshot()
            .decryption_keys(p.as_ref())
            .map(|keys| keys.into_iter().map(PlatformDecryptionKey).collect())
            .or_throw(&env)
    }

    /// Rotation, step one: a new key of the active key's algorithm (and
    /// curve), added as pending (published, not used), or with `activate` as the active key
    /// at once.
    #[napi]
    pub fn rotate<'env>(
        &self,
        env: &'env Env,
        options: Option<RotateOptions>,
    ) -> napi::Result<KeyInfo<'env>> {
        let o = options.unwrap_or_default();
        let add = || -> Result<_, Failure> {
            let active = self.snapshot().active().clone();
            // An ECDH keyring keeps its curve.
            let key = match active.ecdh_curve() {
                Some(c) => KeyMaterial::generate_ecdh(active.alg, c)?,
                None => KeyMaterial::generate(active.alg, rsa_size(o.rsa_bits)?)?,
            };
            let p = pass(o.passphrase);
            let activate = o.activate == Some(true);
            self.change(|l| l.add(key, activate, false, p.as_ref(), SystemTime::now()))
        };
        let entry = add().or_throw(env)?;
        info(env, &entry)
    }

    /// Adds a private key made elsewhere (`openssl genrsa 4096`, IBM's key
    /// tool) as pending. A published sample key is refused unless
    /// `allowSampleKey`.
    #[napi(ts_args_type = "pem: string | Buffer, options: ImportOptions")]
    pub fn import_pem<'env>(
        &self,
        env: &'env Env,
        pem: Either<String, Buffer>,
        options: ImportOptions,
    ) -> napi::Result<KeyInfo<'env>> {
        let pem = pem_text(pem);
        let import = || -> Result<_, Failure> {
            let key = KeyMaterial::from_pem(
                pem.expose_secret(),
                key_alg(&options.algorithm)?,
                pass(options.pem_passphrase).as_ref(),
            )?;
            let p = pass(options.passphrase);
            let allow = options.allow_sample_key == Some(true);
            self.change(|l| l.import(key, allow, p.as_ref(), SystemTime::now()))
        };
        let entry = import().or_throw(env)?;
        info(env, &entry)
    }

    /// Rotation, step two (once caches have the new JWKS): makes the pending
    /// key `kid` (or the only pending key) active; the old active key
    /// becomes retiring and stays published for the grace.
    #[napi]
    pub fn promote<'env>(
        &self,
        env: &'env Env,
        options: Option<PromoteOptions>,
    ) -> napi::Result<Promotion<'env>> {
        let o = options.unwrap_or_default();
        let allow = o.allow_sample_key == Some(true);
        let (active, retiring) = self
            .change(|l| l.promote(o.kid.as_deref(), allow, SystemTime::now()))
            .or_throw(env)?;
        Ok(Promotion {
            active: info(env, &active)?,
            retiring: info(env, &retiring)?,
        })
    }

    /// Rotation, step three: moves retiring keys whose grace has passed out
    /// of the JWKS. Returns the kids retired.
    #[napi]
    pub fn retire(&self, env: Env, options: Option<RetireOptions>) -> napi::Result<Vec<String>> {
        let o = options.unwrap_or_default();
        let force = o.force == Some(true);
        self.change(|l| l.retire(o.kid.as_deref(), force, SystemTime::now()))
            .or_throw(&env)
    }

    /// Revokes `kid`: out of the JWKS at once (for a key that may have
    /// leaked). The active key cannot be revoked: rotate with `activate`
    /// first.
    #[napi]
    pub fn revoke<'env>(&self, env: &'env Env, kid: String) -> napi::Result<KeyInfo<'env>> {
        let entry = self
            .change(|l| l.revoke(&kid, SystemTime::now()))
            .or_throw(env)?;
        info(env, &entry)
    }

    /// Deletes the private key files of retired and revoked keys, and files
    /// a crash left behind. Returns the file names removed.
    #[napi]
    pub fn prune(&self, env: Env) -> napi::Result<Vec<String>> {
        self.change(|l| l.prune()).or_throw(&env)
    }
}
