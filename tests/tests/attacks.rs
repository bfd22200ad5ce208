//! The attack corpus: hostile tokens and key files, each labelled with the
//! attack it makes and the exact [`ErrorKind`] chatseal must answer with.
//!
//! Every case must be refused with its kind, without a panic, and within a
//! generous time bound ([`TIME_BOUND`]: a denial-of-service guard, not a speed
//! benchmark).
//!
//! Tokens are built here, byte by byte: the header and claims are written as
//! raw JSON text (so duplicate members and odd numbers survive), and where an
//! attack needs a *valid* signature (the check it aims at runs only after the
//! signature check) the signing input is signed with the trusted key through
//! a foreign implementation, `josekit`, from the key's PKCS#8 PEM. chatseal
//! itself offers no way to sign arbitrary bytes, and this test does not add
//! one. A baseline token built the same way must verify, which proves that
//! each refusal below is caused by its attack and not by the harness.
//!
//! The key files chatseal must refuse (RSA-1024, P-384, secp256k1, ...) are
//! throwaway keys in `tests/fixtures/attacks/keys/`, made by
//! `tests/fixtures/attacks/make_keys.sh`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chatseal::{
    dangerous, Algorithm, ClientSigningKey, ClientVerifyingKey, ErrorKind, Issuer, Jwk,
    PayloadFormat, PlatformDecryptionKey, PlatformEncryptionKey, RsaKeySize, SsoToken,
    TokenRequest, Verifier,
};
use josekit::jwe::{JweEncrypter as _, JweHeader};

/// Upper bound for refusing one hostile input in a debug build.
const TIME_BOUND: Duration = Duration::from_secs(2);
/// The verification time of every case.
const NOW: u64 = 1_800_000_000;
const ISS: &str = "https://host.example";
const AUD: &str = "chat";

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/attacks/keys")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Keys, verifiers and a foreign signer for the trusted client key.
struct Lab {
    trusted: ClientSigningKey,
    trusted_signer: josekit::jws::alg::rsassa::RsassaJwsSigner,
    attacker: ClientSigningKey,
    attacker_signer: josekit::jws::alg::rsassa::RsassaJwsSigner,
    platform: PlatformDecryptionKey,
    other_platform: PlatformDecryptionKey,
    /// The default verifier, with the platform's decryption key.
    verifier: Verifier,
    /// The same, with a 2 MiB size limit, to reach the checks behind it.
    big_verifier: Verifier,
    /// The default verifier, decrypting IBM's `wxo` format.
    wxo_verifier: Verifier,
}

impl Lab {
    fn new() -> Self {
        let trusted = ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048)
            .unwrap()
            .with_kid("host-2026")
            .unwrap();
        // Same kid, another key: the attacker guesses or reads the kid.
        let attacker = ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048)
            .unwrap()
            .with_kid("host-2026")
            .unwrap();
        let signer = |k: &ClientSigningKey| {
            let pem = k.to_pkcs8_pem().unwrap();
            josekit::jws::RS256
                .signer_from_pem(pem.expose_secret().as_bytes())
                .unwrap()
        };
        let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
        let other_platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
        let verifier = |max: Option<usize>, format: PayloadFormat| {
            let b = Verifier::builder([trusted.verifying_key().clone()])
                .issuer(ISS)
                .audience(AUD)
                .decryption_keys([platform.clone()], format);
            match max {
                Some(m) => b.max_token_size(m).build().unwrap(),
                None => b.build().unwrap(),
            }
        };
        Self {
            trusted_signer: signer(&trusted),
            attacker_signer: signer(&attacker),
            verifier: verifier(None, PayloadFormat::Jwe),
            big_verifier: verifier(Some(2 << 20), PayloadFormat::Jwe),
            wxo_verifier: verifier(None, PayloadFormat::Wxo),
            trusted,
            attacker,
            platform,
            other_platform,
        }
    }

    /// The header a chatseal issuer writes, as raw JSON.
    fn header(&self) -> String {
        format!(
            r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#,
            self.trusted.kid()
        )
    }

    /// Valid claims as raw JSON, with `extra` members spliced in.
    fn claims(extra: &str) -> String {
        let sep = if extra.is_empty() { "" } else { "," };
        format!(
            r#"{{"iss":"{ISS}","sub":"user-42","aud":"{AUD}","iat":{NOW},"nbf":{NOW},"exp":{}{sep}{extra}}}"#,
            NOW + 600
        )
    }

    /// Claims without `key` (so a hostile value can take its place).
    fn claims_without(key: &str, extra: &str) -> String {
        let mut members = vec![
            format!(r#""iss":"{ISS}""#),
            r#""sub":"user-42""#.to_owned(),
            format!(r#""aud":"{AUD}""#),
            format!(r#""iat":{NOW}"#),
            format!(r#""nbf":{NOW}"#),
            format!(r#""exp":{}"#, NOW + 600),
        ];
        members.retain(|m| !m.starts_with(&format!(r#""{key}":"#)));
        members.push(extra.to_owned());
        format!("{{{}}}", members.join(","))
    }

    /// `header.claims.signature` with the signature made by the trusted key
    /// over exactly those segments.
    fn signed(&self, header: &str, claims: &str) -> String {
        sign_segments(&self.trusted_signer, &b64(header), &b64(claims))
    }

    /// The same, signed by the attacker's key.
    fn signed_by_attacker(&self, header: &str, claims: &str) -> String {
        sign_segments(&self.attacker_signer, &b64(header), &b64(claims))
    }

    /// A compact JWE built here (RSA-OAEP-256 with `cek` to `to`, then the
    /// content encrypted by `content` under `cek`), with a chosen protected
    /// header.
    fn jwe(
        &self,
        to: &PlatformDecryptionKey,
        protected: &str,
        cek: &[u8],
        content: &dyn josekit::jwe::JweContentEncryption,
        plaintext: &[u8],
    ) -> [String; 5] {
        let spki = to.encryption_key().to_spki_pem().unwrap();
        let enc = josekit::jwe::RSA_OAEP_256
            .encrypter_from_pem(spki.as_bytes())
            .unwrap();
        let ek = enc
            .encrypt(cek, &JweHeader::new(), &mut JweHeader::new())
            .unwrap()
            .unwrap();
        let protected = b64(protected);
        let iv = vec![7u8; content.iv_len()];
        let (ct, tag) = content
            .encrypt(cek, Some(&iv), plaintext, protected.as_bytes())
            .unwrap();
        [protected, b64(ek), b64(iv), b64(ct), b64(tag.unwrap())]
    }

    fn jwe_header(&self, to: &PlatformDecryptionKey, extra: &str) -> String {
        format!(
            r#"{{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"{}"{extra}}}"#,
            to.kid()
        )
    }

    /// A token whose `user_payload` is `payload`, signed by the trusted key.
    fn with_payload(&self, payload: &str) -> String {
        let claims = Self::claims(&format!(
            r#""user_payload":{}"#,
            serde_json::Value::String(payload.to_owned())
        ));
        self.signed(&self.header(), &claims)
    }
}

fn sign_segments(signer: &dyn josekit::jws::JwsSigner, h: &str, p: &str) -> String {
    let input = format!("{h}.{p}");
    let sig = signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(sig))
}

/// Runs one hostile input against the lab.
type Attempt = Box<dyn Fn(&Lab) -> chatseal::Result<()>>;

/// One hostile input and what it must produce.
struct Case {
    attack: String,
    want: ErrorKind,
    run: Attempt,
}

/// A token for the default verifier.
fn token(attack: impl Into<String>, want: ErrorKind, token: String) -> Case {
    Case {
        attack: attack.into(),
        want,
        run: Box::new(move |lab| lab.verifier.verify_at(&token, now()).map(drop)),
    }
}

/// A token for the verifier with the 2 MiB size limit.
fn big_token(attack: impl Into<String>, want: ErrorKind, token: String) -> Case {
    Case {
        attack: attack.into(),
        want,
        run: Box::new(move |lab| lab.big_verifier.verify_at(&token, now()).map(drop)),
    }
}

/// A token for the verifier that decrypts the `wxo` format.
fn wxo_token(attack: impl Into<String>, want: ErrorKind, token: String) -> Case {
    Case {
        attack: attack.into(),
        want,
        run: Box::new(move |lab| lab.wxo_verifier.verify_at(&token, now()).map(drop)),
    }
}

/// Any other call that must fail.
fn call<T>(
    attack: impl Into<String>,
    want: ErrorKind,
    f: impl Fn(&Lab) -> chatseal::Result<T> + 'static,
) -> Case {
    Case {
        attack: attack.into(),
        want,
        run: Box::new(move |lab| f(lab).map(drop)),
    }
}

/// Runs every case; reports all mismatches at once.
fn run_all(lab: &Lab, cases: Vec<Case>) {
    let mut failures = Vec::new();
    let n = cases.len();
    let mut slowest = (Duration::ZERO, String::new());
    for case in cases {
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| (case.run)(lab)));
        let took = start.elapsed();
        let got = match outcome {
            Err(_) => Err("PANICKED".to_owned()),
            Ok(Ok(())) => Err("ACCEPTED".to_owned()),
            Ok(Err(e)) if e.kind() == case.want => Ok(()),
            Ok(Err(e)) => Err(format!("{:?} ({e})", e.kind())),
        };
        if let Err(got) = got {
            failures.push(format!("{}: want {:?}, got {got}", case.attack, case.want));
        }
        if took > slowest.0 {
            slowest = (took, case.attack.clone());
        }
        if took > TIME_BOUND {
            failures.push(format!(
                "{}: took {took:?} (bound {TIME_BOUND:?})",
                case.attack
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} attack cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
    eprintln!(
        "{n} attack cases refused with their kinds; slowest {:?} ({})",
        slowest.0, slowest.1
    );
}

fn lab() -> &'static Lab {
    static LAB: std::sync::OnceLock<Lab> = std::sync::OnceLock::new();
    LAB.get_or_init(Lab::new)
}

/// A JWE of `{"sso_token":"sso-secret"}` built by [`Lab::jwe`], as chatseal
/// would write it.
fn good_jwe(lab: &Lab, to: &PlatformDecryptionKey) -> [String; 5] {
    lab.jwe(
        to,
        &lab.jwe_header(to, ""),
        &[9u8; 32],
        &josekit::jwe::enc::A256GCM,
        br#"{"sso_token":"sso-secret"}"#,
    )
}

#[test]
fn baseline_the_harness_builds_tokens_chatseal_accepts() {
    let lab = lab();
    // Hand-built header and claims, signed through josekit.
    let t = lab.signed(&lab.header(), &Lab::claims(""));
    let v = lab.verifier.verify_at(&t, now()).unwrap();
    assert_eq!(v.subject(), "user-42");
    // Without kid too.
    let t = lab.signed(r#"{"alg":"RS256"}"#, &Lab::claims(""));
    lab.verifier.verify_at(&t, now()).unwrap();
    // A hand-built JWE in user_payload decrypts.
    let t = lab.with_payload(&good_jwe(lab, &lab.platform).join("."));
    let v = lab.verifier.verify_at(&t, now()).unwrap();
    assert_eq!(v.sso_token().unwrap().expose_secret(), "sso-secret");
    // claims_without keeps the claims valid when the member is put back.
    let t = lab.signed(
        &lab.header(),
        &Lab::claims_without("exp", &format!(r#""exp":{}"#, NOW + 60)),
    );
    lab.verifier.verify_at(&t, now()).unwrap();
    // The same for a chatseal-minted token.
    let issuer = Issuer::builder(lab.trusted.clone())
        .issuer(ISS)
        .audience(AUD)
        .platform_key(lab.platform.encryption_key().clone(), PayloadFormat::Jwe)
        .build()
        .unwrap();
    let minted = issuer
        .mint_at(
            &TokenRequest::new("user-42").sso_token(SsoToken::new("sso-secret")),
            now(),
        )
        .unwrap();
    lab.verifier.verify_at(&minted, now()).unwrap();
}

#[test]
fn header_attacks() {
    let lab = lab();
    let claims = Lab::claims("");
    let p = b64(&claims);
    let mut cases = Vec::new();

    // alg: none in every casing, with an empty and with a bogus signature.
    for none in ["none", "None", "NONE", "nOnE"] {
        let h = b64(format!(r#"{{"alg":"{none}","typ":"JWT"}}"#));
        cases.push(token(
            format!("alg {none}, empty signature"),
            ErrorKind::AlgorithmNone,
            format!("{h}.{p}."),
        ));
        cases.push(token(
            format!("alg {none}, bogus signature"),
            ErrorKind::AlgorithmNone,
            format!("{h}.{p}.{}", b64([0u8; 256])),
        ));
        let h = b64(format!(
            r#"{{"alg":"{none}","kid":"{}"}}"#,
            lab.trusted.kid()
        ));
        cases.push(token(
            format!("alg {none} with the trusted kid"),
            ErrorKind::AlgorithmNone,
            format!("{h}.{p}."),
        ));
    }

    // HMAC with the RSA public key (what the verifier has) as the secret.
    let spki_pem = lab.trusted.verifying_key().to_spki_pem().unwrap();
    let spki_der = lab.trusted.verifying_key().to_spki_der().unwrap();
    for (what, secret) in [
        ("SPKI PEM", spki_pem.as_bytes()),
        ("SPKI DER", &spki_der[..]),
    ] {
        for (alg, hmac) in [
            ("HS256", &josekit::jws::HS256),
            ("HS384", &josekit::jws::HS384),
            ("HS512", &josekit::jws::HS512),
        ] {
            let signer = hmac.signer_from_bytes(secret).unwrap();
            for kid in [None, Some(lab.trusted.kid())] {
                let h = match kid {
                    Some(k) => format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"{k}"}}"#),
                    None => format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#),
                };
                cases.push(token(
                    format!("{alg} keyed with the public key's {what}, kid {kid:?}"),
                    ErrorKind::HmacAlgorithm,
                    sign_segments(&signer, &b64(h), &p),
                ));
            }
        }
    }

    // Keys and key locations in the header, pointing to the attacker's key.
    let attacker_jwk = lab.attacker.verifying_key().to_jwk().to_json();
    let attacker_der = STANDARD.encode(lab.attacker.verifying_key().to_spki_der().unwrap());
    for (member, value) in [
        ("jwk", attacker_jwk.clone()),
        ("jku", r#""https://attacker.example/jwks.json""#.to_owned()),
        ("x5u", r#""https://attacker.example/cert.pem""#.to_owned()),
        ("x5c", format!(r#"["{attacker_der}"]"#)),
    ] {
        for kid in ["", r#","kid":"host-2026""#] {
            let h = format!(r#"{{"alg":"RS256","typ":"JWT"{kid},"{member}":{value}}}"#);
            cases.push(token(
                format!(
                    "embedded `{member}` (attacker-signed, kid {:?})",
                    !kid.is_empty()
                ),
                ErrorKind::EmbeddedKey,
                lab.signed_by_attacker(&h, &claims),
            ));
        }
    }

    // kid with path, SQL and other hostile characters.
    for kid in [
        "../../etc/passwd",
        "/dev/null",
        "' OR 1=1 --",
        "\" OR \"\"=\"",
        "host-2026\u{0}",
        "host-2026 ",
        "HOST-2026",
        "*",
        "",
        "\u{202e}6202-tsoh",
    ] {
        let h = format!(
            r#"{{"alg":"RS256","typ":"JWT","kid":{}}}"#,
            serde_json::Value::String(kid.to_owned())
        );
        cases.push(token(
            format!("kid {kid:?}"),
            ErrorKind::UnknownKeyId,
            lab.signed_by_attacker(&h, &claims),
        ));
    }
    let long_kid = "k".repeat(10_000);
    cases.push(token(
        "kid of 10,000 characters",
        ErrorKind::UnknownKeyId,
        lab.signed_by_attacker(&format!(r#"{{"alg":"RS256","kid":"{long_kid}"}}"#), &claims),
    ));

    // crit.
    for crit in [
        r#""crit":["exp"],"exp":1"#,
        r#""crit":["b64"],"b64":false"#,
        r#""crit":[]"#,
        r#""crit":"b64""#,
    ] {
        let h = format!(r#"{{"alg":"RS256","kid":"{}",{crit}}}"#, lab.trusted.kid());
        cases.push(token(
            format!("crit {crit}"),
            ErrorKind::UnsupportedCritical,
            lab.signed(&h, &claims),
        ));
    }

    // Duplicate header members: the first or the last one could win in
    // another parser, so neither may.
    let kid = lab.trusted.kid();
    for h in [
        format!(r#"{{"alg":"RS256","alg":"none","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"none","alg":"RS256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","kid":"other"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","typ":"JWT","typ":"JWT"}}"#),
    ] {
        cases.push(token(
            format!("duplicate header member: {h}"),
            ErrorKind::InvalidJson,
            lab.signed(&h, &claims),
        ));
    }

    // Algorithm confusion among the asymmetric ones.
    for (alg, want) in [
        ("ES256", ErrorKind::AlgorithmNotAllowed),
        ("PS256", ErrorKind::AlgorithmNotAllowed),
        ("RS512", ErrorKind::UnsupportedAlgorithm),
        ("rs256", ErrorKind::UnsupportedAlgorithm),
        // Ed25519 under its old name: known, but not the verifier's.
        ("EdDSA", ErrorKind::AlgorithmNotAllowed),
        ("Ed25519", ErrorKind::AlgorithmNotAllowed),
        ("Ed448", ErrorKind::UnsupportedAlgorithm),
    ] {
        let h = format!(r#"{{"alg":"{alg}","kid":"{kid}"}}"#);
        cases.push(token(format!("alg {alg}"), want, lab.signed(&h, &claims)));
    }

    // Header shape.
    for (h, want) in [
        (r#"{"typ":"JWT"}"#.to_owned(), ErrorKind::MalformedToken),
        (r#"{"alg":["RS256"]}"#.to_owned(), ErrorKind::InvalidJson),
        (r#"["RS256"]"#.to_owned(), ErrorKind::InvalidJson),
        (r#""RS256""#.to_owned(), ErrorKind::InvalidJson),
        (
            format!(r#"{{"alg":"RS256","kid":{kid:?},"typ":"JWE"}}"#),
            ErrorKind::MalformedToken,
        ),
        (
            format!(r#"{{"alg":"RS256","kid":{kid:?}}},"#),
            ErrorKind::InvalidJson,
        ),
    ] {
        cases.push(token(format!("header {h}"), want, lab.signed(&h, &claims)));
    }

    run_all(lab, cases);
}

#[test]
fn signature_attacks() {
    let lab = lab();
    let claims = Lab::claims("");
    let h = lab.header();
    let mut cases = vec![
        token(
            "signed by another key with the same kid",
            ErrorKind::InvalidSignature,
            lab.signed_by_attacker(&h, &claims),
        ),
        token(
            "signed by another key, no kid",
            ErrorKind::InvalidSignature,
            lab.signed_by_attacker(r#"{"alg":"RS256"}"#, &claims),
        ),
    ];
    // A chatseal-minted token of the attacker (its kid equals the trusted one).
    let forged = Issuer::builder(lab.attacker.clone())
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap()
        .mint_at(&TokenRequest::new("admin"), now())
        .unwrap();
    cases.push(token(
        "minted by chatseal with another key under the same kid",
        ErrorKind::InvalidSignature,
        forged,
    ));
    // A valid token whose claims are swapped for other (valid) claims.
    let good = lab.signed(&h, &claims);
    let parts: Vec<&str> = good.split('.').collect();
    let other = b64(Lab::claims_without("sub", r#""sub":"admin""#));
    cases.push(token(
        "claims swapped after signing",
        ErrorKind::InvalidSignature,
        format!("{}.{other}.{}", parts[0], parts[2]),
    ));
    // The signature cut, extended, zeroed or emptied of its bytes.
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    for (what, s) in [
        ("truncated by one byte", sig[..sig.len() - 1].to_vec()),
        ("one byte longer", [&sig[..], &[0]].concat()),
        ("all zero", vec![0u8; sig.len()]),
        ("a single zero byte", vec![0u8]),
    ] {
        cases.push(token(
            format!("signature {what}"),
            ErrorKind::InvalidSignature,
            format!("{}.{}.{}", parts[0], parts[1], b64(s)),
        ));
    }
    cases.push(token(
        "empty signature segment",
        ErrorKind::MalformedToken,
        format!("{}.{}.", parts[0], parts[1]),
    ));
    run_all(lab, cases);
}

#[test]
fn claim_attacks() {
    let lab = lab();
    let h = lab.header();
    let mut cases = Vec::new();

    // Duplicate claims, validly signed so the claims parser is reached.
    for (what, claims) in [
        (
            "duplicate exp (a later, longer one)",
            Lab::claims(&format!(r#""exp":{}"#, NOW + 999_999)),
        ),
        ("duplicate sub", Lab::claims(r#""sub":"admin""#)),
        ("duplicate aud", Lab::claims(r#""aud":"other""#)),
        (
            "duplicate member inside context",
            Lab::claims(r#""context":{"role":"user","role":"admin"}"#),
        ),
    ] {
        cases.push(token(what, ErrorKind::InvalidJson, lab.signed(&h, &claims)));
    }

    // Huge numbers in exp. serde_json reads integers beyond u64 as f64;
    // 1e400 is beyond f64 and is refused by the JSON parser itself.
    for (value, want) in [
        ("1e400", ErrorKind::InvalidJson),
        ("-1e400", ErrorKind::InvalidJson),
        ("18446744073709551616", ErrorKind::InvalidClaim), // 2^64
        ("18446744073709551615", ErrorKind::InvalidClaim), // u64::MAX
        ("9223372036854775807", ErrorKind::InvalidClaim),  // i64::MAX
        ("99999999999999999999", ErrorKind::InvalidClaim),
        ("253402300800", ErrorKind::InvalidClaim), // year 10000
        ("1e10", ErrorKind::InvalidClaim),
    ] {
        cases.push(token(
            format!("exp {value}"),
            want,
            lab.signed(
                &h,
                &Lab::claims_without("exp", &format!(r#""exp":{value}"#)),
            ),
        ));
    }
    // iat/nbf huge.
    for name in ["iat", "nbf"] {
        cases.push(token(
            format!("{name} 2^64"),
            ErrorKind::InvalidClaim,
            lab.signed(
                &h,
                &Lab::claims_without(name, &format!(r#""{name}":18446744073709551616"#)),
            ),
        ));
    }

    // Negative, fractional and mistyped times.
    let exp = NOW + 600;
    for (name, value) in [
        ("exp", "-1".to_owned()),
        ("exp", format!("{exp}.0")),
        ("exp", format!("{exp}.5")),
        ("exp", format!("\"{exp}\"")),
        ("exp", "null".to_owned()),
        ("exp", "true".to_owned()),
        ("iat", "-5".to_owned()),
        ("iat", format!("{NOW}.25")),
        ("nbf", "-9223372036854775808".to_owned()),
        ("nbf", "1.5".to_owned()),
    ] {
        cases.push(token(
            format!("{name} {value}"),
            ErrorKind::InvalidClaim,
            lab.signed(
                &h,
                &Lab::claims_without(name, &format!(r#""{name}":{value}"#)),
            ),
        ));
    }

    // Nested JWT: a signed token whose payload is itself a JWT.
    let inner = lab.signed(&h, &Lab::claims(""));
    cases.push(token(
        "nested JWT with cty: JWT",
        ErrorKind::MalformedToken,
        sign_segments(
            &lab.trusted_signer,
            &b64(format!(
                r#"{{"alg":"RS256","kid":"{}","cty":"JWT"}}"#,
                lab.trusted.kid()
            )),
            &b64(&inner),
        ),
    ));
    cases.push(token(
        "nested JWT as the raw payload, no cty",
        ErrorKind::InvalidJson,
        sign_segments(&lab.trusted_signer, &b64(&h), &b64(&inner)),
    ));
    cases.push(token(
        "nested JWT as a JSON string payload",
        ErrorKind::InvalidJson,
        lab.signed(&h, &format!("\"{inner}\"")),
    ));

    // Claims that are not an object, or have other types.
    for (what, claims, want) in [
        (
            "claims are an array",
            "[1]".to_owned(),
            ErrorKind::InvalidJson,
        ),
        ("claims are null", "null".to_owned(), ErrorKind::InvalidJson),
        (
            "claims with trailing data",
            Lab::claims("") + "x",
            ErrorKind::InvalidJson,
        ),
        (
            "claims in UTF-16",
            "\u{feff}{}".to_owned(),
            ErrorKind::InvalidJson,
        ),
        (
            "sub is a number",
            Lab::claims_without("sub", r#""sub":42"#),
            ErrorKind::InvalidClaim,
        ),
        (
            "aud holds a number",
            Lab::claims_without("aud", r#""aud":["chat",1]"#),
            ErrorKind::InvalidClaim,
        ),
        (
            "aud with 65 entries",
            Lab::claims_without(
                "aud",
                &format!(r#""aud":[{}]"#, vec!["\"chat\""; 65].join(",")),
            ),
            ErrorKind::InvalidClaim,
        ),
        (
            "context is a string",
            Lab::claims(r#""context":"admin""#),
            ErrorKind::InvalidClaim,
        ),
        (
            "user_payload is an object",
            Lab::claims(r#""user_payload":{"sso_token":"x"}"#),
            ErrorKind::InvalidClaim,
        ),
    ] {
        cases.push(token(what, want, lab.signed(&h, &claims)));
    }
    run_all(lab, cases);
}

#[test]
fn payload_attacks() {
    let lab = lab();
    let mut cases = Vec::new();
    let good = good_jwe(lab, &lab.platform);

    // A JWS where the JWE belongs, and a JWE where the JWS belongs.
    let jws = lab.signed(&lab.header(), &Lab::claims(""));
    cases.push(token(
        "user_payload is a JWS",
        ErrorKind::MalformedToken,
        lab.with_payload(&jws),
    ));
    cases.push(token(
        "a JWE presented as the token",
        ErrorKind::MalformedToken,
        good.join("."),
    ));
    cases.push(token(
        "user_payload with 6 segments",
        ErrorKind::MalformedToken,
        lab.with_payload(&format!("{}.x", good.join("."))),
    ));

    // Tag, IV and CEK of the wrong length, ciphertext or tag tampered.
    let with = |i: usize, seg: String| {
        let mut parts = good.clone();
        parts[i] = seg;
        lab.with_payload(&parts.join("."))
    };
    let tag = URL_SAFE_NO_PAD.decode(&good[4]).unwrap();
    let ct = URL_SAFE_NO_PAD.decode(&good[3]).unwrap();
    for (what, t) in [
        ("JWE tag truncated to 15 bytes", with(4, b64(&tag[..15]))),
        ("JWE tag truncated to 12 bytes", with(4, b64(&tag[..12]))),
        ("JWE tag truncated to 1 byte", with(4, b64(&tag[..1]))),
        ("JWE tag empty", with(4, String::new())),
        ("JWE tag 17 bytes", with(4, b64([&tag[..], &[0]].concat()))),
        ("JWE IV of 8 bytes", with(2, b64([7u8; 8]))),
        ("JWE IV of 16 bytes", with(2, b64([7u8; 16]))),
        ("JWE IV empty", with(2, String::new())),
        ("JWE IV changed", with(2, b64([8u8; 12]))),
        ("JWE ciphertext one bit flipped", {
            let mut c = ct.clone();
            c[0] ^= 1;
            with(3, b64(c))
        }),
        (
            "JWE ciphertext truncated",
            with(3, b64(&ct[..ct.len() - 1])),
        ),
        ("JWE encrypted key empty", with(1, String::new())),
        (
            "JWE encrypted key truncated",
            with(1, {
                let ek = URL_SAFE_NO_PAD.decode(&good[1]).unwrap();
                b64(&ek[..ek.len() - 1])
            }),
        ),
        (
            "JWE protected header swapped (AAD mismatch)",
            with(0, b64(lab.jwe_header(&lab.platform, r#","x":1"#))),
        ),
    ] {
        cases.push(token(what, ErrorKind::DecryptionFailed, t));
    }

    // A CEK of the wrong length, under a correctly RSA-OAEP-256-encrypted
    // key: 16 bytes, with the content really encrypted with AES-128-GCM
    // under it (an implementation that picks AES by key length would open it).
    for (what, cek, content) in [
        (
            "JWE CEK of 16 bytes (A128GCM content)",
            vec![3u8; 16],
            &josekit::jwe::enc::A128GCM as &dyn josekit::jwe::JweContentEncryption,
        ),
        (
            "JWE CEK of 24 bytes (A192GCM content)",
            vec![3u8; 24],
            &josekit::jwe::enc::A192GCM,
        ),
    ] {
        let parts = lab.jwe(
            &lab.platform,
            &lab.jwe_header(&lab.platform, ""),
            &cek,
            content,
            br#"{"sso_token":"sso-secret"}"#,
        );
        cases.push(token(
            what,
            ErrorKind::DecryptionFailed,
            lab.with_payload(&parts.join(".")),
        ));
    }
    // A 64-byte CEK (A256CBC-HS512 size) cannot be used with A256GCM either.
    let parts = lab.jwe(
        &lab.platform,
        &lab.jwe_header(&lab.platform, ""),
        &[5u8; 32],
        &josekit::jwe::enc::A256GCM,
        br#"{"sso_token":"sso-secret"}"#,
    );
    let ek64 = {
        let spki = lab.platform.encryption_key().to_spki_pem().unwrap();
        let enc = josekit::jwe::RSA_OAEP_256
            .encrypter_from_pem(spki.as_bytes())
            .unwrap();
        enc.encrypt(&[5u8; 64], &JweHeader::new(), &mut JweHeader::new())
            .unwrap()
            .unwrap()
    };
    let mut p = parts.clone();
    p[1] = b64(ek64);
    cases.push(token(
        "JWE CEK of 64 bytes",
        ErrorKind::DecryptionFailed,
        lab.with_payload(&p.join(".")),
    ));

    // Encrypted to another key: with that key's kid, and with ours.
    let other = good_jwe(lab, &lab.other_platform);
    cases.push(token(
        "JWE encrypted to another key",
        ErrorKind::DecryptionFailed,
        lab.with_payload(&other.join(".")),
    ));
    let other = lab.jwe(
        &lab.other_platform,
        &lab.jwe_header(&lab.platform, ""),
        &[9u8; 32],
        &josekit::jwe::enc::A256GCM,
        br#"{"sso_token":"sso-secret"}"#,
    );
    cases.push(token(
        "JWE encrypted to another key, labelled with our kid",
        ErrorKind::DecryptionFailed,
        lab.with_payload(&other.join(".")),
    ));
    // Minted by chatseal to another platform key.
    let minted = Issuer::builder(lab.trusted.clone())
        .issuer(ISS)
        .audience(AUD)
        .platform_key(
            lab.other_platform.encryption_key().clone(),
            PayloadFormat::Jwe,
        )
        .build()
        .unwrap()
        .mint_at(
            &TokenRequest::new("user-42").sso_token(SsoToken::new("sso-secret")),
            now(),
        )
        .unwrap();
    cases.push(token(
        "chatseal token whose sso_token is for another platform key",
        ErrorKind::DecryptionFailed,
        minted,
    ));
    // Decrypts, but the plaintext is not the expected JSON.
    for plain in [
        &b"not json"[..],
        br#"{"sso_token":1}"#,
        br#"["sso_token"]"#,
        br#"{"sso_token":"a","sso_token":"b"}"#,
    ] {
        let parts = lab.jwe(
            &lab.platform,
            &lab.jwe_header(&lab.platform, ""),
            &[9u8; 32],
            &josekit::jwe::enc::A256GCM,
            plain,
        );
        cases.push(token(
            format!("JWE plaintext {:?}", String::from_utf8_lossy(plain)),
            ErrorKind::DecryptionFailed,
            lab.with_payload(&parts.join(".")),
        ));
    }

    // JWE header attacks.
    for (extra, want) in [
        (r#","zip":"DEF""#, ErrorKind::CompressionNotSupported),
        (r#","zip":"none""#, ErrorKind::CompressionNotSupported),
        (r#","crit":["exp"]"#, ErrorKind::UnsupportedCritical),
        (
            r#","jku":"https://attacker.example/k""#,
            ErrorKind::EmbeddedKey,
        ),
        (r#","epk":{"kty":"EC"}"#, ErrorKind::EmbeddedKey),
        (r#","enc":"A128GCM""#, ErrorKind::InvalidJson), // duplicate `enc`
    ] {
        let parts = lab.jwe(
            &lab.platform,
            &lab.jwe_header(&lab.platform, extra),
            &[9u8; 32],
            &josekit::jwe::enc::A256GCM,
            br#"{"sso_token":"sso-secret"}"#,
        );
        cases.push(token(
            format!("JWE header with {extra}"),
            want,
            lab.with_payload(&parts.join(".")),
        ));
    }
    for (alg, enc) in [
        ("RSA1_5", "A256GCM"),
        ("dir", "A256GCM"),
        ("RSA-OAEP-256", "A128CBC-HS256"),
    ] {
        let h = format!(r#"{{"alg":"{alg}","enc":"{enc}"}}"#);
        let mut parts = good.clone();
        parts[0] = b64(h);
        cases.push(token(
            format!("JWE alg {alg} enc {enc}"),
            ErrorKind::UnsupportedAlgorithm,
            lab.with_payload(&parts.join(".")),
        ));
    }

    // IBM's `wxo` format: standard base64 of RSA-OAEP-SHA-1 blocks.
    let wxo_issuer = Issuer::builder(lab.trusted.clone())
        .issuer(ISS)
        .audience(AUD)
        .platform_key(lab.platform.encryption_key().clone(), PayloadFormat::Wxo)
        .build()
        .unwrap();
    let wxo = wxo_issuer
        .mint_at(
            &TokenRequest::new("user-42").sso_token(SsoToken::new("sso-secret")),
            now(),
        )
        .unwrap();
    let v = lab.wxo_verifier.verify_at(&wxo, now()).unwrap();
    assert_eq!(v.sso_token().unwrap().expose_secret(), "sso-secret");
    let (_, claims) = dangerous::insecure_decode(&wxo).unwrap();
    let blocks = STANDARD
        .decode(claims["user_payload"].as_str().unwrap())
        .unwrap();
    for (what, payload, want) in [
        (
            "wxo payload in the URL-safe alphabet without padding",
            URL_SAFE_NO_PAD.encode(&blocks),
            ErrorKind::InvalidBase64,
        ),
        (
            "wxo payload one byte short of a block",
            STANDARD.encode(&blocks[..blocks.len() - 1]),
            ErrorKind::DecryptionFailed,
        ),
        (
            "wxo payload with a block bit flipped",
            STANDARD.encode({
                let mut b = blocks.clone();
                b[10] ^= 1;
                b
            }),
            ErrorKind::DecryptionFailed,
        ),
        (
            "wxo payload empty",
            String::new(),
            ErrorKind::DecryptionFailed,
        ),
        (
            "wxo payload of zero blocks of the right size",
            STANDARD.encode(vec![0u8; 256]),
            ErrorKind::DecryptionFailed,
        ),
        (
            "a JWE where the wxo format is expected",
            good.join("."),
            ErrorKind::MalformedToken,
        ),
        (
            "a JWS where the wxo format is expected",
            jws.clone(),
            ErrorKind::InvalidBase64,
        ),
    ] {
        cases.push(wxo_token(what, want, lab.with_payload(&payload)));
    }
    cases.push(token(
        "a wxo payload where a JWE is expected",
        ErrorKind::MalformedToken,
        wxo,
    ));
    run_all(lab, cases);
}

#[test]
fn encoding_and_size_attacks() {
    let lab = lab();
    let h = lab.header();
    let claims = Lab::claims("");
    let good = lab.signed(&h, &claims);
    let parts: Vec<&str> = good.split('.').collect();
    let mut cases = Vec::new();

    // Padding and the standard alphabet, in each segment. The claims variant
    // is signed over the padded text, so that the signature check passes and
    // the claims decoder is the one that refuses.
    cases.push(token(
        "header with `=` padding",
        ErrorKind::InvalidBase64,
        format!("{}==.{}.{}", parts[0], parts[1], parts[2]),
    ));
    cases.push(token(
        "signature with `=` padding",
        ErrorKind::InvalidBase64,
        format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
    ));
    let padded_claims = STANDARD.encode(&claims);
    assert!(
        padded_claims.ends_with('='),
        "pick claims whose encoding pads"
    );
    cases.push(token(
        "claims in padded standard base64 (signed)",
        ErrorKind::InvalidBase64,
        sign_segments(&lab.trusted_signer, &b64(&h), &padded_claims),
    ));
    // A header whose base64 holds `+` and `/` in the standard alphabet.
    let odd = format!(
        r#"{{"alg":"RS256","kid":"{}","x":"???>>>???>>>"}}"#,
        lab.trusted.kid()
    );
    let std_h = STANDARD.encode(&odd).trim_end_matches('=').to_owned();
    assert!(std_h.contains('+') || std_h.contains('/'), "{std_h}");
    cases.push(token(
        "header in the standard alphabet (`+`, `/`)",
        ErrorKind::InvalidBase64,
        sign_segments(&lab.trusted_signer, &std_h, &b64(&claims)),
    ));
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let std_sig = STANDARD.encode(&sig);
    if std_sig.contains('+') || std_sig.contains('/') {
        cases.push(token(
            "signature in the standard alphabet",
            ErrorKind::InvalidBase64,
            format!(
                "{}.{}.{}",
                parts[0],
                parts[1],
                std_sig.trim_end_matches('=')
            ),
        ));
    }
    for (what, t) in [
        (
            "whitespace inside the header",
            format!("{} .{}.{}", parts[0], parts[1], parts[2]),
        ),
        (
            "non-ASCII in the header",
            format!("{}é.{}.{}", parts[0], parts[1], parts[2]),
        ),
        (
            "stray trailing bits in the header",
            format!("{}.{}.{}", stray_bits(&h), parts[1], parts[2]),
        ),
    ] {
        cases.push(token(what, ErrorKind::InvalidBase64, t));
    }

    // Structure.
    for (what, t) in [
        ("two segments", format!("{}.{}", parts[0], parts[1])),
        ("four segments", format!("{good}.x")),
        ("empty header", format!(".{}.{}", parts[1], parts[2])),
        ("empty claims", format!("{}..{}", parts[0], parts[2])),
        ("empty token", String::new()),
        ("only dots", "....".to_owned()),
    ] {
        cases.push(token(what, ErrorKind::MalformedToken, t));
    }

    // One-megabyte tokens.
    let mb = 1 << 20;
    cases.push(token(
        "1 MiB of `a`",
        ErrorKind::TokenTooLarge,
        "a".repeat(mb),
    ));
    cases.push(token(
        "1 MiB of dots",
        ErrorKind::TokenTooLarge,
        ".".repeat(mb),
    ));
    let huge_claims = Lab::claims(&format!(r#""pad":"{}""#, "x".repeat(mb)));
    cases.push(token(
        "1 MiB token, validly signed",
        ErrorKind::TokenTooLarge,
        lab.signed(&h, &huge_claims),
    ));
    cases.push(call(
        "1 MiB + 1 token to dangerous::insecure_decode",
        ErrorKind::TokenTooLarge,
        move |_| dangerous::insecure_decode(&"a".repeat(mb + 1)),
    ));

    // Deep nesting: 10,000 levels of arrays in a signed claim. Over the
    // default size limit it is refused by size; under a 2 MiB limit it
    // reaches the JSON parser, which refuses it by depth (no stack overflow).
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_claims = Lab::claims(&format!(r#""deep":{deep}"#));
    let deep_token = lab.signed(&h, &deep_claims);
    cases.push(token(
        "10,000 nested arrays in a claim (default size limit)",
        ErrorKind::TokenTooLarge,
        deep_token.clone(),
    ));
    cases.push(big_token(
        "10,000 nested arrays in a claim (2 MiB limit)",
        ErrorKind::InvalidJson,
        deep_token,
    ));
    let deep_obj = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    cases.push(big_token(
        "10,000 nested objects in a claim (2 MiB limit)",
        ErrorKind::InvalidJson,
        lab.signed(&h, &Lab::claims(&format!(r#""deep":{deep_obj}"#))),
    ));
    cases.push(big_token(
        "100,000 nested arrays in the header (unsigned)",
        ErrorKind::InvalidJson,
        format!(
            "{}.{}.{}",
            b64(format!(r#"{{"alg":"RS256","x":{}}}"#, "[".repeat(100_000))),
            parts[1],
            parts[2]
        ),
    ));
    cases.push(call(
        "100,000 nested arrays to dangerous::insecure_decode",
        ErrorKind::InvalidJson,
        |_| {
            let h = b64(format!(r#"{{"alg":"none","x":{}}}"#, "[".repeat(100_000)));
            dangerous::insecure_decode(&format!("{h}.e30."))
        },
    ));
    // Nested just within the limit is fine, so the limit is real.
    let ok = lab.signed(
        &h,
        &Lab::claims(&format!(r#""ok":{}{}"#, "[".repeat(8), "]".repeat(8))),
    );
    lab.verifier.verify_at(&ok, now()).unwrap();

    // A JWE payload of 1 MiB inside a big verifier: refused by decryption,
    // in bounded time.
    let mut big = good_jwe(lab, &lab.platform);
    big[3] = b64(vec![0u8; 700 * 1024]);
    cases.push(big_token(
        "700 KiB JWE ciphertext",
        ErrorKind::DecryptionFailed,
        lab.with_payload(&big.join(".")),
    ));
    run_all(lab, cases);
}

/// `header` in base64url whose last character carries a set bit that
/// encodes nothing (a lenient decoder yields the same bytes).
fn stray_bits(header: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // Pad with spaces (valid JSON) until the encoding ends in a partial group.
    let mut text = header.to_owned();
    while text.len() % 3 == 0 {
        text.push(' ');
    }
    let mut enc = b64(&text).into_bytes();
    let last = enc.pop().unwrap();
    let i = ALPHABET.iter().position(|&c| c == last).unwrap();
    assert_eq!(
        i & 1,
        0,
        "the unused low bits of a canonical encoding are zero"
    );
    enc.push(ALPHABET[i | 1]);
    let out = String::from_utf8(enc).unwrap();
    // A lenient decoder really would read the same header.
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
    );
    assert_eq!(lenient.decode(&out).unwrap(), text.as_bytes());
    out
}

#[test]
fn malformed_key_files() {
    let lab = lab();
    let client_pem = lab.trusted.to_pkcs8_pem().unwrap();
    let client_pem = client_pem.expose_secret().to_owned();
    let platform_pem = lab.platform.to_pkcs8_pem().unwrap();
    let platform_pem = platform_pem.expose_secret().to_owned();
    let spki = lab.trusted.verifying_key().to_spki_pem().unwrap();
    let half = |s: &str| s[..s.len() / 2].to_owned();
    let body_cut = |s: &str| {
        // Keep the BEGIN and END lines, drop the middle of the body.
        let lines: Vec<&str> = s.lines().collect();
        let mut out = vec![lines[0]];
        out.extend(&lines[1..lines.len() / 2]);
        out.push(lines[lines.len() - 1]);
        out.join("\n")
    };
    let relabel = |s: &str, from: &str, to: &str| s.replace(from, to);
    let mut cases = Vec::new();

    // Truncated.
    for (what, client, platform) in [
        ("cut in half", half(&client_pem), half(&platform_pem)),
        (
            "body cut, END line kept",
            body_cut(&client_pem),
            body_cut(&platform_pem),
        ),
        ("empty", String::new(), String::new()),
        (
            "BEGIN line only",
            "-----BEGIN PRIVATE KEY-----\n".to_owned(),
            "-----BEGIN PRIVATE KEY-----\n".to_owned(),
        ),
    ] {
        cases.push(call(
            format!("client private key PEM {what}"),
            ErrorKind::InvalidKey,
            move |_| ClientSigningKey::from_pem(&client, Algorithm::RS256),
        ));
        cases.push(call(
            format!("platform private key PEM {what}"),
            ErrorKind::InvalidKey,
            move |_| PlatformDecryptionKey::from_pem(&platform),
        ));
    }
    let t = half(&spki);
    cases.push(call(
        "public key PEM cut in half",
        ErrorKind::InvalidKey,
        move |_| ClientVerifyingKey::from_spki_pem(&t, Algorithm::RS256),
    ));
    let t = body_cut(&spki);
    cases.push(call(
        "public key PEM body cut",
        ErrorKind::InvalidKey,
        move |_| PlatformEncryptionKey::from_spki_pem(&t),
    ));

    // Wrong label.
    let t = relabel(&client_pem, "PRIVATE KEY", "CERTIFICATE");
    cases.push(call(
        "private key labelled CERTIFICATE",
        ErrorKind::InvalidKey,
        move |_| ClientSigningKey::from_pem(&t, Algorithm::RS256),
    ));
    let t = relabel(&client_pem, "PRIVATE KEY", "PUBLIC KEY");
    cases.push(call(
        "private key labelled PUBLIC KEY",
        ErrorKind::InvalidKey,
        move |_| ClientVerifyingKey::from_spki_pem(&t, Algorithm::RS256),
    ));
    let t = spki.clone();
    cases.push(call(
        "public key given as a private key",
        ErrorKind::InvalidKey,
        move |_| ClientSigningKey::from_pem(&t, Algorithm::RS256),
    ));
    let t = client_pem.clone();
    cases.push(call(
        "private key given as a public key",
        ErrorKind::InvalidKey,
        move |_| PlatformEncryptionKey::from_spki_pem(&t),
    ));
    let t = relabel(
        &client_pem,
        "-----END PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
    );
    cases.push(call(
        "BEGIN and END labels differ",
        ErrorKind::InvalidKey,
        move |_| ClientSigningKey::from_pem(&t, Algorithm::RS256),
    ));
    let t = format!("{client_pem}{client_pem}");
    cases.push(call("two PEM blocks", ErrorKind::InvalidKey, move |_| {
        ClientSigningKey::from_pem(&t, Algorithm::RS256)
    }));

    // RSA-1024.
    for (file, pkcs1) in [("rsa1024.key.pem", false), ("rsa1024.pkcs1.key.pem", true)] {
        let t = fixture(file);
        let t2 = t.clone();
        cases.push(call(
            format!("RSA-1024 client key ({file})"),
            ErrorKind::WeakKey,
            move |_| ClientSigningKey::from_pem(&t, Algorithm::RS256),
        ));
        cases.push(call(
            format!("RSA-1024 platform key ({file}, pkcs1 {pkcs1})"),
            ErrorKind::WeakKey,
            move |_| PlatformDecryptionKey::from_pem(&t2),
        ));
    }
    let t = fixture("rsa1024.pub.pem");
    let t2 = t.clone();
    cases.push(call("RSA-1024 public key", ErrorKind::WeakKey, move |_| {
        ClientVerifyingKey::from_spki_pem(&t, Algorithm::RS256)
    }));
    cases.push(call(
        "RSA-1024 platform public key",
        ErrorKind::WeakKey,
        move |_| PlatformEncryptionKey::from_spki_pem(&t2),
    ));

    // EC on other curves.
    for curve in ["p384", "p521", "secp256k1"] {
        let key = fixture(&format!("{curve}.key.pem"));
        let public = fixture(&format!("{curve}.pub.pem"));
        cases.push(call(
            format!("EC {curve} private key for ES256"),
            ErrorKind::WeakKey,
            move |_| ClientSigningKey::from_pem(&key, Algorithm::ES256),
        ));
        cases.push(call(
            format!("EC {curve} public key for ES256"),
            ErrorKind::WeakKey,
            move |_| ClientVerifyingKey::from_spki_pem(&public, Algorithm::ES256),
        ));
    }
    let key = fixture("ed25519.key.pem");
    // Ed25519 keys are supported, for Ed25519 only.
    cases.push(call(
        "Ed25519 private key for ES256",
        ErrorKind::KeyRoleMismatch,
        move |_| ClientSigningKey::from_pem(&key, Algorithm::ES256),
    ));
    let public = fixture("ed25519.pub.pem");
    cases.push(call(
        "Ed25519 public key for ES256",
        ErrorKind::KeyRoleMismatch,
        move |_| ClientVerifyingKey::from_spki_pem(&public, Algorithm::ES256),
    ));

    // JWKs.
    let mut public_jwk: serde_json::Value =
        serde_json::from_str(&lab.trusted.verifying_key().to_jwk().to_json()).unwrap();
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        let mut j = public_jwk.clone();
        j[member] = serde_json::json!("AQAB");
        let one = j.to_string();
        let set = serde_json::json!({"keys": [j]}).to_string();
        cases.push(call(
            format!("JWK with private member `{member}`"),
            ErrorKind::KeyRoleMismatch,
            move |_| Jwk::from_json(&one),
        ));
        cases.push(call(
            format!("JWKS with private member `{member}`"),
            ErrorKind::KeyRoleMismatch,
            move |_| ClientVerifyingKey::from_jwks(&set),
        ));
        let mut enc = serde_json::to_value(lab.platform.encryption_key().to_jwk()).unwrap();
        enc[member] = serde_json::json!("AQAB");
        let set3 = serde_json::json!({"keys": [enc]}).to_string();
        cases.push(call(
            format!("encryption JWKS with private member `{member}`"),
            ErrorKind::KeyRoleMismatch,
            move |_| PlatformEncryptionKey::from_jwks(&set3),
        ));
    }
    // An EC JWK on P-384, and an RSA JWK of 1024 bits.
    let p384 = r#"{"kty":"EC","crv":"P-384","x":"YU4rRUzdmVqmRtWOs2OpDE_T5fsNIodcG8G5FWPrTPMyxpzsSOGaQLpe2FpxBmu2","y":"A8-yxCHxkfBz3hKZfI1jUYMjUhsEveZ9THuwFjH2sCNdtksRJU7D5-SkgaFL1ETP","alg":"ES256"}"#;
    cases.push(call("EC JWK on P-384", ErrorKind::WeakKey, move |_| {
        ClientVerifyingKey::from_jwk(&Jwk::from_json(p384)?)
    }));
    let n1024 = b64([0xc3u8; 128]);
    let rsa1024 = format!(r#"{{"kty":"RSA","n":"{n1024}","e":"AQAB"}}"#);
    cases.push(call(
        "RSA JWK of 1024 bits",
        ErrorKind::WeakKey,
        move |_| ClientVerifyingKey::from_jwk(&Jwk::from_json(&rsa1024)?),
    ));
    public_jwk["kty"] = serde_json::json!("oct");
    let oct = public_jwk.to_string();
    cases.push(call(
        "JWK of kty oct",
        ErrorKind::KeyRoleMismatch,
        move |_| ClientVerifyingKey::from_jwk(&Jwk::from_json(&oct)?),
    ));
    cases.push(call("JWK that is not JSON", ErrorKind::InvalidKey, |_| {
        Jwk::from_json("{\"kty\":")
    }));
    cases.push(call(
        "JWKS with duplicate members",
        ErrorKind::InvalidKey,
        |_| ClientVerifyingKey::from_jwks(r#"{"keys":[],"keys":[]}"#),
    ));
    run_all(lab, cases);
}
