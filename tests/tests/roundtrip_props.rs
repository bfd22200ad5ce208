//! Property tests: mint → verify round-trips arbitrary input, and no single
//! changed byte anywhere in a token gets through verification.
//!
//! - Subjects are non-empty strings of arbitrary Unicode scalar values,
//!   contexts small JSON objects of strings, numbers and booleans, sso_tokens
//!   arbitrary Unicode from empty up to 2,000 chars; both payload formats
//!   (`jwe`, `wxo`), ES256 and RS256 client keys.
//! - Flipping any one byte of a token (any position, to any other value)
//!   makes verification fail.
//!
//! Keys are generated once per run; the platform key is RSA-2048. Case counts
//! are kept moderate so the suite stays quick in debug builds.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chatseal::serde_json::{Map, Number, Value};
use chatseal::{
    Algorithm, ClientSigningKey, Issuer, PayloadFormat, PlatformDecryptionKey, RsaKeySize,
    SsoToken, TokenRequest, Verifier,
};
use proptest::prelude::*;
use proptest::sample::Index;

const ISS: &str = "https://host.example";
const AUD: &str = "chatseal-platform";

/// Tokens with a 2,000-char sso_token of escaped control characters run to
/// ~26 KiB in `wxo` form, over the verifier's 16 KiB default; the limit is
/// raised here (explicitly) so that size is not what the test measures.
const MAX_TOKEN_SIZE: usize = 64 * 1024;

struct Keys {
    es256: ClientSigningKey,
    rs256: ClientSigningKey,
    platform: PlatformDecryptionKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        es256: ClientSigningKey::generate(Algorithm::ES256).expect("ES256 key"),
        rs256: ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048)
            .expect("RS256 key"),
        platform: PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).expect("platform key"),
    })
}

fn format_index(format: PayloadFormat) -> usize {
    match format {
        PayloadFormat::Jwe => 0,
        PayloadFormat::Wxo => 1,
    }
}

/// The issuer for `alg` and `format`, built once.
fn issuer(alg: Algorithm, format: PayloadFormat) -> &'static Issuer {
    static ISSUERS: [OnceLock<Issuer>; 4] = [const { OnceLock::new() }; 4];
    let (i, key) = match alg {
        Algorithm::ES256 => (0, &keys().es256),
        Algorithm::RS256 => (2, &keys().rs256),
        other => panic!("no {other} key in these tests"),
    };
    ISSUERS[i + format_index(format)].get_or_init(|| {
        Issuer::builder(key.clone())
            .issuer(ISS)
            .audience(AUD)
            .platform_key(keys().platform.encryption_key().clone(), format)
            .build()
            .expect("issuer")
    })
}

/// The verifier for `format`, trusting both client keys, built once.
fn verifier(format: PayloadFormat) -> &'static Verifier {
    static VERIFIERS: [OnceLock<Verifier>; 2] = [const { OnceLock::new() }; 2];
    VERIFIERS[format_index(format)].get_or_init(|| {
        Verifier::builder([
            keys().es256.verifying_key().clone(),
            keys().rs256.verifying_key().clone(),
        ])
        .issuer(ISS)
        .audience(AUD)
        .max_token_size(MAX_TOKEN_SIZE)
        .decryption_keys([keys().platform.clone()], format)
        .build()
        .expect("verifier")
    })
}

// --------------------------------------------------------------------------
// Strategies
// --------------------------------------------------------------------------

/// Any Unicode scalar values, `len` of them.
fn unicode(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), len).prop_map(String::from_iter)
}

fn json_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        unicode(0..24).prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("JSON has no NaN or infinity", Number::from_f64)
            .prop_map(Value::Number),
        any::<bool>().prop_map(Value::Bool),
    ]
}

/// A small JSON object of strings, numbers and booleans.
fn context() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(unicode(0..12), json_scalar(), 0..6)
        .prop_map(|m: BTreeMap<String, Value>| m.into_iter().collect())
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![Just(Algorithm::ES256), Just(Algorithm::RS256)]
}

// --------------------------------------------------------------------------
// Properties
// --------------------------------------------------------------------------

/// Mints a token for the generated input, verifies it, checks every part
/// came back unchanged; then changes one byte and checks it is refused.
fn round_trip(
    format: PayloadFormat,
    alg: Algorithm,
    sub: &str,
    context: Option<&Map<String, Value>>,
    sso: Option<&str>,
    flip_at: Index,
    flip_by: u8,
) -> Result<(), TestCaseError> {
    let mut request = TokenRequest::new(sub);
    if let Some(c) = context {
        request = request.context(Value::Object(c.clone()));
    }
    if let Some(s) = sso {
        request = request.sso_token(SsoToken::new(s));
    }
    let token = issuer(alg, format)
        .mint(&request)
        .map_err(|e| TestCaseError::fail(format!("mint: {e}")))?;
    let verified = verifier(format)
        .verify(&token)
        .map_err(|e| TestCaseError::fail(format!("verify: {e}")))?;
    prop_assert_eq!(verified.header().alg, alg);
    prop_assert_eq!(verified.subject(), sub);
    prop_assert_eq!(verified.context(), context);
    prop_assert_eq!(verified.sso_token().map(SsoToken::expose_secret), sso);

    let tampered = flip(&token, flip_at, flip_by);
    prop_assert!(
        verifier(format).verify(&tampered).is_err(),
        "a token with byte {} changed was accepted",
        flip_at.index(token.len())
    );
    Ok(())
}

/// `token` with the byte at `at` XORed with `by` (non-zero, so every other
/// byte value is reachable). A result that is not UTF-8 gets U+FFFD in that
/// place (verify takes `&str`), which is still a change.
fn flip(token: &str, at: Index, by: u8) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let i = at.index(bytes.len());
    bytes[i] ^= by;
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn jwe_tokens_round_trip(
        alg in algorithm(),
        sub in unicode(1..40),
        context in prop::option::of(context()),
        sso in prop::option::weighted(0.9, unicode(0..2000)),
        flip_at in any::<Index>(),
        flip_by in 1u8..=255,
    ) {
        round_trip(PayloadFormat::Jwe, alg, &sub, context.as_ref(), sso.as_deref(), flip_at, flip_by)?;
    }

    #[test]
    fn wxo_tokens_round_trip(
        alg in algorithm(),
        sub in unicode(1..40),
        context in prop::option::of(context()),
        sso in prop::option::weighted(0.9, unicode(0..2000)),
        flip_at in any::<Index>(),
        flip_by in 1u8..=255,
    ) {
        round_trip(PayloadFormat::Wxo, alg, &sub, context.as_ref(), sso.as_deref(), flip_at, flip_by)?;
    }
}

/// One ES256 token with a context and a `jwe` sso_token, minted once.
fn es256_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let context = chatseal::serde_json::json!({"name": "Zoë", "email": "zoe@example.com"});
        issuer(Algorithm::ES256, PayloadFormat::Jwe)
            .mint(
                &TokenRequest::new("user-42")
                    .context(context)
                    .sso_token(SsoToken::new("sso-Grüße-東京")),
            )
            .expect("mint")
    })
}

/// The same with RS256 and a `wxo` payload.
fn rs256_wxo_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        issuer(Algorithm::RS256, PayloadFormat::Wxo)
            .mint(&TokenRequest::new("user-42").sso_token(SsoToken::new("s".repeat(300))))
            .expect("mint")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn flipping_any_byte_of_an_es256_token_fails(at in any::<Index>(), by in 1u8..=255) {
        let token = es256_token();
        prop_assert!(verifier(PayloadFormat::Jwe).verify(token).is_ok());
        let tampered = flip(token, at, by);
        prop_assert!(
            verifier(PayloadFormat::Jwe).verify(&tampered).is_err(),
            "byte {} XOR {by:#04x} was accepted",
            at.index(token.len())
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn flipping_any_byte_of_an_rs256_wxo_token_fails(at in any::<Index>(), by in 1u8..=255) {
        let token = rs256_wxo_token();
        let tampered = flip(token, at, by);
        prop_assert!(
            verifier(PayloadFormat::Wxo).verify(&tampered).is_err(),
            "byte {} XOR {by:#04x} was accepted",
            at.index(token.len())
        );
    }
}

/// Every position of the ES256 token, each with one changed value: the
/// exhaustive sweep the random flips above sample from.
#[test]
fn every_position_of_an_es256_token_is_covered() {
    let token = es256_token();
    let verifier = verifier(PayloadFormat::Jwe);
    for i in 0..token.len() {
        for by in [0x01u8, 0x80] {
            let mut bytes = token.as_bytes().to_vec();
            bytes[i] ^= by;
            let tampered = String::from_utf8_lossy(&bytes);
            assert!(
                verifier.verify(&tampered).is_err(),
                "byte {i} XOR {by:#04x} was accepted"
            );
        }
    }
}
