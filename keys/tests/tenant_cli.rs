//! `chatseal verify --tenant-config` and `chatseal tenant ...`, end to end
//! through the real binary: one refused token per refusal code (the CLI's
//! stderr line is printed; see it with `cargo test -p chatseal-keys --test
//! tenant_cli -- --nocapture`), a success with and without secrets, and
//! sealed documents (round trip, tamper, wrong secret, typos).

mod common;

use chatseal::{
    Algorithm, ClientSigningKey, ClientVerifyingKey, Issuer, PayloadFormat, PlatformDecryptionKey,
    RsaKeySize, SsoToken, TokenRequest, KEYS_CHANGED_MESSAGE, SEALED_PREFIX,
};
use common::*;
use serde_json::{json, Value};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const ISS: &str = "https://idp.acme.example";
const PARTNER_ISS: &str = "https://idp.partner.example";
const AUD: &str = "chat";
const BASE_ENV: &str = "EncryptionKeys__BaseSecret";
const PURPOSE_ENV: &str = "EncryptionKeys__UniqueSecrets__TenantOidcSecretKey";
const BASE: &str = "base-secret-for-the-cli-tests-01";
const PURPOSE: &str = "tenant-oidc-secret-key-tests-01";
const SSO: &str = "idp-access-token-of-ana-0123456789";

/// Runs the binary with no sealing secrets in its environment except `env`.
fn tc(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = cmd(args);
    c.env_remove(BASE_ENV).env_remove(PURPOSE_ENV);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("run chatseal");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

const SECRETS: &[(&str, &str)] = &[(BASE_ENV, BASE), (PURPOSE_ENV, PURPOSE)];

fn jwks_of(k: &ClientSigningKey) -> Value {
    serde_json::from_str(&ClientVerifyingKey::to_jwks([k.verifying_key()]).to_json()).unwrap()
}

struct World {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    idp: ClientSigningKey,
    partner: ClientSigningKey,
    platform: PlatformDecryptionKey,
    /// The plain tenant document.
    doc_path: PathBuf,
    /// The platform's private key PEM (for `--decrypt-key`).
    platform_pem: PathBuf,
}

/// A tenant with two inline-JWKS providers (only `corp` allowed) and every
/// access rule switched on, written to a file.
fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let idp = ClientSigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-1")
        .unwrap();
    let partner = ClientSigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("partner-1")
        .unwrap();
    let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
    let doc = json!({
        "tenantId": "acme",
        "allowedProviders": ["corp"],
        "providers": {
            "corp": {
                "issuer": ISS,
                "expectedAudience": [AUD],
                "scope": "chat.read",
                "acceptedAlgorithms": ["ES256"],
                "jwks": jwks_of(&idp),
                "additionalClaims": [{"claim": "tid", "op": "equals", "value": "t-1"}],
                "allowedUsers": ["ana@acme.example", "zoe@acme.example", "eve@partner.example"],
                "allowedEmailDomains": ["acme.example"],
                "requiredGroups": ["chat-users", "support"],
                "requireEmailVerified": true,
                "decryptionKeys": [platform.kid()],
                "payloadFormat": "jwe"
            },
            "partner": {
                "issuer": PARTNER_ISS,
                "expectedAudience": [AUD],
                "acceptedAlgorithms": ["ES256"],
                "jwks": jwks_of(&partner)
            }
        }
    });
    let doc_path = dir.join("tenant.json");
    fs::write(&doc_path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let platform_pem = dir.join("platform.pem");
    fs::write(
        &platform_pem,
        platform.to_pkcs8_pem().unwrap().expose_secret(),
    )
    .unwrap();
    World {
        _tmp: tmp,
        dir,
        idp,
        partner,
        platform,
        doc_path,
        platform_pem,
    }
}

/// Claims that pass every rule of `corp`.
fn good_claims() -> Value {
    json!({
        "scope": "chat.read chat.write",
        "tid": "t-1",
        "email": "ana@acme.example",
        "email_verified": true,
        "groups": ["chat-users"],
        "context": {"plan": "pro"}
    })
}

/// Mints a token with `key` for `sub` with the extra claims of `claims`.
fn mint(
    key: &ClientSigningKey,
    iss: &str,
    aud: &str,
    sub: &str,
    claims: &Value,
    at: SystemTime,
    sso: Option<(&PlatformDecryptionKey, &str)>,
) -> String {
    let mut b = Issuer::builder(key.clone()).issuer(iss).audience(aud);
    if let Some((p, _)) = sso {
        b = b.platform_key(p.encryption_key().clone(), PayloadFormat::Jwe);
    }
    let issuer = b.build().unwrap();
    let mut req = TokenRequest::new(sub);
    for (k, v) in claims.as_object().unwrap() {
        if k == "context" {
            req = req.context(v.clone());
        } else {
            req = req.claim(k.clone(), v.clone());
        }
    }
    if let Some((_, s)) = sso {
        req = req.sso_token(SsoToken::new(s));
    }
    issuer.mint_at(&req, at).unwrap()
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn verify_args<'a>(w: &'a World, extra: &[&'a str], token: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        "verify",
        "--tenant-config",
        s(&w.doc_path),
        "--decrypt-key",
        s(&w.platform_pem),
    ];
    args.extend_from_slice(extra);
    args.push(token);
    args
}

#[test]
fn one_refused_token_per_code() {
    let w = world();
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    let good = good_claims();
    let tok = |key: &ClientSigningKey, iss: &str, aud: &str, claims: Value| {
        mint(key, iss, aud, "ana", &claims, now, None)
    };
    let rs256 = ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048)
        .unwrap()
        .with_kid("idp-1")
        .unwrap();
    let impostor = ClientSigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-1")
        .unwrap();
    let stranger = ClientSigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("idp-unknown")
        .unwrap();

    // (code, token, extra arguments)
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "no_provider_for_issuer",
            tok(&w.idp, "https://unknown.example", AUD, good.clone()),
            vec![],
        ),
        (
            "provider_not_allowed",
            tok(&w.partner, PARTNER_ISS, AUD, good.clone()),
            vec![],
        ),
        (
            "algorithm_not_allowed",
            tok(&rs256, ISS, AUD, good.clone()),
            vec![],
        ),
        (
            "scope_missing",
            tok(
                &w.idp,
                ISS,
                AUD,
                with(good.clone(), "scope", json!("profile")),
            ),
            vec![],
        ),
        (
            "invalid_audience",
            tok(&w.idp, ISS, "another-app", good.clone()),
            vec![],
        ),
        (
            "claim_rule_failed",
            tok(&w.idp, ISS, AUD, with(good.clone(), "tid", json!("t-2"))),
            vec![],
        ),
        (
            "email_not_verified",
            tok(
                &w.idp,
                ISS,
                AUD,
                with(good.clone(), "email_verified", json!(false)),
            ),
            vec![],
        ),
        (
            "user_not_allowed",
            tok(
                &w.idp,
                ISS,
                AUD,
                with(good.clone(), "email", json!("mallory@acme.example")),
            ),
            vec![],
        ),
        (
            "email_domain_not_allowed",
            tok(
                &w.idp,
                ISS,
                AUD,
                with(good.clone(), "email", json!("eve@partner.example")),
            ),
            vec![],
        ),
        (
            "required_group_missing",
            tok(
                &w.idp,
                ISS,
                AUD,
                with(good.clone(), "groups", json!(["sales"])),
            ),
            vec![],
        ),
        (
            "participant_mismatch",
            tok(&w.idp, ISS, AUD, good.clone()),
            vec!["--participant", "bob"],
        ),
        (
            "expired",
            mint(&w.idp, ISS, AUD, "ana", &good, now - 2 * hour, None),
            vec![],
        ),
        (
            "not_yet_valid",
            mint(&w.idp, ISS, AUD, "ana", &good, now + hour, None),
            vec![],
        ),
        (
            "invalid_signature",
            tok(&impostor, ISS, AUD, good.clone()),
            vec![],
        ),
        (
            "unknown_kid",
            tok(&stranger, ISS, AUD, good.clone()),
            vec![],
        ),
    ];
    println!("chatseal verify --tenant-config: one refused token per code, as the CLI prints it");
    for (code, token, extra) in &cases {
        let out = tc(&verify_args(&w, extra, token), &[]).code(1);
        let line = out.stderr.trim_end();
        assert_eq!(line.lines().count(), 1, "{code}: one line: {line}");
        assert!(
            line.starts_with(&format!("chatseal: token rejected: {code}: ")),
            "{code}: {line}"
        );
        assert!(out.stdout.is_empty(), "{code}: nothing on stdout");
        assert!(!line.contains(token.as_str()), "{code}: no token in stderr");
        println!("[{code}] {line}");
    }
    // A key set that cannot be fetched: the operator's problem, exit 2.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let remote = json!({
        "tenantId": "acme",
        "providers": {"corp": {
            "issuer": ISS,
            "expectedAudience": [AUD],
            "acceptedAlgorithms": ["ES256"],
            "requireHttpsMetadata": false,
            "jwksUri": format!("http://127.0.0.1:{port}/jwks.json")
        }}
    });
    let remote_path = w.dir.join("remote.json");
    fs::write(&remote_path, remote.to_string()).unwrap();
    let token = tok(&w.idp, ISS, AUD, good.clone());
    let out = tc(&["verify", "--tenant-config", s(&remote_path), &token], &[]).code(2);
    let line = out.stderr.trim_end();
    assert!(
        line.starts_with("chatseal: error: jwks_unavailable: "),
        "{line}"
    );
    println!("[jwks_unavailable] {line}");

    // A tenant without providers cannot be loaded at all (exit 2); the
    // registry's `no_providers_configured` has no CLI path.
    let empty = w.dir.join("empty.json");
    fs::write(&empty, r#"{"tenantId": "acme", "providers": {}}"#).unwrap();
    let out = tc(&["verify", "--tenant-config", s(&empty), &token], &[]).code(2);
    let line = out.stderr.trim_end();
    assert!(
        line.starts_with("chatseal: error: invalid_config: No OIDC providers configured"),
        "{line}"
    );
    println!("[no providers, exit 2] {line}");
}

#[test]
fn success_json_participant_and_secrets() {
    let w = world();
    let token = mint(
        &w.idp,
        ISS,
        AUD,
        "ana",
        &good_claims(),
        SystemTime::now(),
        Some((&w.platform, SSO)),
    );

    let out = tc(
        &verify_args(&w, &["--participant", "ana", "--json"], &token),
        &[],
    )
    .code(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(!out.stdout.contains(SSO), "sso_token must be redacted");
    let v = out.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["tenant"], "acme");
    assert_eq!(v["provider"], "corp");
    assert_eq!(v["user_id"], "ana");
    assert_eq!(v["participant_checked"], true);
    assert_eq!(v["email"], "ana@acme.example");
    assert_eq!(v["groups"], json!(["chat-users"]));
    assert_eq!(v["claims"]["context.plan"], "pro");
    assert_eq!(v["claims"]["iss"], ISS);
    assert!(v["claims"].get("user_payload").is_none());
    assert_eq!(v["sso_token_present"], true);
    assert_eq!(v["sso_token"], "[redacted]");

    let shown = tc(&verify_args(&w, &["--json", "--show-secrets"], &token), &[])
        .code(0)
        .json();
    assert_eq!(shown["sso_token"], SSO);
    assert_eq!(shown["participant_checked"], false);

    // Human output: redacted by default, with its size.
    let text = tc(&verify_args(&w, &[], &token), &[]).ok();
    assert!(
        text.starts_with("token OK for tenant acme: provider `corp`"),
        "{text}"
    );
    assert!(text.contains("user id: ana"), "{text}");
    assert!(text.contains("groups:  chat-users"), "{text}");
    assert!(
        text.contains(&format!("sso_token: [redacted] ({} bytes", SSO.len())),
        "{text}"
    );
    assert!(!text.contains(SSO));
    let text = tc(&verify_args(&w, &["--show-secrets"], &token), &[]).ok();
    assert!(text.contains(&format!("sso_token: {SSO}")), "{text}");

    // Token from stdin works too.
    let out = run_stdin(
        &[
            "verify",
            "--tenant-config",
            s(&w.doc_path),
            "--decrypt-key",
            s(&w.platform_pem),
            "--json",
        ],
        &format!("{token}\n"),
    )
    .code(0);
    assert_eq!(out.json()["user_id"], "ana");

    // Without the platform key the provider's `decryptionKeys` cannot be
    // satisfied: a configuration error, exit 2, naming the kid.
    let out = tc(&["verify", "--tenant-config", s(&w.doc_path), &token], &[]).code(2);
    assert!(out.stderr.contains("invalid_config"), "{}", out.stderr);
    assert!(out.stderr.contains(w.platform.kid()), "{}", out.stderr);
}

#[test]
fn tenant_config_excludes_other_key_sources_and_iss_aud() {
    let w = world();
    let jwks = w.dir.join("jwks.json");
    fs::write(&jwks, jwks_of(&w.idp).to_string()).unwrap();
    for extra in [
        vec!["--jwks", s(&jwks)],
        vec!["--dir", s(&w.dir)],
        vec!["--public-key", s(&jwks)],
        vec!["--iss", ISS],
        vec!["--aud", AUD],
        vec!["--insecure-skip-iss"],
        vec!["--leeway", "5"],
    ] {
        let mut args = vec!["verify", "--tenant-config", s(&w.doc_path)];
        args.extend_from_slice(&extra);
        args.push("a.b.c");
        let out = tc(&args, &[]).code(2);
        assert!(
            out.stderr.contains("cannot be used with"),
            "{extra:?}: {}",
            out.stderr
        );
    }
    // --participant only makes sense with a tenant document.
    let out = tc(
        &[
            "verify",
            "--jwks",
            s(&jwks),
            "--iss",
            ISS,
            "--aud",
            AUD,
            "--participant",
            "x",
            "a.b.c",
        ],
        &[],
    )
    .code(2);
    assert!(out.stderr.contains("--tenant-config"), "{}", out.stderr);
}

fn tamper(sealed: &str) -> String {
    let mut b = sealed.trim().as_bytes().to_vec();
    let i = SEALED_PREFIX.len() + (b.len() - SEALED_PREFIX.len()) / 2;
    b[i] = if b[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).unwrap()
}

#[test]
fn seal_unseal_round_trip_tamper_and_wrong_secret() {
    let w = world();
    let plain = fs::read_to_string(&w.doc_path).unwrap();
    let sealed_path = w.dir.join("tenant.sealed");

    // Seal to a file (atomic, 0644: it is ciphertext), then unseal to stdout.
    let out = tc(
        &[
            "tenant",
            "seal",
            "--in",
            s(&w.doc_path),
            "--out",
            s(&sealed_path),
        ],
        SECRETS,
    )
    .code(0);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("sealed tenant acme"), "{}", out.stderr);
    let sealed = fs::read_to_string(&sealed_path).unwrap();
    assert!(sealed.starts_with(SEALED_PREFIX));
    assert!(!sealed.contains("acme"), "the document is encrypted");
    assert_eq!(fs::metadata(&sealed_path).unwrap().mode() & 0o777, 0o644);
    let back = tc(&["tenant", "unseal", "--in", s(&sealed_path)], SECRETS).ok();
    assert_eq!(back, plain);

    // Seal to stdout differs every time (fresh nonce) and opens the same.
    let again = tc(&["tenant", "seal", "--in", s(&w.doc_path)], SECRETS).ok();
    assert_ne!(again.trim(), sealed.trim());

    // Unseal to a file: 0600.
    let plain_out = w.dir.join("tenant.plain.json");
    tc(
        &[
            "tenant",
            "unseal",
            "--in",
            s(&sealed_path),
            "--out",
            s(&plain_out),
        ],
        SECRETS,
    )
    .code(0);
    assert_eq!(fs::read_to_string(&plain_out).unwrap(), plain);
    assert_eq!(fs::metadata(&plain_out).unwrap().mode() & 0o777, 0o600);

    // Secrets from files give the same key as the environment.
    let bf = w.dir.join("base.secret");
    let pf = w.dir.join("purpose.secret");
    fs::write(&bf, format!("{BASE}\n")).unwrap();
    fs::write(&pf, PURPOSE).unwrap();
    let from_files = tc(
        &[
            "tenant",
            "unseal",
            "--in",
            s(&sealed_path),
            "--base-secret-file",
            s(&bf),
            "--purpose-secret-file",
            s(&pf),
        ],
        &[],
    )
    .ok();
    assert_eq!(from_files, plain);

    // A sealed document serves `verify` and `tenant check` directly.
    let token = mint(
        &w.idp,
        ISS,
        AUD,
        "ana",
        &good_claims(),
        SystemTime::now(),
        None,
    );
    let v = tc(
        &[
            "verify",
            "--tenant-config",
            s(&sealed_path),
            "--decrypt-key",
            s(&w.platform_pem),
            "--json",
            &token,
        ],
        SECRETS,
    )
    .code(0)
    .json();
    assert_eq!(v["user_id"], "ana");
    let c = tc(
        &["tenant", "check", "--in", s(&sealed_path), "--json"],
        SECRETS,
    )
    .code(0)
    .json();
    assert_eq!(c["sealed"], true);
    assert_eq!(c["tenant"], "acme");

    // Altered bytes: exit 1 with the one message, for unseal, check and verify.
    let tampered = w.dir.join("tampered.sealed");
    fs::write(&tampered, tamper(&sealed)).unwrap();
    let want = format!(
        "chatseal: sealed configuration rejected: config_keys_changed: {KEYS_CHANGED_MESSAGE}"
    );
    assert_eq!(
        KEYS_CHANGED_MESSAGE,
        "the encryption keys may have changed; re-save the configuration"
    );
    for args in [
        vec!["tenant", "unseal", "--in", s(&tampered)],
        vec!["tenant", "check", "--in", s(&tampered)],
        vec!["verify", "--tenant-config", s(&tampered), &token],
    ] {
        let out = tc(&args, SECRETS).code(1);
        assert_eq!(out.stderr.trim_end(), want, "{args:?}");
        assert!(out.stdout.is_empty());
    }
    println!("[tampered] {want}");

    // Another secret: the same message, never garbage.
    let wrong_base = [
        (BASE_ENV, "another-base-secret-000000001"),
        (PURPOSE_ENV, PURPOSE),
    ];
    let out = tc(&["tenant", "unseal", "--in", s(&sealed_path)], &wrong_base).code(1);
    assert_eq!(out.stderr.trim_end(), want);
    assert!(out.stdout.is_empty());
    let wrong_purpose = [
        (BASE_ENV, BASE),
        (PURPOSE_ENV, "another-purpose-secret-00001"),
    ];
    let out = tc(
        &["tenant", "unseal", "--in", s(&sealed_path)],
        &wrong_purpose,
    )
    .code(1);
    assert_eq!(out.stderr.trim_end(), want);

    // A failed unseal never writes its --out.
    let not_written = w.dir.join("never.json");
    tc(
        &[
            "tenant",
            "unseal",
            "--in",
            s(&tampered),
            "--out",
            s(&not_written),
        ],
        SECRETS,
    )
    .code(1);
    assert!(!not_written.exists());
}

#[test]
fn missing_or_weak_secrets_are_usage_errors() {
    let w = world();
    // No secrets at all: exit 2 naming the variable, never a value.
    let out = tc(&["tenant", "seal", "--in", s(&w.doc_path)], &[]).code(2);
    assert!(out.stderr.contains(BASE_ENV), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1);
    // Too short.
    let out = tc(
        &["tenant", "seal", "--in", s(&w.doc_path)],
        &[(BASE_ENV, "short"), (PURPOSE_ENV, PURPOSE)],
    )
    .code(2);
    assert!(out.stderr.contains("weak_key"), "{}", out.stderr);
    assert!(!out.stderr.contains("short"), "{}", out.stderr);
    // Only one of the two files.
    let out = tc(
        &[
            "tenant",
            "seal",
            "--in",
            s(&w.doc_path),
            "--base-secret-file",
            s(&w.doc_path),
        ],
        &[],
    )
    .code(2);
    assert!(
        out.stderr.contains("--purpose-secret-file"),
        "{}",
        out.stderr
    );
    // Sealing a sealed document is refused.
    let sealed = w.dir.join("t.sealed");
    tc(
        &[
            "tenant",
            "seal",
            "--in",
            s(&w.doc_path),
            "--out",
            s(&sealed),
        ],
        SECRETS,
    )
    .code(0);
    let out = tc(&["tenant", "seal", "--in", s(&sealed)], SECRETS).code(2);
    assert!(out.stderr.contains("already sealed"), "{}", out.stderr);
}

fn write_doc(dir: &Path, name: &str, doc: &Value) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, doc.to_string()).unwrap();
    p
}

#[test]
fn invalid_documents_exit_2_naming_the_member() {
    let w = world();
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(&w.doc_path).unwrap()).unwrap();
    let token = mint(
        &w.idp,
        ISS,
        AUD,
        "ana",
        &good_claims(),
        SystemTime::now(),
        None,
    );

    let mut top = doc.clone();
    top["provders"] = json!({});
    let mut inner = doc.clone();
    inner["providers"]["corp"]["alowedUsers"] = json!(["ana@acme.example"]);
    let mut hs = doc.clone();
    hs["providers"]["partner"]["acceptedAlgorithms"] = json!(["HS256"]);
    let mut no_iss = doc.clone();
    no_iss["providers"]["partner"]
        .as_object_mut()
        .unwrap()
        .remove("issuer");
    doc["providers"]["a"] = doc["providers"]["partner"].clone();
    doc["providers"]["b"] = doc["providers"]["partner"].clone();
    doc["providers"]["c"] = doc["providers"]["partner"].clone();
    doc["providers"]["d"] = doc["providers"]["partner"].clone();
    for (name, bad, needle) in [
        ("top.json", top, "provders"),
        ("inner.json", inner, "alowedUsers"),
        ("hs.json", hs, "HS256"),
        ("noiss.json", no_iss, "issuer"),
        ("six.json", doc, "at most 5"),
    ] {
        let path = write_doc(&w.dir, name, &bad);
        let out_file = w.dir.join(format!("{name}.sealed"));
        for args in [
            vec!["tenant", "check", "--in", s(&path)],
            vec!["tenant", "seal", "--in", s(&path), "--out", s(&out_file)],
            vec!["verify", "--tenant-config", s(&path), &token],
        ] {
            let out = tc(&args, SECRETS).code(2);
            let line = out.stderr.trim_end();
            assert_eq!(line.lines().count(), 1, "{line}");
            assert!(
                line.starts_with("chatseal: error: invalid_config: "),
                "{args:?}: {line}"
            );
            assert!(line.contains(needle), "{args:?}: {line}");
        }
        assert!(
            !out_file.exists(),
            "nothing is sealed from an invalid document"
        );
        println!(
            "[{name}] {}",
            tc(&["tenant", "check", "--in", s(&path)], &[])
                .stderr
                .trim_end()
        );
    }
    let out = tc(
        &["tenant", "check", "--in", s(&w.dir.join("missing.json"))],
        &[],
    )
    .code(2);
    assert!(out.stderr.contains("missing.json"), "{}", out.stderr);
}

#[test]
fn check_summarises_providers() {
    let w = world();
    let text = tc(&["tenant", "check", "--in", s(&w.doc_path)], &[]).ok();
    assert!(
        text.starts_with("tenant document OK: tenant acme (plain JSON), 2 provider(s)"),
        "{text}"
    );
    assert!(text.contains("partner  (NOT in allowedProviders"), "{text}");
    let v = tc(&["tenant", "check", "--in", s(&w.doc_path), "--json"], &[])
        .code(0)
        .json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["sealed"], false);
    assert_eq!(v["allowed_providers"], json!(["corp"]));
    let p = v["providers"].as_array().unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0]["name"], "corp");
    assert_eq!(p[0]["allowed"], true);
    assert_eq!(p[0]["issuer"], ISS);
    assert_eq!(p[0]["algorithms"], json!(["ES256"]));
    assert_eq!(p[0]["scopes"], json!(["chat.read"]));
    assert_eq!(p[0]["claim_rules"], 1);
    assert_eq!(p[1]["allowed"], false);

    // The repository's example document is valid.
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/tenant/example-tenant.json"
    );
    let v = tc(&["tenant", "check", "--in", example, "--json"], &[])
        .code(0)
        .json();
    assert_eq!(v["providers"].as_array().unwrap().len(), 3);
}

#[test]
fn issuer_urls() {
    let url = |args: &[&str]| tc(args, &[]).ok().trim().to_owned();
    assert_eq!(
        url(&[
            "tenant",
            "issuer-url",
            "--provider",
            "entra",
            "--tenant",
            "contoso.onmicrosoft.com"
        ]),
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"
    );
    assert_eq!(
        url(&[
            "tenant",
            "issuer-url",
            "--provider",
            "okta",
            "--domain",
            "dev-123.okta.com"
        ]),
        "https://dev-123.okta.com/oauth2/default"
    );
    assert_eq!(
        url(&["tenant", "issuer-url", "--provider", "google"]),
        "https://accounts.google.com"
    );
    for bad in [
        vec!["tenant", "issuer-url", "--provider", "entra"],
        vec![
            "tenant",
            "issuer-url",
            "--provider",
            "okta",
            "--tenant",
            "x",
        ],
        vec![
            "tenant",
            "issuer-url",
            "--provider",
            "google",
            "--domain",
            "x.example",
        ],
        vec![
            "tenant",
            "issuer-url",
            "--provider",
            "okta",
            "--domain",
            "https://evil/x",
        ],
        vec!["tenant", "issuer-url", "--provider", "github"],
    ] {
        let out = tc(&bad, &[]).code(2);
        assert!(out.stdout.is_empty(), "{bad:?}");
    }
}

#[test]
fn help_has_examples() {
    for args in [
        vec!["tenant", "--help"],
        vec!["tenant", "check", "--help"],
        vec!["tenant", "seal", "--help"],
        vec!["tenant", "unseal", "--help"],
        vec!["tenant", "issuer-url", "--help"],
        vec!["verify", "--help"],
    ] {
        let out = tc(&args, &[]).ok();
        assert!(out.contains("Example"), "{args:?}");
    }
    let out = tc(&["verify", "--help"], &[]).ok();
    assert!(out.contains("--tenant-config"));
    assert!(out.contains("--participant"));
}

#[test]
fn decrypt_dir_stdin_document_and_remote_jwks() {
    let w = world();
    // A platform keyring made by the CLI; the tenant names its active kid.
    let ring = w.dir.join("platform-ring");
    tc(
        &[
            "keys",
            "init",
            "--dir",
            s(&ring),
            "--use",
            "enc",
            "--bits",
            "2048",
        ],
        &[],
    )
    .code(0);
    let list = tc(&["keys", "list", "--dir", s(&ring), "--json"], &[])
        .code(0)
        .json();
    let kid = list["keys"][0]["kid"].as_str().unwrap().to_owned();
    let jwk = tc(
        &[
            "keys",
            "export-public",
            "--dir",
            s(&ring),
            "--format",
            "jwk",
        ],
        &[],
    )
    .ok();
    let public =
        chatseal::PlatformEncryptionKey::from_jwk(&chatseal::Jwk::from_json(&jwk).unwrap())
            .unwrap();

    // The IdP's keys served over HTTP by a server on 127.0.0.1.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = jwks_of(&w.idp).to_string();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let n = conn.read(&mut buf).unwrap();
        let request = String::from_utf8_lossy(&buf[..n]).into_owned();
        write!(
            conn,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        request
    });
    let doc = json!({
        "tenantId": "acme",
        "providers": {"corp": {
            "issuer": ISS,
            "expectedAudience": [AUD],
            "acceptedAlgorithms": ["ES256"],
            "requireHttpsMetadata": false,
            "jwksUri": format!("http://127.0.0.1:{port}/jwks.json"),
            "decryptionKeys": [kid],
            "requiredGroups": ["chat-users"]
        }}
    });
    // The document arrives sealed on stdin (`--in -`).
    let plain = write_doc(&w.dir, "remote.json", &doc);
    let sealed = tc(&["tenant", "seal", "--in", s(&plain)], SECRETS).ok();
    let mut c = cmd(&["tenant", "check", "--in", "-", "--json"]);
    c.env(BASE_ENV, BASE)
        .env(PURPOSE_ENV, PURPOSE)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sealed.as_bytes())
            .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["sealed"], true);
    let sealed_path = w.dir.join("remote.sealed");
    fs::write(&sealed_path, &sealed).unwrap();

    let issuer = Issuer::builder(w.idp.clone())
        .issuer(ISS)
        .audience(AUD)
        .platform_key(public, PayloadFormat::Jwe)
        .build()
        .unwrap();
    let token = issuer
        .mint(
            &TokenRequest::new("ana")
                .claim("groups", json!(["chat-users"]))
                .sso_token(SsoToken::new(SSO)),
        )
        .unwrap();
    let v = tc(
        &[
            "verify",
            "--tenant-config",
            s(&sealed_path),
            "--decrypt-dir",
            s(&ring),
            "--participant",
            "ana",
            "--json",
            "--show-secrets",
            &token,
        ],
        SECRETS,
    )
    .code(0)
    .json();
    assert_eq!(v["user_id"], "ana");
    assert_eq!(v["sso_token"], SSO);
    let request = server.join().unwrap();
    assert!(request.starts_with("GET /jwks.json "), "{request}");
}
