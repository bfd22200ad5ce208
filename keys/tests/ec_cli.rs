//! The elliptic-curve fast path through the `chatseal` command: Ed25519
//! client keyrings, ECDH-ES platform keyrings on P-256 and X25519, mint and
//! verify with them, rotation, and the usage errors that keep the RSA-only
//! `wxo` format and the key kinds apart.

mod common;

use common::*;
use std::path::Path;

fn init(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["keys", "init", "--dir", s(dir), "--json"];
    a.extend(args);
    run(&a).code(0).json()
}

#[test]
fn ed25519_and_ecdh_keyrings_mint_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let client = tmp.path().join("client");
    let v = init(&client, &["--alg", "Ed25519"]);
    assert_eq!(v["key"]["alg"], "Ed25519");
    assert!(v["key"].get("bits").is_none());
    let sso = tmp.path().join("sso.txt");
    std::fs::write(&sso, "obo-token-42").unwrap();
    for (crv, alg) in [("P-256", "ECDH-ES+A256KW"), ("X25519", "ECDH-ES")] {
        let platform = tmp.path().join(format!("platform-{crv}"));
        let v = init(&platform, &["--use", "enc", "--alg", alg, "--crv", crv]);
        assert_eq!(v["key"]["alg"], alg);
        assert_eq!(v["key"]["public_jwk"]["crv"], crv);
        assert_eq!(v["key"]["public_jwk"]["alg"], alg);
        // mint picks the JWE algorithm from the platform key.
        let out = run(&[
            "mint",
            "--dir",
            s(&client),
            "--iss",
            "https://h",
            "--aud",
            "chat",
            "--sub",
            "u1",
            "--platform-key",
            s(&platform),
            "--sso-token-file",
            s(&sso),
            "--json",
        ])
        .code(0)
        .json();
        let token = out["token"].as_str().unwrap().to_owned();
        let inspected = run(&["inspect", "--json", &token]).code(0).json();
        assert_eq!(inspected["header"]["alg"], "Ed25519");
        assert!(inspected["claims"]["user_payload"].is_string());
        let v = run(&[
            "verify",
            "--dir",
            s(&client),
            "--iss",
            "https://h",
            "--aud",
            "chat",
            "--decrypt-dir",
            s(&platform),
            "--json",
            "--show-secrets",
            &token,
        ])
        .code(0)
        .json();
        assert_eq!(v["user_payload"]["sso_token"], "obo-token-42", "{crv}");
        assert_eq!(v["header"]["alg"], "Ed25519");
        // wxo is RSA only: a usage error, not a silent fallback.
        let out = run(&[
            "mint",
            "--dir",
            s(&client),
            "--iss",
            "https://h",
            "--aud",
            "chat",
            "--sub",
            "u1",
            "--platform-key",
            s(&platform),
            "--sso-token-file",
            s(&sso),
            "--payload-format",
            "wxo",
        ])
        .code(2);
        assert!(out.stderr.contains("wxo"), "{}", out.stderr);
        // Rotation keeps the curve and the algorithm.
        let r = run(&["keys", "rotate", "--dir", s(&platform), "--now", "--json"])
            .code(0)
            .json();
        let listed = run(&["keys", "list", "--dir", s(&platform), "--json"])
            .code(0)
            .json();
        for k in listed["keys"].as_array().unwrap() {
            assert_eq!(k["public_jwk"]["crv"], crv, "{r}");
            assert_eq!(k["alg"], alg);
        }
        // The published JWKS carries the EC/OKP keys with their alg.
        let jwks = run(&["keys", "jwks", "--dir", s(&platform)]).code(0).json();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        assert_eq!(jwks["keys"][0]["use"], "enc");
        // A token encrypted to the retiring key still decrypts.
        let v = run(&[
            "verify",
            "--dir",
            s(&client),
            "--iss",
            "https://h",
            "--aud",
            "chat",
            "--decrypt-dir",
            s(&platform),
            "--json",
            &token,
        ])
        .code(0)
        .json();
        assert_eq!(v["user_payload"]["sso_token"], "[redacted]");
    }
    // --alg Ed25519 is accepted by verify for a PEM that states no algorithm.
    let pem = tmp.path().join("client.pub.pem");
    std::fs::write(
        &pem,
        run(&["keys", "export-public", "--dir", s(&client)]).ok(),
    )
    .unwrap();
    let token = run(&[
        "mint",
        "--dir",
        s(&client),
        "--iss",
        "https://h",
        "--aud",
        "chat",
        "--sub",
        "u2",
    ])
    .ok();
    run(&[
        "verify",
        "--public-key",
        s(&pem),
        "--iss",
        "https://h",
        "--aud",
        "chat",
        token.trim(),
    ])
    .code(0);
    run(&[
        "verify",
        "--public-key",
        s(&pem),
        "--alg",
        "Ed25519",
        "--iss",
        "https://h",
        "--aud",
        "chat",
        token.trim(),
    ])
    .code(0);
}

#[test]
fn key_kinds_stay_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    // An enc algorithm for a sig keyring and the reverse.
    let out = run(&[
        "keys",
        "init",
        "--dir",
        s(&d("a")),
        "--alg",
        "ECDH-ES+A256KW",
    ])
    .code(2);
    assert!(out.stderr.contains("ECDH-ES+A256KW"), "{}", out.stderr);
    let out = run(&[
        "keys",
        "init",
        "--dir",
        s(&d("b")),
        "--use",
        "enc",
        "--alg",
        "Ed25519",
    ])
    .code(2);
    assert!(out.stderr.contains("Ed25519"), "{}", out.stderr);
    // --crv and --bits where they mean nothing.
    let out = run(&[
        "keys",
        "init",
        "--dir",
        s(&d("c")),
        "--alg",
        "ES256",
        "--crv",
        "X25519",
    ])
    .code(2);
    assert!(out.stderr.contains("--crv"), "{}", out.stderr);
    let out = run(&[
        "keys",
        "init",
        "--dir",
        s(&d("e")),
        "--use",
        "enc",
        "--alg",
        "ECDH-ES",
        "--bits",
        "2048",
    ])
    .code(2);
    assert!(out.stderr.contains("--bits"), "{}", out.stderr);
    // Importing: an X25519 PEM into an enc keyring becomes ECDH-ES+A256KW,
    // an Ed25519 PEM into a sig keyring Ed25519, without --alg.
    let enc = d("enc");
    init(
        &enc,
        &["--use", "enc", "--alg", "ECDH-ES+A256KW", "--crv", "X25519"],
    );
    let other = d("other-enc");
    init(
        &other,
        &["--use", "enc", "--alg", "ECDH-ES+A256KW", "--crv", "X25519"],
    );
    let list = run(&["keys", "list", "--dir", s(&other), "--json"])
        .code(0)
        .json();
    let file = other.join(list["keys"][0]["file"].as_str().unwrap());
    let v = run(&[
        "keys",
        "import",
        "--dir",
        s(&enc),
        "--pem",
        s(&file),
        "--json",
    ])
    .code(0)
    .json();
    assert_eq!(v["imported"]["alg"], "ECDH-ES+A256KW");
    // ...but not into a sig keyring.
    let sig = d("sig");
    init(&sig, &["--alg", "Ed25519"]);
    let out = run(&["keys", "import", "--dir", s(&sig), "--pem", s(&file)]);
    assert_ne!(out.code, 0, "{}", out.stdout);
}
