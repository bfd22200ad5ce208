//! Calls that skip checks. Everything here is for debugging and tooling
//! (such as `chatseal inspect`), never for deciding whether to trust a token.

use serde_json::{Map, Value};

use crate::encoding::{b64url_decode, parse_object};
use crate::error::{Error, Result};

/// Largest token [`insecure_decode`] looks at.
const MAX_INSPECT: usize = 1024 * 1024;

/// Decodes a compact JWS's header and claims **without verifying anything**.
///
/// The result is attacker-controlled data. Use it to look at a token, never
/// to decide anything.
///
/// ```
/// use chatseal::dangerous::insecure_decode;
/// let (header, claims) = insecure_decode("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.").unwrap();
/// assert_eq!(header["alg"], "none");
/// assert_eq!(claims["sub"], "x");
/// ```
pub fn insecure_decode(token: &str) -> Result<(Map<String, Value>, Map<String, Value>)> {
    if token.len() > MAX_INSPECT {
        return Err(Error::new(
            crate::ErrorKind::TokenTooLarge,
            format!("token is larger than {MAX_INSPECT} bytes"),
        ));
    }
    let parts: Vec<&str> = token.trim().split('.').collect();
    if parts.len() != 3 {
        return Err(Error::malformed(format!(
            "token has {} segments; a signed JWT has 3",
            parts.len()
        )));
    }
    let header = parse_object(&b64url_decode(parts[0], "token header")?, "token header")?;
    let claims = parse_object(&b64url_decode(parts[1], "token claims")?, "token claims")?;
    Ok((header, claims))
}
