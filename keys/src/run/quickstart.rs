//! `chatseal quickstart`: the whole flow on two local keyrings.

use super::*;

// ---------------------------------------------------------------- quickstart

pub(super) fn shorten_jwks(jwks: &chatseal::Jwks) -> Value {
    let mut v = serde_json::to_value(jwks).unwrap_or_default();
    if let Some(keys) = v.get_mut("keys").and_then(Value::as_array_mut) {
        for k in keys {
            if let Some(Value::String(n)) = k.get_mut("n") {
                if n.len() > 24 {
                    *n = format!("{}...({} chars)", &n[..16], n.len());
                }
            }
        }
    }
    v
}

pub(super) fn ensure_ring(
    dir: &Path,
    alg: KeyAlg,
    pass: Option<&Passphrase>,
) -> CliResult<(Keyring, bool)> {
    if Keyring::exists(dir) {
        return Ok((Keyring::open(dir)?, false));
    }
    let key = generate(alg, Some(3072), None)?;
    Ok((
        Keyring::init(dir, key, None, pass, SystemTime::now())?,
        true,
    ))
}

pub(super) fn quickstart(a: QuickstartArgs) -> CliResult {
    let pass = passphrase(&a.pass)?;
    let client_dir: PathBuf = a.dir.join("client");
    let platform_dir: PathBuf = a.dir.join("platform");
    let mut out = String::from(
        "chatseal quickstart: a host signs a widget token for its user and encrypts the user's\n\
         sso_token so that only the chat platform can read it; the platform verifies and decrypts.\n\n",
    );

    out.push_str("Step 1. Two key pairs\n");
    emit(&out)?;
    out.clear();
    let (client, new_c) = ensure_ring(&client_dir, KeyAlg::RS256, pass.as_ref())?;
    let (platform, new_p) = ensure_ring(&platform_dir, KeyAlg::RsaOaep256, pass.as_ref())?;
    for (ring, created, role) in [
        (
            &client,
            new_c,
            "client keyring (the host's signing key; the host keeps it)",
        ),
        (
            &platform,
            new_p,
            "platform keyring (the platform's decryption key; the platform keeps it)",
        ),
    ] {
        let k = ring.active();
        out.push_str(&format!(
            "  {} {}\n    {}\n    active key {} ({}), file {}\n",
            if created { "created" } else { "reusing" },
            ring.dir().display(),
            role,
            k.kid,
            describe(k),
            ring.dir().join(k.file.as_deref().unwrap_or("")).display()
        ));
    }

    out.push_str(
        "\nStep 2. The client JWKS (public; the host publishes it, the platform fetches it)\n",
    );
    out.push_str(&format!(
        "  full: chatseal keys jwks --dir {}\n",
        client_dir.display()
    ));
    for line in serde_json::to_string_pretty(&shorten_jwks(&client.jwks()))
        .unwrap_or_default()
        .lines()
    {
        out.push_str(&format!("  {line}\n"));
    }

    let (iss, aud, sub) = ("https://host.example", "chatseal-platform", "user-42");
    let context = json!({"name": "Ada Lovelace", "email": "ada@host.example"});
    let sso_secret = "demo-idp-access-token-for-user-42";
    let signing = client.signing_key(pass.as_ref())?;
    let token = mint_token(
        signing,
        Some(iss),
        Some(aud),
        None,
        Some((platform.encryption_key()?, PayloadFormat::Jwe)),
        sub,
        Some(context),
        Vec::new(),
        Some(SsoToken::new(sso_secret)),
    )?;
    out.push_str(&format!(
        "\nStep 3. The host mints a token for {sub} (iss {iss}, aud {aud}, ttl 1 h),\n\
         \x20        its sso_token encrypted to the platform's public key (JWE)\n  \
         same as: chatseal mint --dir {} --iss {iss} --aud {aud} --sub {sub} \\\n  \
         \x20          --platform-key {} --sso-token-file FILE\n\n{token}\n",
        client_dir.display(),
        platform_dir.display()
    ));
    let (header, claims) = insecure_decode(&token)?;
    out.push_str(&format!(
        "\n  what is inside (chatseal inspect; readable by anyone, so nothing secret in it):\n  header {}\n",
        Value::Object(header)
    ));
    let mut shown = claims.clone();
    if let Some(Value::String(up)) = shown.get_mut("user_payload") {
        *up = format!(
            "{}...({} chars of JWE ciphertext)",
            &up[..up.len().min(20)],
            up.len()
        );
    }
    out.push_str(&format!("  claims {}\n", Value::Object(shown)));

    let verifier = Verifier::builder(client.verifying_keys()?)
        .issuer(iss)
        .audience(aud)
        .decryption_keys(platform.decryption_keys(pass.as_ref())?, PayloadFormat::Jwe)
        .build()?;
    let verified = verifier.verify(&token).map_err(CliError::TokenRejected)?;
    out.push_str(&format!(
        "\nStep 4. The platform verifies the token against the JWKS and decrypts user_payload\n  \
         same as: chatseal verify --dir {} --iss {iss} --aud {aud} --decrypt-dir {} TOKEN\n  \
         signature OK (kid {}), exp/nbf/iat OK, iss OK, aud OK\n  sub:     {}\n  context: {}\n  \
         sso_token: {} ({} bytes; `chatseal verify --show-secrets` prints it)\n",
        client_dir.display(),
        platform_dir.display(),
        verified.header().kid.as_deref().unwrap_or("-"),
        verified.subject(),
        verified
            .context()
            .map(|c| Value::Object(c.clone()).to_string())
            .unwrap_or_default(),
        if verified.sso_token().is_some() {
            "[redacted]"
        } else {
            "(missing)"
        },
        verified.sso_token().map(|t| t.len()).unwrap_or(0),
    ));
    let sso_ok = verified.sso_token().is_some_and(|t| {
        chatseal::constant_time_eq(t.expose_secret().as_bytes(), sso_secret.as_bytes())
    });
    if !sso_ok {
        return Err(usage(
            "quickstart: the decrypted sso_token differs from the one minted",
        ));
    }
    out.push_str(&format!(
        "\nNext steps\n  rotate with no failed request:  chatseal keys rotate --dir {c}; publish the JWKS; \
         chatseal keys promote --dir {c}\n  see the keys:                   chatseal keys list --dir {c}\n  \
         upload the public key (IBM):    chatseal keys export-public --dir {c}\n  \
         every command:                  chatseal --help\n",
        c = client_dir.display()
    ));
    emit(&out)
}
