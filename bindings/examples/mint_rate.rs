//! Rust side of `bindings/bench/mint_rate.py`: how many RS256 (RSA-2048)
//! tokens one thread mints per second, through the core API and through the
//! FFI wrapper types (the same Rust calls Python makes, minus the foreign
//! boundary). Prints one JSON object.
//!
//! ```text
//! cargo run --release -p chatseal-ffi --example mint_rate -- 3
//! ```

use std::time::{Duration, Instant};

use chatseal::{
    Algorithm, ClientSigningKey, Issuer, PayloadFormat, PlatformDecryptionKey, RsaKeySize,
    SsoToken, TokenRequest,
};

/// Calls `f` until `seconds` have passed; returns calls per second.
fn rate(seconds: f64, mut f: impl FnMut()) -> f64 {
    let budget = Duration::from_secs_f64(seconds);
    for _ in 0..20 {
        f(); // warm-up
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..20 {
            f();
        }
        n += 20;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: f64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2.0);

    let key = ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048)?;
    let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048)?;
    let issuer = Issuer::builder(key.clone())
        .issuer("https://host.example")
        .audience("chat-platform")
        .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
        .build()?;
    let context = serde_json::json!({"name": "Ada", "email": "ada@example.com"});

    let core_plain = rate(seconds, || {
        issuer
            .mint(&TokenRequest::new("user-42").context(context.clone()))
            .expect("mint");
    });
    let core_sso = rate(seconds, || {
        issuer
            .mint(
                &TokenRequest::new("user-42")
                    .context(context.clone())
                    .sso_token(SsoToken::new("idp-token")),
            )
            .expect("mint");
    });

    let ffi_key = chatseal_ffi::ClientSigningKey::from_pem(
        key.to_pkcs8_pem()?.expose_secret().to_owned(),
        chatseal_ffi::Algorithm::RS256,
        None,
    )?;
    let ffi_issuer = chatseal_ffi::Issuer::new(
        ffi_key,
        Some("https://host.example".into()),
        Some("chat-platform".into()),
        3600,
        None,
        None,
        false,
    )?;
    // The context crosses the boundary as JSON text (Python's dict is
    // serialised on its side).
    let context_json = context.to_string();
    let ffi_plain = rate(seconds, || {
        ffi_issuer
            .mint(
                "user-42".into(),
                Some(chatseal_ffi::JsonObject::new(context_json.clone())),
                None,
                None,
            )
            .expect("mint");
    });

    println!(
        "{}",
        serde_json::json!({
            "alg": "RS256",
            "rsa_bits": 2048,
            "threads": 1,
            "core_mint_per_s": core_plain.round(),
            "core_mint_with_sso_token_per_s": core_sso.round(),
            "ffi_wrapper_mint_per_s": ffi_plain.round(),
        })
    );
    Ok(())
}
