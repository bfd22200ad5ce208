//! Keys in a PKCS#11 token, against SoftHSM2 (feature `pkcs11`).
//!
//! `tests/steps/35-pkcs11.sh` initialises the token `chatseal-test` and sets
//! `CHATSEAL_TEST_PKCS11_MODULE`, `CHATSEAL_TEST_PKCS11_PIN_FILE` and
//! `SOFTHSM2_CONF`. Without them the tests skip, unless
//! `CHATSEAL_REQUIRE_PEERS=1`, when they fail.
#![cfg(feature = "pkcs11")]

use chatseal::*;
use std::sync::Arc;

fn softhsm() -> Option<(Pkcs11Module, Pkcs11Pin)> {
    let Ok(module) = std::env::var("CHATSEAL_TEST_PKCS11_MODULE") else {
        if std::env::var("CHATSEAL_REQUIRE_PEERS").is_ok_and(|v| v == "1") {
            panic!("CHATSEAL_TEST_PKCS11_MODULE is not set: run tests/steps/35-pkcs11.sh");
        }
        eprintln!("skipping: no SoftHSM2 (run tests/steps/35-pkcs11.sh)");
        return None;
    };
    let pin =
        Pkcs11Pin::from_file(std::env::var("CHATSEAL_TEST_PKCS11_PIN_FILE").unwrap()).unwrap();
    Some((Pkcs11Module::open(module).unwrap(), pin))
}

fn token_uri() -> Pkcs11Uri {
    "pkcs11:token=chatseal-test".parse().unwrap()
}

fn label(what: &str) -> String {
    let mut r = [0u8; 4];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut r))
        .unwrap();
    format!("test-{what}-{}", u32::from_le_bytes(r))
}

fn issuer(
    key: &ClientSigningKey,
    platform: Option<(&PlatformEncryptionKey, PayloadFormat)>,
) -> Issuer {
    let b = Issuer::builder(key.clone())
        .issuer("https://host.example")
        .audience("chat");
    match platform {
        Some((p, f)) => b.platform_key(p.clone(), f).build().unwrap(),
        None => b.build().unwrap(),
    }
}

fn verifier(
    key: &ClientVerifyingKey,
    dec: Option<(PlatformDecryptionKey, PayloadFormat)>,
) -> Verifier {
    let b = Verifier::builder([key.clone()])
        .issuer("https://host.example")
        .audience("chat");
    match dec {
        Some((d, f)) => b.decryption_keys([d], f).build().unwrap(),
        None => b.build().unwrap(),
    }
}

#[test]
fn token_signing_keys_sign_what_aws_lc_verifies() {
    let Some((module, pin)) = softhsm() else {
        return;
    };
    let token = module.token(&token_uri(), Some(pin)).unwrap();
    for alg in [Algorithm::RS256, Algorithm::PS256, Algorithm::ES256] {
        let key =
            ClientSigningKey::generate_in_pkcs11(&token, alg, RsaKeySize::Rsa2048, &label("sig"))
                .unwrap();
        let uri = key.pkcs11_uri().unwrap().clone();
        assert_eq!(uri.object_type(), Some(Pkcs11ObjectType::Private));
        // The private half is not exportable.
        assert_eq!(
            key.to_pkcs8_pem().unwrap_err().kind(),
            ErrorKind::KeyRoleMismatch
        );
        // Opened again from its URI alone: the same public key.
        let again = ClientSigningKey::from_pkcs11(&token, &uri, alg).unwrap();
        assert_eq!(again.thumbprint(), key.thumbprint());
        // Tokens it signs verify with the public half, in process.
        let public = ClientVerifyingKey::from_jwk(&key.verifying_key().to_jwk()).unwrap();
        for _ in 0..3 {
            let t = issuer(&again, None)
                .mint(&TokenRequest::new("user-1"))
                .unwrap();
            let v = verifier(&public, None).verify(&t).unwrap();
            assert_eq!(v.subject(), "user-1");
        }
        // Another key's verifier refuses it.
        let other = ClientSigningKey::generate(alg).unwrap();
        let t = issuer(&key, None).mint(&TokenRequest::new("u")).unwrap();
        let e = verifier(
            &other.verifying_key().clone().with_kid(key.kid()).unwrap(),
            None,
        )
        .verify(&t)
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidSignature);
        assert_eq!(token.destroy_key(&uri).unwrap(), 2);
        assert_eq!(
            ClientSigningKey::from_pkcs11(&token, &uri, alg)
                .unwrap_err()
                .kind(),
            ErrorKind::KeyNotFound
        );
    }
}

#[test]
fn token_platform_key_decrypts_jwe_and_wxo() {
    let Some((module, pin)) = softhsm() else {
        return;
    };
    let token = module.token(&token_uri(), Some(pin)).unwrap();
    let platform =
        PlatformDecryptionKey::generate_in_pkcs11(&token, RsaKeySize::Rsa2048, &label("enc"))
            .unwrap();
    let public = PlatformEncryptionKey::from_jwk(&platform.encryption_key().to_jwk()).unwrap();
    assert_eq!(public.thumbprint(), platform.thumbprint());
    let client = ClientSigningKey::generate(Algorithm::ES256).unwrap();
    for format in [PayloadFormat::Jwe, PayloadFormat::Wxo] {
        let t = issuer(&client, Some((&public, format)))
            .mint(&TokenRequest::new("u").sso_token(SsoToken::new("idp-token-from-the-host")))
            .unwrap();
        let v = verifier(client.verifying_key(), Some((platform.clone(), format)))
            .verify(&t)
            .unwrap();
        assert_eq!(
            v.sso_token().unwrap().expose_secret(),
            "idp-token-from-the-host"
        );
        // A payload for another key: the one opaque error.
        let other = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
        let t = issuer(&client, Some((other.encryption_key(), format)))
            .mint(&TokenRequest::new("u").sso_token(SsoToken::new("x")))
            .unwrap();
        let e = verifier(client.verifying_key(), Some((platform.clone(), format)))
            .verify(&t)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DecryptionFailed, "{format:?}: {e}");
    }
    // A long wxo payload: several OAEP blocks.
    let long = "s".repeat(1000);
    let t = issuer(&client, Some((&public, PayloadFormat::Wxo)))
        .mint(&TokenRequest::new("u").sso_token(SsoToken::new(long.clone())))
        .unwrap();
    let v = verifier(
        client.verifying_key(),
        Some((platform.clone(), PayloadFormat::Wxo)),
    )
    .verify(&t)
    .unwrap();
    assert_eq!(v.sso_token().unwrap().expose_secret(), long);
    token.destroy_key(platform.pkcs11_uri().unwrap()).unwrap();
}

#[test]
fn bad_inputs_are_typed_errors() {
    let Some((module, pin)) = softhsm() else {
        return;
    };
    // Wrong PIN (on the second token: login state is per process, and the
    // other tests of this binary are logged in to `chatseal-test`).
    let e = module
        .token(
            &"pkcs11:token=chatseal".parse().unwrap(),
            Some(Pkcs11Pin::new("000000")),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WrongPin, "{e}");
    assert!(!e.to_string().contains("000000"));
    // No such token.
    let e = module
        .token(
            &"pkcs11:token=no-such-token".parse().unwrap(),
            Some(pin.clone()),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenUnavailable, "{e}");
    // Missing module.
    let e = Pkcs11Module::open("/usr/lib/softhsm/libnothing.so").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Pkcs11ModuleUnavailable);

    let token = module.token(&token_uri(), Some(pin)).unwrap();
    // Unknown object.
    let unknown: Pkcs11Uri = "pkcs11:token=chatseal-test;object=nothing-here;type=private"
        .parse()
        .unwrap();
    let e = ClientSigningKey::from_pkcs11(&token, &unknown, Algorithm::ES256).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyNotFound, "{e}");
    // A URI naming no object, or a public one.
    let e = ClientSigningKey::from_pkcs11(&token, &token_uri(), Algorithm::ES256).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidPkcs11Uri);

    let ec = ClientSigningKey::generate_in_pkcs11(
        &token,
        Algorithm::ES256,
        RsaKeySize::Rsa2048,
        &label("ec"),
    )
    .unwrap();
    let ec_uri = ec.pkcs11_uri().unwrap().clone();
    let public_uri: Pkcs11Uri = ec_uri
        .to_string()
        .replace("type=private", "type=public")
        .parse()
        .unwrap();
    let e = ClientSigningKey::from_pkcs11(&token, &public_uri, Algorithm::ES256).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyRoleMismatch);
    // Wrong key type for the algorithm, and wrong role.
    for alg in [Algorithm::RS256, Algorithm::PS256, Algorithm::Ed25519] {
        let e = ClientSigningKey::from_pkcs11(&token, &ec_uri, alg).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::KeyRoleMismatch, "{alg}: {e}");
    }
    let e = PlatformDecryptionKey::from_pkcs11(&token, &ec_uri).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyRoleMismatch, "{e}");
    let rsa_sig = ClientSigningKey::generate_in_pkcs11(
        &token,
        Algorithm::RS256,
        RsaKeySize::Rsa2048,
        &label("rs"),
    )
    .unwrap();
    let rsa_uri = rsa_sig.pkcs11_uri().unwrap().clone();
    let e = ClientSigningKey::from_pkcs11(&token, &rsa_uri, Algorithm::ES256).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyRoleMismatch);
    // A signing key is not a decryption key (CKA_DECRYPT false), and the reverse.
    let e = PlatformDecryptionKey::from_pkcs11(&token, &rsa_uri).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyRoleMismatch, "{e}");
    let enc = PlatformDecryptionKey::generate_in_pkcs11(&token, RsaKeySize::Rsa2048, &label("enc"))
        .unwrap();
    let enc_uri = enc.pkcs11_uri().unwrap().clone();
    let e = ClientSigningKey::from_pkcs11(&token, &enc_uri, Algorithm::RS256).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyRoleMismatch, "{e}");
    // Debug output shows no PIN.
    assert!(format!("{token:?}").contains("[redacted]"));
    // Without a PIN the private key is invisible: the error says why.
    let anon = module.token(&token_uri(), None).unwrap();
    let e = ClientSigningKey::from_pkcs11(&anon, &ec_uri, Algorithm::ES256);
    if let Err(e) = e {
        assert_eq!(e.kind(), ErrorKind::KeyNotFound);
    }
    for u in [&ec_uri, &rsa_uri, &enc_uri] {
        token.destroy_key(u).unwrap();
    }
}

#[test]
fn eight_threads_sign_through_one_key() {
    let Some((module, pin)) = softhsm() else {
        return;
    };
    let token = module.token(&token_uri(), Some(pin)).unwrap();
    let key = ClientSigningKey::generate_in_pkcs11(
        &token,
        Algorithm::PS256,
        RsaKeySize::Rsa2048,
        &label("mt"),
    )
    .unwrap();
    let issuer = Arc::new(issuer(&key, None));
    let verifier = Arc::new(verifier(key.verifying_key(), None));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (issuer, verifier) = (issuer.clone(), verifier.clone());
            std::thread::spawn(move || {
                for j in 0..20 {
                    let sub = format!("user-{i}-{j}");
                    let t = issuer.mint(&TokenRequest::new(sub.clone())).unwrap();
                    assert_eq!(verifier.verify(&t).unwrap().subject(), sub);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    token.destroy_key(key.pkcs11_uri().unwrap()).unwrap();
}
