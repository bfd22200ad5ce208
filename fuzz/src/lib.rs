//! What the fuzz targets share: fixed keys (so the seed tokens in
//! `fuzz/corpus/` verify and decrypt), the verifiers built from them, and a
//! keyring folder for the manifest target.
//!
//! The keys are throwaway test keys checked in under `fuzz/keys/`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chatseal::{
    Algorithm, ClientSigningKey, ClientVerifyingKey, PayloadFormat, PlatformDecryptionKey, Verifier,
};

/// The time every seed token is minted at and every target verifies at.
pub const NOW: u64 = 1_800_000_000;
/// The issuer of the seed tokens.
pub const ISS: &str = "https://host.example";
/// The audience of the seed tokens.
pub const AUD: &str = "chat";

const CLIENT_ES256: &str = include_str!("../keys/client-es256.pem");
const CLIENT_RS256: &str = include_str!("../keys/client-rs256.pem");
const PLATFORM: &str = include_str!("../keys/platform-rsa2048.pem");
const PLATFORM_P256: &str = include_str!("../keys/platform-p256.pem");
const PLATFORM_X25519: &str = include_str!("../keys/platform-x25519.pem");

/// [`NOW`] as a `SystemTime`.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

/// The fixed keys.
pub struct Keys {
    /// Client key, ES256, kid `es-1`.
    pub es: ClientSigningKey,
    /// Client key, RS256 (2048 bits), kid `rs-1`.
    pub rs: ClientSigningKey,
    /// Platform key, RSA-2048, default (thumbprint) kid.
    pub platform: PlatformDecryptionKey,
    /// The PEM texts, for seeds.
    pub pems: [&'static str; 3],
    /// EC platform keys for ECDH-ES: P-256 and X25519 (ECDH-ES+A256KW).
    pub platform_ec: [PlatformDecryptionKey; 2],
}

/// The fixed keys, loaded once.
pub fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| Keys {
        es: ClientSigningKey::from_pem(CLIENT_ES256, Algorithm::ES256)
            .and_then(|k| k.with_kid("es-1"))
            .expect("fuzz/keys/client-es256.pem"),
        rs: ClientSigningKey::from_pem(CLIENT_RS256, Algorithm::RS256)
            .and_then(|k| k.with_kid("rs-1"))
            .expect("fuzz/keys/client-rs256.pem"),
        platform: PlatformDecryptionKey::from_pem(PLATFORM)
            .expect("fuzz/keys/platform-rsa2048.pem"),
        pems: [CLIENT_ES256, CLIENT_RS256, PLATFORM],
        platform_ec: [
            PlatformDecryptionKey::from_pem(PLATFORM_P256).expect("fuzz/keys/platform-p256.pem"),
            PlatformDecryptionKey::from_pem(PLATFORM_X25519)
                .expect("fuzz/keys/platform-x25519.pem"),
        ],
    })
}

/// The trusted verifying keys: ES256 and RS256.
pub fn trusted() -> Vec<ClientVerifyingKey> {
    let k = keys();
    vec![k.es.verifying_key().clone(), k.rs.verifying_key().clone()]
}

/// A verifier with the default checks, trusting [`trusted`], decrypting
/// `user_payload` in `format` with the platform key.
pub fn verifier(format: PayloadFormat) -> &'static Verifier {
    static JWE: OnceLock<Verifier> = OnceLock::new();
    static WXO: OnceLock<Verifier> = OnceLock::new();
    let cell = match format {
        PayloadFormat::Jwe => &JWE,
        PayloadFormat::Wxo => &WXO,
    };
    cell.get_or_init(|| {
        Verifier::builder(trusted())
            .issuer(ISS)
            .audience(AUD)
            .decryption_keys([keys().platform.clone()], format)
            .build()
            .expect("verifier")
    })
}

/// A keyring folder (created once per process, under `$CHATSEAL_FUZZ_TMP`
/// or else the temp dir) whose manifest the `keyring_manifest` target
/// overwrites: the ES256 key active, the RS256 key pending, so the key files
/// a manifest may name exist. libFuzzer ends with `exit`, so the folder is
/// left behind: the scripts point `CHATSEAL_FUZZ_TMP` at a folder they
/// remove.
pub fn keyring_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let parent = std::env::var_os("CHATSEAL_FUZZ_TMP")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = parent.join(format!("chatseal-fuzz-keyring-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        make_keyring(&dir);
        dir
    })
}

/// Writes the keyring of [`keyring_dir`] into `dir` (which must not hold
/// one); the seed generator uses it to produce the manifest seeds.
pub fn make_keyring(dir: &Path) {
    use chatseal_keys::{KeyMaterial, Keyring};
    let k = keys();
    Keyring::init(dir, KeyMaterial::Sig(k.es.clone()), None, None, now()).expect("keyring init");
    let mut locked = Keyring::lock(dir).expect("keyring lock");
    locked
        .add(KeyMaterial::Sig(k.rs.clone()), false, false, None, now())
        .expect("keyring add");
}
