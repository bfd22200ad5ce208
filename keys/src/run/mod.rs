//! The commands. They only translate between the command line and the
//! `chatseal` and `chatseal_keys` libraries: no cryptography or policy here.
//! One module per command group: `keyring` (keys …), `tokens` (mint,
//! verify, inspect), `tenant` (tenant …, verify --tenant-config),
//! `quickstart`; shared helpers here.

mod apikey;
mod keyring;
mod quickstart;
mod tenant;
mod tokens;

#[cfg(feature = "services")]
#[cfg(feature = "services")]
pub(crate) use keyring::service_decryption_keys;
pub(crate) use keyring::service_signing_key;
use keyring::*;
use quickstart::quickstart;
#[cfg(feature = "services")]
pub(crate) use tenant::load_tenant_document;
use tenant::*;
#[cfg(feature = "services")]
pub(crate) use tokens::load_platform_key;
use tokens::*;

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use chatseal::dangerous::insecure_decode;
use chatseal::serde_json::{self, json, Map, Value};
use chatseal::{
    seal_config, unseal_config, Algorithm, ClientSigningKey, ClientVerifyingKey, ConfigKeys,
    EcdhCurve, ErrorKind, IdentityProvider, Issuer, Passphrase, PayloadFormat,
    PlatformDecryptionKey, PlatformEncryptionKey, RsaKeySize, SsoToken, TenantConfig,
    TenantVerifier, TokenRequest, Verifier, SEALED_PREFIX,
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
        #[cfg(feature = "services")]
        Command::Serve(a) => crate::serve::serve(a),
        #[cfg(feature = "services")]
        Command::Gateway(a) => crate::gateway::gateway(a),
        Command::Apikey(ApikeyCommand::Generate(a)) => apikey::apikey_generate(a),
    }
}

// ---------------------------------------------------------------- helpers

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub(super) fn emit(text: &str) -> CliResult {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(usage(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

pub(super) fn emit_json(v: &Value) -> CliResult {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    emit(&s)
}

pub(crate) fn read_file(path: &Path, what: &str) -> CliResult<String> {
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
pub(super) fn chomp(s: &mut String) {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
}

/// The passphrase from `--passphrase-file` or `CHATSEAL_PASSPHRASE`, never argv.
pub(crate) fn passphrase(arg: &PassArg) -> CliResult<Option<Passphrase>> {
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

/// The keyring passphrase from CHATSEAL_PASSPHRASE, for the services.
#[cfg(feature = "services")]
pub(crate) fn passphrase_from_env() -> CliResult<Option<Passphrase>> {
    passphrase(&PassArg {
        passphrase_file: None,
    })
}

pub(super) fn read_token(arg: Option<String>) -> CliResult<String> {
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

pub(super) fn key_alg(a: AlgArg) -> KeyAlg {
    match a {
        AlgArg::Rs256 => KeyAlg::RS256,
        AlgArg::Ps256 => KeyAlg::PS256,
        AlgArg::Es256 => KeyAlg::ES256,
        AlgArg::Ed25519 => KeyAlg::Ed25519,
        AlgArg::RsaOaep256 => KeyAlg::RsaOaep256,
        AlgArg::EcdhEsA256kw => KeyAlg::EcdhEsA256kw,
        AlgArg::EcdhEs => KeyAlg::EcdhEs,
    }
}

pub(super) fn curve(c: CrvArg) -> EcdhCurve {
    match c {
        CrvArg::P256 => EcdhCurve::P256,
        CrvArg::X25519 => EcdhCurve::X25519,
    }
}

pub(super) fn key_use(u: UseArg) -> KeyUse {
    match u {
        UseArg::Sig => KeyUse::Sig,
        UseArg::Enc => KeyUse::Enc,
    }
}

pub(crate) fn payload_format(f: FormatArg) -> PayloadFormat {
    match f {
        FormatArg::Jwe => PayloadFormat::Jwe,
        FormatArg::Wxo => PayloadFormat::Wxo,
    }
}

pub(super) fn rsa_size(bits: u32) -> CliResult<RsaKeySize> {
    Ok(RsaKeySize::from_bits(bits)?)
}

/// Runs `f`, showing a spinner on stderr if it is a terminal (quiet when piped).
pub(super) fn with_progress<T: Send>(label: &str, f: impl FnOnce() -> T + Send) -> T {
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

pub(super) fn generate(
    alg: KeyAlg,
    bits: Option<u32>,
    crv: Option<EcdhCurve>,
) -> CliResult<KeyMaterial> {
    if crv.is_some() && !alg.is_ecdh() {
        return Err(usage(format!(
            "--crv applies to ECDH platform keys only (ECDH-ES+A256KW, ECDH-ES); {alg} keys \
             have a fixed kind"
        )));
    }
    if !alg.is_rsa() {
        if bits.is_some() {
            return Err(usage(format!(
                "--bits applies to RSA keys only; {alg} keys are {}",
                match alg {
                    KeyAlg::Ed25519 => "Ed25519",
                    KeyAlg::ES256 => "P-256",
                    _ => "elliptic-curve keys (choose the curve with --crv)",
                }
            )));
        }
        if alg.is_ecdh() {
            return Ok(KeyMaterial::generate_ecdh(
                alg,
                crv.unwrap_or(EcdhCurve::P256),
            )?);
        }
        return Ok(KeyMaterial::generate(alg, RsaKeySize::default())?);
    }
    let size = rsa_size(bits.unwrap_or(3072))?;
    let label = format!("generating an RSA-{} key...", size.bits());
    Ok(with_progress(&label, || KeyMaterial::generate(alg, size))?)
}

pub(super) fn time(t: Option<i64>) -> String {
    match t.and_then(|t| chrono::DateTime::from_timestamp(t, 0)) {
        Some(d) => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "-".to_owned(),
    }
}

pub(super) fn entry_json(e: &KeyEntry) -> Value {
    serde_json::to_value(e).unwrap_or(Value::Null)
}

pub(super) fn describe(e: &KeyEntry) -> String {
    match e.bits {
        Some(b) => format!("{} {}-bit", e.alg, b),
        None => e.alg.to_string(),
    }
}
