//! Benchmark driver for `tests/bench/compare.sh`: chatseal and the Rust
//! libraries a user might pick instead, doing the same work on the same keys.
//! (josekit runs from its own crate, `tests/bench/josekit-peer`: it turns on
//! serde_json's `preserve_order`, which would otherwise slow chatseal's JSON
//! down in this binary and make it unlike the chatseal users build.)
//!
//! Commands (every figure is printed as `RESULT <impl> <op> <ops per wall
//! second> <ops per CPU second>`):
//!
//! - `fixtures <file>`: generates the shared fixture (RSA-2048 client and
//!   platform keys, a 200-byte sso_token, one plain and one JWE-carrying
//!   token minted by chatseal; and under `paths`, the keys and one token of
//!   every key path, with the 1,536-character `path_sso_token`) as JSON;
//!   every peer loads it.
//! - `run <impl> <fixture> <seconds>`: times each op of `chatseal`,
//!   `jsonwebtoken` or bare `aws-lc-rs` single-threaded for
//!   `seconds` (after a short warm-up) and prints its ops/s. Before timing,
//!   the peer's own outputs are checked (its verify accepts chatseal's
//!   tokens and finds the sso_token).
//! - `paths <fixture> <seconds>`: the key paths of issue 13 (RSA-2048/3072/
//!   4096, P-256 + ES256, X25519 + Ed25519) with a 1,536-character
//!   sso_token: chatseal's mint and verify + decrypt, and the same
//!   cryptography bare with aws-lc-rs, every figure of an op measured side
//!   by side in interleaved slices (see `paths.rs`).
//! - `extra <seconds>`: chatseal with RSA-3072 and P-256 keys and PS256.
//! - `threads <fixture> <seconds>`: chatseal mint and verify on 1 and 2
//!   threads sharing one issuer/verifier.
//! - `memory <fixture> <n>`: `n` verifications in this process; prints
//!   VmHWM/VmRSS at checkpoints (`MEMORY <done> <hwm kB> <rss kB>`).
//! - `profile <fixture> <op> <n>`: `n` untimed calls of one chatseal op
//!   (also `mint-jwe/<path>` and `verify-decrypt/<path>`), for
//!   `valgrind --tool=callgrind` or `perf record`.
//! - `check <fixture> <samples>`: verifies, with chatseal, the sample tokens
//!   every peer minted (`SAMPLE <impl> <op> <token>` lines), so every row of
//!   the table is known to produce tokens the platform accepts.
//!
//! The ops:
//! - `mint`: a typical widget token (`iss`, `sub`, `aud`, `iat`, `nbf`,
//!   `exp`, random `jti`, a three-member `context`), RS256, key parsed once.
//! - `mint-pem`: the same, parsing the PEM private key on every call (what
//!   many callers of jsonwebtoken do).
//! - `mint-jwe`: `mint` plus the 200-byte sso_token encrypted to the
//!   platform key as a compact JWE (RSA-OAEP-256 + A256GCM) in
//!   `user_payload`.
//! - `verify`: signature (key parsed once), `exp`/`nbf`/`iat`, `iss`, `aud`,
//!   read `sub`.
//! - `verify-decrypt`: `verify` of the JWE-carrying token, then decrypt
//!   `user_payload` and read the sso_token.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod paths;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chatseal::serde_json::{json, Value};
use chatseal::{
    Algorithm, ClientSigningKey, ClientVerifyingKey, Issuer, PayloadFormat, PlatformDecryptionKey,
    PlatformEncryptionKey, RsaKeySize, SsoToken, TokenRequest, Verifier,
};

type Res<T> = Result<T, String>;

const ISS: &str = "https://host.example";
const AUD: &str = "chatseal-platform";
const SUB: &str = "user-42";
const TTL: u64 = 3600;

fn context() -> Value {
    json!({"name": "Ada Lovelace", "email": "ada@example.com", "locale": "en-GB"})
}

/// Everything the peers share, as written by `fixtures`.
struct Fixture {
    sso_token: String,
    client_kid: String,
    client_private_pem: String,
    client_public_pem: String,
    platform_private_pem: String,
    platform_public_pem: String,
    token: String,
    token_jwe: String,
    path_sso_token: String,
    paths: Vec<paths::PathKeys>,
}

impl Fixture {
    fn load(path: &str) -> Res<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let v: Value = chatseal::serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let s = |k: &str| -> Res<String> {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("fixture has no `{k}`"))
        };
        Ok(Self {
            sso_token: s("sso_token")?,
            client_kid: s("client_kid")?,
            client_private_pem: s("client_private_pem")?,
            client_public_pem: s("client_public_pem")?,
            platform_private_pem: s("platform_private_pem")?,
            platform_public_pem: s("platform_public_pem")?,
            token: s("token")?,
            token_jwe: s("token_jwe")?,
            path_sso_token: s("path_sso_token")?,
            paths: paths::load(&v)?,
        })
    }
}

fn err<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// 16 random bytes, base64url: the `jti` every implementation generates.
fn random_jti() -> Res<String> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(err("random"))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// Calls per second of one measurement: per second of wall time, and per
/// second of this process's CPU time (user + system), which a busy machine
/// disturbs much less.
#[derive(Clone, Copy)]
struct Rate {
    wall: f64,
    cpu: Option<f64>,
}

/// CPU time so far (user + system) from a Linux `stat` file, in USER_HZ =
/// 100 ticks per second: `/proc/self/stat` for the process,
/// `/proc/thread-self/stat` for the calling thread.
fn cpu_secs(stat_file: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(stat_file).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// One timed loop: calls made, wall seconds, CPU seconds (of `stat_file`).
struct Sample {
    calls: u64,
    wall: f64,
    cpu: Option<f64>,
}

/// Runs `f` for `secs` seconds after a warm-up. Any failed call aborts the
/// measurement: a figure is only printed for work that succeeded every time.
fn sample_loop(secs: f64, stat_file: &str, mut f: impl FnMut() -> Res<()>) -> Res<Sample> {
    let warm = Duration::from_secs_f64((secs / 5.0).min(0.5));
    let start = Instant::now();
    while start.elapsed() < warm {
        f()?;
    }
    let limit = Duration::from_secs_f64(secs);
    let cpu0 = cpu_secs(stat_file);
    let start = Instant::now();
    let mut calls: u64 = 0;
    loop {
        f()?;
        calls += 1;
        let el = start.elapsed();
        if el >= limit {
            let cpu = match (cpu0, cpu_secs(stat_file)) {
                (Some(a), Some(b)) if b > a => Some(b - a),
                _ => None,
            };
            return Ok(Sample {
                calls,
                wall: el.as_secs_f64(),
                cpu,
            });
        }
    }
}

/// Single-threaded rate of `f` over `secs` seconds, per wall second and per
/// second of the process's CPU time.
fn measure(secs: f64, f: impl FnMut() -> Res<()>) -> Res<Rate> {
    let s = sample_loop(secs, "/proc/self/stat", f)?;
    Ok(Rate {
        wall: s.calls as f64 / s.wall,
        cpu: s.cpu.map(|c| s.calls as f64 / c),
    })
}

/// `RESULT <impl> <op> <ops per wall second> <ops per CPU second | ->`.
fn report(imp: &str, op: &str, r: Rate) {
    match r.cpu {
        Some(c) => println!("RESULT {imp} {op} {:.1} {c:.1}", r.wall),
        None => println!("RESULT {imp} {op} {:.1} -", r.wall),
    }
}

fn sample(imp: &str, op: &str, token: &str) {
    println!("SAMPLE {imp} {op} {token}");
}

// ------------------------------------------------------------------ chatseal

struct Chatseal {
    issuer: Issuer,
    issuer_jwe: Issuer,
    verifier: Verifier,
    verifier_jwe: Verifier,
    client_pem: String,
}

impl Chatseal {
    fn new(fx: &Fixture) -> Res<Self> {
        let client = ClientSigningKey::from_pem(&fx.client_private_pem, Algorithm::RS256)
            .map_err(err("client key"))?;
        let platform =
            PlatformDecryptionKey::from_pem(&fx.platform_private_pem).map_err(err("platform"))?;
        let platform_pub = PlatformEncryptionKey::from_spki_pem(&fx.platform_public_pem)
            .map_err(err("platform public key"))?;
        let public = ClientVerifyingKey::from_spki_pem(&fx.client_public_pem, Algorithm::RS256)
            .map_err(err("client public key"))?;
        let issuer = Issuer::builder(client.clone())
            .issuer(ISS)
            .audience(AUD)
            .build()
            .map_err(err("issuer"))?;
        let issuer_jwe = Issuer::builder(client)
            .issuer(ISS)
            .audience(AUD)
            .platform_key(platform_pub, PayloadFormat::Jwe)
            .build()
            .map_err(err("issuer"))?;
        let verifier = Verifier::builder([public.clone()])
            .issuer(ISS)
            .audience(AUD)
            .build()
            .map_err(err("verifier"))?;
        let verifier_jwe = Verifier::builder([public])
            .issuer(ISS)
            .audience(AUD)
            .decryption_keys([platform], PayloadFormat::Jwe)
            .build()
            .map_err(err("verifier"))?;
        Ok(Self {
            issuer,
            issuer_jwe,
            verifier,
            verifier_jwe,
            client_pem: fx.client_private_pem.clone(),
        })
    }

    fn request(sso: Option<&str>) -> TokenRequest {
        let r = TokenRequest::new(SUB).context(context());
        match sso {
            Some(s) => r.sso_token(SsoToken::new(s)),
            None => r,
        }
    }

    fn verify(&self, token: &str) -> Res<()> {
        let v = self.verifier.verify(token).map_err(err("verify"))?;
        black_box(v.subject());
        Ok(())
    }

    fn verify_decrypt(&self, token: &str) -> Res<String> {
        let v = self.verifier_jwe.verify(token).map_err(err("verify"))?;
        black_box(v.subject());
        v.sso_token()
            .map(|t| t.expose_secret().to_owned())
            .ok_or_else(|| "no sso_token".to_owned())
    }
}

fn run_chatseal(fx: &Fixture, secs: f64) -> Res<()> {
    let cs = Chatseal::new(fx)?;
    let req = Chatseal::request(None);
    let req_sso = Chatseal::request(Some(&fx.sso_token));
    // Checks before timing.
    cs.verify(&fx.token)?;
    if cs.verify_decrypt(&fx.token_jwe)? != fx.sso_token {
        return Err("chatseal: wrong sso_token".into());
    }
    sample(
        "chatseal",
        "mint",
        &cs.issuer.mint(&req).map_err(err("mint"))?,
    );
    sample(
        "chatseal",
        "mint-jwe",
        &cs.issuer_jwe.mint(&req_sso).map_err(err("mint"))?,
    );

    let ops = measure(secs, || {
        black_box(cs.issuer.mint(&req).map_err(err("mint"))?);
        Ok(())
    })?;
    report("chatseal", "mint", ops);
    let ops = measure(secs, || {
        let key = ClientSigningKey::from_pem(&cs.client_pem, Algorithm::RS256)
            .map_err(err("client key"))?;
        let issuer = Issuer::builder(key)
            .issuer(ISS)
            .audience(AUD)
            .build()
            .map_err(err("issuer"))?;
        black_box(issuer.mint(&req).map_err(err("mint"))?);
        Ok(())
    })?;
    report("chatseal", "mint-pem", ops);
    let ops = measure(secs, || {
        black_box(cs.issuer_jwe.mint(&req_sso).map_err(err("mint"))?);
        Ok(())
    })?;
    report("chatseal", "mint-jwe", ops);
    let ops = measure(secs, || cs.verify(&fx.token))?;
    report("chatseal", "verify", ops);
    let ops = measure(secs, || cs.verify_decrypt(&fx.token_jwe).map(drop))?;
    report("chatseal", "verify-decrypt", ops);
    Ok(())
}

// ------------------------------------------------------------- jsonwebtoken

#[derive(serde::Serialize, serde::Deserialize)]
struct JwtClaims {
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    nbf: u64,
    exp: u64,
    jti: String,
    context: Value,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    user_payload: Option<String>,
}

impl JwtClaims {
    fn typical() -> Res<Self> {
        let now = now_secs();
        Ok(Self {
            iss: ISS.into(),
            sub: SUB.into(),
            aud: AUD.into(),
            iat: now,
            nbf: now,
            exp: now + TTL,
            jti: random_jti()?,
            context: context(),
            user_payload: None,
        })
    }
}

fn run_jsonwebtoken(fx: &Fixture, secs: f64) -> Res<()> {
    use jsonwebtoken::{decode, encode, DecodingKey, EncodingKey, Header, Validation};
    let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(fx.client_kid.clone());
    let pem = fx.client_private_pem.as_bytes();
    let key = EncodingKey::from_rsa_pem(pem).map_err(err("jsonwebtoken key"))?;
    let dkey =
        DecodingKey::from_rsa_pem(fx.client_public_pem.as_bytes()).map_err(err("jwt dkey"))?;
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[ISS]);
    validation.set_audience(&[AUD]);
    validation.leeway = 60;
    validation.validate_nbf = true;
    let verify = |token: &str| -> Res<()> {
        let d = decode::<JwtClaims>(token, &dkey, &validation).map_err(err("jwt verify"))?;
        black_box(&d.claims.sub);
        Ok(())
    };
    verify(&fx.token)?;
    sample(
        "jsonwebtoken",
        "mint",
        &encode(&header, &JwtClaims::typical()?, &key).map_err(err("jwt mint"))?,
    );

    let ops = measure(secs, || {
        let t = encode(&header, &JwtClaims::typical()?, &key).map_err(err("jwt mint"))?;
        black_box(t);
        Ok(())
    })?;
    report("jsonwebtoken", "mint", ops);
    let ops = measure(secs, || {
        let key = EncodingKey::from_rsa_pem(pem).map_err(err("jsonwebtoken key"))?;
        let t = encode(&header, &JwtClaims::typical()?, &key).map_err(err("jwt mint"))?;
        black_box(t);
        Ok(())
    })?;
    report("jsonwebtoken", "mint-pem", ops);
    let ops = measure(secs, || verify(&fx.token))?;
    report("jsonwebtoken", "verify", ops);
    // No JWE in jsonwebtoken: no mint-jwe or verify-decrypt figure.
    Ok(())
}

// ------------------------------------------------------ bare aws-lc-rs ops

/// chatseal's backend with nothing around it: the RSA operations of each op
/// on inputs of the real sizes (the signing input of the fixture token, a
/// 32-byte content key), keys parsed once. The gap between this row and
/// OpenSSL's is the backend's; the gap between this row and chatseal's is
/// chatseal's own work (JSON, base64, claim checks, AES-GCM, allocation).
fn run_aws_lc(fx: &Fixture, secs: f64) -> Res<()> {
    use aws_lc_rs::rsa::{
        OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
        PublicEncryptingKey, OAEP_SHA256_MGF1SHA256,
    };
    use aws_lc_rs::signature::{self, KeyPair as _, RsaKeyPair, UnparsedPublicKey};
    let der = |pem: &str| -> Res<Vec<u8>> {
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(err("pem"))
    };
    let pair = RsaKeyPair::from_pkcs8(&der(&fx.client_private_pem)?).map_err(err("key"))?;
    let public = signature::ParsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        pair.public_key().as_ref(),
    )
    .map_err(err("public key"))?;
    let enc = OaepPublicEncryptingKey::new(
        PublicEncryptingKey::from_der(&der(&fx.platform_public_pem)?).map_err(err("key"))?,
    )
    .map_err(err("key"))?;
    let dec = OaepPrivateDecryptingKey::new(
        PrivateDecryptingKey::from_pkcs8(&der(&fx.platform_private_pem)?).map_err(err("key"))?,
    )
    .map_err(err("key"))?;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let (head, _) = fx.token.rsplit_once('.').ok_or("token")?;
    let msg = head.as_bytes().to_vec();
    let mut sig = vec![0u8; pair.public_modulus_len()];
    pair.sign(&signature::RSA_PKCS1_SHA256, &rng, &msg, &mut sig)
        .map_err(err("sign"))?;
    let cek = [7u8; 32];
    let mut ek = vec![0u8; enc.ciphertext_size()];
    let ek_len = enc
        .encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut ek, None)
        .map_err(err("oaep"))?
        .len();
    ek.truncate(ek_len);
    let sign = || -> Res<()> {
        let mut out = vec![0u8; pair.public_modulus_len()];
        pair.sign(&signature::RSA_PKCS1_SHA256, &rng, &msg, &mut out)
            .map_err(err("sign"))?;
        black_box(out);
        Ok(())
    };
    let verify = || -> Res<()> { public.verify_sig(&msg, &sig).map_err(err("verify")) };
    let encrypt = || -> Res<()> {
        let mut out = vec![0u8; enc.ciphertext_size()];
        enc.encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut out, None)
            .map_err(err("oaep"))?;
        black_box(out);
        Ok(())
    };
    let decrypt = || -> Res<()> {
        let mut out = vec![0u8; dec.min_output_size()];
        let n = dec
            .decrypt(&OAEP_SHA256_MGF1SHA256, &ek, &mut out, None)
            .map_err(err("oaep"))?
            .len();
        if n != 32 {
            return Err("oaep: wrong length".into());
        }
        Ok(())
    };
    verify()?;
    decrypt()?;
    // The same as UnparsedPublicKey (what jsonwebtoken uses) costs: the key
    // parsed on every verification.
    let unparsed = UnparsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        pair.public_key().as_ref().to_vec(),
    );
    report("aws-lc-rs", "mint", measure(secs, sign)?);
    report(
        "aws-lc-rs",
        "mint-jwe",
        measure(secs, || {
            encrypt()?;
            sign()
        })?,
    );
    report("aws-lc-rs", "verify", measure(secs, verify)?);
    report(
        "aws-lc-rs",
        "verify-unparsed",
        measure(secs, || unparsed.verify(&msg, &sig).map_err(err("verify")))?,
    );
    report(
        "aws-lc-rs",
        "verify-decrypt",
        measure(secs, || {
            verify()?;
            decrypt()
        })?,
    );
    Ok(())
}

// --------------------------------------------------------- fixtures, checks

fn fixtures(path: &str) -> Res<()> {
    let client = ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048)
        .map_err(err("keygen"))?;
    let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).map_err(err("keygen"))?;
    let mut raw = [0u8; 150];
    aws_lc_rs::rand::fill(&mut raw).map_err(err("random"))?;
    let sso_token = URL_SAFE_NO_PAD.encode(raw); // 200 characters
    let issuer = Issuer::builder(client.clone())
        .issuer(ISS)
        .audience(AUD)
        .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
        .build()
        .map_err(err("issuer"))?;
    let token = issuer.mint(&Chatseal::request(None)).map_err(err("mint"))?;
    let token_jwe = issuer
        .mint(&Chatseal::request(Some(&sso_token)))
        .map_err(err("mint"))?;
    let (path_sso_token, path_keys) = paths::generate()?;
    let fx = json!({
        "iss": ISS,
        "aud": AUD,
        "sub": SUB,
        "ttl": TTL,
        "context": context(),
        "sso_token": sso_token,
        "client_kid": client.kid(),
        "platform_kid": platform.kid(),
        "client_private_pem": client.to_pkcs8_pem().map_err(err("pem"))?.expose_secret(),
        "client_public_pem": client.verifying_key().to_spki_pem().map_err(err("pem"))?,
        "platform_private_pem": platform.to_pkcs8_pem().map_err(err("pem"))?.expose_secret(),
        "platform_public_pem": platform.encryption_key().to_spki_pem().map_err(err("pem"))?,
        "token": token,
        "token_jwe": token_jwe,
        "path_sso_token": path_sso_token,
        "paths": path_keys,
    });
    // Throwaway keys, but private ones: owner-only, like any key file.
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{path}: {e}"))?;
    f.write_all(fx.to_string().as_bytes())
        .map_err(|e| format!("{path}: {e}"))
}

/// Verifies every `SAMPLE` line with chatseal; prints `CHECK <impl> <op> ok`
/// or fails.
fn check(fx: &Fixture, samples: &str) -> Res<()> {
    let cs = Chatseal::new(fx)?;
    let text = std::fs::read_to_string(samples).map_err(|e| format!("{samples}: {e}"))?;
    let mut bad = 0;
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let (Some("SAMPLE"), Some(imp), Some(op), Some(token)) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            continue;
        };
        let outcome = if op.contains('/') {
            paths::check_sample(&fx.paths, &fx.path_sso_token, op, token)
        } else if op == "mint-jwe" {
            cs.verify_decrypt(token).and_then(|s| {
                if s == fx.sso_token {
                    Ok(())
                } else {
                    Err("wrong sso_token".into())
                }
            })
        } else {
            cs.verify(token)
        };
        match outcome {
            Ok(()) => println!("CHECK {imp} {op} ok"),
            Err(e) => {
                bad += 1;
                println!("CHECK {imp} {op} FAILED: {e}");
            }
        }
    }
    if bad > 0 {
        return Err(format!("{bad} peer token(s) failed chatseal's verifier"));
    }
    Ok(())
}

// ------------------------------------------------------- extra, threads, rss

/// chatseal with the other key types OpenSSL's speed run measures.
fn extra(secs: f64) -> Res<()> {
    let cases = [
        ("RS256-3072", Algorithm::RS256, Some(RsaKeySize::Rsa3072)),
        ("PS256-2048", Algorithm::PS256, Some(RsaKeySize::Rsa2048)),
        ("ES256", Algorithm::ES256, None),
    ];
    for (name, alg, size) in cases {
        let key = match size {
            Some(s) => ClientSigningKey::generate_rsa(alg, s),
            None => ClientSigningKey::generate(alg),
        }
        .map_err(err("keygen"))?;
        let issuer = Issuer::builder(key.clone())
            .issuer(ISS)
            .audience(AUD)
            .build()
            .map_err(err("issuer"))?;
        let verifier = Verifier::builder([key.verifying_key().clone()])
            .issuer(ISS)
            .audience(AUD)
            .build()
            .map_err(err("verifier"))?;
        let req = Chatseal::request(None);
        let token = issuer.mint(&req).map_err(err("mint"))?;
        verifier.verify(&token).map_err(err("verify"))?;
        let ops = measure(secs, || {
            black_box(issuer.mint(&req).map_err(err("mint"))?);
            Ok(())
        })?;
        report("chatseal", &format!("mint/{name}"), ops);
        let ops = measure(secs, || {
            black_box(verifier.verify(&token).map_err(err("verify"))?);
            Ok(())
        })?;
        report("chatseal", &format!("verify/{name}"), ops);
    }
    Ok(())
}

/// `threads` threads each calling `f` for `secs`: total calls per wall
/// second, and calls per second of the threads' own CPU time. On a busy
/// machine the wall figure says little about scaling, but the CPU figure
/// still shows contention: if two threads need more CPU per call than one
/// (locks, shared cache lines), it drops.
fn parallel(threads: usize, secs: f64, f: Arc<dyn Fn() -> Res<()> + Send + Sync>) -> Res<Rate> {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let f = Arc::clone(&f);
            let b = Arc::clone(&barrier);
            std::thread::spawn(move || -> Res<Sample> {
                b.wait();
                sample_loop(secs, "/proc/thread-self/stat", || f())
            })
        })
        .collect();
    let (mut wall, mut calls, mut cpu) = (0.0, 0u64, Some(0.0));
    for h in handles {
        let s = h.join().map_err(|_| "thread panicked".to_owned())??;
        wall += s.calls as f64 / s.wall;
        calls += s.calls;
        cpu = cpu.zip(s.cpu).map(|(a, b)| a + b);
    }
    Ok(Rate {
        wall,
        cpu: cpu.filter(|c| *c > 0.0).map(|c| calls as f64 / c),
    })
}

fn threads(fx: &Fixture, secs: f64) -> Res<()> {
    let cs = Arc::new(Chatseal::new(fx)?);
    let req = Arc::new(Chatseal::request(None));
    let token = Arc::new(fx.token.clone());
    for n in [1usize, 2] {
        let (c, r) = (Arc::clone(&cs), Arc::clone(&req));
        let mint: Arc<dyn Fn() -> Res<()> + Send + Sync> = Arc::new(move || {
            black_box(c.issuer.mint(&r).map_err(err("mint"))?);
            Ok(())
        });
        report("chatseal", &format!("mint-{n}t"), parallel(n, secs, mint)?);
        let (c, t) = (Arc::clone(&cs), Arc::clone(&token));
        let verify: Arc<dyn Fn() -> Res<()> + Send + Sync> = Arc::new(move || c.verify(&t));
        report(
            "chatseal",
            &format!("verify-{n}t"),
            parallel(n, secs, verify)?,
        );
    }
    Ok(())
}

fn status_kb(field: &str) -> Res<u64> {
    let s = std::fs::read_to_string("/proc/self/status").map_err(err("/proc/self/status"))?;
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

fn memory(fx: &Fixture, n: u64) -> Res<()> {
    let cs = Chatseal::new(fx)?;
    // 1000 distinct tokens (different sub, jti), verified round-robin.
    let mut tokens = Vec::with_capacity(1000);
    for i in 0..1000 {
        let req = TokenRequest::new(format!("user-{i}")).context(context());
        tokens.push(cs.issuer.mint(&req).map_err(err("mint"))?);
    }
    let checkpoints: Vec<u64> = [
        1_000u64, 10_000, 100_000, 250_000, 500_000, 750_000, 1_000_000,
    ]
    .into_iter()
    .filter(|c| *c <= n)
    .chain(std::iter::once(n))
    .collect();
    let mut checkpoints = checkpoints;
    checkpoints.dedup();
    println!("MEMORY 0 {} {}", status_kb("VmHWM:")?, status_kb("VmRSS:")?);
    let start = Instant::now();
    let mut done = 0u64;
    for &cp in &checkpoints {
        while done < cp {
            let t = &tokens[(done % tokens.len() as u64) as usize];
            cs.verify(t)?;
            done += 1;
        }
        println!(
            "MEMORY {done} {} {}",
            status_kb("VmHWM:")?,
            status_kb("VmRSS:")?
        );
    }
    report(
        "chatseal",
        "verify-memory-run",
        Rate {
            wall: done as f64 / start.elapsed().as_secs_f64(),
            cpu: None,
        },
    );
    Ok(())
}

/// `n` calls of one chatseal op, untimed: for `valgrind --tool=callgrind`.
fn profile(fx: &Fixture, op: &str, n: u64) -> Res<()> {
    if op.contains('/') {
        return paths::profile(&fx.paths, &fx.path_sso_token, op, n);
    }
    let cs = Chatseal::new(fx)?;
    let req = Chatseal::request(None);
    let req_sso = Chatseal::request(Some(&fx.sso_token));
    for _ in 0..n {
        match op {
            "mint" => drop(black_box(cs.issuer.mint(&req).map_err(err("mint"))?)),
            "mint-jwe" => drop(black_box(
                cs.issuer_jwe.mint(&req_sso).map_err(err("mint"))?,
            )),
            "verify" => cs.verify(&fx.token)?,
            "verify-decrypt" => drop(cs.verify_decrypt(&fx.token_jwe)?),
            other => return Err(format!("unknown op `{other}`")),
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let secs = |s: &str| s.parse::<f64>().map_err(|_| format!("bad seconds `{s}`"));
    let result = match a.as_slice() {
        ["fixtures", path] => fixtures(path),
        ["run", imp, fx, s] => Fixture::load(fx).and_then(|fx| {
            let s = secs(s)?;
            match *imp {
                "chatseal" => run_chatseal(&fx, s),
                "jsonwebtoken" => run_jsonwebtoken(&fx, s),
                "aws-lc-rs" => run_aws_lc(&fx, s),
                other => Err(format!("unknown implementation `{other}`")),
            }
        }),
        ["paths", fx, s] => {
            Fixture::load(fx).and_then(|fx| paths::run(&fx.paths, &fx.path_sso_token, secs(s)?))
        }
        ["extra", s] => secs(s).and_then(extra),
        ["threads", fx, s] => Fixture::load(fx).and_then(|fx| threads(&fx, secs(s)?)),
        ["memory", fx, n] => Fixture::load(fx)
            .and_then(|fx| memory(&fx, n.parse().map_err(|_| format!("bad count `{n}`"))?)),
        ["profile", fx, op, n] => Fixture::load(fx)
            .and_then(|fx| profile(&fx, op, n.parse().map_err(|_| format!("bad count `{n}`"))?)),
        ["check", fx, samples] => Fixture::load(fx).and_then(|fx| check(&fx, samples)),
        _ => Err(
            "usage: chatseal-bench-peers fixtures <file> | run <chatseal|jsonwebtoken|aws-lc-rs> \
                  <fixture> <seconds> | paths <fixture> <seconds> | \
                  extra <seconds> | threads <fixture> <seconds> | memory \
                  <fixture> <n> | profile <fixture> <op> <n> | check <fixture> <samples>"
                .to_owned(),
        ),
    };
    if let Err(e) = result {
        eprintln!("chatseal-bench-peers: {e}");
        std::process::exit(1);
    }
}
