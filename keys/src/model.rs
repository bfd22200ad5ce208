//! What a keyring holds: key uses, states and algorithms, the manifest and
//! its entries, and the key material that joins a keyring.

use super::*;

/// What a keyring's keys are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyUse {
    /// Client signing keys (the host signs widget tokens).
    Sig,
    /// Platform decryption keys (hosts encrypt the sso_token to them).
    Enc,
}

impl KeyUse {
    /// `sig` or `enc`, as in a JWK.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Sig => "sig",
            Self::Enc => "enc",
        }
    }
}

impl fmt::Display for KeyUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyUse {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "sig" => Ok(Self::Sig),
            "enc" => Ok(Self::Enc),
            _ => Err(Error::State(format!(
                "key use `{s}` is unknown; use `sig` or `enc`"
            ))),
        }
    }
}

/// The lifecycle state of a key (see the crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Published, not yet used.
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

impl KeyState {
    /// Whether keys in this state are in the published JWKS.
    pub fn is_published(&self) -> bool {
        matches!(self, Self::Pending | Self::Active | Self::Retiring)
    }

    /// The state's name, e.g. `retiring`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Retiring => "retiring",
            Self::Retired => "retired",
            Self::Revoked => "revoked",
        }
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The algorithm a keyring key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyAlg {
    /// RSASSA-PKCS1-v1_5 SHA-256 signing key.
    RS256,
    /// RSASSA-PSS SHA-256 signing key.
    PS256,
    /// ECDSA P-256 signing key.
    ES256,
    /// Ed25519 signing key.
    Ed25519,
    /// RSA-OAEP-256 platform decryption key.
    #[serde(rename = "RSA-OAEP-256")]
    RsaOaep256,
    /// ECDH-ES + AES-256 key wrap platform decryption key (P-256 or X25519;
    /// the curve is in the entry's public JWK).
    #[serde(rename = "ECDH-ES+A256KW")]
    EcdhEsA256kw,
    /// Direct ECDH-ES platform decryption key (P-256 or X25519).
    #[serde(rename = "ECDH-ES")]
    EcdhEs,
}

impl KeyAlg {
    /// The JOSE name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::ES256 => "ES256",
            Self::Ed25519 => "Ed25519",
            Self::RsaOaep256 => "RSA-OAEP-256",
            Self::EcdhEsA256kw => "ECDH-ES+A256KW",
            Self::EcdhEs => "ECDH-ES",
        }
    }

    /// The use keys of this algorithm have.
    pub fn key_use(&self) -> KeyUse {
        match self {
            Self::RsaOaep256 | Self::EcdhEsA256kw | Self::EcdhEs => KeyUse::Enc,
            Self::RS256 | Self::PS256 | Self::ES256 | Self::Ed25519 => KeyUse::Sig,
        }
    }

    /// Whether keys of this algorithm are ECDH platform keys (and so have a
    /// curve).
    pub fn is_ecdh(&self) -> bool {
        matches!(self, Self::EcdhEsA256kw | Self::EcdhEs)
    }

    fn jwe(self) -> Option<JweAlgorithm> {
        match self {
            Self::RsaOaep256 => Some(JweAlgorithm::RsaOaep256),
            Self::EcdhEsA256kw => Some(JweAlgorithm::EcdhEsA256kw),
            Self::EcdhEs => Some(JweAlgorithm::EcdhEs),
            _ => None,
        }
    }

    /// The default algorithm for a use: RS256 for `sig` (what IBM's
    /// platform expects), RSA-OAEP-256 for `enc`.
    pub fn default_for(key_use: KeyUse) -> Self {
        match key_use {
            KeyUse::Sig => Self::RS256,
            KeyUse::Enc => Self::RsaOaep256,
        }
    }

    /// Whether keys of this algorithm are RSA (and so have a size).
    pub fn is_rsa(&self) -> bool {
        matches!(self, Self::RS256 | Self::PS256 | Self::RsaOaep256)
    }

    pub(crate) fn signing(self) -> Option<Algorithm> {
        match self {
            Self::RS256 => Some(Algorithm::RS256),
            Self::PS256 => Some(Algorithm::PS256),
            Self::ES256 => Some(Algorithm::ES256),
            Self::Ed25519 => Some(Algorithm::Ed25519),
            Self::RsaOaep256 | Self::EcdhEsA256kw | Self::EcdhEs => None,
        }
    }
}

impl fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyAlg {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "RS256" => Ok(Self::RS256),
            "PS256" => Ok(Self::PS256),
            "ES256" => Ok(Self::ES256),
            "Ed25519" => Ok(Self::Ed25519),
            "RSA-OAEP-256" => Ok(Self::RsaOaep256),
            "ECDH-ES+A256KW" => Ok(Self::EcdhEsA256kw),
            "ECDH-ES" => Ok(Self::EcdhEs),
            _ => Err(Error::State(format!(
                "algorithm `{s}` is not offered; use RS256, PS256, ES256, Ed25519 (sig) or \
                 RSA-OAEP-256, ECDH-ES+A256KW, ECDH-ES (enc)"
            ))),
        }
    }
}

/// One key in the manifest. Times are seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// Key id: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// `sig` or `enc`.
    #[serde(rename = "use")]
    pub key_use: KeyUse,
    /// The key's one algorithm.
    pub alg: KeyAlg,
    /// Lifecycle state.
    pub state: KeyState,
    /// RSA modulus size in bits (none for EC and Ed25519 keys; an EC
    /// platform key's curve is its public JWK's `crv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// The private key's file in the keyring folder; `None` once pruned.
    pub file: Option<String>,
    /// Whether the file is an `ENCRYPTED PRIVATE KEY`.
    pub encrypted: bool,
    /// The RFC 7512 URI of the private key object when the key is held in
    /// a PKCS#11 token (then there is no `file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkcs11: Option<String>,
    /// Whether the key was imported rather than generated here.
    #[serde(default)]
    pub imported: bool,
    /// The public key, so publishing needs no passphrase.
    pub public_jwk: Jwk,
    /// When the key was added.
    pub created_at: i64,
    /// When it became active.
    #[serde(default)]
    pub activated_at: Option<i64>,
    /// When it stopped being active.
    #[serde(default)]
    pub retiring_at: Option<i64>,
    /// When it left the JWKS after its grace.
    #[serde(default)]
    pub retired_at: Option<i64>,
    /// When it was revoked.
    #[serde(default)]
    pub revoked_at: Option<i64>,
}

impl KeyEntry {
    /// The curve of an ECDH platform key (from its public JWK); `None` for
    /// other keys.
    pub fn ecdh_curve(&self) -> Option<EcdhCurve> {
        if !self.alg.is_ecdh() {
            return None;
        }
        self.public_jwk.crv.as_deref().and_then(|c| c.parse().ok())
    }
}

/// The manifest, `keyring.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version ([`FORMAT_VERSION`]).
    pub version: u32,
    /// The use of every key of this keyring.
    #[serde(rename = "use")]
    pub key_use: KeyUse,
    /// How long a retiring key stays published, in seconds: at least the
    /// longest token lifetime plus the verifiers' leeway.
    pub grace_seconds: u64,
    /// The keys, oldest first.
    pub keys: Vec<KeyEntry>,
}

/// Seconds since the Unix epoch.
pub fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A private key about to join a keyring (generated or imported).
#[derive(Debug, Clone)]
pub enum KeyMaterial {
    /// A client signing key.
    Sig(ClientSigningKey),
    /// A platform decryption key.
    Enc(PlatformDecryptionKey),
}

impl KeyMaterial {
    /// Generates a key for `alg` (`size` is used for RSA keys only; an ECDH
    /// key is on P-256: see [`KeyMaterial::generate_ecdh`]).
    ///
    /// RSA-4096 takes seconds; the CLI shows progress around this call.
    pub fn generate(alg: KeyAlg, size: RsaKeySize) -> Result<Self> {
        if alg.is_ecdh() {
            return Self::generate_ecdh(alg, EcdhCurve::P256);
        }
        Ok(match alg.signing() {
            Some(a @ (Algorithm::ES256 | Algorithm::Ed25519)) => {
                Self::Sig(ClientSigningKey::generate(a)?)
            }
            Some(a) => Self::Sig(ClientSigningKey::generate_rsa(a, size)?),
            None => Self::Enc(PlatformDecryptionKey::generate(size)?),
        })
    }

    /// Generates an ECDH platform key (`alg` ECDH-ES+A256KW or ECDH-ES) on
    /// `curve`.
    pub fn generate_ecdh(alg: KeyAlg, curve: EcdhCurve) -> Result<Self> {
        let Some(jwe) = alg.jwe().filter(|_| alg.is_ecdh()) else {
            return Err(Error::State(format!(
                "{alg} is not an ECDH algorithm; use ECDH-ES+A256KW or ECDH-ES"
            )));
        };
        Ok(Self::Enc(
            PlatformDecryptionKey::generate_ecdh(curve)?.with_jwe_algorithm(jwe)?,
        ))
    }

    /// Loads a private key PEM (PKCS#8, PKCS#1 from `openssl genrsa`, SEC1,
    /// or `ENCRYPTED PRIVATE KEY` with `passphrase`) for `alg`.
    pub fn from_pem(pem: &str, alg: KeyAlg, passphrase: Option<&Passphrase>) -> Result<Self> {
        Ok(match (alg.signing(), passphrase) {
            (Some(a), Some(p)) => Self::Sig(ClientSigningKey::from_encrypted_pem(pem, p, a)?),
            (Some(a), None) => Self::Sig(ClientSigningKey::from_pem(pem, a)?),
            (None, p) => {
                let key = match p {
                    Some(p) => PlatformDecryptionKey::from_encrypted_pem(pem, p)?,
                    None => PlatformDecryptionKey::from_pem(pem)?,
                };
                let jwe = alg.jwe().unwrap_or(JweAlgorithm::RsaOaep256);
                // An RSA key for an ECDH algorithm (or the reverse) is
                // refused here with the key's own words.
                Self::Enc(key.with_jwe_algorithm(jwe)?)
            }
        })
    }

    /// The RFC 7638 thumbprint of the public key.
    pub fn thumbprint(&self) -> &str {
        match self {
            Self::Sig(k) => k.thumbprint(),
            Self::Enc(k) => k.thumbprint(),
        }
    }

    /// The key's algorithm.
    pub fn alg(&self) -> KeyAlg {
        match self {
            Self::Sig(k) => match k.algorithm() {
                Algorithm::PS256 => KeyAlg::PS256,
                Algorithm::ES256 => KeyAlg::ES256,
                Algorithm::Ed25519 => KeyAlg::Ed25519,
                _ => KeyAlg::RS256,
            },
            Self::Enc(k) => match k.encryption_key().jwe_algorithm() {
                JweAlgorithm::EcdhEsA256kw => KeyAlg::EcdhEsA256kw,
                JweAlgorithm::EcdhEs => KeyAlg::EcdhEs,
                _ => KeyAlg::RsaOaep256,
            },
        }
    }

    pub(crate) fn public_jwk(&self) -> Jwk {
        match self {
            Self::Sig(k) => k.verifying_key().to_jwk(),
            Self::Enc(k) => k.encryption_key().to_jwk(),
        }
    }

    pub(crate) fn bits(&self) -> Option<u32> {
        match self {
            Self::Sig(k) => rsa_bits(&k.verifying_key().to_jwk()),
            Self::Enc(k) if k.encryption_key().curve().is_some() => None,
            Self::Enc(k) => u32::try_from(k.encryption_key().bits()).ok(),
        }
    }

    /// The URI of the token object holding the private key, if the key is
    /// in a PKCS#11 token.
    pub fn pkcs11_uri(&self) -> Option<String> {
        #[cfg(feature = "pkcs11")]
        {
            match self {
                Self::Sig(k) => k.pkcs11_uri().map(|u| u.to_string()),
                Self::Enc(k) => k.pkcs11_uri().map(|u| u.to_string()),
            }
        }
        #[cfg(not(feature = "pkcs11"))]
        None
    }

    pub(crate) fn to_pem(&self, passphrase: Option<&Passphrase>) -> Result<chatseal::SecretString> {
        Ok(match (self, passphrase) {
            (Self::Sig(k), Some(p)) => k.to_encrypted_pkcs8_pem(p)?,
            (Self::Sig(k), None) => k.to_pkcs8_pem()?,
            (Self::Enc(k), Some(p)) => k.to_encrypted_pkcs8_pem(p)?,
            (Self::Enc(k), None) => k.to_pkcs8_pem()?,
        })
    }
}

/// The modulus size of an RSA JWK, from the length of `n`.
fn rsa_bits(jwk: &Jwk) -> Option<u32> {
    let n = jwk.n.as_deref()?;
    u32::try_from(n.len() * 6 / 8 * 8).ok()
}
