//! `chatseal mint`, `verify` (with keys) and `inspect`.

use super::*;

// ---------------------------------------------------------------- tokens

/// A platform public key from an SPKI PEM, a JWK/JWKS file, or a keyring folder.
pub(crate) fn load_platform_key(path: &Path) -> CliResult<PlatformEncryptionKey> {
    if path.is_dir() {
        return Ok(Keyring::open(path)?.encryption_key()?);
    }
    let text = read_file(path, "the platform key")?;
    let trimmed = text.trim_start();
    if trimmed.starts_with("-----BEGIN") {
        return Ok(PlatformEncryptionKey::from_spki_pem(&text)?);
    }
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        usage(format!(
            "`{}` is neither a PEM public key nor JSON: {e}",
            path.display()
        ))
    })?;
    if v.get("keys").is_some() {
        Ok(PlatformEncryptionKey::from_jwks(&text)?)
    } else {
        Ok(PlatformEncryptionKey::from_jwk(&chatseal::Jwk::from_json(
            &text,
        )?)?)
    }
}

pub(super) fn parse_claim(spec: &str) -> CliResult<(String, Value)> {
    let (name, value) = spec
        .split_once('=')
        .ok_or_else(|| usage(format!("--claim `{spec}` is not NAME=JSON")))?;
    let value: Value = serde_json::from_str(value).map_err(|e| {
        usage(format!(
            "--claim `{name}`: the value is not JSON ({e}); quote strings: --claim '{name}=\"text\"'"
        ))
    })?;
    Ok((name.to_owned(), value))
}

pub(super) fn mint(a: MintArgs) -> CliResult {
    // Flags that would do nothing in this combination are usage errors.
    if a.platform_key.is_some() && a.sso_token_file.is_none() {
        return Err(usage(
            "--platform-key has no effect without --sso-token-file: the platform key only \
             encrypts the sso_token into `user_payload`",
        ));
    }
    if a.sso_token_file.is_some() && a.platform_key.is_none() {
        return Err(usage(
            "--sso-token-file needs --platform-key: the sso_token is only ever sent encrypted \
             to the platform's public key",
        ));
    }
    if a.payload_format.is_some() && a.sso_token_file.is_none() {
        return Err(usage(
            "--payload-format has no effect without --platform-key and --sso-token-file \
             (it is the format of the encrypted `user_payload`)",
        ));
    }
    if a.iss.is_none() && !a.without_iss {
        return Err(usage(
            "give --iss ISS (or --without-iss for an IBM-style token without an issuer)",
        ));
    }
    if a.aud.is_none() && !a.without_aud {
        return Err(usage(
            "give --aud AUD (or --without-aud for an IBM-style token without an audience)",
        ));
    }
    let pass = passphrase(&a.pass)?;
    let ring = Keyring::open(&a.dir.dir)?;
    #[cfg(feature = "pkcs11")]
    let key = {
        let token = keyring_token(&ring, &a.hsm)?;
        ring.signing_key_in(token.as_ref(), pass.as_ref())?
    };
    #[cfg(not(feature = "pkcs11"))]
    let key = {
        refuse_token_flags(
            &a.hsm,
            "this chatseal was built without the `pkcs11` feature",
        )?;
        ring.signing_key(pass.as_ref())?
    };
    let context = match &a.context {
        None => None,
        Some(c) => match serde_json::from_str::<Value>(c) {
            Ok(v @ Value::Object(_)) => Some(v),
            Ok(_) => return Err(usage("--context must be a JSON object")),
            Err(e) => return Err(usage(format!("--context is not valid JSON: {e}"))),
        },
    };
    let claims = a
        .claim
        .iter()
        .map(|c| parse_claim(c))
        .collect::<CliResult<Vec<_>>>()?;
    let platform = a
        .platform_key
        .as_deref()
        .map(load_platform_key)
        .transpose()?;
    let sso = match &a.sso_token_file {
        None => None,
        Some(f) => {
            let mut t = read_file(f, "the sso_token")?;
            chomp(&mut t);
            if t.is_empty() {
                return Err(usage("the sso_token file is empty"));
            }
            Some(SsoToken::new(t))
        }
    };
    let kid = key.kid().to_owned();
    let token = mint_token(
        key,
        a.iss.as_deref(),
        a.aud.as_deref(),
        a.ttl,
        platform.map(|p| {
            (
                p,
                payload_format(a.payload_format.unwrap_or(FormatArg::Jwe)),
            )
        }),
        &a.sub,
        context,
        claims,
        sso,
    )?;
    if a.json {
        let (_, claims) = insecure_decode(&token)?;
        return emit_json(&json!({"token": token, "kid": kid, "exp": claims.get("exp")}));
    }
    emit(&format!("{token}\n"))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn mint_token(
    key: ClientSigningKey,
    iss: Option<&str>,
    aud: Option<&str>,
    ttl: Option<u64>,
    platform: Option<(PlatformEncryptionKey, PayloadFormat)>,
    sub: &str,
    context: Option<Value>,
    claims: Vec<(String, Value)>,
    sso: Option<SsoToken>,
) -> CliResult<String> {
    let b = Issuer::builder(key);
    let b = match iss {
        Some(i) => b.issuer(i),
        None => b.without_issuer(),
    };
    let mut b = match aud {
        Some(a) => b.audience(a),
        None => b.without_audience(),
    };
    if let Some(t) = ttl {
        b = b.ttl(Duration::from_secs(t));
    }
    if let Some((p, f)) = platform {
        b = b.platform_key(p, f);
    }
    let issuer = b.build()?;
    let mut req = TokenRequest::new(sub);
    if let Some(c) = context {
        req = req.context(c);
    }
    if let Some(s) = sso {
        req = req.sso_token(s);
    }
    for (k, v) in claims {
        req = req.claim(k, v);
    }
    Ok(issuer.mint(&req)?)
}

/// The algorithms of `--alg` (empty: the keys' own).
pub(super) fn accepted_algorithms(algs: &[SigAlgArg]) -> Vec<Algorithm> {
    algs.iter()
        .map(|a| match a {
            SigAlgArg::Rs256 => Algorithm::RS256,
            SigAlgArg::Ps256 => Algorithm::PS256,
            SigAlgArg::Es256 => Algorithm::ES256,
            SigAlgArg::Ed25519 => Algorithm::Ed25519,
        })
        .collect()
}

/// The platform decryption keys of `--decrypt-key` / `--decrypt-dir`.
pub(super) fn load_decryption_keys(
    key: Option<&Path>,
    dir: Option<&Path>,
    pass: Option<&Passphrase>,
) -> CliResult<Vec<PlatformDecryptionKey>> {
    load_decryption_keys_in(key, dir, pass, &TokenArg::default())
}

/// [`load_decryption_keys`], opening the keys of a `--decrypt-dir` keyring
/// held in a PKCS#11 token with `token`'s module and PIN.
pub(super) fn load_decryption_keys_in(
    key: Option<&Path>,
    dir: Option<&Path>,
    pass: Option<&Passphrase>,
    token: &TokenArg,
) -> CliResult<Vec<PlatformDecryptionKey>> {
    if dir.is_none() {
        refuse_token_flags(token, "they open the keys of a --decrypt-dir keyring")?;
    }
    if let Some(f) = key {
        let pem = chatseal::SecretString::new(read_file(f, "the decryption key")?);
        Ok(vec![match pass {
            Some(p) => PlatformDecryptionKey::from_encrypted_pem(pem.expose_secret(), p)?,
            None => PlatformDecryptionKey::from_pem(pem.expose_secret())?,
        }])
    } else if let Some(d) = dir {
        let ring = Keyring::open(d)?;
        #[cfg(feature = "pkcs11")]
        {
            let t = keyring_token(&ring, token)?;
            Ok(ring.decryption_keys_in(t.as_ref(), pass)?)
        }
        #[cfg(not(feature = "pkcs11"))]
        {
            refuse_token_flags(
                token,
                "this chatseal was built without the `pkcs11` feature",
            )?;
            Ok(ring.decryption_keys(pass)?)
        }
    } else {
        Ok(Vec::new())
    }
}

/// Flags of `verify` that only mean something when a decryption key is
/// given: without one they would be ignored, so they are usage errors.
pub(super) fn check_decrypt_flags(a: &VerifyArgs) -> CliResult {
    if a.decrypt_key.is_some() || a.decrypt_dir.is_some() {
        return Ok(());
    }
    for (given, flag, what) in [
        (
            a.show_secrets,
            "--show-secrets",
            "prints the decrypted sso_token",
        ),
        (
            a.payload_format.is_some(),
            "--payload-format",
            "is the format of the `user_payload` to decrypt",
        ),
        (
            a.pass.passphrase_file.is_some(),
            "--passphrase-file",
            "opens the platform's private keys",
        ),
    ] {
        if given {
            return Err(usage(format!(
                "{flag} has no effect without --decrypt-key FILE or --decrypt-dir DIR \
                 (it {what})"
            )));
        }
    }
    Ok(())
}

pub(super) fn verify(a: VerifyArgs) -> CliResult {
    if a.tenant_config.is_some() {
        return verify_tenant(a);
    }
    if a.secrets.base_secret_file.is_some() {
        return Err(usage(
            "--base-secret-file and --purpose-secret-file open a sealed --tenant-config; \
             give --tenant-config FILE",
        ));
    }
    if a.participant.is_some() {
        return Err(usage(
            "--participant is checked against the user id a tenant document defines; \
             give --tenant-config FILE",
        ));
    }
    if a.iss.is_none() && !a.insecure_skip_iss {
        return Err(usage(
            "give --iss ISS; tokens without an issuer (IBM-style) need --insecure-skip-iss",
        ));
    }
    if a.aud.is_none() && !a.insecure_skip_aud {
        return Err(usage(
            "give --aud AUD; tokens without an audience (IBM-style) need --insecure-skip-aud",
        ));
    }
    check_decrypt_flags(&a)?;
    let keys: Vec<ClientVerifyingKey> = if let Some(j) = &a.jwks {
        ClientVerifyingKey::from_jwks(&read_file(j, "the JWKS")?)?
    } else if let Some(p) = &a.public_key {
        // A PEM states no algorithm: --alg (or the key type's default) decides.
        vec![ClientVerifyingKey::from_spki_pem_without_alg(&read_file(
            p,
            "the public key",
        )?)?]
    } else if let Some(d) = &a.dir {
        Keyring::open(d)?.verifying_keys()?
    } else {
        return Err(usage("give --jwks FILE, --public-key PEMFILE or --dir DIR"));
    };
    let pass = passphrase(&a.pass)?;
    let decryption = load_decryption_keys_in(
        a.decrypt_key.as_deref(),
        a.decrypt_dir.as_deref(),
        pass.as_ref(),
        &a.hsm,
    )?;
    let token = read_token(a.token)?;
    let b = Verifier::builder(keys);
    let b = match &a.iss {
        Some(i) => b.issuer(i.clone()),
        None => b.dangerous_skip_issuer_check(),
    };
    let mut b = match &a.aud {
        Some(x) => b.audience(x.clone()),
        None => b.dangerous_skip_audience_check(),
    };
    if let Some(l) = a.leeway {
        b = b.leeway(Duration::from_secs(l));
    }
    if !a.alg.is_empty() {
        b = b.algorithms(accepted_algorithms(&a.alg));
    }
    let decrypting = !decryption.is_empty();
    if decrypting {
        b = b.decryption_keys(
            decryption,
            payload_format(a.payload_format.unwrap_or(FormatArg::Jwe)),
        );
    }
    let verifier = b.build()?;
    let verified = verifier.verify(&token).map_err(CliError::TokenRejected)?;
    let header = verified.header();
    let header_json = json!({"alg": header.alg.as_str(), "typ": header.typ, "kid": header.kid});
    let sso_shown = verified.sso_token().map(|t| {
        if a.show_secrets {
            t.expose_secret().to_owned()
        } else {
            "[redacted]".to_owned()
        }
    });
    if a.json {
        let mut out = Map::new();
        out.insert("valid".into(), json!(true));
        out.insert("header".into(), header_json);
        out.insert(
            "claims".into(),
            Value::Object(verified.claims().all().clone()),
        );
        if decrypting {
            out.insert(
                "user_payload".into(),
                match &sso_shown {
                    Some(s) => json!({ "sso_token": s }),
                    None => Value::Null,
                },
            );
        }
        return emit_json(&Value::Object(out));
    }
    let mut out = format!(
        "token OK: signature ({} key {}) and claims verified\n  sub: {}\n  expires: {}\nclaims:\n{}\n",
        header.alg,
        header.kid.as_deref().unwrap_or("(no kid)"),
        verified.subject(),
        time(Some(verified.claims().exp)),
        serde_json::to_string_pretty(verified.claims().all()).unwrap_or_default()
    );
    match (&sso_shown, verified.sso_token()) {
        (Some(s), Some(t)) if !a.show_secrets => out.push_str(&format!(
            "sso_token: {s} ({} bytes; --show-secrets prints it)\n",
            t.len()
        )),
        (Some(s), _) => out.push_str(&format!("sso_token: {s}\n")),
        (None, _) if decrypting => out.push_str("sso_token: (none in this token)\n"),
        _ => {}
    }
    emit(&out)
}

pub(super) fn inspect(a: InspectArgs) -> CliResult {
    let token = read_token(a.token)?;
    let (header, claims) = insecure_decode(&token).map_err(CliError::TokenRejected)?;
    const LABEL: &str = "UNVERIFIED: decoded without checking the signature, expiry, issuer or \
                         audience; anyone can write these values. Use `chatseal verify` to trust a token.";
    if a.json {
        return emit_json(&json!({
            "verified": false,
            "warning": LABEL,
            "header": header,
            "claims": claims,
        }));
    }
    let mut out = format!(
        "{LABEL}\nheader (UNVERIFIED):\n{}\nclaims (UNVERIFIED):\n{}\n",
        serde_json::to_string_pretty(&header).unwrap_or_default(),
        serde_json::to_string_pretty(&claims).unwrap_or_default()
    );
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
        let now = chatseal_keys::unix_seconds(SystemTime::now());
        out.push_str(&format!(
            "exp {} ({})\n",
            time(Some(exp)),
            if exp > now {
                format!("in {} s", exp - now)
            } else {
                format!("{} s ago", now - exp)
            }
        ));
    }
    emit(&out)
}
