//! The configuration file of `chatseal gateway` (TOML), parsed and checked
//! before anything listens. Paths are relative to the file's folder.
//!
//! ```toml
//! listen = "127.0.0.1:8443"             # loopback unless allow_public (which needs TLS)
//! upstream = "http://127.0.0.1:9000"    # the chat backend
//! # tls_cert = "cert.pem"               # both or neither (rustls)
//! # tls_key = "key.pem"
//! # tenants_dir = "tenants/"            # one <tenantId>.json or .sealed per tenant
//! # decrypt_dir = "keys/platform"       # platform keyring for tenants_dir tenants
//!
//! [[tenant]]
//! id = "acme"
//! config = "tenants/acme.json"          # plain or sealed
//! decrypt_dir = "keys/platform"         # optional
//! forward_sso_token = false             # true: upstream gets X-Chatseal-Sso-Token
//! # api_key_hash = "acme.apikey"        # `chatseal apikey generate --out FILE`
//! ```
//!
//! Limits (all optional): `max_connections` (1024), `max_header_bytes`
//! (16384), `header_timeout_ms` (10000), `upstream_timeout_ms` (30000),
//! `max_body_bytes` (10 MiB), `cache_entries` (10000), `cache_bytes`
//! (64 MiB), `watch_interval_ms` (1000), `drain_timeout_ms` (10000).
//!
//! ```
//! use chatseal_keys::gateway_config::GatewayConfig;
//! let c = GatewayConfig::from_toml(
//!     "upstream = \"http://127.0.0.1:9000\"\n[[tenant]]\nid = \"acme\"\nconfig = \"acme.json\"\n",
//!     std::path::Path::new("/etc/chatseal"),
//! )?;
//! assert_eq!(c.listen.to_string(), "127.0.0.1:8443");
//! assert_eq!(c.tenants[0].config, std::path::Path::new("/etc/chatseal/acme.json"));
//! assert!(GatewayConfig::from_toml("upstream = 1", std::path::Path::new(".")).is_err());
//! # Ok::<(), chatseal::Error>(())
//! ```

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chatseal::{Error, ErrorKind};
use serde::Deserialize;

/// Largest configuration file read, in bytes.
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;

/// A checked gateway configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Whether a non-loopback `listen` is allowed (it also needs TLS).
    pub allow_public: bool,
    /// The TLS certificate chain and private key files (PEM), when the
    /// gateway terminates TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The upstream: scheme `http`, host and port, no path.
    pub upstream: Upstream,
    /// Tenants named one by one.
    pub tenants: Vec<TenantEntry>,
    /// A folder of tenant documents, one per tenant.
    pub tenants_dir: Option<PathBuf>,
    /// The platform keyring of the tenants in `tenants_dir`.
    pub decrypt_dir: Option<PathBuf>,
    /// Most connections open at once; more are refused.
    pub max_connections: usize,
    /// Largest request head, in bytes.
    pub max_header_bytes: usize,
    /// Time to read a request head.
    pub header_timeout: Duration,
    /// Time the upstream has to answer a request's head.
    pub upstream_timeout: Duration,
    /// Largest request body passed upstream, in bytes.
    pub max_body_bytes: u64,
    /// Most entries of the verified-token cache.
    pub cache_entries: usize,
    /// Most bytes of the verified-token cache.
    pub cache_bytes: usize,
    /// How often tenant documents and keyrings are checked for changes.
    pub watch_interval: Duration,
    /// Time open requests get to finish at shutdown.
    pub drain_timeout: Duration,
}

/// The upstream's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// `host:port`.
    pub authority: String,
}

/// One `[[tenant]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantEntry {
    /// The tenant id: the `{tenant}` of `/t/{tenant}/…`, and the document's
    /// `tenantId`.
    pub id: String,
    /// The tenant document (plain or sealed).
    pub config: PathBuf,
    /// The platform keyring that decrypts `user_payload`.
    pub decrypt_dir: Option<PathBuf>,
    /// Whether the upstream receives the decrypted sso_token.
    pub forward_sso_token: bool,
    /// The tenant's API key hash file.
    pub api_key_hash: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    listen: Option<String>,
    #[serde(default)]
    allow_public: bool,
    #[serde(default)]
    tls_cert: Option<PathBuf>,
    #[serde(default)]
    tls_key: Option<PathBuf>,
    upstream: String,
    #[serde(default)]
    tenant: Vec<RawTenant>,
    #[serde(default)]
    tenants_dir: Option<PathBuf>,
    #[serde(default)]
    decrypt_dir: Option<PathBuf>,
    #[serde(default)]
    max_connections: Option<usize>,
    #[serde(default)]
    max_header_bytes: Option<usize>,
    #[serde(default)]
    header_timeout_ms: Option<u64>,
    #[serde(default)]
    upstream_timeout_ms: Option<u64>,
    #[serde(default)]
    max_body_bytes: Option<u64>,
    #[serde(default)]
    cache_entries: Option<usize>,
    #[serde(default)]
    cache_bytes: Option<usize>,
    #[serde(default)]
    watch_interval_ms: Option<u64>,
    #[serde(default)]
    drain_timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    id: String,
    config: PathBuf,
    #[serde(default)]
    decrypt_dir: Option<PathBuf>,
    #[serde(default)]
    forward_sso_token: bool,
    #[serde(default)]
    api_key_hash: Option<PathBuf>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidConfig, message)
}

/// Whether `id` may name a tenant: 1 to 128 of `[A-Za-z0-9._-]`, not `.` or
/// `..` (it is a path segment and a file name).
pub fn valid_tenant_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id != "."
        && id != ".."
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn bounded<T: PartialOrd + Copy + std::fmt::Display>(
    name: &str,
    v: Option<T>,
    default: T,
    min: T,
    max: T,
) -> Result<T, Error> {
    let v = v.unwrap_or(default);
    if v < min || v > max {
        return Err(bad(format!(
            "`{name}` is {v}; it must be from {min} to {max}"
        )));
    }
    Ok(v)
}

impl GatewayConfig {
    /// Parses and checks a configuration; relative paths are taken from
    /// `base`. Every problem is an [`ErrorKind::InvalidConfig`] naming the
    /// setting: unknown keys, a bad address, a non-`http` upstream, a
    /// tenant id that is not `[A-Za-z0-9._-]{1,128}` or appears twice, no
    /// tenant at all, `tls_cert` without `tls_key`, a non-loopback `listen`
    /// without `allow_public` and TLS, limits out of range.
    pub fn from_toml(text: &str, base: &Path) -> Result<Self, Error> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(bad("the gateway configuration is larger than 1 MiB"));
        }
        let raw: Raw = toml::from_str(text)
            .map_err(|e| bad(format!("gateway configuration: {}", e.message())))?;
        let path = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let listen_text = raw.listen.as_deref().unwrap_or("127.0.0.1:8443");
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            bad(format!(
                "`listen` is `{}`; give IP:PORT (e.g. 127.0.0.1:8443)",
                truncate(listen_text)
            ))
        })?;
        let tls = match (raw.tls_cert, raw.tls_key) {
            (Some(c), Some(k)) => Some((path(c), path(k))),
            (None, None) => None,
            _ => return Err(bad("give both `tls_cert` and `tls_key`, or neither")),
        };
        let public_ok = raw.allow_public && tls.is_some();
        if !(listen.ip().is_loopback() || public_ok) {
            return Err(bad(format!(
                "`listen` {listen} is not a loopback address: set `allow_public = true` and \
                 `tls_cert`/`tls_key`, or listen on 127.0.0.1 or ::1"
            )));
        }
        let upstream = parse_upstream(&raw.upstream)?;
        let mut seen = BTreeSet::new();
        let mut tenants = Vec::with_capacity(raw.tenant.len());
        for t in raw.tenant {
            if !valid_tenant_id(&t.id) {
                return Err(bad(format!(
                    "tenant id `{}` is not 1 to 128 of [A-Za-z0-9._-]",
                    truncate(&t.id)
                )));
            }
            if !seen.insert(t.id.clone()) {
                return Err(bad(format!("tenant `{}` is configured twice", t.id)));
            }
            tenants.push(TenantEntry {
                id: t.id,
                config: path(t.config),
                decrypt_dir: t.decrypt_dir.map(path),
                forward_sso_token: t.forward_sso_token,
                api_key_hash: t.api_key_hash.map(path),
            });
        }
        if tenants.is_empty() && raw.tenants_dir.is_none() {
            return Err(bad(
                "no tenant: add a [[tenant]] entry or `tenants_dir = \"tenants/\"`",
            ));
        }
        let ms = Duration::from_millis;
        Ok(Self {
            listen,
            allow_public: raw.allow_public,
            tls,
            upstream,
            tenants,
            tenants_dir: raw.tenants_dir.map(path),
            decrypt_dir: raw.decrypt_dir.map(path),
            max_connections: bounded("max_connections", raw.max_connections, 1024, 1, 1 << 20)?,
            max_header_bytes: bounded(
                "max_header_bytes",
                raw.max_header_bytes,
                16 * 1024,
                8 * 1024,
                1 << 20,
            )?,
            header_timeout: ms(bounded(
                "header_timeout_ms",
                raw.header_timeout_ms,
                10_000,
                100,
                600_000,
            )?),
            upstream_timeout: ms(bounded(
                "upstream_timeout_ms",
                raw.upstream_timeout_ms,
                30_000,
                100,
                3_600_000,
            )?),
            max_body_bytes: bounded("max_body_bytes", raw.max_body_bytes, 10 << 20, 0, 1 << 40)?,
            cache_entries: bounded("cache_entries", raw.cache_entries, 10_000, 0, 10_000_000)?,
            cache_bytes: bounded("cache_bytes", raw.cache_bytes, 64 << 20, 0, 1 << 34)?,
            watch_interval: ms(bounded(
                "watch_interval_ms",
                raw.watch_interval_ms,
                1000,
                50,
                3_600_000,
            )?),
            drain_timeout: ms(bounded(
                "drain_timeout_ms",
                raw.drain_timeout_ms,
                10_000,
                0,
                600_000,
            )?),
        })
    }
}

fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(64).filter(|c| !c.is_control()).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

fn parse_upstream(u: &str) -> Result<Upstream, Error> {
    let bad_url = |why: &str| {
        bad(format!(
            "`upstream` is `{}`: {why}; give http://HOST:PORT",
            truncate(u)
        ))
    };
    let rest = u.strip_prefix("http://").ok_or_else(|| {
        bad_url("only http:// upstreams are supported (the link to the chat backend is local)")
    })?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty()
        || authority.contains(['/', '?', '#', '@', ' '])
        || authority.chars().any(|c| c.is_control())
    {
        return Err(bad_url("it must be scheme, host and port only"));
    }
    let (host, port) = authority
        .rsplit_once(':')
        .filter(|(_, p)| !p.contains(']'))
        .ok_or_else(|| bad_url("it has no port"))?;
    if host.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(bad_url("the host or port is not valid"));
    }
    Ok(Upstream {
        authority: authority.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<GatewayConfig, Error> {
        GatewayConfig::from_toml(text, Path::new("/base"))
    }

    const MIN: &str = "upstream = \"http://127.0.0.1:9000\"\ntenants_dir = \"t\"\n";

    #[test]
    fn defaults_and_paths() {
        let c = parse(MIN).unwrap();
        assert_eq!(c.upstream.authority, "127.0.0.1:9000");
        assert_eq!(c.tenants_dir.as_deref(), Some(Path::new("/base/t")));
        assert_eq!(c.max_connections, 1024);
        assert_eq!(c.header_timeout, Duration::from_secs(10));
        assert!(c.tls.is_none());
    }

    #[test]
    fn every_mistake_is_invalid_config_naming_the_setting() {
        for (text, needle) in [
            ("upstream = \"http://127.0.0.1:9000\"\n", "no tenant"),
            (&format!("{MIN}bogus = 1\n"), "unknown field"),
            ("upstream = \"https://127.0.0.1:9000\"\ntenants_dir = \"t\"\n", "upstream"),
            ("upstream = \"http://127.0.0.1\"\ntenants_dir = \"t\"\n", "no port"),
            ("upstream = \"http://h:1/path\"\ntenants_dir = \"t\"\n", "scheme, host and port"),
            (&format!("{MIN}listen = \"0.0.0.0:8443\"\n"), "loopback"),
            (&format!("{MIN}listen = \"nope\"\n"), "listen"),
            (&format!("{MIN}tls_cert = \"c.pem\"\n"), "tls_key"),
            (&format!("{MIN}max_connections = 0\n"), "max_connections"),
            (&format!("{MIN}[[tenant]]\nid = \"../x\"\nconfig = \"a\"\n"), "tenant id"),
            (
                &format!("{MIN}[[tenant]]\nid = \"a\"\nconfig = \"a\"\n[[tenant]]\nid = \"a\"\nconfig = \"b\"\n"),
                "twice",
            ),
            ("upstream = \"http://h:1\"\nupstream = \"http://h:2\"\n", "duplicate"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{text}");
            assert!(e.message().contains(needle), "{text}: {e}");
        }
        let public = format!(
            "{MIN}listen = \"0.0.0.0:8443\"\nallow_public = true\ntls_cert = \"c\"\ntls_key = \"k\"\n"
        );
        assert!(parse(&public).unwrap().allow_public);
    }

    #[test]
    fn tenant_ids() {
        assert!(valid_tenant_id("acme-1.eu_west"));
        for bad in ["", ".", "..", "a/b", "a b", "ä", &"a".repeat(129)] {
            assert!(!valid_tenant_id(bad), "{bad}");
        }
    }
}
