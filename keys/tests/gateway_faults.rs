//! `chatseal gateway` under load while things go wrong (issue 14, section
//! 3, with small counts): on 127.0.0.1, client threads keep sending
//! authenticated requests on keep-alive connections while the upstream is
//! killed and restarted, the tenant's JWKS endpoint (a `chatseal serve`
//! sidecar) goes down, the tenant document is replaced, SIGHUP arrives,
//! slowloris clients and 1 MiB heads come in, and more idle connections
//! than `max_connections` are opened.
//!
//! The gateway must keep serving and lose no request it accepted: every
//! request of the load gets a complete answer (never a reset, an early
//! close or a timeout) and that answer is a 200 from the upstream, except
//! the documented 502 while the upstream is down. Connections over the
//! limit get the documented 503. Nothing is timed against a threshold
//! beyond generous bounds that keep the test from hanging.

#![cfg(feature = "services")]

mod common;

use common::http::*;
use common::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chatseal::serde_json::{json, Value};

/// The upstream: a small threaded HTTP/1.1 keep-alive server answering
/// every request 200 with `{"user": "<X-Chatseal-User>"}`. `kill` closes
/// its listener and every connection at once, as a killed process's are;
/// `start` binds the same port again.
struct Upstream {
    port: u16,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Upstream {
    fn new() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let u = Self {
            port,
            up: Arc::new(AtomicBool::new(false)),
            conns: Arc::new(Mutex::new(Vec::new())),
        };
        u.start();
        u
    }

    fn start(&self) {
        let until = Instant::now() + Duration::from_secs(5);
        let l = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(l) => break l,
                Err(e) if Instant::now() < until => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("the upstream cannot bind its port again: {e}"),
            }
        };
        self.up.store(true, Ordering::SeqCst);
        let (up, conns) = (self.up.clone(), self.conns.clone());
        std::thread::spawn(move || {
            for c in l.incoming() {
                if !up.load(Ordering::SeqCst) {
                    return; // the listener is dropped: the port is closed
                }
                let Ok(c) = c else { continue };
                conns.lock().unwrap().push(c.try_clone().unwrap());
                std::thread::spawn(move || serve_upstream(c));
            }
        });
    }

    fn kill(&self) {
        self.up.store(false, Ordering::SeqCst);
        // Wakes the accept loop, which then drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        // Until the port is closed, wait (bounded).
        let until = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < until, "the upstream did not go down");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        if self.up.load(Ordering::SeqCst) {
            self.kill();
        }
    }
}

fn serve_upstream(c: TcpStream) {
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut w = c;
    loop {
        let mut user = String::from("-");
        let mut len = 0usize;
        let mut first = true;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                if first {
                    continue;
                }
                break;
            }
            first = false;
            if let Some((k, v)) = line.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "x-chatseal-user" => user = v.trim().to_owned(),
                    "content-length" => len = v.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let answer = json!({ "user": user }).to_string();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        if w.write_all(format!("{head}{answer}").as_bytes()).is_err() {
            return;
        }
    }
}

/// One answer read off a keep-alive connection.
struct Answer {
    status: u16,
    close: bool,
    body: Vec<u8>,
}

/// Reads one response (head, then a `content-length` body). Any I/O error,
/// early end or timeout is an error: a lost request.
fn read_answer(r: &mut BufReader<TcpStream>) -> std::io::Result<Answer> {
    let eof = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed");
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(eof());
    }
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let (mut len, mut close) = (0usize, false);
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Err(eof());
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().unwrap_or(0),
                "connection" => close = v.trim().eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Answer {
        status,
        close,
        body,
    })
}

/// What happened to the load's requests in one phase.
#[derive(Default, Debug)]
struct Tally {
    /// status (and error code of a non-200) -> count
    answers: BTreeMap<String, u64>,
    /// requests without a complete answer, with the reason
    lost: Vec<String>,
}

const PHASES: [&str; 11] = [
    "baseline",
    "upstream down",
    "upstream back",
    "JWKS endpoint down",
    "another tenant's JWKS endpoint hangs",
    "tenant document replaced",
    "SIGHUP",
    "slowloris",
    "1 MiB heads",
    "idle connections over max_connections",
    "after",
];

struct Load {
    stop: Arc<AtomicBool>,
    phase: Arc<AtomicUsize>,
    tallies: Arc<Mutex<Vec<Tally>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// `n` client threads, each on its own keep-alive connection (reopened
/// only when the gateway says `Connection: close`), sending
/// `GET /t/acme/chat` with the tokens in turn. Each request is tallied in
/// the phase in which it was sent.
fn load(port: u16, n: usize, tokens: Arc<Vec<String>>) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let phase = Arc::new(AtomicUsize::new(0));
    let tallies = Arc::new(Mutex::new(
        (0..PHASES.len())
            .map(|_| Tally::default())
            .collect::<Vec<_>>(),
    ));
    let threads = (0..n)
        .map(|t| {
            let (stop, phase, tallies, tokens) =
                (stop.clone(), phase.clone(), tallies.clone(), tokens.clone());
            std::thread::spawn(move || {
                let connect = || {
                    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    s.set_nodelay(true).unwrap();
                    (BufReader::new(s.try_clone().unwrap()), s)
                };
                let (mut r, mut w) = connect();
                let mut i = t;
                while !stop.load(Ordering::SeqCst) {
                    let p = phase.load(Ordering::SeqCst);
                    // Thread 0 repeats one token (the cache-hit path); the
                    // others go through the rest in turn.
                    let token = if t == 0 {
                        &tokens[0]
                    } else {
                        &tokens[1 + i % (tokens.len() - 1)]
                    };
                    i += n;
                    let req = format!(
                        "GET /t/acme/chat?n={i} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {token}\r\n\r\n"
                    );
                    let got = w
                        .write_all(req.as_bytes())
                        .and_then(|()| read_answer(&mut r));
                    let (outcome, reconnect) = match got {
                        Ok(a) => {
                            let v: Value =
                                chatseal::serde_json::from_slice(&a.body).unwrap_or_default();
                            let key = if a.status == 200 {
                                let user = v["user"].as_str().unwrap_or("");
                                if user.starts_with("user-") {
                                    "200".to_owned()
                                } else {
                                    format!("200 without the identity: {user:?}")
                                }
                            } else {
                                format!("{} {}", a.status, v["error"].as_str().unwrap_or("?"))
                            };
                            (Ok(key), a.close)
                        }
                        Err(e) => (Err(format!("thread {t}: {e}")), true),
                    };
                    {
                        let mut tallies = tallies.lock().unwrap();
                        match outcome {
                            Ok(key) => *tallies[p].answers.entry(key).or_insert(0) += 1,
                            Err(e) => tallies[p].lost.push(e),
                        }
                    }
                    if reconnect {
                        (r, w) = connect();
                    }
                }
            })
        })
        .collect();
    Load {
        stop,
        phase,
        tallies,
        threads,
    }
}

/// Retries until `f` holds, at most 10 s.
#[track_caller]
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("not within 10 s: {what}");
}

fn metric(port: u16, name: &str) -> u64 {
    let (_, _, m) = http(port, "GET", "/metrics", &[], b"");
    String::from_utf8_lossy(&m)
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Answers of the load (any status) in `phase` so far.
fn served(load: &Load, phase: usize) -> u64 {
    load.tallies.lock().unwrap()[phase].answers.values().sum()
}

const MAX_CONNECTIONS: usize = 40;
/// Requests left waiting for a hung JWKS endpoint: more than the gateway's
/// runtime has worker threads on any machine that runs this test.
const HUNG_REQUESTS: usize = 16;
const LOAD_THREADS: usize = 4;

#[test]
fn gateway_keeps_serving_and_loses_no_accepted_request_under_faults() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let p = |name: &str| d.join(name).to_str().unwrap().to_owned();

    // The host's keyring behind a sidecar (the tenant's JWKS endpoint and
    // the tokens' minter) and the platform keyring that decrypts the
    // tokens' user_payload.
    run(&["keys", "init", "--dir", &p("client"), "--alg", "ES256"]).ok();
    run(&[
        "keys",
        "init",
        "--dir",
        &p("platform"),
        "--use",
        "enc",
        "--alg",
        "ECDH-ES+A256KW",
    ])
    .ok();
    let api_key = run(&["apikey", "generate", "--out", &p("sidecar.hash")])
        .ok()
        .trim()
        .to_owned();
    let sidecar_args = |listen: &str| {
        vec![
            "serve".to_owned(),
            "--dir".to_owned(),
            p("client"),
            "--iss".to_owned(),
            "https://host.example".to_owned(),
            "--aud".to_owned(),
            "chat".to_owned(),
            "--api-key-hash".to_owned(),
            p("sidecar.hash"),
            "--platform-key".to_owned(),
            p("platform"),
            "--listen".to_owned(),
            listen.to_owned(),
        ]
    };
    let start_sidecar = |listen: &str| {
        let args = sidecar_args(listen);
        start(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let mut sidecar = start_sidecar("127.0.0.1:0");
    let jwks_port = sidecar.port;
    let auth = format!("Bearer {api_key}");
    let tokens: Vec<String> = (0..40)
        .map(|i| {
            let body = json!({"sub": format!("user-{i}"), "sso_token": format!("obo-{i}"),
                "context": {"email": format!("user-{i}@host.example")}})
            .to_string();
            let (s, _, b) = http(
                jwks_port,
                "POST",
                "/v1/tokens",
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                ],
                body.as_bytes(),
            );
            assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
            json(&b)["token"].as_str().unwrap().to_owned()
        })
        .collect();
    let tokens = Arc::new(tokens);

    let platform_kid = chatseal_keys::Keyring::open(d.join("platform"))
        .unwrap()
        .active()
        .kid
        .clone();
    let doc = |origins: &[&str]| {
        json!({"tenantId": "acme", "allowedOrigins": origins,
            "providers": {"host-app": {"issuer": "https://host.example", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"], "requireHttpsMetadata": false,
            "jwksUri": format!("http://127.0.0.1:{jwks_port}/.well-known/jwks.json"),
            "decryptionKeys": [platform_kid]}}})
        .to_string()
    };
    write_atomically(&d.join("acme.json"), &doc(&["https://host.example"]));
    std::fs::create_dir(d.join("tenants")).unwrap();
    // Tenant beta's JWKS endpoint: a listener that never accepts (the
    // kernel completes the handshakes; no answer ever comes).
    let hung = TcpListener::bind("127.0.0.1:0").unwrap();
    let hung_port = hung.local_addr().unwrap().port();
    let beta = doc(&["https://host.example"])
        .replace("\"acme\"", "\"beta\"")
        .replace(&format!(":{jwks_port}/"), &format!(":{hung_port}/"));
    write_atomically(&d.join("tenants/beta.json"), &beta);
    let upstream = Upstream::new();
    // A small verified-token cache, so that most requests of the load are
    // verified for real (signature, claims, user_payload decryption).
    write_atomically(
        &d.join("gateway.toml"),
        &format!(
            "listen = \"127.0.0.1:0\"\nupstream = \"http://127.0.0.1:{}\"\n\
             tenants_dir = \"tenants\"\ndecrypt_dir = \"platform\"\nwatch_interval_ms = 100\nheader_timeout_ms = 1500\n\
             upstream_timeout_ms = 5000\nmax_connections = {MAX_CONNECTIONS}\ncache_entries = 4\n\
             [[tenant]]\nid = \"acme\"\nconfig = \"acme.json\"\ndecrypt_dir = \"platform\"\n",
            upstream.port
        ),
    );
    let mut g = start(&["gateway", "--config", &p("gateway.toml")]);
    let gp = g.port;
    let pid = g.child.id();
    let bearer = format!("Bearer {}", tokens[1]);
    let (s, _, b) = http(
        gp,
        "GET",
        "/t/acme/chat",
        &[("Authorization", &bearer)],
        b"",
    );
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));

    let load = load(gp, LOAD_THREADS, tokens.clone());
    let phase = |n: usize, settle: Duration| {
        load.phase.store(n, Ordering::SeqCst);
        std::thread::sleep(settle);
    };
    let ms = Duration::from_millis;
    phase(0, ms(300));

    // 1. Another tenant's JWKS endpoint accepts connections and never
    // answers (a hung process). The gateway began fetching beta's keys at
    // start (off the request threads), and the fetch hangs until its 5 s
    // timeout: beta's requests now wait for it (then 503), and the other
    // tenants' requests must be served meanwhile. More waiting requests
    // than the runtime has workers. (First, while that fetch still hangs.)
    phase(4, ms(0));
    let served_before = served(&load, 4);
    let waiting: Vec<_> = (0..HUNG_REQUESTS)
        .map(|_| {
            let bearer = bearer.clone();
            std::thread::spawn(move || {
                let (s, _, b) = http(
                    gp,
                    "GET",
                    "/t/beta/chat",
                    &[("Authorization", &bearer)],
                    b"",
                );
                (s, String::from_utf8_lossy(&b).into_owned())
            })
        })
        .collect();
    std::thread::sleep(ms(1500));
    let served_meanwhile = served(&load, 4) - served_before;
    let waited = Instant::now();
    for w in waiting {
        let (s, b) = w.join().unwrap();
        assert_eq!(s, 503, "{b}");
        assert!(b.contains("jwks_unavailable"), "{b}");
    }
    if waited.elapsed() < ms(200) {
        // beta's fetch had already failed: nothing waited, so this run did
        // not exercise the hang (a slow start); the rest still holds.
        eprintln!("note: beta's requests did not wait for its key fetch");
    }
    drop(hung);
    assert!(
        served_meanwhile >= 20,
        "acme was not served while beta's JWKS endpoint hung ({served_meanwhile} answers)"
    );

    // 2. The upstream is killed: 502 while it is down, then restarted on
    // its port: served again.
    // (Requests sent before the kill and still in flight at it may get a
    // 502 too; the short settle keeps them out of the baseline's tally.)
    phase(1, ms(100));
    upstream.kill();
    std::thread::sleep(ms(600));
    upstream.start();
    phase(2, ms(600));

    // 3. The JWKS endpoint goes down: the keys fetched before keep
    // verifying new tokens (the cache holds 4, the load cycles through 39).
    phase(3, ms(0));
    sidecar.child.kill().unwrap();
    sidecar.child.wait().unwrap();
    assert!(TcpStream::connect(("127.0.0.1", jwks_port)).is_err());
    std::thread::sleep(ms(800));
    // Back on the same port (a new verifier, as after a document change,
    // fetches the keys again).
    sidecar = start_sidecar(&format!("127.0.0.1:{jwks_port}"));

    // 4. The tenant document is replaced mid-load, three times; the last
    // version allows a new origin, which is then served.
    phase(5, ms(0));
    let reloads = metric(gp, "chatseal_gateway_reloads_total");
    for origins in [
        &["https://host.example", "https://a.example"][..],
        &["https://host.example", "https://b.example"],
        &["https://host.example", "https://new.example"],
    ] {
        write_atomically(&d.join("acme.json"), &doc(origins));
        std::thread::sleep(ms(250));
    }
    eventually("the replaced document is served", || {
        http(
            gp,
            "GET",
            "/t/acme/chat",
            &[
                ("Authorization", &bearer),
                ("Origin", "https://new.example"),
            ],
            b"",
        )
        .0 == 200
    });
    assert!(metric(gp, "chatseal_gateway_reloads_total") > reloads);

    // 5. SIGHUP (reread gateway.toml, every tenant rebuilt), three times.
    phase(6, ms(0));
    for _ in 0..3 {
        signal(pid, "-HUP");
        std::thread::sleep(ms(250));
    }

    // 6. Slowloris: heads trickled a byte at a time are cut at
    // header_timeout_ms; the load is served meanwhile.
    phase(7, ms(0));
    let slow: Vec<_> = (0..10)
        .map(|_| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", gp)).unwrap();
                let t0 = Instant::now();
                let _ = s.write_all(b"GET /t/acme/chat HTTP/1.1\r\nHost: x\r\nX-Slow: ");
                while t0.elapsed() < Duration::from_secs(8) {
                    if s.write_all(b"a").is_err() {
                        return t0.elapsed();
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                t0.elapsed()
            })
        })
        .collect();
    for t in slow {
        let cut_after = t.join().unwrap();
        assert!(
            cut_after < Duration::from_secs(6),
            "a slowloris head was not cut ({cut_after:?})"
        );
    }

    // 7. 1 MiB request heads: refused (431) or closed; never served.
    phase(8, ms(0));
    let big: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", gp)).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let head = format!(
                    "GET /t/acme/chat HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                    "a".repeat(1 << 20)
                );
                let _ = s.write_all(head.as_bytes());
                let mut answer = Vec::new();
                let _ = s.read_to_end(&mut answer);
                String::from_utf8_lossy(&answer).into_owned()
            })
        })
        .collect();
    for t in big {
        let answer = t.join().unwrap();
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
            "{answer}"
        );
    }
    std::thread::sleep(ms(300));

    // 8. More idle connections than max_connections: the load's own
    // connections keep being served; of the idle ones, those over the
    // limit are answered 503 and closed.
    phase(9, ms(0));
    let flood = MAX_CONNECTIONS + 10;
    let idle: Vec<TcpStream> = (0..flood)
        .map(|_| TcpStream::connect(("127.0.0.1", gp)).unwrap())
        .collect();
    std::thread::sleep(ms(300));
    // Every slot is taken (until header_timeout_ms closes the idle ones):
    // a new connection is refused too.
    let (s, _, b) = http(
        gp,
        "GET",
        "/t/acme/chat",
        &[("Authorization", &bearer)],
        b"",
    );
    assert_eq!(
        (s, json(&b)["error"].as_str()),
        (503, Some("too_many_connections"))
    );
    let mut refused = 0;
    for mut s in &idle {
        // The 503s were written at once; the others have nothing to read.
        s.set_read_timeout(Some(ms(20))).unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        if answer.starts_with("HTTP/1.1 503") {
            assert!(answer.contains("too_many_connections"), "{answer}");
            refused += 1;
        } else {
            assert!(answer.is_empty(), "an idle connection got {answer}");
        }
    }
    // The load holds LOAD_THREADS slots; the rest went to the idle ones.
    assert!(
        refused >= flood - (MAX_CONNECTIONS - LOAD_THREADS) && refused < flood,
        "{refused} of {flood} idle connections refused"
    );
    drop(idle);
    eventually("a new connection is served again", || {
        http(
            gp,
            "GET",
            "/t/acme/chat",
            &[("Authorization", &bearer)],
            b"",
        )
        .0 == 200
    });
    phase(10, ms(500));

    load.stop.store(true, Ordering::SeqCst);
    for t in load.threads {
        t.join().unwrap();
    }
    let tallies = load.tallies.lock().unwrap();
    let mut report = String::new();
    for (name, t) in PHASES.iter().zip(tallies.iter()) {
        report.push_str(&format!("{name}: {:?} lost {:?}\n", t.answers, t.lost));
    }
    eprintln!("{report}");
    for (i, (name, t)) in PHASES.iter().zip(tallies.iter()).enumerate() {
        assert!(t.lost.is_empty(), "{name}: requests lost\n{report}");
        let ok = t.answers.get("200").copied().unwrap_or(0);
        assert!(
            ok >= 3,
            "{name}: the gateway did not keep serving\n{report}"
        );
        for (answer, n) in &t.answers {
            let allowed = answer == "200" || (i == 1 && answer == "502 upstream_unavailable");
            assert!(allowed, "{name}: {n} × `{answer}`\n{report}");
        }
    }
    assert!(
        tallies[1].answers.contains_key("502 upstream_unavailable"),
        "the upstream was down: {report}"
    );

    // SIGTERM: drains and exits 0; everything else stops with the test.
    signal(pid, "-TERM");
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = g.child.try_wait().unwrap() {
            assert!(st.success(), "{st:?}");
            break;
        }
        assert!(Instant::now() < until, "the gateway did not stop");
        std::thread::sleep(ms(50));
    }
    drop(sidecar);
    drop(upstream);
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "bounded in time: {:?}",
        started.elapsed()
    );
}
