//! Strict decoders for attacker-controlled bytes: base64url without padding,
//! and JSON that refuses duplicate members and deep nesting.

use base64::{engine::general_purpose, Engine as _};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

use crate::error::{Error, ErrorKind, Result};

/// How deep JSON in a token may nest (objects and arrays). Tokens have flat
/// claims; a small bound stops stack and CPU exhaustion.
pub(crate) const MAX_JSON_DEPTH: usize = 16;

/// base64url without padding.
pub(crate) fn b64url(data: &[u8]) -> String {
    general_purpose::URL_SAFE_NO_PAD.encode(data)
}

/// Strict base64url: no padding, no whitespace, URL alphabet only, no stray
/// trailing bits. `what` names the segment for the error message.
pub(crate) fn b64url_decode(data: &str, what: &str) -> Result<Vec<u8>> {
    general_purpose::URL_SAFE_NO_PAD.decode(data).map_err(|_| {
        Error::new(
            ErrorKind::InvalidBase64,
            format!("{what} is not strict base64url (no padding, URL alphabet)"),
        )
    })
}

/// Standard base64 with padding (node-rsa's output).
pub(crate) fn b64std(data: &[u8]) -> String {
    general_purpose::STANDARD.encode(data)
}

/// Strict standard base64 with canonical padding.
pub(crate) fn b64std_decode(data: &str, what: &str) -> Result<Vec<u8>> {
    general_purpose::STANDARD.decode(data).map_err(|_| {
        Error::new(
            ErrorKind::InvalidBase64,
            format!("{what} is not strict padded base64"),
        )
    })
}

/// Parses a JSON object strictly: duplicate members and nesting deeper than
/// [`MAX_JSON_DEPTH`] are errors. The error message names `what` and the
/// parser's complaint, so it must only be used on non-secret input.
pub(crate) fn parse_object(bytes: &[u8], what: &str) -> Result<Map<String, Value>> {
    match parse_value(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::new(
            ErrorKind::InvalidJson,
            format!("{what} is not a JSON object"),
        )),
        Err(e) => Err(Error::new(
            ErrorKind::InvalidJson,
            format!("{what} is not valid JSON: {e}"),
        )),
    }
}

/// Parses JSON strictly (see [`parse_object`]).
pub(crate) fn parse_value(bytes: &[u8]) -> std::result::Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Strict(MAX_JSON_DEPTH).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

struct Strict(usize);

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let depth = self.0.checked_sub(1).ok_or_else(too_deep::<A::Error>)?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict(depth))? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let depth = self.0.checked_sub(1).ok_or_else(too_deep::<A::Error>)?;
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(de::Error::custom(format_args!("duplicate member `{k}`")));
            }
            let v = map.next_value_seed(Strict(depth))?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

fn too_deep<E: de::Error>() -> E {
    E::custom(format_args!("nesting deeper than {MAX_JSON_DEPTH} levels"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_base64url() {
        assert_eq!(b64url_decode("AQID", "x").unwrap(), vec![1, 2, 3]);
        for bad in ["AQI=", "AQ+D", "AQ/D", "AQ D", "AR", "A"] {
            let e = b64url_decode(bad, "x").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidBase64, "{bad}");
        }
    }

    #[test]
    fn duplicate_members_refused() {
        let e = parse_object(br#"{"a":1,"a":2}"#, "claims").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidJson);
        assert!(e.message().contains("duplicate"));
        let e = parse_object(br#"{"a":{"b":1,"b":1}}"#, "claims").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidJson);
    }

    #[test]
    fn nesting_bounded() {
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let doc = format!(r#"{{"a":{deep}}}"#);
        assert_eq!(
            parse_object(doc.as_bytes(), "claims").unwrap_err().kind(),
            ErrorKind::InvalidJson
        );
        let ok = format!(r#"{{"a":{}{}}}"#, "[".repeat(10), "]".repeat(10));
        assert!(parse_object(ok.as_bytes(), "claims").is_ok());
    }

    /// A number in a claim (say a `context` attribute) must come back as the
    /// very f64 the host sent, as JavaScript's and Python's parsers return it.
    /// serde_json's default float parser may be one ULP off; core enables its
    /// `float_roundtrip` feature (see core/Cargo.toml). Values found by
    /// tests/tests/roundtrip_props.rs.
    #[test]
    fn floats_parse_exactly() {
        for x in [
            4.116_465_865_551_082e-156_f64,
            -1.246_850_686_660_394_1,
            0.1,
            1e300,
        ] {
            let doc = serde_json::json!({ "n": x }).to_string();
            let map = parse_object(doc.as_bytes(), "claims").unwrap();
            assert_eq!(
                map["n"].as_f64().map(f64::to_bits),
                Some(x.to_bits()),
                "{doc}"
            );
        }
    }

    #[test]
    fn not_an_object_and_trailing_data() {
        assert!(parse_object(b"[1]", "h").is_err());
        assert!(parse_object(b"{} x", "h").is_err());
        assert!(parse_object(b"\"eyJ.a.b\"", "h").is_err());
    }
}
