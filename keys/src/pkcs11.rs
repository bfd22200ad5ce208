//! Keyrings whose private keys are held in a PKCS#11 token (feature
//! `pkcs11`): the manifest records each key's RFC 7512 URI instead of a key
//! file, and the keys are opened through a [`Pkcs11Token`].

use super::*;
use chatseal::{Pkcs11Module, Pkcs11Pin, Pkcs11Token, Pkcs11Uri};

impl KeyMaterial {
    /// Generates a key for `alg` inside `token` (RSA of `size` for RS256,
    /// PS256 and RSA-OAEP-256; P-256 for ES256), sensitive and not
    /// extractable, labelled `label`. Ed25519 and ECDH keys are not offered
    /// in tokens.
    pub fn generate_in_pkcs11(
        token: &Pkcs11Token,
        alg: KeyAlg,
        size: RsaKeySize,
        label: &str,
    ) -> Result<Self> {
        Ok(match alg {
            KeyAlg::RsaOaep256 => Self::Enc(PlatformDecryptionKey::generate_in_pkcs11(
                token, size, label,
            )?),
            KeyAlg::EcdhEs | KeyAlg::EcdhEsA256kw | KeyAlg::Ed25519 => {
                return Err(Error::State(format!(
                    "{alg} keys are not offered in PKCS#11 tokens; use RS256, PS256 or ES256 \
                     (sig) or RSA-OAEP-256 (enc)"
                )))
            }
            sig => {
                let a = sig
                    .signing()
                    .ok_or_else(|| Error::State("internal: not a signing algorithm".into()))?;
                Self::Sig(ClientSigningKey::generate_in_pkcs11(token, a, size, label)?)
            }
        })
    }

    /// Adopts the existing token key `uri` names, for `alg`.
    pub fn from_pkcs11(token: &Pkcs11Token, uri: &Pkcs11Uri, alg: KeyAlg) -> Result<Self> {
        Ok(match alg.signing() {
            Some(a) => Self::Sig(ClientSigningKey::from_pkcs11(token, uri, a)?),
            None if alg == KeyAlg::RsaOaep256 => {
                Self::Enc(PlatformDecryptionKey::from_pkcs11(token, uri)?)
            }
            None => {
                return Err(Error::State(format!(
                    "{alg} keys are not offered in PKCS#11 tokens; use RSA-OAEP-256"
                )))
            }
        })
    }
}

impl Keyring {
    /// Whether any published key of this keyring is held in a token.
    pub fn uses_pkcs11(&self) -> bool {
        self.published().any(|k| k.pkcs11.is_some())
    }

    /// The token holding the keyring's active key (or, failing that, its
    /// newest token key), opened in `module` and logged in with `pin`.
    /// `None` if no key of this keyring is in a token.
    pub fn open_token(
        &self,
        module: &Pkcs11Module,
        pin: Option<Pkcs11Pin>,
    ) -> Result<Option<Pkcs11Token>> {
        let uri = match self.active().pkcs11.as_deref() {
            Some(u) => Some(u),
            None => self.keys().iter().rev().find_map(|k| k.pkcs11.as_deref()),
        };
        let Some(uri) = uri else { return Ok(None) };
        let uri: Pkcs11Uri = uri.parse()?;
        Ok(Some(module.token(&uri, pin)?))
    }

    /// Opens the private key of `entry`: from its file, or through `token`
    /// if it is in a token. Checks that it is the manifest's key.
    pub fn load_private_in(
        &self,
        entry: &KeyEntry,
        token: Option<&Pkcs11Token>,
        passphrase: Option<&Passphrase>,
    ) -> Result<KeyMaterial> {
        let Some(uri) = &entry.pkcs11 else {
            return self.load_private(entry, passphrase);
        };
        let Some(token) = token else {
            // The message says how to give the PIN.
            return self.load_private(entry, passphrase);
        };
        let key = KeyMaterial::from_pkcs11(token, &uri.parse()?, entry.alg)?;
        if key.thumbprint() != entry.kid {
            return Err(Error::Corrupt {
                path: self.dir.clone(),
                reason: format!(
                    "the token object `{uri}` does not hold the key `{}`",
                    entry.kid
                ),
            });
        }
        Ok(key)
    }

    /// The active signing key of this (`sig`) keyring, from its file or
    /// through `token`.
    pub fn signing_key_in(
        &self,
        token: Option<&Pkcs11Token>,
        passphrase: Option<&Passphrase>,
    ) -> Result<ClientSigningKey> {
        self.require_use(KeyUse::Sig)?;
        match self.load_private_in(self.active(), token, passphrase)? {
            KeyMaterial::Sig(k) => Ok(k),
            KeyMaterial::Enc(_) => Err(Error::State("internal: key use mismatch".into())),
        }
    }

    /// Every published private key of this (`enc`) keyring, from files or
    /// through `token`.
    pub fn decryption_keys_in(
        &self,
        token: Option<&Pkcs11Token>,
        passphrase: Option<&Passphrase>,
    ) -> Result<Vec<PlatformDecryptionKey>> {
        self.require_use(KeyUse::Enc)?;
        self.published()
            .map(|k| match self.load_private_in(k, token, passphrase)? {
                KeyMaterial::Enc(d) => Ok(d),
                KeyMaterial::Sig(_) => Err(Error::State("internal: key use mismatch".into())),
            })
            .collect()
    }
}

impl LockedKeyring {
    /// Destroys the token objects of retired and revoked keys held in
    /// `token` (their manifest entries stay, without the URI). The manifest
    /// stops naming an object before it is destroyed. Returns the URIs
    /// destroyed.
    pub fn destroy_retired_token_keys(&mut self, token: &Pkcs11Token) -> Result<Vec<String>> {
        let mut doomed = Vec::new();
        for k in self.ring.manifest.keys.iter_mut() {
            if !k.state.is_published() {
                if let Some(u) = k.pkcs11.take() {
                    doomed.push(u);
                }
            }
        }
        if doomed.is_empty() {
            return Ok(doomed);
        }
        self.save()?;
        for u in &doomed {
            token.destroy_key(&u.parse()?)?;
        }
        Ok(doomed)
    }
}
