//! `chatseal serve`: the token sidecar. Host backends in any language POST a
//! user and get a widget token; platforms fetch the keyring's JWKS. The HTTP
//! code only translates: minting is `chatseal::Issuer`, the API key check
//! `chatseal::ApiKeySlot`, the keys `chatseal_keys::Keyring`.
//!
//! Bounds: loopback or a unix socket unless `--allow-public` with TLS; TLS
//! handshakes and request heads read within 10 s and at most 16 KiB;
//! bodies at most 64 KiB; a request answered within 30 s; at most
//! `--max-connections` connections at once (more wait in the kernel's
//! backlog). SIGTERM or SIGINT stops accepting, lets open requests finish
//! (at most 10 s) and exits 0.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use chatseal::serde_json::{self, json, Map, Value};
use chatseal::{
    ApiKeySlot, Issuer, Passphrase, PayloadFormat, PlatformEncryptionKey, SsoToken, TokenRequest,
};
use chatseal_keys::Keyring;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::cli::{FormatArg, ServeArgs};
use crate::error::{usage, CliResult};
use crate::listen::{check_exposure, parse_bind, tls_config, Bind, Listener};
use crate::run::{load_platform_key, passphrase, payload_format, read_file};
use tokio_rustls::rustls::ServerConfig;

/// Largest request body, in bytes.
const MAX_BODY: usize = 64 * 1024;
/// Largest request head (line and headers), in bytes.
const MAX_HEAD: usize = 16 * 1024;
/// Time to read a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Time to answer one request, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Time open requests get to finish after SIGTERM.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// `Cache-Control: max-age` of the JWKS.
const JWKS_MAX_AGE: u64 = 300;

/// The keyring as last loaded, with what every request needs from it.
struct Loaded {
    /// What identifies the manifest version (size and modification time).
    stamp: (u64, SystemTime),
    issuer: Arc<Issuer>,
    kid: String,
    jwks: String,
    etag: String,
}

/// What the command line fixed: where the keys are and what every token
/// says.
struct Config {
    dir: PathBuf,
    pass: Option<Passphrase>,
    iss: Option<String>,
    aud: Option<String>,
    ttl: Option<u64>,
    platform: Option<(PlatformEncryptionKey, PayloadFormat)>,
}

struct State {
    config: Config,
    api_keys: ApiKeySlot,
    loaded: RwLock<Arc<Loaded>>,
    metrics: Metrics,
}

#[derive(Default)]
struct Metrics {
    minted: AtomicU64,
    refused: AtomicU64,
    unauthorized: AtomicU64,
    jwks: AtomicU64,
    not_modified: AtomicU64,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
}

fn manifest_stamp(dir: &Path) -> std::io::Result<(u64, SystemTime)> {
    let m = std::fs::metadata(dir.join(chatseal_keys::MANIFEST_FILE))?;
    Ok((m.len(), m.modified()?))
}

impl State {
    fn load(&self) -> CliResult<Loaded> {
        load(&self.config)
    }

    /// The keyring as of now: reloaded when its manifest changed (a rotation
    /// by another process). A reload that fails keeps the previous keys, so a
    /// rotation never fails a request; the failure is logged.
    fn current(&self) -> Arc<Loaded> {
        let now = manifest_stamp(&self.config.dir).ok();
        let cur = self
            .loaded
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if now.is_none_or(|s| s == cur.stamp) {
            return cur;
        }
        match self.load() {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = fresh.clone();
                self.metrics.reloads.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "chatseal serve: keyring {} reloaded; signing with {}",
                    self.config.dir.display(),
                    fresh.kid
                );
                fresh
            }
            Err(e) => {
                self.metrics.reload_failures.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "chatseal serve: keyring {} changed but did not load ({}); still signing \
                     with {}",
                    self.config.dir.display(),
                    e.line(),
                    cur.kid
                );
                cur
            }
        }
    }
}

fn load(s: &Config) -> CliResult<Loaded> {
    let dir = &s.dir;
    // The stamp is read before the keyring: a change in between is seen by
    // the next request.
    let stamp = manifest_stamp(dir).map_err(|e| {
        usage(format!(
            "cannot read the keyring manifest in `{}`: {e}",
            dir.display()
        ))
    })?;
    let ring = Keyring::open(dir)?;
    // A keyring in a PKCS#11 token: module and PIN from
    // CHATSEAL_PKCS11_MODULE and CHATSEAL_PKCS11_PIN.
    let key = crate::run::service_signing_key(&ring, s.pass.as_ref())?;
    let kid = key.kid().to_owned();
    let b = Issuer::builder(key);
    let b = match &s.iss {
        Some(i) => b.issuer(i.clone()),
        None => b.without_issuer(),
    };
    let mut b = match &s.aud {
        Some(a) => b.audience(a.clone()),
        None => b.without_audience(),
    };
    if let Some(t) = s.ttl {
        b = b.ttl(Duration::from_secs(t));
    }
    if let Some((p, f)) = &s.platform {
        b = b.platform_key(p.clone(), *f);
    }
    let issuer = Arc::new(b.build()?);
    let published = ring.jwks();
    // The kids are RFC 7638 thumbprints: they change exactly when the
    // published key set does.
    let etag = format!(
        "\"{}\"",
        published
            .keys
            .iter()
            .filter_map(|k| k.kid.as_deref())
            .collect::<Vec<_>>()
            .join(".")
    );
    Ok(Loaded {
        stamp,
        issuer,
        kid,
        jwks: published.to_json(),
        etag,
    })
}

/// Runs the sidecar until SIGTERM/SIGINT.
pub(crate) fn serve(a: ServeArgs) -> CliResult {
    if a.iss.is_none() && !a.without_iss {
        return Err(usage(
            "give --iss ISS (or --without-iss for IBM-style tokens without an issuer)",
        ));
    }
    if a.aud.is_none() && !a.without_aud {
        return Err(usage(
            "give --aud AUD (or --without-aud for IBM-style tokens without an audience)",
        ));
    }
    if a.payload_format.is_some() && a.platform_key.is_none() {
        return Err(usage(
            "--payload-format has no effect without --platform-key (it is the format of the \
             encrypted `user_payload`)",
        ));
    }
    if a.max_connections == 0 {
        return Err(usage("--max-connections must be at least 1"));
    }
    let bind = parse_bind(&a.listen, "--listen")?;
    check_exposure(&bind, a.allow_public, a.tls_cert.is_some())?;
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => Some(tls_config(c, k)?),
        _ => None,
    };
    let hash = read_file(&a.api_key_hash, "the API key hash file")?;
    let api_keys = ApiKeySlot::from_stored(Some(hash.trim()))
        .map_err(|e| usage(format!("--api-key-hash: {}", e.message())))?;
    let platform = match &a.platform_key {
        Some(p) => Some((
            load_platform_key(p)?,
            payload_format(a.payload_format.unwrap_or(FormatArg::Jwe)),
        )),
        None => None,
    };
    let config = Config {
        dir: a.dir.dir.clone(),
        pass: passphrase(&a.pass)?,
        iss: a.iss.clone(),
        aud: a.aud.clone(),
        ttl: a.ttl,
        platform,
    };
    // The keys, or a usage error before listening.
    let first = load(&config)?;
    let state = Arc::new(State {
        config,
        api_keys,
        loaded: RwLock::new(Arc::new(first)),
        metrics: Metrics::default(),
    });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(format!("cannot start the runtime: {e}")))?;
    rt.block_on(run(state, bind, tls, a.max_connections))
}

async fn run(
    state: Arc<State>,
    bind: Bind,
    tls: Option<Arc<ServerConfig>>,
    max_connections: usize,
) -> CliResult {
    let listener = Listener::bind(&bind).await?;
    // The one line scripts wait for.
    println!(
        "chatseal serve: listening on {}",
        listener.describe(tls.is_some())
    );
    eprintln!(
        "chatseal serve: keyring {}, signing with {}",
        state.config.dir.display(),
        state.current().kid
    );
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| usage(format!("cannot watch SIGTERM: {e}")))?;
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        };
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("chatseal serve: accept failed: {e}");
                    continue;
                }
            },
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        };
        let state = state.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // The TLS handshake is bounded like a request head.
            let Ok(Ok(stream)) =
                tokio::time::timeout(HEAD_TIMEOUT, stream.handshake(tls.as_ref())).await
            else {
                return;
            };
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .max_buf_size(MAX_HEAD)
                .keep_alive(true)
                .serve_connection(
                    TokioIo::new(stream),
                    hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move {
                            let r =
                                tokio::time::timeout(REQUEST_TIMEOUT, handle(&state, req)).await;
                            Ok::<_, std::convert::Infallible>(r.unwrap_or_else(|_| {
                                error(
                                    StatusCode::REQUEST_TIMEOUT,
                                    "timeout",
                                    "the request took too long",
                                )
                            }))
                        }
                    }),
                );
            let _ = watcher.watch(conn).await;
            drop(permit);
        });
    }
    drop(listener);
    eprintln!("chatseal serve: stopping; letting open requests finish");
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("chatseal serve: some connections did not finish within {DRAIN_TIMEOUT:?}");
    }
    eprintln!("chatseal serve: stopped");
    Ok(())
}

fn json_response(status: StatusCode, v: &Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(
        serde_json::to_vec(v).unwrap_or_default(),
    )));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    let mut r = json_response(status, &json!({"error": code, "message": message}));
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"chatseal\", error=\"invalid_token\""),
        );
    }
    r
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    match (req.method(), req.uri().path()) {
        (&Method::POST, "/v1/tokens") => mint(state, req).await,
        (&Method::GET, "/.well-known/jwks.json") => jwks(state, &req),
        (&Method::GET, "/healthz") => json_response(StatusCode::OK, &json!({"status": "ok"})),
        (&Method::GET, "/metrics") => metrics(state),
        (_, "/v1/tokens" | "/.well-known/jwks.json" | "/healthz" | "/metrics") => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "POST /v1/tokens; GET /.well-known/jwks.json, /healthz, /metrics",
        ),
        _ => error(StatusCode::NOT_FOUND, "not_found", "no such endpoint"),
    }
}

/// The body of `POST /v1/tokens`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MintBody {
    sub: String,
    #[serde(default)]
    context: Option<Value>,
    #[serde(default)]
    sso_token: Option<String>,
    #[serde(default)]
    claims: Option<Map<String, Value>>,
    #[serde(default)]
    ttl: Option<u64>,
}

async fn mint(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    // The API key first: nothing of an unauthenticated body is read.
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if !presented.is_some_and(|k| state.api_keys.verify(k)) {
        state.metrics.unauthorized.fetch_add(1, Ordering::Relaxed);
        return error(
            StatusCode::UNAUTHORIZED,
            chatseal::rules::API_KEY_INVALID,
            "Authorization: Bearer <API key> is missing or is not this sidecar's key",
        );
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        // The body may hold an sso_token: keep it in a buffer that is wiped
        // when dropped (`Vec::from` takes the collected bytes without a copy).
        Ok(b) => chatseal::SecretBytes::from(zeroize::Zeroizing::new(Vec::from(b.to_bytes()))),
        Err(_) => {
            state.metrics.refused.fetch_add(1, Ordering::Relaxed);
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is larger than 64 KiB or was cut off",
            );
        }
    };
    let refused = |code: &str, message: String| {
        state.metrics.refused.fetch_add(1, Ordering::Relaxed);
        error(StatusCode::BAD_REQUEST, code, &message)
    };
    // Unknown and duplicate members are refused by the request shape;
    // serde_json bounds the nesting.
    let b: MintBody = match serde_json::from_slice(body.expose_secret()) {
        Ok(b) => b,
        Err(e) => return refused("invalid_request", format!("request body: {e}")),
    };
    let mut tr = TokenRequest::new(b.sub);
    if let Some(c) = b.context {
        tr = tr.context(c);
    }
    if let Some(s) = b.sso_token {
        tr = tr.sso_token(SsoToken::new(s));
    }
    for (k, v) in b.claims.unwrap_or_default() {
        tr = tr.claim(k, v);
    }
    if let Some(t) = b.ttl {
        tr = tr.ttl(Duration::from_secs(t));
    }
    let loaded = state.current();
    match loaded.issuer.mint(&tr) {
        Ok(token) => {
            state.metrics.minted.fetch_add(1, Ordering::Relaxed);
            let exp = chatseal::dangerous::insecure_decode(&token)
                .ok()
                .and_then(|(_, c)| c.get("exp").and_then(Value::as_i64));
            json_response(
                StatusCode::OK,
                &json!({"token": token, "expires_at": exp, "kid": loaded.kid}),
            )
        }
        Err(e) => refused(e.code(), e.message().to_owned()),
    }
}

fn jwks(state: &State, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let loaded = state.current();
    state.metrics.jwks.fetch_add(1, Ordering::Relaxed);
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == loaded.etag || t.trim() == "*")
        });
    let mut r = if cached {
        state.metrics.not_modified.fetch_add(1, Ordering::Relaxed);
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Full::new(Bytes::from(loaded.jwks.clone())));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/jwk-set+json"),
        );
        r
    };
    if let Ok(v) = HeaderValue::from_str(&loaded.etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={JWKS_MAX_AGE}")) {
        r.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    r
}

fn metrics(state: &State) -> Response<Full<Bytes>> {
    let m = &state.metrics;
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let text = format!(
        "# HELP chatseal_tokens_minted_total Tokens minted.\n\
         # TYPE chatseal_tokens_minted_total counter\n\
         chatseal_tokens_minted_total {}\n\
         # HELP chatseal_requests_refused_total Mint requests refused (bad request).\n\
         # TYPE chatseal_requests_refused_total counter\n\
         chatseal_requests_refused_total {}\n\
         # HELP chatseal_requests_unauthorized_total Requests without a valid API key.\n\
         # TYPE chatseal_requests_unauthorized_total counter\n\
         chatseal_requests_unauthorized_total {}\n\
         # HELP chatseal_jwks_requests_total JWKS requests (304s included).\n\
         # TYPE chatseal_jwks_requests_total counter\n\
         chatseal_jwks_requests_total {}\n\
         # HELP chatseal_jwks_not_modified_total JWKS requests answered 304.\n\
         # TYPE chatseal_jwks_not_modified_total counter\n\
         chatseal_jwks_not_modified_total {}\n\
         # HELP chatseal_keyring_reloads_total Keyring reloads after a change.\n\
         # TYPE chatseal_keyring_reloads_total counter\n\
         chatseal_keyring_reloads_total {}\n\
         # HELP chatseal_keyring_reload_failures_total Changes that did not load (old keys kept).\n\
         # TYPE chatseal_keyring_reload_failures_total counter\n\
         chatseal_keyring_reload_failures_total {}\n",
        get(&m.minted),
        get(&m.refused),
        get(&m.unauthorized),
        get(&m.jwks),
        get(&m.not_modified),
        get(&m.reloads),
        get(&m.reload_failures),
    );
    let mut r = Response::new(Full::new(Bytes::from(text)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}
