//! Client signing keys and platform decryption keys held in a PKCS#11 token
//! (feature `pkcs11`): same types, the private half never in this process.

use super::client::rsa_padding;
use super::*;
use crate::backend::pkcs11::{Pkcs11Token, Pkcs11Uri, Role, TokenKey};

impl ClientSigningKey {
    /// The signing key `uri` names in `token`, for `alg` (RS256 and PS256
    /// need an RSA key, ES256 a P-256 key; Ed25519 is not offered in
    /// tokens). The public half is read from the token, so
    /// [`ClientSigningKey::verifying_key`] and the `kid` (RFC 7638
    /// thumbprint) work as for a key in memory; signing runs in the token.
    ///
    /// Errors: [`ErrorKind::KeyNotFound`] if no private key (or several)
    /// matches, [`ErrorKind::KeyRoleMismatch`] for a key of another type or
    /// one that may not sign, [`ErrorKind::TokenUnavailable`] and
    /// [`ErrorKind::WrongPin`] from the token.
    pub fn from_pkcs11(token: &Pkcs11Token, uri: &Pkcs11Uri, alg: Algorithm) -> Result<Self> {
        let key = TokenKey::open(token, uri, Role::Sign)?;
        Self::from_token_key(key, alg)
    }

    fn from_token_key(key: TokenKey, alg: Algorithm) -> Result<Self> {
        let uri = key.uri().clone();
        let padding = match (alg, key.public()) {
            (Algorithm::RS256 | Algorithm::PS256, backend::pkcs11::TokenPublic::Rsa(_)) => {
                Some(rsa_padding(alg)?)
            }
            (Algorithm::ES256, backend::pkcs11::TokenPublic::Ec(_)) => None,
            (Algorithm::Ed25519, _) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!("Ed25519 keys in PKCS#11 tokens are not offered (`{uri}`); use ES256, RS256 or PS256"),
                ))
            }
            (_, backend::pkcs11::TokenPublic::Rsa(_)) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!("the token key `{uri}` is RSA, but {alg} needs a P-256 key"),
                ))
            }
            (_, backend::pkcs11::TokenPublic::Ec(_)) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!("the token key `{uri}` is EC, but {alg} needs an RSA key"),
                ))
            }
        };
        Self::from_signer(Signer::Token(Box::new(key), padding), alg)
    }

    /// Generates a key pair for `alg` inside `token` (RSA of `size` for
    /// RS256/PS256, P-256 for ES256): `CKA_TOKEN`, private half
    /// `CKA_SENSITIVE` and not `CKA_EXTRACTABLE`, a random 16-byte `CKA_ID`
    /// and `label`. [`ClientSigningKey::pkcs11_uri`] names it afterwards.
    pub fn generate_in_pkcs11(
        token: &Pkcs11Token,
        alg: Algorithm,
        size: RsaKeySize,
        label: &str,
    ) -> Result<Self> {
        let uri = match alg {
            Algorithm::RS256 | Algorithm::PS256 => {
                token.generate_rsa(size.backend(), false, label)?
            }
            Algorithm::ES256 => token.generate_p256(label)?,
            Algorithm::Ed25519 => {
                return Err(Error::misuse(
                    "Ed25519 keys in PKCS#11 tokens are not offered; use ES256, RS256 or PS256",
                ))
            }
        };
        Self::from_pkcs11(token, &uri, alg)
    }

    /// The URI of the token object holding this key, if it is in a token.
    pub fn pkcs11_uri(&self) -> Option<&Pkcs11Uri> {
        self.signer.token_uri()
    }
}

impl PlatformDecryptionKey {
    /// The RSA decryption key `uri` names in `token` (for `RSA-OAEP-256`
    /// JWEs and the `wxo` format); the public half is read from the token
    /// and decryption runs in it. Errors as for
    /// [`ClientSigningKey::from_pkcs11`]; an EC key is
    /// [`ErrorKind::KeyRoleMismatch`] (ECDH in a token is not offered).
    pub fn from_pkcs11(token: &Pkcs11Token, uri: &Pkcs11Uri) -> Result<Self> {
        let key = TokenKey::open(token, uri, Role::Decrypt)?;
        Self::wrap(DecryptKind::Rsa(OaepDecrypter::token(key)?))
    }

    /// Generates an RSA platform key pair of `size` inside `token` (see
    /// [`ClientSigningKey::generate_in_pkcs11`]).
    pub fn generate_in_pkcs11(token: &Pkcs11Token, size: RsaKeySize, label: &str) -> Result<Self> {
        let uri = token.generate_rsa(size.backend(), true, label)?;
        Self::from_pkcs11(token, &uri)
    }

    /// The URI of the token object holding this key, if it is in a token.
    pub fn pkcs11_uri(&self) -> Option<&Pkcs11Uri> {
        match self.kind() {
            DecryptKind::Rsa(d) => d.token_uri(),
            DecryptKind::Ecdh(_) => None,
        }
    }
}
