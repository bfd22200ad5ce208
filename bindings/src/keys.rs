//! Key types: thin wrappers around chatseal's client and platform keys.

use std::sync::Arc;

use chatseal::{Jwk, Passphrase, RsaKeySize};

use crate::error::{misuse, Result};

/// A signature algorithm. Each key is bound to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (IBM watsonx Orchestrate's choice).
    RS256,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// Ed25519 (JOSE `Ed25519`, RFC 9864; `EdDSA` accepted on verify).
    Ed25519,
}

impl From<Algorithm> for chatseal::Algorithm {
    fn from(a: Algorithm) -> Self {
        match a {
            Algorithm::RS256 => Self::RS256,
            Algorithm::PS256 => Self::PS256,
            Algorithm::ES256 => Self::ES256,
            Algorithm::Ed25519 => Self::Ed25519,
        }
    }
}

impl From<chatseal::Algorithm> for Algorithm {
    fn from(a: chatseal::Algorithm) -> Self {
        match a {
            chatseal::Algorithm::RS256 => Self::RS256,
            chatseal::Algorithm::PS256 => Self::PS256,
            chatseal::Algorithm::ES256 => Self::ES256,
            chatseal::Algorithm::Ed25519 => Self::Ed25519,
        }
    }
}

/// How the sso_token is encrypted into the `user_payload` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, uniffi::Enum)]
pub enum PayloadFormat {
    /// Compact JWE: RSA-OAEP-256 + A256GCM, the platform key's `kid` in the
    /// header. The default.
    #[default]
    Jwe,
    /// IBM watsonx Orchestrate's format (RSA-OAEP with SHA-1 over the JSON,
    /// base64). Only where IBM compatibility is needed.
    Wxo,
}

impl From<PayloadFormat> for chatseal::PayloadFormat {
    fn from(f: PayloadFormat) -> Self {
        match f {
            PayloadFormat::Jwe => Self::Jwe,
            PayloadFormat::Wxo => Self::Wxo,
        }
    }
}

fn rsa_size(bits: u32) -> Result<RsaKeySize> {
    Ok(RsaKeySize::from_bits(bits)?)
}

fn passphrase(p: Option<String>) -> Option<Passphrase> {
    p.map(Passphrase::new)
}

// ---------------------------------------------------------------------------

/// The host's private signing key (the *client* key pair).
///
/// Generate one, or load it from a PEM file; register its public half
/// (`public_pem()` or `public_jwk_json()`) with the platform. The `kid` put
/// in every token header is the RFC 7638 thumbprint unless `with_kid` set
/// another.
///
/// The private key stays inside Rust (wiped when the object is freed); it
/// leaves only through an explicit `private_pem()` call.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct ClientSigningKey(pub(crate) chatseal::ClientSigningKey);

#[uniffi::export]
impl ClientSigningKey {
    /// Generates a new key for `algorithm`. RSA keys (RS256, PS256) are
    /// `rsa_bits` long: 2048, 3072 (the default) or 4096. `rsa_bits` must be
    /// left out for ES256.
    #[uniffi::constructor(default(rsa_bits = None))]
    pub fn generate(algorithm: Algorithm, rsa_bits: Option<u32>) -> Result<Arc<Self>> {
        let alg = chatseal::Algorithm::from(algorithm);
        let key = match (algorithm, rsa_bits) {
            (Algorithm::ES256 | Algorithm::Ed25519, Some(_)) => {
                return Err(misuse(format!(
                    "rsa_bits applies to RS256 and PS256 keys, not {alg}"
                )))
            }
            (Algorithm::ES256 | Algorithm::Ed25519, None) => {
                chatseal::ClientSigningKey::generate(alg)?
            }
            (_, bits) => chatseal::ClientSigningKey::generate_rsa(
                alg,
                bits.map(rsa_size).transpose()?.unwrap_or_default(),
            )?,
        };
        Ok(Arc::new(Self(key)))
    }

    /// Loads a private key PEM for `algorithm`: PKCS#8 `PRIVATE KEY`, PKCS#1
    /// `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, or an `ENCRYPTED PRIVATE
    /// KEY` opened with `passphrase`.
    #[uniffi::constructor(default(passphrase = None))]
    pub fn from_pem(
        pem: String,
        algorithm: Algorithm,
        passphrase: Option<String>,
    ) -> Result<Arc<Self>> {
        let alg = algorithm.into();
        let key = match self::passphrase(passphrase) {
            Some(p) => chatseal::ClientSigningKey::from_encrypted_pem(&pem, &p, alg)?,
            None => chatseal::ClientSigningKey::from_pem(&pem, alg)?,
        };
        Ok(Arc::new(Self(key)))
    }

    /// The same key under another key id.
    pub fn with_kid(&self, kid: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(self.0.clone().with_kid(kid)?)))
    }

    /// The key id put in every token's header.
    pub fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    /// The RFC 7638 thumbprint of the public key.
    pub fn thumbprint(&self) -> String {
        self.0.thumbprint().to_owned()
    }

    /// The one algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.0.algorithm().into()
    }

    /// The public half, as the platform trusts it.
    pub fn verifying_key(&self) -> Arc<ClientVerifyingKey> {
        Arc::new(ClientVerifyingKey(self.0.verifying_key().clone()))
    }

    /// The public key as an SPKI `PUBLIC KEY` PEM, to register with the
    /// platform.
    pub fn public_pem(&self) -> Result<String> {
        Ok(self.0.verifying_key().to_spki_pem()?)
    }

    /// The public key as a JWK (JSON text) with `kid`, `use: sig` and `alg`.
    pub fn public_jwk_json(&self) -> String {
        self.0.verifying_key().to_jwk().to_json()
    }

    /// The private key as PKCS#8 PEM; with `passphrase`, encrypted
    /// (`ENCRYPTED PRIVATE KEY`, PBES2). This is the only way the private key
    /// leaves Rust: write it 0600, never log it.
    #[uniffi::method(default(passphrase = None))]
    pub fn private_pem(&self, passphrase: Option<String>) -> Result<String> {
        let pem = match self::passphrase(passphrase) {
            Some(p) => self.0.to_encrypted_pkcs8_pem(&p)?,
            None => self.0.to_pkcs8_pem()?,
        };
        Ok(pem.expose_secret().to_owned())
    }
}

// ---------------------------------------------------------------------------

/// A host's public key that the platform trusts to verify its tokens.
///
/// A key either states its algorithm and is used with that one only, or
/// states none (a PEM loaded with `algorithm=None`, a JWK without `alg`) and
/// is used with every algorithm of the verifier's `algorithms` that fits its
/// type (RS256 and PS256 for RSA, ES256 for P-256).
///
/// Its `kid()` is the kid its owner declared (a JWK's `kid`, `with_kid`, a
/// keyring), or its thumbprint when it declares none. A verifier picks keys
/// by the token's `kid`: a key that declares it, else the key with that
/// thumbprint, else the keys that declare no kid (the signature decides).
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct ClientVerifyingKey(pub(crate) chatseal::ClientVerifyingKey);

#[uniffi::export]
impl ClientVerifyingKey {
    /// Loads an SPKI `PUBLIC KEY` PEM (or PKCS#1 `RSA PUBLIC KEY`) for
    /// `algorithm`. With `algorithm=None` the key states none, as a PEM a
    /// host uploads does not: the verifier's `algorithms` decide (RS256 or
    /// PS256 for an RSA key, ES256 for P-256; without `algorithms`, RS256 or
    /// ES256).
    #[uniffi::constructor]
    pub fn from_pem(pem: String, algorithm: Option<Algorithm>) -> Result<Arc<Self>> {
        let key = match algorithm {
            Some(a) => chatseal::ClientVerifyingKey::from_spki_pem(&pem, a.into())?,
            None => chatseal::ClientVerifyingKey::from_spki_pem_without_alg(&pem)?,
        };
        Ok(Arc::new(Self(key)))
    }

    /// Loads one public JWK (JSON text). Without `algorithm`, a JWK with
    /// `alg` is for that algorithm and one without states none (the
    /// verifier's `algorithms` decide); with `algorithm`, the key is for
    /// that one and a JWK whose `alg` differs is refused.
    #[uniffi::constructor(default(algorithm = None))]
    pub fn from_jwk(jwk_json: String, algorithm: Option<Algorithm>) -> Result<Arc<Self>> {
        let jwk = Jwk::from_json(&jwk_json)?;
        let key = match algorithm {
            Some(a) => chatseal::ClientVerifyingKey::from_jwk_with_alg(&jwk, a.into())?,
            None => chatseal::ClientVerifyingKey::from_jwk(&jwk)?,
        };
        Ok(Arc::new(Self(key)))
    }

    /// The same key with `kid` as its declared kid.
    pub fn with_kid(&self, kid: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(self.0.with_kid(kid)?)))
    }

    /// The key id written to JWKs: the declared kid, or the thumbprint when
    /// the key declares none.
    pub fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    /// The kid the key's owner gave it, if any (`None` for a key loaded from
    /// PEM or from a JWK without `kid`).
    pub fn declared_kid(&self) -> Option<String> {
        self.0.declared_kid().map(str::to_owned)
    }

    /// The RFC 7638 thumbprint.
    pub fn thumbprint(&self) -> String {
        self.0.thumbprint().to_owned()
    }

    /// The key's algorithm: the one it states, or its type's default (RS256
    /// for RSA, ES256 for P-256) when it states none.
    pub fn algorithm(&self) -> Algorithm {
        self.0.algorithm().into()
    }

    /// The algorithm the key states, if it states one.
    pub fn stated_algorithm(&self) -> Option<Algorithm> {
        self.0.stated_algorithm().map(Algorithm::from)
    }

    /// The key as an SPKI `PUBLIC KEY` PEM.
    pub fn public_pem(&self) -> Result<String> {
        Ok(self.0.to_spki_pem()?)
    }

    /// The key as a JWK (JSON text) with `kid`, `use: sig`, and `alg` when
    /// the key states one.
    pub fn jwk_json(&self) -> String {
        self.0.to_jwk().to_json()
    }
}

/// Loads every signature key of a JWKS document (JSON text). Encryption keys
/// and unknown key types are skipped; private members, duplicate `kid`s or a
/// set without a usable key are refused.
#[uniffi::export]
pub fn client_keys_from_jwks(jwks_json: String) -> Result<Vec<Arc<ClientVerifyingKey>>> {
    Ok(chatseal::ClientVerifyingKey::from_jwks(&jwks_json)?
        .into_iter()
        .map(|k| Arc::new(ClientVerifyingKey(k)))
        .collect())
}

/// If the public key with this RFC 7638 `thumbprint` is one of the published
/// sample keys (from RFCs, IBM's samples, jwt.io, ...), where it was
/// published; such a key's private half is public and must never be
/// trusted. `None` for any other key.
#[uniffi::export]
pub fn published_sample_key(thumbprint: String) -> Option<String> {
    chatseal::published_sample_key(&thumbprint).map(str::to_owned)
}

/// A JWKS document (JSON text) publishing `keys`.
#[uniffi::export]
pub fn jwks_json(keys: Vec<Arc<ClientVerifyingKey>>) -> String {
    chatseal::ClientVerifyingKey::to_jwks(keys.iter().map(|k| &k.0)).to_json()
}

// ---------------------------------------------------------------------------

/// The platform's public RSA key that hosts encrypt sso_tokens to.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PlatformEncryptionKey(pub(crate) chatseal::PlatformEncryptionKey);

#[uniffi::export]
impl PlatformEncryptionKey {
    /// Loads an SPKI `PUBLIC KEY` PEM (or PKCS#1 `RSA PUBLIC KEY`).
    #[uniffi::constructor]
    pub fn from_pem(pem: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(
            chatseal::PlatformEncryptionKey::from_spki_pem(&pem)?,
        )))
    }

    /// Loads a public RSA JWK (JSON text) meant for encryption (`use: enc`,
    /// `alg: RSA-OAEP-256` when present).
    #[uniffi::constructor]
    pub fn from_jwk(jwk_json: String) -> Result<Arc<Self>> {
        let jwk = Jwk::from_json(&jwk_json)?;
        Ok(Arc::new(Self(chatseal::PlatformEncryptionKey::from_jwk(
            &jwk,
        )?)))
    }

    /// Loads the encryption key of a JWKS (JSON text): the one with `kid`, or
    /// the only encryption key when `kid` is left out.
    #[uniffi::constructor(default(kid = None))]
    pub fn from_jwks(jwks_json: String, kid: Option<String>) -> Result<Arc<Self>> {
        let key = match kid {
            Some(kid) => chatseal::PlatformEncryptionKey::from_jwks_kid(&jwks_json, &kid)?,
            None => chatseal::PlatformEncryptionKey::from_jwks(&jwks_json)?,
        };
        Ok(Arc::new(Self(key)))
    }

    /// The key id put in the JWE header.
    pub fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    /// The RFC 7638 thumbprint: compare it with the platform out of band.
    pub fn thumbprint(&self) -> String {
        self.0.thumbprint().to_owned()
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> u32 {
        u32::try_from(self.0.bits()).unwrap_or(u32::MAX)
    }

    /// The key as an SPKI `PUBLIC KEY` PEM.
    pub fn public_pem(&self) -> Result<String> {
        Ok(self.0.to_spki_pem()?)
    }

    /// The key as a JWK (JSON text) with `kid`, `use: enc` and
    /// `alg: RSA-OAEP-256`.
    pub fn jwk_json(&self) -> String {
        self.0.to_jwk().to_json()
    }
}

/// The platform's private RSA key that decrypts sso_tokens.
///
/// The private key stays inside Rust; it leaves only through an explicit
/// `private_pem()` call.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PlatformDecryptionKey(pub(crate) chatseal::PlatformDecryptionKey);

#[uniffi::export]
impl PlatformDecryptionKey {
    /// Generates a new platform key pair of `bits`: 2048, 3072 (the
    /// default) or 4096.
    #[uniffi::constructor(default(bits = 3072))]
    pub fn generate(bits: u32) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(chatseal::PlatformDecryptionKey::generate(
            rsa_size(bits)?,
        )?)))
    }

    /// Generates a new elliptic-curve platform key pair on `curve` (P-256
    /// or X25519): `user_payload` as `ECDH-ES+A256KW` JWE, about ten times
    /// cheaper to decrypt than RSA.
    #[uniffi::constructor]
    pub fn generate_ecdh(curve: crate::keyring::EcdhCurve) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(
            chatseal::PlatformDecryptionKey::generate_ecdh(curve.into())?,
        )))
    }

    /// Loads a private key PEM: PKCS#8 `PRIVATE KEY` (RSA, P-256 or X25519),
    /// PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, or an `ENCRYPTED
    /// PRIVATE KEY` opened with `passphrase`.
    #[uniffi::constructor(default(passphrase = None))]
    pub fn from_pem(pem: String, passphrase: Option<String>) -> Result<Arc<Self>> {
        let key = match self::passphrase(passphrase) {
            Some(p) => chatseal::PlatformDecryptionKey::from_encrypted_pem(&pem, &p)?,
            None => chatseal::PlatformDecryptionKey::from_pem(&pem)?,
        };
        Ok(Arc::new(Self(key)))
    }

    /// The same key under another key id.
    pub fn with_kid(&self, kid: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self(self.0.clone().with_kid(kid)?)))
    }

    /// The key id (by default the RFC 7638 thumbprint).
    pub fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    /// The RFC 7638 thumbprint of the public key.
    pub fn thumbprint(&self) -> String {
        self.0.thumbprint().to_owned()
    }

    /// The public half, to give to hosts.
    pub fn encryption_key(&self) -> Arc<PlatformEncryptionKey> {
        Arc::new(PlatformEncryptionKey(self.0.encryption_key().clone()))
    }

    /// The private key as PKCS#8 PEM; with `passphrase`, encrypted. The only
    /// way the private key leaves Rust: write it 0600, never log it.
    #[uniffi::method(default(passphrase = None))]
    pub fn private_pem(&self, passphrase: Option<String>) -> Result<String> {
        let pem = match self::passphrase(passphrase) {
            Some(p) => self.0.to_encrypted_pkcs8_pem(&p)?,
            None => self.0.to_pkcs8_pem()?,
        };
        Ok(pem.expose_secret().to_owned())
    }
}
