//! `chatseal gateway`: the platform side as a reverse proxy in front of any
//! chat backend. Each request to `/t/{tenant}/…` is authenticated by core
//! (`extract_credentials`, `authenticate_cached`: origin, API key, token,
//! tenant policy), refused with RFC 6750 answers or passed to the upstream
//! with the identity headers. The HTTP code here only translates.
//!
//! TLS (rustls on aws-lc-rs) when `tls_cert`/`tls_key` are set; a
//! non-loopback `listen` needs it and `allow_public`.
//!
//! Bounds: TLS handshakes and request heads read within `header_timeout_ms` and at most
//! `max_header_bytes`; bodies streamed and cut at `max_body_bytes`; the
//! upstream's answer awaited `upstream_timeout_ms`; at most
//! `max_connections` connections, the excess answered 503 and closed.
//! Tenant documents, keyrings and API key hashes are polled every
//! `watch_interval_ms`; SIGHUP rereads the configuration file; SIGTERM or
//! SIGINT stops accepting and drains open requests.

mod metrics;
mod proxy;
mod tenants;
mod ws;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use chatseal::VerifiedCache;
use chatseal_keys::gateway_config::GatewayConfig;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt as _;

use crate::cli::GatewayArgs;
use crate::error::{usage, CliResult};
use crate::listen::{Bind, Listener, Stream};
use crate::run::read_file;
use tokio_rustls::rustls::ServerConfig;

use metrics::Metrics;
use proxy::Body;
use tenants::Tenants;

/// Everything a request needs, shared by all connections.
struct Shared {
    config_path: PathBuf,
    /// The TLS configuration, replaced on SIGHUP (certificate renewal).
    tls: ArcSwap<Option<Arc<ServerConfig>>>,
    config: ArcSwap<GatewayConfig>,
    tenants: ArcSwap<Tenants>,
    cache: VerifiedCache,
    client: Client<HttpConnector, Body>,
    metrics: Metrics,
}

/// One JSON log line on stderr. Values are data (tenant ids, codes,
/// messages that core wrote without secrets), never a token.
pub(super) fn log(level: &str, event: &str, fields: &[(&str, &str)]) {
    let mut m = chatseal::serde_json::Map::new();
    m.insert("ts".into(), chrono::Utc::now().to_rfc3339().into());
    m.insert("level".into(), level.into());
    m.insert("event".into(), event.into());
    for (k, v) in fields {
        m.insert((*k).into(), (*v).into());
    }
    let line = chatseal::serde_json::Value::Object(m).to_string();
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn load_tls(config: &GatewayConfig) -> CliResult<Option<Arc<ServerConfig>>> {
    config
        .tls
        .as_ref()
        .map(|(cert, key)| crate::listen::tls_config(cert, key))
        .transpose()
}

fn load_config(path: &Path) -> CliResult<GatewayConfig> {
    let text = read_file(path, "the gateway configuration")?;
    let base = path.parent().unwrap_or(Path::new("."));
    GatewayConfig::from_toml(&text, base)
        .map_err(|e| usage(format!("{}: {}", path.display(), e.message())))
}

/// Runs the gateway until SIGTERM/SIGINT.
pub(crate) fn gateway(a: GatewayArgs) -> CliResult {
    let config = load_config(&a.config)?;
    let tls = load_tls(&config)?;
    let sources = tenants::sources(&config)?;
    let (first, _, _) = tenants::refresh(&Tenants::default(), &sources, true);

    // A [[tenant]] that does not load is a configuration error at start;
    // tenants_dir documents that do not load are logged and left out.
    for t in &config.tenants {
        if !first.by_id.contains_key(&t.id) {
            return Err(usage(format!(
                "tenant `{}` did not load (see the log line above)",
                t.id
            )));
        }
    }
    let client = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(std::time::Duration::from_secs(30))
        .pool_timer(TokioTimer::new())
        .build(HttpConnector::new());
    let shared = Arc::new(Shared {
        config_path: a.config.clone(),
        tls: ArcSwap::from_pointee(tls),
        cache: VerifiedCache::new(config.cache_entries, config.cache_bytes),
        config: ArcSwap::from_pointee(config),
        tenants: ArcSwap::from_pointee(first),
        client,
        metrics: Metrics::default(),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(format!("cannot start the runtime: {e}")))?;
    rt.block_on(run(shared))
}

async fn run(shared: Arc<Shared>) -> CliResult {
    let config = shared.config.load_full();
    let listener = Listener::bind(&Bind::Tcp(config.listen)).await?;
    let local = listener.describe(shared.tls.load().is_some());
    // The one line scripts wait for.
    println!("chatseal gateway: listening on {local}");
    log(
        "info",
        "listening",
        &[
            ("address", local.as_str()),
            ("upstream", config.upstream.authority.as_str()),
            (
                "tenants",
                shared.tenants.load().by_id.len().to_string().as_str(),
            ),
        ],
    );
    // Remote key sets are fetched at once, off the request threads; one that
    // cannot be had leaves the gateway not ready (/readyz 503) and is tried
    // again on every poll (within the key set's own retry cooldown), not a
    // reason to refuse to start.
    let s = shared.clone();
    tokio::task::spawn_blocking(move || {
        for t in s.tenants.load().by_id.values() {
            t.load_keys();
        }
    });
    tokio::spawn(watch(shared.clone()));
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections));
    // Shutdown: `stop` tells every connection to finish its request and
    // close; each connection task holds a clone of `alive`, so `drained`
    // ends when the last one is gone.
    let (stop, _) = tokio::sync::watch::channel(false);
    let (alive, mut drained) = tokio::sync::mpsc::channel::<()>(1);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| usage(format!("cannot watch SIGTERM: {e}")))?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| usage(format!("cannot watch SIGHUP: {e}")))?;
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    log("warn", "accept_failed", &[("message", e.to_string().as_str())]);
                    // EMFILE and the like: do not spin.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = hup.recv() => {
                let s = shared.clone();
                tokio::task::spawn_blocking(move || reload_config(&s));
                continue;
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            shared
                .metrics
                .connections_refused
                .fetch_add(1, Ordering::Relaxed);
            let tls = shared.tls.load().is_some();
            tokio::spawn(refuse_connection(stream, tls));
            continue;
        };
        let config = shared.config.load_full();
        let tls = shared.tls.load_full();
        let s = shared.clone();
        let mut stopping = stop.subscribe();
        let alive = alive.clone();
        s.metrics.connections_open.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            // The TLS handshake is bounded like a request head.
            let handshake =
                tokio::time::timeout(config.header_timeout, stream.handshake((*tls).as_ref()));
            if let Ok(Ok(stream)) = handshake.await {
                let s2 = s.clone();
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(config.header_timeout)
                    .max_buf_size(config.max_header_bytes)
                    .keep_alive(true)
                    .serve_connection(
                        TokioIo::new(stream),
                        hyper::service::service_fn(move |req| {
                            let s = s2.clone();
                            async move {
                                Ok::<_, std::convert::Infallible>(
                                    proxy::handle(&s, req, peer).await,
                                )
                            }
                        }),
                    )
                    .with_upgrades();
                let mut conn = std::pin::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = stopping.changed() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    }
                }
            }
            s.metrics.connections_open.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
            drop(alive);
        });
    }
    drop(listener);
    log(
        "info",
        "stopping",
        &[("message", "letting open requests finish")],
    );
    let drain = shared.config.load().drain_timeout;
    let _ = stop.send(true);
    drop(alive);
    if tokio::time::timeout(drain, drained.recv()).await.is_err() {
        log(
            "warn",
            "drain_timeout",
            &[("message", "some connections did not finish in time")],
        );
    }
    log("info", "stopped", &[]);
    Ok(())
}

/// A connection over `max_connections`: a 503 with a JSON error, then
/// closed, within a second (over TLS: closed, since answering would need a
/// handshake, which is the work the limit refuses).
async fn refuse_connection(mut stream: Stream, tls: bool) {
    if tls {
        return;
    }
    let body = r#"{"error":"too_many_connections","message":"the gateway is at max_connections; retry later"}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// SIGHUP: reread the configuration file and rebuild every tenant. A file
/// that does not parse keeps the running configuration. `listen` and the
/// connection limits take effect at the next start.
fn reload_config(shared: &Shared) {
    let fresh = match load_config(&shared.config_path) {
        Ok(c) => c,
        Err(e) => {
            shared
                .metrics
                .reload_failures
                .fetch_add(1, Ordering::Relaxed);
            log(
                "error",
                "config_reload_failed",
                &[
                    ("message", e.line().as_str()),
                    ("kept", "the running configuration"),
                ],
            );
            return;
        }
    };
    let old = shared.config.load_full();
    if fresh.listen != old.listen
        || fresh.max_connections != old.max_connections
        || fresh.tls.is_some() != old.tls.is_some()
    {
        log(
            "warn",
            "restart_needed",
            &[(
                "message",
                "listen, max_connections and turning TLS on or off take effect at the next \
                 start (a renewed certificate is loaded now)",
            )],
        );
    }
    match load_tls(&fresh) {
        Ok(t) => shared.tls.store(Arc::new(t)),
        Err(e) => log(
            "error",
            "tls_reload_failed",
            &[
                ("message", e.line().as_str()),
                ("kept", "the running certificate"),
            ],
        ),
    }
    shared.config.store(Arc::new(fresh));
    refresh_tenants(shared, true);
    log("info", "config_reloaded", &[]);
}

/// Brings the tenants in line with their files; flushes the cache when
/// anything changed.
fn refresh_tenants(shared: &Shared, force: bool) {
    let config = shared.config.load_full();
    let sources = match tenants::sources(&config) {
        Ok(s) => s,
        Err(e) => {
            log(
                "error",
                "tenants_dir_unreadable",
                &[("message", e.line().as_str())],
            );
            return;
        }
    };
    let old = shared.tenants.load_full();
    let (next, changed, failures) = tenants::refresh(&old, &sources, force);
    shared
        .metrics
        .reload_failures
        .fetch_add(failures, Ordering::Relaxed);
    if changed {
        shared.metrics.reloads.fetch_add(1, Ordering::Relaxed);
        shared.tenants.store(Arc::new(next));
        // Entries of replaced verifiers can no longer be hit (their keys
        // include the verifier's instance); free them at once.
        shared.cache.clear();
    } else if next.failed != old.failed || next.rejected != old.rejected {
        shared.tenants.store(Arc::new(next));
    }
    // Key sets are fetched after the swap, so that one tenant's slow key
    // endpoint does not hold back another tenant's new document.
    for t in shared.tenants.load().by_id.values() {
        t.load_keys();
    }
}

/// Polls the tenant files every `watch_interval`. The work is blocking file
/// I/O and key loading, so it runs off the request threads.
async fn watch(shared: Arc<Shared>) {
    static RUNNING: AtomicU64 = AtomicU64::new(0);
    loop {
        let every = shared.config.load().watch_interval;
        tokio::time::sleep(every).await;
        if RUNNING.swap(1, Ordering::AcqRel) == 1 {
            continue;
        }
        let s = shared.clone();
        let _ = tokio::task::spawn_blocking(move || refresh_tenants(&s, false)).await;
        RUNNING.store(0, Ordering::Release);
    }
}
