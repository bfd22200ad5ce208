//! Remote JWKS against a real HTTP server on 127.0.0.1 started by each test:
//! caching, rotation, server down (stale-if-error), slow server (timeout),
//! huge and malformed responses, unknown-kid storms, single-flight and
//! discovery. Every test counts the requests the server saw. Cache ages use
//! an injected clock, so nothing sleeps for minutes.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chatseal::*;
use serde_json::json;

#[derive(Clone)]
struct Reply {
    status: u16,
    body: Vec<u8>,
    delay: Duration,
}

impl Reply {
    fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
}

type Routes = Arc<Mutex<HashMap<String, Reply>>>;

/// A tiny HTTP/1.1 server: one thread per connection, `Connection: close`,
/// replies by path, and a log of every request path it saw.
struct TestServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    routes: Routes,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

fn handle(mut s: TcpStream, routes: &Routes, seen: &Mutex<Vec<String>>) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let path = text.split_whitespace().nth(1).unwrap_or("").to_owned();
    seen.lock().unwrap().push(path.clone());
    let reply = routes.lock().unwrap().get(&path).cloned().unwrap_or(Reply {
        status: 404,
        body: b"not found".to_vec(),
        delay: Duration::ZERO,
    });
    std::thread::sleep(reply.delay);
    let head = format!(
        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reply.status,
        reply.body.len()
    );
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(&reply.body);
    let _ = s.flush();
}

impl TestServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let routes: Routes = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (seen, routes, stop) = (seen.clone(), routes.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(s) = conn else { continue };
                    let (seen, routes) = (seen.clone(), routes.clone());
                    std::thread::spawn(move || handle(s, &routes, &seen));
                }
            })
        };
        Self {
            addr,
            seen,
            routes,
            stop,
            accept: Some(accept),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn set(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_owned(), reply);
    }

    fn hits(&self, path: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }

    /// Stops accepting and closes the listening socket: later connections
    /// are refused.
    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            h.join().unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

const ISS: &str = "https://idp.test";

fn key(kid: &str) -> ClientSigningKey {
    ClientSigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid(kid)
        .unwrap()
}

fn jwks(keys: &[&ClientSigningKey]) -> String {
    ClientVerifyingKey::to_jwks(keys.iter().map(|k| k.verifying_key())).to_json()
}

fn token(k: &ClientSigningKey) -> String {
    Issuer::builder(k.clone())
        .issuer(ISS)
        .audience("chat")
        .build()
        .unwrap()
        .mint(&TokenRequest::new("user-1"))
        .unwrap()
}

fn options(clock: &Arc<ManualClock>) -> JwksOptions {
    JwksOptions {
        clock: clock.clone(),
        timeout: Duration::from_secs(3),
        ..JwksOptions::default()
    }
}

/// A tenant whose one provider fetches its keys from `keys_field`.
fn tenant_with(keys_field: serde_json::Value, opts: &JwksOptions) -> TenantVerifier {
    let mut provider = json!({
        "issuer": ISS,
        "expectedAudience": ["chat"],
        "acceptedAlgorithms": ["ES256"],
        "requireHttpsMetadata": false
    });
    for (k, v) in keys_field.as_object().unwrap() {
        provider[k] = v.clone();
    }
    let doc = json!({"tenantId": "t", "providers": {"idp": provider}});
    let config = TenantConfig::from_json(&doc.to_string()).unwrap();
    TenantVerifier::with_jwks_options(&config, &[], opts).unwrap()
}

fn tenant(server: &TestServer, opts: &JwksOptions) -> TenantVerifier {
    tenant_with(json!({"jwksUri": server.url("/jwks.json")}), opts)
}

#[test]
fn keys_are_cached_for_max_age_then_refetched() {
    let server = TestServer::start();
    let k1 = key("k1");
    server.set("/jwks.json", Reply::ok(jwks(&[&k1])));
    let clock = Arc::new(ManualClock::new());
    let t = tenant(&server, &options(&clock));
    assert_eq!(server.hits("/jwks.json"), 0, "nothing fetched before use");

    for _ in 0..20 {
        t.verify(&token(&k1), Some("user-1")).unwrap();
    }
    assert_eq!(server.hits("/jwks.json"), 1);

    clock.advance(DEFAULT_JWKS_MAX_AGE - Duration::from_secs(1));
    t.verify(&token(&k1), None).unwrap();
    assert_eq!(server.hits("/jwks.json"), 1);

    clock.advance(Duration::from_secs(2));
    t.verify(&token(&k1), None).unwrap();
    assert_eq!(server.hits("/jwks.json"), 2, "refetched after max age");
}

#[test]
fn rotation_on_the_server_is_picked_up_by_unknown_kid() {
    let server = TestServer::start();
    let (k1, k2, k3) = (key("k1"), key("k2"), key("k3"));
    server.set("/jwks.json", Reply::ok(jwks(&[&k1])));
    let clock = Arc::new(ManualClock::new());
    let t = tenant(&server, &options(&clock));
    t.verify(&token(&k1), None).unwrap();

    // The IdP publishes k2 next to k1 and starts signing with it. Within
    // the cooldown after the first fetch, the new kid is not fetched yet.
    server.set("/jwks.json", Reply::ok(jwks(&[&k1, &k2])));
    assert_eq!(
        t.verify(&token(&k2), None).unwrap_err().code(),
        "unknown_kid"
    );
    assert_eq!(server.hits("/jwks.json"), 1);
    clock.advance(DEFAULT_JWKS_COOLDOWN);
    t.verify(&token(&k2), None).unwrap();
    assert_eq!(server.hits("/jwks.json"), 2, "one refetch for the new kid");
    t.verify(&token(&k1), None).unwrap();
    assert_eq!(server.hits("/jwks.json"), 2);

    // k3 appears right after: within the cooldown no refetch happens.
    server.set("/jwks.json", Reply::ok(jwks(&[&k2, &k3])));
    let e = t.verify(&token(&k3), None).unwrap_err();
    assert_eq!(e.code(), "unknown_kid", "{e}");
    assert_eq!(server.hits("/jwks.json"), 2);

    // After the cooldown it is fetched, and k1, now retired, is refused.
    clock.advance(DEFAULT_JWKS_COOLDOWN);
    t.verify(&token(&k3), None).unwrap();
    assert_eq!(server.hits("/jwks.json"), 3);
    clock.advance(DEFAULT_JWKS_COOLDOWN);
    assert_eq!(
        t.verify(&token(&k1), None).unwrap_err().code(),
        "unknown_kid"
    );
    assert_eq!(
        server.hits("/jwks.json"),
        4,
        "one refetch for the retired kid"
    );
}

#[test]
fn kid_miss_storm_fetches_at_most_once_per_cooldown() {
    let server = TestServer::start();
    let k1 = key("k1");
    server.set("/jwks.json", Reply::ok(jwks(&[&k1])));
    let clock = Arc::new(ManualClock::new());
    let t = tenant(&server, &options(&clock));
    t.verify(&token(&k1), None).unwrap();
    let attacker = key("a");
    let storm: Vec<String> = (0..200)
        .map(|i| token(&attacker.clone().with_kid(format!("kid-{i}")).unwrap()))
        .collect();

    // Right after a fetch: no refetch at all.
    for tok in &storm {
        assert_eq!(t.verify(tok, None).unwrap_err().code(), "unknown_kid");
    }
    assert_eq!(
        server.hits("/jwks.json"),
        1,
        "200 unknown kids within the cooldown"
    );

    // Three cooldowns later: three more refetches at most, however many tokens.
    for _ in 0..3 {
        clock.advance(DEFAULT_JWKS_COOLDOWN);
        for tok in &storm {
            assert_eq!(t.verify(tok, None).unwrap_err().code(), "unknown_kid");
        }
    }
    assert_eq!(server.hits("/jwks.json"), 4, "one refetch per cooldown");
    // Valid tokens kept working throughout.
    t.verify(&token(&k1), None).unwrap();
}

#[test]
fn concurrent_kid_misses_share_one_fetch() {
    let server = TestServer::start();
    let k1 = key("k1");
    server.set(
        "/jwks.json",
        Reply {
            delay: Duration::from_millis(200),
            ..Reply::ok(jwks(&[&k1]))
        },
    );
    let clock = Arc::new(ManualClock::new());
    let t = Arc::new(tenant(&server, &options(&clock)));
    t.verify(&token(&k1), None).unwrap();
    clock.advance(DEFAULT_JWKS_COOLDOWN);
    let attacker = key("a");
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (t, barrier) = (t.clone(), barrier.clone());
            let tok = token(&attacker.clone().with_kid(format!("x{i}")).unwrap());
            std::thread::spawn(move || {
                barrier.wait();
                t.verify(&tok, None).unwrap_err().code()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "unknown_kid");
    }
    assert_eq!(server.hits("/jwks.json"), 2);
}

#[test]
fn single_flight_first_fetch() {
    let server = TestServer::start();
    let k1 = key("k1");
    server.set(
        "/jwks.json",
        Reply {
            delay: Duration::from_millis(300),
            ..Reply::ok(jwks(&[&k1]))
        },
    );
    let clock = Arc::new(ManualClock::new());
    let remote = Arc::new(
        RemoteJwks::new(
            server.url("/jwks.json"),
            JwksOptions {
                allow_http: true,
                ..options(&clock)
            },
        )
        .unwrap(),
    );
    let threads = 24;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (r, b) = (remote.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                r.keys().map(|s| s.generation())
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), 1);
    }
    assert_eq!(
        server.hits("/jwks.json"),
        1,
        "24 concurrent callers, one request"
    );
    assert_eq!(remote.fetch_count(), 1);
}

#[test]
fn server_down_serves_stale_keys_for_a_bounded_time() {
    let mut server = TestServer::start();
    let k1 = key("k1");
    server.set("/jwks.json", Reply::ok(jwks(&[&k1])));
    let clock = Arc::new(ManualClock::new());
    let opts = JwksOptions {
        stale_if_error: Duration::from_secs(600),
        ..options(&clock)
    };
    let t = tenant(&server, &opts);
    t.verify(&token(&k1), None).unwrap();
    server.shutdown();

    // Past max age, the refetch fails: the cached key keeps working.
    clock.advance(DEFAULT_JWKS_MAX_AGE + Duration::from_secs(1));
    t.verify(&token(&k1), None).unwrap();
    clock.advance(Duration::from_secs(300));
    t.verify(&token(&k1), None).unwrap();
    // Past max age + stale_if_error: refused, with the fetch error.
    clock.advance(Duration::from_secs(300));
    let e = t.verify(&token(&k1), None).unwrap_err();
    assert_eq!(e.code(), "jwks_unavailable", "{e}");
    assert!(e.message().contains("failed"), "{e}");
    assert_eq!(server.hits("/jwks.json"), 1);
}

#[test]
fn server_down_from_the_start_is_jwks_unavailable() {
    let mut server = TestServer::start();
    let url = server.url("/jwks.json");
    server.shutdown();
    let clock = Arc::new(ManualClock::new());
    let t = tenant_with(json!({ "jwksUri": url }), &options(&clock));
    let e = t.verify(&token(&key("k1")), None).unwrap_err();
    assert_eq!(e.code(), "jwks_unavailable");
    assert!(
        e.message().contains("Connection refused") || e.message().contains("failed"),
        "{e}"
    );
}

#[test]
fn error_statuses_are_jwks_unavailable_and_retried_after_cooldown() {
    let server = TestServer::start();
    let k1 = key("k1");
    server.set(
        "/jwks.json",
        Reply {
            status: 503,
            ..Reply::ok("busy")
        },
    );
    let clock = Arc::new(ManualClock::new());
    let t = tenant(&server, &options(&clock));
    let e = t.verify(&token(&k1), None).unwrap_err();
    assert_eq!(e.code(), "jwks_unavailable");
    assert!(e.message().contains("HTTP 503"), "{e}");
    // Within the cooldown the failing endpoint is not hammered.
    for _ in 0..10 {
        t.verify(&token(&k1), None).unwrap_err();
    }
    assert_eq!(server.hits("/jwks.json"), 1);
    server.set("/jwks.json", Reply::ok(jwks(&[&k1])));
    clock.advance(DEFAULT_JWKS_COOLDOWN);
    t.verify(&token(&k1), None).unwrap();
    assert_eq!(server.hits("/jwks.json"), 2);
}

#[test]
fn slow_server_times_out() {
    let server = TestServer::start();
    let k1 = key("k1");
    server.set(
        "/jwks.json",
        Reply {
            delay: Duration::from_secs(3),
            ..Reply::ok(jwks(&[&k1]))
        },
    );
    let clock = Arc::new(ManualClock::new());
    let opts = JwksOptions {
        timeout: Duration::from_millis(300),
        ..options(&clock)
    };
    let t = tenant(&server, &opts);
    let e = t.verify(&token(&k1), None).unwrap_err();
    assert_eq!(e.code(), "jwks_unavailable");
    assert!(e.message().contains("timed out"), "{e}");
    assert_eq!(server.hits("/jwks.json"), 1);
}

#[test]
fn huge_response_is_cut_off() {
    let server = TestServer::start();
    let k1 = key("k1");
    // A valid key set padded far beyond the limit.
    let mut doc: serde_json::Value = serde_json::from_str(&jwks(&[&k1])).unwrap();
    doc["padding"] = json!("x".repeat(4 * 1024 * 1024));
    server.set("/jwks.json", Reply::ok(doc.to_string()));
    let clock = Arc::new(ManualClock::new());
    let opts = JwksOptions {
        max_bytes: 64 * 1024,
        ..options(&clock)
    };
    let t = tenant(&server, &opts);
    let e = t.verify(&token(&k1), None).unwrap_err();
    assert_eq!(e.code(), "jwks_unavailable");
    assert!(
        e.message().contains("larger than the 65536 byte limit"),
        "{e}"
    );
}

#[test]
fn malformed_key_sets_are_jwks_unavailable() {
    let k1 = key("k1");
    let bodies = [
        "{not json".to_owned(),
        "[]".to_owned(),
        r#"{"keys": "nope"}"#.to_owned(),
        r#"{"keys": []}"#.to_owned(),
        r#"{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}"#.to_owned(),
        r#"{"keys": [{"kty": "EC", "crv": "P-256", "d": "x", "x": "y", "y": "z"}]}"#.to_owned(),
        format!("{}{}", jwks(&[&k1]), "trailing"),
    ];
    for body in bodies {
        let server = TestServer::start();
        server.set("/jwks.json", Reply::ok(body.clone()));
        let clock = Arc::new(ManualClock::new());
        let t = tenant(&server, &options(&clock));
        let e = t.verify(&token(&k1), None).unwrap_err();
        assert_eq!(e.code(), "jwks_unavailable", "{body}: {e}");
        assert_eq!(server.hits("/jwks.json"), 1);
    }
}

#[test]
fn discovery_finds_jwks_uri_once_and_checks_the_issuer() {
    let server = TestServer::start();
    let k1 = key("k1");
    server.set(
        "/.well-known/openid-configuration",
        Reply::ok(json!({"issuer": ISS, "jwks_uri": server.url("/keys")}).to_string()),
    );
    server.set("/keys", Reply::ok(jwks(&[&k1])));
    let clock = Arc::new(ManualClock::new());
    let t = tenant_with(json!({"authority": server.url("")}), &options(&clock));
    t.verify(&token(&k1), None).unwrap();
    clock.advance(DEFAULT_JWKS_MAX_AGE + Duration::from_secs(1));
    t.verify(&token(&k1), None).unwrap();
    assert_eq!(server.hits("/.well-known/openid-configuration"), 1);
    assert_eq!(server.hits("/keys"), 2);

    // A discovery document for another issuer is refused.
    let other = TestServer::start();
    other.set(
        "/.well-known/openid-configuration",
        Reply::ok(
            json!({"issuer": "https://evil.test", "jwks_uri": other.url("/keys")}).to_string(),
        ),
    );
    other.set("/keys", Reply::ok(jwks(&[&k1])));
    let t = tenant_with(json!({"authority": other.url("/")}), &options(&clock));
    let e = t.verify(&token(&k1), None).unwrap_err();
    assert_eq!(e.code(), "jwks_unavailable");
    assert!(
        e.message().contains("names issuer `https://evil.test`"),
        "{e}"
    );
    assert_eq!(other.hits("/keys"), 0);
}

#[test]
fn plain_http_needs_require_https_metadata_false() {
    let e = RemoteJwks::new("http://127.0.0.1:1/keys", JwksOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    let doc = json!({"tenantId": "t", "providers": {"idp": {
        "issuer": ISS, "expectedAudience": "chat", "jwksUri": "http://127.0.0.1:1/keys"}}});
    let e = TenantConfig::from_json(&doc.to_string()).unwrap_err();
    assert!(e.message().contains("requireHttpsMetadata"), "{e}");
    // A discovery document may not downgrade to plain HTTP either.
    let server = TestServer::start();
    server.set(
        "/.well-known/openid-configuration",
        Reply::ok(json!({"issuer": ISS, "jwks_uri": server.url("/keys")}).to_string()),
    );
    let clock = Arc::new(ManualClock::new());
    let remote = RemoteJwks::discover(
        format!("https://{}", server.addr),
        Some(ISS.to_owned()),
        options(&clock),
    )
    .unwrap();
    // The authority is HTTPS but the test server speaks plain HTTP, so the
    // TLS handshake itself fails: still a typed error, and no key is fetched.
    assert_eq!(
        remote.keys().unwrap_err().kind(),
        ErrorKind::JwksUnavailable
    );
    assert_eq!(server.hits("/keys"), 0);
}
