//! JWK and JWKS documents, public key material, and the key-id rules.

use super::*;

/// A public JSON Web Key (RFC 7517) as chatseal reads and writes it.
///
/// Private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`) are refused
/// when a JWK is parsed, so a private key can never be loaded by mistake where
/// a public one is expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA` or `EC`.
    pub kty: String,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended use: `sig` or `enc`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// The one algorithm the key is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Allowed operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve: `P-256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// A JSON Web Key Set: `{"keys": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The set as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Largest JWK or JWKS document accepted, in bytes.
pub(crate) const MAX_JWKS_LEN: usize = 512 * 1024;
/// Most keys accepted in one JWKS.
pub(crate) const MAX_JWKS_KEYS: usize = 256;

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

pub(super) fn jwk_from_value(v: Value) -> Result<Jwk> {
    let Value::Object(map) = &v else {
        return Err(Error::invalid_key("JWK is not a JSON object"));
    };
    if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| map.contains_key(**m)) {
        return Err(Error::new(
            ErrorKind::KeyRoleMismatch,
            format!("JWK has the private member `{m}` where a public key is expected"),
        ));
    }
    serde_json::from_value(v).map_err(|e| Error::invalid_key(format!("JWK is malformed: {e}")))
}

impl Jwk {
    /// Parses one public JWK from JSON text.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.len() > MAX_JWKS_LEN {
            return Err(Error::invalid_key("JWK document is too large"));
        }
        let v = parse_value(json.as_bytes())
            .map_err(|e| Error::invalid_key(format!("JWK is not valid JSON: {e}")))?;
        jwk_from_value(v)
    }

    /// The JWK as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub(super) fn member(&self, name: &str, v: &Option<String>) -> Result<Vec<u8>> {
        let s = v
            .as_deref()
            .ok_or_else(|| Error::invalid_key(format!("{} JWK lacks `{name}`", self.kty)))?;
        b64url_decode(s, &format!("JWK member `{name}`"))
            .map_err(|e| Error::invalid_key(e.message().to_owned()))
    }

    pub(super) fn public_material(&self) -> Result<PublicMaterial> {
        match self.kty.as_str() {
            "RSA" => {
                let n = self.member("n", &self.n)?;
                let e = self.member("e", &self.e)?;
                Ok(PublicMaterial::Rsa(RsaPublic::from_components(&n, &e)?))
            }
            "EC" => {
                match self.crv.as_deref() {
                    Some("P-256") => {}
                    other => {
                        return Err(Error::new(
                            ErrorKind::WeakKey,
                            format!(
                                "EC JWK on curve `{}`; only P-256 is accepted",
                                truncate_for_message(other.unwrap_or("(none)"))
                            ),
                        ))
                    }
                }
                let x = self.member("x", &self.x)?;
                let y = self.member("y", &self.y)?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(Error::invalid_key("P-256 JWK coordinates must be 32 bytes"));
                }
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Ok(PublicMaterial::Ec(EcPublic::from_der_or_point(&point)?))
            }
            "OKP" => {
                let x = self.member("x", &self.x)?;
                match self.crv.as_deref() {
                    Some("Ed25519") => Ok(PublicMaterial::Ed25519(Ed25519Public::from_raw(&x)?)),
                    Some("X25519") => Ok(PublicMaterial::X25519(EcdhPublic::x25519(&x)?)),
                    other => Err(Error::new(
                        ErrorKind::WeakKey,
                        format!(
                            "OKP JWK on curve `{}`; only Ed25519 (signatures) and X25519 \
                             (encryption) are accepted",
                            truncate_for_message(other.unwrap_or("(none)"))
                        ),
                    )),
                }
            }
            other => Err(Error::new(
                ErrorKind::KeyRoleMismatch,
                format!(
                    "JWK key type `{}` is not supported (RSA, EC or OKP only)",
                    truncate_for_message(other)
                ),
            )),
        }
    }

    /// Checks `use` and `key_ops` against the role a key is loaded for.
    pub(super) fn check_role(&self, role: Role) -> Result<()> {
        let (want_use, ops): (&str, &[&str]) = match role {
            Role::Sig => ("sig", &["verify", "sign"]),
            Role::Enc => ("enc", &["encrypt", "wrapKey", "decrypt", "unwrapKey"]),
        };
        if let Some(u) = self.use_.as_deref() {
            if u != want_use {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!(
                        "JWK has `use: {}` but is loaded as a {} key (`use: {want_use}`)",
                        truncate_for_message(u),
                        role.name()
                    ),
                ));
            }
        }
        if let Some(key_ops) = &self.key_ops {
            if !key_ops.iter().any(|op| ops.contains(&op.as_str())) {
                return Err(Error::new(
                    ErrorKind::KeyRoleMismatch,
                    format!(
                        "JWK `key_ops` allow none of {ops:?}, which a {} key needs",
                        role.name()
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
pub(super) enum Role {
    Sig,
    Enc,
}

impl Role {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Sig => "client signing",
            Self::Enc => "platform encryption",
        }
    }
}

/// Public key material of either kind.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum PublicMaterial {
    Rsa(RsaPublic),
    /// A P-256 point: ES256 signatures, or ECDH-ES encryption.
    Ec(EcPublic),
    /// Ed25519 signatures (RFC 8037 `OKP`).
    Ed25519(Ed25519Public),
    /// X25519 ECDH-ES encryption (RFC 8037 `OKP`).
    X25519(EcdhPublic),
}

impl PublicMaterial {
    pub(super) fn from_spki_der(der: &[u8]) -> Result<Self> {
        if let Some(k) = Ed25519Public::from_spki_der(der) {
            return k.map(Self::Ed25519);
        }
        if let Some(k) = EcdhPublic::x25519_from_spki_der(der) {
            return k.map(Self::X25519);
        }
        // Try RSA first, then P-256; report the more useful error.
        match RsaPublic::from_der(der) {
            Ok(r) => Ok(Self::Rsa(r)),
            Err(e) if e.kind() == ErrorKind::WeakKey => Err(e),
            Err(_) => EcPublic::from_der_or_point(der).map(Self::Ec),
        }
    }

    /// RFC 7638 thumbprint: base64url(SHA-256(canonical JWK)).
    pub(crate) fn thumbprint(&self) -> String {
        let canonical = match self {
            Self::Rsa(r) => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                b64url(&r.e),
                b64url(&r.n)
            ),
            Self::Ec(p) => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                b64url(p.x()),
                b64url(p.y())
            ),
            // RFC 8037 §2: the required members of an OKP key.
            Self::Ed25519(k) => {
                format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64url(&k.0))
            }
            Self::X25519(k) => format!(
                r#"{{"crv":"X25519","kty":"OKP","x":"{}"}}"#,
                b64url(k.bytes())
            ),
        };
        b64url(&backend::sha256(canonical.as_bytes()))
    }

    pub(super) fn spki_der(&self) -> Result<Vec<u8>> {
        match self {
            Self::Rsa(r) => r.spki_der(),
            Self::Ec(p) => Ok(p.spki_der()),
            Self::Ed25519(k) => Ok(k.spki_der()),
            Self::X25519(k) => k.spki_der(),
        }
    }

    pub(super) fn jwk(&self, kid: &str, use_: &str, alg: &str) -> Jwk {
        let mut jwk = Jwk {
            kty: String::new(),
            kid: Some(kid.to_owned()),
            use_: Some(use_.to_owned()),
            alg: Some(alg.to_owned()),
            key_ops: None,
            n: None,
            e: None,
            crv: None,
            x: None,
            y: None,
        };
        match self {
            Self::Rsa(r) => {
                jwk.kty = "RSA".into();
                jwk.n = Some(b64url(&r.n));
                jwk.e = Some(b64url(&r.e));
            }
            Self::Ec(p) => {
                jwk.kty = "EC".into();
                jwk.crv = Some("P-256".into());
                jwk.x = Some(b64url(p.x()));
                jwk.y = Some(b64url(p.y()));
            }
            Self::Ed25519(k) => {
                jwk.kty = "OKP".into();
                jwk.crv = Some("Ed25519".into());
                jwk.x = Some(b64url(&k.0));
            }
            Self::X25519(k) => {
                jwk.kty = "OKP".into();
                jwk.crv = Some("X25519".into());
                jwk.x = Some(b64url(k.bytes()));
            }
        }
        jwk
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Self::Rsa(r) => format!("RSA-{}", r.bits()),
            Self::Ec(_) => "EC P-256".to_owned(),
            Self::Ed25519(_) => "Ed25519".to_owned(),
            Self::X25519(_) => "X25519".to_owned(),
        }
    }
}

/// Checks a caller- or file-supplied key id.
pub(crate) fn check_kid(kid: &str) -> Result<()> {
    if kid.is_empty() || kid.len() > 256 || kid.chars().any(char::is_control) {
        return Err(Error::misuse(
            "a key id must be 1 to 256 characters without control characters",
        ));
    }
    Ok(())
}

pub(super) fn parse_jwks_values(json: &str) -> Result<Vec<Value>> {
    if json.len() > MAX_JWKS_LEN {
        return Err(Error::invalid_key(format!(
            "JWKS document is larger than {MAX_JWKS_LEN} bytes"
        )));
    }
    let v = parse_value(json.as_bytes())
        .map_err(|e| Error::invalid_key(format!("JWKS is not valid JSON: {e}")))?;
    let Some(Value::Array(keys)) = v.get("keys").cloned() else {
        return Err(Error::invalid_key("JWKS has no `keys` array"));
    };
    if keys.len() > MAX_JWKS_KEYS {
        return Err(Error::invalid_key(format!(
            "JWKS has {} keys; at most {MAX_JWKS_KEYS} are accepted",
            keys.len()
        )));
    }
    Ok(keys)
}

/// Whether a JWKS entry is meant for `role`, judged by `use` and `alg` only
/// (entries for other roles or unknown key types are skipped, RFC 7517 §5).
pub(super) fn jwks_entry_for(v: &Value, role: Role) -> bool {
    let use_ = v.get("use").and_then(Value::as_str);
    let alg = v.get("alg").and_then(Value::as_str);
    let kty = v.get("kty").and_then(Value::as_str);
    match role {
        Role::Sig => {
            use_ != Some("enc")
                && matches!(kty, Some("RSA") | Some("EC") | Some("OKP"))
                && v.get("crv").and_then(Value::as_str) != Some("X25519")
                && alg.is_none_or(|a| a.parse::<Algorithm>().is_ok())
        }
        Role::Enc => {
            use_ != Some("sig")
                && matches!(kty, Some("RSA") | Some("EC") | Some("OKP"))
                && v.get("crv").and_then(Value::as_str) != Some("Ed25519")
                && alg.is_none_or(|a| {
                    matches!(
                        a,
                        "RSA-OAEP-256" | "RSA-OAEP" | "ECDH-ES" | "ECDH-ES+A256KW"
                    )
                })
        }
    }
}

pub(super) fn check_unique_kids<'a>(kids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for kid in kids {
        if !seen.insert(kid) {
            return Err(Error::invalid_key(format!(
                "key set has two keys with kid `{}`; key ids must be unique",
                truncate_for_message(kid)
            )));
        }
    }
    Ok(())
}
