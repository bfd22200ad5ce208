//! Project Wycheproof JOSE vectors (JWS, JWE, JWK) through chatseal's public
//! API.
//!
//! - JWS (`json_web_signature_test.json`, `json_web_key_test.json`,
//!   `json_web_crypto_test.json`): each group's key is loaded with
//!   [`ClientVerifyingKey::from_jwk`] / [`ClientVerifyingKey::from_jwks`]
//!   (public members only: the vectors give private JWKs) and each token goes
//!   through [`dangerous::verify_jws_signature_only`], the verifier's own
//!   header, key-choice and signature path without the JWT claim checks
//!   (Wycheproof payloads are not JWT claims).
//! - JWE (`json_web_encryption_test.json` and the JWE groups of
//!   `json_web_crypto_test.json`): RSA private keys are converted from JWK to
//!   PKCS#8 DER here (a plain DER encoding of the JWK's integers, checked
//!   against the JWK's public half after loading) and loaded with
//!   [`PlatformDecryptionKey::from_pkcs8_der`]; each JWE goes through
//!   [`dangerous::decrypt_jwe`], the code that opens `user_payload`.
//!
//! Verdicts, for tokens of the algorithms chatseal supports (RS256, PS256,
//! ES256; RSA-OAEP-256 + A256GCM): `valid` must verify and `invalid` must
//! be refused. Everything else must be refused and never accepted; a `valid`
//! vector of an unsupported algorithm must be refused with an "unsupported"
//! kind, either when its key is loaded or when its token is checked. A
//! `valid` vector of a supported algorithm that chatseal refuses fails the
//! test unless it is in an allow-list below, with the reason.
//!
//! Keys in groups whose key chatseal refuses are replaced by stand-in keys
//! (freshly generated, given the token's `kid`) so that every token is still
//! run through the checks and shown to be refused.
//!
//! The vectors live in `<repo>/../shared/vectors/wycheproof`; when missing
//! the tests skip, unless `CHATSEAL_REQUIRE_PEERS=1` (CI), which fails them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine as _;
use chatseal::{
    dangerous, Algorithm, ClientSigningKey, ClientVerifyingKey, ErrorKind, Jwk,
    PlatformDecryptionKey, RsaKeySize,
};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// Loading the vectors.
// ---------------------------------------------------------------------------

/// `tests/` → `../../shared/vectors/wycheproof`.
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

fn groups(v: &Value) -> &Vec<Value> {
    v["testGroups"].as_array().expect("testGroups")
}

fn tests(g: &Value) -> &Vec<Value> {
    g["tests"].as_array().expect("tests")
}

fn tc_id(t: &Value) -> u64 {
    t["tcId"].as_u64().expect("tcId")
}

fn result(t: &Value) -> &str {
    t["result"].as_str().expect("result")
}

/// The compact serialization to hand to chatseal: the string itself, the
/// JSON text for a JSON-serialized vector (which must be refused), the empty
/// string for `null`.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn b64url(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap_or_else(|e| panic!("vector JWK member is not base64url ({e}): {s}"))
}

/// The protected header of a compact token, read leniently (only to
/// classify the vector; chatseal reads it strictly).
fn header_of(token: &str) -> Map<String, Value> {
    let first = token.split('.').next().unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(first)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

fn header_str<'a>(h: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    h.get(name).and_then(Value::as_str)
}

// ---------------------------------------------------------------------------
// Tallies.
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Tally {
    /// Supported algorithm, verdict reproduced (valid accepted, invalid
    /// refused).
    passed: usize,
    /// Unsupported algorithm (or a key chatseal refuses), refused as it must
    /// be.
    refused: usize,
    /// Valid vectors refused on purpose (allow-list).
    allow_listed: usize,
    /// Keys used against their `use` / `key_ops`, refused with
    /// KeyRoleMismatch.
    role_refusals: usize,
    /// Error kinds seen, for the report.
    kinds: BTreeMap<String, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn kind(&mut self, kind: ErrorKind) {
        *self.kinds.entry(kind.code().to_owned()).or_default() += 1;
    }

    fn fail(&mut self, t: &Value, what: String) {
        self.failures.push(format!(
            "tcId {} ({}, {}): {what}",
            tc_id(t),
            result(t),
            t["comment"].as_str().unwrap_or_default()
        ));
    }

    fn finish(&self, what: &str) {
        eprintln!(
            "wycheproof {what}: passed {}, refused (unsupported) {}, allow-listed {}, keys \
             refused for their use/key_ops {}; error kinds {:?}",
            self.passed, self.refused, self.allow_listed, self.role_refusals, self.kinds
        );
        assert!(self.passed > 0, "{what}: no supported vector was checked");
        assert!(
            self.refused > 0,
            "{what}: no unsupported vector was checked"
        );
        assert!(
            self.failures.is_empty(),
            "{what}: {} vector(s) disagree with chatseal:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------
// JWS.
// ---------------------------------------------------------------------------

const SUPPORTED_JWS: [&str; 3] = ["RS256", "PS256", "ES256"];

/// How chatseal may refuse a token of an algorithm it does not implement.
const UNSUPPORTED_ALG_KINDS: [ErrorKind; 4] = [
    ErrorKind::UnsupportedAlgorithm,
    ErrorKind::HmacAlgorithm,
    ErrorKind::AlgorithmNone,
    ErrorKind::AlgorithmNotAllowed,
];

/// How chatseal may refuse a key it does not take.
const KEY_REFUSAL_KINDS: [ErrorKind; 4] = [
    ErrorKind::KeyRoleMismatch,
    ErrorKind::WeakKey,
    ErrorKind::InvalidKey,
    ErrorKind::UnsupportedAlgorithm,
];

/// Valid JWS vectors of a supported algorithm that chatseal refuses on
/// purpose: (file, tcId, reason). None today: every valid RS256, PS256 and
/// ES256 vector verifies. (RFC 7520's figure 13 with the private key's
/// one-string `"key_ops": ["sign, verify"]`, tcId 349, is checked with the
/// group's public key, whose `key_ops` is `["verify"]`.)
const JWS_ALLOW_LIST: &[(&str, u64, &str)] = &[];

/// Private JWK members to drop: the vectors give private keys, chatseal
/// loads only public ones (it refuses private members). A symmetric key's
/// `k` is kept, so that chatseal sees and refuses the symmetric key itself.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

fn public_jwk(jwk: &Value) -> Value {
    let mut m = jwk.as_object().expect("JWK object").clone();
    for name in PRIVATE_MEMBERS {
        m.remove(name);
    }
    Value::Object(m)
}

/// The group's public key or key set, as JSON.
fn group_public(g: &Value) -> Value {
    let key = if g.get("public").is_some_and(|p| !p.is_null()) {
        &g["public"]
    } else {
        &g["private"]
    };
    match key.get("keys").and_then(Value::as_array) {
        Some(keys) => json!({ "keys": keys.iter().map(public_jwk).collect::<Vec<_>>() }),
        None => public_jwk(key),
    }
}

/// Whether a JWK's `use` / `key_ops` rule out verifying signatures.
fn against_sig_role(jwk: &Value) -> bool {
    let bad_use = jwk["use"].as_str().is_some_and(|u| u != "sig");
    let bad_ops = jwk["key_ops"].as_array().is_some_and(|ops| {
        !ops.iter()
            .any(|o| matches!(o.as_str(), Some("verify") | Some("sign")))
    });
    bad_use || bad_ops
}

fn load_verifying_keys(public: &Value) -> chatseal::Result<Vec<ClientVerifyingKey>> {
    if public.get("keys").is_some() {
        ClientVerifyingKey::from_jwks(&public.to_string())
    } else {
        let jwk = Jwk::from_json(&public.to_string())?;
        ClientVerifyingKey::from_jwk(&jwk).map(|k| vec![k])
    }
}

/// Stand-in keys, one per algorithm, for tokens whose own key chatseal
/// refuses.
fn stand_ins() -> &'static [ClientSigningKey; 3] {
    static KEYS: OnceLock<[ClientSigningKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048).unwrap(),
            ClientSigningKey::generate_rsa(Algorithm::PS256, RsaKeySize::Rsa2048).unwrap(),
            ClientSigningKey::generate(Algorithm::ES256).unwrap(),
        ]
    })
}

/// Runs a token against each stand-in key (given the token's kid); returns
/// the errors, or the first acceptance.
fn check_with_stand_ins(token: &str) -> std::result::Result<Vec<ErrorKind>, String> {
    let header = header_of(token);
    let mut kinds = Vec::new();
    for key in stand_ins() {
        let mut vk = key.verifying_key().clone();
        if let Some(kid) = header_str(&header, "kid") {
            if let Ok(k) = vk.with_kid(kid) {
                vk = k;
            }
        }
        match dangerous::verify_jws_signature_only(token, &[vk]) {
            Ok(_) => return Err(format!("accepted with a stand-in {} key", key.algorithm())),
            Err(e) => kinds.push(e.kind()),
        }
    }
    Ok(kinds)
}

fn run_jws_file(file: &str, tally: &mut Tally) {
    let Some(v) = load(file) else { return };
    for g in groups(&v) {
        let is_jwe = tests(g).iter().any(|t| t.get("jwe").is_some());
        if is_jwe {
            continue; // JWE groups of json_web_crypto_test.json: see the JWE test.
        }
        let public = group_public(g);
        let entries: Vec<Value> = match public.get("keys").and_then(Value::as_array) {
            Some(k) => k.clone(),
            None => vec![public.clone()],
        };
        // Keys used against their `use` / `key_ops` are refused one by one
        // with KeyRoleMismatch (a JWKS skips them, RFC 7517 §5).
        for e in entries.iter().filter(|e| against_sig_role(e)) {
            let refused = Jwk::from_json(&e.to_string())
                .and_then(|jwk| ClientVerifyingKey::from_jwk(&jwk))
                .map(|_| ())
                .unwrap_err();
            assert_eq!(
                refused.kind(),
                ErrorKind::KeyRoleMismatch,
                "{file}: key {e} used against its use/key_ops: {refused}"
            );
            tally.role_refusals += 1;
        }
        let keys = load_verifying_keys(&public);
        if let Err(e) = &keys {
            assert!(
                KEY_REFUSAL_KINDS.contains(&e.kind()),
                "{file}: key refused with an unexpected kind: {e}"
            );
            tally.kind(e.kind());
        }
        for t in tests(g) {
            let token = compact(&t["jws"]);
            let alg = header_str(&header_of(&token), "alg").map(str::to_owned);
            let supported = alg.as_deref().is_some_and(|a| SUPPORTED_JWS.contains(&a));
            let allow = JWS_ALLOW_LIST
                .iter()
                .find(|(f, id, _)| *f == file && *id == tc_id(t));
            match (&keys, result(t)) {
                // The group's key loaded: the token decides.
                (Ok(keys), verdict) => match dangerous::verify_jws_signature_only(&token, keys) {
                    Ok(_) if verdict == "valid" && supported => tally.passed += 1,
                    Ok(_) => tally.fail(t, format!("accepted (alg {alg:?})")),
                    Err(e) => {
                        tally.kind(e.kind());
                        if verdict != "valid" {
                            if supported {
                                tally.passed += 1;
                            } else {
                                tally.refused += 1;
                            }
                        } else if !supported && UNSUPPORTED_ALG_KINDS.contains(&e.kind()) {
                            tally.refused += 1;
                        } else if let Some((_, _, why)) = allow {
                            eprintln!("  tcId {} refused on purpose: {why}", tc_id(t));
                            tally.allow_listed += 1;
                        } else {
                            tally.fail(t, format!("refused: {e}"));
                        }
                    }
                },
                // The key was refused: the token must still be refused with
                // any key.
                (Err(key_err), verdict) => match check_with_stand_ins(&token) {
                    Err(accepted) => tally.fail(t, accepted),
                    Ok(kinds) => {
                        for k in &kinds {
                            tally.kind(*k);
                        }
                        if verdict == "valid" && supported {
                            match allow {
                                Some((_, _, why)) => {
                                    eprintln!("  tcId {} refused on purpose: {why}", tc_id(t));
                                    tally.allow_listed += 1;
                                }
                                None => tally.fail(t, format!("key refused: {key_err}")),
                            }
                        } else if verdict != "valid" && supported {
                            tally.passed += 1;
                        } else {
                            tally.refused += 1;
                        }
                    }
                },
            }
        }
    }
}

#[test]
fn json_web_signature_vectors() {
    let mut tally = Tally::default();
    run_jws_file("json_web_signature_test.json", &mut tally);
    if vectors_dir().is_some() {
        assert!(
            tally.role_refusals > 0,
            "no key used against its use/key_ops"
        );
        tally.finish("json_web_signature_test.json");
    }
}

#[test]
fn json_web_key_vectors() {
    let mut tally = Tally::default();
    run_jws_file("json_web_key_test.json", &mut tally);
    if vectors_dir().is_some() {
        assert!(
            tally.role_refusals > 0,
            "no key used against its use/key_ops"
        );
        tally.finish("json_web_key_test.json");
    }
}

#[test]
fn json_web_crypto_jws_vectors() {
    let mut tally = Tally::default();
    run_jws_file("json_web_crypto_test.json", &mut tally);
    if vectors_dir().is_some() {
        tally.finish("json_web_crypto_test.json (JWS groups)");
    }
}

// ---------------------------------------------------------------------------
// JWE.
// ---------------------------------------------------------------------------

/// How chatseal may refuse a valid JWE of a scheme it does not implement.
const UNSUPPORTED_JWE_KINDS: [ErrorKind; 2] = [
    ErrorKind::UnsupportedAlgorithm,
    ErrorKind::CompressionNotSupported,
];

/// Valid JWE vectors of RSA-OAEP-256 + A256GCM that chatseal refuses on
/// purpose: (file, tcId, reason). None.
const JWE_ALLOW_LIST: &[(&str, u64, &str)] = &[];

// A minimal DER writer, only to turn the vectors' JWK private keys into the
// PKCS#8 that chatseal loads (chatseal reads private keys from PEM/DER, not
// JWK). It encodes; every check is chatseal's.

fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(body);
    out
}

fn der_uint(big_endian: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = big_endian.iter().copied().skip_while(|b| *b == 0).collect();
    if v.first().is_none_or(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    der(0x02, &v)
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

/// PKCS#8 `PrivateKeyInfo` of an RSA JWK (RFC 8017 `RSAPrivateKey` inside).
fn rsa_pkcs8(jwk: &Value) -> Vec<u8> {
    let int = |name: &str| der_uint(&b64url(jwk[name].as_str().expect("RSA JWK member")));
    let pkcs1 = seq(&[
        der_uint(&[0]),
        int("n"),
        int("e"),
        int("d"),
        int("p"),
        int("q"),
        int("dp"),
        int("dq"),
        int("qi"),
    ]);
    // rsaEncryption, 1.2.840.113549.1.1.1, NULL parameters.
    let alg = seq(&[
        der(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
        ),
        der(0x05, &[]),
    ]);
    seq(&[der_uint(&[0]), alg, der(0x04, &pkcs1)])
}

/// PKCS#8 `PrivateKeyInfo` of an EC JWK on P-256 or P-384 (RFC 5915
/// `ECPrivateKey` inside).
fn ec_pkcs8(jwk: &Value) -> Vec<u8> {
    let curve: &[u8] = match jwk["crv"].as_str() {
        Some("P-256") => &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        Some("P-384") => &[0x2b, 0x81, 0x04, 0x00, 0x22],
        other => panic!("no OID for curve {other:?}"),
    };
    let m = |name: &str| b64url(jwk[name].as_str().expect("EC JWK member"));
    let mut point = vec![0u8, 4];
    point.extend(m("x"));
    point.extend(m("y"));
    let ec = seq(&[
        der_uint(&[1]),
        der(0x04, &m("d")),
        der(0xa1, &der(0x03, &point)),
    ]);
    // id-ecPublicKey, 1.2.840.10045.2.1, with the named curve.
    let alg = seq(&[
        der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]),
        der(0x06, curve),
    ]);
    seq(&[der_uint(&[0]), alg, der(0x04, &ec)])
}

/// The stand-in decryption key for JWEs whose own key chatseal cannot load.
fn stand_in_decryption_key() -> &'static PlatformDecryptionKey {
    static KEY: OnceLock<PlatformDecryptionKey> = OnceLock::new();
    KEY.get_or_init(|| PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap())
}

/// Loads the group's private key as a platform decryption key: `Ok` for RSA
/// (checked against the JWK's public half), the refusal for EC, `None` for
/// symmetric keys (chatseal has no API that takes a symmetric key at all).
fn load_decryption_key(jwk: &Value) -> Option<chatseal::Result<PlatformDecryptionKey>> {
    match jwk["kty"].as_str() {
        Some("RSA") => {
            let key = PlatformDecryptionKey::from_pkcs8_der(&rsa_pkcs8(jwk));
            if let Ok(k) = &key {
                let public = k.encryption_key().to_jwk();
                assert_eq!(public.n.as_deref(), jwk["n"].as_str(), "DER encoding of n");
                assert_eq!(public.e.as_deref(), jwk["e"].as_str(), "DER encoding of e");
            }
            Some(key)
        }
        Some("EC") => Some(PlatformDecryptionKey::from_pkcs8_der(&ec_pkcs8(jwk))),
        Some("OKP") if jwk["crv"] == "X25519" => {
            // RFC 8410 PKCS#8 v1: the 32-byte private key in an OCTET STRING.
            let d = b64url(jwk["d"].as_str().expect("OKP JWK d"));
            let alg = seq(&[der(0x06, &[0x2b, 0x65, 0x6e])]);
            Some(PlatformDecryptionKey::from_pkcs8_der(&seq(&[
                der_uint(&[0]),
                alg,
                der(0x04, &der(0x04, &d)),
            ])))
        }
        _ => None,
    }
}

fn run_jwe_file(file: &str, tally: &mut Tally) {
    let Some(v) = load(file) else { return };
    for g in groups(&v) {
        if !tests(g).iter().any(|t| t.get("jwe").is_some()) {
            continue; // JWS groups of json_web_crypto_test.json.
        }
        let private = &g["private"];
        let own = match load_decryption_key(private) {
            Some(Ok(k)) => Some(k),
            Some(Err(e)) => {
                // RSA, P-256 and X25519 keys are platform decryption keys.
                assert_ne!(private["kty"], "RSA", "{file}: RSA key refused: {e}");
                assert!(
                    private["crv"] != "P-256" && private["crv"] != "X25519",
                    "{file}: {} key refused: {e}",
                    private["crv"]
                );
                assert!(
                    KEY_REFUSAL_KINDS.contains(&e.kind()),
                    "{file}: key refused with an unexpected kind: {e}"
                );
                tally.kind(e.kind());
                None
            }
            None => None,
        };
        let keys = [own
            .clone()
            .unwrap_or_else(|| stand_in_decryption_key().clone())];
        for t in tests(g) {
            let jwe = compact(&t["jwe"]);
            let h = header_of(&jwe);
            // RSA-OAEP-256 with an RSA key, ECDH-ES(+A256KW) with an EC
            // or OKP key, and A256GCM content encryption.
            let alg_fits = matches!(
                (header_str(&h, "alg"), private["kty"].as_str()),
                (Some("RSA-OAEP-256"), Some("RSA"))
                    | (Some("ECDH-ES" | "ECDH-ES+A256KW"), Some("EC" | "OKP"))
            );
            let supported = alg_fits && header_str(&h, "enc") == Some("A256GCM") && own.is_some();
            let allow = JWE_ALLOW_LIST
                .iter()
                .find(|(f, id, _)| *f == file && *id == tc_id(t));
            match (dangerous::decrypt_jwe(&jwe, &keys), result(t)) {
                (Ok(plain), "valid") if supported => {
                    let want = hex(t["pt"].as_str().expect("pt"));
                    if plain.expose_secret() == want.as_slice() {
                        tally.passed += 1;
                    } else {
                        tally.fail(t, "decrypted to other bytes".to_owned());
                    }
                }
                (Ok(_), _) => tally.fail(
                    t,
                    format!("accepted ({} / {:?})", own.is_some(), header_str(&h, "alg")),
                ),
                (Err(e), verdict) => {
                    tally.kind(e.kind());
                    if verdict != "valid" {
                        if supported {
                            tally.passed += 1;
                        } else {
                            tally.refused += 1;
                        }
                    } else if !supported && UNSUPPORTED_JWE_KINDS.contains(&e.kind()) {
                        tally.refused += 1;
                    } else if let Some((_, _, why)) = allow {
                        eprintln!("  tcId {} refused on purpose: {why}", tc_id(t));
                        tally.allow_listed += 1;
                    } else {
                        tally.fail(t, format!("refused: {e}"));
                    }
                }
            }
        }
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex in a vector"))
        .collect()
}

#[test]
fn json_web_encryption_vectors() {
    let mut tally = Tally::default();
    run_jwe_file("json_web_encryption_test.json", &mut tally);
    if vectors_dir().is_some() {
        tally.finish("json_web_encryption_test.json");
    }
}

#[test]
fn json_web_crypto_jwe_vectors() {
    let mut tally = Tally::default();
    run_jwe_file("json_web_crypto_test.json", &mut tally);
    if vectors_dir().is_some() {
        // These groups hold AES-KW (never supported: no symmetric keys) and
        // ECDH-ES groups, whose supported vectors must pass.
        eprintln!(
            "wycheproof json_web_crypto_test.json (JWE groups): passed {}, refused {}; error \
             kinds {:?}",
            tally.passed, tally.refused, tally.kinds
        );
        assert!(tally.refused > 0, "no JWE vector was checked");
        assert!(
            tally.failures.is_empty(),
            "{} vector(s) disagree with chatseal:\n{}",
            tally.failures.len(),
            tally.failures.join("\n")
        );
    }
}
