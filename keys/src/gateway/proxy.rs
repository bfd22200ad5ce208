//! One request: route, authenticate (core), answer a refusal or pass the
//! request to the upstream with the identity headers, streaming both ways.

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;

use chatseal::serde_json::{self, json, Value};
use chatseal::{
    authenticate_cached, extract_credentials, identity_headers, is_credential_parameter,
    is_stripped_header, refusal_status, unknown_tenant, www_authenticate, Authenticated, Error,
    CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_MAX_AGE,
};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};

use super::{log, Shared};

/// An error of a streamed body.
pub(super) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body type of both directions.
pub(super) type Body = UnsyncBoxBody<Bytes, BoxError>;

pub(super) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub(super) fn empty() -> Body {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub(super) fn json_response(status: StatusCode, v: &Value) -> Response<Body> {
    let mut r = Response::new(full(serde_json::to_vec(v).unwrap_or_default()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A refusal: the status and `WWW-Authenticate` core chose, and
/// `{"error": code, "message": …}`.
fn refusal(e: &Error) -> Response<Body> {
    let status = StatusCode::from_u16(refusal_status(e)).unwrap_or(StatusCode::FORBIDDEN);
    let mut r = json_response(status, &json!({"error": e.code(), "message": e.message()}));
    if let Some(v) = www_authenticate(e).and_then(|v| HeaderValue::from_str(&v).ok()) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json_response(status, &json!({"error": code, "message": message}))
}

/// The hop-by-hop headers (RFC 9110 §7.6.1), never passed on.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn is_hop_by_hop(name: &HeaderName, listed: &[String]) -> bool {
    HOP_BY_HOP.contains(&name.as_str()) || listed.iter().any(|l| l == name.as_str())
}

/// Header names listed in `Connection` (also hop-by-hop).
fn connection_listed(h: &HeaderMap) -> Vec<String> {
    h.get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Splits `/t/{tenant}/rest` into the tenant and `/rest`.
fn route(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/t/")?;
    match rest.find('/') {
        Some(i) => Some((&rest[..i], &rest[i..])),
        None => Some((rest, "/")),
    }
}

/// The query without the credential parameters.
fn upstream_query(q: &str) -> String {
    q.split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| !is_credential_parameter(p.split_once('=').map_or(*p, |(k, _)| k)))
        .collect::<Vec<_>>()
        .join("&")
}

fn is_websocket(req: &Request<Incoming>) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The `jti` of a refused token, for the log: decoded without trust,
/// bounded and cleaned. Never the token.
fn jti_of(token: Option<&str>) -> String {
    token
        .and_then(|t| chatseal::dangerous::insecure_decode(t).ok())
        .and_then(|(_, c)| c.get("jti").and_then(Value::as_str).map(str::to_owned))
        .map(|j| {
            j.chars()
                .filter(|c| !c.is_control())
                .take(64)
                .collect::<String>()
        })
        .unwrap_or_default()
}

pub(super) async fn handle(
    shared: &Shared,
    req: Request<Incoming>,
    peer: Option<IpAddr>,
) -> Response<Body> {
    let path = req.uri().path().to_owned();
    match (req.method(), path.as_str()) {
        (&Method::GET, "/healthz") => {
            return json_response(StatusCode::OK, &json!({"status": "ok"}));
        }
        (&Method::GET, "/readyz") => {
            // Ready: every tenant document loaded, and every tenant's remote
            // key sets fetched once.
            let t = shared.tenants.load();
            let mut failed: Vec<&str> = t.failed.keys().map(String::as_str).collect();
            failed.sort_unstable();
            let mut keys_pending: Vec<&str> = t
                .by_id
                .values()
                .filter(|x| !x.keys_loaded.load(std::sync::atomic::Ordering::Acquire))
                .map(|x| x.source.id.as_str())
                .collect();
            keys_pending.sort_unstable();
            let ready = failed.is_empty() && keys_pending.is_empty();
            let status = if ready {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            return json_response(
                status,
                &json!({"ready": ready, "tenants": t.by_id.len(), "failed": failed,
                    "keys_pending": keys_pending}),
            );
        }
        (&Method::GET, "/metrics") => {
            let tenants = shared.tenants.load();
            let jwks_fetches = tenants
                .by_id
                .values()
                .map(|t| t.verifier.jwks_fetches())
                .sum();
            let text = shared.metrics.render(
                shared.cache.stats(),
                shared.cache.len(),
                tenants.by_id.len(),
                jwks_fetches,
            );
            let mut r = Response::new(full(text));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            return r;
        }
        _ => {}
    }
    let Some((tenant_id, rest)) = route(&path) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such endpoint: requests go to /t/{tenant}/…; GET /healthz, /readyz, /metrics",
        );
    };
    let tenants = shared.tenants.load();
    let Some(tenant) = tenants.by_id.get(tenant_id).cloned() else {
        shared.metrics.request(
            "(unknown)",
            "refused",
            chatseal::rules::NO_PROVIDERS_CONFIGURED,
        );
        return refusal(&unknown_tenant(tenant_id));
    };
    drop(tenants);
    // Every answer to an origin the tenant allows carries the CORS grant,
    // refusals included: a browser hides an answer without it, and the
    // widget could not see the 401 that tells it to get a fresh token.
    let cors = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| tenant.verifier.cors_grant(o).is_ok())
        .map(str::to_owned);
    let rest = rest.to_owned();
    let mut r = for_tenant(shared, req, peer, &tenant, &rest).await;
    if cors.is_some()
        && !r
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    {
        add_cors(r.headers_mut(), cors.as_deref());
    }
    if cors.is_some() && r.headers().contains_key(header::WWW_AUTHENTICATE) {
        r.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("WWW-Authenticate"),
        );
    }
    r
}

/// A request for a known tenant: credentials, preflight, authentication,
/// then the upstream.
async fn for_tenant(
    shared: &Shared,
    mut req: Request<Incoming>,
    peer: Option<IpAddr>,
    tenant: &super::tenants::Tenant,
    rest: &str,
) -> Response<Body> {
    let tenant_id = tenant.source.id.as_str();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()));
    let found = match extract_credentials(headers, req.uri().query()) {
        Ok(f) => f,
        Err(e) => return refused(shared, tenant_id, &e, None),
    };

    // A CORS preflight carries no credentials: only the origin decides.
    if req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        if let Some(origin) = found.origin() {
            return match tenant.verifier.cors_grant(origin) {
                Ok(grant) => {
                    shared.metrics.request(tenant_id, "preflight", "ok");
                    let mut r = Response::new(empty());
                    *r.status_mut() = StatusCode::NO_CONTENT;
                    let h = r.headers_mut();
                    if let Ok(v) = HeaderValue::from_str(&grant) {
                        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
                    }
                    h.insert(header::VARY, HeaderValue::from_static("Origin"));
                    h.insert(
                        header::ACCESS_CONTROL_ALLOW_METHODS,
                        HeaderValue::from_static(CORS_ALLOW_METHODS),
                    );
                    h.insert(
                        header::ACCESS_CONTROL_ALLOW_HEADERS,
                        HeaderValue::from_static(CORS_ALLOW_HEADERS),
                    );
                    h.insert(
                        header::ACCESS_CONTROL_MAX_AGE,
                        HeaderValue::from(CORS_MAX_AGE),
                    );
                    r
                }
                Err(e) => refused(shared, tenant_id, &e, None),
            };
        }
    }

    let started = Instant::now();
    let token = found.credentials().bearer_token;
    let authenticate = || {
        authenticate_cached(
            &found.credentials(),
            &tenant.api_keys,
            &tenant.verifier,
            &shared.cache,
        )
    };
    // A token not accepted lately may block: a full verification, or a
    // fetch of the tenant's remote key set (up to its timeout, with the
    // other requests needing that key set waiting for it). That runs in
    // block_in_place, so that the runtime's workers keep serving the other
    // requests meanwhile; the repeat path stays on the worker.
    let seen = token.map(|t| recent::Seen::of(&tenant.verifier, t));
    let auth = match &seen {
        Some(s) if !s.lately => tokio::task::block_in_place(authenticate),
        _ => authenticate(),
    };
    if let (Ok(Authenticated::User(_)), Some(s)) = (&auth, &seen) {
        s.remember();
    }
    shared.metrics.verified_in(started.elapsed());
    let auth = match auth {
        Ok(a) => a,
        Err(e) => return refused(shared, tenant_id, &e, found.credentials().bearer_token),
    };
    shared.metrics.request(
        tenant_id,
        "accepted",
        match auth {
            Authenticated::ApiKey => "api_key",
            Authenticated::User(_) => "token",
            Authenticated::Anonymous => "anonymous",
        },
    );
    let origin_grant = found.origin().map(str::to_owned);
    let expires_at = match &auth {
        Authenticated::User(id) => id.claims().get("exp").and_then(Value::as_i64),
        _ => None,
    };
    let identity = identity_headers(tenant_id, &auth, tenant.source.forward_sso_token);
    drop(auth);

    let config = shared.config.load_full();
    let pq = match req.uri().query().map(upstream_query) {
        Some(q) if !q.is_empty() => format!("{rest}?{q}"),
        _ => rest.to_owned(),
    };
    let uri: Uri = match format!("http://{}{pq}", config.upstream.authority).parse() {
        Ok(u) => u,
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the request path is not valid",
            )
        }
    };
    let on_upgrade = is_websocket(&req).then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    let listed = connection_listed(&parts.headers);
    let mut out = HeaderMap::with_capacity(parts.headers.len() + identity.len() + 2);
    for (k, v) in parts.headers.iter() {
        if is_hop_by_hop(k, &listed)
            || is_stripped_header(k.as_str())
            || k == header::HOST
            || k == header::SEC_WEBSOCKET_PROTOCOL
        {
            continue;
        }
        out.append(k.clone(), v.clone());
    }
    for (name, value) in &identity {
        // Core made every value a valid header value.
        if let Ok(v) = HeaderValue::from_str(value.expose_secret()) {
            out.insert(HeaderName::from_static(name), v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&config.upstream.authority) {
        out.insert(header::HOST, v);
    }
    if let Some(ip) = peer {
        let prev = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let forwarded_for = match prev {
            Some(prev) => format!("{prev}, {ip}"),
            None => ip.to_string(),
        };
        if let Ok(v) = HeaderValue::from_str(&forwarded_for) {
            out.insert(HeaderName::from_static("x-forwarded-for"), v);
        }
    }

    if let Some(on_upgrade) = on_upgrade {
        return super::ws::proxy(
            shared,
            tenant_id,
            uri,
            out,
            &found,
            on_upgrade,
            expires_at,
            origin_grant,
        )
        .await;
    }

    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > config.max_body_bytes) {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the request body is larger than the gateway's max_body_bytes",
        );
    }
    let mut up = Request::from_parts(
        parts,
        Limited::new(body, config.max_body_bytes as usize).boxed_unsync(),
    );
    *up.uri_mut() = uri;
    *up.headers_mut() = out;
    *up.version_mut() = hyper::Version::HTTP_11;
    let answer = tokio::time::timeout(config.upstream_timeout, shared.client.request(up)).await;
    let resp = match answer {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            shared
                .metrics
                .upstream_errors
                .fetch_add(1, Ordering::Relaxed);
            log(
                "warn",
                "upstream_failed",
                &[("tenant", tenant_id), ("message", e.to_string().as_str())],
            );
            return error(
                StatusCode::BAD_GATEWAY,
                "upstream_unavailable",
                "the chat backend did not answer",
            );
        }
        Err(_) => {
            shared
                .metrics
                .upstream_errors
                .fetch_add(1, Ordering::Relaxed);
            return error(
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_timeout",
                "the chat backend did not answer in time",
            );
        }
    };
    let (mut rp, rbody) = resp.into_parts();
    let listed = connection_listed(&rp.headers);
    let names: Vec<HeaderName> = rp
        .headers
        .keys()
        .filter(|k| is_hop_by_hop(k, &listed))
        .cloned()
        .collect();
    for n in names {
        rp.headers.remove(n);
    }
    add_cors(&mut rp.headers, origin_grant.as_deref());
    Response::from_parts(
        rp,
        rbody.map_err(|e| Box::new(e) as BoxError).boxed_unsync(),
    )
}

/// Tokens accepted lately by a tenant's verifier, as 64-bit fingerprints
/// (SipHash with a random key) in a direct-mapped table: only a hint of which requests will be
/// answered by the verified-token cache, never a decision (core decides
/// every request). A wrong hint costs time only: a hit run through
/// block_in_place, or a miss run on a worker.
mod recent {
    use std::hash::BuildHasher as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    const SLOTS: usize = 16384;
    static TABLE: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];
    static KEY: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();

    /// A token's slot and fingerprint, and whether it was accepted lately.
    pub(super) struct Seen {
        slot: usize,
        fingerprint: u64,
        pub(super) lately: bool,
    }

    impl Seen {
        /// `verifier` by its address: a rebuilt tenant (whose remote key
        /// set may not be fetched yet) does not inherit the hints of the
        /// one it replaced.
        pub(super) fn of(verifier: &chatseal::TenantVerifier, token: &str) -> Self {
            let instance = std::ptr::from_ref(verifier) as usize;
            let fingerprint = KEY
                .get_or_init(Default::default)
                .hash_one((instance, token))
                | 1;
            let slot = fingerprint as usize % SLOTS;
            let lately = TABLE[slot].load(Ordering::Relaxed) == fingerprint;
            Self {
                slot,
                fingerprint,
                lately,
            }
        }

        pub(super) fn remember(&self) {
            if !self.lately {
                TABLE[self.slot].store(self.fingerprint, Ordering::Relaxed);
            }
        }
    }
}

/// `Access-Control-Allow-Origin` for an accepted request from a browser
/// (its origin passed the tenant's `allowedOrigins`).
pub(super) fn add_cors(h: &mut HeaderMap, origin: Option<&str>) {
    if let Some(v) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

fn refused(shared: &Shared, tenant: &str, e: &Error, token: Option<&str>) -> Response<Body> {
    shared.metrics.request(tenant, "refused", e.code());
    let jti = jti_of(token);
    let status = refusal_status(e).to_string();
    log(
        "info",
        "refused",
        &[
            ("tenant", tenant),
            ("code", e.code()),
            ("status", status.as_str()),
            ("jti", jti.as_str()),
            ("message", e.message()),
        ],
    );
    refusal(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_queries() {
        assert_eq!(route("/t/acme/chat/x"), Some(("acme", "/chat/x")));
        assert_eq!(route("/t/acme"), Some(("acme", "/")));
        assert_eq!(route("/t/acme/"), Some(("acme", "/")));
        assert_eq!(route("/x/acme"), None);
        assert_eq!(
            upstream_query("a=1&access_token=t&participantId=u&apikey=k"),
            "a=1&participantId=u"
        );
        assert_eq!(jti_of(Some("not a token")), "");
    }
}
