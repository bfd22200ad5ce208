//! The commands. They only translate between the command line and the
//! `chatseal` and `chatseal_keys` libraries: no cryptography or policy here.

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use chatseal::dangerous::insecure_decode;
use chatseal::serde_json::{self, json, Map, Value};
use chatseal::{
    seal_config, unseal_config, Algorithm, ClientSigningKey, ClientVerifyingKey, ConfigKeys,
    ErrorKind, IdentityProvider, Issuer, Passphrase, PayloadFormat, PlatformDecryptionKey,
    PlatformEncryptionKey, RsaKeySize, SsoToken, TenantConfig, TenantVerifier, TokenRequest,
    Verifier, SEALED_PREFIX,
};
use chatseal_keys::{KeyAlg, KeyEntry, KeyMaterial, KeyState, KeyUse, Keyring};

use crate::cli::*;
use crate::error::{usage, CliError, CliResult};

/// Runs one parsed command line.
pub(crate) fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Keys(k) => match k {
            KeysCommand::Init(a) => init(a),
            KeysCommand::List(a) => list(a),
            KeysCommand::Rotate(a) => rotate(a),
            KeysCommand::Promote(a) => promote(a),
            KeysCommand::Retire(a) => retire(a),
            KeysCommand::Prune(a) => prune(a),
            KeysCommand::Revoke(a) => revoke(a),
            KeysCommand::Import(a) => import(a),
            KeysCommand::Jwks(a) => jwks(a),
            KeysCommand::ExportPublic(a) => export_public(a),
        },
        Command::Mint(a) => mint(a),
        Command::Verify(a) => verify(a),
        Command::Inspect(a) => inspect(a),
        Command::Tenant(t) => match t {
            TenantCommand::Check(a) => tenant_check(a),
            TenantCommand::Seal(a) => tenant_seal(a),
            TenantCommand::Unseal(a) => tenant_unseal(a),
            TenantCommand::IssuerUrl(a) => issuer_url(a),
        },
        Command::Quickstart(a) => quickstart(a),
    }
}

// ---------------------------------------------------------------- helpers

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn emit(text: &str) -> CliResult {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(usage(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

fn emit_json(v: &Value) -> CliResult {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    emit(&s)
}

fn read_file(path: &Path, what: &str) -> CliResult<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| usage(format!("cannot read {what} from stdin: {e}")))?;
        return Ok(s);
    }
    fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read {what} `{}`: {e}", path.display())))
}

/// Drops one trailing line ending, in place (no copy of the secret).
fn chomp(s: &mut String) {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
}

/// The passphrase from `--passphrase-file` or `CHATSEAL_PASSPHRASE`, never argv.
fn passphrase(arg: &PassArg) -> CliResult<Option<Passphrase>> {
    let mut text = match &arg.passphrase_file {
        Some(f) => read_file(f, "the passphrase file")?,
        None => match std::env::var("CHATSEAL_PASSPHRASE") {
            Ok(v) => v,
            Err(_) => return Ok(None),
        },
    };
    chomp(&mut text);
    if text.is_empty() {
        return Err(usage(
            "the passphrase is empty; put it in --passphrase-file FILE or CHATSEAL_PASSPHRASE",
        ));
    }
    Ok(Some(Passphrase::new(text)))
}

fn read_token(arg: Option<String>) -> CliResult<String> {
    let token = match arg {
        Some(t) => t,
        None => read_file(Path::new("-"), "the token")?,
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(usage("no token given (pass it as an argument or on stdin)"));
    }
    Ok(token)
}

fn key_alg(a: AlgArg) -> KeyAlg {
    match a {
        AlgArg::Rs256 => KeyAlg::RS256,
        AlgArg::Ps256 => KeyAlg::PS256,
        AlgArg::Es256 => KeyAlg::ES256,
        AlgArg::RsaOaep256 => KeyAlg::RsaOaep256,
    }
}

fn key_use(u: UseArg) -> KeyUse {
    match u {
        UseArg::Sig => KeyUse::Sig,
        UseArg::Enc => KeyUse::Enc,
    }
}

fn payload_format(f: FormatArg) -> PayloadFormat {
    match f {
        FormatArg::Jwe => PayloadFormat::Jwe,
        FormatArg::Wxo => PayloadFormat::Wxo,
    }
}

fn rsa_size(bits: u32) -> CliResult<RsaKeySize> {
    Ok(RsaKeySize::from_bits(bits)?)
}

/// Runs `f`, showing a spinner on stderr if it is a terminal (quiet when piped).
fn with_progress<T: Send>(label: &str, f: impl FnOnce() -> T + Send) -> T {
    if !io::stderr().is_terminal() {
        return f();
    }
    let done = AtomicBool::new(false);
    let start = Instant::now();
    std::thread::scope(|s| {
        let spinner = s.spawn(|| {
            let frames = ['|', '/', '-', '\\'];
            let mut i = 0;
            while !done.load(Ordering::Relaxed) {
                eprint!(
                    "\r{label} {} {:.1} s",
                    frames[i % 4],
                    start.elapsed().as_secs_f32()
                );
                i += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            eprintln!(
                "\r{label} done in {:.1} s   ",
                start.elapsed().as_secs_f32()
            );
        });
        let out = f();
        done.store(true, Ordering::Relaxed);
        let _ = spinner.join();
        out
    })
}

fn generate(alg: KeyAlg, bits: Option<u32>) -> CliResult<KeyMaterial> {
    if !alg.is_rsa() {
        if bits.is_some() {
            return Err(usage(
                "--bits applies to RSA keys only; ES256 keys are P-256",
            ));
        }
        return Ok(KeyMaterial::generate(alg, RsaKeySize::default())?);
    }
    let size = rsa_size(bits.unwrap_or(3072))?;
    let label = format!("generating an RSA-{} key...", size.bits());
    Ok(with_progress(&label, || KeyMaterial::generate(alg, size))?)
}

fn time(t: Option<i64>) -> String {
    match t.and_then(|t| chrono::DateTime::from_timestamp(t, 0)) {
        Some(d) => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "-".to_owned(),
    }
}

fn entry_json(e: &KeyEntry) -> Value {
    serde_json::to_value(e).unwrap_or(Value::Null)
}

fn describe(e: &KeyEntry) -> String {
    match e.bits {
        Some(b) => format!("{} {}-bit", e.alg, b),
        None => e.alg.to_string(),
    }
}

// ---------------------------------------------------------------- keys

fn init(a: InitArgs) -> CliResult {
    let pass = passphrase(&a.pass)?;
    let use_ = key_use(a.key_use);
    let alg = a.alg.map(key_alg).unwrap_or(KeyAlg::default_for(use_));
    if alg.key_use() != use_ {
        return Err(usage(format!(
            "{alg} is for `{}` keys; --use {use_} takes {}",
            alg.key_use(),
            match use_ {
                KeyUse::Sig => "RS256, PS256 or ES256",
                KeyUse::Enc => "RSA-OAEP-256",
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
    let key = generate(alg, a.bits)?;
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

fn list(a: ListArgs) -> CliResult {
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

fn rotate(a: RotateArgs) -> CliResult {
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
    let key = generate(alg, bits)?;
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

fn promote(a: PromoteArgs) -> CliResult {
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

fn retire(a: RetireArgs) -> CliResult {
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

fn prune(a: PruneArgs) -> CliResult {
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

fn revoke(a: RevokeArgs) -> CliResult {
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

fn import(a: ImportArgs) -> CliResult {
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
        (None, KeyUse::Enc) => {
            KeyMaterial::from_pem(pem.expose_secret(), KeyAlg::RsaOaep256, pass.as_ref())?
        }
        (None, KeyUse::Sig) => {
            match KeyMaterial::from_pem(pem.expose_secret(), KeyAlg::RS256, pass.as_ref()) {
                Err(chatseal_keys::Error::Key(e)) if e.kind() == ErrorKind::KeyRoleMismatch => {
                    KeyMaterial::from_pem(pem.expose_secret(), KeyAlg::ES256, pass.as_ref())?
                }
                other => other?,
            }
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

fn jwks(a: JwksArgs) -> CliResult {
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

fn export_public(a: ExportPublicArgs) -> CliResult {
    let ring = Keyring::open(&a.dir.dir)?;
    let entry = ring.entry_or_active(a.kid.as_deref())?;
    match a.format {
        PublicFormat::Pem => emit(&ring.public_key_pem(Some(&entry.kid))?),
        PublicFormat::Jwk => {
            emit_json(&serde_json::to_value(&entry.public_jwk).unwrap_or_default())
        }
    }
}

// ---------------------------------------------------------------- tokens

/// A platform public key from an SPKI PEM, a JWK/JWKS file, or a keyring folder.
fn load_platform_key(path: &Path) -> CliResult<PlatformEncryptionKey> {
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

fn parse_claim(spec: &str) -> CliResult<(String, Value)> {
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

fn mint(a: MintArgs) -> CliResult {
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
    let key = ring.signing_key(pass.as_ref())?;
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
        platform.map(|p| (p, payload_format(a.payload_format))),
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
fn mint_token(
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

fn load_public_key(path: &Path, alg: Option<SigAlgArg>) -> CliResult<ClientVerifyingKey> {
    let pem = read_file(path, "the public key")?;
    let alg = match alg {
        Some(SigAlgArg::Rs256) => Algorithm::RS256,
        Some(SigAlgArg::Ps256) => Algorithm::PS256,
        Some(SigAlgArg::Es256) => Algorithm::ES256,
        None => {
            return match ClientVerifyingKey::from_spki_pem(&pem, Algorithm::ES256) {
                Err(e) if e.kind() == ErrorKind::KeyRoleMismatch => {
                    Ok(ClientVerifyingKey::from_spki_pem(&pem, Algorithm::RS256)?)
                }
                other => Ok(other?),
            }
        }
    };
    Ok(ClientVerifyingKey::from_spki_pem(&pem, alg)?)
}

/// The platform decryption keys of `--decrypt-key` / `--decrypt-dir`.
fn load_decryption_keys(
    key: Option<&Path>,
    dir: Option<&Path>,
    pass: Option<&Passphrase>,
) -> CliResult<Vec<PlatformDecryptionKey>> {
    if let Some(f) = key {
        let pem = chatseal::SecretString::new(read_file(f, "the decryption key")?);
        Ok(vec![match pass {
            Some(p) => PlatformDecryptionKey::from_encrypted_pem(pem.expose_secret(), p)?,
            None => PlatformDecryptionKey::from_pem(pem.expose_secret())?,
        }])
    } else if let Some(d) = dir {
        Ok(Keyring::open(d)?.decryption_keys(pass)?)
    } else {
        Ok(Vec::new())
    }
}

fn verify(a: VerifyArgs) -> CliResult {
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
    let keys: Vec<ClientVerifyingKey> = if let Some(j) = &a.jwks {
        ClientVerifyingKey::from_jwks(&read_file(j, "the JWKS")?)?
    } else if let Some(p) = &a.public_key {
        vec![load_public_key(p, a.alg)?]
    } else if let Some(d) = &a.dir {
        Keyring::open(d)?.verifying_keys()?
    } else {
        return Err(usage("give --jwks FILE, --public-key PEMFILE or --dir DIR"));
    };
    let pass = passphrase(&a.pass)?;
    let decryption = load_decryption_keys(
        a.decrypt_key.as_deref(),
        a.decrypt_dir.as_deref(),
        pass.as_ref(),
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
    let decrypting = !decryption.is_empty();
    if decrypting {
        b = b.decryption_keys(decryption, payload_format(a.payload_format));
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

// ---------------------------------------------------------------- tenants

/// Environment variable of the base secret of sealed tenant documents.
const BASE_SECRET_ENV: &str = "EncryptionKeys__BaseSecret";
/// Environment variable of the per-purpose secret of sealed tenant documents.
const PURPOSE_SECRET_ENV: &str = "EncryptionKeys__UniqueSecrets__TenantOidcSecretKey";

/// The secrets of sealed documents: from the two files, else the environment.
/// A missing or too short secret is a configuration error (exit 2).
fn config_keys(arg: &SealKeysArg) -> CliResult<ConfigKeys> {
    let keys = match (&arg.base_secret_file, &arg.purpose_secret_file) {
        (Some(b), Some(p)) => ConfigKeys::from_files(b, p),
        _ => ConfigKeys::from_env(BASE_SECRET_ENV, PURPOSE_SECRET_ENV),
    };
    keys.map_err(|e| {
        usage(format!(
            "{}: {} (the secrets of sealed tenant documents come from {BASE_SECRET_ENV} and \
             {PURPOSE_SECRET_ENV}, or --base-secret-file and --purpose-secret-file)",
            e.code(),
            e.message()
        ))
    })
}

fn is_sealed(text: &str) -> bool {
    text.trim_start().starts_with(SEALED_PREFIX)
}

/// A tenant document from `path`, plain or sealed; returns it and whether it
/// was sealed.
fn load_tenant(path: &Path, secrets: &SealKeysArg) -> CliResult<(TenantConfig, bool)> {
    let text = read_file(path, "the tenant document")?;
    if is_sealed(&text) {
        let plain = unseal_config(&text, &config_keys(secrets)?)?;
        Ok((TenantConfig::from_json(&plain)?, true))
    } else {
        if secrets.base_secret_file.is_some() {
            eprintln!(
                "chatseal: warning: `{}` is not sealed; the secret files are not used",
                path.display()
            );
        }
        Ok((TenantConfig::from_json(&text)?, false))
    }
}

fn verify_tenant(a: VerifyArgs) -> CliResult {
    let Some(path) = &a.tenant_config else {
        return Err(usage("give --tenant-config FILE"));
    };
    let (config, _) = load_tenant(path, &a.secrets)?;
    let pass = passphrase(&a.pass)?;
    let decryption = load_decryption_keys(
        a.decrypt_key.as_deref(),
        a.decrypt_dir.as_deref(),
        pass.as_ref(),
    )?;
    let token = read_token(a.token)?;
    let tenant = TenantVerifier::new(&config, &decryption)?;
    let who = tenant
        .verify(&token, a.participant.as_deref())
        .map_err(|e| {
            // A key set that cannot be fetched is the operator's problem
            // (exit 2), not the token's.
            if e.kind().is_token_rejection() && e.kind() != ErrorKind::JwksUnavailable {
                CliError::TokenRejected(e)
            } else {
                CliError::Core(e)
            }
        })?;
    let sso_shown = who.sso_token().map(|t| {
        if a.show_secrets {
            t.expose_secret().to_owned()
        } else {
            "[redacted]".to_owned()
        }
    });
    if a.json {
        return emit_json(&json!({
            "valid": true,
            "tenant": who.tenant_id(),
            "provider": who.provider(),
            "user_id": who.user_id(),
            "participant_checked": a.participant.is_some(),
            "email": who.email(),
            "groups": who.groups(),
            "claims": who.claims(),
            "sso_token_present": who.sso_token().is_some(),
            "sso_token": sso_shown,
        }));
    }
    let mut out = format!(
        "token OK for tenant {}: provider `{}` signed it and every rule of the tenant passed\n  \
         user id: {}{}\n  email:   {}\n  groups:  {}\nclaims:\n{}\n",
        who.tenant_id(),
        who.provider(),
        who.user_id(),
        if a.participant.is_some() {
            " (matches --participant)"
        } else {
            ""
        },
        who.email().unwrap_or("(none)"),
        if who.groups().is_empty() {
            "(none)".to_owned()
        } else {
            who.groups().join(", ")
        },
        serde_json::to_string_pretty(who.claims()).unwrap_or_default()
    );
    match (&sso_shown, who.sso_token()) {
        (Some(s), Some(t)) if !a.show_secrets => out.push_str(&format!(
            "sso_token: {s} ({} bytes; --show-secrets prints it)\n",
            t.len()
        )),
        (Some(s), _) => out.push_str(&format!("sso_token: {s}\n")),
        (None, _) => out.push_str("sso_token: (none)\n"),
    }
    emit(&out)
}

fn tenant_check(a: TenantCheckArgs) -> CliResult {
    let (config, sealed) = load_tenant(&a.input, &a.secrets)?;
    let allowed = |name: &str| {
        config
            .allowed_providers()
            .is_none_or(|set| set.contains(name))
    };
    let providers: Vec<Value> = config
        .providers()
        .iter()
        .map(|p| {
            json!({
                "name": p.name(),
                "allowed": allowed(p.name()),
                "issuer": p.issuer(),
                "audiences": p.audiences(),
                "algorithms": p.algorithms().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                "scopes": p.scopes(),
                "claim_rules": p.claim_rules().len(),
                "user_id_claims": p.user_id_claims(),
                "require_https_metadata": p.require_https_metadata(),
            })
        })
        .collect();
    if a.json {
        return emit_json(&json!({
            "valid": true,
            "sealed": sealed,
            "tenant": config.tenant_id(),
            "allowed_providers": config.allowed_providers(),
            "providers": providers,
        }));
    }
    let mut out = format!(
        "tenant document OK: tenant {} ({}), {} provider(s)\n",
        config.tenant_id(),
        if sealed { "sealed" } else { "plain JSON" },
        config.providers().len()
    );
    for p in config.providers() {
        out.push_str(&format!(
            "  {}{}\n    issuer:     {}\n    audiences:  {}\n    algorithms: {}\n",
            p.name(),
            if allowed(p.name()) {
                ""
            } else {
                "  (NOT in allowedProviders: its tokens are refused)"
            },
            p.issuer(),
            p.audiences().join(", "),
            p.algorithms()
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ));
        if !p.scopes().is_empty() {
            out.push_str(&format!("    scopes:     {}\n", p.scopes().join(" ")));
        }
        if !p.claim_rules().is_empty() {
            out.push_str(&format!(
                "    rules:      {} additionalClaims\n",
                p.claim_rules().len()
            ));
        }
        out.push_str(&format!(
            "    user id:    first of {}\n",
            p.user_id_claims().join(", ")
        ));
    }
    emit(&out)
}

fn tenant_seal(a: TenantSealArgs) -> CliResult {
    let text = read_file(&a.input, "the tenant document")?;
    if is_sealed(&text) {
        return Err(usage(format!(
            "`{}` is already sealed; `chatseal tenant unseal` opens it",
            a.input.display()
        )));
    }
    let config = TenantConfig::from_json(&text)?;
    let keys = config_keys(&a.secrets)?;
    let mut sealed = seal_config(&text, &keys)?;
    sealed.push('\n');
    match &a.out {
        Some(out) => {
            chatseal_keys::write_public_file(out, &sealed)?;
            eprintln!(
                "sealed tenant {} ({} provider(s)) to {}",
                config.tenant_id(),
                config.providers().len(),
                out.display()
            );
            Ok(())
        }
        None => emit(&sealed),
    }
}

fn tenant_unseal(a: TenantUnsealArgs) -> CliResult {
    let text = read_file(&a.input, "the sealed tenant document")?;
    let keys = config_keys(&a.secrets)?;
    let plain = unseal_config(&text, &keys)?;
    match &a.out {
        Some(out) => {
            chatseal_keys::write_private_file(out, &plain)?;
            eprintln!("wrote the plain tenant document to {}", out.display());
            Ok(())
        }
        None => emit(&plain),
    }
}

fn issuer_url(a: IssuerUrlArgs) -> CliResult {
    let idp = match (a.provider, a.tenant, a.domain) {
        (ProviderArg::Entra, Some(tenant), None) => IdentityProvider::Entra { tenant },
        (ProviderArg::Entra, _, _) => {
            return Err(usage(
                "--provider entra needs --tenant ID_OR_DOMAIN (not --domain)",
            ))
        }
        (ProviderArg::Okta, None, Some(domain)) => IdentityProvider::Okta { domain },
        (ProviderArg::Okta, _, _) => {
            return Err(usage(
                "--provider okta needs --domain DOMAIN (not --tenant)",
            ))
        }
        (ProviderArg::Google, None, None) => IdentityProvider::Google,
        (ProviderArg::Google, _, _) => {
            return Err(usage(
                "--provider google takes neither --tenant nor --domain",
            ))
        }
    };
    emit(&format!("{}\n", idp.issuer_url()?))
}

fn inspect(a: InspectArgs) -> CliResult {
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

// ---------------------------------------------------------------- quickstart

fn shorten_jwks(jwks: &chatseal::Jwks) -> Value {
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

fn ensure_ring(dir: &Path, alg: KeyAlg, pass: Option<&Passphrase>) -> CliResult<(Keyring, bool)> {
    if Keyring::exists(dir) {
        return Ok((Keyring::open(dir)?, false));
    }
    let key = generate(alg, Some(3072))?;
    Ok((
        Keyring::init(dir, key, None, pass, SystemTime::now())?,
        true,
    ))
}

fn quickstart(a: QuickstartArgs) -> CliResult {
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
