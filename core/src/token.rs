//! The token's header and claims as chatseal reads and writes them.

use serde_json::{Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, ErrorKind, Result};
use crate::keys::{truncate_for_message, Algorithm};

/// Claim names chatseal sets itself; extra claims may not use them.
pub(crate) const REGISTERED: [&str; 9] = [
    "iss",
    "sub",
    "aud",
    "iat",
    "nbf",
    "exp",
    "jti",
    "context",
    "user_payload",
];

/// Largest time accepted in a claim: 9999-12-31T23:59:59Z.
const MAX_TIME: i64 = 253_402_300_799;

pub(crate) fn unix_time(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// The verified JOSE header.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// The signature algorithm (already checked against the allow-list).
    pub alg: Algorithm,
    /// The `typ` member, if any.
    pub typ: Option<String>,
    /// The key id, if any.
    pub kid: Option<String>,
}

impl Header {
    /// Checks a decoded header: algorithm, `crit`, keys in the header,
    /// nested tokens. Errors name the member.
    pub(crate) fn from_map(map: &Map<String, Value>) -> Result<Self> {
        let alg = match map.get("alg") {
            Some(Value::String(a)) => a.parse::<Algorithm>()?,
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidJson,
                    "token header `alg` is not a string",
                ))
            }
            None => return Err(Error::malformed("token header has no `alg`")),
        };
        if let Some(crit) = map.get("crit") {
            let names: Vec<String> = match crit {
                Value::Array(a) => a
                    .iter()
                    .map(|v| truncate_for_message(v.as_str().unwrap_or("?")))
                    .collect(),
                _ => vec!["(not an array)".to_owned()],
            };
            return Err(Error::new(
                ErrorKind::UnsupportedCritical,
                format!(
                    "token header marks {names:?} as critical; chatseal understands no `crit` \
                     extension, so the token is refused"
                ),
            ));
        }
        if let Some(m) = ["jwk", "jku", "x5u", "x5c"]
            .iter()
            .find(|m| map.contains_key(**m))
        {
            return Err(Error::new(
                ErrorKind::EmbeddedKey,
                format!(
                    "token header carries `{m}`; keys come from the verifier's configuration, \
                     never from the token"
                ),
            ));
        }
        if map.contains_key("cty") {
            return Err(Error::malformed(
                "token header has `cty` (a nested token); nested tokens are refused",
            ));
        }
        if map.contains_key("enc") {
            return Err(Error::malformed(
                "token header has `enc`: a JWE was given where a signed JWT is expected",
            ));
        }
        let typ = match map.get("typ") {
            None => None,
            Some(Value::String(t))
                if t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("application/jwt") =>
            {
                Some(t.clone())
            }
            Some(Value::String(t)) => {
                return Err(Error::malformed(format!(
                    "token header `typ` is `{}`; a widget token is `JWT`",
                    truncate_for_message(t)
                )))
            }
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidJson,
                    "token header `typ` is not a string",
                ))
            }
        };
        let kid = match map.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.clone()),
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidJson,
                    "token header `kid` is not a string",
                ))
            }
        };
        Ok(Self { alg, typ, kid })
    }
}

/// The claims of a verified token.
///
/// The registered claims are parsed and type-checked; every claim, including
/// those, is also available as JSON through [`Claims::all`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Claims {
    /// Issuer.
    pub iss: Option<String>,
    /// Subject: the stable user id.
    pub sub: Option<String>,
    /// Audiences (a single string in the token becomes one entry).
    pub aud: Vec<String>,
    /// Issued at, seconds since the epoch.
    pub iat: Option<i64>,
    /// Not before, seconds since the epoch.
    pub nbf: Option<i64>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Token id.
    pub jti: Option<String>,
    all: Map<String, Value>,
}

fn time_claim(map: &Map<String, Value>, name: &str) -> Result<Option<i64>> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(t) if (0..=MAX_TIME).contains(&t) => Ok(Some(t)),
            _ => Err(Error::new(
                ErrorKind::InvalidClaim,
                format!(
                    "claim `{name}` must be a whole number of seconds between 0 and {MAX_TIME}, \
                     got {}",
                    truncate_for_message(&n.to_string())
                ),
            )),
        },
        Some(_) => Err(Error::new(
            ErrorKind::InvalidClaim,
            format!("claim `{name}` must be a number (seconds since the epoch)"),
        )),
    }
}

fn string_claim(map: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    string_claim_ref(map, name).map(|s| s.map(str::to_owned))
}

fn string_claim_ref<'a>(map: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::new(
            ErrorKind::InvalidClaim,
            format!("claim `{name}` must be a string"),
        )),
    }
}

impl Claims {
    /// Type-checks the registered claims of a decoded payload.
    pub(crate) fn from_map(all: Map<String, Value>) -> Result<Self> {
        let exp = time_claim(&all, "exp")?.ok_or_else(|| {
            Error::new(
                ErrorKind::MissingClaim,
                "token has no `exp` claim; every token must expire",
            )
        })?;
        let aud = match all.get("aud") {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) if a.len() <= 64 => a
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        Error::new(
                            ErrorKind::InvalidClaim,
                            "claim `aud` must hold only strings",
                        )
                    })
                })
                .collect::<Result<_>>()?,
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidClaim,
                    "claim `aud` must be a string or an array of at most 64 strings",
                ))
            }
        };
        // Checked here, read through `context()`: no copy on the hot path.
        match all.get("context") {
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidClaim,
                    "claim `context` must be a JSON object",
                ))
            }
        }
        string_claim_ref(&all, "user_payload")?;
        Ok(Self {
            iss: string_claim(&all, "iss")?,
            sub: string_claim(&all, "sub")?,
            aud,
            iat: time_claim(&all, "iat")?,
            nbf: time_claim(&all, "nbf")?,
            exp,
            jti: string_claim(&all, "jti")?,
            all,
        })
    }

    /// Plain, non-secret user attributes (the `context` claim), if any.
    pub fn context(&self) -> Option<&Map<String, Value>> {
        self.all.get("context").and_then(Value::as_object)
    }

    /// The encrypted payload as it appears in the token (ciphertext), if any.
    pub fn user_payload(&self) -> Option<&str> {
        self.all.get("user_payload").and_then(Value::as_str)
    }

    /// Every claim of the token as JSON, registered ones included.
    pub fn all(&self) -> &Map<String, Value> {
        &self.all
    }

    /// One claim by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.all.get(name)
    }
}
