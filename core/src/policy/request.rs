//! An HTTP request as data: where its credentials are, what a refusal
//! answers, which CORS grant an origin gets, and which identity headers an
//! upstream receives. Services (`chatseal gateway`) translate their HTTP
//! library's types to and from these; every decision is made here.
//!
//! Nothing in this module depends on an HTTP crate: headers are
//! `(name, value bytes)` pairs and the query is the raw query string.

use zeroize::Zeroizing;

use super::*;
use crate::apikey::ApiKeySlot;
use crate::secret::SecretString;

/// Largest header value or query string looked at, in bytes. A longer one
/// is refused with `invalid_request` (the service's own head limit is
/// usually lower).
pub const MAX_CREDENTIAL_INPUT: usize = 64 * 1024;

/// Where a request's bearer token was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `Authorization: Bearer <jwt>` (RFC 6750 §2.1).
    AuthorizationHeader,
    /// The `access_token` query parameter (RFC 6750 §2.3), for browsers'
    /// `EventSource` and `WebSocket`, which cannot set headers.
    QueryParameter,
    /// A `Sec-WebSocket-Protocol` entry `bearer.<jwt>`.
    WebSocketProtocol,
}

/// The credentials found in a request by [`extract_credentials`]. The API
/// key and the token are held in types that zeroize on drop and print
/// `[redacted]`.
#[derive(Debug, Default)]
pub struct ExtractedCredentials {
    api_key: Option<SecretString>,
    bearer_token: Option<SecretString>,
    token_source: Option<TokenSource>,
    participant_id: Option<String>,
    origin: Option<String>,
    other_protocols: Vec<String>,
    bearer_protocol: Option<SecretString>,
}

impl ExtractedCredentials {
    /// The credentials in the shape [`authenticate`] takes.
    pub fn credentials(&self) -> RequestCredentials<'_> {
        RequestCredentials {
            api_key: self.api_key.as_ref().map(SecretString::expose_secret),
            bearer_token: self.bearer_token.as_ref().map(SecretString::expose_secret),
            participant_id: self.participant_id.as_deref(),
            origin: self.origin.as_deref(),
        }
    }

    /// Where the bearer token came from, if there is one.
    pub fn token_source(&self) -> Option<TokenSource> {
        self.token_source
    }

    /// The `Origin` header, as sent.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The `Sec-WebSocket-Protocol` entries other than `bearer.<jwt>`, in
    /// the client's order: what an upstream may choose from.
    pub fn other_protocols(&self) -> &[String] {
        &self.other_protocols
    }

    /// The `bearer.<jwt>` entry of `Sec-WebSocket-Protocol`, as offered. A
    /// browser fails a handshake whose answer names no protocol it offered,
    /// so a service answers with this one when the upstream chose none.
    pub fn bearer_protocol(&self) -> Option<&SecretString> {
        self.bearer_protocol.as_ref()
    }
}

fn invalid_request(message: impl Into<String>) -> Error {
    denied(rules::INVALID_REQUEST, message)
}

/// Finds a request's credentials: the bearer token in `Authorization:
/// Bearer`, the `access_token` query parameter or a `Sec-WebSocket-Protocol`
/// entry `bearer.<jwt>`; the API key in an `api-key` header or the `apikey`
/// query parameter; the participant in the `participantId` query parameter
/// or an `X-Chatseal-Participant` header; and the `Origin` header.
///
/// Refused with `invalid_request` ([`rules::INVALID_REQUEST`]): a token in
/// more than one place (RFC 6750 §2 allows one method per request), a
/// credential header sent twice, an `Authorization` scheme other than
/// `Bearer`, a value that is not visible ASCII, two different participant
/// ids, a malformed query, or an input longer than
/// [`MAX_CREDENTIAL_INPUT`]. Header names compare case-insensitively;
/// other headers are ignored.
///
/// ```
/// use chatseal::{extract_credentials, TokenSource};
/// let headers = [
///     ("authorization", &b"Bearer eyJ.eyJ.sig"[..]),
///     ("origin", &b"https://app.acme.example"[..]),
/// ];
/// let found = extract_credentials(headers, Some("participantId=u-42&x=1"))?;
/// let creds = found.credentials();
/// assert_eq!(creds.bearer_token, Some("eyJ.eyJ.sig"));
/// assert_eq!(creds.participant_id, Some("u-42"));
/// assert_eq!(found.token_source(), Some(TokenSource::AuthorizationHeader));
///
/// // One token, one place.
/// let both = extract_credentials([("authorization", &b"Bearer a.b.c"[..])],
///                                Some("access_token=a.b.c"));
/// assert_eq!(both.unwrap_err().code(), "invalid_request");
/// # Ok::<(), chatseal::Error>(())
/// ```
pub fn extract_credentials<'h>(
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    query: Option<&str>,
) -> Result<ExtractedCredentials> {
    let mut out = ExtractedCredentials::default();
    let mut tokens: Vec<(TokenSource, SecretString)> = Vec::new();
    let mut participants: Vec<String> = Vec::new();
    let mut seen_authorization = false;
    for (name, value) in headers {
        let which = if name.eq_ignore_ascii_case("authorization") {
            "Authorization"
        } else if name.eq_ignore_ascii_case("api-key") {
            "api-key"
        } else if name.eq_ignore_ascii_case("x-chatseal-participant") {
            "X-Chatseal-Participant"
        } else if name.eq_ignore_ascii_case("origin") {
            "Origin"
        } else if name.eq_ignore_ascii_case("sec-websocket-protocol") {
            "Sec-WebSocket-Protocol"
        } else {
            continue;
        };
        let text = header_text(which, value)?;
        match which {
            "Authorization" => {
                if std::mem::replace(&mut seen_authorization, true) {
                    return Err(invalid_request("the Authorization header is sent twice"));
                }
                tokens.push((TokenSource::AuthorizationHeader, bearer(&text)?));
            }
            "api-key" => {
                if out.api_key.is_some() {
                    return Err(invalid_request("the api-key header is sent twice"));
                }
                out.api_key = Some(SecretString::new(text.trim().to_owned()));
            }
            "X-Chatseal-Participant" => participants.push(text.trim().to_owned()),
            "Origin" => {
                if out.origin.is_some() {
                    return Err(invalid_request("the Origin header is sent twice"));
                }
                out.origin = Some(text.trim().to_owned());
            }
            _ => {
                // Sec-WebSocket-Protocol: a comma-separated list, possibly
                // spread over several header lines.
                for p in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    if let Some(jwt) = p.strip_prefix("bearer.") {
                        if jwt.is_empty() {
                            return Err(invalid_request(
                                "a Sec-WebSocket-Protocol entry `bearer.` carries no token",
                            ));
                        }
                        tokens.push((TokenSource::WebSocketProtocol, SecretString::from(jwt)));
                        out.bearer_protocol = Some(SecretString::from(p));
                    } else {
                        out.other_protocols.push(p.to_owned());
                    }
                }
            }
        }
    }
    if let Some(q) = query {
        if q.len() > MAX_CREDENTIAL_INPUT {
            return Err(invalid_request("the query string is too long"));
        }
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "access_token" => {
                    let t = percent_decode(v, "access_token")?;
                    if t.is_empty() || t.contains(char::is_whitespace) {
                        return Err(invalid_request(
                            "the `access_token` query parameter is empty or has whitespace",
                        ));
                    }
                    tokens.push((
                        TokenSource::QueryParameter,
                        SecretString::new(t.to_string()),
                    ));
                }
                "apikey" => {
                    if out.api_key.is_some() {
                        return Err(invalid_request(
                            "the API key is sent twice (api-key header and apikey query \
                             parameter, or the parameter twice)",
                        ));
                    }
                    out.api_key = Some(SecretString::new(
                        percent_decode(v, "apikey")?.trim().to_owned(),
                    ));
                }
                "participantId" => {
                    participants.push(percent_decode(v, "participantId")?.to_string())
                }
                _ => {}
            }
        }
    }
    if tokens.len() > 1 {
        return Err(invalid_request(format!(
            "the request carries a bearer token in {} places ({}); send it in one",
            tokens.len(),
            tokens
                .iter()
                .map(|(s, _)| match s {
                    TokenSource::AuthorizationHeader => "Authorization",
                    TokenSource::QueryParameter => "access_token",
                    TokenSource::WebSocketProtocol => "Sec-WebSocket-Protocol",
                })
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if let Some((source, token)) = tokens.pop() {
        out.token_source = Some(source);
        out.bearer_token = Some(token);
    }
    if let Some(first) = participants.first() {
        if participants.iter().any(|p| p != first) {
            return Err(invalid_request(
                "participantId and X-Chatseal-Participant name different participants",
            ));
        }
        if first.is_empty() {
            return Err(invalid_request("the participant id is empty"));
        }
        out.participant_id = Some(first.clone());
    }
    Ok(out)
}

/// A header value as text: visible ASCII and spaces only, bounded.
fn header_text(name: &str, value: &[u8]) -> Result<Zeroizing<String>> {
    if value.len() > MAX_CREDENTIAL_INPUT {
        return Err(invalid_request(format!("the {name} header is too long")));
    }
    if !value
        .iter()
        .all(|b| (0x20..0x7f).contains(b) || *b == b'\t')
    {
        return Err(invalid_request(format!(
            "the {name} header has bytes outside visible ASCII"
        )));
    }
    // Checked: ASCII only.
    Ok(Zeroizing::new(String::from_utf8_lossy(value).into_owned()))
}

/// The token of an `Authorization: Bearer <token>` value.
fn bearer(value: &str) -> Result<SecretString> {
    let value = value.trim();
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // The scheme is named only when it looks like one (`Basic`); a
        // value without a scheme may be a bare token, which is never
        // repeated.
        let named = scheme.len() <= 16 && scheme.bytes().all(|b| b.is_ascii_alphabetic());
        return Err(invalid_request(if named {
            format!("the Authorization scheme is `{scheme}`; only Bearer is accepted")
        } else {
            "the Authorization header does not start with `Bearer `".to_owned()
        }));
    }
    let token = rest.trim();
    if token.is_empty() || token.contains([' ', '\t']) {
        return Err(invalid_request(
            "Authorization: Bearer must be followed by exactly one token",
        ));
    }
    Ok(SecretString::from(token))
}

/// Percent-decodes a query value (`+` is a space); the result must be UTF-8
/// without control characters.
fn percent_decode(v: &str, what: &str) -> Result<Zeroizing<String>> {
    let bad = || {
        invalid_request(format!(
            "the `{what}` query parameter is not valid percent-encoded UTF-8"
        ))
    };
    let bytes = v.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or_else(bad)?;
                let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    let text = std::str::from_utf8(&out).map_err(|_| bad())?;
    if text.chars().any(char::is_control) {
        return Err(bad());
    }
    Ok(Zeroizing::new(text.to_owned()))
}

/// [`authenticate`] through a [`VerifiedCache`]: the same precedence
/// (origin, then an API key alone, then the bearer token, then the tenant's
/// security mode), with the token's verification done once per token and
/// the origin, API key and participant checked on every call.
pub fn authenticate_cached(
    credentials: &RequestCredentials<'_>,
    api_keys: &ApiKeySlot,
    tenant: &TenantVerifier,
    cache: &VerifiedCache,
) -> Result<Authenticated> {
    authenticate_with(credentials, api_keys, tenant, |t, p| {
        tenant
            .verify_cached(cache, t, p)
            .map(|id| Box::new(VerifiedIdentity::clone(&id)))
    })
}

/// The error of a request for a tenant that has no configuration: code
/// `no_providers_configured` (what [`TenantRegistry::verify`] answers).
pub fn unknown_tenant(tenant_id: &str) -> Error {
    denied(
        rules::NO_PROVIDERS_CONFIGURED,
        format!(
            "No OIDC providers configured for tenant `{}`",
            truncate_for_message(tenant_id)
        ),
    )
}

// ---------------------------------------------------------------------------
// Answers.
// ---------------------------------------------------------------------------

/// The HTTP status of a refusal:
///
/// - 400 `invalid_request` (credentials in a shape no client should send);
/// - 401 a token problem or missing or wrong credentials (`expired`,
///   `invalid_signature`, `no_credentials`, `api_key_invalid`, ...);
/// - 403 a policy or origin refusal of a valid token (`origin_not_allowed`,
///   `email_domain_not_allowed`, `participant_mismatch`, ...);
/// - 404 an unknown tenant (`no_providers_configured`);
/// - 503 keys that cannot be had (`jwks_unavailable`);
/// - 500 anything that is the service's own fault (configuration, keys).
///
/// ```
/// use chatseal::{refusal_status, rules, Error, ErrorKind};
/// assert_eq!(refusal_status(&Error::new(ErrorKind::Expired, "x")), 401);
/// let denied = Error::new(ErrorKind::PolicyDenied { rule: rules::ORIGIN_NOT_ALLOWED }, "x");
/// assert_eq!(refusal_status(&denied), 403);
/// ```
pub fn refusal_status(err: &Error) -> u16 {
    match err.kind() {
        ErrorKind::PolicyDenied { rule } => match rule {
            rules::INVALID_REQUEST => 400,
            rules::NO_CREDENTIALS | rules::API_KEY_INVALID => 401,
            rules::NO_PROVIDERS_CONFIGURED => 404,
            // The token is fine but does not name a provider of this
            // tenant: a token problem for the client to fix.
            rules::NO_PROVIDER_FOR_ISSUER => 401,
            _ => 403,
        },
        ErrorKind::JwksUnavailable => 503,
        k if k.is_token_rejection() => 401,
        _ => 500,
    }
}

/// The `WWW-Authenticate` value of a refusal (RFC 6750 §3), or `None` where
/// none belongs (404, 5xx). It names the error code, never the token.
///
/// ```
/// use chatseal::{www_authenticate, Error, ErrorKind};
/// assert_eq!(
///     www_authenticate(&Error::new(ErrorKind::Expired, "x")).as_deref(),
///     Some(r#"Bearer realm="chatseal", error="invalid_token", error_description="expired""#)
/// );
/// ```
pub fn www_authenticate(err: &Error) -> Option<String> {
    let error = match refusal_status(err) {
        400 => "invalid_request",
        401 | 403 => "invalid_token",
        _ => return None,
    };
    if err.kind()
        == (ErrorKind::PolicyDenied {
            rule: rules::NO_CREDENTIALS,
        })
    {
        // RFC 6750 §3.1: no error code when the request had no credentials.
        return Some("Bearer realm=\"chatseal\"".to_owned());
    }
    Some(format!(
        "Bearer realm=\"chatseal\", error=\"{error}\", error_description=\"{}\"",
        err.code()
    ))
}

/// Methods a CORS preflight is granted.
pub const CORS_ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
/// Request headers a CORS preflight is granted.
pub const CORS_ALLOW_HEADERS: &str = "Authorization, Content-Type, api-key, X-Chatseal-Participant";
/// How long, in seconds, a browser may keep a preflight's answer.
pub const CORS_MAX_AGE: u64 = 600;

impl TenantVerifier {
    /// The CORS answer for a request from `origin`: the value of
    /// `Access-Control-Allow-Origin` (the origin as the browser sent it) when
    /// the tenant allows it, else `origin_not_allowed`. A tenant with an
    /// empty `allowedOrigins` allows every origin.
    ///
    /// With the grant a service answers a preflight with 204,
    /// `Access-Control-Allow-Origin`, `Vary: Origin`,
    /// [`CORS_ALLOW_METHODS`], [`CORS_ALLOW_HEADERS`] and [`CORS_MAX_AGE`];
    /// without it, 403 and no `Access-Control-Allow-*` header.
    pub fn cors_grant(&self, origin: &str) -> Result<String> {
        self.check_origin(Some(origin))?;
        Ok(origin.to_owned())
    }
}

// ---------------------------------------------------------------------------
// What the upstream learns.
// ---------------------------------------------------------------------------

/// The prefix of every identity header; a service removes each header of
/// the client's that starts with it before adding its own.
pub const IDENTITY_HEADER_PREFIX: &str = "x-chatseal-";

/// Whether a client's header must be removed before the request goes
/// upstream: the identity headers (any `X-Chatseal-*`), and the
/// credentials (`Authorization`, `api-key`), which the upstream never sees.
///
/// ```
/// use chatseal::is_stripped_header;
/// assert!(is_stripped_header("X-Chatseal-User"));
/// assert!(is_stripped_header("authorization"));
/// assert!(!is_stripped_header("content-type"));
/// ```
pub fn is_stripped_header(name: &str) -> bool {
    let lower = name.len() >= IDENTITY_HEADER_PREFIX.len()
        && name.as_bytes()[..IDENTITY_HEADER_PREFIX.len()]
            .eq_ignore_ascii_case(IDENTITY_HEADER_PREFIX.as_bytes());
    lower || name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("api-key")
}

/// The query parameters that carry credentials (`access_token`, `apikey`):
/// a service drops them from the query it sends upstream.
pub fn is_credential_parameter(name: &str) -> bool {
    name == "access_token" || name == "apikey"
}

/// The headers that tell the upstream who the request is from, as `(name,
/// value)` with lower-case names:
///
/// - `x-chatseal-tenant`, `x-chatseal-auth` (`token`, `api_key` or
///   `anonymous`);
/// - for a token: `x-chatseal-user`, `x-chatseal-email` (when the token has
///   one), `x-chatseal-groups` (a JSON array), `x-chatseal-claims` (the flat
///   claims as JSON, base64url without padding), and `x-chatseal-sso-token`
///   only when `forward_sso_token` is set and the token carried one.
///
/// User ids and emails are percent-encoded UTF-8 outside visible ASCII
/// (and `%` itself); JSON is written with `\u` escapes for non-ASCII, so
/// every value is a valid header value.
pub fn identity_headers(
    tenant_id: &str,
    auth: &Authenticated,
    forward_sso_token: bool,
) -> Vec<(&'static str, SecretString)> {
    let mut out = vec![
        (
            "x-chatseal-tenant",
            SecretString::new(pct_header(tenant_id)),
        ),
        (
            "x-chatseal-auth",
            SecretString::from(match auth {
                Authenticated::ApiKey => "api_key",
                Authenticated::User(_) => "token",
                Authenticated::Anonymous => "anonymous",
            }),
        ),
    ];
    if let Authenticated::User(id) = auth {
        out.push((
            "x-chatseal-user",
            SecretString::new(pct_header(id.user_id())),
        ));
        if let Some(e) = id.email() {
            out.push(("x-chatseal-email", SecretString::new(pct_header(e))));
        }
        out.push((
            "x-chatseal-groups",
            SecretString::new(ascii_json(&Value::from(id.groups().to_vec()))),
        ));
        let claims = Value::Object(
            id.claims()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        out.push((
            "x-chatseal-claims",
            SecretString::new(crate::encoding::b64url(claims.to_string().as_bytes())),
        ));
        if forward_sso_token {
            if let Some(s) = id.sso_token() {
                out.push((
                    "x-chatseal-sso-token",
                    SecretString::new(pct_header(s.expose_secret())),
                ));
            }
        }
    }
    out
}

/// Percent-encodes bytes outside `!`..=`~`, and `%`.
fn pct_header(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (0x21..0x7f).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// JSON with every non-ASCII character written as `\uXXXX`.
fn ascii_json(v: &Value) -> String {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod request_tests {
    use super::*;

    fn h(pairs: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static [u8])> {
        pairs.iter().map(|(k, v)| (*k, v.as_bytes())).collect()
    }

    #[test]
    fn each_place_of_a_token_is_found() {
        let a = extract_credentials(h(&[("Authorization", "bearer  a.b.c ")]), None).unwrap();
        assert_eq!(a.credentials().bearer_token, Some("a.b.c"));
        assert_eq!(a.token_source(), Some(TokenSource::AuthorizationHeader));
        let q = extract_credentials(h(&[]), Some("x=1&access_token=a.b%2Dc")).unwrap();
        assert_eq!(q.credentials().bearer_token, Some("a.b-c"));
        assert_eq!(q.token_source(), Some(TokenSource::QueryParameter));
        let w = extract_credentials(
            h(&[("sec-websocket-protocol", "chat.v1, bearer.a.b.c")]),
            None,
        )
        .unwrap();
        assert_eq!(w.credentials().bearer_token, Some("a.b.c"));
        assert_eq!(w.other_protocols(), ["chat.v1"]);
        assert_eq!(w.bearer_protocol().unwrap().expose_secret(), "bearer.a.b.c");
        let none = extract_credentials(h(&[("cookie", "x=y")]), Some("")).unwrap();
        assert!(none.credentials().bearer_token.is_none());
        assert!(none.token_source().is_none());
    }

    #[test]
    fn malformed_credentials_are_invalid_requests() {
        for (headers, query) in [
            (h(&[("authorization", "Basic dXNlcjpwYXNz")]), None),
            (h(&[("authorization", "Bearer")]), None),
            (h(&[("authorization", "Bearer a b")]), None),
            (
                h(&[("authorization", "Bearer a"), ("Authorization", "Bearer a")]),
                None,
            ),
            (h(&[("api-key", "k"), ("api-key", "k")]), None),
            (h(&[("api-key", "k")]), Some("apikey=k")),
            (
                h(&[("authorization", "Bearer a.b.c")]),
                Some("access_token=a.b.c"),
            ),
            (h(&[("sec-websocket-protocol", "bearer.")]), None),
            (
                h(&[("x-chatseal-participant", "u1")]),
                Some("participantId=u2"),
            ),
            (h(&[]), Some("participantId=")),
            (h(&[]), Some("access_token=%zz")),
            (h(&[]), Some("access_token=%0a")),
            (h(&[]), Some("access_token=%ff")),
            (h(&[]), Some("access_token=")),
            (h(&[]), Some("access_token=a+b")),
            (h(&[("origin", "https://a"), ("origin", "https://b")]), None),
        ] {
            let e = extract_credentials(headers.clone(), query).unwrap_err();
            assert_eq!(e.code(), rules::INVALID_REQUEST, "{headers:?} {query:?}");
            assert_eq!(refusal_status(&e), 400);
        }
        let raw: Vec<(&str, &[u8])> = vec![("authorization", b"Bearer a\xffb")];
        assert_eq!(
            extract_credentials(raw, None).unwrap_err().code(),
            rules::INVALID_REQUEST
        );
        let long = format!("access_token={}", "a".repeat(MAX_CREDENTIAL_INPUT));
        assert!(extract_credentials(h(&[]), Some(&long)).is_err());
    }

    #[test]
    fn no_secret_reaches_a_message() {
        // A bare token without a scheme is not repeated as "the scheme".
        let e = extract_credentials(h(&[("authorization", "eyJsecret.tok.en")]), None).unwrap_err();
        assert!(!e.message().contains("secret"), "{e}");
        let e = extract_credentials(h(&[("authorization", "Basic x")]), None).unwrap_err();
        assert!(e.message().contains("`Basic`"), "{e}");
        let e = extract_credentials(
            h(&[
                ("authorization", "Bearer secret.tok.en"),
                ("api-key", "csk_secret"),
            ]),
            Some("access_token=secret.tok.en"),
        )
        .unwrap_err();
        assert!(!e.message().contains("secret"), "{e}");
        let found = extract_credentials(h(&[("api-key", "csk_secret")]), None).unwrap();
        assert!(!format!("{found:?}").contains("csk_secret"));
    }

    #[test]
    fn identity_headers_are_valid_header_values() {
        assert_eq!(pct_header("ana lópez%"), "ana%20l%C3%B3pez%25");
        assert_eq!(pct_header("a\r\nb"), "a%0D%0Ab");
        assert_eq!(
            ascii_json(&serde_json::json!(["é", "😀"])),
            r#"["\u00e9","\ud83d\ude00"]"#
        );
        let got = identity_headers("acme", &Authenticated::ApiKey, true);
        let names: Vec<_> = got.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["x-chatseal-tenant", "x-chatseal-auth"]);
        assert_eq!(got[1].1.expose_secret(), "api_key");
        assert!(is_stripped_header("X-CHATSEAL-Sso-Token"));
        assert!(is_stripped_header("Api-Key"));
        assert!(!is_stripped_header("x-chatsea"));
        assert!(is_credential_parameter("access_token"));
        assert!(!is_credential_parameter("participantId"));
    }

    #[test]
    fn statuses_follow_the_kind_of_refusal() {
        let p = |rule| Error::new(ErrorKind::PolicyDenied { rule }, "x");
        assert_eq!(refusal_status(&p(rules::NO_CREDENTIALS)), 401);
        assert_eq!(refusal_status(&p(rules::API_KEY_INVALID)), 401);
        assert_eq!(refusal_status(&p(rules::NO_PROVIDERS_CONFIGURED)), 404);
        assert_eq!(refusal_status(&p(rules::PARTICIPANT_MISMATCH)), 403);
        assert_eq!(refusal_status(&p(rules::EMAIL_DOMAIN_NOT_ALLOWED)), 403);
        assert_eq!(
            refusal_status(&Error::new(ErrorKind::JwksUnavailable, "x")),
            503
        );
        assert_eq!(
            refusal_status(&Error::new(ErrorKind::InvalidSignature, "x")),
            401
        );
        assert_eq!(refusal_status(&Error::new(ErrorKind::Internal, "x")), 500);
        assert_eq!(
            www_authenticate(&p(rules::NO_CREDENTIALS)).as_deref(),
            Some("Bearer realm=\"chatseal\"")
        );
        assert!(www_authenticate(&p(rules::NO_PROVIDERS_CONFIGURED)).is_none());
        assert!(www_authenticate(&p(rules::INVALID_REQUEST))
            .unwrap()
            .contains("error=\"invalid_request\""));
    }

    #[test]
    fn authenticate_cached_keeps_the_precedence_and_checks_each_request() {
        use crate::{Algorithm, ClientSigningKey, Issuer, TokenRequest};
        let idp = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let jwks: Value =
            serde_json::from_str(&ClientVerifyingKey::to_jwks([idp.verifying_key()]).to_json())
                .unwrap();
        let doc = serde_json::json!({"tenantId": "acme",
            "allowedOrigins": ["https://host.example"],
            "providers": {"p": {"issuer": "https://idp.example", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"], "jwks": jwks}}});
        let tenant =
            TenantVerifier::new(&TenantConfig::from_json(&doc.to_string()).unwrap(), &[]).unwrap();
        let token = Issuer::builder(idp)
            .issuer("https://idp.example")
            .audience("chat")
            .build()
            .unwrap()
            .mint(&TokenRequest::new("u1"))
            .unwrap();
        let cache = VerifiedCache::default();
        let mut slot = ApiKeySlot::empty();
        let key = slot.generate().unwrap();
        let creds = |api_key, participant, origin| RequestCredentials {
            api_key,
            bearer_token: Some(token.as_str()),
            participant_id: participant,
            origin,
        };
        let ok = |c: &RequestCredentials<'_>| authenticate_cached(c, &slot, &tenant, &cache);
        for _ in 0..3 {
            let who = ok(&creds(None, Some("u1"), Some("https://host.example"))).unwrap();
            assert!(matches!(who, Authenticated::User(ref id) if id.user_id() == "u1"));
        }
        assert_eq!(cache.stats(), (2, 1));
        // Cached or not, the origin, the participant and the API key are
        // checked on every request.
        let code = |c| ok(&c).unwrap_err().code();
        assert_eq!(
            code(creds(None, None, Some("https://evil.example"))),
            rules::ORIGIN_NOT_ALLOWED
        );
        assert_eq!(
            code(creds(None, Some("u2"), None)),
            rules::PARTICIPANT_MISMATCH
        );
        assert_eq!(
            code(creds(Some("csk_wrong"), None, None)),
            rules::API_KEY_INVALID
        );
        assert!(matches!(
            ok(&creds(Some(key.expose_secret()), None, None)).unwrap(),
            Authenticated::ApiKey
        ));
        let none = RequestCredentials::default();
        assert_eq!(ok(&none).unwrap_err().code(), rules::NO_CREDENTIALS);
        let grant = tenant.cors_grant("https://host.example").unwrap();
        assert_eq!(grant, "https://host.example");
        assert_eq!(
            tenant
                .cors_grant("https://host.example.evil.test")
                .unwrap_err()
                .code(),
            rules::ORIGIN_NOT_ALLOWED
        );
        let headers = identity_headers("acme", &ok(&creds(None, None, None)).unwrap(), false);
        let names: Vec<_> = headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "x-chatseal-tenant",
                "x-chatseal-auth",
                "x-chatseal-user",
                "x-chatseal-groups",
                "x-chatseal-claims"
            ]
        );
    }
}
