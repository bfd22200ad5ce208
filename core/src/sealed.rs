//! Configuration encrypted at rest: a tenant document sealed with
//! AES-256-GCM under a key derived by HKDF-SHA256 from a base secret and a
//! per-purpose secret (the `EncryptionKeys.BaseSecret` +
//! `UniqueSecrets.TenantOidcSecretKey` scheme of multi-tenant platforms).
//!
//! The envelope is text: `chatseal-sealed-v1:` followed by base64url of
//! `nonce (12 bytes) || ciphertext || tag (16 bytes)`. The nonce is random
//! for every seal; the version prefix is authenticated as associated data.

use zeroize::Zeroizing;

use crate::backend;
use crate::encoding::{b64url, b64url_decode};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::{SecretBytes, SecretString};

/// The prefix of every sealed configuration this version writes.
pub const SEALED_PREFIX: &str = "chatseal-sealed-v1:";

/// Shortest secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// Largest document that can be sealed, in bytes.
const MAX_SEALED_PLAINTEXT: usize = 1024 * 1024;

/// HKDF `info`: binds the derived key to this use and version.
const KDF_INFO: &[u8] = b"chatseal sealed config v1";

/// The one message for a sealed document that does not open.
pub const KEYS_CHANGED_MESSAGE: &str =
    "the encryption keys may have changed; re-save the configuration";

/// The two secrets a sealed configuration is encrypted under.
///
/// The AES-256-GCM key is HKDF-SHA256 with the per-purpose secret as salt,
/// the base secret as input key material and `chatseal sealed config v1` as
/// info. Both secrets are required (at least 16 bytes each); one base secret
/// can serve several purposes, each with its own purpose secret, and the
/// derived keys are unrelated.
///
/// ```
/// use chatseal::{seal_config, unseal_config, ConfigKeys, SecretString};
///
/// let keys = ConfigKeys::new(
///     SecretString::new("base-secret-from-the-vault-0001"),
///     SecretString::new("tenant-oidc-secret-key-0001"),
/// )?;
/// let sealed = seal_config(r#"{"tenantId":"acme"}"#, &keys)?;
/// assert!(sealed.starts_with("chatseal-sealed-v1:"));
/// assert_eq!(unseal_config(&sealed, &keys)?, r#"{"tenantId":"acme"}"#);
///
/// let rotated = ConfigKeys::new(
///     SecretString::new("another-base-secret-000000001"),
///     SecretString::new("tenant-oidc-secret-key-0001"),
/// )?;
/// let err = unseal_config(&sealed, &rotated).unwrap_err();
/// assert_eq!(err.to_string(), "the encryption keys may have changed; re-save the configuration");
/// # Ok::<(), chatseal::Error>(())
/// ```
///
/// # Security
///
/// The secrets come from the environment or files readable only by the
/// service, never from argv. Rotating either secret makes every sealed
/// document unreadable: unseal with the old keys and seal with the new ones.
#[derive(Clone)]
pub struct ConfigKeys {
    base: SecretBytes,
    purpose: SecretBytes,
}

impl std::fmt::Debug for ConfigKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfigKeys([redacted])")
    }
}

fn check_secret(what: &str, s: &[u8]) -> Result<()> {
    if s.len() < MIN_SECRET_LEN {
        return Err(Error::new(
            ErrorKind::WeakKey,
            format!(
                "the {what} is {} bytes; at least {MIN_SECRET_LEN} are required",
                s.len()
            ),
        ));
    }
    Ok(())
}

impl ConfigKeys {
    /// The base secret and the per-purpose secret, as text.
    pub fn new(base_secret: SecretString, purpose_secret: SecretString) -> Result<Self> {
        Self::from_bytes(
            SecretBytes::new(base_secret.expose_secret().as_bytes().to_vec()),
            SecretBytes::new(purpose_secret.expose_secret().as_bytes().to_vec()),
        )
    }

    /// The base secret and the per-purpose secret, as bytes.
    pub fn from_bytes(base_secret: SecretBytes, purpose_secret: SecretBytes) -> Result<Self> {
        check_secret("base secret", base_secret.expose_secret())?;
        check_secret("purpose secret", purpose_secret.expose_secret())?;
        Ok(Self {
            base: base_secret,
            purpose: purpose_secret,
        })
    }

    /// Reads both secrets from environment variables, for example
    /// `EncryptionKeys__BaseSecret` and
    /// `EncryptionKeys__UniqueSecrets__TenantOidcSecretKey`. A missing or
    /// non-UTF-8 variable is an [`ErrorKind::InvalidConfig`] naming the
    /// variable (never its value).
    pub fn from_env(base_var: &str, purpose_var: &str) -> Result<Self> {
        let read = |name: &str| {
            std::env::var(name).map(SecretString::new).map_err(|_| {
                Error::new(
                    ErrorKind::InvalidConfig,
                    format!("environment variable `{name}` is not set (or not UTF-8)"),
                )
            })
        };
        Self::new(read(base_var)?, read(purpose_var)?)
    }

    /// Reads both secrets from files (for example mounted secrets), each
    /// holding the secret as text; one trailing newline is ignored. An
    /// unreadable file is an [`ErrorKind::Io`] naming the path (never the
    /// content); files above 4 KiB are refused.
    pub fn from_files(
        base_path: impl AsRef<std::path::Path>,
        purpose_path: impl AsRef<std::path::Path>,
    ) -> Result<Self> {
        fn read(path: &std::path::Path) -> Result<SecretString> {
            use std::io::Read;
            let io = |e: std::io::Error| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot read secret file {}: {e}", path.display()),
                )
            };
            let mut raw = Zeroizing::new(Vec::new());
            std::fs::File::open(path)
                .map_err(io)?
                .take(4097)
                .read_to_end(&mut raw)
                .map_err(io)?;
            if raw.len() > 4096 {
                return Err(Error::new(
                    ErrorKind::InvalidConfig,
                    format!("secret file {} is larger than 4 KiB", path.display()),
                ));
            }
            let mut text = std::str::from_utf8(&raw).map_err(|_| {
                Error::new(
                    ErrorKind::InvalidConfig,
                    format!("secret file {} is not UTF-8 text", path.display()),
                )
            })?;
            text = text
                .strip_suffix("\r\n")
                .or_else(|| text.strip_suffix('\n'))
                .unwrap_or(text);
            Ok(SecretString::new(text))
        }
        Self::new(read(base_path.as_ref())?, read(purpose_path.as_ref())?)
    }

    fn derive(&self) -> Result<Zeroizing<[u8; 32]>> {
        let mut key = Zeroizing::new([0u8; 32]);
        backend::hkdf_sha256(
            self.purpose.expose_secret(),
            self.base.expose_secret(),
            KDF_INFO,
            &mut key[..],
        )?;
        Ok(key)
    }
}

/// Encrypts `plaintext` (a tenant document) under `keys`. Every call uses a
/// fresh random nonce, so sealing twice gives two different envelopes.
pub fn seal_config(plaintext: &str, keys: &ConfigKeys) -> Result<String> {
    if plaintext.len() > MAX_SEALED_PLAINTEXT {
        return Err(Error::new(
            ErrorKind::InvalidConfig,
            format!("the document is larger than {MAX_SEALED_PLAINTEXT} bytes"),
        ));
    }
    let key = keys.derive()?;
    let mut nonce = [0u8; 12];
    backend::fill_random(&mut nonce)?;
    let (ct, tag) = backend::aes256gcm_seal(
        &key[..],
        &nonce,
        SEALED_PREFIX.as_bytes(),
        plaintext.as_bytes(),
    )?;
    let mut body = Vec::with_capacity(12 + ct.len() + 16);
    body.extend_from_slice(&nonce);
    body.extend_from_slice(&ct);
    body.extend_from_slice(&tag);
    Ok(format!("{SEALED_PREFIX}{}", b64url(&body)))
}

/// Decrypts an envelope written by [`seal_config`].
///
/// Text that is not a chatseal envelope is an [`ErrorKind::InvalidConfig`].
/// An envelope that does not open — other secrets, or altered bytes — is an
/// [`ErrorKind::ConfigKeysChanged`] with exactly the message
/// [`KEYS_CHANGED_MESSAGE`]; nothing is ever returned that did not
/// authenticate.
pub fn unseal_config(sealed: &str, keys: &ConfigKeys) -> Result<String> {
    let sealed = sealed.trim();
    let Some(body) = sealed.strip_prefix(SEALED_PREFIX) else {
        if sealed.starts_with("chatseal-sealed-") {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                "the sealed configuration is of a version this chatseal does not read \
                 (it reads chatseal-sealed-v1)",
            ));
        }
        return Err(Error::new(
            ErrorKind::InvalidConfig,
            "this is not a sealed chatseal configuration (no `chatseal-sealed-v1:` prefix)",
        ));
    };
    let bytes = b64url_decode(body, "sealed configuration").map_err(|_| {
        Error::new(
            ErrorKind::InvalidConfig,
            "the sealed configuration is not strict base64url after its prefix",
        )
    })?;
    if bytes.len() < 12 + 16 {
        return Err(Error::new(
            ErrorKind::InvalidConfig,
            "the sealed configuration is too short to hold a nonce and a tag",
        ));
    }
    let (nonce, rest) = bytes.split_at(12);
    let (ct, tag) = rest.split_at(rest.len() - 16);
    let key = keys.derive()?;
    let plain = backend::aes256gcm_open(&key[..], nonce, SEALED_PREFIX.as_bytes(), ct, tag)
        .map_err(|_| Error::new(ErrorKind::ConfigKeysChanged, KEYS_CHANGED_MESSAGE))?;
    String::from_utf8(plain.to_vec()).map_err(|_| {
        Error::new(
            ErrorKind::InvalidConfig,
            "the sealed configuration is not UTF-8 text",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(base: &str, purpose: &str) -> ConfigKeys {
        ConfigKeys::new(SecretString::new(base), SecretString::new(purpose)).unwrap()
    }

    #[test]
    fn round_trip_and_fresh_nonce() {
        let k = keys("0123456789abcdef-base", "0123456789abcdef-purpose");
        let a = seal_config("{\"tenantId\":\"t\"}", &k).unwrap();
        let b = seal_config("{\"tenantId\":\"t\"}", &k).unwrap();
        assert_ne!(a, b);
        assert_eq!(unseal_config(&a, &k).unwrap(), "{\"tenantId\":\"t\"}");
        assert_eq!(
            unseal_config(&format!("{b}\n"), &k).unwrap(),
            "{\"tenantId\":\"t\"}"
        );
    }

    #[test]
    fn changed_secrets_give_the_one_message() {
        let k = keys("0123456789abcdef-base", "0123456789abcdef-purpose");
        let sealed = seal_config("doc", &k).unwrap();
        for other in [
            keys("0123456789abcdef-basX", "0123456789abcdef-purpose"),
            keys("0123456789abcdef-base", "0123456789abcdef-purposX"),
            // Swapping the two secrets derives another key.
            keys("0123456789abcdef-purpose", "0123456789abcdef-base"),
        ] {
            let e = unseal_config(&sealed, &other).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConfigKeysChanged);
            assert_eq!(e.message(), KEYS_CHANGED_MESSAGE);
        }
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let k = keys("0123456789abcdef-base", "0123456789abcdef-purpose");
        let sealed = seal_config("a tenant document", &k).unwrap();
        let body = b64url_decode(&sealed[SEALED_PREFIX.len()..], "t").unwrap();
        for i in 0..body.len() {
            let mut b = body.clone();
            b[i] ^= 0x01;
            let e = unseal_config(&format!("{SEALED_PREFIX}{}", b64url(&b)), &k).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConfigKeysChanged, "byte {i}");
        }
        // Truncation is refused too.
        let e = unseal_config(&sealed[..sealed.len() - 4], &k).unwrap_err();
        assert!(matches!(
            e.kind(),
            ErrorKind::ConfigKeysChanged | ErrorKind::InvalidConfig
        ));
    }

    #[test]
    fn not_an_envelope() {
        let k = keys("0123456789abcdef-base", "0123456789abcdef-purpose");
        for bad in [
            "",
            "{\"tenantId\":\"t\"}",
            "chatseal-sealed-v2:AAAA",
            "chatseal-sealed-v1:AA==",
        ] {
            assert_eq!(
                unseal_config(bad, &k).unwrap_err().kind(),
                ErrorKind::InvalidConfig,
                "{bad}"
            );
        }
    }

    #[test]
    fn keys_from_files_ignore_one_trailing_newline() {
        let dir = std::env::temp_dir().join(format!("chatseal-sealed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (b, p) = (dir.join("base"), dir.join("purpose"));
        std::fs::write(&b, "0123456789abcdef-base\n").unwrap();
        std::fs::write(&p, "0123456789abcdef-purpose").unwrap();
        let from_files = ConfigKeys::from_files(&b, &p).unwrap();
        let sealed = seal_config("doc", &from_files).unwrap();
        let direct = keys("0123456789abcdef-base", "0123456789abcdef-purpose");
        assert_eq!(unseal_config(&sealed, &direct).unwrap(), "doc");
        let e = ConfigKeys::from_files(dir.join("missing"), &p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        std::fs::write(&b, vec![b'x'; 5000]).unwrap();
        let e = ConfigKeys::from_files(&b, &p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(!e.message().contains("xxxx"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn short_secrets_are_refused_and_debug_is_redacted() {
        let e = ConfigKeys::new(
            SecretString::new("short"),
            SecretString::new("0123456789abcdef"),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WeakKey);
        assert!(!e.message().contains("short"));
        let k = keys("0123456789abcdef-base", "0123456789abcdef-purpose");
        assert_eq!(format!("{k:?}"), "ConfigKeys([redacted])");
    }
}
