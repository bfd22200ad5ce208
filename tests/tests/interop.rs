//! Interop with JOSE libraries nobody here wrote: npm `jose`, Python
//! `jwcrypto` and `PyJWT`, each run as a child process (see
//! `chatseal_tests::peers`).
//!
//! Both directions, for RS256, PS256 and ES256, with RSA 2048 and 4096 keys:
//! - tokens minted by chatseal's [`Issuer`] verify in the peer (from the SPKI
//!   PEM, the JWK and the JWKS chatseal exports), and the peer decrypts their
//!   `user_payload` JWE with the platform private key;
//! - tokens the peer signs (with keys it generated and with keys chatseal
//!   generated), carrying a `user_payload` JWE the peer encrypted to
//!   chatseal's platform key, verify and decrypt in chatseal's [`Verifier`];
//! - the peers compute the same RFC 7638 thumbprints as chatseal;
//! - a token signed with another key, or a JWE for another key, is refused
//!   with the specific error kind, and the peers refuse chatseal's tokens
//!   under the wrong key (so the positive checks above can fail).
//!
//! Every test starts with `peers::require`, which skips (plain `cargo test`)
//! or fails (`CHATSEAL_REQUIRE_PEERS=1`, as in `tests/run.sh`) when the peer
//! is not installed.

use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use chatseal::{
    thumbprint_of_spki_pem, Algorithm, ClientSigningKey, ClientVerifyingKey, ErrorKind, Issuer,
    PayloadFormat, PlatformDecryptionKey, RsaKeySize, SsoToken, TokenRequest, Verifier,
};
use chatseal_tests::peers::{self, Peer};
use serde_json::{json, Value};

const ISS: &str = "https://host.example";
const AUD: &str = "chatseal-platform";

/// One library behind a peer: which ops sign and verify. The JWE ops
/// (`encrypt_jwe`, `decrypt_jwe`) are always the peer's own (jwcrypto for
/// PyJWT, which has no JWE).
#[derive(Clone, Copy, Debug)]
struct Lib {
    peer: Peer,
    name: &'static str,
    sign: &'static str,
    verify: &'static str,
}

const JOSE: Lib = Lib {
    peer: Peer::Jose,
    name: "jose",
    sign: "sign",
    verify: "verify",
};
const JWCRYPTO: Lib = Lib {
    peer: Peer::Jwcrypto,
    name: "jwcrypto",
    sign: "sign",
    verify: "verify",
};
const PYJWT: Lib = Lib {
    peer: Peer::Jwcrypto,
    name: "pyjwt",
    sign: "pyjwt_sign",
    verify: "pyjwt_verify",
};

/// A client key kind: algorithm and, for RSA, the modulus size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Case {
    alg: Algorithm,
    rsa_bits: Option<u32>,
}

const CASES: [Case; 5] = [
    Case {
        alg: Algorithm::RS256,
        rsa_bits: Some(2048),
    },
    Case {
        alg: Algorithm::RS256,
        rsa_bits: Some(4096),
    },
    Case {
        alg: Algorithm::PS256,
        rsa_bits: Some(2048),
    },
    Case {
        alg: Algorithm::PS256,
        rsa_bits: Some(4096),
    },
    Case {
        alg: Algorithm::ES256,
        rsa_bits: None,
    },
];

impl Case {
    /// The platform key size used with this case: 4096 with 4096-bit client
    /// keys, 2048 otherwise, so both platform sizes are exercised too.
    fn platform_bits(self) -> u32 {
        if self.rsa_bits == Some(4096) {
            4096
        } else {
            2048
        }
    }

    /// The peer's `generate` request for a key of this kind.
    fn generate_request(self) -> Value {
        match self.rsa_bits {
            Some(bits) => json!({"op": "generate", "kind": "rsa", "bits": bits}),
            None => json!({"op": "generate", "kind": "ec"}),
        }
    }

    fn label(self) -> String {
        match self.rsa_bits {
            Some(bits) => format!("{}/RSA-{bits}", self.alg),
            None => format!("{}/P-256", self.alg),
        }
    }
}

// --------------------------------------------------------------------------
// Keys chatseal generates, once per test binary (RSA-4096 generation is slow
// in debug builds).
// --------------------------------------------------------------------------

fn client_key(case: Case) -> &'static ClientSigningKey {
    static KEYS: [OnceLock<ClientSigningKey>; CASES.len()] = [const { OnceLock::new() }; 5];
    let i = CASES.iter().position(|c| *c == case).expect("known case");
    KEYS[i].get_or_init(|| {
        let key = match case.rsa_bits {
            Some(bits) => ClientSigningKey::generate_rsa(
                case.alg,
                RsaKeySize::from_bits(bits).expect("supported size"),
            ),
            None => ClientSigningKey::generate(case.alg),
        };
        key.expect("chatseal generates a client key")
    })
}

/// A key pair the peer generated for `case` (PKCS#8 private PEM, SPKI public
/// PEM), once per peer and key kind: RS256 and PS256 cases share the RSA
/// key of their size (RSA-4096 generation takes seconds in the peers).
fn peer_pair(peer: Peer, case: Case) -> (String, String) {
    /// (peer, RSA bits or `None` for P-256, private PEM, public PEM).
    type Pair = (Peer, Option<u32>, String, String);
    static PAIRS: Mutex<Vec<Pair>> = Mutex::new(Vec::new());
    let mut pairs = PAIRS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, _, private, public)) = pairs
        .iter()
        .find(|(p, bits, _, _)| *p == peer && *bits == case.rsa_bits)
    {
        return (private.clone(), public.clone());
    }
    let pair = call_ok(peer, &case.generate_request());
    let (private, public) = (text(&pair, "private_pem"), text(&pair, "public_pem"));
    pairs.push((peer, case.rsa_bits, private.clone(), public.clone()));
    (private, public)
}

fn platform_key(bits: u32) -> &'static PlatformDecryptionKey {
    static P2048: OnceLock<PlatformDecryptionKey> = OnceLock::new();
    static P4096: OnceLock<PlatformDecryptionKey> = OnceLock::new();
    let (cell, size) = match bits {
        2048 => (&P2048, RsaKeySize::Rsa2048),
        4096 => (&P4096, RsaKeySize::Rsa4096),
        other => panic!("no platform key of {other} bits in these tests"),
    };
    cell.get_or_init(|| PlatformDecryptionKey::generate(size).expect("platform key"))
}

/// The platform key of the other size: configured next to the right one as a
/// decoy (rotation), or used as "another key" in negative tests.
fn other_platform_key(bits: u32) -> &'static PlatformDecryptionKey {
    platform_key(if bits == 2048 { 4096 } else { 2048 })
}

// --------------------------------------------------------------------------
// Helpers
// --------------------------------------------------------------------------

fn call_ok(peer: Peer, request: &Value) -> Value {
    peers::call(peer, request).unwrap_or_else(|e| panic!("{e}"))
}

fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string field `{field}` in {value}"))
        .to_owned()
}

fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    i64::try_from(secs).expect("time fits i64")
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn spki_pem(key: &ClientSigningKey) -> String {
    key.verifying_key().to_spki_pem().expect("SPKI PEM")
}

fn jwk_value(key: &ClientVerifyingKey) -> Value {
    json_of(&key.to_jwk().to_json())
}

fn platform_private_pem(key: &PlatformDecryptionKey) -> String {
    key.to_pkcs8_pem()
        .expect("PKCS#8 PEM")
        .expose_secret()
        .to_owned()
}

/// An sso_token that names where it came from, with non-ASCII text.
fn sso_token_for(lib: Lib, case: Case, direction: &str) -> String {
    format!(
        "{direction}:{}:{}:Grüße-東京-🎉:{}",
        lib.name,
        case.label(),
        "x".repeat(40)
    )
}

fn context() -> Value {
    json!({"name": "Ada Lovelace", "email": "ada@example.com", "admin": true, "level": 3})
}

/// A verifier for chatseal's own issuer/audience with `trusted` keys and the
/// platform key of `platform_bits` (plus the other size as a decoy).
fn verifier(trusted: Vec<ClientVerifyingKey>, platform_bits: u32) -> Verifier {
    Verifier::builder(trusted)
        .issuer(ISS)
        .audience(AUD)
        .decryption_keys(
            [
                other_platform_key(platform_bits).clone(),
                platform_key(platform_bits).clone(),
            ],
            PayloadFormat::Jwe,
        )
        .build()
        .expect("verifier")
}

/// Has the peer encrypt `{"sso_token": sso}` to chatseal's platform key, as
/// a compact JWE (by SPKI PEM, or by chatseal's exported JWK).
fn peer_jwe(peer: Peer, platform: &PlatformDecryptionKey, sso: &str, key_as: KeyAs) -> String {
    let plaintext = json!({ "sso_token": sso }).to_string();
    let mut request = json!({"op": "encrypt_jwe", "plaintext": plaintext});
    match key_as {
        KeyAs::Pem { kid } => {
            request["public_pem"] =
                json!(platform.encryption_key().to_spki_pem().expect("SPKI PEM"));
            if let Some(kid) = kid {
                request["kid"] = json!(kid);
            }
        }
        KeyAs::Jwk => {
            request["public_jwk"] = json_of(&platform.encryption_key().to_jwk().to_json());
            request["kid"] = json!(platform.kid());
        }
    }
    text(&call_ok(peer, &request), "jwe")
}

#[derive(Clone, Copy)]
enum KeyAs<'a> {
    Pem { kid: Option<&'a str> },
    Jwk,
}

/// Widget-token claims as a host built on the peer would send them.
fn peer_claims(sub: &str, aud: Value, user_payload: &str) -> Value {
    let t = now();
    json!({
        "iss": ISS,
        "sub": sub,
        "aud": aud,
        "iat": t,
        "nbf": t,
        "exp": t + 600,
        "context": context(),
        "user_payload": user_payload,
    })
}

fn peer_sign(
    lib: Lib,
    alg: Algorithm,
    private_pem: &str,
    kid: Option<&str>,
    claims: &Value,
) -> String {
    let mut request = json!({
        "op": lib.sign,
        "alg": alg.as_str(),
        "private_pem": private_pem,
        "claims": claims,
    });
    if let Some(kid) = kid {
        request["kid"] = json!(kid);
    }
    text(&call_ok(lib.peer, &request), "token")
}

// --------------------------------------------------------------------------
// chatseal → peer
// --------------------------------------------------------------------------

/// chatseal mints (JWE payload); the peer verifies from the SPKI PEM and from
/// the JWK, checks iss/aud, and decrypts `user_payload`.
fn chatseal_tokens_verify_and_decrypt_in(lib: Lib) {
    for case in CASES {
        let client = client_key(case);
        let platform = platform_key(case.platform_bits());
        let issuer = Issuer::builder(client.clone())
            .issuer(ISS)
            .audience(AUD)
            .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
            .build()
            .expect("issuer");
        let sso = sso_token_for(lib, case, "chatseal-to-peer");
        let token = issuer
            .mint(
                &TokenRequest::new("user-42")
                    .context(context())
                    .sso_token(SsoToken::new(sso.clone())),
            )
            .expect("mint");
        let what = format!("{} {}", lib.name, case.label());

        let by_pem = call_ok(
            lib.peer,
            &json!({"op": lib.verify, "alg": case.alg.as_str(), "public_pem": spki_pem(client),
                    "token": token, "iss": ISS, "aud": AUD}),
        );
        assert_eq!(
            by_pem["header"],
            json!({"alg": case.alg.as_str(), "typ": "JWT", "kid": client.kid()}),
            "{what}"
        );
        let claims = &by_pem["claims"];
        assert_eq!(claims["iss"], ISS, "{what}");
        assert_eq!(claims["aud"], AUD, "{what}");
        assert_eq!(claims["sub"], "user-42", "{what}");
        assert_eq!(claims["context"], context(), "{what}");
        let iat = claims["iat"].as_i64().expect("iat");
        assert_eq!(claims["nbf"].as_i64(), Some(iat), "{what}");
        assert_eq!(claims["exp"].as_i64(), Some(iat + 3600), "{what}");
        assert!((iat - now()).abs() < 120, "{what}: iat {iat} is not now");
        assert_eq!(
            text(claims, "jti").len(),
            22,
            "{what}: 128-bit base64url jti"
        );

        let by_jwk = call_ok(
            lib.peer,
            &json!({"op": lib.verify, "alg": case.alg.as_str(),
                    "public_jwk": jwk_value(client.verifying_key()),
                    "token": token, "iss": ISS, "aud": AUD}),
        );
        assert_eq!(by_jwk["claims"], *claims, "{what}: JWK and PEM disagree");

        let jwe = text(claims, "user_payload");
        assert_eq!(jwe.split('.').count(), 5, "{what}: compact JWE");
        let opened = call_ok(
            lib.peer,
            &json!({"op": "decrypt_jwe", "private_pem": platform_private_pem(platform), "jwe": jwe}),
        );
        assert_eq!(
            json_of(&text(&opened, "plaintext")),
            json!({ "sso_token": sso }),
            "{what}"
        );
        assert_eq!(
            opened["header"],
            json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": platform.kid()}),
            "{what}"
        );
    }
}

#[test]
fn jose_verifies_and_decrypts_chatseal_tokens() {
    if !peers::require(Peer::Jose) {
        return;
    }
    chatseal_tokens_verify_and_decrypt_in(JOSE);
}

#[test]
fn jwcrypto_verifies_and_decrypts_chatseal_tokens() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    chatseal_tokens_verify_and_decrypt_in(JWCRYPTO);
}

#[test]
fn pyjwt_verifies_chatseal_tokens() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    chatseal_tokens_verify_and_decrypt_in(PYJWT);
}

// --------------------------------------------------------------------------
// peer → chatseal
// --------------------------------------------------------------------------

/// The peer signs (with a key it generated, and with one chatseal generated)
/// a token whose `user_payload` it encrypted to chatseal's platform key;
/// chatseal verifies and decrypts it.
fn peer_tokens_verify_and_decrypt_in_chatseal(lib: Lib) {
    for case in CASES {
        let platform = platform_key(case.platform_bits());
        for peer_generated in [true, false] {
            let origin = if peer_generated {
                "peer key"
            } else {
                "chatseal key"
            };
            let what = format!("{} {} ({origin})", lib.name, case.label());
            let (private_pem, trusted) = if peer_generated {
                let (private_pem, public_pem) = peer_pair(lib.peer, case);
                let trusted = ClientVerifyingKey::from_spki_pem(&public_pem, case.alg)
                    .unwrap_or_else(|e| panic!("{what}: chatseal loads the peer's SPKI: {e}"));
                (private_pem, trusted)
            } else {
                let key = client_key(case);
                let pem = key.to_pkcs8_pem().expect("PKCS#8 PEM");
                (pem.expose_secret().to_owned(), key.verifying_key().clone())
            };

            let sso = sso_token_for(lib, case, &format!("peer-to-chatseal:{origin}"));
            // Peer keys: header kid and JWE kid set, `aud` an array. chatseal
            // keys: no kid anywhere (chatseal tries the keys for the alg, and
            // each platform key), `aud` a string.
            let (kid, aud, jwe) = if peer_generated {
                let jwe = peer_jwe(
                    lib.peer,
                    platform,
                    &sso,
                    KeyAs::Pem {
                        kid: Some(platform.kid()),
                    },
                );
                (
                    Some(trusted.kid().to_owned()),
                    json!(["other-service", AUD]),
                    jwe,
                )
            } else {
                let jwe = peer_jwe(lib.peer, platform, &sso, KeyAs::Pem { kid: None });
                (None, json!(AUD), jwe)
            };
            let claims = peer_claims("user-7", aud, &jwe);
            let token = peer_sign(lib, case.alg, &private_pem, kid.as_deref(), &claims);

            let verified = verifier(vec![trusted], case.platform_bits())
                .verify(&token)
                .unwrap_or_else(|e| panic!("{what}: chatseal refused the peer's token: {e}"));
            assert_eq!(verified.subject(), "user-7", "{what}");
            assert_eq!(verified.header().alg, case.alg, "{what}");
            assert_eq!(verified.header().kid, kid, "{what}");
            assert_eq!(
                verified.context().cloned().map(Value::Object),
                Some(context()),
                "{what}"
            );
            assert_eq!(
                verified.sso_token().map(SsoToken::expose_secret),
                Some(sso.as_str()),
                "{what}"
            );
            assert_eq!(verified.claims().iss.as_deref(), Some(ISS), "{what}");
        }
    }
}

#[test]
fn chatseal_verifies_and_decrypts_jose_tokens() {
    if !peers::require(Peer::Jose) {
        return;
    }
    peer_tokens_verify_and_decrypt_in_chatseal(JOSE);
}

#[test]
fn chatseal_verifies_and_decrypts_jwcrypto_tokens() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    peer_tokens_verify_and_decrypt_in_chatseal(JWCRYPTO);
}

#[test]
fn chatseal_verifies_and_decrypts_pyjwt_tokens() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    peer_tokens_verify_and_decrypt_in_chatseal(PYJWT);
}

// --------------------------------------------------------------------------
// JWK / JWKS export and thumbprints
// --------------------------------------------------------------------------

/// chatseal's JWKS of every client key verifies each key's tokens in the
/// peer (the peer picks the key by `kid`), the peer's RFC 7638 thumbprints
/// equal chatseal's for client and platform keys, and a JWE the peer made
/// from chatseal's platform JWK decrypts in chatseal.
fn jwks_and_thumbprints_agree_with(lib: Lib) {
    let keys: Vec<&ClientSigningKey> = CASES.iter().map(|c| client_key(*c)).collect();
    let jwks =
        json_of(&ClientVerifyingKey::to_jwks(keys.iter().map(|k| k.verifying_key())).to_json());
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(CASES.len()));

    for (case, key) in CASES.iter().zip(&keys) {
        let what = format!("{} {}", lib.name, case.label());
        let issuer = Issuer::builder((*key).clone())
            .issuer(ISS)
            .audience(AUD)
            .build()
            .expect("issuer");
        let token = issuer.mint(&TokenRequest::new("user-jwks")).expect("mint");
        let out = call_ok(
            lib.peer,
            &json!({"op": lib.verify, "alg": case.alg.as_str(), "jwks": jwks, "token": token,
                    "iss": ISS, "aud": AUD}),
        );
        assert_eq!(out["claims"]["sub"], "user-jwks", "{what}");
        assert_eq!(out["header"]["kid"], key.kid(), "{what}");

        // jwk_thumbprint is a jwcrypto/jose op; PyJWT shares jwcrypto's peer.
        let from_jwk = call_ok(
            lib.peer,
            &json!({"op": "jwk_thumbprint", "public_jwk": jwk_value(key.verifying_key())}),
        );
        let from_pem = call_ok(
            lib.peer,
            &json!({"op": "jwk_thumbprint", "public_pem": spki_pem(key)}),
        );
        assert_eq!(text(&from_jwk, "thumbprint"), key.thumbprint(), "{what}");
        assert_eq!(text(&from_pem, "thumbprint"), key.thumbprint(), "{what}");
        // The default kid is the thumbprint.
        assert_eq!(key.kid(), key.thumbprint(), "{what}");
    }

    for bits in [2048, 4096] {
        let platform = platform_key(bits);
        let what = format!("{} platform RSA-{bits}", lib.name);
        let public_jwk = json_of(&platform.encryption_key().to_jwk().to_json());
        assert_eq!(public_jwk["use"], "enc", "{what}");
        assert_eq!(public_jwk["alg"], "RSA-OAEP-256", "{what}");
        let tp = call_ok(
            lib.peer,
            &json!({"op": "jwk_thumbprint", "public_jwk": public_jwk}),
        );
        assert_eq!(text(&tp, "thumbprint"), platform.thumbprint(), "{what}");

        // The peer encrypts to the JWK chatseal published; chatseal opens it.
        let sso = format!("via-jwk-{bits}");
        let jwe = peer_jwe(lib.peer, platform, &sso, KeyAs::Jwk);
        // Sign the peer's JWE into a token by the peer, with chatseal's ES256 key.
        let private_pem = client_key(CASES[4])
            .to_pkcs8_pem()
            .expect("PKCS#8 PEM")
            .expose_secret()
            .to_owned();
        let signed = peer_sign(
            lib,
            Algorithm::ES256,
            &private_pem,
            Some(client_key(CASES[4]).kid()),
            &peer_claims("user-jwk", json!(AUD), &jwe),
        );
        let verified = verifier(vec![client_key(CASES[4]).verifying_key().clone()], bits)
            .verify(&signed)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            verified.sso_token().map(SsoToken::expose_secret),
            Some(sso.as_str()),
            "{what}"
        );
    }
}

#[test]
fn jose_accepts_chatseal_jwks_and_agrees_on_thumbprints() {
    if !peers::require(Peer::Jose) {
        return;
    }
    jwks_and_thumbprints_agree_with(JOSE);
}

#[test]
fn jwcrypto_accepts_chatseal_jwks_and_agrees_on_thumbprints() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    jwks_and_thumbprints_agree_with(JWCRYPTO);
}

#[test]
fn pyjwt_accepts_chatseal_jwks() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    jwks_and_thumbprints_agree_with(PYJWT);
}

/// Keys the peer generates have the same thumbprint in the peer and in
/// chatseal (whatever container chatseal reads them from).
fn peer_generated_keys_have_the_same_thumbprint(peer: Peer) {
    for case in [CASES[0], CASES[1], CASES[4]] {
        let (private_pem, public_pem) = peer_pair(peer, case);
        let theirs = text(
            &call_ok(
                peer,
                &json!({"op": "jwk_thumbprint", "public_pem": public_pem}),
            ),
            "thumbprint",
        );
        let what = format!("{peer} {}", case.label());
        assert_eq!(
            thumbprint_of_spki_pem(&public_pem).expect("thumbprint"),
            theirs,
            "{what}"
        );
        let verifying = ClientVerifyingKey::from_spki_pem(&public_pem, case.alg).expect("SPKI");
        assert_eq!(verifying.thumbprint(), theirs, "{what}");
        let signing = ClientSigningKey::from_pem(&private_pem, case.alg)
            .unwrap_or_else(|e| panic!("{what}: chatseal loads the peer's PKCS#8: {e}"));
        assert_eq!(signing.thumbprint(), theirs, "{what}");
    }
}

#[test]
fn jose_generated_keys_have_chatseal_thumbprints() {
    if !peers::require(Peer::Jose) {
        return;
    }
    peer_generated_keys_have_the_same_thumbprint(Peer::Jose);
}

#[test]
fn jwcrypto_generated_keys_have_chatseal_thumbprints() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    peer_generated_keys_have_the_same_thumbprint(Peer::Jwcrypto);
}

// --------------------------------------------------------------------------
// Negative cross checks
// --------------------------------------------------------------------------

/// A token the peer signed with a key of its own is refused as
/// `InvalidSignature` by a verifier that trusts another key of the same
/// algorithm, whether the token names the trusted key's kid or no kid.
fn peer_token_with_another_key_is_refused(lib: Lib) {
    for case in [CASES[0], CASES[2], CASES[4]] {
        let trusted = client_key(case);
        let (rogue_pem, _) = peer_pair(lib.peer, case);
        let jwe = peer_jwe(
            lib.peer,
            platform_key(2048),
            "sso",
            KeyAs::Pem { kid: None },
        );
        let claims = peer_claims("mallory", json!(AUD), &jwe);
        for kid in [Some(trusted.kid()), None] {
            let what = format!("{} {} kid {kid:?}", lib.name, case.label());
            let token = peer_sign(lib, case.alg, &rogue_pem, kid, &claims);
            let err = verifier(vec![trusted.verifying_key().clone()], 2048)
                .verify(&token)
                .expect_err(&what);
            assert_eq!(err.kind(), ErrorKind::InvalidSignature, "{what}: {err}");
        }
    }
}

#[test]
fn jose_token_signed_with_another_key_is_invalid_signature() {
    if !peers::require(Peer::Jose) {
        return;
    }
    peer_token_with_another_key_is_refused(JOSE);
}

#[test]
fn jwcrypto_token_signed_with_another_key_is_invalid_signature() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    peer_token_with_another_key_is_refused(JWCRYPTO);
}

/// A validly signed token whose `user_payload` the peer encrypted to a key
/// the verifier does not hold (with that key's kid, with the configured
/// key's kid, with none), or whose JWE was tampered with, fails as a whole
/// with `DecryptionFailed`.
fn peer_jwe_to_another_key_is_refused(lib: Lib) {
    let case = CASES[4];
    let client = client_key(case);
    let private_pem = client
        .to_pkcs8_pem()
        .expect("PKCS#8 PEM")
        .expose_secret()
        .to_owned();
    let configured = platform_key(2048);
    let foreign = platform_key(4096);
    let only_configured = Verifier::builder([client.verifying_key().clone()])
        .issuer(ISS)
        .audience(AUD)
        .decryption_keys([configured.clone()], PayloadFormat::Jwe)
        .build()
        .expect("verifier");

    let mut payloads = vec![
        (
            "foreign key, its kid",
            peer_jwe(
                lib.peer,
                foreign,
                "s1",
                KeyAs::Pem {
                    kid: Some(foreign.kid()),
                },
            ),
        ),
        (
            "foreign key, configured key's kid",
            peer_jwe(
                lib.peer,
                foreign,
                "s2",
                KeyAs::Pem {
                    kid: Some(configured.kid()),
                },
            ),
        ),
        (
            "foreign key, no kid",
            peer_jwe(lib.peer, foreign, "s3", KeyAs::Pem { kid: None }),
        ),
    ];
    // The right key, but one ciphertext character changed.
    let good = peer_jwe(
        lib.peer,
        configured,
        "s4",
        KeyAs::Pem {
            kid: Some(configured.kid()),
        },
    );
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let ct = &mut parts[3];
    let first = if ct.starts_with('A') { "B" } else { "A" };
    ct.replace_range(0..1, first);
    payloads.push(("right key, tampered ciphertext", parts.join(".")));

    for (what, jwe) in payloads {
        let what = format!("{}: {what}", lib.name);
        let token = peer_sign(
            lib,
            case.alg,
            &private_pem,
            Some(client.kid()),
            &peer_claims("user-9", json!(AUD), &jwe),
        );
        let err = only_configured.verify(&token).expect_err(&what);
        assert_eq!(err.kind(), ErrorKind::DecryptionFailed, "{what}: {err}");
    }
}

#[test]
fn jose_jwe_to_another_platform_key_is_decryption_failed() {
    if !peers::require(Peer::Jose) {
        return;
    }
    peer_jwe_to_another_key_is_refused(JOSE);
}

#[test]
fn jwcrypto_jwe_to_another_platform_key_is_decryption_failed() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    peer_jwe_to_another_key_is_refused(JWCRYPTO);
}

/// The peers refuse chatseal's token under another client key, for another
/// issuer or audience, and its JWE under another platform key: the positive
/// checks above are not vacuous.
fn peer_refuses_chatseal_tokens_under_wrong_settings(lib: Lib) {
    let case = CASES[0];
    let client = client_key(case);
    let platform = platform_key(2048);
    let token = Issuer::builder(client.clone())
        .issuer(ISS)
        .audience(AUD)
        .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
        .build()
        .expect("issuer")
        .mint(&TokenRequest::new("user-1").sso_token(SsoToken::new("s")))
        .expect("mint");
    let alg = case.alg.as_str();
    let other_client = spki_pem(client_key(CASES[1]));

    let wrong_key = peers::call(
        lib.peer,
        &json!({"op": lib.verify, "alg": alg, "public_pem": other_client, "token": token}),
    );
    assert!(
        wrong_key.is_err(),
        "{}: accepted under another key",
        lib.name
    );
    let wrong_iss = peers::call(
        lib.peer,
        &json!({"op": lib.verify, "alg": alg, "public_pem": spki_pem(client), "token": token,
                "iss": "https://other.example", "aud": AUD}),
    );
    assert!(wrong_iss.is_err(), "{}: accepted another iss", lib.name);
    let wrong_aud = peers::call(
        lib.peer,
        &json!({"op": lib.verify, "alg": alg, "public_pem": spki_pem(client), "token": token,
                "iss": ISS, "aud": "other-platform"}),
    );
    assert!(wrong_aud.is_err(), "{}: accepted another aud", lib.name);

    let claims = chatseal::dangerous::insecure_decode(&token)
        .expect("decode")
        .1;
    let jwe = claims["user_payload"].as_str().expect("user_payload");
    let wrong_platform = peers::call(
        lib.peer,
        &json!({"op": "decrypt_jwe", "private_pem": platform_private_pem(platform_key(4096)),
                "jwe": jwe}),
    );
    assert!(
        wrong_platform.is_err(),
        "{}: decrypted under another platform key",
        lib.name
    );
}

#[test]
fn jose_refuses_chatseal_tokens_under_wrong_settings() {
    if !peers::require(Peer::Jose) {
        return;
    }
    peer_refuses_chatseal_tokens_under_wrong_settings(JOSE);
}

#[test]
fn jwcrypto_refuses_chatseal_tokens_under_wrong_settings() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    peer_refuses_chatseal_tokens_under_wrong_settings(JWCRYPTO);
}

#[test]
fn pyjwt_refuses_chatseal_tokens_under_wrong_settings() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    peer_refuses_chatseal_tokens_under_wrong_settings(PYJWT);
}
