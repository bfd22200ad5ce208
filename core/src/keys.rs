//! Key types. Two roles, two families:
//!
//! - the host's **client** pair signs tokens: [`ClientSigningKey`] (private)
//!   and [`ClientVerifyingKey`] (public);
//! - the **platform** pair keeps the sso_token secret:
//!   [`PlatformDecryptionKey`] (private) and [`PlatformEncryptionKey`]
//!   (public).
//!
//! The four are distinct types, so one role's key cannot be passed where the
//! other's is expected.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::{fmt, str::FromStr, sync::Arc};

use crate::backend::{
    self, EcPublic, OaepDecrypter, OaepEncrypter, RsaBits, RsaPadding, RsaPublic, SigAlg,
    SigVerifier, Signer,
};
use crate::encoding::{b64url, b64url_decode, parse_value};
use crate::error::{Error, ErrorKind, Result};
use crate::pem;
use crate::secret::{SecretBytes, SecretString};

/// A signature algorithm chatseal signs and verifies with.
///
/// Only asymmetric algorithms exist here: `none` and the HMAC family are not
/// representable, so they cannot be allowed by mistake.
///
/// ```
/// use chatseal::{Algorithm, ErrorKind};
/// assert_eq!("PS256".parse::<Algorithm>().unwrap(), Algorithm::PS256);
/// assert_eq!("none".parse::<Algorithm>().unwrap_err().kind(), ErrorKind::AlgorithmNone);
/// assert_eq!("HS256".parse::<Algorithm>().unwrap_err().kind(), ErrorKind::HmacAlgorithm);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256, 32-byte salt.
    PS256,
    /// ECDSA on P-256 with SHA-256, signature as r‖s.
    ES256,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 3] = [Algorithm::RS256, Algorithm::PS256, Algorithm::ES256];

    /// The JOSE name, e.g. `RS256`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::ES256 => "ES256",
        }
    }

    fn sig_alg(self) -> SigAlg {
        match self {
            Self::RS256 => SigAlg::Rs256,
            Self::PS256 => SigAlg::Ps256,
            Self::ES256 => SigAlg::Es256,
        }
    }

    fn is_rsa(self) -> bool {
        !matches!(self, Self::ES256)
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses a JOSE `alg` name (exact, case-sensitive as RFC 7515 requires).
    /// `none` in any casing and HMAC names get their own error kinds.
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "RS256" => Ok(Self::RS256),
            "PS256" => Ok(Self::PS256),
            "ES256" => Ok(Self::ES256),
            n if n.eq_ignore_ascii_case("none") => Err(Error::new(
                ErrorKind::AlgorithmNone,
                "algorithm `none` (unsigned token) is never accepted",
            )),
            n if n.len() <= 8 && n.to_ascii_uppercase().starts_with("HS") => Err(Error::new(
                ErrorKind::HmacAlgorithm,
                format!(
                    "HMAC algorithm `{n}` is never accepted; chatseal verifies only \
                     RS256, PS256 and ES256"
                ),
            )),
            n => Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "algorithm `{}` is not supported; chatseal signs and verifies RS256, \
                     PS256 and ES256",
                    truncate_for_message(n)
                ),
            )),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Cuts attacker-controlled text shown in a message to a readable length.
pub(crate) fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 64;
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(MAX)
        .collect();
    if s.chars().count() > MAX {
        format!("{clean}...")
    } else {
        clean
    }
}

/// The size of a newly generated RSA key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RsaKeySize {
    /// 2048 bits: the minimum, fastest.
    Rsa2048,
    /// 3072 bits: the default (NIST's choice beyond 2030).
    #[default]
    Rsa3072,
    /// 4096 bits: what IBM's key tool generates.
    Rsa4096,
}

impl RsaKeySize {
    /// From a bit count: 2048, 3072 or 4096.
    pub fn from_bits(bits: u32) -> Result<Self> {
        match bits {
            2048 => Ok(Self::Rsa2048),
            3072 => Ok(Self::Rsa3072),
            4096 => Ok(Self::Rsa4096),
            other => Err(Error::misuse(format!(
                "RSA key size {other} is not offered; choose 2048, 3072 or 4096"
            ))),
        }
    }

    /// The size in bits.
    pub fn bits(&self) -> u32 {
        match self {
            Self::Rsa2048 => 2048,
            Self::Rsa3072 => 3072,
            Self::Rsa4096 => 4096,
        }
    }

    fn backend(self) -> RsaBits {
        match self {
            Self::Rsa2048 => RsaBits::B2048,
            Self::Rsa3072 => RsaBits::B3072,
            Self::Rsa4096 => RsaBits::B4096,
        }
    }
}

/// A public JSON Web Key (RFC 7517) as chatseal reads and writes it.
///
/// Private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`) are refused
/// when a JWK is parsed, so a private key can never be loaded by mistake where
/// a public one is expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA` or `EC`.
    pub kty: String,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended use: `sig` or `enc`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// The one algorithm the key is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Allowed operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve: `P-256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// A JSON Web Key Set: `{"keys": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The set as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Largest JWK or JWKS document accepted, in bytes.
pub(crate) const MAX_JWKS_LEN: usize = 512 * 1024;
/// Most keys accepted in one JWKS.
pub(crate) const MAX_JWKS_KEYS: usize = 256;

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn jwk_from_value(v: Value) -> Result<Jwk> {
    let Value::Object(map) = &v else {
        return Err(Error::invalid_key("JWK is not a JSON object"));
    };
    if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| map.contains_key(**m)) {
        return Err(Error::new(
            ErrorKind::KeyRoleMismatch,
            format!("JWK has the private member `{m}` where a public key is expected"),
        ));
    }
    serde_json::from_value(v).map_err(|e| Error::invalid_key(format!("JWK is malformed: {e}")))
}

impl Jwk {
    /// Parses one public JWK from JSON text.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.len() > MAX_JWKS_LEN {
            return Err(Error::invalid_key("JWK document is too large"));
        }
        let v = parse_value(json.as_bytes())
            .map_err(|e| Error::invalid_key(format!("JWK is not valid JSON: {e}")))?;
        jwk_from_value(v)
    }

    /// The JWK as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn member(&self, name: &str, v: &Option<String>) -> Result<Vec<u8>> {
        let s = v
            .as_deref()
            .ok_or_else(|| Error::invalid_key(format!("{} JWK lacks `{name}`", self.kty)))?;
        b64url_decode(s, &format!("JWK member `{name}`"))
            .map_err(|e| Error::invalid_key(e.message().to_owned()))
    }

    fn public_material(&self) -> Result<PublicMaterial> {
        match self.kty.as_str() {
            "RSA" => {
                let n = self.member("n", &self.n)?;
                let e = self.member("e", &self.e)?;
                Ok(PublicMaterial::Rsa(RsaPublic::from_components(&n, &e)?))
            }
            "EC" => {
                match self.crv.as_deref() {
                    Some("P-256") => {}
                    other => {
                        return Err(Error::new(
                            ErrorKind::WeakKey,
                            format!(
                                "EC JWK on curve `{}`; only P-256 is accepted",
                                truncate_for_message(other.unwrap_or("(none)"))
                            ),
                        ))
                    }
                }
                let x = self.member("x", &self.x)?;
                let y = self.member("y", &self.y)?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(Error::invalid_key("P-256 JWK coordinates must be 32 bytes"));
                }
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Ok(PublicMaterial::Ec(EcPublic::from_der_or_point(&point)?))
            }
            other => Err(Error::new(
                ErrorKind::KeyRoleMismatch,
                format!(
                    "JWK key type `{}` is not supported (RSA or EC only)",
                    truncate_for_message(other)
                ),
            )),
        }
    }

    /// Checks `use` and `key_ops` against the role a key is loaded for.
    fn check_role(&self, role: Role) -> Result<()> {
        let (want_use, ops): (&str, &[&str]) = match role {
            Role::Sig => ("sig", &["verify", "sign"]),
            Role::Enc => ("enc", &["encrypt", "wrapKey", "decrypt", "unwrapKey"]),
        };
        if let Some(u) = self.use_.as_deref() {
            if u != want_use {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!(
                        "JWK has `use: {}` but is loaded as a {} key (`use: {want_use}`)",
                        truncate_for_message(u),
                        role.name()
                    ),
                ));
            }
        }
        if let Some(key_ops) = &self.key_ops {
            if !key_ops.iter().any(|op| ops.contains(&op.as_str())) {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!(
                        "JWK `key_ops` allow none of {ops:?}, which a {} key needs",
                        role.name()
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Role {
    Sig,
    Enc,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Self::Sig => "client signing",
            Self::Enc => "platform encryption",
        }
    }
}

/// Public key material of either kind.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum PublicMaterial {
    Rsa(RsaPublic),
    Ec(EcPublic),
}

impl PublicMaterial {
    fn from_spki_der(der: &[u8]) -> Result<Self> {
        // Try RSA first, then P-256; report the more useful error.
        match RsaPublic::from_der(der) {
            Ok(r) => Ok(Self::Rsa(r)),
            Err(e) if e.kind() == ErrorKind::WeakKey => Err(e),
            Err(_) => EcPublic::from_der_or_point(der).map(Self::Ec),
        }
    }

    /// RFC 7638 thumbprint: base64url(SHA-256(canonical JWK)).
    pub(crate) fn thumbprint(&self) -> String {
        let canonical = match self {
            Self::Rsa(r) => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                b64url(&r.e),
                b64url(&r.n)
            ),
            Self::Ec(p) => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                b64url(p.x()),
                b64url(p.y())
            ),
        };
        b64url(&backend::sha256(canonical.as_bytes()))
    }

    fn spki_der(&self) -> Result<Vec<u8>> {
        match self {
            Self::Rsa(r) => r.spki_der(),
            Self::Ec(p) => Ok(p.spki_der()),
        }
    }

    fn jwk(&self, kid: &str, use_: &str, alg: &str) -> Jwk {
        let mut jwk = Jwk {
            kty: String::new(),
            kid: Some(kid.to_owned()),
            use_: Some(use_.to_owned()),
            alg: Some(alg.to_owned()),
            key_ops: None,
            n: None,
            e: None,
            crv: None,
            x: None,
            y: None,
        };
        match self {
            Self::Rsa(r) => {
                jwk.kty = "RSA".into();
                jwk.n = Some(b64url(&r.n));
                jwk.e = Some(b64url(&r.e));
            }
            Self::Ec(p) => {
                jwk.kty = "EC".into();
                jwk.crv = Some("P-256".into());
                jwk.x = Some(b64url(p.x()));
                jwk.y = Some(b64url(p.y()));
            }
        }
        jwk
    }

    fn describe(&self) -> String {
        match self {
            Self::Rsa(r) => format!("RSA-{}", r.bits()),
            Self::Ec(_) => "EC P-256".to_owned(),
        }
    }
}

/// Checks a caller- or file-supplied key id.
pub(crate) fn check_kid(kid: &str) -> Result<()> {
    if kid.is_empty() || kid.len() > 256 || kid.chars().any(char::is_control) {
        return Err(Error::misuse(
            "a key id must be 1 to 256 characters without control characters",
        ));
    }
    Ok(())
}

fn parse_jwks_values(json: &str) -> Result<Vec<Value>> {
    if json.len() > MAX_JWKS_LEN {
        return Err(Error::invalid_key(format!(
            "JWKS document is larger than {MAX_JWKS_LEN} bytes"
        )));
    }
    let v = parse_value(json.as_bytes())
        .map_err(|e| Error::invalid_key(format!("JWKS is not valid JSON: {e}")))?;
    let Some(Value::Array(keys)) = v.get("keys").cloned() else {
        return Err(Error::invalid_key("JWKS has no `keys` array"));
    };
    if keys.len() > MAX_JWKS_KEYS {
        return Err(Error::invalid_key(format!(
            "JWKS has {} keys; at most {MAX_JWKS_KEYS} are accepted",
            keys.len()
        )));
    }
    Ok(keys)
}

/// Whether a JWKS entry is meant for `role`, judged by `use` and `alg` only
/// (entries for other roles or unknown key types are skipped, RFC 7517 §5).
fn jwks_entry_for(v: &Value, role: Role) -> bool {
    let use_ = v.get("use").and_then(Value::as_str);
    let alg = v.get("alg").and_then(Value::as_str);
    let kty = v.get("kty").and_then(Value::as_str);
    match role {
        Role::Sig => {
            use_ != Some("enc")
                && matches!(kty, Some("RSA") | Some("EC"))
                && alg.is_none_or(|a| a.parse::<Algorithm>().is_ok())
        }
        Role::Enc => {
            use_ != Some("sig")
                && kty == Some("RSA")
                && alg.is_none_or(|a| a == "RSA-OAEP-256" || a == "RSA-OAEP")
        }
    }
}

fn check_unique_kids<'a>(kids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for kid in kids {
        if !seen.insert(kid) {
            return Err(Error::invalid_key(format!(
                "key set has two keys with kid `{}`; key ids must be unique",
                truncate_for_message(kid)
            )));
        }
    }
    Ok(())
}

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
    signer: Arc<Signer>,
    verifying: ClientVerifyingKey,
}

impl ClientSigningKey {
    /// Generates a new key for `alg`; RSA keys are 3072 bits.
    pub fn generate(alg: Algorithm) -> Result<Self> {
        if alg.is_rsa() {
            Self::generate_rsa(alg, RsaKeySize::default())
        } else {
            Self::from_signer(Signer::generate_p256()?, alg)
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

    fn from_signer(signer: Signer, alg: Algorithm) -> Result<Self> {
        let public = match (&signer, signer.rsa_public(), signer.ec_public()) {
            (_, Some(r), _) => PublicMaterial::Rsa(r),
            (_, None, Some(p)) => PublicMaterial::Ec(p),
            _ => return Err(Error::internal("public key extraction")),
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

fn rsa_padding(alg: Algorithm) -> Result<RsaPadding> {
    match alg {
        Algorithm::RS256 => Ok(RsaPadding::Pkcs1Sha256),
        Algorithm::PS256 => Ok(RsaPadding::PssSha256),
        Algorithm::ES256 => Err(Error::misuse("ES256 uses a P-256 key, not RSA")),
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
        };
        let algs: Vec<Algorithm> = match alg {
            Some(a) if fitting.contains(&a) => vec![a],
            Some(a) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!("a {} key cannot be used with {a}", public.describe()),
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
        check_unique_kids(out.iter().filter_map(|k| k.declared_kid()))?;
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

// ---------------------------------------------------------------------------
// Platform decryption key (private) and encryption key (public).
// ---------------------------------------------------------------------------

/// The platform's private RSA key that decrypts `user_payload`.
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
/// # Ok::<(), chatseal::Error>(())
/// ```
///
/// # Security
///
/// Decryption failures of any cause are one opaque
/// [`ErrorKind::DecryptionFailed`]: no padding oracle.
#[derive(Clone)]
pub struct PlatformDecryptionKey {
    key: Arc<OaepDecrypter>,
    public: PlatformEncryptionKey,
}

impl PlatformDecryptionKey {
    /// Generates a new platform key pair.
    pub fn generate(size: RsaKeySize) -> Result<Self> {
        Self::wrap(OaepDecrypter::generate(size.backend())?, None)
    }

    /// Loads a private key from PEM: PKCS#8 `PRIVATE KEY` or PKCS#1
    /// `RSA PRIVATE KEY`.
    pub fn from_pem(pem_text: &str) -> Result<Self> {
        let block = pem::decode_labelled(
            pem_text,
            &["PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY"],
        )?;
        match block.label.as_str() {
            "ENCRYPTED PRIVATE KEY" => Err(Error::new(
                ErrorKind::WrongPassphrase,
                "the private key is encrypted; a passphrase is needed to open it",
            )),
            "RSA PRIVATE KEY" => Self::wrap(OaepDecrypter::from_der(&block.der, true)?, None),
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

    /// Loads a PKCS#8 `PrivateKeyInfo` in DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        Self::wrap(OaepDecrypter::from_der(der, false)?, None)
    }

    fn wrap(key: OaepDecrypter, kid: Option<String>) -> Result<Self> {
        let public = PlatformEncryptionKey::new(key.public()?, kid)?;
        Ok(Self {
            key: Arc::new(key),
            public,
        })
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
        let der = self.key.to_pkcs8()?;
        Ok(SecretString::new(std::mem::take(&mut *pem::encode(
            "PRIVATE KEY",
            &der,
        ))))
    }

    /// The private key as encrypted PKCS#8 PEM (see
    /// [`ClientSigningKey::to_encrypted_pkcs8_pem`]).
    pub fn to_encrypted_pkcs8_pem(&self, passphrase: &crate::Passphrase) -> Result<SecretString> {
        let der = self.key.to_pkcs8()?;
        crate::pkcs8enc::seal_pem(&der, passphrase)
    }

    /// The private key as PKCS#8 DER.
    pub fn to_pkcs8_der(&self) -> Result<SecretBytes> {
        Ok(SecretBytes::from(self.key.to_pkcs8()?))
    }

    pub(crate) fn decrypter(&self) -> &OaepDecrypter {
        &self.key
    }
}

impl fmt::Debug for PlatformDecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformDecryptionKey")
            .field("kid", &self.kid())
            .field("private", &"[redacted]")
            .finish()
    }
}

/// The platform's public RSA key that hosts encrypt `user_payload` to
/// (RSA-OAEP-256 for `jwe`, RSA-OAEP for IBM's `wxo` format).
#[derive(Clone)]
pub struct PlatformEncryptionKey {
    key: OaepEncrypter,
    kid: String,
    thumbprint: String,
}

impl PlatformEncryptionKey {
    fn new(key: OaepEncrypter, kid: Option<String>) -> Result<Self> {
        let thumbprint = PublicMaterial::Rsa(key.rsa_public().clone()).thumbprint();
        let kid = match kid {
            Some(k) => {
                check_kid(&k)?;
                k
            }
            None => thumbprint.clone(),
        };
        Ok(Self {
            key,
            kid,
            thumbprint,
        })
    }

    /// Loads an SPKI `PUBLIC KEY` PEM (or PKCS#1 `RSA PUBLIC KEY`).
    pub fn from_spki_pem(pem_text: &str) -> Result<Self> {
        let block = pem::decode_labelled(pem_text, &["PUBLIC KEY", "RSA PUBLIC KEY"])?;
        Self::from_spki_der(&block.der)
    }

    /// Loads a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let public = match PublicMaterial::from_spki_der(der)? {
            PublicMaterial::Rsa(r) => r,
            PublicMaterial::Ec(_) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    "the platform encryption key must be RSA (RSA-OAEP); an EC key was given",
                ))
            }
        };
        Self::new(OaepEncrypter::from_public(&public)?, None)
    }

    /// Loads a public RSA JWK. `use` other than `enc`, `key_ops` without
    /// `encrypt`/`wrapKey`, an `alg` other than `RSA-OAEP-256`/`RSA-OAEP`, or
    /// private members are refused.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        jwk.check_role(Role::Enc)?;
        if let Some(a) = jwk.alg.as_deref() {
            if a != "RSA-OAEP-256" && a != "RSA-OAEP" {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!(
                        "JWK `alg: {}` is not a key-encryption algorithm; a platform \
                         encryption key is RSA-OAEP-256",
                        truncate_for_message(a)
                    ),
                ));
            }
        }
        let public = match jwk.public_material()? {
            PublicMaterial::Rsa(r) => r,
            PublicMaterial::Ec(_) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    "the platform encryption key must be RSA",
                ))
            }
        };
        Self::new(OaepEncrypter::from_public(&public)?, jwk.kid.clone())
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
            0 => Err(Error::invalid_key("JWKS holds no RSA encryption key")),
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
        Self::new(self.key.clone(), Some(kid.into()))
    }

    /// The key id put in the JWE header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The RFC 7638 thumbprint.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.key.rsa_public().bits()
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
        self.key.rsa_public().spki_der()
    }

    /// The public JWK with `kid`, `use: enc` and `alg: RSA-OAEP-256`.
    pub fn to_jwk(&self) -> Jwk {
        PublicMaterial::Rsa(self.key.rsa_public().clone()).jwk(&self.kid, "enc", "RSA-OAEP-256")
    }

    pub(crate) fn encrypter(&self) -> &OaepEncrypter {
        &self.key
    }
}

impl fmt::Debug for PlatformEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformEncryptionKey")
            .field("kid", &self.kid)
            .field("bits", &self.bits())
            .finish()
    }
}

/// The RFC 7638 thumbprint of the public key in an SPKI PEM, a JWK, or
/// either half of a key pair; used to compare keys without caring about the
/// container.
pub fn thumbprint_of_spki_pem(pem_text: &str) -> Result<String> {
    let block = pem::decode_labelled(pem_text, &["PUBLIC KEY", "RSA PUBLIC KEY"])?;
    Ok(PublicMaterial::from_spki_der(&block.der)?.thumbprint())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_thumbprint_example() {
        // RFC 7638 section 3.1.
        let jwk = Jwk::from_json(r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#).unwrap();
        let key = ClientVerifyingKey::from_jwk(&jwk).unwrap();
        assert_eq!(
            key.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        assert_eq!(key.kid(), "2011-04-29");
        assert_eq!(key.algorithm(), Algorithm::RS256);
    }

    #[test]
    fn jwk_round_trip_and_roles() {
        let k = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let jwk = k.verifying_key().to_jwk();
        let back = ClientVerifyingKey::from_jwk(&Jwk::from_json(&jwk.to_json()).unwrap()).unwrap();
        assert_eq!(&back, k.verifying_key());
        // A sig JWK refused as an encryption key, and the reverse.
        assert_eq!(
            PlatformEncryptionKey::from_jwk(&jwk).unwrap_err().kind(),
            ErrorKind::KeyRoleMismatch
        );
        let p = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
        let pj = p.encryption_key().to_jwk();
        assert_eq!(
            ClientVerifyingKey::from_jwk(&pj).unwrap_err().kind(),
            ErrorKind::KeyRoleMismatch
        );
        let back = PlatformEncryptionKey::from_jwk(&pj).unwrap();
        assert_eq!(back.thumbprint(), p.thumbprint());
        // key_ops contradicting the role.
        let mut bad = pj.clone();
        bad.use_ = None;
        bad.key_ops = Some(vec!["verify".into()]);
        assert_eq!(
            PlatformEncryptionKey::from_jwk(&bad).unwrap_err().kind(),
            ErrorKind::KeyRoleMismatch
        );
    }

    #[test]
    fn private_members_refused() {
        let e =
            Jwk::from_json(r#"{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::KeyRoleMismatch);
    }

    #[test]
    fn pem_round_trips_and_kinds() {
        for alg in [Algorithm::RS256, Algorithm::ES256] {
            let k = if alg == Algorithm::RS256 {
                ClientSigningKey::generate_rsa(alg, RsaKeySize::Rsa2048).unwrap()
            } else {
                ClientSigningKey::generate(alg).unwrap()
            };
            let pem = k.to_pkcs8_pem().unwrap();
            let k2 = ClientSigningKey::from_pem(pem.expose_secret(), alg).unwrap();
            assert_eq!(k2.thumbprint(), k.thumbprint());
            let other = if alg == Algorithm::RS256 {
                Algorithm::ES256
            } else {
                Algorithm::RS256
            };
            let e = ClientSigningKey::from_pem(pem.expose_secret(), other).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::KeyRoleMismatch, "{e}");
            let spki = k.verifying_key().to_spki_pem().unwrap();
            assert_eq!(thumbprint_of_spki_pem(&spki).unwrap(), k.thumbprint());
            let e = ClientVerifyingKey::from_spki_pem(&spki, other).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::KeyRoleMismatch, "{e}");
        }
    }

    #[test]
    fn debug_never_shows_private_key() {
        let k = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let pem = k.to_pkcs8_pem().unwrap();
        let body: String = pem.expose_secret().lines().nth(1).unwrap().to_owned();
        let shown = format!("{k:?} {pem:?}");
        assert!(!shown.contains(&body[..20]));
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn duplicate_kids_refused() {
        let k = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let j = k.verifying_key().to_jwk().to_json();
        let set = format!(r#"{{"keys":[{j},{j}]}}"#);
        assert!(ClientVerifyingKey::from_jwks(&set).is_err());
    }
}
