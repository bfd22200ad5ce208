//! Benchmark peer for `tests/bench/compare.sh`: josekit (on the system
//! OpenSSL) doing the same work as chatseal on the same fixture.
//!
//!     chatseal-bench-josekit <fixture.json> <seconds>
//!
//! Prints `RESULT josekit <op> <ops per wall second> <ops per CPU second>`
//! for mint, mint-jwe, verify and verify-decrypt, and `SAMPLE josekit <op>
//! <token>` lines that compare.sh has chatseal verify. Its own crate, apart
//! from `tests/bench/rust-peers`: josekit turns on serde_json's
//! `preserve_order`, which must not leak into the chatseal being measured.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

type Res<T> = Result<T, String>;

const ISS: &str = "https://host.example";
const AUD: &str = "chatseal-platform";
const SUB: &str = "user-42";
const TTL: u64 = 3600;

fn context() -> Value {
    json!({"name": "Ada Lovelace", "email": "ada@example.com", "locale": "en-GB"})
}

/// 16 random bytes (OpenSSL's generator), base64url: the `jti`.
fn random_jti() -> Res<String> {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).map_err(err("random"))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// Everything the peers share, as written by `fixtures`.
#[allow(dead_code)] // the shared fixture; josekit needs most of it
struct Fixture {
    sso_token: String,
    client_kid: String,
    platform_kid: String,
    client_private_pem: String,
    client_public_pem: String,
    platform_private_pem: String,
    platform_public_pem: String,
    token: String,
    token_jwe: String,
}

impl Fixture {
    fn load(path: &str) -> Res<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let s = |k: &str| -> Res<String> {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("fixture has no `{k}`"))
        };
        Ok(Self {
            sso_token: s("sso_token")?,
            client_kid: s("client_kid")?,
            platform_kid: s("platform_kid")?,
            client_private_pem: s("client_private_pem")?,
            client_public_pem: s("client_public_pem")?,
            platform_private_pem: s("platform_private_pem")?,
            platform_public_pem: s("platform_public_pem")?,
            token: s("token")?,
            token_jwe: s("token_jwe")?,
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

/// Calls per second of one measurement: per second of wall time, and per
/// second of this process's CPU time (user + system), which a busy machine
/// disturbs much less.
#[derive(Clone, Copy)]
struct Rate {
    wall: f64,
    cpu: Option<f64>,
}

/// This process's CPU time so far (user + system; Linux `/proc/self/stat`,
/// in USER_HZ = 100 ticks per second).
fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Runs `f` for `secs` seconds after a warm-up; returns its rate. Any failed
/// call aborts the measurement: a figure is only printed for work that
/// succeeded every time.
fn measure(secs: f64, mut f: impl FnMut() -> Res<()>) -> Res<Rate> {
    let warm = Duration::from_secs_f64((secs / 5.0).min(0.5));
    let start = Instant::now();
    while start.elapsed() < warm {
        f()?;
    }
    let limit = Duration::from_secs_f64(secs);
    let cpu0 = process_cpu_secs();
    let start = Instant::now();
    let mut n: u64 = 0;
    loop {
        f()?;
        n += 1;
        let el = start.elapsed();
        if el >= limit {
            let cpu = match (cpu0, process_cpu_secs()) {
                (Some(a), Some(b)) if b > a => Some(n as f64 / (b - a)),
                _ => None,
            };
            return Ok(Rate {
                wall: n as f64 / el.as_secs_f64(),
                cpu,
            });
        }
    }
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

// ------------------------------------------------------------------- josekit

fn run_josekit(fx: &Fixture, secs: f64) -> Res<()> {
    use josekit::jwe::{self, JweHeader};
    use josekit::jws::{JwsHeader, RS256};
    use josekit::jwt::{self, JwtPayload, JwtPayloadValidator};

    let signer = RS256
        .signer_from_pem(&fx.client_private_pem)
        .map_err(err("josekit signer"))?;
    let verifier = RS256
        .verifier_from_pem(&fx.client_public_pem)
        .map_err(err("josekit verifier"))?;
    let encrypter = jwe::RSA_OAEP_256
        .encrypter_from_pem(&fx.platform_public_pem)
        .map_err(err("josekit encrypter"))?;
    let decrypter = jwe::RSA_OAEP_256
        .decrypter_from_pem(&fx.platform_private_pem)
        .map_err(err("josekit decrypter"))?;
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id(&fx.client_kid);
    let mut jwe_header = JweHeader::new();
    jwe_header.set_content_encryption("A256GCM");
    jwe_header.set_key_id(&fx.platform_kid);
    let sso_json = serde_json::to_vec(&json!({"sso_token": fx.sso_token})).map_err(err("json"))?;

    let payload = |user_payload: Option<String>| -> Res<JwtPayload> {
        // Integer times: josekit's set_issued_at / set_not_before always
        // write floats (`1795435640.0`), and set_expires_at does for a
        // time with a fraction; chatseal refuses non-integer NumericDates.
        let now = now_secs();
        let mut p = JwtPayload::new();
        p.set_issuer(ISS);
        p.set_subject(SUB);
        p.set_audience(vec![AUD]);
        for (name, t) in [("iat", now), ("nbf", now), ("exp", now + TTL)] {
            p.set_claim(name, Some(json!(t))).map_err(err("josekit"))?;
        }
        p.set_jwt_id(random_jti()?);
        p.set_claim("context", Some(context()))
            .map_err(err("josekit"))?;
        if let Some(up) = user_payload {
            p.set_claim("user_payload", Some(Value::String(up)))
                .map_err(err("josekit"))?;
        }
        Ok(p)
    };
    let mint = || -> Res<String> {
        jwt::encode_with_signer(&payload(None)?, &header, &signer).map_err(err("josekit mint"))
    };
    let mint_jwe = || -> Res<String> {
        let up =
            jwe::serialize_compact(&sso_json, &jwe_header, &encrypter).map_err(err("josekit"))?;
        jwt::encode_with_signer(&payload(Some(up))?, &header, &signer).map_err(err("josekit mint"))
    };
    let verify = |token: &str| -> Res<JwtPayload> {
        let (p, _h) = jwt::decode_with_verifier(token, &verifier).map_err(err("josekit verify"))?;
        let mut v = JwtPayloadValidator::new();
        v.set_base_time(SystemTime::now());
        v.set_issuer(ISS);
        v.set_audience(AUD);
        v.validate(&p).map_err(err("josekit claims"))?;
        if p.expires_at().is_none() {
            return Err("josekit: no exp".into());
        }
        black_box(p.subject());
        Ok(p)
    };
    let verify_decrypt = |token: &str| -> Res<String> {
        let p = verify(token)?;
        let up = p
            .claim("user_payload")
            .and_then(Value::as_str)
            .ok_or("no user_payload")?;
        let (plain, _h) = jwe::deserialize_compact(up, &decrypter).map_err(err("josekit jwe"))?;
        let m: Map<String, Value> = serde_json::from_slice(&plain).map_err(err("json"))?;
        m.get("sso_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| "no sso_token".into())
    };

    verify(&fx.token)?;
    if verify_decrypt(&fx.token_jwe)? != fx.sso_token {
        return Err("josekit: wrong sso_token".into());
    }
    sample("josekit", "mint", &mint()?);
    sample("josekit", "mint-jwe", &mint_jwe()?);

    report("josekit", "mint", measure(secs, || mint().map(drop))?);
    report(
        "josekit",
        "mint-jwe",
        measure(secs, || mint_jwe().map(drop))?,
    );
    report(
        "josekit",
        "verify",
        measure(secs, || verify(&fx.token).map(drop))?,
    );
    report(
        "josekit",
        "verify-decrypt",
        measure(secs, || verify_decrypt(&fx.token_jwe).map(drop))?,
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [fx, secs] => secs
            .parse::<f64>()
            .map_err(|_| format!("bad seconds `{secs}`"))
            .and_then(|s| Fixture::load(fx).and_then(|fx| run_josekit(&fx, s))),
        _ => Err("usage: chatseal-bench-josekit <fixture.json> <seconds>".to_owned()),
    };
    if let Err(e) = result {
        eprintln!("chatseal-bench-josekit: {e}");
        std::process::exit(1);
    }
}
