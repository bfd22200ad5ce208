//! Tokens signed by libraries nobody here wrote, with the kids hosts really
//! set (`jsonwebtoken`'s `keyid`, jose's `setProtectedHeader({kid})`, Auth0-
//! and Keycloak-style strings), verify against the host's key registered as
//! a bare PEM, which names no kid: the kid is a hint (RFC 7515 §4.1.4), the
//! signature decides. A key set whose keys declare kids still refuses an
//! unknown kid, and "same kid, other key" still fails on the signature.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use chatseal::{Algorithm, ClientSigningKey, ClientVerifyingKey, ErrorKind, RsaKeySize, Verifier};
use chatseal_tests::peers::{self, Peer};
use serde_json::{json, Value};

const ISS: &str = "https://host.example";
const AUD: &str = "chat-platform";
/// Kids as hosts write them.
const KIDS: [&str; 3] = ["host-1", "auth0|kX9z-2026", "b5d3c1e0-keycloak-rs256"];

/// A foreign signer: the peer and its signing op.
#[derive(Clone, Copy, Debug)]
struct Signer {
    peer: Peer,
    op: &'static str,
    name: &'static str,
}

const SIGNERS: [Signer; 4] = [
    Signer {
        peer: Peer::Jose,
        op: "sign",
        name: "npm jose",
    },
    Signer {
        peer: Peer::Jwcrypto,
        op: "sign",
        name: "jwcrypto",
    },
    Signer {
        peer: Peer::Jwcrypto,
        op: "pyjwt_sign",
        name: "PyJWT",
    },
    Signer {
        peer: Peer::IbmSample,
        op: "jsonwebtoken_sign",
        name: "jsonwebtoken (keyid)",
    },
];

fn rsa() -> &'static ClientSigningKey {
    static K: OnceLock<ClientSigningKey> = OnceLock::new();
    K.get_or_init(|| ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048).unwrap())
}

fn ec() -> &'static ClientSigningKey {
    static K: OnceLock<ClientSigningKey> = OnceLock::new();
    K.get_or_init(|| ClientSigningKey::generate(Algorithm::ES256).unwrap())
}

fn key_for(alg: Algorithm) -> &'static ClientSigningKey {
    if alg == Algorithm::ES256 {
        ec()
    } else {
        rsa()
    }
}

fn claims() -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({"iss": ISS, "aud": AUD, "sub": "user-42", "iat": now, "exp": now + 600})
}

fn foreign_token(signer: Signer, key: &ClientSigningKey, alg: Algorithm, kid: &str) -> String {
    let private = key.to_pkcs8_pem().unwrap();
    let out = peers::call(
        signer.peer,
        &json!({"op": signer.op, "alg": alg.as_str(), "private_pem": private.expose_secret(),
                "kid": kid, "claims": claims()}),
    )
    .unwrap_or_else(|e| panic!("{} cannot sign {alg}: {e}", signer.name));
    out["token"].as_str().unwrap().to_owned()
}

fn verifier(keys: Vec<ClientVerifyingKey>, algs: Option<&[Algorithm]>) -> Verifier {
    let b = Verifier::builder(keys).issuer(ISS).audience(AUD);
    match algs {
        Some(a) => b.algorithms(a.iter().copied()).build().unwrap(),
        None => b.build().unwrap(),
    }
}

fn header_kid(token: &str) -> String {
    let (header, _) = chatseal::dangerous::insecure_decode(token).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[test]
fn foreign_tokens_with_their_own_kids_verify_against_a_pem() {
    let signers: Vec<Signer> = SIGNERS
        .into_iter()
        .filter(|s| peers::require(s.peer))
        .collect();
    if signers.is_empty() {
        return;
    }
    let mut verified = 0;
    for signer in &signers {
        for (i, alg) in [Algorithm::RS256, Algorithm::PS256, Algorithm::ES256]
            .into_iter()
            .enumerate()
        {
            let key = key_for(alg);
            let kid = KIDS[i % KIDS.len()];
            let token = foreign_token(*signer, key, alg, kid);
            assert_eq!(header_kid(&token), kid, "{} dropped the kid", signer.name);
            let pem = key.verifying_key().to_spki_pem().unwrap();

            // The PEM states no algorithm; the caller's set decides.
            let bare = ClientVerifyingKey::from_spki_pem_without_alg(&pem).unwrap();
            let v = verifier(vec![bare.clone()], Some(&[alg]));
            let ok = v
                .verify(&token)
                .unwrap_or_else(|e| panic!("{} {alg} kid {kid:?}: {e}", signer.name));
            assert_eq!(ok.subject(), "user-42");
            assert_eq!(ok.header().kid.as_deref(), Some(kid));
            // The PEM loaded for the token's algorithm, no set given.
            let pinned = ClientVerifyingKey::from_spki_pem(&pem, alg).unwrap();
            verifier(vec![pinned], None)
                .verify(&token)
                .unwrap_or_else(|e| panic!("{} {alg} pinned: {e}", signer.name));

            // Keys that declare kids keep strict matching: an unknown kid is
            // refused, whichever library made the token.
            let declared = bare.with_kid("registered-kid").unwrap();
            let e = verifier(vec![declared.clone()], Some(&[alg]))
                .verify(&token)
                .unwrap_err();
            assert_eq!(
                e.kind(),
                ErrorKind::UnknownKeyId,
                "{} {alg}: {e}",
                signer.name
            );
            // Same kid, other key: the signature decides.
            let other = if alg == Algorithm::ES256 {
                ClientSigningKey::generate(Algorithm::ES256).unwrap()
            } else {
                ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048).unwrap()
            };
            let impostor = foreign_token(*signer, &other, alg, "registered-kid");
            let e = verifier(vec![declared], Some(&[alg]))
                .verify(&impostor)
                .unwrap_err();
            assert_eq!(
                e.kind(),
                ErrorKind::InvalidSignature,
                "{}: {e}",
                signer.name
            );
            // Against the kid-less PEM, the impostor fails on the signature too.
            let e = verifier(vec![bare], Some(&[alg]))
                .verify(&impostor)
                .unwrap_err();
            assert_eq!(
                e.kind(),
                ErrorKind::InvalidSignature,
                "{}: {e}",
                signer.name
            );
            verified += 1;
        }
    }
    assert_eq!(verified, signers.len() * 3);
}

#[test]
fn a_foreign_jwks_without_alg_follows_the_callers_algorithms() {
    if !peers::require(Peer::Jwcrypto) {
        return;
    }
    // A JWKS as jwcrypto writes it: no `alg`, the host's own kid.
    let pem = rsa().verifying_key().to_spki_pem().unwrap();
    let jwk = peers::call(
        Peer::Jwcrypto,
        &json!({"op": "jwk_thumbprint", "public_pem": pem}),
    )
    .unwrap();
    assert_eq!(
        jwk["thumbprint"].as_str(),
        Some(rsa().verifying_key().thumbprint())
    );
    let mut entry = serde_json::to_value(rsa().verifying_key().to_jwk()).unwrap();
    entry.as_object_mut().unwrap().remove("alg");
    entry["kid"] = json!("host-1");
    let jwks = json!({"keys": [entry]}).to_string();
    let keys = ClientVerifyingKey::from_jwks(&jwks).unwrap();
    assert_eq!(keys[0].stated_algorithm(), None);

    let ps = foreign_token(SIGNERS[1], rsa(), Algorithm::PS256, "host-1");
    // Default: RS256 for an RSA key that states no algorithm.
    let e = verifier(keys.clone(), None).verify(&ps).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlgorithmNotAllowed, "{e}");
    verifier(keys.clone(), Some(&[Algorithm::PS256]))
        .verify(&ps)
        .unwrap();
    // A token naming the key by its thumbprint (what chatseal's issuer
    // stamps on a PEM-loaded key) finds the JWKS's `host-1` entry.
    let by_thumbprint = foreign_token(
        SIGNERS[1],
        rsa(),
        Algorithm::PS256,
        rsa().verifying_key().thumbprint(),
    );
    verifier(keys.clone(), Some(&[Algorithm::PS256]))
        .verify(&by_thumbprint)
        .unwrap();
    // Another kid: refused (the JWKS's key declares its own).
    let other = foreign_token(SIGNERS[1], rsa(), Algorithm::PS256, "host-2");
    let e = verifier(keys, Some(&[Algorithm::PS256]))
        .verify(&other)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownKeyId, "{e}");
}
