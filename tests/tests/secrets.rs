//! Secrets never leak through `Debug`, `Display` or an error message.
//!
//! # How secrets are wiped (zeroize)
//!
//! A test cannot portably observe freed memory without undefined behaviour,
//! so the wiping is ensured by construction and checked here at compile
//! time where it can be:
//!
//! - `SsoToken`, `Passphrase`, `SecretString` and `SecretBytes` derive
//!   `Zeroize` and `ZeroizeOnDrop` (`core/src/secret.rs`);
//!   [`secret_types_zeroize_on_drop`] fails to compile if one stops doing so.
//!   The `zeroize` crate writes zeros with volatile stores followed by a
//!   compiler fence, so the optimiser cannot drop the wipe, and it wipes the
//!   whole capacity of a `String`/`Vec`, not only its length.
//! - Intermediate buffers in core (the `{"sso_token":..}` plaintext, content
//!   keys, PEM bodies and DER) are `zeroize::Zeroizing<..>`.
//! - Private keys themselves (`ClientSigningKey`, `PlatformDecryptionKey`)
//!   live inside aws-lc (`RSA`/`EC_KEY` objects behind `EVP_PKEY`); aws-lc
//!   frees them with `OPENSSL_free`, which cleanses the allocation
//!   (`OPENSSL_cleanse`) before releasing it. Rust holds no copy of the
//!   private scalar; exports come back as `SecretString`/`SecretBytes`.
//! - What is outside chatseal's reach: a copy the caller makes with
//!   `expose_secret()`, copies a `String` leaves behind when it grows before
//!   being wrapped (wrap the secret as early as possible), swap and core
//!   dumps.
//!
//! The tests below check the visible half: `{:?}` of every public type that
//! holds a secret shows no part of it, the secret types implement neither
//! `Display` nor `Serialize`, and no error message (for every refusal a
//! token carrying an sso_token can meet, and for key loading failures)
//! contains any part of the sso_token, the passphrase or a private key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chatseal::{
    Algorithm, ClientSigningKey, Error, ErrorKind, Issuer, Passphrase, PayloadFormat,
    PlatformDecryptionKey, RsaKeySize, SecretBytes, SecretString, SsoToken, TokenRequest, Verifier,
};

const NOW: u64 = 1_800_000_000;
const WINDOW: usize = 16;
/// Shaped like an IdP token, but with no common prefix (a real JWT header
/// such as `eyJhbGciOiJSUzI1NiJ9` would match chatseal's own header), so
/// every 16-character window of it is unique to it.
const SSO: &str = "idp-7Zq2.sso-Qm9iIGFuZCBBbGljZSBzaGFyZSBhIHNlY3JldA.c2lnbmF0dXJlLW9mLXRoZS1pZHA";
const PASSPHRASE: &str = "correct horse battery staple 7f3a9c";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Every `WINDOW`-character window of `secret` (or the whole of a shorter
/// one).
fn windows(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= WINDOW {
        return vec![secret.to_owned()];
    }
    chars
        .windows(WINDOW)
        .map(|w| w.iter().collect::<String>())
        .collect()
}

/// The base64 body of a PEM document, as one string (lines joined).
fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// The secrets in play, in every rendering a leak could take.
struct Secrets {
    needles: Vec<String>,
}

impl Secrets {
    fn new(client: &ClientSigningKey, platform: &PlatformDecryptionKey) -> Self {
        let mut needles = windows(SSO);
        needles.extend(windows(PASSPHRASE));
        for pem in [
            client.to_pkcs8_pem().unwrap(),
            platform.to_pkcs8_pem().unwrap(),
        ] {
            needles.extend(windows(&pem_body(pem.expose_secret())));
        }
        // The private DER as `Vec<u8>`'s Debug would print it, and as hex.
        for der in [
            client.to_pkcs8_der().unwrap(),
            platform.to_pkcs8_der().unwrap(),
        ] {
            let der = der.expose_secret();
            // Skip the first 64 bytes (version, algorithm identifiers: not
            // secret and shared by every key of a kind).
            for w in der[64..].chunks_exact(8) {
                needles.push(format!("{w:?}").trim_matches(['[', ']']).to_owned());
                needles.push(w.iter().map(|b| format!("{b:02x}")).collect());
            }
        }
        Self { needles }
    }

    /// The first piece of secret material found in `text`.
    fn find(&self, text: &str) -> Option<&str> {
        self.needles
            .iter()
            .find(|n| text.contains(n.as_str()))
            .map(String::as_str)
    }

    fn assert_absent(&self, what: &str, text: &str) {
        if let Some(n) = self.find(text) {
            panic!("{what} leaks secret material `{n}`:\n{text}");
        }
    }
}

struct Setup {
    client: ClientSigningKey,
    platform: PlatformDecryptionKey,
    secrets: Secrets,
}

fn setup() -> &'static Setup {
    static S: std::sync::OnceLock<Setup> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let client = ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048).unwrap();
        let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
        let secrets = Secrets::new(&client, &platform);
        Setup {
            client,
            platform,
            secrets,
        }
    })
}

fn issuer(format: PayloadFormat) -> Issuer {
    let s = setup();
    Issuer::builder(s.client.clone())
        .issuer("https://host.example")
        .audience("chat")
        .platform_key(s.platform.encryption_key().clone(), format)
        .build()
        .unwrap()
}

fn verifier(format: PayloadFormat) -> chatseal::VerifierBuilder<chatseal::Ready> {
    let s = setup();
    Verifier::builder([s.client.verifying_key().clone()])
        .issuer("https://host.example")
        .audience("chat")
        .decryption_keys([s.platform.clone()], format)
}

fn request() -> TokenRequest {
    TokenRequest::new("user-42")
        .context(serde_json::json!({"name": "Ada"}))
        .sso_token(SsoToken::new(SSO))
}

#[test]
fn the_needles_find_a_leak() {
    // The detector itself must work, or every test below passes vacuously.
    let s = setup();
    let pem = s.client.to_pkcs8_pem().unwrap();
    let body = pem_body(pem.expose_secret());
    let der = format!("{:?}", s.client.to_pkcs8_der().unwrap().expose_secret());
    for leak in [
        format!("xx{}xx", &body[100..117]),
        SSO[20..40].to_owned(),
        der,
        PASSPHRASE.to_owned(),
    ] {
        assert!(s.secrets.find(&leak).is_some(), "{leak}");
    }
    s.secrets.assert_absent("probe", "nothing secret here");
}

#[test]
fn debug_of_every_type_holding_a_secret_is_redacted() {
    let s = setup();
    let client_pem = s.client.to_pkcs8_pem().unwrap();
    let platform_pem = s
        .platform
        .to_encrypted_pkcs8_pem(&Passphrase::new(PASSPHRASE));
    let platform_pem = platform_pem.unwrap();
    let der = s.client.to_pkcs8_der().unwrap();
    let token = issuer(PayloadFormat::Jwe)
        .mint_at(&request(), at(NOW))
        .unwrap();
    let verifier = verifier(PayloadFormat::Jwe).build().unwrap();
    let verified = verifier.verify_at(&token, at(NOW)).unwrap();
    assert_eq!(verified.sso_token().unwrap().expose_secret(), SSO);

    let shown = [
        ("ClientSigningKey", format!("{:?}", s.client)),
        ("PlatformDecryptionKey", format!("{:?}", s.platform)),
        ("SsoToken", format!("{:?}", SsoToken::new(SSO))),
        ("Passphrase", format!("{:?}", Passphrase::new(PASSPHRASE))),
        ("SecretString (PEM)", format!("{client_pem:?}")),
        ("SecretString (encrypted PEM)", format!("{platform_pem:?}")),
        (
            "SecretString (sso)",
            format!("{:?}", SecretString::new(SSO)),
        ),
        ("SecretBytes", format!("{der:?}")),
        (
            "SecretBytes (sso)",
            format!("{:?}", SecretBytes::new(SSO.as_bytes().to_vec())),
        ),
        ("VerifiedToken", format!("{verified:?}")),
        ("VerifiedToken (pretty)", format!("{verified:#?}")),
        ("Issuer", format!("{:?}", issuer(PayloadFormat::Jwe))),
        ("Issuer (wxo)", format!("{:#?}", issuer(PayloadFormat::Wxo))),
        ("TokenRequest", format!("{:?}", request())),
        ("TokenRequest (pretty)", format!("{:#?}", request())),
        ("Verifier", format!("{verifier:?}")),
        ("Verifier (pretty)", format!("{verifier:#?}")),
        ("Option<&SsoToken>", format!("{:?}", verified.sso_token())),
        ("into_parts", format!("{:?}", verified.into_parts())),
    ];
    for (what, text) in &shown {
        s.secrets.assert_absent(what, text);
    }
    // The redaction is visible, so nobody mistakes it for a missing value.
    for (what, text) in &shown[..9] {
        assert!(text.contains("[redacted]"), "{what}: {text}");
    }
}

/// Compiles only while every secret type wipes itself on drop.
#[test]
fn secret_types_zeroize_on_drop() {
    fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop + zeroize::Zeroize>() {}
    zeroize_on_drop::<SsoToken>();
    zeroize_on_drop::<Passphrase>();
    zeroize_on_drop::<SecretString>();
    zeroize_on_drop::<SecretBytes>();

    // And `zeroize()` really empties them (the same code runs on drop).
    use zeroize::Zeroize as _;
    let mut t = SsoToken::new(SSO);
    t.zeroize();
    assert_eq!(t.expose_secret(), "");
    let mut b = SecretBytes::new(vec![1, 2, 3]);
    b.zeroize();
    assert!(b.expose_secret().is_empty());
}

/// Compiles only while none of the secret types implements `Display` or
/// `Serialize` (the "ambiguous impl" trick: with an impl of the trait, the
/// `_` below has two candidates and type inference fails).
#[test]
fn secret_types_have_no_display_and_no_serialize() {
    trait NoDisplay<A> {
        fn check() {}
    }
    impl<T: ?Sized> NoDisplay<()> for T {}
    struct HasDisplay;
    impl<T: ?Sized + std::fmt::Display> NoDisplay<HasDisplay> for T {}

    trait NoSerialize<A> {
        fn check() {}
    }
    impl<T: ?Sized> NoSerialize<()> for T {}
    struct HasSerialize;
    impl<T: ?Sized + serde::Serialize> NoSerialize<HasSerialize> for T {}

    macro_rules! neither {
        ($($t:ty),*) => {$(
            <$t as NoDisplay<_>>::check();
            <$t as NoSerialize<_>>::check();
        )*};
    }
    neither!(
        SsoToken,
        Passphrase,
        SecretString,
        SecretBytes,
        ClientSigningKey,
        PlatformDecryptionKey,
        TokenRequest,
        chatseal::VerifiedToken
    );
}

/// Every refusal a token with an sso_token can meet: the message (and the
/// error's `Debug`) holds no part of the sso_token or of a private key.
#[test]
fn error_messages_hold_no_secret() {
    let s = setup();
    let mut seen = std::collections::HashSet::new();
    for format in [PayloadFormat::Jwe, PayloadFormat::Wxo] {
        let token = issuer(format).mint_at(&request(), at(NOW)).unwrap();
        let v = verifier(format).build().unwrap();
        assert_eq!(
            v.verify_at(&token, at(NOW))
                .unwrap()
                .sso_token()
                .unwrap()
                .expose_secret(),
            SSO
        );
        let other_platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
        let other_client =
            ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048).unwrap();
        let mut cases: Vec<(&str, Error)> = Vec::new();
        let mut fail = |what: &'static str, r: chatseal::Result<chatseal::VerifiedToken>| {
            let e = r.expect_err(what);
            cases.push((what, e));
        };
        fail("expired", v.verify_at(&token, at(NOW + 100_000)));
        fail("not yet valid", v.verify_at(&token, at(NOW - 100_000)));
        fail(
            "too large",
            verifier(format)
                .max_token_size(100)
                .build()
                .unwrap()
                .verify_at(&token, at(NOW)),
        );
        fail(
            "wrong audience",
            Verifier::builder([s.client.verifying_key().clone()])
                .issuer("https://host.example")
                .audience("other")
                .decryption_keys([s.platform.clone()], format)
                .build()
                .unwrap()
                .verify_at(&token, at(NOW)),
        );
        fail(
            "wrong issuer",
            Verifier::builder([s.client.verifying_key().clone()])
                .issuer("https://other.example")
                .audience("chat")
                .build()
                .unwrap()
                .verify_at(&token, at(NOW)),
        );
        fail(
            "lifetime too long",
            verifier(format)
                .max_lifetime(Duration::from_secs(10))
                .build()
                .unwrap()
                .verify_at(&token, at(NOW)),
        );
        fail(
            "unknown kid",
            Verifier::builder([other_client
                .verifying_key()
                .with_kid("another-kid")
                .unwrap()])
            .issuer("https://host.example")
            .audience("chat")
            .build()
            .unwrap()
            .verify_at(&token, at(NOW)),
        );
        fail(
            "bad signature",
            Verifier::builder([other_client
                .verifying_key()
                .with_kid(s.client.kid())
                .unwrap()])
            .issuer("https://host.example")
            .audience("chat")
            .build()
            .unwrap()
            .verify_at(&token, at(NOW)),
        );
        fail(
            "algorithm not allowed",
            Verifier::builder([ClientSigningKey::generate(Algorithm::ES256)
                .unwrap()
                .verifying_key()
                .with_kid(s.client.kid())
                .unwrap()])
            .issuer("https://host.example")
            .audience("chat")
            .build()
            .unwrap()
            .verify_at(&token, at(NOW)),
        );
        fail(
            "decryption with another platform key",
            verifier(format)
                .decryption_keys([other_platform.clone()], format)
                .build()
                .unwrap()
                .verify_at(&token, at(NOW)),
        );
        let other_format = match format {
            PayloadFormat::Jwe => PayloadFormat::Wxo,
            PayloadFormat::Wxo => PayloadFormat::Jwe,
        };
        fail(
            "decryption in the other format",
            verifier(format)
                .decryption_keys([s.platform.clone()], other_format)
                .build()
                .unwrap()
                .verify_at(&token, at(NOW)),
        );
        // The token cut and tampered with.
        let mut tampered = token.clone();
        tampered.insert(token.len() / 2, 'A');
        fail("tampered", v.verify_at(&tampered, at(NOW)));
        fail("truncated", v.verify_at(&token[..token.len() / 2], at(NOW)));
        fail(
            "trailing garbage",
            v.verify_at(&format!("{token}.{SSO}"), at(NOW)),
        );
        for (what, e) in &cases {
            seen.insert(e.kind());
            for text in [e.to_string(), format!("{e:?}"), e.message().to_owned()] {
                s.secrets.assert_absent(what, &text);
            }
        }
    }
    // The refusals really covered the ground they claim to.
    for k in [
        ErrorKind::Expired,
        ErrorKind::NotYetValid,
        ErrorKind::TokenTooLarge,
        ErrorKind::InvalidAudience,
        ErrorKind::InvalidIssuer,
        ErrorKind::LifetimeTooLong,
        ErrorKind::UnknownKeyId,
        ErrorKind::InvalidSignature,
        ErrorKind::AlgorithmNotAllowed,
        ErrorKind::DecryptionFailed,
        ErrorKind::MalformedToken,
    ] {
        assert!(seen.contains(&k), "no case produced {k:?}; saw {seen:?}");
    }
}

/// Key loading failures name the problem, never the key or the passphrase.
#[test]
fn key_errors_hold_no_secret() {
    let s = setup();
    let pem = s.client.to_pkcs8_pem().unwrap();
    let pem = pem.expose_secret();
    let ppem = s.platform.to_pkcs8_pem().unwrap();
    let ppem = ppem.expose_secret();
    let enc = s
        .client
        .to_encrypted_pkcs8_pem(&Passphrase::new(PASSPHRASE))
        .unwrap();
    let enc = enc.expose_secret();
    let body = pem_body(pem);
    let mut errors: Vec<(&str, Error)> = Vec::new();
    let mut fail = |what: &'static str, r: Result<String, Error>| {
        errors.push((what, r.expect_err(what)));
    };
    let kid = |r: chatseal::Result<ClientSigningKey>| r.map(|k| k.kid().to_owned());
    fail(
        "wrong algorithm",
        kid(ClientSigningKey::from_pem(pem, Algorithm::ES256)),
    );
    fail(
        "private key as public key",
        chatseal::ClientVerifyingKey::from_spki_pem(pem, Algorithm::RS256)
            .map(|k| k.kid().to_owned()),
    );
    fail(
        "truncated",
        kid(ClientSigningKey::from_pem(
            &pem[..pem.len() - 40],
            Algorithm::RS256,
        )),
    );
    fail(
        "one character changed",
        kid(ClientSigningKey::from_pem(
            &pem.replacen(
                &body[200..201],
                if &body[200..201] == "A" { "B" } else { "A" },
                1,
            ),
            Algorithm::RS256,
        )),
    );
    fail(
        "body without armour",
        kid(ClientSigningKey::from_pem(&body, Algorithm::RS256)),
    );
    fail(
        "platform key as client key",
        kid(ClientSigningKey::from_pem(ppem, Algorithm::ES256)),
    );
    fail(
        "wrong passphrase",
        kid(ClientSigningKey::from_encrypted_pem(
            enc,
            &Passphrase::new(format!("{PASSPHRASE}!")),
            Algorithm::RS256,
        )),
    );
    fail(
        "encrypted key without passphrase",
        kid(ClientSigningKey::from_pem(enc, Algorithm::RS256)),
    );
    fail(
        "private JWK",
        chatseal::Jwk::from_json(&format!(
            r#"{{"kty":"RSA","n":"AQAB","e":"AQAB","d":"{}"}}"#,
            &body[..64]
        ))
        .map(|j| j.kty),
    );
    fail(
        "platform PEM, wrong passphrase",
        PlatformDecryptionKey::from_encrypted_pem(
            s.platform
                .to_encrypted_pkcs8_pem(&Passphrase::new(PASSPHRASE))
                .unwrap()
                .expose_secret(),
            &Passphrase::new("not it"),
        )
        .map(|k| k.kid().to_owned()),
    );
    // The right passphrase works, so the failure above is the passphrase's.
    ClientSigningKey::from_encrypted_pem(enc, &Passphrase::new(PASSPHRASE), Algorithm::RS256)
        .unwrap();
    for (what, e) in &errors {
        for text in [e.to_string(), format!("{e:?}")] {
            s.secrets.assert_absent(what, &text);
        }
    }
    assert!(errors
        .iter()
        .any(|(_, e)| e.kind() == ErrorKind::WrongPassphrase));
}

/// The secret holders added with tenant policies: API keys and the keys
/// that seal tenant documents at rest.
#[test]
fn api_keys_and_config_keys_stay_redacted() {
    use chatseal::{seal_config, unseal_config, ApiKey, ApiKeySlot, ConfigKeys};

    let key = ApiKey::generate().unwrap();
    let mut slot = ApiKeySlot::empty();
    let slot_key = slot.generate().unwrap();
    let base = "base-secret-0123456789abcdef-base-secret";
    let purpose = "purpose-secret-fedcba9876543210-purpose";
    let keys = ConfigKeys::new(SecretString::new(base), SecretString::new(purpose)).unwrap();
    let document = r#"{"tenantId":"acme","clientSecret":"tenant-doc-secret-42-abcdefgh"}"#;
    let sealed = seal_config(document, &keys).unwrap();
    let other = ConfigKeys::new(
        SecretString::new(base),
        SecretString::new("another-purpose-secret-0000000000000"),
    )
    .unwrap();
    let err = unseal_config(&sealed, &other).unwrap_err();
    let mid = sealed.len() / 2;
    let swap = if &sealed[mid..=mid] == "A" { "B" } else { "A" };
    let tampered = format!("{}{swap}{}", &sealed[..mid], &sealed[mid + 1..]);
    let err2 = unseal_config(&tampered, &keys).unwrap_err();

    let mut needles = windows(key.expose_secret());
    needles.extend(windows(slot_key.expose_secret()));
    needles.extend(windows(base));
    needles.extend(windows(purpose));
    needles.extend(windows("tenant-doc-secret-42-abcdefgh"));
    let secrets = Secrets { needles };
    for (what, text) in [
        ("ApiKey", format!("{key:?}")),
        ("ApiKey hash", format!("{:?}", key.hash())),
        ("ApiKeySlot", format!("{slot:?}")),
        ("ConfigKeys", format!("{keys:?}")),
        ("unseal with other keys", format!("{err} {err:?}")),
        ("unseal tampered", format!("{err2} {err2:?}")),
        ("sealed document", sealed.clone()),
    ] {
        secrets.assert_absent(what, &text);
    }
    assert!(format!("{key:?}").contains("[redacted]"));
    assert!(format!("{keys:?}").contains("[redacted]"));
    // The slot really holds the key (so the redaction is not vacuous).
    assert!(slot.verify(slot_key.expose_secret()));
    assert_eq!(unseal_config(&sealed, &keys).unwrap(), document);
}
