//! The whole chatseal story in memory, one step at a time:
//! a host mints a widget token carrying an sso_token, the platform verifies
//! it and decrypts the sso_token.
//!
//! Run with `cargo run --release -p chatseal --example quickstart`.

use chatseal::serde_json::json;
use chatseal::{
    Algorithm, ClientSigningKey, Issuer, PayloadFormat, PlatformDecryptionKey, RsaKeySize,
    SsoToken, TokenRequest, Verifier,
};
use std::time::Instant;

fn main() -> Result<(), chatseal::Error> {
    println!("1. The host generates its client key pair (signs tokens).");
    let t = Instant::now();
    let client = ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048)?;
    println!(
        "   RS256, RSA-2048, kid {} ({} ms)",
        client.kid(),
        t.elapsed().as_millis()
    );

    println!("2. The platform generates its platform key pair (keeps sso_tokens secret).");
    let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048)?;
    println!("   RSA-OAEP-256, RSA-2048, kid {}", platform.kid());
    println!("   The host receives only the platform's public key:");
    for line in platform.encryption_key().to_spki_pem()?.lines().take(2) {
        println!("     {line}");
    }
    println!("     ...");

    println!("3. The host builds an issuer once and mints a token per page view.");
    let issuer = Issuer::builder(client.clone())
        .issuer("https://host.example")
        .audience("chatseal-platform")
        .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
        .build()?;
    let request = TokenRequest::new("user-42")
        .context(json!({"name": "Ada Lovelace", "email": "ada@example.com"}))
        .sso_token(SsoToken::new("eyJhbGciOi...the-identity-provider-token"));
    let token = issuer.mint(&request)?;
    println!("   token ({} bytes): {}...", token.len(), &token[..60]);

    println!("4. The platform trusts the host's public key (here as a JWKS):");
    let jwks = chatseal::ClientVerifyingKey::to_jwks([client.verifying_key()]);
    println!("   {}", jwks.keys[0].to_json());

    println!("5. The platform verifies the token and decrypts the sso_token.");
    let trusted = chatseal::ClientVerifyingKey::from_jwks(&jwks.to_json())?;
    let verifier = Verifier::builder(trusted)
        .issuer("https://host.example")
        .audience("chatseal-platform")
        .decryption_keys([platform], PayloadFormat::Jwe)
        .build()?;
    let verified = verifier.verify(&token)?;
    println!(
        "   header: alg {} kid {:?}",
        verified.header().alg,
        verified.header().kid
    );
    println!("   subject: {}", verified.subject());
    println!("   context: {:?}", verified.context());
    let sso = verified
        .sso_token()
        .expect("the token carries an sso_token");
    println!(
        "   sso_token: {sso:?} ({} bytes, shown only on request)",
        sso.len()
    );

    println!("6. A tampered token is refused, and the refusal says why:");
    let mut tampered = token.clone();
    tampered.replace_range(token.len() - 4.., "AAAA");
    match verifier.verify(&tampered) {
        Ok(_) => println!("   ?! accepted"),
        Err(e) => println!("   refused: [{}] {e}", e.code()),
    }
    Ok(())
}
