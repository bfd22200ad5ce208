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
    let key = generate(alg, a.bits, a.crv.map(curve))?;
    let ring = Keyring::init(dir, key, a.grace, pass.as_ref(), SystemTime::now())?;
    let active = ring.active();
    if a.json {
        return emit_json(&json!({"dir": dir, "key": entry_json(active)}));
    }
    emit(&format!(
        "created keyring {} ({} keys, {}{})\n  active key: {}\n  file:       {}\n\
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
        dir.join(active.file.as_deref().unwrap_or("")).display(),
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
        if k.file.is_none() {
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
    let key = generate(alg, bits, crv)?;
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
    let removed = locked.prune()?;
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
    let pem = chatseal::SecretString::new(read_file(&a.pem, "the private key")?);
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
    let mut locked = Keyring::lock(&a.dir.dir)?;
    let e = locked.import(key, a.allow_sample_key, pass.as_ref(), SystemTime::now())?;
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
