//! Project Wycheproof primitive vectors run through `backend.rs`, the one
//! module that calls aws-lc-rs: RS256 (RSA 2048, 3072, 4096) and PS256 (RSA
//! 2048), ES256 (P-256, r‖s), RSA-OAEP-256, RSA-OAEP with SHA-1 (`wxo`) and
//! AES-256-GCM here; ECDH on P-256 and X25519, Ed25519 and AES key wrap in
//! [`ec`].
//!
//! The vectors live outside the repository, in
//! `<repo>/../shared/vectors/wycheproof` (CI clones the repository with
//! `shared/` beside it). When they are missing the tests skip with a message,
//! unless `CHATSEAL_REQUIRE_PEERS=1` (set by `tests/run.sh`, so by CI), which
//! turns the absence into a failure.
//!
//! Verdicts: a `valid` vector must pass, an `invalid` one must fail, an
//! `acceptable` one may go either way (the outcome is counted). A key the
//! backend refuses at load time counts as "refused": fine for `invalid` and
//! `acceptable` vectors; a `valid` vector whose key is refused fails the test
//! unless its tcId is in the file's explicit allow-list with the reason.
//! Counts are printed with `eprintln!` (`cargo test -- --nocapture`) and
//! asserted non-zero, so a test cannot pass by running nothing.

use std::path::PathBuf;

use serde_json::Value;

use crate::backend::{
    aes256gcm_open, aes256gcm_seal, EcPublic, Oaep, OaepDecrypter, RsaPublic, SigAlg, SigVerifier,
};

mod ec;

/// Where the vectors are: `core/` → `../../shared/vectors/wycheproof`.
fn vectors_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/wycheproof");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CHATSEAL_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!(
            "Wycheproof vectors not found at {} and CHATSEAL_REQUIRE_PEERS=1: clone the \
             repository with `shared/` beside it",
            dir.display()
        );
    }
    eprintln!(
        "SKIP: Wycheproof vectors not found at {} (set CHATSEAL_REQUIRE_PEERS=1 to fail instead)",
        dir.display()
    );
    None
}

/// Loads one vector file, or `None` (skip) when the directory is missing.
fn load(name: &str) -> Option<Value> {
    let path = vectors_dir()?.join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    assert!(
        v["testGroups"].as_array().is_some_and(|g| !g.is_empty()),
        "{name} has no test groups"
    );
    Some(v)
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd-length hex in a vector: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex in a vector"))
        .collect()
}

fn field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("vector field `{name}` missing in {v}"))
}

fn groups(v: &Value) -> &Vec<Value> {
    v["testGroups"].as_array().expect("testGroups")
}

fn tests(g: &Value) -> &Vec<Value> {
    g["tests"].as_array().expect("tests")
}

fn tc_id(t: &Value) -> u64 {
    t["tcId"].as_u64().expect("tcId")
}

/// What happened to the vectors of one file.
#[derive(Default, Debug)]
struct Counts {
    /// The vector's verdict was reproduced (valid passed, invalid failed).
    passed: usize,
    /// chatseal refused the key or the parameters before any check.
    refused: usize,
    /// Not run through chatseal, with the reason printed.
    skipped: usize,
    /// `acceptable` vectors that chatseal accepted.
    acceptable_accepted: usize,
    /// `acceptable` vectors that chatseal rejected.
    acceptable_rejected: usize,
}

impl Counts {
    fn report(&self, file: &str) {
        eprintln!(
            "wycheproof {file}: passed {}, refused {}, skipped {}, acceptable accepted {} / \
             rejected {}",
            self.passed,
            self.refused,
            self.skipped,
            self.acceptable_accepted,
            self.acceptable_rejected
        );
        assert!(self.passed > 0, "{file}: no vector was checked");
    }

    /// Records the outcome `ok` of one vector against its verdict; returns a
    /// failure description when the verdict is not met.
    fn record(&mut self, t: &Value, ok: bool) -> Option<String> {
        match (field(t, "result"), ok) {
            ("valid", true) | ("invalid", false) => {
                self.passed += 1;
                None
            }
            ("acceptable", true) => {
                self.acceptable_accepted += 1;
                None
            }
            ("acceptable", false) => {
                self.acceptable_rejected += 1;
                None
            }
            (verdict, _) => Some(format!(
                "tcId {} ({verdict}, {}, flags {}): chatseal {}",
                tc_id(t),
                field(t, "comment"),
                t["flags"],
                if ok { "accepted it" } else { "rejected it" }
            )),
        }
    }

    /// Records a vector whose key chatseal refused at load time; `allowed`
    /// lists the tcIds of `valid` vectors whose refusal is a documented
    /// decision.
    fn record_refused(&mut self, t: &Value, allowed: &[u64]) -> Option<String> {
        self.refused += 1;
        if field(t, "result") == "valid" && !allowed.contains(&tc_id(t)) {
            return Some(format!(
                "tcId {} (valid, {}): chatseal refused the key, and the tcId is not in the \
                 allow-list",
                tc_id(t),
                field(t, "comment")
            ));
        }
        None
    }
}

fn finish(file: &str, counts: &Counts, failures: &[String]) {
    counts.report(file);
    assert!(
        failures.is_empty(),
        "{file}: {} vector(s) disagree with chatseal:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// RS256 / PS256: `RsaPublic::from_der` + `SigVerifier::rsa` + `verify`.
fn run_rsa_signature(file: &str, alg: SigAlg, check_group: impl Fn(&Value)) {
    let Some(v) = load(file) else { return };
    // No valid vector in these files uses a key chatseal refuses: every key
    // is RSA-2048, inside chatseal's 2048..=8192 bit range.
    const ALLOWED_REFUSALS: &[u64] = &[];
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for g in groups(&v) {
        check_group(g);
        let key = RsaPublic::from_der(&hex(field(g, "publicKeyDer")))
            .and_then(|public| SigVerifier::rsa(&public, alg));
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
fn rsa_pkcs1_sha256_rs256() {
    run_rsa_signature("rsa_signature_2048_sha256_test.json", SigAlg::Rs256, |g| {
        assert_eq!(field(g, "type"), "RsassaPkcs1Verify");
        assert_eq!(field(g, "sha"), "SHA-256");
    });
}

#[test]
fn rsa_pkcs1_sha256_rs256_3072_and_4096() {
    for (file, bits) in [
        ("rsa_signature_3072_sha256_test.json", "3072"),
        ("rsa_signature_4096_sha256_test.json", "4096"),
    ] {
        run_rsa_signature(file, SigAlg::Rs256, |g| {
            assert_eq!(field(g, "type"), "RsassaPkcs1Verify");
            assert_eq!(field(g, "sha"), "SHA-256");
            assert_eq!(g["keySize"].to_string().trim_matches('"'), bits);
        });
    }
}

#[test]
fn rsa_pss_sha256_mgf1_32_ps256() {
    run_rsa_signature(
        "rsa_pss_2048_sha256_mgf1_32_test.json",
        SigAlg::Ps256,
        |g| {
            // PS256 is exactly SHA-256, MGF1-SHA-256, 32-byte salt.
            assert_eq!(field(g, "type"), "RsassaPssVerify");
            assert_eq!(field(g, "sha"), "SHA-256");
            assert_eq!(field(g, "mgf"), "MGF1");
            assert_eq!(field(g, "mgfSha"), "SHA-256");
            assert_eq!(g["sLen"].as_u64(), Some(32));
        },
    );
}

#[test]
fn ecdsa_p256_sha256_p1363_es256() {
    let file = "ecdsa_secp256r1_sha256_p1363_test.json";
    let Some(v) = load(file) else { return };
    // Every public key in the file is a valid P-256 point; none may be refused.
    const ALLOWED_REFUSALS: &[u64] = &[];
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for g in groups(&v) {
        assert_eq!(field(g, "type"), "EcdsaP1363Verify");
        assert_eq!(field(g, "sha"), "SHA-256");
        assert_eq!(field(&g["publicKey"], "curve"), "secp256r1");
        let from_spki = EcPublic::from_der_or_point(&hex(field(g, "publicKeyDer")));
        let from_point = EcPublic::from_der_or_point(&hex(field(&g["publicKey"], "uncompressed")));
        // Both encodings of the key must give the same answer and point.
        match (&from_spki, &from_point) {
            (Ok(a), Ok(b)) => assert!(a == b, "SPKI and point forms differ"),
            (Err(_), Err(_)) => {}
            _ => panic!("SPKI and point forms of one key load differently"),
        }
        let key = from_spki.and_then(|p| SigVerifier::p256(&p));
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
fn rsa_oaep_sha256_mgf1_sha256() {
    run_rsa_oaep(
        "rsa_oaep_2048_sha256_mgf1sha256_test.json",
        Oaep::Sha256,
        "SHA-256",
    );
}

/// RSA-OAEP with SHA-1 and MGF1-SHA-1: node-rsa's default, the scheme of
/// IBM's `wxo` payload.
#[test]
fn rsa_oaep_sha1_mgf1_sha1_wxo() {
    run_rsa_oaep("rsa_oaep_2048_sha1_mgf1sha1_test.json", Oaep::Sha1, "SHA-1");
}

fn run_rsa_oaep(file: &str, oaep: Oaep, sha: &str) {
    let Some(v) = load(file) else { return };
    const ALLOWED_REFUSALS: &[u64] = &[];
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for g in groups(&v) {
        assert_eq!(field(g, "type"), "RsaesOaepDecrypt");
        assert_eq!(field(g, "sha"), sha);
        assert_eq!(field(g, "mgf"), "MGF1");
        assert_eq!(field(g, "mgfSha"), sha);
        let key = OaepDecrypter::from_der(&hex(field(g, "privateKeyPkcs8")), false);
        for t in tests(g) {
            let ct = hex(field(t, "ct"));
            let failure = match &key {
                Err(e) => {
                    eprintln!("  tcId {}: key refused: {e}", tc_id(t));
                    counts.record_refused(t, ALLOWED_REFUSALS)
                }
                // chatseal's RSA-OAEP-256 (JWE key encryption, RFC 7518
                // §4.3) never uses a label, and `decrypt` takes none. A
                // vector with a label cannot be expressed: its verdict is
                // not evaluated (counted as skipped), but chatseal must
                // still refuse the ciphertext, since it was made under
                // another label than the empty one.
                Ok(dec) if !field(t, "label").is_empty() => {
                    counts.skipped += 1;
                    assert!(
                        dec.decrypt(oaep, &ct).is_err(),
                        "tcId {}: a ciphertext made with a label decrypted without it",
                        tc_id(t)
                    );
                    None
                }
                Ok(dec) => match dec.decrypt(oaep, &ct) {
                    Ok(plain) => {
                        let same = *plain == hex(field(t, "msg"));
                        if !same {
                            Some(format!("tcId {}: decrypted to other bytes", tc_id(t)))
                        } else {
                            counts.record(t, true)
                        }
                    }
                    Err(e) => {
                        assert_eq!(e.kind(), crate::ErrorKind::DecryptionFailed);
                        counts.record(t, false)
                    }
                },
            };
            failures.extend(failure);
        }
    }
    eprintln!(
        "wycheproof {file}: {} vector(s) with a non-empty OAEP label skipped (chatseal uses \
         none; each was checked not to decrypt without it)",
        counts.skipped
    );
    assert!(counts.skipped > 0, "the label vectors were expected");
    finish(file, &counts, &failures);
}

#[test]
fn aes_gcm_a256gcm() {
    let file = "aes_gcm_test.json";
    let Some(v) = load(file) else { return };
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    let mut unsupported_groups = 0;
    for g in groups(&v) {
        assert_eq!(field(g, "type"), "AeadTest");
        let sizes = (
            g["keySize"].as_u64().expect("keySize"),
            g["ivSize"].as_u64().expect("ivSize"),
            g["tagSize"].as_u64().expect("tagSize"),
        );
        // A256GCM in JOSE is exactly: 256-bit key, 96-bit IV, 128-bit tag.
        let supported = sizes == (256, 96, 128);
        if !supported {
            unsupported_groups += 1;
        }
        for t in tests(g) {
            let key = hex(field(t, "key"));
            let iv = hex(field(t, "iv"));
            let aad = hex(field(t, "aad"));
            let msg = hex(field(t, "msg"));
            let ct = hex(field(t, "ct"));
            let tag = hex(field(t, "tag"));
            if !supported {
                // Other key, IV or tag sizes are not A256GCM: chatseal must
                // refuse them in both directions, whatever the verdict.
                assert!(
                    aes256gcm_open(&key, &iv, &aad, &ct, &tag).is_err(),
                    "tcId {}: chatseal opened AES-GCM with sizes {sizes:?}",
                    tc_id(t)
                );
                assert!(
                    aes256gcm_seal(&key, &iv, &aad, &msg).is_err(),
                    "tcId {}: chatseal sealed AES-GCM with sizes {sizes:?}",
                    tc_id(t)
                );
                counts.refused += 1;
                continue;
            }
            let failure = match aes256gcm_open(&key, &iv, &aad, &ct, &tag) {
                Ok(plain) if *plain != msg => {
                    Some(format!("tcId {}: opened to other bytes", tc_id(t)))
                }
                Ok(_) => counts.record(t, true),
                Err(e) => {
                    assert_eq!(e.kind(), crate::ErrorKind::DecryptionFailed);
                    counts.record(t, false)
                }
            };
            failures.extend(failure);
            if field(t, "result") == "valid" {
                let (sealed, sealed_tag) = aes256gcm_seal(&key, &iv, &aad, &msg)
                    .unwrap_or_else(|e| panic!("tcId {}: seal failed: {e}", tc_id(t)));
                assert!(
                    sealed == ct && sealed_tag[..] == tag[..],
                    "tcId {}: seal gave another ciphertext or tag",
                    tc_id(t)
                );
            }
        }
    }
    eprintln!(
        "wycheproof {file}: {unsupported_groups} group(s) with key/IV/tag sizes other than \
         256/96/128 bits, all refused"
    );
    assert!(counts.refused > 0 && unsupported_groups > 0);
    finish(file, &counts, &failures);
}
