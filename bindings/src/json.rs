//! JSON objects across the boundary: a `dict` in Python, JSON text in Kotlin
//! and Swift.

use chatseal::serde_json::{self, Map, Value};

use crate::error::{misuse, Result};

/// A JSON object handed across the boundary (the `context` and extra
/// claims given to `mint`, the claims of a verified token).
///
/// It crosses as JSON text. Python's side of the conversion is declared in
/// `bindings/uniffi.toml`: a `dict` (or any `Mapping`) is serialised with
/// `json.dumps` on the way in, and text coming back is parsed with
/// `json.loads`, so Python callers never handle the text. Kotlin and Swift
/// see the JSON text itself.
///
/// Text coming in is checked where it is used ([`JsonObject::into_map`]), so
/// that the error names the argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonObject(String);

uniffi::custom_type!(JsonObject, String, {
    lower: |o| o.0,
    try_lift: |text| Ok(JsonObject(text)),
});

impl JsonObject {
    /// JSON text as a foreign caller hands it in; checked when used.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the text handed in as the argument `what`, which must be a
    /// JSON object; anything else is the caller's mistake (`ApiMisuse`).
    pub(crate) fn into_map(self, what: &str) -> Result<Map<String, Value>> {
        match serde_json::from_str::<Value>(&self.0) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(other) => Err(misuse(format!(
                "{what} must be a JSON object (a dict in Python), not {}",
                kind(&other)
            ))),
            Err(e) => Err(misuse(format!("{what} is not valid JSON: {e}"))),
        }
    }
}

impl From<Map<String, Value>> for JsonObject {
    fn from(m: Map<String, Value>) -> Self {
        Self(Value::Object(m).to_string())
    }
}

/// What a JSON value that is not an object is, for the message.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChatsealError;

    #[test]
    fn object_round_trips() {
        let m = JsonObject::new(r#"{"a": [1, "ü"]}"#)
            .into_map("context")
            .unwrap();
        assert_eq!(m["a"], serde_json::json!([1, "ü"]));
        assert_eq!(JsonObject::from(m).as_str(), r#"{"a":[1,"ü"]}"#);
    }

    #[test]
    fn refusals_name_the_argument() {
        for (text, says) in [
            (
                "[1, 2]",
                "context must be a JSON object (a dict in Python), not an array",
            ),
            (
                r#""{\"a\": 1}""#,
                "context must be a JSON object (a dict in Python), not a string",
            ),
            (
                "null",
                "context must be a JSON object (a dict in Python), not null",
            ),
        ] {
            let e = JsonObject::new(text).into_map("context").unwrap_err();
            assert!(matches!(e, ChatsealError::ApiMisuse { .. }), "{e:?}");
            assert_eq!(e.to_string(), says);
        }
        let e = JsonObject::new("{not json").into_map("claims").unwrap_err();
        assert!(
            e.to_string().starts_with("claims is not valid JSON: "),
            "{e}"
        );
    }
}
