//! PKCS#11 URIs (RFC 7512): how a token and a key object are named.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Result};
use crate::keys::truncate_for_message;

/// The longest URI accepted (a bound on what a configuration can make us parse).
const MAX_URI_LEN: usize = 4096;

/// The kind of object a URI's `type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pkcs11ObjectType {
    /// `type=private`: a private key.
    Private,
    /// `type=public`: a public key.
    Public,
    /// `type=cert`, `type=secret-key` or `type=data`: objects chatseal
    /// never uses (kept so that such a URI is refused by name).
    Other,
}

/// A PKCS#11 URI (RFC 7512) naming a token and, for a key, one object in it:
/// `pkcs11:token=chatseal;object=client-2026-12;type=private`.
///
/// The path attributes chatseal matches are `token`, `manufacturer`,
/// `model`, `serial`, `slot-id`, `slot-description`, `slot-manufacturer`,
/// `object`, `id` and `type`; `library-*` attributes are parsed and
/// ignored, `x-` vendor attributes too. The query attribute `module-path`
/// names the module. A `pin-value` is refused (a PIN in a URI ends up in
/// argv, shell history and logs), and so are `pin-source` and `module-name`
/// (give the PIN file and the module path separately).
///
/// ```
/// # #[cfg(feature = "pkcs11")] {
/// use chatseal::Pkcs11Uri;
/// let uri: Pkcs11Uri = "pkcs11:token=chatseal;object=client%202026;id=%01%02;type=private"
///     .parse()?;
/// assert_eq!(uri.token(), Some("chatseal"));
/// assert_eq!(uri.object(), Some("client 2026"));
/// assert_eq!(uri.id(), Some(&[1u8, 2][..]));
/// assert_eq!(uri.to_string(), "pkcs11:token=chatseal;object=client%202026;id=%01%02;type=private");
/// # }
/// # Ok::<(), chatseal::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pkcs11Uri {
    token: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
    serial: Option<String>,
    slot_id: Option<u64>,
    slot_description: Option<String>,
    slot_manufacturer: Option<String>,
    object: Option<String>,
    id: Option<Vec<u8>>,
    object_type: Option<Pkcs11ObjectType>,
    module_path: Option<String>,
}

fn bad(uri: &str, why: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidPkcs11Uri,
        format!(
            "PKCS#11 URI `{}` is invalid: {why} (RFC 7512, e.g. \
             `pkcs11:token=chatseal;object=client-2026-12;type=private`)",
            truncate_for_message(uri)
        ),
    )
}

/// Decodes `%XX` escapes; refuses a stray `%` or a bad hex digit.
fn pct_decode(uri: &str, v: &str) -> Result<Vec<u8>> {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| bad(uri, "a `%` is not followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn pct_text(uri: &str, name: &str, v: &str) -> Result<String> {
    String::from_utf8(pct_decode(uri, v)?)
        .map_err(|_| bad(uri, format!("`{name}` is not UTF-8 once decoded")))
}

/// Encodes every byte outside RFC 3986 `unreserved` (and `:`, `@`, `&`, `+`
/// in the path, RFC 7512 `pk11-pchar`).
fn pct_encode(out: &mut String, v: &[u8], all: bool) {
    for &c in v {
        let keep = !all
            && (c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'-' | b'.'
                        | b'_'
                        | b'~'
                        | b':'
                        | b'@'
                        | b'!'
                        | b'$'
                        | b'\''
                        | b'('
                        | b')'
                        | b'*'
                        | b'+'
                        | b','
                ));
        if keep {
            out.push(char::from(c));
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
}

impl Pkcs11Uri {
    /// The `token` attribute (the token's label).
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The `object` attribute (the object's `CKA_LABEL`).
    pub fn object(&self) -> Option<&str> {
        self.object.as_deref()
    }

    /// The `id` attribute (the object's `CKA_ID`).
    pub fn id(&self) -> Option<&[u8]> {
        self.id.as_deref()
    }

    /// The `type` attribute.
    pub fn object_type(&self) -> Option<Pkcs11ObjectType> {
        self.object_type
    }

    /// The `module-path` query attribute, if the URI names the module.
    pub fn module_path(&self) -> Option<&str> {
        self.module_path.as_deref()
    }

    /// Whether the URI names an object (by `object` or `id`), not only a
    /// token.
    pub fn names_object(&self) -> bool {
        self.object.is_some() || self.id.is_some()
    }

    /// The same token, naming the private key object with `id` and `label`.
    pub fn with_private_key(&self, id: &[u8], label: &str) -> Self {
        Self {
            object: Some(label.to_owned()),
            id: Some(id.to_vec()),
            object_type: Some(Pkcs11ObjectType::Private),
            ..self.token_only()
        }
    }

    /// The token part of the URI alone (no object, id or type).
    pub fn token_only(&self) -> Self {
        Self {
            object: None,
            id: None,
            object_type: None,
            ..self.clone()
        }
    }

    /// Whether a token with these properties is one this URI names.
    pub(crate) fn matches_token(
        &self,
        label: &str,
        manufacturer: &str,
        model: &str,
        serial: &str,
    ) -> bool {
        let eq = |want: &Option<String>, have: &str| {
            want.as_deref().is_none_or(|w| w == have.trim_end())
        };
        eq(&self.token, label)
            && eq(&self.manufacturer, manufacturer)
            && eq(&self.model, model)
            && eq(&self.serial, serial)
    }

    /// Whether a slot with these properties is one this URI names.
    pub(crate) fn matches_slot(&self, id: u64, description: &str, manufacturer: &str) -> bool {
        let eq = |want: &Option<String>, have: &str| {
            want.as_deref().is_none_or(|w| w == have.trim_end())
        };
        self.slot_id.is_none_or(|s| s == id)
            && eq(&self.slot_description, description)
            && eq(&self.slot_manufacturer, manufacturer)
    }
}

impl FromStr for Pkcs11Uri {
    type Err = Error;

    fn from_str(uri: &str) -> Result<Self> {
        if uri.len() > MAX_URI_LEN {
            return Err(bad(uri, format!("longer than {MAX_URI_LEN} bytes")));
        }
        let rest = match uri.get(..7) {
            Some(s) if s.eq_ignore_ascii_case("pkcs11:") => &uri[7..],
            _ => return Err(bad(uri, "it does not start with `pkcs11:`")),
        };
        if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(uri, "it holds a space or a control character"));
        }
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut out = Self::default();
        let mut seen = Vec::new();
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| bad(uri, format!("`{attr}` has no `=`")))?;
            if seen.contains(&name) {
                return Err(bad(uri, format!("`{name}` appears twice")));
            }
            seen.push(name);
            let text = || pct_text(uri, name, value);
            match name {
                "token" => out.token = Some(text()?),
                "manufacturer" => out.manufacturer = Some(text()?),
                "model" => out.model = Some(text()?),
                "serial" => out.serial = Some(text()?),
                "slot-description" => out.slot_description = Some(text()?),
                "slot-manufacturer" => out.slot_manufacturer = Some(text()?),
                "slot-id" => {
                    out.slot_id = Some(
                        text()?
                            .parse()
                            .map_err(|_| bad(uri, "`slot-id` is not a decimal number"))?,
                    )
                }
                "object" => out.object = Some(text()?),
                "id" => {
                    let id = pct_decode(uri, value)?;
                    if id.is_empty() {
                        return Err(bad(uri, "`id` is empty"));
                    }
                    out.id = Some(id)
                }
                "type" => {
                    out.object_type = Some(match text()?.as_str() {
                        "private" => Pkcs11ObjectType::Private,
                        "public" => Pkcs11ObjectType::Public,
                        "cert" | "secret-key" | "data" => Pkcs11ObjectType::Other,
                        other => {
                            return Err(bad(
                                uri,
                                format!(
                                    "`type={}` is not one of public, private, cert, \
                                     secret-key, data",
                                    truncate_for_message(other)
                                ),
                            ))
                        }
                    })
                }
                "library-manufacturer" | "library-description" | "library-version" => {
                    text()?;
                }
                n if n.starts_with("x-") => {
                    text()?;
                }
                other => {
                    return Err(bad(
                        uri,
                        format!("unknown attribute `{}`", truncate_for_message(other)),
                    ))
                }
            }
        }
        let mut seen = Vec::new();
        for attr in query.into_iter().flat_map(|q| q.split('&')) {
            if attr.is_empty() {
                continue;
            }
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| bad(uri, format!("query `{attr}` has no `=`")))?;
            if seen.contains(&name) {
                return Err(bad(uri, format!("`{name}` appears twice")));
            }
            seen.push(name);
            match name {
                "module-path" => out.module_path = Some(pct_text(uri, name, value)?),
                "pin-value" => {
                    return Err(Error::new(
                        ErrorKind::InvalidPkcs11Uri,
                        "a PKCS#11 URI must not carry the PIN (`pin-value`): it would end up \
                         in argv, shell history and logs; give it with --pkcs11-pin-file FILE \
                         or the CHATSEAL_PKCS11_PIN environment variable",
                    ))
                }
                "pin-source" | "module-name" => {
                    return Err(bad(
                        uri,
                        format!(
                            "`{name}` is not supported; give the PIN with \
                             --pkcs11-pin-file FILE (or CHATSEAL_PKCS11_PIN) and the module with \
                             --pkcs11-module PATH (or CHATSEAL_PKCS11_MODULE, or `module-path`)"
                        ),
                    ))
                }
                n if n.starts_with("x-") => {}
                other => {
                    return Err(bad(
                        uri,
                        format!("unknown query attribute `{}`", truncate_for_message(other)),
                    ))
                }
            }
        }
        Ok(out)
    }
}

impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::from("pkcs11:");
        let mut first = true;
        let mut put = |s: &mut String, name: &str, v: &[u8], all: bool| {
            if !first {
                s.push(';');
            }
            first = false;
            s.push_str(name);
            s.push('=');
            pct_encode(s, v, all);
        };
        let text = [
            ("token", &self.token),
            ("manufacturer", &self.manufacturer),
            ("model", &self.model),
            ("serial", &self.serial),
            ("slot-description", &self.slot_description),
            ("slot-manufacturer", &self.slot_manufacturer),
        ];
        for (name, v) in text {
            if let Some(v) = v {
                put(&mut s, name, v.as_bytes(), false);
            }
        }
        if let Some(id) = self.slot_id {
            put(&mut s, "slot-id", id.to_string().as_bytes(), false);
        }
        if let Some(o) = &self.object {
            put(&mut s, "object", o.as_bytes(), false);
        }
        if let Some(id) = &self.id {
            put(&mut s, "id", id, true);
        }
        if let Some(t) = self.object_type {
            let name = match t {
                Pkcs11ObjectType::Private => "private",
                Pkcs11ObjectType::Public => "public",
                Pkcs11ObjectType::Other => "data",
            };
            put(&mut s, "type", name.as_bytes(), false);
        }
        if let Some(m) = &self.module_path {
            s.push_str("?module-path=");
            let mut enc = String::new();
            pct_encode(&mut enc, m.as_bytes(), false);
            // `/` is fine in a query.
            s.push_str(&enc.replace("%2F", "/"));
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> ErrorKind {
        s.parse::<Pkcs11Uri>().unwrap_err().kind()
    }

    #[test]
    fn rfc7512_examples_parse() {
        // RFC 7512 section 3.3.
        for ok in [
            "pkcs11:",
            "pkcs11:object=my-pubkey;type=public",
            "pkcs11:object=my-key;type=private?pin-source=file:/etc/token".split('?').next().unwrap(),
            "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=",
            "pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert",
            "pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert",
            "pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a?pin-source=file:/etc/token_pin&vendor-bbb=value-b".replace("vendor-aaa", "x-aaa").split('?').next().unwrap(),
            "pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;library-version=1.23",
            "pkcs11:slot-description=Sun%20Metaslot",
            "pkcs11:token=chatseal?module-path=/usr/lib/softhsm/libsofthsm2.so",
        ] {
            ok.parse::<Pkcs11Uri>().unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        let u: Pkcs11Uri = "pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;id=%69%95%3E"
            .parse()
            .unwrap();
        assert_eq!(u.token(), Some("A name with a substring %;"));
        assert_eq!(u.id(), Some(&[0x69, 0x95, 0x3e][..]));
        assert!(u.names_object());
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "pkcs11:token=chatseal;object=client-2026-12;type=private",
            "pkcs11:token=a%3Bb%3Dc%25;serial=0042;slot-id=7;object=x;id=%00%FF;type=public",
            "pkcs11:token=chatseal?module-path=/usr/lib/softhsm/libsofthsm2.so",
        ] {
            let u: Pkcs11Uri = s.parse().unwrap();
            assert_eq!(u.to_string(), s);
            assert_eq!(u.to_string().parse::<Pkcs11Uri>().unwrap(), u);
        }
        let u: Pkcs11Uri = "pkcs11:token=t".parse().unwrap();
        let k = u.with_private_key(&[1, 2], "client 1");
        assert_eq!(
            k.to_string(),
            "pkcs11:token=t;object=client%201;id=%01%02;type=private"
        );
        assert_eq!(k.token_only(), u);
    }

    #[test]
    fn bad_uris_are_typed_errors() {
        for s in [
            "",
            "pkcs12:token=x",
            "token=x",
            "pkcs11:token",
            "pkcs11:token=a;token=b",
            "pkcs11:token=%zz",
            "pkcs11:token=%4",
            "pkcs11:token=%FF",
            "pkcs11:slot-id=seven",
            "pkcs11:type=secret",
            "pkcs11:colour=blue",
            "pkcs11:id=",
            "pkcs11:token=a b",
            "pkcs11:token=a?pin-source=file:/x",
            "pkcs11:token=a?module-name=softhsm2",
            "pkcs11:token=a?colour=blue",
            "pkcs11:token=a?module-path=/a&module-path=/b",
        ] {
            assert_eq!(kind(s), ErrorKind::InvalidPkcs11Uri, "{s}");
        }
        let long = format!("pkcs11:token={}", "a".repeat(MAX_URI_LEN));
        assert_eq!(kind(&long), ErrorKind::InvalidPkcs11Uri);
    }

    #[test]
    fn a_pin_in_the_uri_is_refused_without_echoing_it() {
        let e = "pkcs11:token=a?pin-value=123456"
            .parse::<Pkcs11Uri>()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidPkcs11Uri);
        assert!(!e.to_string().contains("123456"), "{e}");
    }

    #[test]
    fn token_and_slot_matching() {
        let u: Pkcs11Uri = "pkcs11:token=chatseal;serial=42;slot-id=3".parse().unwrap();
        assert!(u.matches_token("chatseal", "m", "x", "42"));
        assert!(u.matches_token("chatseal                        ", "m", "x", "42  "));
        assert!(!u.matches_token("other", "m", "x", "42"));
        assert!(u.matches_slot(3, "d", "m"));
        assert!(!u.matches_slot(4, "d", "m"));
    }
}
