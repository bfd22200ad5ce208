//! Every call into the cryptographic backend (aws-lc-rs) lives here.
//!
//! The rest of the crate sees small wrapper types with the operations it
//! needs. A reviewer who wants to see every cryptographic operation chatseal
//! performs reads this one file.

use aws_lc_rs::{
    aead, constant_time, digest,
    encoding::AsDer,
    rand,
    rsa::{
        KeySize, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
        PublicEncryptingKey, PublicKeyComponents, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
    },
    signature::{self, EcdsaKeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair},
};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};

/// The DER prefix of a P-256 `SubjectPublicKeyInfo` holding an uncompressed
/// point: what precedes the 65 point bytes.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Smallest RSA modulus accepted anywhere, in bits.
pub(crate) const RSA_MIN_BITS: usize = 2048;
/// Largest RSA modulus accepted anywhere, in bits (bounds the cost of a
/// verification an attacker can make us do with a configured key).
pub(crate) const RSA_MAX_BITS: usize = 8192;

/// Fills `out` with bytes from the system's secure random generator.
pub(crate) fn fill_random(out: &mut [u8]) -> Result<()> {
    rand::fill(out).map_err(|_| Error::internal("random generator"))
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Constant-time equality of two byte strings (time depends on lengths only).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// The RSA signature padding of a signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaPadding {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RS256).
    Pkcs1Sha256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt (PS256).
    PssSha256,
}

/// An RSA modulus size chatseal generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaBits {
    B2048,
    B3072,
    B4096,
}

impl RsaBits {
    fn key_size(self) -> KeySize {
        match self {
            Self::B2048 => KeySize::Rsa2048,
            Self::B3072 => KeySize::Rsa3072,
            Self::B4096 => KeySize::Rsa4096,
        }
    }
}

fn rsa_bits_check(bits: usize) -> Result<()> {
    if bits < RSA_MIN_BITS {
        return Err(Error::new(
            ErrorKind::WeakKey,
            format!("RSA key has {bits} bits; at least {RSA_MIN_BITS} are required"),
        ));
    }
    if bits > RSA_MAX_BITS {
        return Err(Error::new(
            ErrorKind::WeakKey,
            format!("RSA key has {bits} bits; at most {RSA_MAX_BITS} are accepted"),
        ));
    }
    Ok(())
}

fn rejected(what: &str, e: aws_lc_rs::error::KeyRejected) -> Error {
    match e.to_string().as_str() {
        "TooSmall" => Error::new(
            ErrorKind::WeakKey,
            format!("{what}: RSA key too small; at least {RSA_MIN_BITS} bits are required"),
        ),
        "TooLarge" => Error::new(
            ErrorKind::WeakKey,
            format!("{what}: RSA key too large; at most {RSA_MAX_BITS} bits are accepted"),
        ),
        "WrongAlgorithm" => Error::new(
            ErrorKind::KeyRoleMismatch,
            format!("{what}: the key is of another type than expected"),
        ),
        other => Error::invalid_key(format!("{what}: key rejected ({other})")),
    }
}

/// An RSA public key as its big-endian components (no leading zeros).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RsaPublic {
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
}

impl RsaPublic {
    /// Parses a DER `SubjectPublicKeyInfo` or PKCS#1 `RSAPublicKey`.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self> {
        let key =
            aws_lc_rs::rsa::PublicKey::from_der(der).map_err(|e| rejected("RSA public key", e))?;
        let out = Self {
            n: key.modulus().big_endian_without_leading_zero().to_vec(),
            e: key.exponent().big_endian_without_leading_zero().to_vec(),
        };
        rsa_bits_check(out.bits())?;
        Ok(out)
    }

    /// Checks components given as big-endian bytes (from a JWK).
    pub(crate) fn from_components(n: &[u8], e: &[u8]) -> Result<Self> {
        let out = Self {
            n: n.to_vec(),
            e: e.to_vec(),
        };
        if n.first() == Some(&0) || e.first() == Some(&0) {
            return Err(Error::invalid_key(
                "RSA JWK: `n` or `e` has a leading zero byte",
            ));
        }
        rsa_bits_check(out.bits())?;
        // Let the backend validate the pair (odd modulus, sane exponent).
        out.spki_der()?;
        Ok(out)
    }

    /// The modulus size in bits.
    pub(crate) fn bits(&self) -> usize {
        match self.n.first() {
            None => 0,
            Some(b) => (self.n.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
        }
    }

    /// DER `SubjectPublicKeyInfo`.
    pub(crate) fn spki_der(&self) -> Result<Vec<u8>> {
        let c = PublicKeyComponents {
            n: self.n.as_slice(),
            e: self.e.as_slice(),
        };
        let der = c
            .as_der()
            .map_err(|_| Error::invalid_key("RSA public key: invalid modulus or exponent"))?;
        Ok(der.as_ref().to_vec())
    }
}

/// A P-256 public point, uncompressed (`04 || x || y`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct EcPublic {
    pub(crate) point: [u8; 65],
}

impl EcPublic {
    /// Parses a DER `SubjectPublicKeyInfo` or an uncompressed SEC1 point and
    /// checks that it is a valid point on P-256.
    pub(crate) fn from_der_or_point(bytes: &[u8]) -> Result<Self> {
        let parsed = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, bytes).map_err(
            |e| match e.to_string().as_str() {
                "WrongAlgorithm" | "UnexpectedError" if bytes.first() == Some(&0x30) => Error::new(
                    ErrorKind::WeakKey,
                    "EC public key is not on curve P-256 (only P-256 is accepted)",
                ),
                other => Error::invalid_key(format!("EC public key rejected ({other})")),
            },
        )?;
        let spki = parsed
            .as_der()
            .map_err(|_| Error::invalid_key("EC public key could not be encoded"))?;
        let spki = spki.as_ref();
        if spki.len() != 91 || spki[..26] != P256_SPKI_PREFIX {
            return Err(Error::invalid_key(
                "EC public key is not an uncompressed P-256 point",
            ));
        }
        let mut point = [0u8; 65];
        point.copy_from_slice(&spki[26..]);
        Ok(Self { point })
    }

    /// DER `SubjectPublicKeyInfo`.
    pub(crate) fn spki_der(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(91);
        out.extend_from_slice(&P256_SPKI_PREFIX);
        out.extend_from_slice(&self.point);
        out
    }

    pub(crate) fn x(&self) -> &[u8] {
        &self.point[1..33]
    }

    pub(crate) fn y(&self) -> &[u8] {
        &self.point[33..]
    }
}

/// A private signing key.
pub(crate) enum Signer {
    Rsa(RsaKeyPair, RsaPadding),
    Ec(EcdsaKeyPair),
}

impl Signer {
    pub(crate) fn generate_rsa(bits: RsaBits, padding: RsaPadding) -> Result<Self> {
        let pair = RsaKeyPair::generate(bits.key_size())
            .map_err(|_| Error::internal("RSA key generation"))?;
        Ok(Self::Rsa(pair, padding))
    }

    pub(crate) fn generate_p256() -> Result<Self> {
        let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| Error::internal("P-256 key generation"))?;
        Ok(Self::Ec(pair))
    }

    /// From PKCS#8 `PrivateKeyInfo` (or PKCS#1 `RSAPrivateKey` when
    /// `pkcs1` is set) holding an RSA key.
    pub(crate) fn rsa_from_der(der: &[u8], pkcs1: bool, padding: RsaPadding) -> Result<Self> {
        let pair = if pkcs1 {
            RsaKeyPair::from_der(der)
        } else {
            RsaKeyPair::from_pkcs8(der)
        }
        .map_err(|e| rejected("RSA private key", e))?;
        rsa_bits_check(pair.public_modulus_len() * 8)?;
        Ok(Self::Rsa(pair, padding))
    }

    /// From PKCS#8 or SEC1 `ECPrivateKey` holding a P-256 key.
    pub(crate) fn p256_from_der(der: &[u8]) -> Result<Self> {
        let pair =
            EcdsaKeyPair::from_private_key_der(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .map_err(|e| match e.to_string().as_str() {
                    "WrongAlgorithm" => Error::new(
                        ErrorKind::WeakKey,
                        "EC private key is not on curve P-256 (only P-256 is accepted)",
                    ),
                    other => Error::invalid_key(format!("EC private key rejected ({other})")),
                })?;
        Ok(Self::Ec(pair))
    }

    /// PKCS#8 v1 DER of the private key.
    pub(crate) fn to_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>> {
        let der = match self {
            Self::Rsa(pair, _) => pair.as_der().map(|d| Zeroizing::new(d.as_ref().to_vec())),
            Self::Ec(pair) => pair
                .to_pkcs8v1()
                .map(|d| Zeroizing::new(d.as_ref().to_vec())),
        };
        der.map_err(|_| Error::internal("private key encoding"))
    }

    pub(crate) fn rsa_public(&self) -> Option<RsaPublic> {
        match self {
            Self::Rsa(pair, _) => {
                let p = pair.public_key();
                Some(RsaPublic {
                    n: p.modulus().big_endian_without_leading_zero().to_vec(),
                    e: p.exponent().big_endian_without_leading_zero().to_vec(),
                })
            }
            Self::Ec(_) => None,
        }
    }

    pub(crate) fn ec_public(&self) -> Option<EcPublic> {
        match self {
            Self::Ec(pair) => {
                let mut point = [0u8; 65];
                point.copy_from_slice(pair.public_key().as_ref());
                Some(EcPublic { point })
            }
            Self::Rsa(..) => None,
        }
    }

    /// Signs `message`; the output is the JWS signature (r‖s for ES256).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let rng = rand::SystemRandom::new();
        match self {
            Self::Rsa(pair, padding) => {
                let enc: &'static dyn signature::RsaEncoding = match padding {
                    RsaPadding::Pkcs1Sha256 => &signature::RSA_PKCS1_SHA256,
                    RsaPadding::PssSha256 => &signature::RSA_PSS_SHA256,
                };
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(enc, &rng, message, &mut sig)
                    .map_err(|_| Error::internal("RSA signing"))?;
                Ok(sig)
            }
            Self::Ec(pair) => pair
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| Error::internal("ECDSA signing")),
        }
    }
}

/// Which signature check a [`SigVerifier`] performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigAlg {
    Rs256,
    Ps256,
    Es256,
}

/// A public key parsed once for signature verification.
pub(crate) struct SigVerifier(ParsedPublicKey);

impl SigVerifier {
    pub(crate) fn rsa(public: &RsaPublic, alg: SigAlg) -> Result<Self> {
        let params: &'static aws_lc_rs::rsa::RsaParameters = match alg {
            SigAlg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            SigAlg::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
            SigAlg::Es256 => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    "an RSA key cannot verify ES256",
                ))
            }
        };
        let c = PublicKeyComponents {
            n: public.n.as_slice(),
            e: public.e.as_slice(),
        };
        c.to_parsed_public_key(params)
            .map(Self)
            .map_err(|e| rejected("RSA public key", e))
    }

    pub(crate) fn p256(public: &EcPublic) -> Result<Self> {
        ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, public.point)
            .map(Self)
            .map_err(|e| rejected("EC public key", e))
    }

    /// Whether `sig` is a valid signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        self.0.verify_sig(message, sig).is_ok()
    }
}

/// Which RSA-OAEP hash a decryption or encryption uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Oaep {
    /// RSA-OAEP with SHA-1 and MGF1-SHA-1 (JOSE `RSA-OAEP`, node-rsa's default).
    Sha1,
    /// RSA-OAEP with SHA-256 and MGF1-SHA-256 (JOSE `RSA-OAEP-256`).
    Sha256,
}

impl Oaep {
    fn alg(self) -> &'static aws_lc_rs::rsa::OaepAlgorithm {
        match self {
            Self::Sha1 => &OAEP_SHA1_MGF1SHA1,
            Self::Sha256 => &OAEP_SHA256_MGF1SHA256,
        }
    }

    /// Bytes of OAEP overhead: 2 * hash length + 2.
    pub(crate) fn overhead(self) -> usize {
        match self {
            Self::Sha1 => 42,
            Self::Sha256 => 66,
        }
    }
}

/// An RSA private key for OAEP decryption.
pub(crate) struct OaepDecrypter(OaepPrivateDecryptingKey, PrivateDecryptingKey);

impl OaepDecrypter {
    fn wrap(key: PrivateDecryptingKey) -> Result<Self> {
        rsa_bits_check(key.key_size_bits())?;
        let oaep = OaepPrivateDecryptingKey::new(key.clone())
            .map_err(|_| Error::invalid_key("RSA key cannot be used for OAEP"))?;
        Ok(Self(oaep, key))
    }

    pub(crate) fn generate(bits: RsaBits) -> Result<Self> {
        let key = PrivateDecryptingKey::generate(bits.key_size())
            .map_err(|_| Error::internal("RSA key generation"))?;
        Self::wrap(key)
    }

    /// From PKCS#8 (or PKCS#1 when `pkcs1` is set) DER.
    pub(crate) fn from_der(der: &[u8], pkcs1: bool) -> Result<Self> {
        let key = if pkcs1 {
            let pair = RsaKeyPair::from_der(der).map_err(|e| rejected("RSA private key", e))?;
            let pkcs8 = pair
                .as_der()
                .map_err(|_| Error::invalid_key("RSA private key could not be re-encoded"))?;
            let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
            PrivateDecryptingKey::from_pkcs8(&pkcs8)
        } else {
            PrivateDecryptingKey::from_pkcs8(der)
        }
        .map_err(|e| rejected("RSA private key", e))?;
        Self::wrap(key)
    }

    pub(crate) fn to_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>> {
        self.1
            .as_der()
            .map(|d| Zeroizing::new(d.as_ref().to_vec()))
            .map_err(|_| Error::internal("private key encoding"))
    }

    pub(crate) fn public(&self) -> Result<OaepEncrypter> {
        OaepEncrypter::wrap(self.1.public_key())
    }

    pub(crate) fn size_bytes(&self) -> usize {
        self.0.key_size_bytes()
    }

    /// Decrypts one block; any failure is the same opaque error.
    pub(crate) fn decrypt(&self, oaep: Oaep, block: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if block.len() != self.0.key_size_bytes() {
            return Err(Error::decryption_failed());
        }
        let mut out = Zeroizing::new(vec![0u8; self.0.min_output_size()]);
        let n = self
            .0
            .decrypt(oaep.alg(), block, &mut out, None)
            .map_err(|_| Error::decryption_failed())?
            .len();
        out.truncate(n);
        Ok(out)
    }
}

/// An RSA public key for OAEP encryption.
#[derive(Clone)]
pub(crate) struct OaepEncrypter {
    key: std::sync::Arc<OaepPublicEncryptingKey>,
    public: RsaPublic,
}

impl OaepEncrypter {
    fn wrap(key: PublicEncryptingKey) -> Result<Self> {
        let spki = key
            .as_der()
            .map_err(|_| Error::invalid_key("RSA public key could not be encoded"))?;
        let public = RsaPublic::from_der(spki.as_ref())?;
        let key = OaepPublicEncryptingKey::new(key)
            .map_err(|_| Error::invalid_key("RSA key cannot be used for OAEP"))?;
        Ok(Self {
            key: std::sync::Arc::new(key),
            public,
        })
    }

    pub(crate) fn from_public(public: &RsaPublic) -> Result<Self> {
        let spki = public.spki_der()?;
        let key =
            PublicEncryptingKey::from_der(&spki).map_err(|e| rejected("RSA public key", e))?;
        Self::wrap(key)
    }

    pub(crate) fn rsa_public(&self) -> &RsaPublic {
        &self.public
    }

    pub(crate) fn size_bytes(&self) -> usize {
        self.key.key_size_bytes()
    }

    /// Encrypts one block of at most `size_bytes() - oaep.overhead()` bytes.
    pub(crate) fn encrypt(&self, oaep: Oaep, plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.key.ciphertext_size()];
        let n = self
            .key
            .encrypt(oaep.alg(), plaintext, &mut out, None)
            .map_err(|_| Error::internal("RSA-OAEP encryption"))?
            .len();
        out.truncate(n);
        Ok(out)
    }
}

/// AES-256-GCM encryption with a 96-bit IV; returns ciphertext and tag.
pub(crate) fn aes256gcm_seal(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, [u8; 16])> {
    let key = aead::UnboundKey::new(&aead::AES_256_GCM, key)
        .map_err(|_| Error::internal("AES-256-GCM key"))?;
    let key = aead::LessSafeKey::new(key);
    let nonce =
        aead::Nonce::try_assume_unique_for_key(iv).map_err(|_| Error::internal("AES-GCM IV"))?;
    let mut buf = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(nonce, aead::Aad::from(aad), &mut buf)
        .map_err(|_| Error::internal("AES-256-GCM encryption"))?;
    let mut t = [0u8; 16];
    t.copy_from_slice(tag.as_ref());
    Ok((buf, t))
}

/// AES-256-GCM decryption; any failure is the same opaque error.
pub(crate) fn aes256gcm_open(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if key.len() != 32 || iv.len() != 12 || tag.len() != 16 {
        return Err(Error::decryption_failed());
    }
    let key =
        aead::UnboundKey::new(&aead::AES_256_GCM, key).map_err(|_| Error::decryption_failed())?;
    let key = aead::LessSafeKey::new(key);
    let nonce =
        aead::Nonce::try_assume_unique_for_key(iv).map_err(|_| Error::decryption_failed())?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let n = key
        .open_in_place_separate_tag(nonce, aead::Aad::from(aad), tag, &mut buf)
        .map_err(|_| Error::decryption_failed())?
        .len();
    buf.truncate(n);
    Ok(buf)
}

/// A PBKDF2 pseudo-random function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prf {
    HmacSha1,
    HmacSha256,
    HmacSha512,
}

/// PBKDF2 into `out` (at most 64 bytes).
pub(crate) fn pbkdf2(
    prf: Prf,
    iterations: u32,
    salt: &[u8],
    secret: &[u8],
    out: &mut [u8],
) -> Result<()> {
    use aws_lc_rs::pbkdf2 as p;
    let alg = match prf {
        Prf::HmacSha1 => p::PBKDF2_HMAC_SHA1,
        Prf::HmacSha256 => p::PBKDF2_HMAC_SHA256,
        Prf::HmacSha512 => p::PBKDF2_HMAC_SHA512,
    };
    let iterations = std::num::NonZeroU32::new(iterations)
        .ok_or_else(|| Error::invalid_key("PBKDF2 iteration count is zero"))?;
    if out.len() > 64 {
        return Err(Error::internal("PBKDF2 output length"));
    }
    p::derive(alg, iterations, salt, secret, out);
    Ok(())
}

/// AES-CBC with PKCS#7 padding and a 16-byte IV; the key is 16 or 32 bytes.
pub(crate) fn aes_cbc_encrypt(key: &[u8], iv: &[u8; 16], plaintext: &[u8]) -> Result<Vec<u8>> {
    use aws_lc_rs::cipher::{EncryptionContext, PaddedBlockEncryptingKey, UnboundCipherKey};
    let alg = match key.len() {
        16 => &aws_lc_rs::cipher::AES_128,
        32 => &aws_lc_rs::cipher::AES_256,
        _ => return Err(Error::internal("AES-CBC key length")),
    };
    let key = UnboundCipherKey::new(alg, key).map_err(|_| Error::internal("AES-CBC key"))?;
    let key =
        PaddedBlockEncryptingKey::cbc_pkcs7(key).map_err(|_| Error::internal("AES-CBC key"))?;
    let mut buf = plaintext.to_vec();
    key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128((*iv).into()))
        .map_err(|_| Error::internal("AES-CBC encryption"))?;
    Ok(buf)
}

/// AES-CBC decryption with PKCS#7 unpadding; `None` on any failure.
pub(crate) fn aes_cbc_decrypt(
    key: &[u8],
    iv: &[u8; 16],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    use aws_lc_rs::cipher::{DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey};
    let alg = match key.len() {
        16 => &aws_lc_rs::cipher::AES_128,
        32 => &aws_lc_rs::cipher::AES_256,
        _ => return None,
    };
    let key = UnboundCipherKey::new(alg, key).ok()?;
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(key).ok()?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let n = key
        .decrypt(&mut buf, DecryptionContext::Iv128((*iv).into()))
        .ok()?
        .len();
    buf.truncate(n);
    Some(buf)
}

/// HKDF-SHA256 (RFC 5869): extract with `salt` from `ikm`, expand with `info`
/// into `out` (at most 255 * 32 bytes).
pub(crate) fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) -> Result<()> {
    use aws_lc_rs::hkdf;
    struct Len(usize);
    impl hkdf::KeyType for Len {
        fn len(&self) -> usize {
            self.0
        }
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    let info = [info];
    let okm = prk
        .expand(&info, Len(out.len()))
        .map_err(|_| Error::internal("HKDF-SHA256 output length"))?;
    okm.fill(out).map_err(|_| Error::internal("HKDF-SHA256"))
}

/// The TLS crypto provider for remote key fetches: rustls on aws-lc-rs (no
/// `ring`).
pub(crate) fn tls_crypto_provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

#[cfg(test)]
mod hkdf_tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc5869_test_case_1() {
        let ikm = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        let salt = hex("000102030405060708090a0b0c");
        let info = hex("f0f1f2f3f4f5f6f7f8f9");
        let mut okm = [0u8; 42];
        hkdf_sha256(&salt, &ikm, &info, &mut okm).unwrap();
        assert_eq!(
            okm.to_vec(),
            hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        );
    }

    #[test]
    fn rfc5869_test_case_3_empty_salt_and_info() {
        let ikm = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        let mut okm = [0u8; 42];
        hkdf_sha256(&[], &ikm, &[], &mut okm).unwrap();
        assert_eq!(
            okm.to_vec(),
            hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
        );
    }

    #[test]
    fn too_long_output_is_an_error() {
        let mut okm = vec![0u8; 255 * 32 + 1];
        assert!(hkdf_sha256(b"s", b"k", b"i", &mut okm).is_err());
    }
}
