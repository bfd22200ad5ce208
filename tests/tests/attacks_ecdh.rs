//! The ECDH-ES attack corpus, through the platform's whole path (a widget
//! token signed by the trusted host key, its `user_payload` tampered with,
//! verified by a `Verifier` holding RSA, P-256 and X25519 decryption keys):
//!
//! - invalid-curve and off-curve points in `epk` (the ECDH-ES key-recovery
//!   attack of Jager, Schwenk and Somorovsky, ESORICS 2015);
//! - an `epk` on another curve than the key it names;
//! - X25519 low-order points (all-zero shared secret, RFC 7748 §6.1);
//! - an `epk` carrying private members;
//! - `alg`/`enc` confusion between the RSA and EC paths;
//! - a `kid` that names a key of the other family.
//!
//! Each is refused with a typed error before any secret-dependent work, and
//! the untampered token is shown to pass first, so a refusal is the attack's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chatseal::{
    dangerous, Algorithm, ClientSigningKey, EcdhCurve, ErrorKind, Issuer, JweAlgorithm,
    PayloadFormat, PlatformDecryptionKey, RsaKeySize, SsoToken, TokenRequest, Verifier,
};
use serde_json::{json, Map, Value};

struct Lab {
    host: ClientSigningKey,
    rsa: PlatformDecryptionKey,
    p256: PlatformDecryptionKey,
    x25519: PlatformDecryptionKey,
    verifier: Verifier,
}

fn lab() -> Lab {
    let host = ClientSigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("host-1")
        .unwrap();
    let rsa = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
    let p256 = PlatformDecryptionKey::generate_ecdh(EcdhCurve::P256).unwrap();
    let x25519 = PlatformDecryptionKey::generate_ecdh(EcdhCurve::X25519).unwrap();
    let verifier = Verifier::builder([host.verifying_key().clone()])
        .issuer("https://host.example")
        .audience("chat")
        .decryption_keys(
            [rsa.clone(), p256.clone(), x25519.clone()],
            PayloadFormat::Jwe,
        )
        .build()
        .unwrap();
    Lab {
        host,
        rsa,
        p256,
        x25519,
        verifier,
    }
}

fn b64(b: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

impl Lab {
    /// A widget token whose `user_payload` is `jwe`, signed by the host
    /// (with josekit: chatseal's issuer writes `user_payload` only itself).
    fn token(&self, jwe: &str) -> String {
        let pem = self.host.to_pkcs8_pem().unwrap();
        let signer = josekit::jws::ES256
            .signer_from_pem(pem.expose_secret().as_bytes())
            .unwrap();
        let header = b64(r#"{"alg":"ES256","typ":"JWT","kid":"host-1"}"#);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = b64(
            json!({"iss": "https://host.example", "aud": "chat", "sub": "user-42",
                                "iat": now, "exp": now + 600, "user_payload": jwe})
            .to_string(),
        );
        let input = format!("{header}.{claims}");
        let sig = josekit::jws::JwsSigner::sign(&signer, input.as_bytes()).unwrap();
        format!("{input}.{}", b64(sig))
    }

    /// A genuine JWE to `key`.
    fn jwe(&self, key: &PlatformDecryptionKey, alg: JweAlgorithm) -> String {
        let t = Issuer::builder(self.host.clone())
            .issuer("https://host.example")
            .audience("chat")
            .platform_key(
                key.encryption_key().with_jwe_algorithm(alg).unwrap(),
                PayloadFormat::Jwe,
            )
            .build()
            .unwrap()
            .mint(&TokenRequest::new("user-42").sso_token(SsoToken::new("obo")))
            .unwrap();
        let (_, claims) = dangerous::insecure_decode(&t).unwrap();
        claims["user_payload"].as_str().unwrap().to_owned()
    }
}

fn header(jwe: &str) -> Map<String, Value> {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwe.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn with_header(jwe: &str, h: &Map<String, Value>) -> String {
    let rest: Vec<&str> = jwe.split('.').skip(1).collect();
    format!(
        "{}.{}",
        b64(Value::Object(h.clone()).to_string()),
        rest.join(".")
    )
}

#[test]
fn ecdh_es_attacks_are_refused_through_the_verifier() {
    let lab = lab();
    // The untampered tokens pass, on every path.
    for (key, alg) in [
        (&lab.p256, JweAlgorithm::EcdhEsA256kw),
        (&lab.p256, JweAlgorithm::EcdhEs),
        (&lab.x25519, JweAlgorithm::EcdhEsA256kw),
        (&lab.x25519, JweAlgorithm::EcdhEs),
        (&lab.rsa, JweAlgorithm::RsaOaep256),
    ] {
        let t = lab.token(&lab.jwe(key, alg));
        let ok = lab
            .verifier
            .verify(&t)
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(ok.sso_token().unwrap().expose_secret(), "obo");
    }

    let p = lab.jwe(&lab.p256, JweAlgorithm::EcdhEsA256kw);
    let x = lab.jwe(&lab.x25519, JweAlgorithm::EcdhEsA256kw);
    let r = lab.jwe(&lab.rsa, JweAlgorithm::RsaOaep256);
    let mut cases: Vec<(String, ErrorKind, String)> = Vec::new();
    let mut case = |name: &str, want: ErrorKind, jwe: String| {
        cases.push((name.to_owned(), want, lab.token(&jwe)));
    };

    // Invalid-curve points: (0, 0) (on y² = x³ - 3x, the curve with b = 0,
    // not on P-256), a coordinate equal to the field prime, and an off-curve
    // point next to the genuine one.
    let hp = header(&p);
    let y = URL_SAFE_NO_PAD
        .decode(hp["epk"]["y"].as_str().unwrap())
        .unwrap();
    for (name, x_, y_) in [
        (
            "epk (0, 0), a point of y^2 = x^3 - 3x",
            vec![0u8; 32],
            vec![0u8; 32],
        ),
        (
            "epk off the curve (y + 1)",
            URL_SAFE_NO_PAD
                .decode(hp["epk"]["x"].as_str().unwrap())
                .unwrap(),
            {
                let mut v = y.clone();
                v[31] ^= 1;
                v
            },
        ),
        (
            "epk with y = p (the field prime)",
            URL_SAFE_NO_PAD
                .decode(hp["epk"]["x"].as_str().unwrap())
                .unwrap(),
            {
                let mut v = vec![0xffu8; 32];
                v[4..12].copy_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
                v[..4].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
                v
            },
        ),
    ] {
        let mut h = hp.clone();
        h["epk"]["x"] = json!(b64(&x_));
        h["epk"]["y"] = json!(b64(&y_));
        case(name, ErrorKind::DecryptionFailed, with_header(&p, &h));
    }
    // An epk on another curve than the key its kid names.
    let mut h = header(&x);
    h.insert("kid".into(), json!(lab.p256.kid()));
    case(
        "X25519 epk naming the P-256 key",
        ErrorKind::DecryptionFailed,
        with_header(&x, &h),
    );
    let mut h = header(&p);
    h.insert(
        "epk".into(),
        json!({"kty": "EC", "crv": "P-384",
                      "x": b64([1u8; 48]), "y": b64([2u8; 48])}),
    );
    case(
        "epk on P-384",
        ErrorKind::UnsupportedAlgorithm,
        with_header(&p, &h),
    );
    let mut h = header(&p);
    h.insert(
        "epk".into(),
        json!({"kty": "EC", "crv": "secp256k1",
                      "x": b64([1u8; 32]), "y": b64([2u8; 32])}),
    );
    case(
        "epk on secp256k1",
        ErrorKind::UnsupportedAlgorithm,
        with_header(&p, &h),
    );
    // X25519 low-order points.
    let order8 = "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157";
    let order8: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&order8[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let mut one = [0u8; 32];
    one[0] = 1;
    for (name, point) in [
        ("X25519 epk 0 (low order)", vec![0u8; 32]),
        ("X25519 epk 1 (low order)", one.to_vec()),
        ("X25519 epk of order 8", order8),
        ("X25519 epk p - 1 (low order)", {
            let mut v = vec![0xffu8; 32];
            v[0] = 0xec;
            v[31] = 0x7f;
            v
        }),
    ] {
        let mut h = header(&x);
        h["epk"]["x"] = json!(b64(&point));
        case(name, ErrorKind::DecryptionFailed, with_header(&x, &h));
    }
    // Private members in epk.
    for member in ["d", "p", "k"] {
        let mut h = header(&x);
        h["epk"][member] = json!(b64([3u8; 32]));
        case(
            &format!("epk with private member {member}"),
            ErrorKind::EmbeddedKey,
            with_header(&x, &h),
        );
    }
    // RSA/EC confusion, both ways, and enc confusion.
    let mut h = header(&r);
    h.insert("epk".into(), header(&p)["epk"].clone());
    case(
        "RSA-OAEP-256 header with an epk",
        ErrorKind::EmbeddedKey,
        with_header(&r, &h),
    );
    let mut h = header(&r);
    h.insert("alg".into(), json!("ECDH-ES+A256KW"));
    case(
        "RSA JWE relabelled ECDH-ES+A256KW (no epk)",
        ErrorKind::MalformedToken,
        with_header(&r, &h),
    );
    let mut h = header(&p);
    h.insert("alg".into(), json!("RSA-OAEP-256"));
    case(
        "ECDH JWE relabelled RSA-OAEP-256",
        ErrorKind::EmbeddedKey,
        with_header(&p, &h),
    );
    let mut h = header(&p);
    h.insert("alg".into(), json!("ECDH-ES"));
    case(
        "ECDH-ES+A256KW relabelled direct ECDH-ES",
        ErrorKind::MalformedToken,
        with_header(&p, &h),
    );
    let mut h = header(&p);
    h.insert("alg".into(), json!("ECDH-ES+A128KW"));
    case(
        "ECDH-ES+A128KW",
        ErrorKind::UnsupportedAlgorithm,
        with_header(&p, &h),
    );
    let mut h = header(&p);
    h.insert("enc".into(), json!("A128GCM"));
    case(
        "ECDH JWE with enc A128GCM",
        ErrorKind::UnsupportedAlgorithm,
        with_header(&p, &h),
    );
    // A kid naming a key of the other family.
    let mut h = header(&p);
    h.insert("kid".into(), json!(lab.rsa.kid()));
    case(
        "ECDH JWE naming the RSA key",
        ErrorKind::DecryptionFailed,
        with_header(&p, &h),
    );
    let mut h = header(&r);
    h.insert("kid".into(), json!(lab.x25519.kid()));
    case(
        "RSA JWE naming the X25519 key",
        ErrorKind::DecryptionFailed,
        with_header(&r, &h),
    );
    // Oversized party info.
    let mut h = header(&p);
    h.insert("apv".into(), json!(b64([0u8; 4096])));
    case(
        "apv of 4 KiB",
        ErrorKind::MalformedToken,
        with_header(&p, &h),
    );

    let mut failures = Vec::new();
    let n = cases.len();
    for (name, want, token) in cases {
        match lab.verifier.verify(&token) {
            Ok(_) => failures.push(format!("{name}: ACCEPTED")),
            Err(e) if e.kind() != want => {
                failures.push(format!("{name}: want {want:?}, got {:?} ({e})", e.kind()))
            }
            Err(e) => assert!(!e.message().contains("obo"), "{name}: secret in message"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} ECDH attack cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
    assert!(n >= 20, "{n} cases");
}
