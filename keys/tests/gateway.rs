//! `chatseal gateway` as a real reverse proxy on 127.0.0.1 in front of a
//! real upstream (an echo server in this test): routing, every kind of
//! credential and refusal with its status, `WWW-Authenticate` and JSON body,
//! the identity headers (and the client's spoofed ones removed), CORS,
//! bodies, reloads of tenant documents, `tenants_dir` and SIGHUP, a broken
//! document refused with the old one kept, the connection limit, slow and
//! huge request heads, an upstream that is down, a WebSocket closed with
//! 4001 when its token expires, and a clean stop on SIGTERM.

#![cfg(feature = "services")]

mod common;

use common::http::*;
use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chatseal::serde_json::{self, json, Value};
use chatseal::{
    Algorithm, ClientSigningKey, ClientVerifyingKey, Issuer, PayloadFormat, SsoToken, TokenRequest,
};

/// An upstream on 127.0.0.1: answers every request with a JSON echo of
/// its method, path, headers and body; a WebSocket upgrade gets a 101 and
/// then a text frame every 100 ms.
struct Upstream {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn upstream() -> Upstream {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            if s.load(Ordering::SeqCst) {
                break;
            }
            let Ok(c) = c else { continue };
            let s = s.clone();
            std::thread::spawn(move || echo(c, &s));
        }
    });
    Upstream { port, stop }
}

/// Serves one connection; once `stop` is set, the next request gets no
/// answer and the connection closes (the upstream "dies").
fn echo(c: TcpStream, stop: &AtomicBool) {
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut w = c;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 || stop.load(Ordering::SeqCst) {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").to_owned();
        let mut headers = serde_json::Map::new();
        let mut len = 0usize;
        let mut chunked = false;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            let k = k.trim().to_ascii_lowercase();
            let v = v.trim().to_owned();
            if k == "content-length" {
                len = v.parse().unwrap();
            }
            if k == "transfer-encoding" && v.contains("chunked") {
                chunked = true;
            }
            headers.insert(k, Value::String(v));
        }
        if headers.get("upgrade").and_then(Value::as_str) == Some("websocket") {
            return websocket(w, &headers);
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                r.read_line(&mut size).unwrap();
                let n = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; n + 2];
                r.read_exact(&mut chunk).unwrap();
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        } else {
            body = vec![0; len];
            r.read_exact(&mut body).unwrap();
        }
        let answer = json!({"method": method, "path": path, "headers": headers,
            "body": String::from_utf8_lossy(&body)})
        .to_string();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        if w.write_all(head.as_bytes()).is_err() || w.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn websocket(mut w: TcpStream, headers: &serde_json::Map<String, Value>) {
    let key = headers["sec-websocket-key"].as_str().unwrap();
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11").as_bytes(),
    );
    use base64::Engine as _;
    let accept = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    // The token's protocol never reaches the upstream.
    let offered = headers
        .get("sec-websocket-protocol")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    assert!(!offered.contains("bearer."), "{offered}");
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: {accept}\r\nx-seen-user: {}\r\n\r\n",
        headers["x-chatseal-user"].as_str().unwrap_or("")
    );
    w.write_all(head.as_bytes()).unwrap();
    for i in 0u32.. {
        let text = format!("tick {i}");
        let mut frame = vec![0x81, text.len() as u8];
        frame.extend_from_slice(text.as_bytes());
        if w.write_all(&frame).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    idp: ClientSigningKey,
    platform: chatseal::PlatformEncryptionKey,
    api_key: String,
    upstream: Upstream,
}

fn tenant_doc(id: &str, idp: &ClientSigningKey) -> String {
    tenant_doc_with(id, idp, &[])
}

/// A tenant document whose provider decrypts with the platform keys `kids`.
fn tenant_doc_with(id: &str, idp: &ClientSigningKey, kids: &[&str]) -> String {
    let jwks: Value =
        serde_json::from_str(&ClientVerifyingKey::to_jwks([idp.verifying_key()]).to_json())
            .unwrap();
    json!({"tenantId": id, "allowedOrigins": ["https://host.example"],
        "providers": {"corp": {"issuer": "https://idp.example", "expectedAudience": "chat",
        "acceptedAlgorithms": ["ES256"], "jwks": jwks, "decryptionKeys": kids}}})
    .to_string()
}

fn write(path: &Path, text: &str) {
    // Replace atomically, as an operator's deploy would.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let platform_dir = d.join("platform");
    run(&[
        "keys",
        "init",
        "--dir",
        platform_dir.to_str().unwrap(),
        "--use",
        "enc",
        "--alg",
        "ECDH-ES+A256KW",
        "--crv",
        "P-256",
    ])
    .ok();
    let platform = chatseal_keys::Keyring::open(&platform_dir)
        .unwrap()
        .encryption_key()
        .unwrap();
    let hash = d.join("acme.apikey");
    let api_key = run(&["apikey", "generate", "--out", hash.to_str().unwrap()])
        .ok()
        .trim()
        .to_owned();
    let idp = ClientSigningKey::generate(Algorithm::ES256).unwrap();
    std::fs::create_dir(d.join("tenants")).unwrap();
    write(
        &d.join("acme.json"),
        &tenant_doc_with("acme", &idp, &[platform.kid()]),
    );
    let upstream = upstream();
    let config = format!(
        "listen = \"127.0.0.1:0\"\nupstream = \"http://127.0.0.1:{}\"\n\
         tenants_dir = \"tenants\"\nwatch_interval_ms = 100\nheader_timeout_ms = 1000\n\
         max_connections = 16\nmax_body_bytes = 4096\n\
         [[tenant]]\nid = \"acme\"\nconfig = \"acme.json\"\ndecrypt_dir = \"platform\"\n\
         forward_sso_token = true\napi_key_hash = \"acme.apikey\"\n",
        upstream.port
    );
    write(&d.join("gateway.toml"), &config);
    Fixture {
        dir,
        idp,
        platform,
        api_key,
        upstream,
    }
}

fn mint(f: &Fixture, key: &ClientSigningKey, sub: &str, ttl: u64, sso: Option<&str>) -> String {
    mint_at(f, key, sub, ttl, sso, std::time::SystemTime::now())
}

fn mint_at(
    f: &Fixture,
    key: &ClientSigningKey,
    sub: &str,
    ttl: u64,
    sso: Option<&str>,
    now: std::time::SystemTime,
) -> String {
    let mut b = Issuer::builder(key.clone())
        .issuer("https://idp.example")
        .audience("chat")
        .ttl(Duration::from_secs(ttl));
    if sso.is_some() {
        b = b.platform_key(f.platform.clone(), PayloadFormat::Jwe);
    }
    let mut req = TokenRequest::new(sub).claim("email", json!(format!("{sub}@acme.example")));
    if let Some(s) = sso {
        req = req.sso_token(SsoToken::new(s));
    }
    b.build().unwrap().mint_at(&req, now).unwrap()
}

fn gateway(f: &Fixture) -> Server {
    start(&[
        "gateway",
        "--config",
        f.dir.path().join("gateway.toml").to_str().unwrap(),
    ])
}

fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<(String, String)>, Value) {
    let (s, h, b) = http(port, "GET", path, headers, b"");
    let v = serde_json::from_slice(&b).unwrap_or(Value::Null);
    (s, h, v)
}

/// Asserts a refusal: status, code in the JSON body and, for 401/403, in
/// `WWW-Authenticate`; the token never in the answer.
#[track_caller]
fn refused(r: (u16, Vec<(String, String)>, Value), status: u16, code: &str, token: &str) {
    let (s, h, v) = r;
    assert_eq!((s, v["error"].as_str()), (status, Some(code)), "{v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    if status == 401 || status == 403 {
        let w = header(&h, "www-authenticate").expect("WWW-Authenticate");
        assert!(w.starts_with("Bearer realm=\"chatseal\""), "{w}");
        if code != "no_credentials" {
            assert!(w.contains(&format!("error_description=\"{code}\"")), "{w}");
        }
    }
    if !token.is_empty() {
        assert!(!v.to_string().contains(token));
    }
}

/// Retries until `f` holds (reloads are polled), at most 5 s.
#[track_caller]
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("not within 5 s: {what}");
}

#[test]
fn gateway_authenticates_refuses_and_forwards() {
    let f = fixture();
    let g = gateway(&f);
    let p = g.port;
    let token = mint(&f, &f.idp, "ana", 600, Some("obo-secret-123"));
    let bearer = format!("Bearer {token}");
    let origin = "https://host.example";

    // Accepted: the identity goes upstream, the credentials and the
    // client's own X-Chatseal-* headers do not.
    for _ in 0..3 {
        let (s, h, v) = get(
            p,
            "/t/acme/chat/42?x=1&participantId=ana",
            &[
                ("Authorization", &bearer),
                ("Origin", origin),
                ("X-Chatseal-User", "mallory"),
                ("X-Chatseal-Auth", "api_key"),
            ],
        );
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["path"], "/chat/42?x=1&participantId=ana");
        let up = &v["headers"];
        assert_eq!(up["x-chatseal-user"], "ana");
        assert_eq!(up["x-chatseal-tenant"], "acme");
        assert_eq!(up["x-chatseal-auth"], "token");
        assert_eq!(up["x-chatseal-email"], "ana@acme.example");
        assert_eq!(up["x-chatseal-groups"], "[]");
        assert_eq!(up["x-chatseal-sso-token"], "obo-secret-123");
        use base64::Engine as _;
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(up["x-chatseal-claims"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["sub"], "ana");
        assert!(claims.get("user_payload").is_none());
        assert!(up.get("authorization").is_none());
        assert_eq!(header(&h, "access-control-allow-origin"), Some(origin));
    }
    // The query token is found, and dropped from what the upstream sees.
    let (s, _, v) = get(p, &format!("/t/acme/ws?access_token={token}&a=b"), &[]);
    assert_eq!((s, v["path"].as_str()), (200, Some("/ws?a=b")));

    // A body is passed through; one over max_body_bytes is 413.
    let (s, _, b) = http(
        p,
        "POST",
        "/t/acme/msg",
        &[("Authorization", &bearer)],
        b"hello",
    );
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&b).unwrap()["body"],
        "hello"
    );
    let (s, _, _) = http(
        p,
        "POST",
        "/t/acme/msg",
        &[("Authorization", &bearer)],
        &[b'x'; 5000],
    );
    assert_eq!(s, 413);

    // Refusals. One to an allowed origin carries the CORS grant (a browser
    // would hide it otherwise) and exposes WWW-Authenticate.
    let (s, h, v) = get(p, "/t/acme/chat", &[("Origin", origin)]);
    assert_eq!((s, v["error"].as_str()), (401, Some("no_credentials")));
    assert_eq!(header(&h, "access-control-allow-origin"), Some(origin));
    assert_eq!(
        header(&h, "access-control-expose-headers"),
        Some("WWW-Authenticate")
    );
    refused(get(p, "/t/acme/chat", &[]), 401, "no_credentials", "");
    // Expired beyond the verifier's 60 s leeway.
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    let expired = mint_at(&f, &f.idp, "ana", 600, None, an_hour_ago);
    let r = get(
        p,
        "/t/acme/chat",
        &[("Authorization", &format!("Bearer {expired}"))],
    );
    refused(r, 401, "expired", &expired);
    let r = get(
        p,
        "/t/acme/chat",
        &[
            ("Authorization", &bearer),
            ("Origin", "https://evil.example"),
        ],
    );
    assert!(r.1.iter().all(|(k, _)| !k.starts_with("access-control-")));
    refused(r, 403, "origin_not_allowed", &token);
    let r = get(
        p,
        "/t/acme/chat?participantId=bob",
        &[("Authorization", &bearer)],
    );
    refused(r, 403, "participant_mismatch", &token);
    let other = ClientSigningKey::generate(Algorithm::ES256).unwrap();
    let forged = mint(&f, &other, "ana", 600, None);
    let r = get(
        p,
        "/t/acme/chat",
        &[("Authorization", &format!("Bearer {forged}"))],
    );
    refused(r, 401, "unknown_kid", &forged);
    let r = get(
        p,
        &format!("/t/acme/chat?access_token={token}"),
        &[("Authorization", &bearer)],
    );
    refused(r, 400, "invalid_request", &token);
    let r = get(
        p,
        "/t/acme/chat",
        &[("Authorization", "Basic dXNlcjpwYXNz")],
    );
    refused(r, 400, "invalid_request", "");
    refused(
        get(p, "/t/nope/chat", &[("Authorization", &bearer)]),
        404,
        "no_providers_configured",
        &token,
    );
    let (s, _, _) = get(p, "/elsewhere", &[]);
    assert_eq!(s, 404);

    // An API key decides alone: it wins over a JWT, and a wrong one is
    // refused even with a valid JWT.
    let (s, _, v) = get(
        p,
        "/t/acme/admin",
        &[("api-key", &f.api_key), ("Authorization", "Bearer x.y.z")],
    );
    assert_eq!(
        (s, v["headers"]["x-chatseal-auth"].as_str()),
        (200, Some("api_key"))
    );
    assert!(v["headers"].get("api-key").is_none());
    let (s, _, v) = get(p, &format!("/t/acme/admin?apikey={}", f.api_key), &[]);
    assert_eq!((s, v["path"].as_str()), (200, Some("/admin")));
    let r = get(
        p,
        "/t/acme/admin",
        &[("api-key", "csk_wrong"), ("Authorization", &bearer)],
    );
    refused(r, 401, "api_key_invalid", &token);

    // CORS preflight.
    let (s, h, _) = http(
        p,
        "OPTIONS",
        "/t/acme/chat",
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
        b"",
    );
    assert_eq!(s, 204);
    assert_eq!(header(&h, "access-control-allow-origin"), Some(origin));
    assert_eq!(header(&h, "vary"), Some("Origin"));
    assert!(header(&h, "access-control-allow-headers")
        .unwrap()
        .contains("Authorization"));
    assert!(header(&h, "access-control-max-age").is_some());
    let (s, h, _) = http(
        p,
        "OPTIONS",
        "/t/acme/chat",
        &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    );
    assert_eq!(s, 403);
    assert!(h
        .iter()
        .all(|(k, _)| !k.starts_with("access-control-allow")));

    // Operations.
    let (s, _, v) = get(p, "/healthz", &[]);
    assert_eq!((s, v["status"].as_str()), (200, Some("ok")));
    let (s, _, v) = get(p, "/readyz", &[]);
    assert_eq!((s, v["ready"].as_bool()), (200, Some(true)));
    let (_, _, m) = http(p, "GET", "/metrics", &[], b"");
    let m = String::from_utf8(m).unwrap();
    assert!(m.contains("chatseal_gateway_requests_total{tenant=\"acme\",outcome=\"refused\",code=\"expired\"} 1"), "{m}");
    let hits: u64 = m
        .lines()
        .find_map(|l| l.strip_prefix("chatseal_gateway_cache_hits_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(hits >= 2, "the repeated token came from the cache: {m}");
    assert!(!m.contains(&token));

    // Slow and huge heads: cut, and the gateway keeps serving.
    let mut slow = TcpStream::connect(("127.0.0.1", p)).unwrap();
    slow.write_all(b"GET /t/acme/chat HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut sink = Vec::new();
    let _ = slow.read_to_end(&mut sink);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "a slow head is cut at header_timeout_ms"
    );
    let mut big = TcpStream::connect(("127.0.0.1", p)).unwrap();
    let huge = format!(
        "GET /t/acme/chat HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let _ = big.write_all(huge.as_bytes());
    let mut answer = Vec::new();
    big.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = big.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    assert_eq!(get(p, "/t/acme/chat", &[("Authorization", &bearer)]).0, 200);

    // More connections than max_connections: the excess is answered 503
    // and closed, the rest are served.
    // (The idle connections are cut after header_timeout_ms = 1 s, so on a
    // loaded machine a try can come too late: up to three tries.)
    let mut answers = Vec::new();
    for _ in 0..3 {
        let idle: Vec<TcpStream> = (0..16)
            .map(|_| TcpStream::connect(("127.0.0.1", p)).unwrap())
            .collect();
        let r = get(p, "/t/acme/chat", &[("Authorization", &bearer)]);
        drop(idle);
        if r.0 == 503 {
            refused(r, 503, "too_many_connections", &token);
            answers.clear();
            break;
        }
        answers.push(r.0);
    }
    assert!(
        answers.is_empty(),
        "never refused over max_connections: {answers:?}"
    );
    eventually("a freed slot serves again", || {
        get(p, "/t/acme/chat", &[("Authorization", &bearer)]).0 == 200
    });

    // The upstream goes away: 502 with a JSON error; the gateway stays up.
    drop(f.upstream);
    let (s, _, v) = get(p, "/t/acme/chat", &[("Authorization", &bearer)]);
    assert_eq!(
        (s, v["error"].as_str()),
        (502, Some("upstream_unavailable"))
    );
    let (s, _, _) = get(p, "/healthz", &[]);
    assert_eq!(s, 200);

    // SIGTERM: drains and exits 0.
    let mut g = g;
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &g.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = g.child.try_wait().unwrap() {
            assert!(st.success(), "{st:?}");
            break;
        }
        assert!(Instant::now() < until, "the gateway did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn gateway_reloads_documents_folders_and_configuration() {
    let f = fixture();
    let g = gateway(&f);
    let p = g.port;
    let d = f.dir.path();
    let token = mint(&f, &f.idp, "ana", 600, None);
    let bearer = format!("Bearer {token}");
    assert_eq!(get(p, "/t/acme/chat", &[("Authorization", &bearer)]).0, 200);

    // The tenant's IdP key changes: the old token is refused, a new one
    // accepted (the cache was flushed).
    let idp2 = ClientSigningKey::generate(Algorithm::ES256).unwrap();
    write(&d.join("acme.json"), &tenant_doc("acme", &idp2));
    eventually("the changed document is served", || {
        get(p, "/t/acme/chat", &[("Authorization", &bearer)]).0 == 401
    });
    let token2 = mint(&f, &idp2, "ana", 600, None);
    let bearer2 = format!("Bearer {token2}");
    assert_eq!(
        get(p, "/t/acme/chat", &[("Authorization", &bearer2)]).0,
        200
    );

    // A broken document is refused; the running one is kept.
    write(
        &d.join("acme.json"),
        "{\"tenantId\": \"acme\", \"providers\": ",
    );
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        get(p, "/t/acme/chat", &[("Authorization", &bearer2)]).0,
        200
    );
    let (_, _, m) = http(p, "GET", "/metrics", &[], b"");
    let m = String::from_utf8(m).unwrap();
    assert!(
        !m.contains("chatseal_gateway_reload_failures_total 0"),
        "{m}"
    );

    // tenants_dir: a file added is a tenant, removed is gone; a document
    // whose tenantId is not its file name is refused (not ready).
    let beta = d.join("tenants/beta.json");
    write(&beta, &tenant_doc("beta", &f.idp));
    eventually("beta is served", || {
        get(p, "/t/beta/x", &[("Authorization", &bearer)]).0 == 200
    });
    write(
        &d.join("tenants/gamma.json"),
        &tenant_doc("not-gamma", &f.idp),
    );
    eventually("gamma is not ready", || get(p, "/readyz", &[]).0 == 503);
    let (_, _, v) = get(p, "/readyz", &[]);
    assert_eq!(v["failed"], json!(["gamma"]));
    std::fs::remove_file(d.join("tenants/gamma.json")).unwrap();
    std::fs::remove_file(&beta).unwrap();
    eventually("beta is gone", || {
        get(p, "/t/beta/x", &[("Authorization", &bearer)]).0 == 404
    });
    eventually("ready again", || get(p, "/readyz", &[]).0 == 200);

    // SIGHUP rereads gateway.toml: a new [[tenant]] appears.
    write(&d.join("acme.json"), &tenant_doc("acme", &idp2));
    write(&d.join("delta.json"), &tenant_doc("delta", &f.idp));
    let mut config = std::fs::read_to_string(d.join("gateway.toml")).unwrap();
    config.push_str("[[tenant]]\nid = \"delta\"\nconfig = \"delta.json\"\n");
    write(&d.join("gateway.toml"), &config);
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &g.child.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    eventually("delta is served after SIGHUP", || {
        get(p, "/t/delta/x", &[("Authorization", &bearer)]).0 == 200
    });
    // A configuration that does not parse keeps the running one.
    write(&d.join("gateway.toml"), "upstream = ");
    let _ = std::process::Command::new("kill")
        .args(["-HUP", &g.child.id().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(p, "/t/delta/x", &[("Authorization", &bearer)]).0, 200);
}

/// Reads one server frame: (opcode, payload).
fn read_frame(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; 2];
    s.read_exact(&mut h).unwrap();
    assert_eq!(h[1] & 0x80, 0, "server frames are not masked");
    let len = match h[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            s.read_exact(&mut b).unwrap();
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0u8; 8];
            s.read_exact(&mut b).unwrap();
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    let mut payload = vec![0; len as usize];
    s.read_exact(&mut payload).unwrap();
    (h[0] & 0x0f, payload)
}

#[test]
fn websocket_is_proxied_and_closed_with_4001_when_the_token_expires() {
    let f = fixture();
    let g = gateway(&f);
    let token = mint(&f, &f.idp, "ana", 2, None);
    let mut s = TcpStream::connect(("127.0.0.1", g.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!(
        "GET /t/acme/socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Origin: https://host.example\r\nSec-WebSocket-Protocol: bearer.{token}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    assert!(head.contains("x-seen-user") || head.contains("upgrade: websocket"));
    assert!(head.contains(&format!(
        "sec-websocket-protocol: bearer.{}",
        token.to_ascii_lowercase()
    )));
    let started = Instant::now();
    let mut texts = 0;
    loop {
        let (op, payload) = read_frame(&mut s);
        match op {
            1 => texts += 1,
            8 => {
                assert_eq!(&payload[..2], &4001u16.to_be_bytes());
                assert_eq!(&payload[2..], b"token expired");
                break;
            }
            other => panic!("unexpected opcode {other}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "no close at expiry"
        );
    }
    assert!(texts >= 3, "frames flowed before expiry ({texts})");
    // After the close frame the socket ends.
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty());

    // Without a token the upgrade is refused like any request.
    let r = get(
        g.port,
        "/t/acme/socket",
        &[("Upgrade", "websocket"), ("Connection", "Upgrade")],
    );
    refused(r, 401, "no_credentials", "");
}

#[test]
fn the_example_configuration_starts_and_serves_its_tenants() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/gateway");
    std::fs::create_dir(tmp.path().join("tenants")).unwrap();
    for f in ["acme.json", "tenants/globex.json"] {
        // The key sets at a port nothing listens on.
        let doc = std::fs::read_to_string(fixture.join(f))
            .unwrap()
            .replace("127.0.0.1:8700", "127.0.0.1:9");
        std::fs::write(tmp.path().join(f), doc).unwrap();
    }
    let config = std::fs::read_to_string(fixture.join("gateway.toml"))
        .unwrap()
        .replace("127.0.0.1:8443", "127.0.0.1:0")
        // An upstream port nothing listens on.
        .replace("127.0.0.1:9000", "127.0.0.1:9");
    write(&tmp.path().join("gateway.toml"), &config);
    let g = start(&[
        "gateway",
        "--config",
        tmp.path().join("gateway.toml").to_str().unwrap(),
    ]);
    // Both documents loaded, but their key sets cannot be fetched: not
    // ready, and saying why.
    let (s, _, v) = get(g.port, "/readyz", &[]);
    assert_eq!((s, v["tenants"].as_u64()), (503, Some(2)), "{v}");
    assert_eq!(v["keys_pending"], json!(["acme", "globex"]));
    assert_eq!(v["failed"], json!([]));
    refused(get(g.port, "/t/acme/chat", &[]), 401, "no_credentials", "");
    // globex is `security: anonymous`: no credentials pass (to an upstream
    // that is down here), a bad token is still refused.
    let (s, _, v) = get(g.port, "/t/globex/chat", &[]);
    assert_eq!(
        (s, v["error"].as_str()),
        (502, Some("upstream_unavailable"))
    );
    let r = get(
        g.port,
        "/t/globex/chat",
        &[("Authorization", "Bearer a.b.c")],
    );
    refused(r, 401, "invalid_base64", "");
}

#[test]
fn gateway_terminates_tls() {
    let f = fixture();
    let d = f.dir.path();
    let cert = self_signed(d);
    let mut config = std::fs::read_to_string(d.join("gateway.toml")).unwrap();
    config = config.replacen(
        "[[tenant]]",
        "tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n[[tenant]]",
        1,
    );
    write(&d.join("gateway.toml"), &config);
    let g = gateway(&f);
    let (s, body) = https_get(g.port, &cert, "/t/acme/chat");
    assert_eq!(s, 401);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["error"],
        "no_credentials"
    );
    let (s, _) = https_get(g.port, &cert, "/healthz");
    assert_eq!(s, 200);
}
