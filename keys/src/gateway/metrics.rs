//! The gateway's counters, written as Prometheus text on `/metrics`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Upper bounds of the verification latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];

#[derive(Default)]
pub(super) struct Metrics {
    /// (tenant, outcome, code) -> count. Unknown tenants share one label so
    /// that a scan of random ids cannot grow the map.
    requests: Mutex<HashMap<(String, &'static str, &'static str), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    verify_count: AtomicU64,
    verify_nanos: AtomicU64,
    pub(super) reloads: AtomicU64,
    pub(super) reload_failures: AtomicU64,
    pub(super) connections_open: AtomicU64,
    pub(super) connections_refused: AtomicU64,
    pub(super) upstream_errors: AtomicU64,
    websockets_closed_at_expiry: Arc<AtomicU64>,
}

impl Metrics {
    pub(super) fn request(&self, tenant: &str, outcome: &'static str, code: &'static str) {
        let mut m = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry((tenant.to_owned(), outcome, code)).or_insert(0) += 1;
    }

    /// The counter of WebSockets closed at expiry, for the copying tasks.
    pub(super) fn ws_expiry_counter(&self) -> Arc<AtomicU64> {
        self.websockets_closed_at_expiry.clone()
    }

    pub(super) fn verified_in(&self, d: Duration) {
        let s = d.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.verify_count.fetch_add(1, Ordering::Relaxed);
        self.verify_nanos
            .fetch_add(d.as_nanos().min(u64::MAX as u128) as u64, Ordering::Relaxed);
    }

    pub(super) fn render(
        &self,
        cache: (u64, u64),
        cache_entries: usize,
        tenants: usize,
        jwks_fetches: u64,
    ) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        out.push_str(
            "# HELP chatseal_gateway_requests_total Requests by tenant, outcome and refusal code.\n\
             # TYPE chatseal_gateway_requests_total counter\n",
        );
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let mut rows: Vec<_> = requests.iter().collect();
        rows.sort();
        for ((tenant, outcome, code), n) in rows {
            let _ = writeln!(
                out,
                "chatseal_gateway_requests_total{{tenant=\"{}\",outcome=\"{outcome}\",code=\"{code}\"}} {n}",
                label(tenant)
            );
        }
        drop(requests);
        out.push_str(
            "# HELP chatseal_gateway_verify_seconds Time to authenticate a request (cache hits included).\n\
             # TYPE chatseal_gateway_verify_seconds histogram\n",
        );
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "chatseal_gateway_verify_seconds_bucket{{le=\"{b}\"}} {}",
                get(&self.buckets[i])
            );
        }
        let count = get(&self.verify_count);
        let _ = writeln!(
            out,
            "chatseal_gateway_verify_seconds_bucket{{le=\"+Inf\"}} {count}\n\
             chatseal_gateway_verify_seconds_sum {}\n\
             chatseal_gateway_verify_seconds_count {count}",
            get(&self.verify_nanos) as f64 / 1e9
        );
        for (name, help, kind, v) in [
            (
                "cache_hits_total",
                "Tokens answered from the verified-token cache.",
                "counter",
                cache.0,
            ),
            (
                "cache_misses_total",
                "Tokens verified in full.",
                "counter",
                cache.1,
            ),
            (
                "cache_entries",
                "Entries in the verified-token cache.",
                "gauge",
                cache_entries as u64,
            ),
            ("tenants", "Tenants loaded.", "gauge", tenants as u64),
            (
                "jwks_fetches",
                "Remote key set fetches by the tenants now loaded (a reloaded tenant starts again).",
                "gauge",
                jwks_fetches,
            ),
            (
                "reloads_total",
                "Tenant documents or keyrings reloaded.",
                "counter",
                get(&self.reloads),
            ),
            (
                "reload_failures_total",
                "Changed tenant files that did not load (the old version kept).",
                "counter",
                get(&self.reload_failures),
            ),
            (
                "connections_open",
                "Client connections open.",
                "gauge",
                get(&self.connections_open),
            ),
            (
                "connections_refused_total",
                "Connections refused over max_connections.",
                "counter",
                get(&self.connections_refused),
            ),
            (
                "upstream_errors_total",
                "Requests the upstream failed (502/504).",
                "counter",
                get(&self.upstream_errors),
            ),
            (
                "websockets_closed_at_expiry_total",
                "WebSockets closed because their token expired (4001).",
                "counter",
                self.websockets_closed_at_expiry.load(Ordering::Relaxed),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP chatseal_gateway_{name} {help}\n# TYPE chatseal_gateway_{name} {kind}\nchatseal_gateway_{name} {v}"
            );
        }
        out
    }
}

/// A label value: tenant ids are `[A-Za-z0-9._-]`, but escape anyway.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
