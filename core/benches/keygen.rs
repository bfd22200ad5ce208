//! Key generation: RSA client and platform keys of 2048, 3072 and 4096 bits,
//! and P-256.
//!
//! Run with `cargo bench -p chatseal --bench keygen`. RSA generation time
//! varies a lot from key to key (it searches for primes), so the figures
//! have wide intervals; RSA-4096 takes around a second per key, hence the
//! small sample counts.

// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::time::Duration;

use chatseal::{Algorithm, ClientSigningKey, PlatformDecryptionKey, RsaKeySize};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};

fn bench_keygen(c: &mut Criterion) {
    let mut g = c.benchmark_group("keygen");
    // One key per sample: linear sampling would need 55 keys for 10 samples.
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(100));
    for size in [
        RsaKeySize::Rsa2048,
        RsaKeySize::Rsa3072,
        RsaKeySize::Rsa4096,
    ] {
        let bits = size.bits();
        g.measurement_time(Duration::from_secs(match bits {
            2048 => 5,
            3072 => 15,
            _ => 30,
        }));
        g.bench_with_input(BenchmarkId::new("RS256 client", bits), &size, |b, &s| {
            b.iter(|| ClientSigningKey::generate_rsa(Algorithm::RS256, s).expect("keygen"))
        });
        g.bench_with_input(BenchmarkId::new("platform", bits), &size, |b, &s| {
            b.iter(|| PlatformDecryptionKey::generate(s).expect("keygen"))
        });
    }
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("ES256 client", |b| {
        b.iter(|| ClientSigningKey::generate(Algorithm::ES256).expect("keygen"))
    });
    g.finish();
}

criterion_group!(benches, bench_keygen);
criterion_main!(benches);
