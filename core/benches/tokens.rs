//! Token benchmarks: mint, verify, verify + decrypt, and the trusted-key
//! lookup of a JWKS with 1, 10 and 100 keys.
//!
//! Run with `cargo bench -p chatseal --bench tokens` (release build). The
//! token is a typical widget token: `iss`, `sub`, `aud`, `iat`, `nbf`, `exp`,
//! `jti` and a three-member `context`; "with JWE" adds a 200-byte sso_token
//! encrypted to an RSA-2048 platform key (RSA-OAEP-256 + A256GCM).
//!
//! Side-by-side figures against OpenSSL and other libraries come from
//! `tests/bench/compare.sh`; these benchmarks track chatseal against itself.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use chatseal::serde_json::json;
use chatseal::{
    Algorithm, ClientSigningKey, ClientVerifyingKey, Issuer, PayloadFormat, PlatformDecryptionKey,
    RsaKeySize, SsoToken, TokenRequest, Verifier,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const ISS: &str = "https://host.example";
const AUD: &str = "chatseal-platform";

/// The client key for `alg`: RSA keys are 2048 bits (the size OpenSSL's
/// `rsa2048` figure in the comparison is for).
fn client_key(alg: Algorithm) -> ClientSigningKey {
    match alg {
        Algorithm::RS256 | Algorithm::PS256 => {
            ClientSigningKey::generate_rsa(alg, RsaKeySize::Rsa2048).expect("RSA key generation")
        }
        _ => ClientSigningKey::generate(alg).expect("EC key generation"),
    }
}

/// A typical widget token request; with `sso` a 200-byte sso_token.
fn request(sso: bool) -> TokenRequest {
    let req = TokenRequest::new("user-42").context(json!({
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "locale": "en-GB",
    }));
    if sso {
        req.sso_token(SsoToken::new("s".repeat(200)))
    } else {
        req
    }
}

struct Setup {
    issuer: Issuer,
    verifier: Verifier,
    token: String,
    client: ClientVerifyingKey,
}

fn setup(alg: Algorithm, platform: Option<&PlatformDecryptionKey>) -> Setup {
    let client = client_key(alg);
    let mut ib = Issuer::builder(client.clone()).issuer(ISS).audience(AUD);
    let mut vb = Verifier::builder([client.verifying_key().clone()])
        .issuer(ISS)
        .audience(AUD);
    if let Some(p) = platform {
        ib = ib.platform_key(p.encryption_key().clone(), PayloadFormat::Jwe);
        vb = vb.decryption_keys([p.clone()], PayloadFormat::Jwe);
    }
    let issuer = ib.build().expect("issuer");
    let verifier = vb.build().expect("verifier");
    let token = issuer
        .mint(&request(platform.is_some()))
        .expect("mint for setup");
    // The benchmark is only meaningful if the work succeeds.
    let v = verifier.verify(&token).expect("verify for setup");
    assert_eq!(v.subject(), "user-42");
    if platform.is_some() {
        assert_eq!(v.sso_token().map(|s| s.expose_secret().len()), Some(200));
    }
    Setup {
        issuer,
        verifier,
        token,
        client: client.verifying_key().clone(),
    }
}

fn bench_tokens(c: &mut Criterion) {
    let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).expect("platform key");
    for alg in Algorithm::ALL {
        let plain = setup(alg, None);
        let jwe = setup(alg, Some(&platform));

        let mut g = c.benchmark_group(format!("{alg}"));
        g.throughput(Throughput::Elements(1));
        let req = request(false);
        g.bench_function("mint", |b| {
            b.iter(|| plain.issuer.mint(black_box(&req)).expect("mint"))
        });
        let req_sso = request(true);
        g.bench_function("mint+jwe", |b| {
            b.iter(|| jwe.issuer.mint(black_box(&req_sso)).expect("mint"))
        });
        g.bench_function("verify", |b| {
            b.iter(|| {
                plain
                    .verifier
                    .verify(black_box(&plain.token))
                    .expect("verify")
            })
        });
        // The same token with a `user_payload`, verified by a verifier that
        // has no decryption key: the cost of the bigger token alone.
        let no_decrypt = Verifier::builder([jwe.client.clone()])
            .issuer(ISS)
            .audience(AUD)
            .build()
            .expect("verifier");
        g.bench_function("verify(jwe token, no decrypt)", |b| {
            b.iter(|| no_decrypt.verify(black_box(&jwe.token)).expect("verify"))
        });
        g.bench_function("verify+decrypt", |b| {
            b.iter(|| jwe.verifier.verify(black_box(&jwe.token)).expect("verify"))
        });
        g.finish();
    }
}

fn bench_jwks(c: &mut Criterion) {
    // Distinct RSA-2048 keys (generated once); the token is signed by the
    // last one, so a linear lookup walks the whole list.
    let keys: Vec<ClientSigningKey> = (0..100).map(|_| client_key(Algorithm::RS256)).collect();
    let mut g = c.benchmark_group("jwks");
    g.throughput(Throughput::Elements(1));
    for n in [1usize, 10, 100] {
        let trusted = &keys[..n];
        let signer = trusted.last().expect("n >= 1").clone();
        let issuer = Issuer::builder(signer)
            .issuer(ISS)
            .audience(AUD)
            .build()
            .expect("issuer");
        let token = issuer.mint(&request(false)).expect("mint");
        let jwks_json =
            ClientVerifyingKey::to_jwks(trusted.iter().map(ClientSigningKey::verifying_key))
                .to_json();
        let verifier =
            Verifier::builder(ClientVerifyingKey::from_jwks(&jwks_json).expect("parse jwks"))
                .issuer(ISS)
                .audience(AUD)
                .build()
                .expect("verifier");
        verifier.verify(&token).expect("verify for setup");
        g.bench_with_input(BenchmarkId::new("verify, kid is last", n), &n, |b, _| {
            b.iter(|| verifier.verify(black_box(&token)).expect("verify"))
        });
        g.bench_with_input(BenchmarkId::new("parse jwks", n), &n, |b, _| {
            b.iter(|| ClientVerifyingKey::from_jwks(black_box(&jwks_json)).expect("jwks"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_tokens, bench_jwks);
criterion_main!(benches);
