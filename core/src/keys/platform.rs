//! The platform pair: [`PlatformDecryptionKey`] and [`PlatformEncryptionKey`].

use super::jwk::{jwk_from_value, jwks_entry_for, parse_jwks_values, Role};
use super::*;

// ---------------------------------------------------------------------------
// Platform decryption key (private) and encryption key (public).
// ---------------------------------------------------------------------------

/// The curve of an elliptic-curve platform key, for JWE `ECDH-ES`.
///
/// ```
/// use chatseal::EcdhCurve;
/// assert_eq!("X25519".parse::<EcdhCurve>().unwrap(), EcdhCurve::X25519);
/// assert_eq!(EcdhCurve::P256.as_str(), "P-256");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcdhCurve {
    /// NIST P-256 (RFC 7518 §6.2; JWK `kty: EC`).
    P256,
    /// X25519 (RFC 8037; JWK `kty: OKP`).
    X25519,
}

impl EcdhCurve {
    /// The JWK `crv` name: `P-256` or `X25519`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::X25519 => "X25519",
        }
    }

    fn backend(self) -> Curve {
        match self {
            Self::P256 => Curve::P256,
            Self::X25519 => Curve::X25519,
        }
    }

    fn from_backend(c: Curve) -> Self {
        match c {
            Curve::P256 => Self::P256,
            Curve::X25519 => Self::X25519,
        }
    }
}

impl FromStr for EcdhCurve {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "P-256" => Ok(Self::P256),
            "X25519" => Ok(Self::X25519),
            other => Err(Error::misuse(format!(
                "curve `{}` is not offered for ECDH-ES; choose P-256 or X25519",
                truncate_for_message(other)
            ))),
        }
    }
}

impl fmt::Display for EcdhCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a compact-JWE `user_payload` carries its content key to the
/// platform key (the JWE `alg`). The content is always `A256GCM`.
///
/// ```
/// use chatseal::JweAlgorithm;
/// assert_eq!("ECDH-ES+A256KW".parse::<JweAlgorithm>().unwrap(), JweAlgorithm::EcdhEsA256kw);
/// assert_eq!(JweAlgorithm::RsaOaep256.as_str(), "RSA-OAEP-256");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JweAlgorithm {
    /// RSA-OAEP with SHA-256 and MGF1-SHA-256 (RSA keys).
    RsaOaep256,
    /// Ephemeral-static ECDH, the Concat KDF output used directly as the
    /// content key (RFC 7518 §4.6; EC keys).
    EcdhEs,
    /// Ephemeral-static ECDH, the Concat KDF output wrapping a random content
    /// key with AES-256 key wrap (RFC 7518 §4.6; EC keys). The default for
    /// EC keys.
    EcdhEsA256kw,
}

impl JweAlgorithm {
    /// The JOSE `alg` name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RsaOaep256 => "RSA-OAEP-256",
            Self::EcdhEs => "ECDH-ES",
            Self::EcdhEsA256kw => "ECDH-ES+A256KW",
        }
    }

    /// Whether this is an ECDH-ES algorithm (an EC platform key).
    pub fn is_ecdh(&self) -> bool {
        !matches!(self, Self::RsaOaep256)
    }
}

impl FromStr for JweAlgorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "RSA-OAEP-256" => Ok(Self::RsaOaep256),
            "ECDH-ES" => Ok(Self::EcdhEs),
            "ECDH-ES+A256KW" => Ok(Self::EcdhEsA256kw),
            other => Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "JWE key management `{}` is not supported; chatseal uses RSA-OAEP-256, \
                     ECDH-ES and ECDH-ES+A256KW",
                    truncate_for_message(other)
                ),
            )),
        }
    }
}

impl fmt::Display for JweAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The private half of a platform key, RSA or EC.
pub(crate) enum DecryptKind {
    Rsa(OaepDecrypter),
    Ecdh(EcdhPrivate),
}

/// The public half of a platform key, RSA or EC.
#[derive(Clone)]
pub(crate) enum EncryptKind {
    Rsa(OaepEncrypter),
    Ecdh(EcdhPublic),
}

impl EncryptKind {
    fn material(&self) -> PublicMaterial {
        match self {
            Self::Rsa(k) => PublicMaterial::Rsa(k.rsa_public().clone()),
            Self::Ecdh(k) => match k.curve() {
                Curve::P256 => match EcPublic::from_der_or_point(k.bytes()) {
                    Ok(p) => PublicMaterial::Ec(p),
                    // The point was validated when the key was made.
                    Err(_) => PublicMaterial::X25519(k.clone()),
                },
                Curve::X25519 => PublicMaterial::X25519(k.clone()),
            },
        }
    }

    fn default_alg(&self) -> JweAlgorithm {
        match self {
            Self::Rsa(_) => JweAlgorithm::RsaOaep256,
            Self::Ecdh(_) => JweAlgorithm::EcdhEsA256kw,
        }
    }

    fn check_alg(&self, alg: JweAlgorithm) -> Result<()> {
        match (self, alg.is_ecdh()) {
            (Self::Rsa(_), false) | (Self::Ecdh(_), true) => Ok(()),
            (Self::Rsa(_), true) => Err(Error::new(
                ErrorKind::KeyRoleMismatch,
                format!("{alg} needs an EC platform key (P-256 or X25519); this one is RSA"),
            )),
            (Self::Ecdh(k), false) => Err(Error::new(
                ErrorKind::KeyRoleMismatch,
                format!(
                    "{alg} needs an RSA platform key; this one is EC ({})",
                    k.curve().name()
                ),
            )),
        }
    }
}

/// The platform's private key that decrypts `user_payload`: RSA (for
/// `RSA-OAEP-256` JWEs and IBM's `wxo` format) or EC (P-256 or X25519, for
/// `ECDH-ES` and `ECDH-ES+A256KW` JWEs; about ten times cheaper per token).
///
/// # Examples
///
/// ```
/// use chatseal::{PlatformDecryptionKey, RsaKeySize};
///
/// let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048)?;
/// // Give the host only the public half:
/// let for_host = platform.encryption_key().to_spki_pem()?;
/// assert!(for_host.starts_with("-----BEGIN PUBLIC KEY-----"));
///
/// // The elliptic-curve fast path.
/// let ec = chatseal::PlatformDecryptionKey::generate_ecdh(chatseal::EcdhCurve::X25519)?;
/// assert_eq!(ec.encryption_key().jwe_algorithm(), chatseal::JweAlgorithm::EcdhEsA256kw);
/// # Ok::<(), chatseal::Error>(())
/// ```
///
/// # Security
///
/// Decryption failures of any cause are one opaque
/// [`ErrorKind::DecryptionFailed`]: no padding oracle.
#[derive(Clone)]
pub struct PlatformDecryptionKey {
    key: Arc<DecryptKind>,
    public: PlatformEncryptionKey,
}

impl PlatformDecryptionKey {
    /// Generates a new RSA platform key pair (`RSA-OAEP-256`, `wxo`).
    pub fn generate(size: RsaKeySize) -> Result<Self> {
        Self::wrap(DecryptKind::Rsa(OaepDecrypter::generate(size.backend())?))
    }

    /// Generates a new EC platform key pair on `curve` (`ECDH-ES+A256KW`;
    /// see [`PlatformDecryptionKey::with_jwe_algorithm`] for direct
    /// `ECDH-ES`).
    pub fn generate_ecdh(curve: EcdhCurve) -> Result<Self> {
        Self::wrap(DecryptKind::Ecdh(EcdhPrivate::generate(curve.backend())?))
    }

    /// Loads a private key from PEM: PKCS#8 `PRIVATE KEY` (RSA, P-256 or
    /// X25519), PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY` (P-256).
    pub fn from_pem(pem_text: &str) -> Result<Self> {
        let block = pem::decode_labelled(
            pem_text,
            &[
                "PRIVATE KEY",
                "RSA PRIVATE KEY",
                "EC PRIVATE KEY",
                "ENCRYPTED PRIVATE KEY",
            ],
        )?;
        match block.label.as_str() {
            "ENCRYPTED PRIVATE KEY" => Err(Error::new(
                ErrorKind::WrongPassphrase,
                "the private key is encrypted; a passphrase is needed to open it",
            )),
            "RSA PRIVATE KEY" => {
                Self::wrap(DecryptKind::Rsa(OaepDecrypter::from_der(&block.der, true)?))
            }
            "EC PRIVATE KEY" => Self::wrap(DecryptKind::Ecdh(EcdhPrivate::from_der(
                Curve::P256,
                &block.der,
            )?)),
            _ => Self::from_pkcs8_der(&block.der),
        }
    }

    /// Loads an `ENCRYPTED PRIVATE KEY` PEM with `passphrase` (a plain
    /// private key PEM is accepted too).
    pub fn from_encrypted_pem(pem_text: &str, passphrase: &crate::Passphrase) -> Result<Self> {
        match crate::pkcs8enc::open_pem(pem_text, passphrase)? {
            Some(der) => Self::from_pkcs8_der(&der),
            None => Self::from_pem(pem_text),
        }
    }

    /// Loads a PKCS#8 `PrivateKeyInfo` in DER (RSA, P-256 or X25519).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        if Signer::pkcs8_is_ed25519(der) {
            return Err(Error::new(
                ErrorKind::KeyRoleMismatch,
                "the key is an Ed25519 signing key; a platform key is RSA, P-256 or X25519",
            ));
        }
        match EcdhPrivate::curve_of_pkcs8(der) {
            Some(curve) => Self::wrap(DecryptKind::Ecdh(EcdhPrivate::from_der(curve, der)?)),
            None => Self::wrap(DecryptKind::Rsa(OaepDecrypter::from_der(der, false)?)),
        }
    }

    pub(super) fn wrap(key: DecryptKind) -> Result<Self> {
        let public = match &key {
            DecryptKind::Rsa(k) => EncryptKind::Rsa(k.public()?),
            DecryptKind::Ecdh(k) => EncryptKind::Ecdh(k.public().clone()),
        };
        let public = PlatformEncryptionKey::new(public, None, None)?;
        Ok(Self {
            key: Arc::new(key),
            public,
        })
    }

    /// The same EC key for another JWE algorithm (`ECDH-ES` or
    /// `ECDH-ES+A256KW`); an RSA key takes only `RSA-OAEP-256`.
    pub fn with_jwe_algorithm(mut self, alg: JweAlgorithm) -> Result<Self> {
        self.public = self.public.with_jwe_algorithm(alg)?;
        Ok(self)
    }

    /// The same key under another `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Result<Self> {
        self.public = self.public.with_kid(kid)?;
        Ok(self)
    }

    /// The key id (default: RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        self.public.kid()
    }

    /// The RFC 7638 thumbprint of the public key.
    pub fn thumbprint(&self) -> &str {
        self.public.thumbprint()
    }

    /// The public half, to give to hosts.
    pub fn encryption_key(&self) -> &PlatformEncryptionKey {
        &self.public
    }

    /// The private key as PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<SecretString> {
        let der = self.pkcs8()?;
        Ok(SecretString::new(std::mem::take(&mut *pem::encode(
            "PRIVATE KEY",
            &der,
        ))))
    }

    /// The private key as encrypted PKCS#8 PEM (see
    /// [`ClientSigningKey::to_encrypted_pkcs8_pem`]).
    pub fn to_encrypted_pkcs8_pem(&self, passphrase: &crate::Passphrase) -> Result<SecretString> {
        let der = self.pkcs8()?;
        crate::pkcs8enc::seal_pem(&der, passphrase)
    }

    /// The private key as PKCS#8 DER.
    pub fn to_pkcs8_der(&self) -> Result<SecretBytes> {
        Ok(SecretBytes::from(self.pkcs8()?))
    }

    fn pkcs8(&self) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        match &*self.key {
            DecryptKind::Rsa(k) => k.to_pkcs8(),
            DecryptKind::Ecdh(k) => k.to_pkcs8(),
        }
    }

    pub(crate) fn kind(&self) -> &DecryptKind {
        &self.key
    }
}

impl fmt::Debug for PlatformDecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformDecryptionKey")
            .field("kid", &self.kid())
            .field("alg", &self.public.alg)
            .field("private", &"[redacted]")
            .finish()
    }
}

/// The platform's public key that hosts encrypt `user_payload` to: RSA
/// (`RSA-OAEP-256` for `jwe`, RSA-OAEP for IBM's `wxo` format) or EC
/// (`ECDH-ES+A256KW` by default, or `ECDH-ES`, on P-256 or X25519). The key
/// knows its [`JweAlgorithm`], so a host's mint picks it from the key.
#[derive(Clone)]
pub struct PlatformEncryptionKey {
    key: EncryptKind,
    alg: JweAlgorithm,
    kid: String,
    thumbprint: String,
}

impl PlatformEncryptionKey {
    fn new(key: EncryptKind, alg: Option<JweAlgorithm>, kid: Option<String>) -> Result<Self> {
        let alg = alg.unwrap_or_else(|| key.default_alg());
        key.check_alg(alg)?;
        let thumbprint = key.material().thumbprint();
        let kid = match kid {
            Some(k) => {
                check_kid(&k)?;
                k
            }
            None => thumbprint.clone(),
        };
        Ok(Self {
            key,
            alg,
            kid,
            thumbprint,
        })
    }

    fn from_material(
        m: PublicMaterial,
        alg: Option<JweAlgorithm>,
        kid: Option<String>,
    ) -> Result<Self> {
        let key = match m {
            PublicMaterial::Rsa(r) => EncryptKind::Rsa(OaepEncrypter::from_public(&r)?),
            PublicMaterial::Ec(p) => EncryptKind::Ecdh(EcdhPublic::p256(&p)),
            PublicMaterial::X25519(k) => EncryptKind::Ecdh(k),
            PublicMaterial::Ed25519(_) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    "an Ed25519 key signs; the platform encryption key is RSA, P-256 or X25519",
                ))
            }
        };
        Self::new(key, alg, kid)
    }

    /// Loads an SPKI `PUBLIC KEY` PEM (or PKCS#1 `RSA PUBLIC KEY`): RSA,
    /// P-256 or X25519.
    pub fn from_spki_pem(pem_text: &str) -> Result<Self> {
        let block = pem::decode_labelled(pem_text, &["PUBLIC KEY", "RSA PUBLIC KEY"])?;
        Self::from_spki_der(&block.der)
    }

    /// Loads a DER `SubjectPublicKeyInfo` (RSA, P-256 or X25519).
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        Self::from_material(PublicMaterial::from_spki_der(der)?, None, None)
    }

    /// Loads a public JWK: RSA (`alg` `RSA-OAEP-256` or `RSA-OAEP`, or none),
    /// EC P-256 or OKP X25519 (`alg` `ECDH-ES+A256KW`, `ECDH-ES`, or none for
    /// the default `ECDH-ES+A256KW`). `use` other than `enc`, `key_ops`
    /// without `encrypt`/`wrapKey`, another `alg`, or private members are
    /// refused.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        jwk.check_role(Role::Enc)?;
        let alg = match jwk.alg.as_deref() {
            None => None,
            // Hosts encrypt with RSA-OAEP-256 whichever OAEP the JWK names.
            Some("RSA-OAEP-256" | "RSA-OAEP") => Some(JweAlgorithm::RsaOaep256),
            Some(a) => Some(a.parse::<JweAlgorithm>().map_err(|_| {
                Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!(
                        "JWK `alg: {}` is not a key-management algorithm chatseal encrypts \
                         to (RSA-OAEP-256, ECDH-ES, ECDH-ES+A256KW)",
                        truncate_for_message(a)
                    ),
                )
            })?),
        };
        Self::from_material(jwk.public_material()?, alg, jwk.kid.clone())
    }

    /// Loads the one encryption key of a JWKS (entries for signing are
    /// skipped). More than one candidate is ambiguous and refused: name the
    /// key with [`PlatformEncryptionKey::from_jwks_kid`].
    pub fn from_jwks(json: &str) -> Result<Self> {
        let mut found: Vec<Value> = parse_jwks_values(json)?
            .into_iter()
            .filter(|v| jwks_entry_for(v, Role::Enc))
            .collect();
        match found.len() {
            0 => Err(Error::invalid_key("JWKS holds no encryption key")),
            1 => Self::from_jwk(&jwk_from_value(found.remove(0))?),
            n => Err(Error::misuse(format!(
                "JWKS holds {n} encryption keys; name one by kid"
            ))),
        }
    }

    /// Loads the encryption key with `kid` from a JWKS.
    pub fn from_jwks_kid(json: &str, kid: &str) -> Result<Self> {
        let v = parse_jwks_values(json)?
            .into_iter()
            .find(|v| v.get("kid").and_then(Value::as_str) == Some(kid))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::UnknownKeyId,
                    format!("JWKS has no key with kid `{}`", truncate_for_message(kid)),
                )
            })?;
        Self::from_jwk(&jwk_from_value(v)?)
    }

    /// The same key under another `kid`.
    pub fn with_kid(&self, kid: impl Into<String>) -> Result<Self> {
        Self::new(self.key.clone(), Some(self.alg), Some(kid.into()))
    }

    /// The same key for another JWE algorithm (an EC key: `ECDH-ES` or
    /// `ECDH-ES+A256KW`; an RSA key: `RSA-OAEP-256` only).
    pub fn with_jwe_algorithm(&self, alg: JweAlgorithm) -> Result<Self> {
        Self::new(self.key.clone(), Some(alg), Some(self.kid.clone()))
    }

    /// The key id put in the JWE header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The RFC 7638 thumbprint.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The JWE algorithm hosts use with this key.
    pub fn jwe_algorithm(&self) -> JweAlgorithm {
        self.alg
    }

    /// The curve of an EC key; `None` for RSA.
    pub fn curve(&self) -> Option<EcdhCurve> {
        match &self.key {
            EncryptKind::Rsa(_) => None,
            EncryptKind::Ecdh(k) => Some(EcdhCurve::from_backend(k.curve())),
        }
    }

    /// The key size in bits: the RSA modulus, or the curve's (256 for P-256,
    /// 255 for X25519).
    pub fn bits(&self) -> usize {
        match &self.key {
            EncryptKind::Rsa(k) => k.rsa_public().bits(),
            EncryptKind::Ecdh(k) => match k.curve() {
                Curve::P256 => 256,
                Curve::X25519 => 255,
            },
        }
    }

    /// The public key as an SPKI `PUBLIC KEY` PEM.
    pub fn to_spki_pem(&self) -> Result<String> {
        Ok(std::mem::take(&mut *pem::encode(
            "PUBLIC KEY",
            &self.to_spki_der()?,
        )))
    }

    /// The public key as DER `SubjectPublicKeyInfo`.
    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        self.key.material().spki_der()
    }

    /// The public JWK with `kid`, `use: enc` and the key's JWE `alg`.
    pub fn to_jwk(&self) -> Jwk {
        self.key.material().jwk(&self.kid, "enc", self.alg.as_str())
    }

    pub(crate) fn kind(&self) -> &EncryptKind {
        &self.key
    }
}

impl fmt::Debug for PlatformEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformEncryptionKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("bits", &self.bits())
            .finish()
    }
}
