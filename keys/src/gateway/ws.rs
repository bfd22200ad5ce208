//! WebSocket upgrades: the handshake goes to the upstream (without the
//! `bearer.<jwt>` protocol), then bytes are copied both ways. The gateway
//! reads only the frame headers of the upstream's stream, so that when the
//! token expires it can close the widget's socket between two frames with
//! code 4001 (`token expired`) and the widget reconnects with a fresh token.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chatseal::ExtractedCredentials;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::upgrade::OnUpgrade;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::proxy::{add_cors, empty, json_response, Body, BoxError};
use super::{log, Shared};

/// The close code and reason sent when the token expires.
pub(super) const EXPIRED_CLOSE_CODE: u16 = 4001;
const EXPIRED_REASON: &[u8] = b"token expired";
/// How long a frame in progress at expiry may take to finish before the
/// socket is cut without a close frame.
const FRAME_GRACE: Duration = Duration::from_secs(5);

#[allow(clippy::too_many_arguments)]
pub(super) async fn proxy(
    shared: &Shared,
    tenant_id: &str,
    uri: Uri,
    mut headers: HeaderMap,
    found: &ExtractedCredentials,
    on_upgrade: OnUpgrade,
    expires_at: Option<i64>,
    origin: Option<String>,
) -> Response<Body> {
    let fail = |status, code: &str, message: &str| {
        json_response(
            status,
            &chatseal::serde_json::json!({"error": code, "message": message}),
        )
    };
    let config = shared.config.load_full();
    let authority = config.upstream.authority.clone();
    let timeout = config.upstream_timeout;
    let connected = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(&authority)).await;
    let stream = match connected {
        Ok(Ok(s)) => s,
        _ => {
            shared
                .metrics
                .upstream_errors
                .fetch_add(1, Ordering::Relaxed);
            return fail(
                StatusCode::BAD_GATEWAY,
                "upstream_unavailable",
                "the chat backend did not answer",
            );
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) =
        match hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(stream)).await {
            Ok(x) => x,
            Err(_) => {
                return fail(
                    StatusCode::BAD_GATEWAY,
                    "upstream_unavailable",
                    "the chat backend did not answer",
                )
            }
        };
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if !found.other_protocols().is_empty() {
        if let Ok(v) = HeaderValue::from_str(&found.other_protocols().join(", ")) {
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, v);
        }
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let mut req = Request::new(empty());
    *req.uri_mut() = match path.parse() {
        Ok(u) => u,
        Err(_) => return fail(StatusCode::BAD_REQUEST, "invalid_request", "bad path"),
    };
    *req.headers_mut() = headers;
    let mut resp = match tokio::time::timeout(timeout, sender.send_request(req)).await {
        Ok(Ok(r)) => r,
        _ => {
            shared
                .metrics
                .upstream_errors
                .fetch_add(1, Ordering::Relaxed);
            return fail(
                StatusCode::BAD_GATEWAY,
                "upstream_unavailable",
                "the chat backend did not complete the WebSocket handshake",
            );
        }
    };
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        // The upstream said no: its answer goes back as it is.
        let (mut p, b) = resp.into_parts();
        add_cors(&mut p.headers, origin.as_deref());
        return Response::from_parts(p, b.map_err(|e| Box::new(e) as BoxError).boxed_unsync());
    }
    let upstream_upgrade = hyper::upgrade::on(&mut resp);
    let mut answer = Response::new(empty());
    *answer.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    for name in [
        header::UPGRADE,
        header::CONNECTION,
        header::SEC_WEBSOCKET_ACCEPT,
        header::SEC_WEBSOCKET_EXTENSIONS,
        header::SEC_WEBSOCKET_PROTOCOL,
    ] {
        if let Some(v) = resp.headers().get(&name) {
            answer.headers_mut().insert(name, v.clone());
        }
    }
    if !answer
        .headers()
        .contains_key(header::SEC_WEBSOCKET_PROTOCOL)
    {
        // A browser fails a handshake that names none of the protocols it
        // offered: answer with the one it used for its token.
        if let Some(v) = found
            .bearer_protocol()
            .and_then(|p| HeaderValue::from_str(p.expose_secret()).ok())
        {
            answer
                .headers_mut()
                .insert(header::SEC_WEBSOCKET_PROTOCOL, v);
        }
    }
    add_cors(answer.headers_mut(), origin.as_deref());
    let deadline = expires_at.map(|exp| {
        let now = chrono::Utc::now().timestamp();
        Duration::from_secs(u64::try_from(exp.saturating_sub(now)).unwrap_or(0))
    });
    let tenant = tenant_id.to_owned();
    let closed_at_expiry = shared_counter(shared);
    tokio::spawn(async move {
        let (Ok(client), Ok(upstream)) = (on_upgrade.await, upstream_upgrade.await) else {
            return;
        };
        let (client_r, client_w) = tokio::io::split(TokioIo::new(client));
        let (upstream_r, upstream_w) = tokio::io::split(TokioIo::new(upstream));
        let mut up = tokio::spawn(copy_up(client_r, upstream_w));
        let down = pump_down(upstream_r, client_w, deadline);
        tokio::select! {
            closed = down => {
                if closed {
                    closed_at_expiry.fetch_add(1, Ordering::Relaxed);
                    log("info", "websocket_expired", &[("tenant", tenant.as_str()), ("code", "4001")]);
                }
            }
            _ = &mut up => {}
        }
        up.abort();
    });
    answer
}

fn shared_counter(shared: &Shared) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
    // The metrics live as long as the gateway; the task holds a handle of
    // its own so that it does not borrow `shared`.
    shared.metrics.ws_expiry_counter()
}

async fn copy_up<R, W>(mut from: R, mut to: W)
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let _ = tokio::io::copy(&mut from, &mut to).await;
    let _ = to.shutdown().await;
}

/// Where the upstream's byte stream stands in its frames.
#[derive(Debug, Default)]
pub(super) struct Frames {
    header: Vec<u8>,
    payload_left: u64,
}

impl Frames {
    /// Whether the stream is between two frames.
    pub(super) fn at_boundary(&self) -> bool {
        self.header.is_empty() && self.payload_left == 0
    }

    /// Accounts for `data`; with `stop_at_boundary`, stops at the first
    /// frame boundary. Returns how many bytes were accounted for.
    pub(super) fn advance(&mut self, data: &[u8], stop_at_boundary: bool) -> usize {
        let mut i = 0;
        while i < data.len() {
            if stop_at_boundary && self.at_boundary() {
                return i;
            }
            if self.payload_left > 0 {
                let n = usize::try_from(self.payload_left)
                    .unwrap_or(usize::MAX)
                    .min(data.len() - i);
                self.payload_left -= n as u64;
                i += n;
                continue;
            }
            self.header.push(data[i]);
            i += 1;
            if let Some(len) = Self::parse(&self.header) {
                self.header.clear();
                self.payload_left = len;
            }
        }
        i
    }

    /// The payload length once `h` is a whole frame header.
    fn parse(h: &[u8]) -> Option<u64> {
        if h.len() < 2 {
            return None;
        }
        let masked = h[1] & 0x80 != 0;
        let (ext, len7) = match h[1] & 0x7f {
            126 => (2, None),
            127 => (8, None),
            n => (0, Some(u64::from(n))),
        };
        let need = 2 + ext + if masked { 4 } else { 0 };
        if h.len() < need {
            return None;
        }
        Some(match len7 {
            Some(n) => n,
            None => h[2..2 + ext]
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
        })
    }
}

/// The close frame sent at expiry (server to client: unmasked).
pub(super) fn expiry_close_frame() -> Vec<u8> {
    let mut f = vec![0x88, (2 + EXPIRED_REASON.len()) as u8];
    f.extend_from_slice(&EXPIRED_CLOSE_CODE.to_be_bytes());
    f.extend_from_slice(EXPIRED_REASON);
    f
}

/// Copies the upstream's frames to the client until either side ends, or
/// until `deadline`; then, between two frames, sends the close frame.
/// Returns whether it closed at expiry.
async fn pump_down<R, W>(mut from: R, mut to: W, deadline: Option<Duration>) -> bool
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut frames = Frames::default();
    let mut buf = vec![0u8; 16 * 1024];
    let expiry = deadline.map(|d| tokio::time::Instant::now() + d);
    let mut expired = false;
    loop {
        if expired && frames.at_boundary() {
            let _ = to.write_all(&expiry_close_frame()).await;
            let _ = to.flush().await;
            let _ = to.shutdown().await;
            return true;
        }
        let sleep_until = match (expiry, expired) {
            (Some(at), false) => at,
            (Some(at), true) => at + FRAME_GRACE,
            (None, _) => tokio::time::Instant::now() + Duration::from_secs(86_400 * 365),
        };
        tokio::select! {
            r = from.read(&mut buf) => {
                let n = match r {
                    Ok(0) | Err(_) => {
                        let _ = to.shutdown().await;
                        return false;
                    }
                    Ok(n) => n,
                };
                let take = frames.advance(&buf[..n], expired);
                if to.write_all(&buf[..take]).await.is_err() {
                    return false;
                }
                // Bytes after the boundary at expiry are not delivered: the
                // socket closes next.
            }
            _ = tokio::time::sleep_until(sleep_until) => {
                if expired {
                    // A frame in progress did not finish: cut.
                    let _ = to.shutdown().await;
                    return false;
                }
                expired = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_boundaries_are_tracked_across_reads() {
        // Two unmasked frames: "hi" and a 300-byte one (16-bit length).
        let mut stream = vec![0x81, 0x02, b'h', b'i', 0x82, 126, 0x01, 0x2c];
        stream.extend(std::iter::repeat_n(7u8, 300));
        let mut f = Frames::default();
        assert_eq!(f.advance(&stream[..3], false), 3);
        assert!(!f.at_boundary());
        assert_eq!(
            f.advance(&stream[3..5], true),
            1,
            "stops after the first frame"
        );
        assert!(f.at_boundary());
        assert_eq!(f.advance(&stream[4..100], false), 96);
        assert!(!f.at_boundary());
        assert_eq!(f.advance(&stream[100..], true), stream.len() - 100);
        assert!(f.at_boundary());
        // A masked frame with a 64-bit length header split over reads.
        let mut g = Frames::default();
        let hdr = [0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4];
        assert_eq!(g.advance(&hdr[..5], false), 5);
        assert_eq!(g.advance(&hdr[5..], false), 9);
        assert!(!g.at_boundary());
        assert_eq!(g.advance(&[9, 9, 9, 0x81], true), 3);
        assert_eq!(
            expiry_close_frame(),
            [&[0x88, 15, 0x0f, 0xa1][..], b"token expired"].concat()
        );
    }
}
