//! Private key objects in a token: finding them again after the module or
//! the token came back, and the operations that run inside the token.

use super::*;

/// What a token key is.
#[derive(Clone)]
pub(crate) enum TokenPublic {
    Rsa(RsaPublic),
    Ec(EcPublic),
}

/// What a token key may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Sign,
    Decrypt,
}

/// A private key object in a token: its name, its public half, and its
/// handle in the current generation.
pub(crate) struct TokenKey {
    token: Pkcs11Token,
    uri: Pkcs11Uri,
    template: Vec<Attribute>,
    public: TokenPublic,
    handle: Mutex<Option<(u64, ObjectHandle)>>,
    /// RSA-OAEP-256 in the token: 0 untried, 1 supported, 2 refused (then
    /// the token does raw RSA and the padding is removed here).
    oaep256: AtomicU8,
}

impl TokenKey {
    /// Opens the private key `uri` names in `token`, for `role`; reads the
    /// public half from the token.
    pub(crate) fn open(token: &Pkcs11Token, uri: &Pkcs11Uri, role: Role) -> Result<Self> {
        if !uri.names_object() {
            return Err(Error::new(
                ErrorKind::InvalidPkcs11Uri,
                format!("`{uri}` names no key; add `object=LABEL` or `id=%..` to the URI"),
            ));
        }
        if matches!(
            uri.object_type(),
            Some(Pkcs11ObjectType::Public | Pkcs11ObjectType::Other)
        ) {
            return Err(Error::new(
                ErrorKind::KeyRoleMismatch,
                format!("`{uri}` names a public or non-key object; a private key (`type=private`) is needed"),
            ));
        }
        let mut template = Vec::new();
        if let Some(id) = uri.id() {
            template.push(Attribute::Id(id.to_vec()));
        }
        if let Some(label) = uri.object() {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        let has_pin = token.0.pin.is_some();
        let found = token.run("to look up a key", |s, _| {
            let mut t = template.clone();
            t.push(Attribute::Class(ObjectClass::PRIVATE_KEY));
            let private = s.find_objects(&t)?;
            let [h] = private.as_slice() else {
                return Ok(Err(private.len()));
            };
            let attrs = s.get_attributes(
                *h,
                &[
                    AttributeType::KeyType,
                    AttributeType::Sign,
                    AttributeType::Decrypt,
                    AttributeType::Modulus,
                    AttributeType::PublicExponent,
                ],
            )?;
            let mut t = template.clone();
            t.push(Attribute::Class(ObjectClass::PUBLIC_KEY));
            let ec = match s.find_objects(&t)?.first() {
                Some(p) => {
                    s.get_attributes(*p, &[AttributeType::EcParams, AttributeType::EcPoint])?
                }
                None => Vec::new(),
            };
            Ok(Ok((attrs, ec)))
        })?;
        let (attrs, ec) = found.map_err(|n| {
            Error::new(
                ErrorKind::KeyNotFound,
                if n == 0 {
                    format!(
                        "no private key in the token matches `{uri}`{}",
                        if has_pin {
                            " (see `pkcs11-tool --list-objects --login`)"
                        } else {
                            "; private keys are visible only after login: give the PIN with \
                             --pkcs11-pin-file FILE or CHATSEAL_PKCS11_PIN"
                        }
                    )
                } else {
                    format!("{n} private keys match `{uri}`; add `id=` to the URI to name one")
                },
            )
        })?;
        let mut key_type = None;
        let (mut can_sign, mut can_decrypt) = (false, false);
        let (mut n, mut e) = (None, None);
        for a in attrs {
            match a {
                Attribute::KeyType(k) => key_type = Some(k),
                Attribute::Sign(b) => can_sign = b,
                Attribute::Decrypt(b) => can_decrypt = b,
                Attribute::Modulus(v) => n = Some(v),
                Attribute::PublicExponent(v) => e = Some(v),
                _ => {}
            }
        }
        let public = match key_type {
            Some(KeyType::RSA) => {
                let (Some(n), Some(e)) = (n, e) else {
                    return Err(Error::new(
                        ErrorKind::KeyNotFound,
                        format!("the RSA key `{uri}` does not show its modulus"),
                    ));
                };
                let strip = |v: Vec<u8>| {
                    let i = v.iter().position(|&b| b != 0).unwrap_or(v.len());
                    v[i..].to_vec()
                };
                TokenPublic::Rsa(RsaPublic::from_components(&strip(n), &strip(e))?)
            }
            Some(KeyType::EC) => {
                let (mut params, mut point) = (None, None);
                for a in ec {
                    match a {
                        Attribute::EcParams(p) => params = Some(p),
                        Attribute::EcPoint(p) => point = Some(p),
                        _ => {}
                    }
                }
                let (Some(params), Some(point)) = (params, point) else {
                    return Err(Error::new(
                        ErrorKind::KeyNotFound,
                        format!(
                            "the EC key `{uri}` has no public key object beside it (same id \
                             and label) to read its point from"
                        ),
                    ));
                };
                if params != P256_PARAMS {
                    return Err(Error::new(
                        ErrorKind::WeakKey,
                        format!("the EC key `{uri}` is not on P-256 (only P-256 is accepted)"),
                    ));
                }
                // CKA_EC_POINT is a DER OCTET STRING holding the point
                // (some modules give the bare point).
                let bare = match point.as_slice() {
                    [0x04, 0x41, rest @ ..] if rest.len() == 65 => rest.to_vec(),
                    _ => point,
                };
                TokenPublic::Ec(EcPublic::from_der_or_point(&bare)?)
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!("the key `{uri}` is neither RSA nor EC (P-256)"),
                ))
            }
        };
        match (role, can_sign, can_decrypt) {
            (Role::Sign, true, _) | (Role::Decrypt, _, true) => {}
            (Role::Sign, false, _) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!("the key `{uri}` may not sign (CKA_SIGN is false); it is not a client signing key"),
                ))
            }
            (Role::Decrypt, _, false) => {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!("the key `{uri}` may not decrypt (CKA_DECRYPT is false); it is not a platform decryption key"),
                ))
            }
        }
        template.push(Attribute::Class(ObjectClass::PRIVATE_KEY));
        Ok(Self {
            token: token.clone(),
            uri: uri.clone(),
            template,
            public,
            handle: Mutex::new(None),
            oaep256: AtomicU8::new(0),
        })
    }

    pub(crate) fn uri(&self) -> &Pkcs11Uri {
        &self.uri
    }

    pub(crate) fn public(&self) -> &TokenPublic {
        &self.public
    }

    /// The key's handle in `generation`, found again if the token came back.
    fn handle(&self, s: &Session, generation: u64) -> std::result::Result<ObjectHandle, CkError> {
        if let Some((g, h)) = *lock(&self.handle) {
            if g == generation {
                return Ok(h);
            }
        }
        match s.find_objects(&self.template)?.as_slice() {
            [h] => {
                *lock(&self.handle) = Some((generation, *h));
                Ok(*h)
            }
            // Reported as a stale handle: the caller retries once, then
            // says the key is not found.
            _ => Err(CkError::Pkcs11(
                RvError::KeyHandleInvalid,
                cryptoki::context::Function::FindObjects,
            )),
        }
    }

    /// Runs `f` with the key's handle; forgets the handle if the token says
    /// it is stale.
    fn with_handle<T>(
        &self,
        s: &Session,
        generation: u64,
        f: impl FnOnce(ObjectHandle) -> std::result::Result<T, CkError>,
    ) -> std::result::Result<T, CkError> {
        let r = f(self.handle(s, generation)?);
        if let Err(e) = &r {
            if matches!(classify(e), Class::StaleHandle) {
                *lock(&self.handle) = None;
            }
        }
        r
    }

    /// Signs `message` inside the token; the output is the JWS signature
    /// (r‖s for ES256).
    pub(crate) fn sign(&self, padding: Option<RsaPadding>, message: &[u8]) -> Result<Vec<u8>> {
        match (&self.public, padding) {
            (TokenPublic::Rsa(_), Some(RsaPadding::Pkcs1Sha256)) => {
                self.token.run("to sign (RS256)", |s, g| {
                    self.with_handle(s, g, |h| s.sign(&Mechanism::Sha256RsaPkcs, h, message))
                })
            }
            (TokenPublic::Rsa(_), Some(RsaPadding::PssSha256)) => {
                let params = PkcsPssParams {
                    hash_alg: MechanismType::SHA256,
                    mgf: PkcsMgfType::MGF1_SHA256,
                    s_len: 32u64.into(),
                };
                self.token.run("to sign (PS256)", |s, g| {
                    self.with_handle(s, g, |h| {
                        s.sign(&Mechanism::Sha256RsaPkcsPss(params), h, message)
                    })
                })
            }
            (TokenPublic::Ec(_), None) => {
                let digest = crate::backend::sha256(message);
                let sig = self.token.run("to sign (ES256)", |s, g| {
                    self.with_handle(s, g, |h| s.sign(&Mechanism::Ecdsa, h, &digest))
                })?;
                ecdsa_to_jose(&sig)
            }
            _ => Err(Error::internal("token key used with another algorithm")),
        }
    }

    /// The modulus size in bytes of an RSA key.
    pub(crate) fn size_bytes(&self) -> usize {
        match &self.public {
            TokenPublic::Rsa(r) => r.n.len(),
            TokenPublic::Ec(_) => 0,
        }
    }

    /// RSA-OAEP decryption of one block inside the token. A bad block is
    /// one opaque [`ErrorKind::DecryptionFailed`]; a token that is away is
    /// its own typed error.
    pub(crate) fn decrypt(&self, oaep: Oaep, block: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if block.len() != self.size_bytes() {
            return Err(Error::decryption_failed());
        }
        let (hash, mgf) = match oaep {
            Oaep::Sha1 => (MechanismType::SHA1, PkcsMgfType::MGF1_SHA1),
            Oaep::Sha256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
        };
        let mech = Mechanism::RsaPkcsOaep(PkcsOaepParams::new(hash, mgf, PkcsOaepSource::empty()));
        // The token's own refusals of the block come back as `Ok(Err(rv))`,
        // so that they are told apart from a token that is away.
        let attempt = |mech: &Mechanism<'_>| {
            self.token.run("to decrypt (RSA-OAEP)", |s, g| {
                match self.with_handle(s, g, |h| s.decrypt(mech, h, block)) {
                    Ok(p) => Ok(Ok(Zeroizing::new(p))),
                    Err(e) if matches!(classify(&e), Class::Other) => Ok(Err(e)),
                    Err(e) => Err(e),
                }
            })
        };
        if oaep == Oaep::Sha1 || self.oaep256.load(Ordering::Relaxed) != 2 {
            match attempt(&mech)? {
                Ok(p) => {
                    if oaep == Oaep::Sha256 {
                        self.oaep256.store(1, Ordering::Relaxed);
                    }
                    return Ok(p);
                }
                // SoftHSM 2.6 and some HSMs take RSA-OAEP with SHA-1 only
                // (CKR_ARGUMENTS_BAD or CKR_MECHANISM_PARAM_INVALID at
                // C_DecryptInit): then the token does raw RSA below, and
                // this key remembers it.
                Err(e)
                    if oaep == Oaep::Sha256
                        && self.oaep256.load(Ordering::Relaxed) == 0
                        && refuses_params(&e) => {}
                Err(_) => return Err(Error::decryption_failed()),
            }
        }
        let em = match attempt(&Mechanism::RsaX509)? {
            Ok(em) => em,
            Err(_) => return Err(Error::decryption_failed()),
        };
        self.oaep256.store(2, Ordering::Relaxed);
        oaep::decode_sha256(&em, self.size_bytes()).ok_or_else(Error::decryption_failed)
    }
}

/// Whether the token refused the mechanism's parameters (not the data).
fn refuses_params(e: &CkError) -> bool {
    matches!(
        e,
        CkError::Pkcs11(
            RvError::ArgumentsBad | RvError::MechanismParamInvalid | RvError::MechanismInvalid,
            _
        )
    )
}

/// A PKCS#11 ECDSA signature (r‖s, or DER from some modules) as JOSE r‖s.
pub(super) fn ecdsa_to_jose(sig: &[u8]) -> Result<Vec<u8>> {
    if sig.len() == 64 {
        return Ok(sig.to_vec());
    }
    let bad = || {
        Error::new(
            ErrorKind::TokenFailed,
            "the token's ECDSA signature is malformed",
        )
    };
    let mut outer = crate::der::Reader::new(sig);
    let mut inner = crate::der::Reader::new(outer.read(0x30).map_err(|_| bad())?);
    outer.finish().map_err(|_| bad())?;
    let mut out = vec![0u8; 64];
    for half in out.chunks_mut(32) {
        let v = inner.read(0x02).map_err(|_| bad())?;
        let i = v.iter().position(|&b| b != 0).unwrap_or(v.len());
        let v = &v[i..];
        if v.len() > 32 {
            return Err(bad());
        }
        half[32 - v.len()..].copy_from_slice(v);
    }
    inner.finish().map_err(|_| bad())?;
    Ok(out)
}
