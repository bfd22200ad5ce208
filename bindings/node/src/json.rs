//! JSON across the boundary, with JavaScript's own `JSON.stringify` and
//! `JSON.parse`, so that objects handed in (`context`, `claims`, JWKs) become
//! the same JSON text `jsonwebtoken` or `jose` would sign, and claims handed
//! out are the objects those libraries would return.

use chatseal::serde_json::{self, Map, Value};
use napi::bindgen_prelude::{Function, JsObjectValue, Object, Unknown};
use napi::{Env, JsValue, ValueType};

use crate::error::{misuse, Failure};

fn json_function<'env>(env: &'env Env, name: &str) -> napi::Result<Function<'env>> {
    let json: Object<'env> = env.get_global()?.get_named_property("JSON")?;
    json.get_named_property(name)
}

/// `JSON.stringify(value)`; `what` names the argument in the error when the
/// value has no JSON form.
pub(crate) fn stringify(env: &Env, value: Unknown<'_>, what: &str) -> Result<String, Failure> {
    let text = json_function(env, "stringify")
        .and_then(|f| f.call(value))
        .map_err(|e| misuse(format!("{what} cannot be written as JSON: {}", e.reason)))?;
    if text.get_type().ok() != Some(ValueType::String) {
        return Err(misuse(format!("{what} has no JSON form")));
    }
    text.coerce_to_string()
        .and_then(|s| s.into_utf8())
        .and_then(|s| s.into_owned())
        .map_err(|e| misuse(format!("{what}: {}", e.reason)))
}

/// `JSON.parse(text)`.
pub(crate) fn parse<'env>(env: &'env Env, text: &str) -> napi::Result<Unknown<'env>> {
    let s = env.create_string(text)?;
    json_function(env, "parse")?.call(s.to_unknown())
}

/// An object handed in as a JavaScript object (or as JSON text), as the
/// JSON object it denotes; anything but an object is the caller's mistake.
pub(crate) fn object_arg(
    env: &Env,
    value: Unknown<'_>,
    what: &str,
) -> Result<Map<String, Value>, Failure> {
    let text = json_text_arg(env, value, what)?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(misuse(format!(
            "{what} must be an object, not {}",
            kind(&other)
        ))),
        Err(e) => Err(misuse(format!("{what} is not valid JSON: {e}"))),
    }
}

/// A value handed in as JSON text (a string is taken as the text itself) or
/// as a JavaScript value (written with `JSON.stringify`).
pub(crate) fn json_text_arg(env: &Env, value: Unknown<'_>, what: &str) -> Result<String, Failure> {
    if value.get_type().ok() == Some(ValueType::String) {
        return value
            .coerce_to_string()
            .and_then(|s| s.into_utf8())
            .and_then(|s| s.into_owned())
            .map_err(|e| misuse(format!("{what}: {}", e.reason)));
    }
    stringify(env, value, what)
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
