//! `chatseal keys …`: the keyring commands.

use super::*;

// ---------------------------------------------------------------- keys

pub(super) fn init(a: InitArgs) -> CliResult {
    let pass = passphrase(&a.pass)?;
    let use_ = key_use(a.key_use);
    let alg = a.alg.map(key_alg).unwrap_or(KeyAlg::default_for(use_));
    if alg.key_use() != use_ {
        return Err(usage(format!(
            "{alg} is for `{}` keys; --use {use_} takes {}",
            alg.key_use(),
            match use_ {
                KeyUse::Sig => "RS256, PS256, ES256 or Ed25519",
                KeyUse::Enc => "RSA-OAEP-256, ECDH-ES+A256KW or ECDH-ES",
            }
        )));
    }
    let dir = &a.dir.dir;
    if Keyring::exists(dir) {
        return Err(chatseal_keys::Error::Exists(dir.clone()).into());
    }
    if let Ok(m) = fs::metadata(dir) {
        use std::os::unix::fs::PermissionsExt;
        if m.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "chatseal: warning: `{}` already exists and other users can list it (mode {:o}); \
                 the key files are 0600, but a private folder (chmod 700) is safer",
                dir.display(),
                m.permissions().mode() & 0o777
            );
        }
    }
    let key = match &a.pkcs11 {
        Some(uri) => {
            if a.crv.is_some() {
                return Err(usage(
                    "--crv has no effect with --pkcs11 (ECDH keys are not offered in tokens)",
                ));
            }
            if a.pass.passphrase_file.is_some() {
                return Err(usage(
                    "--passphrase-file has no effect with --pkcs11: the key never leaves the \
                     token, which its PIN protects",
                ));
            }
            generate_in_token(uri, &a.hsm, alg, a.bits)?
        }
        None => {
            refuse_token_flags(&a.hsm, "give --pkcs11 URI to keep the key in a token")?;
            generate(alg, a.bits, a.crv.map(curve))?
        }
    };
    let ring = Keyring::init(dir, key, a.grace, pass.as_ref(), SystemTime::now())?;
    let active = ring.active();
    if a.json {
        return emit_json(&json!({"dir": dir, "key": entry_json(active)}));
    }
    emit(&format!(
        "created keyring {} ({} keys, {}{})\n  active key: {}\n  {}\n\
         next: publish `chatseal keys jwks --dir {}`{}\n",
        dir.display(),
        use_,
        describe(active),
        if active.encrypted {
            ", encrypted at rest"
        } else {
            ""
        },
        active.kid,
        match &active.pkcs11 {
            Some(uri) => format!("in token:   {uri} (no key file)"),
            None => format!(
                "file:       {}",
                dir.join(active.file.as_deref().unwrap_or("")).display()
            ),
        },
        dir.display(),
        match use_ {
            KeyUse::Sig => " or upload `chatseal keys export-public` to the platform",
            KeyUse::Enc => " and give hosts `chatseal keys export-public`",
        }
    ))
}

pub(super) fn list(a: ListArgs) -> CliResult {
    let ring = Keyring::open(&a.dir.dir)?;
    let grace = i64::try_from(ring.manifest().grace_seconds).unwrap_or(i64::MAX);
    if a.json {
        let mut v = serde_json::to_value(ring.manifest()).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("dir".into(), json!(a.dir.dir));
        }
        return emit_json(&v);
    }
    let mut out = format!(
        "keyring {} ({} keys, grace {} s)\n",
        a.dir.dir.display(),
        ring.key_use(),
        grace
    );
    for k in ring.keys() {
        out.push_str(&format!(
            "{:<8}  {}  {}{}{}\n          created {}",
            k.state,
            k.kid,
            describe(k),
            if k.encrypted { ", encrypted" } else { "" },
            if k.imported { ", imported" } else { "" },
            time(Some(k.created_at)),
        ));
        if k.activated_at.is_some() {
            out.push_str(&format!("  activated {}", time(k.activated_at)));
        }
        if k.state == KeyState::Retiring {
            out.push_str(&format!(
                "  retiring since {} (retire after {})",
                time(k.retiring_at),
                time(k.retiring_at.map(|t| t.saturating_add(grace)))
            ));
        }
        if k.retired_at.is_some() {
            out.push_str(&format!("  retired {}", time(k.retired_at)));
        }
        if k.revoked_at.is_some() {
            out.push_str(&format!("  revoked {}", time(k.revoked_at)));
        }
        if let Some(uri) = &k.pkcs11 {
            out.push_str(&format!("\n          in token: {uri}"));
        } else if k.file.is_none() {
            out.push_str("  (private key pruned)");
        }
        out.push('\n');
    }
    emit(&out)
}

pub(super) fn rotate(a: RotateArgs) -> CliResult {
    let pass = passphrase(&a.pass)?;
    let current = Keyring::open(&a.dir.dir)?;
    let active = current.active().clone();
    let alg = a.alg.map(key_alg).unwrap_or(active.alg);
    if alg.key_use() != current.key_use() {
        return Err(usage(format!(
            "{alg} is for `{}` keys; keyring {} holds `{}` keys",
            alg.key_use(),
            a.dir.dir.display(),
            current.key_use()
        )));
    }
    let bits = if alg.is_rsa() {
        a.bits.or(active.bits.filter(|_| active.alg.is_rsa()))
    } else {
        a.bits
    };
    // A new ECDH key keeps the active key's curve unless --crv says
    // otherwise.
    let crv = match a.crv.map(curve) {
        Some(c) => Some(c),
        None if alg.is_ecdh() => active
            .public_jwk
            .crv
            .as_deref()
            .and_then(|c| c.parse().ok()),
        None => None,
    };
    // A keyring whose active key is in a token rotates in that token.
    let uri = a
        .pkcs11
        .clone()
        .or_else(|| active.pkcs11.as_deref().map(token_of));
    let key = match &uri {
        Some(_) if a.pass.passphrase_file.is_some() => {
            return Err(usage(
                "--passphrase-file has no effect on a key made in a PKCS#11 token: the key \
                 never leaves the token, which its PIN protects",
            ))
        }
        Some(uri) => generate_in_token(uri, &a.hsm, alg, bits)?,
        None => {
            refuse_token_flags(&a.hsm, "give --pkcs11 URI to keep the key in a token")?;
            generate(alg, bits, crv)?
        }
    };
    let mut locked = Keyring::lock(&a.dir.dir)?;
    let new = locked.add(key, a.now, false, pass.as_ref(), SystemTime::now())?;
    let old = if a.now {
        locked.get(&active.kid).cloned()
    } else {
        None
    };
    if a.json {
        return emit_json(&json!({
            "added": entry_json(&new),
            "retiring": old.as_ref().map(entry_json),
        }));
    }
    let mut out = if a.now {
        format!(
            "added and activated {} ({})\n  {} is retiring: still in the JWKS, retire it after {}\n",
            new.kid,
            describe(&new),
            active.kid,
            time(
                old.and_then(|o| o.retiring_at)
                    .map(|t| t.saturating_add(i64::try_from(locked.manifest().grace_seconds).unwrap_or(i64::MAX)))
            )
        )
    } else {
        format!(
            "added pending key {} ({})\n  it is in the JWKS now; publish it, wait for verifiers' \
             caches to refresh, then run `chatseal keys promote --dir {}`\n",
            new.kid,
            describe(&new),
            a.dir.dir.display()
        )
    };
    out.push_str(&format!(
        "  republish: chatseal keys jwks --dir {} --out FILE\n",
        a.dir.dir.display()
    ));
    emit(&out)
}

pub(super) fn promote(a: PromoteArgs) -> CliResult {
    let mut locked = Keyring::lock(&a.dir.dir)?;
    let (new, old) = locked.promote(a.kid.as_deref(), a.allow_sample_key, SystemTime::now())?;
    if a.json {
        return emit_json(&json!({"active": entry_json(&new), "retiring": entry_json(&old)}));
    }
    emit(&format!(
        "{} is now active: new tokens carry this kid\n{} is retiring: it still verifies until \
         `chatseal keys retire` after its grace\n",
        new.kid, old.kid
    ))
}

pub(super) fn retire(a: RetireArgs) -> CliResult {
    let mut locked = Keyring::lock(&a.dir.dir)?;
    let done = locked.retire(a.kid.as_deref(), a.force, SystemTime::now())?;
    if a.json {
        return emit_json(&json!({ "retired": done }));
    }
    if done.is_empty() {
        return emit("no retiring key is past its grace; nothing retired\n");
    }
    let mut out = String::new();
    for kid in &done {
        out.push_str(&format!("retired {kid} (no longer in the JWKS)\n"));
    }
    out.push_str(&format!(
        "republish: chatseal keys jwks --dir {} --out FILE\n",
        a.dir.dir.display()
    ));
    emit(&out)
}

pub(super) fn prune(a: PruneArgs) -> CliResult {
    let mut locked = Keyring::lock(&a.dir.dir)?;
    #[cfg_attr(not(feature = "pkcs11"), allow(unused_mut))]
    let mut removed = locked.prune()?;
    if a.destroy {
        #[cfg(feature = "pkcs11")]
        {
            let ring: Keyring = (*locked).clone();
            if !ring.keys().iter().any(|k| k.pkcs11.is_some()) {
                return Err(usage(format!(
                    "--destroy has no effect: keyring `{}` holds no PKCS#11 token key",
                    ring.dir().display()
                )));
            }
            if let Some(token) = keyring_token(&ring, &a.hsm)? {
                removed.extend(locked.destroy_retired_token_keys(&token)?);
            }
        }
        #[cfg(not(feature = "pkcs11"))]
        return Err(usage(
            "--destroy needs the `pkcs11` feature, which this chatseal was built without",
        ));
    } else {
        refuse_token_flags(&a.hsm, "they are for --destroy")?;
    }
    if a.json {
        return emit_json(&json!({ "removed": removed }));
    }
    if removed.is_empty() {
        return emit("nothing to prune\n");
    }
    emit(
        &removed
            .iter()
            .map(|f| format!("removed {f}\n"))
            .collect::<String>(),
    )
}

pub(super) fn revoke(a: RevokeArgs) -> CliResult {
    let mut locked = Keyring::lock(&a.dir.dir)?;
    let e = locked.revoke(&a.kid, SystemTime::now())?;
    if a.json {
        return emit_json(&json!({ "revoked": entry_json(&e) }));
    }
    emit(&format!(
        "revoked {}: it is out of the JWKS; republish it now: chatseal keys jwks --dir {} --out FILE\n",
        e.kid,
        a.dir.dir.display()
    ))
}

pub(super) fn import(a: ImportArgs) -> CliResult {
    let pass = passphrase(&a.pass)?;
    let ring = Keyring::open(&a.dir.dir)?;
    if let Some(u) = a.key_use.map(key_use) {
        if u != ring.key_use() {
            return Err(usage(format!(
                "--use {u} does not match keyring {} (`{}` keys)",
                a.dir.dir.display(),
                ring.key_use()
            )));
        }
    }
    let Some(pem_path) = &a.pem else {
        let uri = a.pkcs11.as_deref().unwrap_or_default();
        return import_from_token(&a, &ring, uri, pass.as_ref());
    };
    refuse_token_flags(&a.hsm, "give --pkcs11 URI to adopt a token key")?;
    let pem = chatseal::SecretString::new(read_file(pem_path, "the private key")?);
    let key = match (a.alg.map(key_alg), ring.key_use()) {
        (Some(alg), u) if alg.key_use() != u => {
            return Err(usage(format!(
                "{alg} does not fit keyring {} (`{u}` keys)",
                a.dir.dir.display()
            )))
        }
        (Some(alg), _) => KeyMaterial::from_pem(pem.expose_secret(), alg, pass.as_ref())?,
        // Without --alg, the key's kind decides: RSA is RS256 / RSA-OAEP-256,
        // P-256 is ES256 / ECDH-ES+A256KW, X25519 is ECDH-ES+A256KW, Ed25519
        // is Ed25519.
        (None, u) => {
            let candidates: &[KeyAlg] = match u {
                KeyUse::Sig => &[KeyAlg::RS256, KeyAlg::ES256, KeyAlg::Ed25519],
                KeyUse::Enc => &[KeyAlg::RsaOaep256, KeyAlg::EcdhEsA256kw],
            };
            let mut found = None;
            for (i, alg) in candidates.iter().enumerate() {
                match KeyMaterial::from_pem(pem.expose_secret(), *alg, pass.as_ref()) {
                    Err(chatseal_keys::Error::Key(e))
                        if e.kind() == ErrorKind::KeyRoleMismatch && i + 1 < candidates.len() => {}
                    other => {
                        found = Some(other?);
                        break;
                    }
                }
            }
            found.ok_or_else(|| usage("the key fits no algorithm of this keyring"))?
        }
    };
    drop(pem);
    import_key(&a, key, pass.as_ref())
}

fn import_key(a: &ImportArgs, key: KeyMaterial, pass: Option<&Passphrase>) -> CliResult {
    let mut locked = Keyring::lock(&a.dir.dir)?;
    let e = locked.import(key, a.allow_sample_key, pass, SystemTime::now())?;
    if a.json {
        return emit_json(&json!({ "imported": entry_json(&e) }));
    }
    emit(&format!(
        "imported {} ({}) as pending; it is in the JWKS now\n  promote it with: chatseal keys \
         promote --dir {} --kid {}\n",
        e.kid,
        describe(&e),
        a.dir.dir.display(),
        e.kid
    ))
}

pub(super) fn jwks(a: JwksArgs) -> CliResult {
    let ring = Keyring::open(&a.dir.dir)?;
    let mut text = ring.jwks().to_json();
    text.push('\n');
    match a.out {
        Some(out) => {
            chatseal_keys::write_public_file(&out, &text)?;
            eprintln!(
                "wrote {} key(s) to {}",
                ring.published().count(),
                out.display()
            );
            Ok(())
        }
        None => emit(&text),
    }
}

pub(super) fn export_public(a: ExportPublicArgs) -> CliResult {
    let ring = Keyring::open(&a.dir.dir)?;
    let entry = ring.entry_or_active(a.kid.as_deref())?;
    match a.format {
        PublicFormat::Pem => emit(&ring.public_key_pem(Some(&entry.kid))?),
        PublicFormat::Jwk => {
            emit_json(&serde_json::to_value(&entry.public_jwk).unwrap_or_default())
        }
    }
}

// ---------------------------------------------------------------- PKCS#11

/// The PKCS#11 module and PIN of `t` (flags, else the environment).
#[cfg(feature = "pkcs11")]
fn token_access(t: &TokenArg) -> CliResult<(chatseal::Pkcs11Module, Option<chatseal::Pkcs11Pin>)> {
    let module = match &t.pkcs11_module {
        Some(p) => chatseal::Pkcs11Module::open(p),
        None => chatseal::Pkcs11Module::from_env(),
    }
    .map_err(chatseal_keys::Error::from)?;
    let pin = match &t.pkcs11_pin_file {
        Some(f) => Some(chatseal::Pkcs11Pin::from_file(f).map_err(chatseal_keys::Error::from)?),
        None => chatseal::Pkcs11Pin::from_env(),
    };
    Ok((module, pin))
}

/// The token `uri` names, logged in.
#[cfg(feature = "pkcs11")]
pub(super) fn open_token(uri: &str, t: &TokenArg) -> CliResult<chatseal::Pkcs11Token> {
    let uri: chatseal::Pkcs11Uri = uri.parse().map_err(chatseal_keys::Error::from)?;
    let (module, pin) = token_access(t)?;
    if pin.is_none() {
        return Err(usage(
            "a PKCS#11 token needs its PIN: give --pkcs11-pin-file FILE or set CHATSEAL_PKCS11_PIN",
        ));
    }
    Ok(module
        .token(&uri, pin)
        .map_err(chatseal_keys::Error::from)?)
}

/// The token holding `ring`'s keys, if any of them is in one.
#[cfg(feature = "pkcs11")]
pub(super) fn keyring_token(
    ring: &Keyring,
    t: &TokenArg,
) -> CliResult<Option<chatseal::Pkcs11Token>> {
    if !ring.keys().iter().any(|k| k.pkcs11.is_some()) {
        refuse_token_flags(t, "the keyring holds no token key")?;
        return Ok(None);
    }
    let (module, pin) = token_access(t)?;
    if pin.is_none() {
        return Err(usage(format!(
            "keyring `{}` keeps its private keys in a PKCS#11 token: give the token's PIN with \
             --pkcs11-pin-file FILE or CHATSEAL_PKCS11_PIN",
            ring.dir().display()
        )));
    }
    Ok(ring.open_token(&module, pin)?)
}

/// A usage error if token flags were given where they do nothing.
pub(super) fn refuse_token_flags(t: &TokenArg, why: &str) -> CliResult {
    for (given, flag) in [
        (t.pkcs11_module.is_some(), "--pkcs11-module"),
        (t.pkcs11_pin_file.is_some(), "--pkcs11-pin-file"),
    ] {
        if given {
            return Err(usage(format!("{flag} has no effect here: {why}")));
        }
    }
    Ok(())
}

/// A new key for `alg`, in the token `uri` names.
#[cfg(feature = "pkcs11")]
pub(super) fn generate_in_token(
    uri: &str,
    t: &TokenArg,
    alg: KeyAlg,
    bits: Option<u32>,
) -> CliResult<KeyMaterial> {
    // Checked before the token is touched: nothing is generated for a
    // command line that is refused.
    if bits.is_some() && !alg.is_rsa() {
        return Err(usage(format!(
            "--bits applies to RSA keys only; {alg} keys in a token are P-256"
        )));
    }
    let token = open_token(uri, t)?;
    let size = match bits {
        Some(b) => RsaKeySize::from_bits(b).map_err(chatseal_keys::Error::from)?,
        None => RsaKeySize::default(),
    };
    let label = format!(
        "chatseal-{}-{}",
        alg.key_use(),
        chatseal_keys::unix_seconds(SystemTime::now())
    );
    Ok(KeyMaterial::generate_in_pkcs11(&token, alg, size, &label)?)
}

#[cfg(not(feature = "pkcs11"))]
pub(super) fn generate_in_token(
    _uri: &str,
    _t: &TokenArg,
    _alg: KeyAlg,
    _bits: Option<u32>,
) -> CliResult<KeyMaterial> {
    Err(usage(
        "this chatseal was built without the `pkcs11` feature; --pkcs11 is not available",
    ))
}

/// The token part of a key's URI.
fn token_of(uri: &str) -> String {
    #[cfg(feature = "pkcs11")]
    if let Ok(u) = uri.parse::<chatseal::Pkcs11Uri>() {
        return u.token_only().to_string();
    }
    uri.to_owned()
}

/// `keys import --pkcs11 URI`: adopts the token key `uri` names.
#[cfg(feature = "pkcs11")]
fn import_from_token(
    a: &ImportArgs,
    ring: &Keyring,
    uri: &str,
    pass: Option<&Passphrase>,
) -> CliResult {
    let token = open_token(uri, &a.hsm)?;
    let parsed: chatseal::Pkcs11Uri = uri.parse().map_err(chatseal_keys::Error::from)?;
    let alg = match (a.alg.map(key_alg), ring.key_use()) {
        (Some(alg), u) if alg.key_use() != u => {
            return Err(usage(format!(
                "{alg} does not fit keyring {} (`{u}` keys)",
                a.dir.dir.display()
            )))
        }
        (Some(alg), _) => alg,
        (None, KeyUse::Enc) => KeyAlg::RsaOaep256,
        // Without --alg: RS256 for an RSA key, ES256 for a P-256 key.
        (None, KeyUse::Sig) => match KeyMaterial::from_pkcs11(&token, &parsed, KeyAlg::RS256) {
            Err(chatseal_keys::Error::Key(e)) if e.kind() == ErrorKind::KeyRoleMismatch => {
                KeyAlg::ES256
            }
            other => {
                drop(other?);
                KeyAlg::RS256
            }
        },
    };
    let key = KeyMaterial::from_pkcs11(&token, &parsed, alg)?;
    import_key(a, key, pass)
}

#[cfg(not(feature = "pkcs11"))]
fn import_from_token(
    _a: &ImportArgs,
    _ring: &Keyring,
    _uri: &str,
    _pass: Option<&Passphrase>,
) -> CliResult {
    Err(usage(
        "this chatseal was built without the `pkcs11` feature; --pkcs11 is not available",
    ))
}

/// The active signing key of `ring` for a service (`serve`): from its file,
/// or through the token with CHATSEAL_PKCS11_MODULE and CHATSEAL_PKCS11_PIN.
#[cfg(feature = "services")]
pub(crate) fn service_signing_key(
    ring: &Keyring,
    pass: Option<&Passphrase>,
) -> CliResult<chatseal::ClientSigningKey> {
    #[cfg(feature = "pkcs11")]
    {
        let token = keyring_token(ring, &TokenArg::default())?;
        Ok(ring.signing_key_in(token.as_ref(), pass)?)
    }
    #[cfg(not(feature = "pkcs11"))]
    Ok(ring.signing_key(pass)?)
}

/// The decryption keys of a platform keyring for a service (the gateway):
/// a token keyring is opened with the module and PIN from
/// CHATSEAL_PKCS11_MODULE and CHATSEAL_PKCS11_PIN.
#[cfg(feature = "services")]
pub(crate) fn service_decryption_keys(
    ring: &Keyring,
    pass: Option<&Passphrase>,
) -> CliResult<Vec<chatseal::PlatformDecryptionKey>> {
    #[cfg(feature = "pkcs11")]
    {
        let token = keyring_token(ring, &TokenArg::default())?;
        Ok(ring.decryption_keys_in(token.as_ref(), pass)?)
    }
    #[cfg(not(feature = "pkcs11"))]
    Ok(ring.decryption_keys(pass)?)
}
