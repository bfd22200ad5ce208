//! The elliptic-curve half of the backend: Ed25519 signatures, ECDH on P-256
//! and X25519 for JWE `ECDH-ES` (RFC 7518 §4.6, RFC 8037), the Concat KDF and
//! AES-256 key wrap (RFC 3394). Every operation is aws-lc-rs's.

use aws_lc_rs::{
    agreement::{self, EphemeralPrivateKey, PrivateKey, UnparsedPublicKey},
    encoding::{AsBigEndian, AsDer, Curve25519SeedBin, Pkcs8V1Der},
    key_wrap::{AesKek, KeyWrap, AES_256},
    rand,
    signature::{self, Ed25519KeyPair, KeyPair as _},
};
use zeroize::Zeroizing;

use super::{sha256, EcPublic};
use crate::error::{Error, ErrorKind, Result};

/// DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410): the 32 key
/// bytes follow.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// DER prefix of an X25519 `SubjectPublicKeyInfo` (RFC 8410).
const X25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
];
/// DER prefix of an X25519 PKCS#8 v1 `PrivateKeyInfo` (RFC 8410 §7): the 32
/// private key bytes follow.
const X25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
];
/// The Ed25519 algorithm OID (1.3.101.112) as it appears in DER.
const ED25519_OID: [u8; 5] = [0x06, 0x03, 0x2b, 0x65, 0x70];

/// An Ed25519 public key (32 bytes, RFC 8032 encoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ed25519Public(pub(crate) [u8; 32]);

impl Ed25519Public {
    /// From the 32 raw bytes (a JWK's `x`). aws-lc-rs refuses a point that
    /// does not decode when the key is parsed for verification.
    pub(crate) fn from_raw(bytes: &[u8]) -> Result<Self> {
        let raw: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::invalid_key("Ed25519 public key must be 32 bytes"))?;
        signature::ParsedPublicKey::new(&signature::ED25519, raw)
            .map_err(|_| Error::invalid_key("Ed25519 public key is not a valid point"))?;
        Ok(Self(raw))
    }

    /// From a DER `SubjectPublicKeyInfo`, or `None` when the DER is not an
    /// Ed25519 key.
    pub(crate) fn from_spki_der(der: &[u8]) -> Option<Result<Self>> {
        der.strip_prefix(&ED25519_SPKI_PREFIX[..])
            .map(Self::from_raw)
    }

    pub(crate) fn spki_der(&self) -> Vec<u8> {
        [&ED25519_SPKI_PREFIX[..], &self.0[..]].concat()
    }
}

/// Whether a PKCS#8 `PrivateKeyInfo` names the Ed25519 algorithm (its
/// `AlgorithmIdentifier` is the first SEQUENCE after the version).
pub(crate) fn pkcs8_is_ed25519(der: &[u8]) -> bool {
    der.windows(ED25519_OID.len())
        .take(16)
        .any(|w| w == ED25519_OID)
}

/// Generates an Ed25519 key pair.
pub(crate) fn ed25519_generate() -> Result<Ed25519KeyPair> {
    Ed25519KeyPair::generate().map_err(|_| Error::internal("Ed25519 key generation"))
}

/// An Ed25519 key pair from PKCS#8 v1 or v2 DER.
pub(crate) fn ed25519_from_pkcs8(der: &[u8]) -> Result<Ed25519KeyPair> {
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
        .map_err(|e| Error::invalid_key(format!("Ed25519 private key rejected ({e})")))
}

/// PKCS#8 v1 DER of an Ed25519 key pair.
pub(crate) fn ed25519_to_pkcs8(pair: &Ed25519KeyPair) -> Result<Zeroizing<Vec<u8>>> {
    let der: Pkcs8V1Der<'static> = pair
        .as_der()
        .map_err(|_| Error::internal("Ed25519 private key encoding"))?;
    Ok(Zeroizing::new(der.as_ref().to_vec()))
}

pub(crate) fn ed25519_public(pair: &Ed25519KeyPair) -> Ed25519Public {
    let mut raw = [0u8; 32];
    raw.copy_from_slice(pair.public_key().as_ref());
    Ed25519Public(raw)
}

// ---------------------------------------------------------------------------
// ECDH.
// ---------------------------------------------------------------------------

/// A curve for ECDH-ES.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Curve {
    /// NIST P-256 (JWK `kty: EC`, `crv: P-256`).
    P256,
    /// Curve25519 for key agreement (JWK `kty: OKP`, `crv: X25519`).
    X25519,
}

impl Curve {
    fn alg(self) -> &'static agreement::Algorithm {
        match self {
            Self::P256 => &agreement::ECDH_P256,
            Self::X25519 => &agreement::X25519,
        }
    }

    /// The JWK `crv` name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::X25519 => "X25519",
        }
    }
}

/// A validated public key for ECDH: a P-256 point on the curve (65 bytes,
/// uncompressed) or an X25519 u-coordinate (32 bytes).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct EcdhPublic {
    curve: Curve,
    bytes: Vec<u8>,
}

impl EcdhPublic {
    /// A P-256 point, from its checked form.
    pub(crate) fn p256(point: &EcPublic) -> Self {
        Self {
            curve: Curve::P256,
            bytes: point.point.to_vec(),
        }
    }

    /// A P-256 point given as `04 || x || y` (a JWE `epk`): its length and
    /// form are checked here; whether it is on the curve is checked once, by
    /// [`EcdhPrivate::agree`], before any secret-dependent work (so the point
    /// is parsed once per token, not twice).
    pub(crate) fn p256_point(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 65 || bytes[0] != 4 {
            return Err(Error::invalid_key(
                "P-256 public point must be 65 bytes, uncompressed",
            ));
        }
        Ok(Self {
            curve: Curve::P256,
            bytes: bytes.to_vec(),
        })
    }

    /// An X25519 public key from its 32 bytes. Low-order points are refused
    /// when they are used (the shared secret would be all zero).
    pub(crate) fn x25519(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 32 {
            return Err(Error::invalid_key("X25519 public key must be 32 bytes"));
        }
        Ok(Self {
            curve: Curve::X25519,
            bytes: bytes.to_vec(),
        })
    }

    /// From a DER `SubjectPublicKeyInfo` holding an X25519 key, or `None`
    /// when the DER is not one.
    pub(crate) fn x25519_from_spki_der(der: &[u8]) -> Option<Result<Self>> {
        der.strip_prefix(&X25519_SPKI_PREFIX[..]).map(Self::x25519)
    }

    pub(crate) fn curve(&self) -> Curve {
        self.curve
    }

    /// The public bytes (P-256: `04 || x || y`; X25519: 32 bytes).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn spki_der(&self) -> Result<Vec<u8>> {
        match self.curve {
            Curve::P256 => Ok(EcPublic::from_der_or_point(&self.bytes)?.spki_der()),
            Curve::X25519 => Ok([&X25519_SPKI_PREFIX[..], &self.bytes[..]].concat()),
        }
    }
}

/// A static private key for ECDH (the platform's decryption key).
pub(crate) struct EcdhPrivate {
    key: PrivateKey,
    public: EcdhPublic,
}

fn public_of(curve: Curve, key: &PrivateKey) -> Result<EcdhPublic> {
    let p = key
        .compute_public_key()
        .map_err(|_| Error::internal("ECDH public key"))?;
    Ok(EcdhPublic {
        curve,
        bytes: p.as_ref().to_vec(),
    })
}

impl EcdhPrivate {
    pub(crate) fn generate(curve: Curve) -> Result<Self> {
        let key = PrivateKey::generate(curve.alg())
            .map_err(|_| Error::internal("ECDH key generation"))?;
        let public = public_of(curve, &key)?;
        Ok(Self { key, public })
    }

    /// From PKCS#8 (or, for P-256, SEC1 `ECPrivateKey`) DER. `None` when the
    /// DER holds no key of `curve`.
    pub(crate) fn from_der(curve: Curve, der: &[u8]) -> Result<Self> {
        let key = match curve {
            Curve::P256 => PrivateKey::from_private_key_der(&agreement::ECDH_P256, der)
                .map_err(|e| Error::invalid_key(format!("P-256 private key rejected ({e})")))?,
            Curve::X25519 => {
                let seed = der
                    .strip_prefix(&X25519_PKCS8_PREFIX[..])
                    .filter(|s| s.len() == 32)
                    .ok_or_else(|| {
                        Error::invalid_key("X25519 private key is not PKCS#8 v1 (RFC 8410)")
                    })?;
                PrivateKey::from_private_key(&agreement::X25519, seed)
                    .map_err(|e| Error::invalid_key(format!("X25519 private key rejected ({e})")))?
            }
        };
        let public = public_of(curve, &key)?;
        Ok(Self { key, public })
    }

    /// From the raw private key: a P-256 scalar (big-endian, 32 bytes) or
    /// an X25519 key (32 bytes). For test vectors.
    #[cfg(test)]
    pub(crate) fn from_raw(curve: Curve, raw: &[u8]) -> Result<Self> {
        let key = PrivateKey::from_private_key(curve.alg(), raw)
            .map_err(|e| Error::invalid_key(format!("ECDH private key rejected ({e})")))?;
        let public = public_of(curve, &key)?;
        Ok(Self { key, public })
    }

    /// Which curve, if any, a PKCS#8 `PrivateKeyInfo` is for.
    pub(crate) fn curve_of_pkcs8(der: &[u8]) -> Option<Curve> {
        if der.starts_with(&X25519_PKCS8_PREFIX) {
            return Some(Curve::X25519);
        }
        PrivateKey::from_private_key_der(&agreement::ECDH_P256, der)
            .ok()
            .map(|_| Curve::P256)
    }

    /// PKCS#8 v1 DER.
    pub(crate) fn to_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>> {
        match self.public.curve {
            Curve::P256 => {
                let der: Pkcs8V1Der<'static> = self
                    .key
                    .as_der()
                    .map_err(|_| Error::internal("P-256 private key encoding"))?;
                Ok(Zeroizing::new(der.as_ref().to_vec()))
            }
            Curve::X25519 => {
                let seed: Curve25519SeedBin<'static> = self
                    .key
                    .as_be_bytes()
                    .map_err(|_| Error::internal("X25519 private key encoding"))?;
                let mut out = Zeroizing::new(Vec::with_capacity(48));
                out.extend_from_slice(&X25519_PKCS8_PREFIX);
                out.extend_from_slice(seed.as_ref());
                Ok(out)
            }
        }
    }

    pub(crate) fn public(&self) -> &EcdhPublic {
        &self.public
    }

    /// The shared secret `Z` with `peer`. A peer key on another curve, a
    /// point not on the curve, or an X25519 point of low order (all-zero
    /// secret) is the same opaque [`ErrorKind::DecryptionFailed`].
    pub(crate) fn agree(&self, peer: &EcdhPublic) -> Result<Zeroizing<Vec<u8>>> {
        if peer.curve != self.public.curve {
            return Err(Error::decryption_failed());
        }
        // The peer's point is parsed and checked on the curve here, once (the
        // invalid-curve attack ends here; a public fact, so it is named).
        let parsed = agreement::ParsedPublicKey::try_from(&UnparsedPublicKey::new(
            peer.curve.alg(),
            peer.bytes.as_slice(),
        ))
        .map_err(|_| {
            Error::new(
                ErrorKind::DecryptionFailed,
                format!(
                    "the ephemeral public key is not a point on {}",
                    peer.curve.name()
                ),
            )
        })?;
        let z = agreement::agree(&self.key, parsed, Error::decryption_failed(), |z| {
            Ok(Zeroizing::new(z.to_vec()))
        })?;
        if self.public.curve == Curve::X25519 {
            check_nonzero(&z)?;
        }
        Ok(z)
    }
}

/// RFC 7748 §6.1: an all-zero X25519 output means a low-order peer point;
/// refuse it (aws-lc already does; this keeps the rule visible here). Not
/// for P-256, where a zero x-coordinate is a valid shared secret
/// (Wycheproof tcId 3 of ecdh_secp256r1_test.json).
fn check_nonzero(z: &[u8]) -> Result<()> {
    if z.iter().fold(0u8, |acc, b| acc | b) == 0 {
        return Err(Error::decryption_failed());
    }
    Ok(())
}

/// A fresh ephemeral key agreed with `peer`: returns the ephemeral public
/// key (the JWE `epk`) and the shared secret `Z`.
pub(crate) fn ecdh_ephemeral(peer: &EcdhPublic) -> Result<(EcdhPublic, Zeroizing<Vec<u8>>)> {
    let rng = rand::SystemRandom::new();
    let eph = EphemeralPrivateKey::generate(peer.curve.alg(), &rng)
        .map_err(|_| Error::internal("ECDH ephemeral key generation"))?;
    let epk = EcdhPublic {
        curve: peer.curve,
        bytes: eph
            .compute_public_key()
            .map_err(|_| Error::internal("ECDH ephemeral public key"))?
            .as_ref()
            .to_vec(),
    };
    let theirs = UnparsedPublicKey::new(peer.curve.alg(), peer.bytes.as_slice());
    let z = agreement::agree_ephemeral(
        eph,
        theirs,
        Error::new(
            ErrorKind::InvalidKey,
            "the platform key is not a usable ECDH key",
        ),
        |z| Ok(Zeroizing::new(z.to_vec())),
    )?;
    if peer.curve == Curve::X25519 {
        check_nonzero(&z)
            .map_err(|_| Error::new(ErrorKind::WeakKey, "the platform key is a low-order point"))?;
    }
    Ok((epk, z))
}

/// The Concat KDF of NIST SP 800-56A §5.8.1 as JOSE uses it (RFC 7518
/// §4.6.2), with SHA-256, for a key of `key_len` ≤ 32 bytes (one round):
/// `SHA-256(00000001 || Z || len(alg) || alg || len(apu) || apu || len(apv)
/// || apv || keydatalen-in-bits)`, truncated to `key_len`.
pub(crate) fn concat_kdf(
    z: &[u8],
    alg_id: &[u8],
    apu: &[u8],
    apv: &[u8],
    key_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    if key_len == 0 || key_len > 32 {
        return Err(Error::internal("Concat KDF output length"));
    }
    let len = |b: &[u8]| u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes();
    let mut input = Zeroizing::new(Vec::with_capacity(
        4 + z.len() + 12 + alg_id.len() + apu.len() + apv.len() + 4,
    ));
    input.extend_from_slice(&1u32.to_be_bytes());
    input.extend_from_slice(z);
    for part in [alg_id, apu, apv] {
        input.extend_from_slice(&len(part));
        input.extend_from_slice(part);
    }
    let bits = u32::try_from(key_len * 8).unwrap_or(256);
    input.extend_from_slice(&bits.to_be_bytes());
    let mut out = Zeroizing::new(sha256(&input).to_vec());
    out.truncate(key_len);
    Ok(out)
}

/// AES-256 key wrap (RFC 3394) of a 32-byte content key.
pub(crate) fn aes256kw_wrap(kek: &[u8], cek: &[u8]) -> Result<Vec<u8>> {
    let kek = AesKek::new(&AES_256, kek).map_err(|_| Error::internal("AES-KW key"))?;
    let mut out = vec![0u8; cek.len() + 8];
    let n = kek
        .wrap(cek, &mut out)
        .map_err(|_| Error::internal("AES key wrap"))?
        .len();
    out.truncate(n);
    Ok(out)
}

/// AES-256 key unwrap (RFC 3394); any failure (a wrong key, a bad integrity
/// check value, a bad length) is the same opaque error.
pub(crate) fn aes256kw_unwrap(kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if kek.len() != 32 || wrapped.len() < 24 || wrapped.len() % 8 != 0 || wrapped.len() > 1024 {
        return Err(Error::decryption_failed());
    }
    let kek = AesKek::new(&AES_256, kek).map_err(|_| Error::decryption_failed())?;
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let n = kek
        .unwrap(wrapped, &mut out)
        .map_err(|_| Error::decryption_failed())?
        .len();
    out.truncate(n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_kdf_matches_rfc7518_appendix_c() {
        // RFC 7518 Appendix C: ECDH-ES direct with A128GCM, apu "Alice",
        // apv "Bob"; Z and the derived key are the RFC's.
        let z = [
            158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49,
            110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196,
        ];
        let want = [
            86, 170, 141, 234, 248, 35, 109, 32, 92, 34, 40, 205, 113, 167, 16, 26,
        ];
        let got = concat_kdf(&z, b"A128GCM", b"Alice", b"Bob", 16).unwrap();
        assert_eq!(&got[..], &want[..]);
        assert_eq!(concat_kdf(&z, b"A256GCM", b"", b"", 32).unwrap().len(), 32);
        assert!(concat_kdf(&z, b"x", b"", b"", 33).is_err());
    }

    #[test]
    fn ecdh_round_trip_and_refusals() {
        for curve in [Curve::P256, Curve::X25519] {
            let me = EcdhPrivate::generate(curve).unwrap();
            let (epk, z1) = ecdh_ephemeral(me.public()).unwrap();
            let z2 = me.agree(&epk).unwrap();
            assert_eq!(*z1, *z2);
            let back = EcdhPrivate::from_der(curve, &me.to_pkcs8().unwrap()).unwrap();
            assert_eq!(back.public().bytes(), me.public().bytes());
            assert_eq!(
                EcdhPrivate::curve_of_pkcs8(&me.to_pkcs8().unwrap()),
                Some(curve)
            );
        }
        let x = EcdhPrivate::generate(Curve::X25519).unwrap();
        // Low-order X25519 points (RFC 7748 §7 / Wycheproof): zero and one.
        for bad in [[0u8; 32], {
            let mut one = [0u8; 32];
            one[0] = 1;
            one
        }] {
            let e = x.agree(&EcdhPublic::x25519(&bad).unwrap()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
        }
        // A key on the other curve.
        let p = EcdhPrivate::generate(Curve::P256).unwrap();
        assert!(x.agree(p.public()).is_err());
    }

    #[test]
    fn key_wrap_round_trip_and_tamper() {
        let kek = [7u8; 32];
        let cek = [9u8; 32];
        let w = aes256kw_wrap(&kek, &cek).unwrap();
        assert_eq!(w.len(), 40);
        assert_eq!(&aes256kw_unwrap(&kek, &w).unwrap()[..], &cek[..]);
        let mut bad = w.clone();
        bad[5] ^= 1;
        assert!(aes256kw_unwrap(&kek, &bad).is_err());
        assert!(aes256kw_unwrap(&[8u8; 32], &w).is_err());
        assert!(aes256kw_unwrap(&kek, &w[..16]).is_err());
    }

    #[test]
    fn ed25519_sign_verify_and_encodings() {
        let pair = ed25519_generate().unwrap();
        let der = ed25519_to_pkcs8(&pair).unwrap();
        assert!(pkcs8_is_ed25519(&der));
        let back = ed25519_from_pkcs8(&der).unwrap();
        let public = ed25519_public(&back);
        assert_eq!(public, ed25519_public(&pair));
        let spki = public.spki_der();
        assert_eq!(
            Ed25519Public::from_spki_der(&spki).unwrap().unwrap(),
            public
        );
        let sig = pair.sign(b"msg");
        let v = signature::ParsedPublicKey::new(&signature::ED25519, public.0).unwrap();
        assert!(v.verify_sig(b"msg", sig.as_ref()).is_ok());
        assert!(v.verify_sig(b"msh", sig.as_ref()).is_err());
    }
}
