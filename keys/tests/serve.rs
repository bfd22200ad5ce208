//! `chatseal serve`, the token sidecar, as a real HTTP server on 127.0.0.1:
//! API-key authentication, minting (the tokens verify with the keyring's
//! published keys), every bad request answered with its status and a JSON
//! error while the server keeps serving, the JWKS with ETag / 304, a
//! rotation by another process picked up with no failed request, the
//! loopback-only rule, and a clean stop on SIGTERM.

#![cfg(feature = "services")]

mod common;

use common::http::*;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use chatseal::{ClientVerifyingKey, Verifier};

#[test]
fn sidecar_mints_serves_jwks_follows_rotation_and_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let ring = tmp.path().join("ring");
    let ring = ring.to_str().unwrap();
    run(&["keys", "init", "--dir", ring, "--alg", "ES256"]).ok();
    let platform = tmp.path().join("platform");
    let platform = platform.to_str().unwrap();
    run(&[
        "keys",
        "init",
        "--dir",
        platform,
        "--use",
        "enc",
        "--alg",
        "ECDH-ES+A256KW",
        "--crv",
        "X25519",
    ])
    .ok();
    let hash = tmp.path().join("key.hash");
    let hash = hash.to_str().unwrap();
    let key = run(&["apikey", "generate", "--out", hash])
        .ok()
        .trim()
        .to_owned();
    assert!(key.starts_with("csk_"));
    assert!(
        !std::fs::read_to_string(hash).unwrap().contains(&key[4..]),
        "only the hash is stored"
    );
    // A second generate without --force is refused.
    run(&["apikey", "generate", "--out", hash]).code(2);

    // Loopback only.
    let out = run(&[
        "serve",
        "--dir",
        ring,
        "--iss",
        "https://h",
        "--aud",
        "chat",
        "--api-key-hash",
        hash,
        "--listen",
        "0.0.0.0:0",
    ])
    .code(2);
    assert!(out.stderr.contains("loopback"), "{}", out.stderr);

    let srv = start(&[
        "serve",
        "--dir",
        ring,
        "--iss",
        "https://h",
        "--aud",
        "chat",
        "--api-key-hash",
        hash,
        "--platform-key",
        platform,
        "--listen",
        "127.0.0.1:0",
    ]);
    let p = srv.port;
    let auth = format!("Bearer {key}");
    let mint = |body: &str| {
        http(
            p,
            "POST",
            "/v1/tokens",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    };

    let (s, _, b) = http(p, "GET", "/healthz", &[], b"");
    assert_eq!((s, json(&b)["status"].as_str()), (200, Some("ok")));

    // No key, a wrong key: 401 with WWW-Authenticate, nothing minted.
    for h in [
        vec![],
        vec![("Authorization", "Bearer csk_wrong")],
        vec![("Authorization", "Basic abc")],
    ] {
        let (s, hd, b) = http(p, "POST", "/v1/tokens", &h, br#"{"sub":"u1"}"#);
        assert_eq!(s, 401);
        assert!(header(&hd, "www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
        assert_eq!(json(&b)["error"], "api_key_invalid");
    }

    // A good request, with an sso_token encrypted to the X25519 platform key.
    let (s, _, b) = mint(
        r#"{"sub":"user-42","context":{"email":"a@h.example"},"sso_token":"obo-1","ttl":120}"#,
    );
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    let v = json(&b);
    let token = v["token"].as_str().unwrap().to_owned();
    let jwks = {
        let (s, hd, b) = http(p, "GET", "/.well-known/jwks.json", &[], b"");
        assert_eq!(s, 200);
        assert_eq!(
            header(&hd, "content-type"),
            Some("application/jwk-set+json")
        );
        assert!(header(&hd, "cache-control").is_some_and(|c| c.contains("max-age")));
        (
            String::from_utf8(b).unwrap(),
            header(&hd, "etag").unwrap().to_owned(),
        )
    };
    let keys = ClientVerifyingKey::from_jwks(&jwks.0).unwrap();
    let platform_keys = chatseal_keys::Keyring::open(platform)
        .unwrap()
        .decryption_keys(None)
        .unwrap();
    let verified = Verifier::builder(keys)
        .issuer("https://h")
        .audience("chat")
        .decryption_keys(platform_keys.clone(), chatseal::PayloadFormat::Jwe)
        .build()
        .unwrap()
        .verify(&token)
        .unwrap();
    assert_eq!(verified.subject(), "user-42");
    assert_eq!(verified.sso_token().unwrap().expose_secret(), "obo-1");
    assert_eq!(v["expires_at"], verified.claims().exp);
    assert_eq!(verified.claims().exp - verified.claims().iat.unwrap(), 120);
    assert_eq!(v["kid"], verified.header().kid.clone().unwrap());

    // If-None-Match: 304.
    let (s, _, b) = http(
        p,
        "GET",
        "/.well-known/jwks.json",
        &[("If-None-Match", &jwks.1)],
        b"",
    );
    assert_eq!((s, b.len()), (304, 0));

    // Bad requests: each its status and JSON error; the server keeps serving.
    for (body, status, code) in [
        ("{", 400, "invalid_request"),
        ("[]", 400, "invalid_request"),
        (r#"{"sub":"u1","surprise":1}"#, 400, "invalid_request"),
        (r#"{"sub":"u1","sub":"u2"}"#, 400, "invalid_request"),
        (r#"{"sub":""}"#, 400, "api_misuse"),
        (r#"{"sub":"u1","ttl":7200}"#, 400, "api_misuse"),
        (r#"{"sub":"u1","ttl":0}"#, 400, "api_misuse"),
        (r#"{"sub":"u1","claims":{"exp":1}}"#, 400, "api_misuse"),
        (r#"{"sub":"u1","context":"text"}"#, 400, "api_misuse"),
    ] {
        let (s, _, b) = mint(body);
        assert_eq!(s, status, "{body}: {}", String::from_utf8_lossy(&b));
        let e = json(&b);
        assert_eq!(e["error"], code, "{body}: {e}");
        assert!(!e.to_string().contains("obo"), "no secret in errors");
    }
    let big = format!(
        r#"{{"sub":"u1","context":{{"x":"{}"}}}}"#,
        "a".repeat(70 * 1024)
    );
    let (s, _, b) = mint(&big);
    assert_eq!(
        (s, json(&b)["error"].as_str()),
        (413, Some("body_too_large"))
    );
    let (s, _, _) = http(p, "GET", "/nope", &[], b"");
    assert_eq!(s, 404);
    let (s, _, _) = http(p, "GET", "/v1/tokens", &[], b"");
    assert_eq!(s, 405);
    // An oversized request head closes that connection, not the server.
    let mut raw = TcpStream::connect(("127.0.0.1", p)).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = raw.write_all(
        format!(
            "GET /healthz HTTP/1.1\r\nX-Big: {}\r\n\r\n",
            "b".repeat(64 * 1024)
        )
        .as_bytes(),
    );
    let mut sink = Vec::new();
    let _ = raw.read_to_end(&mut sink);
    assert!(
        !String::from_utf8_lossy(&sink).starts_with("HTTP/1.1 200"),
        "a 64 KiB head was served"
    );

    // A rotation by another process: the new key is published at once,
    // then signs after promote, and no request fails in between.
    run(&["keys", "rotate", "--dir", ring]).ok();
    let (s, hd, b) = http(
        p,
        "GET",
        "/.well-known/jwks.json",
        &[("If-None-Match", &jwks.1)],
        b"",
    );
    assert_eq!(s, 200, "the JWKS changed");
    assert_ne!(header(&hd, "etag").unwrap(), jwks.1);
    assert_eq!(json(&b)["keys"].as_array().unwrap().len(), 2);
    let (s, _, b) = mint(r#"{"sub":"u2"}"#);
    assert_eq!(s, 200);
    assert_eq!(json(&b)["kid"], v["kid"], "pending keys do not sign yet");
    run(&["keys", "promote", "--dir", ring]).ok();
    let (s, _, b) = mint(r#"{"sub":"u3"}"#);
    assert_eq!(s, 200);
    assert_ne!(json(&b)["kid"], v["kid"], "the promoted key signs");

    let (s, _, b) = http(p, "GET", "/metrics", &[], b"");
    assert_eq!(s, 200);
    let m = String::from_utf8(b).unwrap();
    assert!(m.contains("chatseal_tokens_minted_total 3"), "{m}");
    assert!(m.contains("chatseal_requests_unauthorized_total 3"), "{m}");
    assert!(m.contains("chatseal_keyring_reloads_total 2"), "{m}");

    // SIGTERM: a clean stop, exit 0.
    let mut srv = srv;
    let killed = Command::new("kill")
        .args(["-TERM", &srv.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = srv.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn sidecar_over_a_unix_socket_and_over_tls() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let tmp = tempfile::tempdir().unwrap();
    let ring = tmp.path().join("ring");
    let ring = ring.to_str().unwrap();
    run(&["keys", "init", "--dir", ring, "--alg", "ES256"]).ok();
    let hash = tmp.path().join("key.hash");
    let hash = hash.to_str().unwrap();
    run(&["apikey", "generate", "--out", hash]).ok();
    let base = [
        "serve",
        "--dir",
        ring,
        "--iss",
        "https://h",
        "--aud",
        "chat",
        "--api-key-hash",
        hash,
    ];

    // A unix socket: mode 0600, HTTP over it, removed at SIGTERM.
    let sock = tmp.path().join("chatseal.sock");
    let listen = format!("unix:{}", sock.display());
    let mut args = base.to_vec();
    args.extend(["--listen", &listen]);
    let mut srv = start_env(&args, &[]);
    let meta = std::fs::symlink_metadata(&sock).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A second sidecar on the same live socket is refused.
    run(&args).code(2);
    assert!(Command::new("kill")
        .args(["-TERM", &srv.child.id().to_string()])
        .status()
        .unwrap()
        .success());
    assert!(srv.child.wait().unwrap().success());
    assert!(!sock.exists(), "the socket is removed at shutdown");

    // TLS on loopback with a certificate of its own.
    let cert = self_signed(tmp.path());
    let (c, k) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    let mut args = base.to_vec();
    args.extend([
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        c.to_str().unwrap(),
        "--tls-key",
        k.to_str().unwrap(),
    ]);
    let srv = start(&args);
    let (status, body) = https_get(srv.port, &cert, "/.well-known/jwks.json");
    assert_eq!(status, 200);
    assert!(json(&body)["keys"].is_array());
    // Plain HTTP to the TLS port gets no answer.
    let mut plain = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    let _ = plain.read_to_end(&mut raw);
    assert!(!String::from_utf8_lossy(&raw).contains("200 OK"));
    // A key that is not the certificate's is refused before listening.
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    self_signed(&other);
    let mut bad = base.to_vec();
    let other_key = other.join("key.pem");
    bad.extend([
        "--tls-cert",
        c.to_str().unwrap(),
        "--tls-key",
        other_key.to_str().unwrap(),
    ]);
    let out = run(&bad).code(2);
    assert!(out.stderr.contains("do not make a pair"), "{}", out.stderr);
    assert!(!out.stderr.contains("PRIVATE KEY"));
}
