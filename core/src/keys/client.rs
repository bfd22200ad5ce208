//! The host's client pair: [`ClientSigningKey`] and [`ClientVerifyingKey`].

use super::jwk::{check_unique_kids, jwk_from_value, jwks_entry_for, parse_jwks_values, Role};
use super::*;

// ---------------------------------------------------------------------------
// Client signing key (private) and verifying key (public).
// ---------------------------------------------------------------------------

/// The host's private key that signs widget tokens (RSA for RS256/PS256,
/// P-256 for ES256). It knows its one algorithm and its `kid`.
///
/// Cloning is cheap (the parsed key is shared).
///
/// # Examples
///
/// ```
/// use chatseal::{Algorithm, ClientSigningKey};
///
/// let key = ClientSigningKey::generate(Algorithm::ES256)?;
/// let pem = key.to_pkcs8_pem()?;              // a SecretString: store it safely
/// let again = ClientSigningKey::from_pem(pem.expose_secret(), Algorithm::ES256)?;
/// assert_eq!(again.kid(), key.kid());          // the RFC 7638 thumbprint
/// println!("{:?}", key);                       // ClientSigningKey { .. [redacted] }
/// # Ok::<(), chatseal::Error>(())
/// ```
///
/// # Security
///
/// The private key lives in aws-lc memory that is wiped when the last clone
/// drops. Exported PEM/DER come back as [`SecretString`]/[`SecretBytes`],
/// which zeroize too; where you write them is up to you (the `chatseal-keys`
/// keyring writes them 0600, atomically).
#[derive(Clone)]
pub struct ClientSigningKey {
    pub(super) signer: Arc<Signer>,
    verifying: ClientVerifyingKey,
}

impl ClientSigningKey {
    /// Generates a new key for `alg`; RSA keys are 3072 bits.
    pub fn generate(alg: Algorithm) -> Result<Self> {
        match alg {
            Algorithm::RS256 | Algorithm::PS256 => Self::generate_rsa(alg, RsaKeySize::default()),
            Algorithm::ES256 => Self::from_signer(Signer::generate_p256()?, alg),
            Algorithm::Ed25519 => Self::from_signer(Signer::generate_ed25519()?, alg),
        }
    }

    /// Generates a new RSA key of `size` for RS256 or PS256.
    pub fn generate_rsa(alg: Algorithm, size: RsaKeySize) -> Result<Self> {
        let padding = rsa_padding(alg)?;
        Self::from_signer(Signer::generate_rsa(size.backend(), padding)?, alg)
    }

    /// Loads a private key from PEM: PKCS#8 `PRIVATE KEY`, PKCS#1
    /// `RSA PRIVATE KEY` (older `openssl genrsa`, IBM's key tool) or SEC1
    /// `EC PRIVATE KEY`. An `ENCRYPTED PRIVATE KEY` needs
    /// [`ClientSigningKey::from_encrypted_pem`].
    pub fn from_pem(pem_text: &str, alg: Algorithm) -> Result<Self> {
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
            "RSA PRIVATE KEY" => Self::from_der_inner(&block.der, alg, true),
            _ => Self::from_der_inner(&block.der, alg, false),
        }
    }

    /// Loads a private key from an `ENCRYPTED PRIVATE KEY` PEM (PKCS#8
    /// PBES2) with `passphrase`. A plain private key PEM is accepted too.
    pub fn from_encrypted_pem(
        pem_text: &str,
        passphrase: &crate::Passphrase,
        alg: Algorithm,
    ) -> Result<Self> {
        let der = crate::pkcs8enc::open_pem(pem_text, passphrase)?;
        match der {
            Some(der) => Self::from_pkcs8_der(&der, alg),
            None => Self::from_pem(pem_text, alg),
        }
    }

    /// Loads a PKCS#8 `PrivateKeyInfo` in DER.
    pub fn from_pkcs8_der(der: &[u8], alg: Algorithm) -> Result<Self> {
        Self::from_der_inner(der, alg, false)
    }

    fn from_der_inner(der: &[u8], alg: Algorithm, pkcs1: bool) -> Result<Self> {
        let ed25519 = !pkcs1 && Signer::pkcs8_is_ed25519(der);
        if alg == Algorithm::Ed25519 || ed25519 {
            return match (alg, ed25519) {
                (Algorithm::Ed25519, true) => {
                    Self::from_signer(Signer::ed25519_from_der(der)?, alg)
                }
                (Algorithm::Ed25519, false) => Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    "the key is not an Ed25519 key, but Ed25519 needs one",
                )),
                (other, _) => Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!("the key is an Ed25519 key, but {other} needs another kind"),
                )),
            };
        }
        let signer = if alg.is_rsa() {
            match Signer::rsa_from_der(der, pkcs1, rsa_padding(alg)?) {
                Err(e)
                    if e.kind() == ErrorKind::KeyRoleMismatch
                        || e.kind() == ErrorKind::InvalidKey =>
                {
                    if Signer::p256_from_der(der).is_ok() {
                        return Err(Error::new(
                            ErrorKind::KeyRoleMismatch,
                            format!("the key is an EC key, but {alg} needs an RSA key"),
                        ));
                    }
                    return Err(e);
                }
                other => other?,
            }
        } else {
            match Signer::p256_from_der(der) {
                Err(e)
                    if !pkcs1
                        && Signer::rsa_from_der(der, false, RsaPadding::Pkcs1Sha256).is_ok() =>
                {
                    drop(e);
                    return Err(Error::new(
                        ErrorKind::KeyRoleMismatch,
                        "the key is an RSA key, but ES256 needs a P-256 key",
                    ));
                }
                other => other?,
            }
        };
        Self::from_signer(signer, alg)
    }

    pub(super) fn from_signer(signer: Signer, alg: Algorithm) -> Result<Self> {
        let public = if let Some(r) = signer.rsa_public() {
            PublicMaterial::Rsa(r)
        } else if let Some(p) = signer.ec_public() {
            PublicMaterial::Ec(p)
        } else if let Some(k) = signer.ed25519_public() {
            PublicMaterial::Ed25519(k)
        } else {
            return Err(Error::internal("public key extraction"));
        };
        let verifying = ClientVerifyingKey::new(public, Some(alg), None)?;
        Ok(Self {
            signer: Arc::new(signer),
            verifying,
        })
    }

    /// The same key under another `kid` (the default is the RFC 7638
    /// thumbprint).
    pub fn with_kid(mut self, kid: impl Into<String>) -> Result<Self> {
        self.verifying = self.verifying.with_kid(kid)?;
        Ok(self)
    }

    /// The key id put in every token's header.
    pub fn kid(&self) -> &str {
        self.verifying.kid()
    }

    /// The one algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.verifying.algorithm()
    }

    /// The public half, to register with the platform.
    pub fn verifying_key(&self) -> &ClientVerifyingKey {
        &self.verifying
    }

    /// The RFC 7638 thumbprint of the public key.
    pub fn thumbprint(&self) -> &str {
        self.verifying.thumbprint()
    }

    /// The private key as PKCS#8 PEM (`PRIVATE KEY`).
    pub fn to_pkcs8_pem(&self) -> Result<SecretString> {
        let der = self.signer.to_pkcs8()?;
        Ok(SecretString::new(std::mem::take(&mut *pem::encode(
            "PRIVATE KEY",
            &der,
        ))))
    }

    /// The private key as PKCS#8 PEM encrypted under `passphrase`
    /// (`ENCRYPTED PRIVATE KEY`, PBES2 with PBKDF2-SHA256 and AES-256-CBC;
    /// `openssl pkey` reads it).
    pub fn to_encrypted_pkcs8_pem(&self, passphrase: &crate::Passphrase) -> Result<SecretString> {
        let der = self.signer.to_pkcs8()?;
        crate::pkcs8enc::seal_pem(&der, passphrase)
    }

    /// The private key as PKCS#8 DER.
    pub fn to_pkcs8_der(&self) -> Result<SecretBytes> {
        Ok(SecretBytes::from(self.signer.to_pkcs8()?))
    }

    /// Signs `message` (the JWS signing input).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.signer.sign(message)
    }
}

impl fmt::Debug for ClientSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSigningKey")
            .field("alg", &self.algorithm())
            .field("kid", &self.kid())
            .field("private", &"[redacted]")
            .finish()
    }
}

pub(super) fn rsa_padding(alg: Algorithm) -> Result<RsaPadding> {
    match alg {
        Algorithm::RS256 => Ok(RsaPadding::Pkcs1Sha256),
        Algorithm::PS256 => Ok(RsaPadding::PssSha256),
        Algorithm::ES256 => Err(Error::misuse("ES256 uses a P-256 key, not RSA")),
        Algorithm::Ed25519 => Err(Error::misuse("Ed25519 uses an Ed25519 key, not RSA")),
    }
}

struct VerifyingInner {
    /// The algorithm the key states, or its type's default (RS256, ES256).
    alg: Algorithm,
    /// Whether `alg` was stated (a JWK's `alg`, a PEM loaded for one
    /// algorithm, a keyring entry) rather than defaulted from the key type.
    stated: bool,
    /// The key id its owner gave it (a JWK's `kid`, `with_kid`, a keyring).
    declared_kid: Option<String>,
    thumbprint: String,
    public: PublicMaterial,
    /// One parsed verifier per algorithm the key may be used with: the
    /// stated one only, or every algorithm that fits the key type.
    verifiers: Vec<(Algorithm, SigVerifier)>,
}

/// The host's public key that verifies its tokens: what the platform trusts.
///
/// A key has two names. Its **thumbprint** (RFC 7638) is always there and
/// names this key material and no other. Its **declared kid** is the one
/// its owner gave it (a JWK's `kid`, [`ClientVerifyingKey::with_kid`], a
/// keyring); a key loaded from PEM or from a JWK without `kid` has none.
/// A [`Verifier`](crate::Verifier) picks keys by the token's `kid` as
/// follows: a key that declares that kid, else a key with that thumbprint,
/// else the keys that declare no kid (the kid is only a hint, RFC 7515
/// §4.1.4; the signature decides).
///
/// A key either **states** its algorithm (loaded for one algorithm, or a JWK
/// with `alg`) and is used with that one only, or states none (a JWK
/// without `alg`, [`ClientVerifyingKey::from_spki_pem_without_alg`]) and may
/// be used with every algorithm of the verifier's
/// [`algorithms`](crate::VerifierBuilder::algorithms) that fits its type
/// (RS256 and PS256 for RSA, ES256 for P-256). Cloning is cheap.
///
/// # Examples
///
/// ```
/// use chatseal::{Algorithm, ClientSigningKey, ClientVerifyingKey};
///
/// let key = ClientSigningKey::generate(Algorithm::ES256)?;
/// let pem = key.verifying_key().to_spki_pem()?;
/// let public = ClientVerifyingKey::from_spki_pem(&pem, Algorithm::ES256)?;
/// let jwk = public.to_jwk();
/// assert_eq!(jwk.alg.as_deref(), Some("ES256"));
/// assert_eq!(jwk.use_.as_deref(), Some("sig"));
/// assert_eq!(public.declared_kid(), None);          // a PEM names no kid
/// assert_eq!(public.kid(), public.thumbprint());    // so the thumbprint stands in
/// # Ok::<(), chatseal::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientVerifyingKey(Arc<VerifyingInner>);

impl ClientVerifyingKey {
    /// A key for `alg` (stated) or, with `alg` `None`, for every algorithm
    /// that fits the key type (its default first).
    fn new(public: PublicMaterial, alg: Option<Algorithm>, kid: Option<String>) -> Result<Self> {
        let fitting: &[Algorithm] = match &public {
            PublicMaterial::Rsa(_) => &[Algorithm::RS256, Algorithm::PS256],
            PublicMaterial::Ec(_) => &[Algorithm::ES256],
            PublicMaterial::Ed25519(_) => &[Algorithm::Ed25519],
            PublicMaterial::X25519(_) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    "an X25519 key is a platform encryption key (ECDH-ES); it cannot verify \
                     signatures",
                ))
            }
        };
        let algs: Vec<Algorithm> = match alg {
            Some(a) if fitting.contains(&a) => vec![a],
            Some(a) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!("the key ({}) cannot be used with {a}", public.describe()),
                ))
            }
            None => fitting.to_vec(),
        };
        let verifiers = algs
            .iter()
            .map(|&a| {
                let v = match &public {
                    PublicMaterial::Rsa(r) => SigVerifier::rsa(r, a.sig_alg())?,
                    PublicMaterial::Ec(p) => SigVerifier::p256(p)?,
                    PublicMaterial::Ed25519(k) => SigVerifier::ed25519(k)?,
                    PublicMaterial::X25519(_) => {
                        return Err(Error::internal("X25519 key as a signature key"))
                    }
                };
                Ok((a, v))
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(k) = &kid {
            check_kid(k)?;
        }
        Ok(Self(Arc::new(VerifyingInner {
            alg: algs[0],
            stated: alg.is_some(),
            declared_kid: kid,
            thumbprint: public.thumbprint(),
            public,
            verifiers,
        })))
    }

    /// Loads an SPKI `PUBLIC KEY` PEM (PKCS#1 `RSA PUBLIC KEY` is accepted
    /// too) for `alg`.
    pub fn from_spki_pem(pem_text: &str, alg: Algorithm) -> Result<Self> {
        let block = pem::decode_labelled(pem_text, &["PUBLIC KEY", "RSA PUBLIC KEY"])?;
        Self::from_spki_der(&block.der, alg)
    }

    /// Loads a DER `SubjectPublicKeyInfo` for `alg`.
    pub fn from_spki_der(der: &[u8], alg: Algorithm) -> Result<Self> {
        Self::new(PublicMaterial::from_spki_der(der)?, Some(alg), None)
    }

    /// Loads an SPKI `PUBLIC KEY` PEM (or PKCS#1 `RSA PUBLIC KEY`) that
    /// states no algorithm, as a platform receives a host's uploaded key.
    /// The verifier's [`algorithms`](crate::VerifierBuilder::algorithms)
    /// decide which of the algorithms that fit the key type it verifies
    /// (RS256 and PS256 for RSA, ES256 for P-256); without that call, only
    /// the type's default (RS256, ES256).
    ///
    /// ```
    /// use chatseal::{Algorithm, ClientSigningKey, ClientVerifyingKey};
    ///
    /// let host = ClientSigningKey::generate_rsa(Algorithm::PS256, chatseal::RsaKeySize::Rsa2048)?;
    /// let pem = host.verifying_key().to_spki_pem()?;
    /// let key = ClientVerifyingKey::from_spki_pem_without_alg(&pem)?;
    /// assert_eq!(key.stated_algorithm(), None);
    /// assert!(key.fits(Algorithm::PS256) && key.fits(Algorithm::RS256));
    /// assert!(!key.fits(Algorithm::ES256));
    /// # Ok::<(), chatseal::Error>(())
    /// ```
    pub fn from_spki_pem_without_alg(pem_text: &str) -> Result<Self> {
        let block = pem::decode_labelled(pem_text, &["PUBLIC KEY", "RSA PUBLIC KEY"])?;
        Self::from_spki_der_without_alg(&block.der)
    }

    /// Loads a DER `SubjectPublicKeyInfo` that states no algorithm (see
    /// [`ClientVerifyingKey::from_spki_pem_without_alg`]).
    pub fn from_spki_der_without_alg(der: &[u8]) -> Result<Self> {
        Self::new(PublicMaterial::from_spki_der(der)?, None, None)
    }

    /// Loads a public JWK. A JWK with `alg` is for that algorithm only; one
    /// without `alg` states none (see the type's docs: the verifier's
    /// algorithms decide; by default an RSA key is RS256, an EC key ES256).
    /// Its `kid`, if any, is the key's declared kid. A `use` other than
    /// `sig`, `key_ops` without `verify`, or private members are refused.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        jwk.check_role(Role::Sig)?;
        let public = jwk.public_material()?;
        let alg = match jwk.alg.as_deref() {
            Some(a) => Some(a.parse::<Algorithm>().map_err(|e| {
                Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!("JWK `alg` is not a signature algorithm chatseal verifies: {e}"),
                )
            })?),
            None => None,
        };
        Self::new(public, alg, jwk.kid.clone())
    }

    /// Loads a public JWK for exactly `alg`: a JWK whose own `alg` differs is
    /// refused.
    pub fn from_jwk_with_alg(jwk: &Jwk, alg: Algorithm) -> Result<Self> {
        if let Some(a) = jwk.alg.as_deref() {
            if a != alg.as_str() {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!(
                        "JWK is for `{}` but is loaded for {alg}",
                        truncate_for_message(a)
                    ),
                ));
            }
        }
        let mut jwk = jwk.clone();
        jwk.alg = Some(alg.as_str().to_owned());
        Self::from_jwk(&jwk)
    }

    /// Loads every signature key of a JWKS document. Entries meant for
    /// encryption or of unknown key types are skipped (RFC 7517 §5); a set
    /// with private members, duplicate `kid`s or no usable key is refused.
    pub fn from_jwks(json: &str) -> Result<Vec<Self>> {
        let mut out = Vec::new();
        for v in parse_jwks_values(json)? {
            if !jwks_entry_for(&v, Role::Sig) {
                continue;
            }
            out.push(Self::from_jwk(&jwk_from_value(v)?)?);
        }
        if out.is_empty() {
            return Err(Error::invalid_key(
                "JWKS holds no signature key chatseal can use",
            ));
        }
        // Unique by the name each key is published under (its declared kid,
        // else its thumbprint): a set with two kid-less copies of one key
        // could not be written back out as a valid set (found by the
        // jwk_parse fuzz target).
        check_unique_kids(out.iter().map(|k| k.kid()))?;
        Ok(out)
    }

    /// The same key with `kid` as its declared kid.
    pub fn with_kid(&self, kid: impl Into<String>) -> Result<Self> {
        Self::new(
            self.0.public.clone(),
            self.stated_algorithm(),
            Some(kid.into()),
        )
    }

    /// The key id written to JWKs and token headers: the declared kid, or
    /// the thumbprint when the key declares none.
    pub fn kid(&self) -> &str {
        self.0.declared_kid.as_deref().unwrap_or(&self.0.thumbprint)
    }

    /// The kid the key's owner gave it, if any (`None` for a key loaded from
    /// PEM or from a JWK without `kid`).
    pub fn declared_kid(&self) -> Option<&str> {
        self.0.declared_kid.as_deref()
    }

    /// The key's algorithm: the one it states, or its type's default (RS256
    /// for RSA, ES256 for P-256) when it states none. A verifier built
    /// without [`algorithms`](crate::VerifierBuilder::algorithms) accepts
    /// exactly its keys' algorithms.
    pub fn algorithm(&self) -> Algorithm {
        self.0.alg
    }

    /// The algorithm the key states, if it states one.
    pub fn stated_algorithm(&self) -> Option<Algorithm> {
        self.0.stated.then_some(self.0.alg)
    }

    /// Whether a token signed with `alg` may be checked with this key: its
    /// stated algorithm, or, when it states none, any algorithm that fits
    /// its type.
    pub fn fits(&self, alg: Algorithm) -> bool {
        self.0.verifiers.iter().any(|(a, _)| *a == alg)
    }

    /// The RFC 7638 thumbprint.
    pub fn thumbprint(&self) -> &str {
        &self.0.thumbprint
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
        self.0.public.spki_der()
    }

    /// The public JWK with `kid` (see [`ClientVerifyingKey::kid`]),
    /// `use: sig`, and `alg` when the key states one.
    pub fn to_jwk(&self) -> Jwk {
        let mut jwk = self.0.public.jwk(self.kid(), "sig", self.0.alg.as_str());
        if !self.0.stated {
            jwk.alg = None;
        }
        jwk
    }

    /// A JWKS of `keys`.
    pub fn to_jwks<'a>(keys: impl IntoIterator<Item = &'a ClientVerifyingKey>) -> Jwks {
        Jwks {
            keys: keys.into_iter().map(ClientVerifyingKey::to_jwk).collect(),
        }
    }

    /// Whether `sig` is a valid `alg` signature of `message` under this key
    /// (false for an algorithm the key does not fit).
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
        self.0
            .verifiers
            .iter()
            .any(|(a, v)| *a == alg && v.verify(message, sig))
    }
}

impl fmt::Debug for ClientVerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientVerifyingKey")
            .field("alg", &self.stated_algorithm())
            .field("kid", &self.kid())
            .field("declared_kid", &self.declared_kid().is_some())
            .field("key", &self.0.public.describe())
            .finish()
    }
}

/// Equal: the same key material, the same stated algorithm (or none) and
/// the same [`ClientVerifyingKey::kid`].
impl PartialEq for ClientVerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.stated_algorithm() == other.stated_algorithm()
            && self.0.alg == other.0.alg
            && self.kid() == other.kid()
            && self.0.public == other.0.public
    }
}
