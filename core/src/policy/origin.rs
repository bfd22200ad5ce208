//! Embedding origins (`allowedOrigins`) and the tenant's security mode.
//!
//! An origin is `scheme://host[:port]` as a browser sends it in `Origin`
//! (RFC 6454): compared exactly after normalisation (scheme and host in
//! lower case, the scheme's default port dropped), never by prefix or
//! pattern, so `https://acme.example.evil.test` is not `https://acme.example`.

use super::*;

/// Whether a tenant requires credentials on every request.
///
/// ```
/// use chatseal::SecurityMode;
/// assert_eq!("anonymous".parse::<SecurityMode>().unwrap(), SecurityMode::Anonymous);
/// assert_eq!(SecurityMode::default(), SecurityMode::On);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityMode {
    /// Every request carries an API key or a token (the default).
    #[default]
    On,
    /// IBM's "security disabled" mode, for public demos: a request without
    /// credentials passes as anonymous; a credential that is present is still
    /// verified, and a bad one refused.
    Anonymous,
}

impl SecurityMode {
    /// The document's name: `on` or `anonymous`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Anonymous => "anonymous",
        }
    }
}

impl std::str::FromStr for SecurityMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "on" => Ok(Self::On),
            "anonymous" => Ok(Self::Anonymous),
            other => Err(config_error(format!(
                "`security` is `{}`; use \"on\" or \"anonymous\"",
                truncate_for_message(other)
            ))),
        }
    }
}

/// Largest origin accepted, in bytes (a host name is at most 253).
const MAX_ORIGIN_LEN: usize = 300;

/// Normalises a web origin: `scheme://host[:port]` with scheme `http` or
/// `https`, scheme and host in lower case, the default port (80, 443)
/// dropped. A path other than `/`, a query, a fragment, user info, an empty
/// host, a bad port or the opaque origin `null` is refused with
/// [`ErrorKind::InvalidConfig`].
///
/// ```
/// use chatseal::normalize_origin;
/// assert_eq!(normalize_origin("HTTPS://Acme.Example:443").unwrap(), "https://acme.example");
/// assert_eq!(normalize_origin("http://localhost:8080/").unwrap(), "http://localhost:8080");
/// assert!(normalize_origin("https://acme.example/chat").is_err());
/// assert!(normalize_origin("null").is_err());
/// ```
pub fn normalize_origin(origin: &str) -> Result<String> {
    let bad = |why: &str| {
        config_error(format!(
            "origin `{}` {why}; an origin is scheme://host[:port]",
            truncate_for_message(origin)
        ))
    };
    if origin.len() > MAX_ORIGIN_LEN {
        return Err(bad("is too long"));
    }
    if origin.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("has whitespace or control characters"));
    }
    let (scheme, rest) = origin
        .split_once("://")
        .ok_or_else(|| bad("has no scheme"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return Err(bad("is not http or https")),
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#', '@', '\\']) {
        return Err(bad("has a path, query, fragment or user info"));
    }
    // The port is after the last colon, unless the host is an IPv6 literal
    // whose brackets close after it.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    let ipv6 = host.starts_with('[');
    if ipv6 && !(host.ends_with(']') && host.len() > 2) {
        return Err(bad("has a malformed IPv6 host"));
    }
    if !ipv6
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
    {
        return Err(bad("has a host with characters outside [A-Za-z0-9.-_]"));
    }
    let port = match port {
        None => None,
        Some(p) => {
            let n: u16 = p
                .parse()
                .ok()
                .filter(|n| *n > 0 && !p.starts_with('0') && !p.starts_with('+'))
                .ok_or_else(|| bad("has a bad port"))?;
            (n.to_string() != default_port).then_some(n)
        }
    };
    let host = host.to_ascii_lowercase();
    Ok(match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Validates `allowedOrigins`: each entry normalised, duplicates refused.
pub(super) fn validate_origins(list: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for o in list {
        let n = normalize_origin(&o)
            .map_err(|e| config_error(format!("`allowedOrigins`: {}", e.message())))?;
        if out.contains(&n) {
            return Err(config_error(format!(
                "`allowedOrigins` lists `{}` twice",
                truncate_for_message(&n)
            )));
        }
        out.push(n);
    }
    Ok(out)
}

/// Whether `origin` (a request's `Origin` header) may embed the chat, given
/// the tenant's normalised `allowed` list (empty: every origin).
pub(super) fn check_origin(
    tenant_id: &str,
    allowed: &[String],
    origin: Option<&str>,
) -> Result<()> {
    let Some(origin) = origin else {
        return Ok(()); // not a browser request: nothing to compare
    };
    if allowed.is_empty() {
        return Ok(());
    }
    // An origin that does not even parse (or `null`, from a sandboxed frame
    // or a file) matches nothing.
    let ok = normalize_origin(origin)
        .map(|n| allowed.contains(&n))
        .unwrap_or(false);
    if ok {
        return Ok(());
    }
    Err(denied(
        rules::ORIGIN_NOT_ALLOWED,
        format!(
            "Origin not allowed: `{}` is not in allowedOrigins of tenant `{}`",
            truncate_for_message(origin),
            truncate_for_message(tenant_id)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_normalise_and_compare_exactly() {
        for (input, want) in [
            ("https://acme.example", "https://acme.example"),
            ("HTTPS://ACME.example:443/", "https://acme.example"),
            ("http://acme.example:80", "http://acme.example"),
            ("http://acme.example:443", "http://acme.example:443"),
            ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
            ("https://[::1]:8443", "https://[::1]:8443"),
            ("https://[::1]", "https://[::1]"),
        ] {
            assert_eq!(normalize_origin(input).unwrap(), want, "{input}");
        }
        for bad in [
            "null",
            "acme.example",
            "ftp://acme.example",
            "https://",
            "https://acme.example/path",
            "https://acme.example?x",
            "https://acme.example#f",
            "https://user@acme.example",
            "https://acme.example:0",
            "https://acme.example:65536",
            "https://acme.example:08443",
            "https://acme.example:+443",
            "https://acme example",
            "https://[::1",
            "https://ac\\me.example",
        ] {
            let e = normalize_origin(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad}");
        }
        let allowed = validate_origins(vec!["https://acme.example".into()]).unwrap();
        assert!(check_origin("t", &allowed, Some("https://ACME.example:443")).is_ok());
        assert!(check_origin("t", &allowed, None).is_ok());
        for evil in [
            "https://acme.example.evil.test",
            "https://evilacme.example",
            "http://acme.example",
            "https://acme.example:8443",
            "null",
            "",
        ] {
            let e = check_origin("t", &allowed, Some(evil)).unwrap_err();
            assert_eq!(e.code(), rules::ORIGIN_NOT_ALLOWED, "{evil}");
        }
        assert!(check_origin("t", &[], Some("https://anything.example")).is_ok());
        assert!(validate_origins(vec![
            "https://a.example".into(),
            "https://A.example/".into()
        ])
        .is_err());
    }
}
