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

mod client;
mod jwk;
#[cfg(feature = "pkcs11")]
mod pkcs11;
mod platform;

pub use client::{ClientSigningKey, ClientVerifyingKey};
pub(crate) use jwk::{check_kid, PublicMaterial};
pub use jwk::{Jwk, Jwks};
pub(crate) use platform::{DecryptKind, EncryptKind};
pub use platform::{EcdhCurve, JweAlgorithm, PlatformDecryptionKey, PlatformEncryptionKey};

use crate::backend::{
    self, Curve, EcPublic, EcdhPrivate, EcdhPublic, Ed25519Public, OaepDecrypter, OaepEncrypter,
    RsaBits, RsaPadding, RsaPublic, SigAlg, SigVerifier, Signer,
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
    /// Ed25519 (RFC 8032), JOSE name `Ed25519` (RFC 9864). On verify the
    /// older, polymorphic name `EdDSA` (RFC 8037) with an Ed25519 key is
    /// accepted as this algorithm; tokens are signed as `Ed25519`.
    Ed25519,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::Ed25519,
    ];

    /// The JOSE name, e.g. `RS256`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::ES256 => "ES256",
            Self::Ed25519 => "Ed25519",
        }
    }

    fn sig_alg(self) -> SigAlg {
        match self {
            Self::RS256 => SigAlg::Rs256,
            Self::PS256 => SigAlg::Ps256,
            Self::ES256 => SigAlg::Es256,
            Self::Ed25519 => SigAlg::Ed25519,
        }
    }

    fn is_rsa(self) -> bool {
        matches!(self, Self::RS256 | Self::PS256)
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
            "Ed25519" | "EdDSA" => Ok(Self::Ed25519),
            n if n.eq_ignore_ascii_case("none") => Err(Error::new(
                ErrorKind::AlgorithmNone,
                "algorithm `none` (unsigned token) is never accepted",
            )),
            n if n.len() <= 8 && n.to_ascii_uppercase().starts_with("HS") => Err(Error::new(
                ErrorKind::HmacAlgorithm,
                format!(
                    "HMAC algorithm `{n}` is never accepted; chatseal verifies only \
                     RS256, PS256, ES256 and Ed25519"
                ),
            )),
            n => Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "algorithm `{}` is not supported; chatseal signs and verifies RS256, \
                     PS256, ES256 and Ed25519",
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
    fn kidless_copies_of_one_key_in_a_jwks_are_refused() {
        // Found by the jwk_parse fuzz target: two kid-less entries of the
        // same key loaded, and the set they wrote back out did not.
        let k = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let mut jwk: serde_json::Value =
            serde_json::from_str(&k.verifying_key().to_jwk().to_json()).unwrap();
        jwk.as_object_mut().unwrap().remove("kid");
        let set = serde_json::json!({"keys": [jwk.clone(), jwk]}).to_string();
        assert!(ClientVerifyingKey::from_jwks(&set).is_err());
        // One copy loads, and its own set loads back.
        let one = ClientVerifyingKey::from_jwks(
            &serde_json::json!({"keys": [serde_json::from_str::<serde_json::Value>(
                &k.verifying_key().to_jwk().to_json()
            )
            .unwrap()]})
            .to_string(),
        )
        .unwrap();
        let again = ClientVerifyingKey::from_jwks(&ClientVerifyingKey::to_jwks(&one).to_json());
        assert_eq!(again.unwrap(), one);
    }

    #[test]
    fn duplicate_kids_refused() {
        let k = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let j = k.verifying_key().to_jwk().to_json();
        let set = format!(r#"{{"keys":[{j},{j}]}}"#);
        assert!(ClientVerifyingKey::from_jwks(&set).is_err());
    }
}
