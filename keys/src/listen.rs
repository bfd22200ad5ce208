//! Where the services listen: a TCP address (plain, or TLS with rustls on
//! aws-lc-rs) or a Unix socket (mode 0600). The rules of what may be
//! exposed are checked here, before anything listens: a non-loopback
//! address needs `allow_public` and TLS.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

use crate::error::{usage, CliResult};

/// A parsed `--listen` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bind {
    /// `IP:PORT`.
    Tcp(SocketAddr),
    /// `unix:PATH`.
    Unix(PathBuf),
}

/// Parses `IP:PORT` or `unix:PATH`.
pub(crate) fn parse_bind(s: &str, flag: &str) -> CliResult<Bind> {
    if let Some(p) = s.strip_prefix("unix:") {
        if p.is_empty() {
            return Err(usage(format!(
                "{flag} unix: needs a path (unix:/run/chatseal.sock)"
            )));
        }
        return Ok(Bind::Unix(PathBuf::from(p)));
    }
    s.parse().map(Bind::Tcp).map_err(|_| {
        usage(format!(
            "{flag} `{s}` is neither IP:PORT (e.g. 127.0.0.1:8700) nor unix:PATH"
        ))
    })
}

/// The exposure rule: a non-loopback TCP address needs both `allow_public`
/// and TLS. `allow_public` means nothing on a loopback address, and neither
/// it nor TLS on a Unix socket: there they are refused, so that no setting
/// is silently ignored.
pub(crate) fn check_exposure(bind: &Bind, allow_public: bool, tls: bool) -> CliResult {
    let public_ok = allow_public && tls;
    let refusal = match bind {
        Bind::Tcp(a) if !(a.ip().is_loopback() || public_ok) => Some(format!(
            "--listen {a} is not a loopback address: give --allow-public and \
             --tls-cert/--tls-key to serve other hosts, or listen on 127.0.0.1, ::1 or \
             unix:PATH"
        )),
        Bind::Tcp(a) if a.ip().is_loopback() && allow_public => Some(format!(
            "--allow-public has no effect: {a} is a loopback address"
        )),
        Bind::Unix(_) if allow_public || tls => Some(
            "--allow-public and --tls-cert/--tls-key have no effect on a unix: socket (it is \
             local and its mode is 0600)"
                .to_owned(),
        ),
        _ => None,
    };
    refusal.map_or(Ok(()), |m| Err(usage(m)))
}

/// A rustls server configuration (TLS 1.2 and 1.3, aws-lc-rs) from a PEM
/// certificate chain and a PEM private key. The key file's bytes are wiped
/// after parsing.
pub(crate) fn tls_config(cert: &Path, key: &Path) -> CliResult<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect())
        .map_err(|e| usage(format!("--tls-cert `{}`: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(usage(format!(
            "--tls-cert `{}` holds no certificate",
            cert.display()
        )));
    }
    let pem = zeroize::Zeroizing::new(
        std::fs::read(key).map_err(|e| usage(format!("--tls-key `{}`: {e}", key.display())))?,
    );
    let key_der = PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
        usage(format!(
            "--tls-key `{}` holds no PEM private key (PKCS#8, PKCS#1 or SEC1)",
            key.display()
        ))
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| usage(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| usage(format!("--tls-cert/--tls-key do not make a pair: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A bound listener.
pub(crate) enum Listener {
    Tcp(TcpListener),
    /// The socket and its path, removed when the listener is dropped.
    Unix(UnixListener, PathBuf),
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Self::Unix(_, p) = self {
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Listener {
    /// Binds. A Unix socket is bound under a temporary name, made 0600,
    /// then renamed into place, so it is never reachable with a wider mode;
    /// a stale socket left by a crash is replaced, a live one is an error.
    pub(crate) async fn bind(bind: &Bind) -> CliResult<Self> {
        match bind {
            Bind::Tcp(a) => TcpListener::bind(a)
                .await
                .map(Self::Tcp)
                .map_err(|e| usage(format!("cannot listen on {a}: {e}"))),
            Bind::Unix(p) => {
                use std::os::unix::fs::{FileTypeExt, PermissionsExt};
                if let Ok(m) = std::fs::symlink_metadata(p) {
                    if !m.file_type().is_socket() {
                        return Err(usage(format!(
                            "--listen unix:{}: the path exists and is not a socket",
                            p.display()
                        )));
                    }
                    if UnixStream::connect(p).await.is_ok() {
                        return Err(usage(format!(
                            "--listen unix:{}: another process is listening there",
                            p.display()
                        )));
                    }
                }
                let name = p.file_name().ok_or_else(|| {
                    usage(format!("--listen unix:{}: not a file path", p.display()))
                })?;
                let tmp = p.with_file_name(format!(
                    ".{}.{}.tmp",
                    name.to_string_lossy(),
                    std::process::id()
                ));
                let _ = std::fs::remove_file(&tmp);
                let fail =
                    |e: io::Error| usage(format!("cannot listen on unix:{}: {e}", p.display()));
                let l = UnixListener::bind(&tmp).map_err(fail)?;
                std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
                    .and_then(|()| std::fs::rename(&tmp, p))
                    .map_err(|e| {
                        let _ = std::fs::remove_file(&tmp);
                        fail(e)
                    })?;
                Ok(Self::Unix(l, p.clone()))
            }
        }
    }

    /// What to print as the address.
    pub(crate) fn describe(&self, tls: bool) -> String {
        match self {
            Self::Tcp(l) => match l.local_addr() {
                Ok(a) => format!("{}://{a}", if tls { "https" } else { "http" }),
                Err(_) => "tcp".to_owned(),
            },
            Self::Unix(_, p) => format!("unix:{}", p.display()),
        }
    }

    /// The next connection, and the peer's IP for TCP.
    pub(crate) async fn accept(&self) -> io::Result<(Stream, Option<IpAddr>)> {
        match self {
            Self::Tcp(l) => {
                let (s, a) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok((Stream::Tcp(s), Some(a.ip())))
            }
            Self::Unix(l, _) => Ok((Stream::Unix(l.accept().await?.0), None)),
        }
    }
}

/// An accepted connection.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Unix(UnixStream),
}

impl Stream {
    /// Completes the TLS handshake of a TCP connection when `tls` is set.
    pub(crate) async fn handshake(
        self,
        tls: Option<&Arc<rustls::ServerConfig>>,
    ) -> io::Result<Self> {
        match (self, tls) {
            (Self::Tcp(s), Some(cfg)) => tokio_rustls::TlsAcceptor::from(cfg.clone())
                .accept(s)
                .await
                .map(|t| Self::Tls(Box::new(t))),
            (s, _) => Ok(s),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Self::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Self::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Self::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Self::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_rules() {
        let lo = parse_bind("127.0.0.1:1", "--listen").unwrap();
        let any = parse_bind("0.0.0.0:1", "--listen").unwrap();
        let sock = parse_bind("unix:/tmp/x.sock", "--listen").unwrap();
        assert_eq!(sock, Bind::Unix(PathBuf::from("/tmp/x.sock")));
        assert!(parse_bind("unix:", "--listen").is_err());
        assert!(parse_bind("localhost:1", "--listen").is_err());
        assert!(check_exposure(&lo, false, false).is_ok());
        assert!(check_exposure(&lo, false, true).is_ok());
        assert!(check_exposure(&lo, true, true).is_err());
        assert!(check_exposure(&any, false, true).is_err());
        assert!(check_exposure(&any, true, false).is_err());
        assert!(check_exposure(&any, true, true).is_ok());
        assert!(check_exposure(&sock, false, false).is_ok());
        assert!(check_exposure(&sock, false, true).is_err());
    }
}
