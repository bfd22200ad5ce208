//! Keys in a PKCS#11 token against keys in memory: mint and verify+decrypt
//! per second, on 1 and 2 threads, in one run (feature `pkcs11`).
//!
//! Run by `tests/bench/pkcs11.sh`, which initialises a SoftHSM2 token and
//! sets `CHATSEAL_BENCH_PKCS11_MODULE`, `CHATSEAL_BENCH_PKCS11_PIN_FILE`,
//! `SOFTHSM2_CONF` (and `CHATSEAL_BENCH_SECS`, default 2). SoftHSM is a
//! software token: the ratio says what the PKCS#11 path itself costs
//! (sessions, the module's calls, its own RSA), not what an HSM would do.
//!
//! Work per call, as in `tests/bench/compare.sh`: **mint** a typical widget
//! token, RS256 on RSA-2048 (or ES256 on P-256); **verify + decrypt** a
//! token carrying a 200-byte sso_token as an RSA-OAEP-256 JWE (or in the
//! `wxo` format, RSA-OAEP with SHA-1) to an RSA-2048 platform key.

#![allow(missing_docs)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chatseal::serde_json::json;
use chatseal::*;

const ISS: &str = "https://host.example";
const AUD: &str = "chatseal-platform";

fn request(sso: bool) -> TokenRequest {
    let req = TokenRequest::new("user-42").context(json!({
        "tenant": "acme",
        "locale": "en-GB",
        "plan": "enterprise",
    }));
    if sso {
        req.sso_token(SsoToken::new("s".repeat(200)))
    } else {
        req
    }
}

/// Calls per second of `f` on `threads` threads for `secs` seconds.
fn rate(threads: usize, secs: f64, f: Arc<dyn Fn() + Send + Sync>) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    // Warm up: sessions open, handles are found.
    for _ in 0..3 {
        f();
    }
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (stop, count, f) = (stop.clone(), count.clone(), f.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    f();
                    n += 1;
                }
                count.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("bench thread");
    }
    count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let Ok(module) = std::env::var("CHATSEAL_BENCH_PKCS11_MODULE") else {
        eprintln!("pkcs11 bench: set CHATSEAL_BENCH_PKCS11_MODULE (run tests/bench/pkcs11.sh)");
        return;
    };
    let secs: f64 = std::env::var("CHATSEAL_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let pin = Pkcs11Pin::from_file(std::env::var("CHATSEAL_BENCH_PKCS11_PIN_FILE").unwrap())
        .expect("PIN file");
    let module = Pkcs11Module::open(module).expect("module");
    let token = module
        .token(&"pkcs11:token=chatseal-bench".parse().unwrap(), Some(pin))
        .expect("token chatseal-bench");

    println!("| work | threads | in memory /s | in the token /s | token / memory |");
    println!("|---|---|---|---|---|");
    let row = |work: &str, threads: usize, mem: f64, tok: f64| {
        println!(
            "| {work} | {threads} | {mem:.0} | {tok:.0} | {:.2} |",
            tok / mem
        );
    };

    for (alg, name) in [
        (Algorithm::RS256, "mint RS256 (RSA-2048)"),
        (Algorithm::ES256, "mint ES256"),
    ] {
        let memory = if alg == Algorithm::RS256 {
            ClientSigningKey::generate_rsa(alg, RsaKeySize::Rsa2048).unwrap()
        } else {
            ClientSigningKey::generate(alg).unwrap()
        };
        let in_token =
            ClientSigningKey::generate_in_pkcs11(&token, alg, RsaKeySize::Rsa2048, "bench-sig")
                .unwrap();
        let issuer = |k: &ClientSigningKey| {
            Arc::new(
                Issuer::builder(k.clone())
                    .issuer(ISS)
                    .audience(AUD)
                    .build()
                    .unwrap(),
            )
        };
        let (im, it) = (issuer(&memory), issuer(&in_token));
        for threads in [1, 2] {
            let a = im.clone();
            let m = rate(
                threads,
                secs,
                Arc::new(move || drop(a.mint(&request(false)).unwrap())),
            );
            let b = it.clone();
            let t = rate(
                threads,
                secs,
                Arc::new(move || drop(b.mint(&request(false)).unwrap())),
            );
            row(name, threads, m, t);
        }
        token.destroy_key(in_token.pkcs11_uri().unwrap()).unwrap();
    }

    let client = ClientSigningKey::generate(Algorithm::ES256).unwrap();
    let memory = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
    let in_token =
        PlatformDecryptionKey::generate_in_pkcs11(&token, RsaKeySize::Rsa2048, "bench-enc")
            .unwrap();
    for (format, name) in [
        (PayloadFormat::Jwe, "verify + decrypt (RSA-OAEP-256 JWE)"),
        (PayloadFormat::Wxo, "verify + decrypt (wxo, RSA-OAEP SHA-1)"),
    ] {
        let setup = |k: &PlatformDecryptionKey| {
            let t = Issuer::builder(client.clone())
                .issuer(ISS)
                .audience(AUD)
                .platform_key(k.encryption_key().clone(), format)
                .build()
                .unwrap()
                .mint(&request(true))
                .unwrap();
            let v = Verifier::builder([client.verifying_key().clone()])
                .issuer(ISS)
                .audience(AUD)
                .decryption_keys([k.clone()], format)
                .build()
                .unwrap();
            (Arc::new(v), Arc::new(t))
        };
        let (vm, tm) = setup(&memory);
        let (vt, tt) = setup(&in_token);
        for threads in [1, 2] {
            let (a, ta) = (vm.clone(), tm.clone());
            let m = rate(
                threads,
                secs,
                Arc::new(move || drop(a.verify(&ta).unwrap())),
            );
            let (b, tb) = (vt.clone(), tt.clone());
            let t = rate(
                threads,
                secs,
                Arc::new(move || drop(b.verify(&tb).unwrap())),
            );
            row(name, threads, m, t);
        }
    }
    token.destroy_key(in_token.pkcs11_uri().unwrap()).unwrap();
}
