//! The elliptic-curve fast path against libraries nobody here wrote, both
//! directions, with npm `jose` and Python `jwcrypto`:
//!
//! - Ed25519 signatures (JOSE `Ed25519`, and `EdDSA` on verify): chatseal
//!   signs and the peer verifies; the peer signs and chatseal verifies.
//! - `user_payload` as `ECDH-ES+A256KW` and `ECDH-ES` with `A256GCM`, on
//!   P-256 and X25519: chatseal encrypts to the peer's key and the peer
//!   decrypts; the peer encrypts to chatseal's key and chatseal decrypts.
//! - The whole platform flow: a widget token signed Ed25519 by the peer with
//!   a peer-made X25519 JWE inside, verified and decrypted by chatseal's
//!   `Verifier`.

use std::time::{SystemTime, UNIX_EPOCH};

use chatseal::{
    dangerous, Algorithm, ClientSigningKey, ClientVerifyingKey, EcdhCurve, Issuer, JweAlgorithm,
    PayloadFormat, PlatformDecryptionKey, PlatformEncryptionKey, SsoToken, TokenRequest, Verifier,
};
use chatseal_tests::peers::{self, Peer};
use serde_json::{json, Value};

const PEERS: [Peer; 2] = [Peer::Jose, Peer::Jwcrypto];
const CURVES: [(EcdhCurve, &str); 2] = [(EcdhCurve::P256, "ec"), (EcdhCurve::X25519, "x25519")];
const JWE_ALGS: [JweAlgorithm; 2] = [JweAlgorithm::EcdhEsA256kw, JweAlgorithm::EcdhEs];

fn call_ok(peer: Peer, request: &Value) -> Value {
    peers::call(peer, request).unwrap_or_else(|e| panic!("{peer} {}: {e}", request["op"]))
}

fn text(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no `{field}` in {v}"))
        .to_owned()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn header(token: &str) -> Value {
    Value::Object(dangerous::insecure_decode(token).unwrap().0)
}

fn jwe_header(jwe: &str) -> Value {
    use base64::Engine;
    let h = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwe.split('.').next().unwrap())
        .unwrap();
    serde_json::from_slice(&h).unwrap()
}

fn peers_present() -> Vec<Peer> {
    PEERS.into_iter().filter(|p| peers::require(*p)).collect()
}

#[test]
fn ed25519_signatures_both_ways() {
    for peer in peers_present() {
        // chatseal signs, the peer verifies.
        let host = ClientSigningKey::generate(Algorithm::Ed25519).unwrap();
        let token = Issuer::builder(host.clone())
            .issuer("https://host.example")
            .audience("chat")
            .build()
            .unwrap()
            .mint(&TokenRequest::new("user-42"))
            .unwrap();
        assert_eq!(header(&token)["alg"], "Ed25519");
        let out = call_ok(
            peer,
            &json!({"op": "verify", "alg": "Ed25519", "token": token,
                    "public_pem": host.verifying_key().to_spki_pem().unwrap(),
                    "iss": "https://host.example", "aud": "chat"}),
        );
        assert_eq!(out["claims"]["sub"], "user-42", "{peer}");
        // The peer's JWK form of chatseal's key agrees too.
        let jwk: Value = serde_json::from_str(&host.verifying_key().to_jwk().to_json()).unwrap();
        assert_eq!(jwk["kty"], "OKP");
        call_ok(
            peer,
            &json!({"op": "verify", "alg": "Ed25519", "token": token, "public_jwk": jwk}),
        );
        let thumb = call_ok(
            peer,
            &json!({"op": "jwk_thumbprint", "public_pem": host.verifying_key().to_spki_pem().unwrap()}),
        );
        assert_eq!(
            thumb["thumbprint"],
            host.thumbprint(),
            "{peer}: RFC 8037 thumbprint"
        );

        // The peer signs with its own key, as `Ed25519` and as `EdDSA`;
        // chatseal verifies against the peer's PEM.
        let pair = call_ok(peer, &json!({"op": "generate", "kind": "ed25519"}));
        let public =
            ClientVerifyingKey::from_spki_pem_without_alg(&text(&pair, "public_pem")).unwrap();
        assert_eq!(public.algorithm(), Algorithm::Ed25519);
        // chatseal also loads the peer's private key (PKCS#8) for signing.
        ClientSigningKey::from_pem(&text(&pair, "private_pem"), Algorithm::Ed25519).unwrap();
        for alg in ["Ed25519", "EdDSA"] {
            let t = text(
                &call_ok(
                    peer,
                    &json!({"op": "sign", "alg": alg, "private_pem": text(&pair, "private_pem"),
                            "kid": "peer-ed-1",
                            "claims": {"iss": "https://peer", "aud": "chat", "sub": "u7",
                                       "iat": now(), "exp": now() + 300}}),
                ),
                "token",
            );
            assert_eq!(header(&t)["alg"], alg);
            let v = Verifier::builder([public.clone()])
                .issuer("https://peer")
                .audience("chat")
                .build()
                .unwrap();
            let ok = v
                .verify(&t)
                .unwrap_or_else(|e| panic!("{peer} {alg}: chatseal refused: {e}"));
            assert_eq!(ok.subject(), "u7");
            // Tampered: refused.
            let mut bad = t.clone();
            let last = bad.pop().unwrap();
            bad.push(if last == 'A' { 'B' } else { 'A' });
            assert!(v.verify(&bad).is_err());
        }
    }
}

#[test]
fn ecdh_es_jwe_both_ways() {
    let sso = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-access-token-ø";
    let plaintext = json!({ "sso_token": sso }).to_string();
    for peer in peers_present() {
        for (curve, kind) in CURVES {
            for alg in JWE_ALGS {
                let label = format!("{peer} {curve} {alg}");
                // chatseal encrypts to the peer's key; the peer decrypts.
                let pair = call_ok(peer, &json!({"op": "generate", "kind": kind}));
                let theirs = PlatformEncryptionKey::from_spki_pem(&text(&pair, "public_pem"))
                    .unwrap()
                    .with_jwe_algorithm(alg)
                    .unwrap();
                assert_eq!(theirs.curve(), Some(curve));
                let host = ClientSigningKey::generate(Algorithm::ES256).unwrap();
                let token = Issuer::builder(host)
                    .without_issuer()
                    .without_audience()
                    .platform_key(theirs, PayloadFormat::Jwe)
                    .build()
                    .unwrap()
                    .mint(&TokenRequest::new("u1").sso_token(SsoToken::new(sso)))
                    .unwrap();
                let (_, claims) = dangerous::insecure_decode(&token).unwrap();
                let jwe = claims["user_payload"].as_str().unwrap().to_owned();
                assert_eq!(jwe_header(&jwe)["alg"], alg.as_str(), "{label}");
                let out = call_ok(
                    peer,
                    &json!({"op": "decrypt_jwe", "alg": alg.as_str(),
                            "private_pem": text(&pair, "private_pem"), "jwe": jwe}),
                );
                assert_eq!(out["plaintext"], plaintext.as_str(), "{label}");
                // chatseal loads the peer's private key too.
                PlatformDecryptionKey::from_pem(&text(&pair, "private_pem")).unwrap();

                // The peer encrypts to chatseal's key; chatseal decrypts,
                // with the key given as PEM and as JWK.
                let ours = PlatformDecryptionKey::generate_ecdh(curve).unwrap();
                for key_as in ["pem", "jwk"] {
                    let mut req = json!({"op": "encrypt_jwe", "alg": alg.as_str(),
                                         "plaintext": plaintext, "kid": ours.kid()});
                    if key_as == "pem" {
                        req["public_pem"] = json!(ours.encryption_key().to_spki_pem().unwrap());
                    } else {
                        req["public_jwk"] =
                            serde_json::from_str(&ours.encryption_key().to_jwk().to_json())
                                .unwrap();
                    }
                    let jwe = text(&call_ok(peer, &req), "jwe");
                    let h = jwe_header(&jwe);
                    assert_eq!(h["alg"], alg.as_str(), "{label}");
                    assert_eq!(h["epk"]["crv"], curve.as_str(), "{label}");
                    let plain = dangerous::decrypt_jwe(&jwe, std::slice::from_ref(&ours))
                        .unwrap_or_else(|e| panic!("{label} ({key_as}): chatseal refused: {e}"));
                    assert_eq!(plain.expose_secret(), plaintext.as_bytes(), "{label}");
                    // Another key of the same curve cannot open it.
                    let other = PlatformDecryptionKey::generate_ecdh(curve).unwrap();
                    assert!(dangerous::decrypt_jwe(&jwe, &[other]).is_err());
                }
                // chatseal's private key in PEM opens with the peer as well.
                let host = ClientSigningKey::generate(Algorithm::ES256).unwrap();
                let token = Issuer::builder(host)
                    .without_issuer()
                    .without_audience()
                    .platform_key(
                        ours.encryption_key().with_jwe_algorithm(alg).unwrap(),
                        PayloadFormat::Jwe,
                    )
                    .build()
                    .unwrap()
                    .mint(&TokenRequest::new("u1").sso_token(SsoToken::new(sso)))
                    .unwrap();
                let (_, claims) = dangerous::insecure_decode(&token).unwrap();
                let out = call_ok(
                    peer,
                    &json!({"op": "decrypt_jwe", "alg": alg.as_str(),
                            "private_pem": ours.to_pkcs8_pem().unwrap().expose_secret(),
                            "jwe": claims["user_payload"]}),
                );
                assert_eq!(out["plaintext"], plaintext.as_str(), "{label}");
            }
        }
    }
}

#[test]
fn peer_widget_token_ed25519_with_x25519_payload_verifies_in_chatseal() {
    for peer in peers_present() {
        let platform = PlatformDecryptionKey::generate_ecdh(EcdhCurve::X25519).unwrap();
        let pair = call_ok(peer, &json!({"op": "generate", "kind": "ed25519"}));
        let jwe = text(
            &call_ok(
                peer,
                &json!({"op": "encrypt_jwe", "alg": "ECDH-ES+A256KW",
                        "public_pem": platform.encryption_key().to_spki_pem().unwrap(),
                        "kid": platform.kid(),
                        "plaintext": json!({"sso_token": "obo-123"}).to_string()}),
            ),
            "jwe",
        );
        let token = text(
            &call_ok(
                peer,
                &json!({"op": "sign", "alg": "Ed25519", "private_pem": text(&pair, "private_pem"),
                        "kid": "host-ed-1",
                        "claims": {"iss": "https://host", "aud": "chat", "sub": "user-9",
                                   "iat": now(), "exp": now() + 600, "user_payload": jwe}}),
            ),
            "token",
        );
        let host_key =
            ClientVerifyingKey::from_spki_pem_without_alg(&text(&pair, "public_pem")).unwrap();
        let v = Verifier::builder([host_key])
            .issuer("https://host")
            .audience("chat")
            .decryption_keys([platform], PayloadFormat::Jwe)
            .build()
            .unwrap();
        let ok = v
            .verify(&token)
            .unwrap_or_else(|e| panic!("{peer}: chatseal refused: {e}"));
        assert_eq!(ok.subject(), "user-9");
        assert_eq!(ok.sso_token().unwrap().expose_secret(), "obo-123");
    }
}
