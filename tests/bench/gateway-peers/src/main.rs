//! Helpers for `tests/bench/gateway-load.sh` (the load benchmark of
//! `chatseal gateway`).
//!
//! - `upstream [ADDR]`: the chat backend the gateway sits in front of, as
//!   fast as a hyper server gets: every request is answered 200 with
//!   `{"user":"<X-Chatseal-User>"}` (so a run also shows that the identity
//!   reached it). Prints `upstream: listening on http://127.0.0.1:PORT`.
//! - `fixtures DIR N`: with the keyrings `DIR/client` (sig, RSA-3072) and
//!   `DIR/platform` (enc, RSA-3072) made by `chatseal keys init`, writes the
//!   tenant document `DIR/t0.json` (the client keyring's JWKS inline, the
//!   platform key named in `decryptionKeys`), one token in `DIR/token.txt`
//!   and `N` distinct tokens (each its own `sub`, `jti` and sso_token JWE)
//!   in `DIR/tokens.txt`, minted on every core.
//! - `tenants DIR M [plain]`: `M` tenant documents `t0.json` … in
//!   `DIR/tenants-M/`, the same provider each (so one token is good for
//!   every tenant); with `plain`, in `DIR/tenants-M-plain/` and without
//!   `decryptionKeys` (to tell the platform key's memory from the rest).
//! - `verify-rate DIR SECS`: the in-process rate of the work the gateway
//!   does per request, for the overhead ratios: `TenantVerifier::verify`
//!   (signature, claims, policy and the user_payload decryption) of
//!   distinct tokens on 1 and 2 threads, and `verify_cached` of one token
//!   (the cache hit). Prints `RESULT <name> <ops per wall s> <ops per CPU s>`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chatseal::serde_json::{self, json, Value};
use chatseal::{
    Issuer, PayloadFormat, SsoToken, TenantConfig, TenantVerifier, TokenRequest, VerifiedCache,
};
use chatseal_keys::Keyring;

type Res<T> = Result<T, String>;

const ISS: &str = "https://host.example";
const AUD: &str = "chat-platform";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = match a.as_slice() {
        ["upstream"] => upstream("127.0.0.1:0"),
        ["upstream", addr] => upstream(addr),
        ["fixtures", dir, n] => fixtures(Path::new(dir), parse(n)),
        ["tenants", dir, m] => tenants(Path::new(dir), parse(m), true),
        ["tenants", dir, m, "plain"] => tenants(Path::new(dir), parse(m), false),
        ["verify-rate", dir, secs] => verify_rate(Path::new(dir), parse(secs)),
        _ => Err(
            "usage: upstream [ADDR] | fixtures DIR N | tenants DIR M [plain] | verify-rate DIR SECS"
                .into(),
        ),
    };
    if let Err(e) = r {
        eprintln!("chatseal-bench-gateway: {e}");
        std::process::exit(1);
    }
}

fn parse<T: std::str::FromStr>(s: &str) -> T {
    s.parse().unwrap_or_else(|_| {
        eprintln!("chatseal-bench-gateway: `{s}` is not a number");
        std::process::exit(2)
    })
}

fn upstream(addr: &str) -> Res<()> {
    use http_body_util::Full;
    use hyper::body::Bytes;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("bind {addr}: {e}"))?;
        println!(
            "upstream: listening on http://{}",
            l.local_addr().map_err(|e| e.to_string())?
        );
        let _ = std::io::stdout().flush();
        loop {
            let Ok((s, _)) = l.accept().await else {
                continue;
            };
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(|req: hyper::Request<hyper::body::Incoming>| {
                        let user = req
                            .headers()
                            .get("x-chatseal-user")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-")
                            .to_owned();
                        async move {
                            let body = format!("{{\"user\":{}}}\n", Value::String(user));
                            let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
                            r.headers_mut().insert(
                                hyper::header::CONTENT_TYPE,
                                hyper::header::HeaderValue::from_static("application/json"),
                            );
                            Ok::<_, std::convert::Infallible>(r)
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(s), svc)
                    .await;
            });
        }
    })
}

fn keyrings(dir: &Path) -> Res<(Keyring, Keyring)> {
    let open = |p: PathBuf| Keyring::open(&p).map_err(|e| format!("{}: {e}", p.display()));
    Ok((open(dir.join("client"))?, open(dir.join("platform"))?))
}

fn tenant_doc(id: &str, client: &Keyring, platform_kid: &str) -> Res<String> {
    let jwks: Value = serde_json::from_str(&client.jwks().to_json()).map_err(|e| e.to_string())?;
    Ok(json!({
        "tenantId": id,
        "allowedOrigins": ["https://host.example"],
        "providers": {"host-app": {
            "issuer": ISS,
            "expectedAudience": AUD,
            "acceptedAlgorithms": ["RS256"],
            "jwks": jwks,
            "decryptionKeys": [platform_kid],
        }}
    })
    .to_string())
}

fn write(path: &Path, text: &str) -> Res<()> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn fixtures(dir: &Path, n: usize) -> Res<()> {
    let (client, platform) = keyrings(dir)?;
    let enc = platform.encryption_key().map_err(|e| e.to_string())?;
    write(&dir.join("t0.json"), &tenant_doc("t0", &client, enc.kid())?)?;
    let issuer = Issuer::builder(client.signing_key(None).map_err(|e| e.to_string())?)
        .issuer(ISS)
        .audience(AUD)
        .ttl(Duration::from_secs(7000))
        .platform_key(enc, PayloadFormat::Jwe)
        .build()
        .map_err(|e| e.to_string())?;
    let mint = |i: usize| -> Res<String> {
        let sub = format!("user-{i}");
        let req = TokenRequest::new(sub.clone())
            .claim("email", json!(format!("{sub}@host.example")))
            .sso_token(SsoToken::new(format!("sso-{i}-{}", "x".repeat(180))));
        issuer.mint(&req).map_err(|e| e.to_string())
    };
    write(&dir.join("token.txt"), &(mint(0)? + "\n"))?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = AtomicUsize::new(1);
    let mut tokens: Vec<(usize, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Res<Vec<(usize, String)>> {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i > n {
                            return Ok(out);
                        }
                        out.push((i, mint(i)?));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| "a minting thread panicked".to_owned())?
            })
            .collect::<Res<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect())
    })?;
    tokens.sort_by_key(|t| t.0);
    let text: String = tokens.into_iter().map(|(_, t)| t + "\n").collect();
    write(&dir.join("tokens.txt"), &text)?;
    Ok(())
}

fn tenants(dir: &Path, m: usize, decrypt: bool) -> Res<()> {
    let (client, platform) = keyrings(dir)?;
    let enc = platform.encryption_key().map_err(|e| e.to_string())?;
    let out = dir.join(format!(
        "tenants-{m}{}",
        if decrypt { "" } else { "-plain" }
    ));
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    for i in 0..m {
        let id = format!("t{i}");
        let mut doc = tenant_doc(&id, &client, enc.kid())?;
        if !decrypt {
            let mut v: Value = serde_json::from_str(&doc).map_err(|e| e.to_string())?;
            if let Some(p) = v["providers"]["host-app"].as_object_mut() {
                p.remove("decryptionKeys");
            }
            doc = v.to_string();
        }
        write(&out.join(format!("{id}.json")), &doc)?;
    }
    Ok(())
}

/// CPU time of this process (user + system), from /proc/self/stat.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // Fields 14 and 15 (utime, stime), counted from after the comm field.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Runs `op` on `threads` threads for `secs`; (ops per wall second, ops
/// per CPU second).
fn timed(threads: usize, secs: f64, op: &(dyn Fn(usize) + Sync)) -> (f64, f64) {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let done = AtomicUsize::new(0);
    let (c0, t0) = (cpu_time(), Instant::now());
    std::thread::scope(|s| {
        for t in 0..threads {
            let done = &done;
            s.spawn(move || {
                let mut i = t;
                while Instant::now() < until {
                    for _ in 0..8 {
                        op(i);
                        i += threads;
                    }
                    done.fetch_add(8, Ordering::Relaxed);
                }
            });
        }
    });
    let (cpu, wall) = (cpu_time() - c0, t0.elapsed());
    let n = done.load(Ordering::Relaxed) as f64;
    (n / wall.as_secs_f64(), n / cpu.as_secs_f64().max(1e-9))
}

fn verify_rate(dir: &Path, secs: f64) -> Res<()> {
    let (_, platform) = keyrings(dir)?;
    let keys = platform.decryption_keys(None).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(dir.join("t0.json")).map_err(|e| e.to_string())?;
    let config = TenantConfig::from_json(&text).map_err(|e| e.to_string())?;
    let verifier = Arc::new(TenantVerifier::new(&config, &keys).map_err(|e| e.to_string())?);
    let tokens: Vec<String> = std::fs::read_to_string(dir.join("tokens.txt"))
        .map_err(|e| e.to_string())?
        .lines()
        .map(str::to_owned)
        .collect();
    let one = std::fs::read_to_string(dir.join("token.txt"))
        .map_err(|e| e.to_string())?
        .trim()
        .to_owned();
    // Checked before timing: the tokens verify, the sso_token decrypts.
    let id = verifier
        .verify(&tokens[0], None)
        .map_err(|e| e.to_string())?;
    if id.sso_token().is_none() {
        return Err("the token carries no sso_token".into());
    }
    let verify = |i: usize| {
        let id = verifier
            .verify(&tokens[i % tokens.len()], None)
            .expect("verify");
        std::hint::black_box(id.sso_token().map(|s| s.expose_secret().len()));
    };
    for threads in [1, 2] {
        let (wall, cpu) = timed(threads, secs, &verify);
        println!("RESULT verify-decrypt-{threads}t {wall:.0} {cpu:.0}");
    }
    let cache = VerifiedCache::new(10_000, 64 << 20);
    verifier
        .verify_cached(&cache, &one, None)
        .map_err(|e| e.to_string())?;
    let hit = |_: usize| {
        let id = verifier.verify_cached(&cache, &one, None).expect("cached");
        std::hint::black_box(id.user_id().len());
    };
    let (wall, cpu) = timed(1, secs, &hit);
    println!("RESULT verify-cached-hit-1t {wall:.0} {cpu:.0}");
    Ok(())
}
