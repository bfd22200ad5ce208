//! The ECDH-ES paths of the JWE `user_payload`: round trips on both curves
//! and both algorithms, and the attacks RFC 7518 §4.6 implementations must
//! refuse (invalid-curve points, another curve, low-order X25519 points,
//! private members in `epk`, RSA/EC confusion, a kid of the other family).

use super::*;
use crate::keys::{EcdhCurve, RsaKeySize};

fn ec(curve: EcdhCurve) -> PlatformDecryptionKey {
    PlatformDecryptionKey::generate_ecdh(curve).unwrap()
}

fn open(keys: &[PlatformDecryptionKey], jwe: &str) -> Result<Option<SsoToken>> {
    decrypt(keys, PayloadFormat::Jwe, jwe)
}

/// A JWE whose protected header is `header` (a JSON object, re-encoded),
/// with the other segments of `base`. Its tag no longer matches, which does
/// not matter for refusals that come before any decryption.
fn with_header(base: &str, header: &Value) -> String {
    let segs: Vec<&str> = base.split('.').collect();
    format!(
        "{}.{}.{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        segs[1],
        segs[2],
        segs[3],
        segs[4]
    )
}

fn header_of(jwe: &str) -> Map<String, Value> {
    let h = b64url_decode(jwe.split('.').next().unwrap(), "h").unwrap();
    parse_object(&h, "h").unwrap()
}

#[test]
fn round_trips_on_both_curves_and_algorithms() {
    let t = SsoToken::new("entra-access-token-ø");
    for curve in [EcdhCurve::P256, EcdhCurve::X25519] {
        for alg in [JweAlgorithm::EcdhEsA256kw, JweAlgorithm::EcdhEs] {
            let k = ec(curve).with_jwe_algorithm(alg).unwrap();
            let jwe = encrypt(k.encryption_key(), PayloadFormat::Jwe, &t).unwrap();
            let h = header_of(&jwe);
            assert_eq!(h["alg"], alg.as_str());
            assert_eq!(h["enc"], "A256GCM");
            assert_eq!(h["epk"]["crv"], curve.as_str());
            assert!(h["epk"].get("d").is_none());
            let ek = jwe.split('.').nth(1).unwrap();
            assert_eq!(ek.is_empty(), alg == JweAlgorithm::EcdhEs, "{alg}");
            let got = open(std::slice::from_ref(&k), &jwe).unwrap().unwrap();
            assert_eq!(got.expose_secret(), t.expose_secret());
            // A fresh ephemeral key each time.
            let again = encrypt(k.encryption_key(), PayloadFormat::Jwe, &t).unwrap();
            assert_ne!(header_of(&again)["epk"], h["epk"]);
            // Another key of the same curve cannot open it.
            let e = open(&[ec(curve)], &jwe).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
            // Every segment is protected.
            let segs: Vec<&str> = jwe.split('.').collect();
            for i in [0usize, 2, 3, 4] {
                let mut s: Vec<String> = segs.iter().map(|s| s.to_string()).collect();
                let c = s[i].pop().unwrap();
                s[i].push(if c == 'A' { 'Q' } else { 'A' });
                assert!(
                    open(std::slice::from_ref(&k), &s.join(".")).is_err(),
                    "seg {i}"
                );
            }
        }
    }
}

#[test]
fn pem_jwk_and_thumbprint_round_trips() {
    for curve in [EcdhCurve::P256, EcdhCurve::X25519] {
        let k = ec(curve);
        let pem = k.to_pkcs8_pem().unwrap();
        let back = PlatformDecryptionKey::from_pem(pem.expose_secret()).unwrap();
        assert_eq!(back.thumbprint(), k.thumbprint());
        let public = k.encryption_key();
        let spki = PlatformEncryptionKey::from_spki_pem(&public.to_spki_pem().unwrap()).unwrap();
        assert_eq!(spki.thumbprint(), public.thumbprint());
        assert_eq!(spki.curve(), Some(curve));
        let jwk = public.to_jwk();
        assert_eq!(jwk.alg.as_deref(), Some("ECDH-ES+A256KW"));
        assert_eq!(
            jwk.kty,
            if curve == EcdhCurve::P256 {
                "EC"
            } else {
                "OKP"
            }
        );
        let from_jwk = PlatformEncryptionKey::from_jwk(&jwk).unwrap();
        assert_eq!(from_jwk.thumbprint(), public.thumbprint());
        // A JWK that names direct ECDH-ES keeps it.
        let mut direct = jwk.clone();
        direct.alg = Some("ECDH-ES".into());
        assert_eq!(
            PlatformEncryptionKey::from_jwk(&direct)
                .unwrap()
                .jwe_algorithm(),
            JweAlgorithm::EcdhEs
        );
        // And RSA algorithms do not fit an EC key.
        direct.alg = Some("RSA-OAEP-256".into());
        assert_eq!(
            PlatformEncryptionKey::from_jwk(&direct).unwrap_err().kind(),
            ErrorKind::KeyRoleMismatch
        );
    }
    // RFC 8037 Appendix A.3: the thumbprint of the RFC's Ed25519 key, as
    // the OKP rule computes it (crv, kty, x), is the RFC's.
    let jwk = crate::Jwk::from_json(
        r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
    )
    .unwrap();
    let key = crate::ClientVerifyingKey::from_jwk(&jwk).unwrap();
    assert_eq!(
        key.thumbprint(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}

#[test]
fn invalid_curve_and_off_curve_points_are_refused() {
    let k = ec(EcdhCurve::P256);
    let t = SsoToken::new("s");
    let jwe = encrypt(k.encryption_key(), PayloadFormat::Jwe, &t).unwrap();
    let mut h = Value::Object(header_of(&jwe));
    // A point off the curve: y + 1.
    let y = b64url_decode(h["epk"]["y"].as_str().unwrap(), "y").unwrap();
    let mut y2 = y.clone();
    y2[31] ^= 1;
    h["epk"]["y"] = Value::String(b64url(&y2));
    let e = open(std::slice::from_ref(&k), &with_header(&jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
    assert!(e.message().contains("not a point on P-256"), "{e}");
    // A point of a weak curve (invalid-curve attack, Jager–Schwenk–Somorovsky
    // 2015): (x, y) = (0, 0) is on y² = x³ + ax + b' for b' = 0, not P-256.
    h["epk"]["x"] = Value::String(b64url(&[0u8; 32]));
    h["epk"]["y"] = Value::String(b64url(&[0u8; 32]));
    let e = open(std::slice::from_ref(&k), &with_header(&jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
    // Coordinates of the wrong length.
    h["epk"]["x"] = Value::String(b64url(&[1u8; 31]));
    let e = open(std::slice::from_ref(&k), &with_header(&jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedToken);
}

#[test]
fn epk_on_another_curve_is_refused() {
    let p = ec(EcdhCurve::P256);
    let x = ec(EcdhCurve::X25519);
    let jwe_x = encrypt(x.encryption_key(), PayloadFormat::Jwe, &SsoToken::new("s")).unwrap();
    // An X25519 JWE given to a P-256 key (named by its kid, or not).
    let e = open(std::slice::from_ref(&p), &jwe_x).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
    assert!(e.message().contains("X25519"), "{e}");
    let mut h = Value::Object(header_of(&jwe_x));
    h["kid"] = Value::String(p.kid().to_owned());
    let e = open(std::slice::from_ref(&p), &with_header(&jwe_x, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
    assert!(e.message().contains("P-256"), "{e}");
    // An epk on an unsupported curve.
    h["epk"] = serde_json::json!({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"});
    let e = open(std::slice::from_ref(&p), &with_header(&jwe_x, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedAlgorithm);
}

#[test]
fn x25519_low_order_points_are_refused() {
    let k = ec(EcdhCurve::X25519);
    let jwe = encrypt(k.encryption_key(), PayloadFormat::Jwe, &SsoToken::new("s")).unwrap();
    let mut h = Value::Object(header_of(&jwe));
    // RFC 7748 §6.1 / Wycheproof: points of small order give an all-zero
    // shared secret. 0, 1, and the order-8 point 0xe0eb7a7c...
    let order8 = "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800";
    let order8: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&order8[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let mut one = [0u8; 32];
    one[0] = 1;
    for point in [vec![0u8; 32], one.to_vec(), order8] {
        h["epk"]["x"] = Value::String(b64url(&point));
        let e = open(std::slice::from_ref(&k), &with_header(&jwe, &h)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DecryptionFailed, "{e}");
    }
}

#[test]
fn epk_with_private_members_is_refused() {
    let k = ec(EcdhCurve::P256);
    let jwe = encrypt(k.encryption_key(), PayloadFormat::Jwe, &SsoToken::new("s")).unwrap();
    let mut h = Value::Object(header_of(&jwe));
    h["epk"]["d"] = Value::String(b64url(&[7u8; 32]));
    let e = open(std::slice::from_ref(&k), &with_header(&jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::EmbeddedKey);
    assert!(e.message().contains("`d`"), "{e}");
    // Nor may any other key travel in the header.
    let mut h = Value::Object(header_of(&jwe));
    h["jwk"] = h["epk"].clone();
    let e = open(std::slice::from_ref(&k), &with_header(&jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::EmbeddedKey);
    // ECDH-ES without epk.
    let mut h = Value::Object(header_of(&jwe));
    h.as_object_mut().unwrap().remove("epk");
    let e = open(std::slice::from_ref(&k), &with_header(&jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedToken);
}

#[test]
fn rsa_and_ec_paths_do_not_mix() {
    let rsa = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
    let p = ec(EcdhCurve::P256);
    let t = SsoToken::new("s");
    let rsa_jwe = encrypt(rsa.encryption_key(), PayloadFormat::Jwe, &t).unwrap();
    let ec_jwe = encrypt(p.encryption_key(), PayloadFormat::Jwe, &t).unwrap();
    // Each opens only with its own family, even when both keys are there.
    let both = [rsa.clone(), p.clone()];
    assert!(open(&both, &rsa_jwe).unwrap().is_some());
    assert!(open(&both, &ec_jwe).unwrap().is_some());
    assert_eq!(
        open(std::slice::from_ref(&p), &rsa_jwe).unwrap_err().kind(),
        ErrorKind::DecryptionFailed
    );
    assert_eq!(
        open(std::slice::from_ref(&rsa), &ec_jwe)
            .unwrap_err()
            .kind(),
        ErrorKind::DecryptionFailed
    );
    // alg confusion: an RSA-OAEP-256 header carrying an epk, and an ECDH-ES
    // header over an RSA-encrypted key, naming the other family's kid.
    let mut h = Value::Object(header_of(&rsa_jwe));
    h["epk"] = header_of(&ec_jwe)["epk"].clone();
    let e = open(&both, &with_header(&rsa_jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::EmbeddedKey);
    let mut h = Value::Object(header_of(&ec_jwe));
    h["kid"] = Value::String(rsa.kid().to_owned());
    let e = open(&both, &with_header(&ec_jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
    assert!(e.message().contains("RSA"), "{e}");
    let mut h = Value::Object(header_of(&rsa_jwe));
    h["kid"] = Value::String(p.kid().to_owned());
    let e = open(&both, &with_header(&rsa_jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
    // enc confusion.
    let mut h = Value::Object(header_of(&ec_jwe));
    h["enc"] = Value::String("A128CBC-HS256".into());
    let e = open(&both, &with_header(&ec_jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedAlgorithm);
    // wxo is RSA only, both ways.
    assert_eq!(
        encrypt(p.encryption_key(), PayloadFormat::Wxo, &t)
            .unwrap_err()
            .kind(),
        ErrorKind::ApiMisuse
    );
    let wxo = encrypt(rsa.encryption_key(), PayloadFormat::Wxo, &t).unwrap();
    assert_eq!(
        decrypt(std::slice::from_ref(&p), PayloadFormat::Wxo, &wxo)
            .unwrap_err()
            .kind(),
        ErrorKind::DecryptionFailed
    );
}

#[test]
fn apu_apv_enter_the_kdf() {
    // A sender that sets apu/apv (jose's `setKeyManagementParameters`)
    // derives another key; the receiver must use them too. Built by hand:
    // ECDH-ES+A256KW with apu "Alice", apv "Bob".
    let k = ec(EcdhCurve::X25519);
    let DecryptKind::Ecdh(private) = k.kind() else {
        unreachable!()
    };
    let (epk, z) = backend::ecdh_ephemeral(private.public()).unwrap();
    let kek = backend::concat_kdf(&z, b"ECDH-ES+A256KW", b"Alice", b"Bob", 32).unwrap();
    let cek = [5u8; 32];
    let ek = backend::aes256kw_wrap(&kek, &cek).unwrap();
    let header = serde_json::json!({"alg": "ECDH-ES+A256KW", "enc": "A256GCM",
        "epk": epk_json(&epk), "apu": b64url(b"Alice"), "apv": b64url(b"Bob")});
    let protected = b64url(header.to_string().as_bytes());
    let iv = [1u8; 12];
    let (ct, tag) =
        backend::aes256gcm_seal(&cek, &iv, protected.as_bytes(), br#"{"sso_token":"t"}"#).unwrap();
    let jwe = format!(
        "{protected}.{}.{}.{}.{}",
        b64url(&ek),
        b64url(&iv),
        b64url(&ct),
        b64url(&tag)
    );
    let got = open(std::slice::from_ref(&k), &jwe).unwrap().unwrap();
    assert_eq!(got.expose_secret(), "t");
    // Without them in the header the key differs: refused.
    let mut h = Value::Object(header_of(&jwe));
    h.as_object_mut().unwrap().remove("apu");
    let e = open(std::slice::from_ref(&k), &with_header(&jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
    // Oversized or non-string party info is malformed.
    h["apu"] = Value::String(b64url(&[0u8; 300]));
    let e = open(std::slice::from_ref(&k), &with_header(&jwe, &h)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedToken);
}
