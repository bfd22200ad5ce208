//! The elliptic-curve vectors: ECDH on P-256 (through the same point check
//! an `epk` goes through), X25519 (low-order points must give no secret),
//! Ed25519, and AES key wrap (A256KW only; other key sizes are refused).

use super::*;
use crate::backend::{
    aes256kw_unwrap, aes256kw_wrap, Curve, EcdhPrivate, EcdhPublic, Ed25519Public,
};

fn flags(t: &Value) -> Vec<&str> {
    t["flags"]
        .as_array()
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A 32-byte big-endian scalar from Wycheproof's hex integer, which may
/// carry a leading zero byte or be shorter.
fn scalar32(hex_int: &str) -> Option<Vec<u8>> {
    let raw = hex(hex_int);
    let raw: Vec<u8> = raw.iter().copied().skip_while(|b| *b == 0).collect();
    if raw.len() > 32 {
        return None;
    }
    let mut out = vec![0u8; 32 - raw.len()];
    out.extend(raw);
    Some(out)
}

#[test]
fn ecdh_p256() {
    let file = "ecdh_secp256r1_test.json";
    let Some(v) = load(file) else { return };
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    let mut compressed_refused = 0;
    for g in groups(&v) {
        assert_eq!(field(g, "type"), "EcdhTest");
        assert_eq!(field(g, "curve"), "secp256r1");
        assert_eq!(field(g, "encoding"), "asn");
        for t in tests(g) {
            let private = scalar32(field(t, "private"))
                .and_then(|s| EcdhPrivate::from_raw(Curve::P256, &s).ok())
                .expect("the vectors' private keys are valid P-256 scalars");
            // The production path of an `epk`: the point is checked on
            // P-256 first, then agreed with.
            let result = EcPublic::from_der_or_point(&hex(field(t, "public")))
                .and_then(|p| private.agree(&EcdhPublic::p256(&p)));
            let failure = match result {
                Ok(z) if *z != hex(field(t, "shared")) => {
                    Some(format!("tcId {}: another shared secret", tc_id(t)))
                }
                Ok(_) => counts.record(t, true),
                // JOSE's `epk` carries x and y: a compressed point can never
                // reach chatseal, which takes uncompressed points only.
                Err(_)
                    if field(t, "result") == "valid" && flags(t).contains(&"CompressedPublic") =>
                {
                    compressed_refused += 1;
                    counts.refused += 1;
                    None
                }
                Err(_) => counts.record(t, false),
            };
            failures.extend(failure);
        }
    }
    eprintln!("wycheproof {file}: {compressed_refused} valid vector(s) with a compressed public point refused (JOSE epk is uncompressed)");
    finish(file, &counts, &failures);
}

#[test]
fn x25519() {
    let file = "x25519_test.json";
    let Some(v) = load(file) else { return };
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    let mut zero_refused = 0;
    for g in groups(&v) {
        assert_eq!(field(g, "type"), "XdhComp");
        assert_eq!(field(g, "curve"), "curve25519");
        for t in tests(g) {
            let private = EcdhPrivate::from_raw(Curve::X25519, &hex(field(t, "private")))
                .expect("the vectors' private keys are 32 bytes");
            let result =
                EcdhPublic::x25519(&hex(field(t, "public"))).and_then(|p| private.agree(&p));
            // RFC 7748 §6.1: an all-zero secret (a low-order public key) is
            // refused, whatever the vector's verdict ("acceptable").
            if flags(t).contains(&"ZeroSharedSecret") {
                assert!(
                    result.is_err(),
                    "tcId {}: a low-order point gave a secret",
                    tc_id(t)
                );
                zero_refused += 1;
            }
            let failure = match result {
                Ok(z) if *z != hex(field(t, "shared")) => {
                    Some(format!("tcId {}: another shared secret", tc_id(t)))
                }
                Ok(_) => counts.record(t, true),
                Err(_) => counts.record(t, false),
            };
            failures.extend(failure);
        }
    }
    eprintln!("wycheproof {file}: {zero_refused} low-order public key(s) refused");
    assert!(zero_refused > 0);
    finish(file, &counts, &failures);
}

#[test]
fn ed25519() {
    let file = "ed25519_test.json";
    let Some(v) = load(file) else { return };
    const ALLOWED_REFUSALS: &[u64] = &[];
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for g in groups(&v) {
        assert_eq!(field(g, "type"), "EddsaVerify");
        let key = match Ed25519Public::from_spki_der(&hex(field(g, "publicKeyDer"))) {
            Some(k) => k.and_then(|k| SigVerifier::ed25519(&k)),
            None => panic!("group key is not an Ed25519 SPKI"),
        };
        for t in tests(g) {
            let failure = match &key {
                Err(e) => {
                    eprintln!("  tcId {}: key refused: {e}", tc_id(t));
                    counts.record_refused(t, ALLOWED_REFUSALS)
                }
                Ok(verifier) => {
                    let ok = verifier.verify(&hex(field(t, "msg")), &hex(field(t, "sig")));
                    counts.record(t, ok)
                }
            };
            failures.extend(failure);
        }
    }
    finish(file, &counts, &failures);
}

#[test]
fn aes_key_wrap_a256kw() {
    let file = "aes_wrap_test.json";
    let Some(v) = load(file) else { return };
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for g in groups(&v) {
        assert_eq!(field(g, "type"), "KeywrapTest");
        let size = g["keySize"].to_string().trim_matches('"').to_owned();
        for t in tests(g) {
            let (key, msg, ct) = (
                hex(field(t, "key")),
                hex(field(t, "msg")),
                hex(field(t, "ct")),
            );
            if size != "256" {
                // Only A256KW exists in chatseal: other key sizes are refused.
                assert!(aes256kw_unwrap(&key, &ct).is_err(), "tcId {}", tc_id(t));
                assert!(aes256kw_wrap(&key, &msg).is_err(), "tcId {}", tc_id(t));
                counts.refused += 1;
                continue;
            }
            let failure = match aes256kw_unwrap(&key, &ct) {
                Ok(p) if *p != msg => Some(format!("tcId {}: unwrapped to other bytes", tc_id(t))),
                Ok(_) => counts.record(t, true),
                Err(_) => counts.record(t, false),
            };
            failures.extend(failure);
            if field(t, "result") == "valid" {
                let w = aes256kw_wrap(&key, &msg)
                    .unwrap_or_else(|e| panic!("tcId {}: wrap failed: {e}", tc_id(t)));
                assert_eq!(w, ct, "tcId {}: wrap gave another ciphertext", tc_id(t));
            }
        }
    }
    assert!(counts.refused > 0, "the 128/192-bit groups were expected");
    finish(file, &counts, &failures);
}
