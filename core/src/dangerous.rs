//! Calls that skip checks. Everything here is for debugging and tooling
//! (such as `chatseal inspect`), never for deciding whether to trust a token.

use serde_json::{Map, Value};

use crate::encoding::{b64url_decode, parse_object};
use crate::error::{Error, ErrorKind, Result};
use crate::keys::{ClientVerifyingKey, PlatformDecryptionKey};
use crate::secret::SecretBytes;
use crate::token::Header;
use crate::verifier::{Verifier, DEFAULT_MAX_TOKEN_SIZE};

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

/// Checks a compact JWS's header and signature **without reading any claim**,
/// and returns the verified header and the raw payload bytes.
///
/// It runs the very code path of [`Verifier::verify`] up to and including
/// the signature: the size bound ([`DEFAULT_MAX_TOKEN_SIZE`]), strict
/// base64url, the header checks (`alg: none`, HMAC, unsupported algorithms,
/// `crit`, embedded keys), the algorithm allow-list (exactly the algorithms
/// of `keys`, the verifier's default), key choice by `kid` and the
/// signature. Then it stops: the payload may be anything, even empty, and
/// no `exp`, `nbf`, `iat`, `iss`, `aud` or `sub` is looked at.
///
/// It exists to test the signature layer against foreign test vectors whose
/// payloads are not JWT claims. A widget token must go through a
/// [`Verifier`], which checks the claims too.
///
/// # Errors
///
/// Whatever [`Verifier::verify`] returns for the header and signature, and
/// [`ErrorKind::ApiMisuse`] when `keys` is empty or two keys share a `kid`.
///
/// ```
/// use chatseal::{dangerous, Algorithm, ClientSigningKey, Issuer, TokenRequest};
///
/// let key = ClientSigningKey::generate(Algorithm::ES256)?;
/// let issuer = Issuer::builder(key.clone()).issuer("h").audience("p").build()?;
/// let token = issuer.mint(&TokenRequest::new("user-1"))?;
/// let (header, payload) =
///     dangerous::verify_jws_signature_only(&token, &[key.verifying_key().clone()])?;
/// assert_eq!(header.alg, Algorithm::ES256);
/// assert!(payload.starts_with(b"{"));
/// # Ok::<(), chatseal::Error>(())
/// ```
pub fn verify_jws_signature_only(
    token: &str,
    keys: &[ClientVerifyingKey],
) -> Result<(Header, Vec<u8>)> {
    Verifier::builder(keys.iter().cloned())
        .dangerous_skip_issuer_check()
        .dangerous_skip_audience_check()
        .build()?
        .verify_jws_only(token)
}

/// Decrypts a standalone compact JWE (`RSA-OAEP-256` + `A256GCM`) with the
/// first of `keys` that opens it, and returns the plaintext **without
/// reading it**.
///
/// It is the code that decrypts a widget token's `user_payload` in `jwe`
/// format (same header checks, key choice by `kid`, same opaque
/// [`ErrorKind::DecryptionFailed`]), minus the step that reads the
/// `sso_token` out of the plaintext. The JWE is bounded to
/// [`DEFAULT_MAX_TOKEN_SIZE`] bytes. It exists to test the decryption layer
/// against foreign test vectors; a widget token goes through a [`Verifier`]
/// with `decryption_keys`.
///
/// # Errors
///
/// [`ErrorKind::TokenTooLarge`], [`ErrorKind::MalformedToken`],
/// [`ErrorKind::InvalidBase64`], [`ErrorKind::InvalidJson`],
/// [`ErrorKind::UnsupportedAlgorithm`] (any `alg` but `RSA-OAEP-256`, any
/// `enc` but `A256GCM`), [`ErrorKind::CompressionNotSupported`],
/// [`ErrorKind::UnsupportedCritical`], [`ErrorKind::EmbeddedKey`],
/// [`ErrorKind::DecryptionFailed`]; [`ErrorKind::ApiMisuse`] when `keys` is
/// empty.
///
/// ```
/// use chatseal::{dangerous, ErrorKind, PlatformDecryptionKey, RsaKeySize};
///
/// let key = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048)?;
/// // Not a JWE chatseal accepts: the content encryption is A128GCM.
/// let jwe = "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMTI4R0NNIn0.AA.AA.AA.AA";
/// let err = dangerous::decrypt_jwe(jwe, &[key]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnsupportedAlgorithm);
/// # Ok::<(), chatseal::Error>(())
/// ```
pub fn decrypt_jwe(jwe: &str, keys: &[PlatformDecryptionKey]) -> Result<SecretBytes> {
    if keys.is_empty() {
        return Err(Error::misuse(
            "decrypt_jwe needs at least one decryption key",
        ));
    }
    if jwe.len() > DEFAULT_MAX_TOKEN_SIZE {
        return Err(Error::new(
            ErrorKind::TokenTooLarge,
            format!(
                "JWE is {} bytes; at most {DEFAULT_MAX_TOKEN_SIZE} are accepted",
                jwe.len()
            ),
        ));
    }
    crate::payload::decrypt_jwe(keys, jwe).map(SecretBytes::from)
}

/// Decrypts a `user_payload` claim value in `format` with the first of
/// `keys` that opens it, and returns its sso_token, **outside any verified
/// token**.
///
/// It is the very code a [`crate::Verifier`] with `decryption_keys` runs on
/// the `user_payload` of a token whose signature and claims have passed:
/// the same format checks, the same opaque
/// [`crate::ErrorKind::DecryptionFailed`], the same reading of
/// `{"sso_token": ...}`. The payload is bounded to
/// [`crate::DEFAULT_MAX_TOKEN_SIZE`] bytes. It exists so that the decryption
/// layer (including IBM's `wxo` format, which has no standalone form) can be
/// fuzzed and tested on its own. An sso_token is only meaningful inside a
/// token whose signature was checked: a platform decrypts through a
/// [`crate::Verifier`].
///
/// # Errors
///
/// What [`crate::Verifier::verify`] returns for a bad `user_payload`, and
/// [`crate::ErrorKind::ApiMisuse`] when `keys` is empty.
///
/// ```
/// use chatseal::*;
///
/// let client = ClientSigningKey::generate(Algorithm::ES256)?;
/// let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048)?;
/// let issuer = Issuer::builder(client)
///     .without_issuer()
///     .without_audience()
///     .platform_key(platform.encryption_key().clone(), PayloadFormat::Wxo)
///     .build()?;
/// let token = issuer.mint(&TokenRequest::new("u").sso_token(SsoToken::new("idp")))?;
/// let (_, claims) = dangerous::insecure_decode(&token)?;
/// let payload = claims["user_payload"].as_str().unwrap();
/// let sso = dangerous::decrypt_user_payload(payload, &[platform], PayloadFormat::Wxo)?;
/// assert_eq!(sso.unwrap().expose_secret(), "idp");
/// # Ok::<(), chatseal::Error>(())
/// ```
pub fn decrypt_user_payload(
    payload: &str,
    keys: &[crate::PlatformDecryptionKey],
    format: crate::PayloadFormat,
) -> Result<Option<crate::SsoToken>> {
    if keys.is_empty() {
        return Err(Error::misuse(
            "decrypt_user_payload needs at least one decryption key",
        ));
    }
    let max = crate::DEFAULT_MAX_TOKEN_SIZE;
    if payload.len() > max {
        return Err(Error::new(
            crate::ErrorKind::TokenTooLarge,
            format!(
                "user_payload is {} bytes; at most {max} are accepted",
                payload.len()
            ),
        ));
    }
    crate::payload::decrypt(keys, format, payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::b64url;
    use crate::keys::{Algorithm, ClientSigningKey, RsaKeySize};
    use crate::payload::{self, PayloadFormat};
    use crate::secret::SsoToken;

    fn jws(key: &ClientSigningKey, header: &str, payload: &[u8]) -> String {
        let input = format!("{}.{}", b64url(header.as_bytes()), b64url(payload));
        let sig = key.sign(input.as_bytes()).unwrap();
        format!("{input}.{}", b64url(&sig))
    }

    #[test]
    fn signature_only_shares_the_verifiers_checks() {
        let key = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let keys = [key.verifying_key().clone()];
        let h = format!(r#"{{"alg":"ES256","kid":"{}"}}"#, key.kid());
        // Any payload, even empty or not JSON, once the signature holds.
        for payload in [&b""[..], b"foo", b"\x00\xff"] {
            let (header, got) = verify_jws_signature_only(&jws(&key, &h, payload), &keys).unwrap();
            assert_eq!(header.alg, Algorithm::ES256);
            assert_eq!(got, payload);
        }
        // The verifier itself still wants claims: the empty payload is a
        // shape error there.
        let v = Verifier::builder(keys.clone())
            .dangerous_skip_issuer_check()
            .dangerous_skip_audience_check()
            .build()
            .unwrap();
        let e = v.verify(&jws(&key, &h, b"")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MalformedToken);
        // A flipped signature, HMAC, none, another key.
        // Flip a character well inside the signature: the last character of
        // base64url carries padding bits, so changing it could make the
        // encoding non-canonical (InvalidBase64) instead of the signature wrong.
        let mut t = jws(&key, &h, b"foo");
        let at = t.len() - 10;
        let c = if t.as_bytes()[at] == b'A' { "B" } else { "A" };
        t.replace_range(at..at + 1, c);
        let kind = |t: &str| verify_jws_signature_only(t, &keys).unwrap_err().kind();
        assert_eq!(kind(&t), ErrorKind::InvalidSignature);
        assert_eq!(
            kind(&jws(&key, r#"{"alg":"HS256"}"#, b"x")),
            ErrorKind::HmacAlgorithm
        );
        assert_eq!(
            kind(&jws(&key, r#"{"alg":"none"}"#, b"x")),
            ErrorKind::AlgorithmNone
        );
        assert_eq!(
            kind(&jws(&key, r#"{"alg":"PS256"}"#, b"x")),
            ErrorKind::AlgorithmNotAllowed
        );
        let other = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        assert_eq!(
            kind(&jws(&other, r#"{"alg":"ES256"}"#, b"x")),
            ErrorKind::InvalidSignature
        );
        assert_eq!(
            verify_jws_signature_only("a.b.c", &[]).unwrap_err().kind(),
            ErrorKind::ApiMisuse
        );
    }

    #[test]
    fn decrypt_jwe_is_the_user_payload_path() {
        let key = crate::keys::PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
        let jwe = payload::encrypt(
            key.encryption_key(),
            PayloadFormat::Jwe,
            &SsoToken::new("tok"),
        )
        .unwrap();
        let plain = decrypt_jwe(&jwe, std::slice::from_ref(&key)).unwrap();
        assert_eq!(plain.expose_secret(), br#"{"sso_token":"tok"}"#);
        let other = crate::keys::PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
        assert_eq!(
            decrypt_jwe(&jwe, &[other]).unwrap_err().kind(),
            ErrorKind::DecryptionFailed
        );
        assert_eq!(
            decrypt_jwe(&jwe, &[]).unwrap_err().kind(),
            ErrorKind::ApiMisuse
        );
        let huge = "a".repeat(DEFAULT_MAX_TOKEN_SIZE + 1);
        assert_eq!(
            decrypt_jwe(&huge, &[key]).unwrap_err().kind(),
            ErrorKind::TokenTooLarge
        );
    }
}
