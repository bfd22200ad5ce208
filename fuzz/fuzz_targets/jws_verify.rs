//! Compact JWS parsing and verification with a fixed key set (ES256 and
//! RS256 trusted, platform key for `user_payload` in `jwe` format).
//!
//! Every input also goes through `dangerous::insecure_decode`, the strict
//! header and claims decoder that the verifier runs behind the signature.
//!
//! Property: a token that verifies re-serializes to the same claims (the
//! verified claims equal what the payload segment says), verifies again
//! identically, and yields an sso_token only if it carried a `user_payload`.
#![no_main]

use chatseal::{dangerous, PayloadFormat};
use chatseal_fuzz::{now, verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    // The claims are parsed only behind a valid signature, which mutations
    // cannot keep; the same strict decoder (base64url, JSON without
    // duplicates, bounded depth) is reached without one here.
    let decoded = dangerous::insecure_decode(token);
    let v = verifier(PayloadFormat::Jwe);
    let Ok(verified) = v.verify_at(token, now()) else {
        return;
    };
    let (_, claims) = decoded.expect("a verified token decodes");
    assert_eq!(
        verified.claims().all(),
        &claims,
        "verified claims differ from the payload"
    );
    let text = serde_json::to_string(verified.claims().all()).expect("claims serialize");
    let back: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("claims re-parse");
    assert_eq!(&back, verified.claims().all(), "claims do not round-trip");
    // No sso_token comes out of a token that carried no user_payload.
    if verified.claims().user_payload().is_none() {
        assert!(verified.sso_token().is_none());
        assert!(!claims.contains_key("user_payload"));
    }
    let again = v.verify_at(token, now()).expect("verifies twice");
    assert_eq!(again.claims(), verified.claims());
    assert_eq!(
        again.sso_token().map(|t| t.expose_secret().to_owned()),
        verified.sso_token().map(|t| t.expose_secret().to_owned())
    );
});
