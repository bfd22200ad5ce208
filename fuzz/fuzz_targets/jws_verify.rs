//! Compact JWS parsing and verification with a fixed key set (ES256 and
//! RS256 trusted, platform key for `user_payload` in `jwe` format).
//!
//! Property: a token that verifies re-serializes to the same claims (the
//! verified claims equal what the payload segment says), verifies again
//! identically, and its `user_payload`, if any, decrypted to an sso_token.
#![no_main]

use chatseal::{dangerous, PayloadFormat};
use chatseal_fuzz::{now, verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let v = verifier(PayloadFormat::Jwe);
    let Ok(verified) = v.verify_at(token, now()) else {
        return;
    };
    let (_, claims) = dangerous::insecure_decode(token).expect("a verified token decodes");
    assert_eq!(
        verified.claims().all(),
        &claims,
        "verified claims differ from the payload"
    );
    let text = serde_json::to_string(verified.claims().all()).expect("claims serialize");
    let back: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("claims re-parse");
    assert_eq!(&back, verified.claims().all(), "claims do not round-trip");
    assert_eq!(
        verified.claims().user_payload.is_some(),
        verified.sso_token().is_some() || claims.get("user_payload").is_some(),
    );
    let again = v.verify_at(token, now()).expect("verifies twice");
    assert_eq!(again.claims(), verified.claims());
    assert_eq!(
        again.sso_token().map(|t| t.expose_secret().to_owned()),
        verified.sso_token().map(|t| t.expose_secret().to_owned())
    );
});
