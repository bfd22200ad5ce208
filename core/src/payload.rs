//! The encrypted `user_payload` claim: `{"sso_token": "..."}` encrypted to the
//! platform's public key, as a compact JWE or in IBM watsonx Orchestrate's
//! format.

use serde_json::{Map, Value};
use std::{fmt, str::FromStr};
use zeroize::Zeroizing;

use crate::backend::{self, Curve, EcdhPublic, Oaep};
use crate::encoding::{b64std, b64std_decode, b64url, b64url_decode, parse_object, parse_value};
use crate::error::{Error, ErrorKind, Result};
use crate::keys::{
    truncate_for_message, DecryptKind, EncryptKind, JweAlgorithm, PlatformDecryptionKey,
    PlatformEncryptionKey,
};
use crate::secret::SsoToken;

/// How `user_payload` is encrypted.
///
/// ```
/// use chatseal::PayloadFormat;
/// assert_eq!("wxo".parse::<PayloadFormat>().unwrap(), PayloadFormat::Wxo);
/// assert_eq!(PayloadFormat::default(), PayloadFormat::Jwe);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum PayloadFormat {
    /// Compact JWE (RFC 7516): `A256GCM` content encryption, the key
    /// management the platform key names (`RSA-OAEP-256` for an RSA key,
    /// `ECDH-ES+A256KW` or `ECDH-ES` for a P-256 or X25519 key), the platform
    /// key's `kid` in the header.
    #[default]
    Jwe,
    /// IBM watsonx Orchestrate's embed format: node-rsa's default RSA-OAEP
    /// (SHA-1, MGF1-SHA-1) over the JSON text, cut into equal slices of at
    /// most (key bytes − 42), the blocks concatenated and base64-encoded with
    /// padding. No integrity beyond OAEP's and no `kid`: use it only where
    /// IBM compatibility is needed.
    Wxo,
}

impl PayloadFormat {
    /// The name used in configuration: `jwe` or `wxo`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Jwe => "jwe",
            Self::Wxo => "wxo",
        }
    }
}

impl FromStr for PayloadFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "jwe" => Ok(Self::Jwe),
            "wxo" => Ok(Self::Wxo),
            other => Err(Error::misuse(format!(
                "payload format `{}` is unknown; use `jwe` or `wxo`",
                truncate_for_message(other)
            ))),
        }
    }
}

impl fmt::Display for PayloadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The plaintext of `user_payload`: `{"sso_token":"..."}`, written straight
/// into a zeroizing buffer sized so that it never reallocates (a reallocation
/// would leave a copy of the secret behind in freed memory).
fn payload_json(sso_token: &SsoToken) -> Zeroizing<Vec<u8>> {
    let secret = sso_token.expose_secret();
    // Worst case JSON escaping is 6 bytes per input byte (`\u00XX`).
    let mut out = Zeroizing::new(Vec::with_capacity(secret.len() * 6 + 16));
    out.extend_from_slice(b"{\"sso_token\":");
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, secret);
    out.push(b'}');
    out
}

/// Reads the sso_token out of decrypted payload bytes. Errors say nothing
/// about the content.
fn sso_token_from(plain: &[u8]) -> Result<Option<SsoToken>> {
    let mut v = parse_value(plain).map_err(|_| Error::decryption_failed())?;
    let Some(obj) = v.as_object_mut() else {
        return Err(Error::decryption_failed());
    };
    let token = match obj.remove("sso_token") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(SsoToken::new(s)),
        Some(_) => return Err(Error::decryption_failed()),
    };
    // Wipe what else the payload held.
    if let Value::Object(rest) = &mut v {
        for (_, val) in rest.iter_mut() {
            if let Value::String(s) = val {
                zeroize::Zeroize::zeroize(s);
            }
        }
    }
    Ok(token)
}

/// Encrypts the sso_token to `key` in `format`.
pub(crate) fn encrypt(
    key: &PlatformEncryptionKey,
    format: PayloadFormat,
    sso_token: &SsoToken,
) -> Result<String> {
    let plain = payload_json(sso_token);
    match format {
        PayloadFormat::Jwe => encrypt_jwe(key, &plain),
        PayloadFormat::Wxo => encrypt_wxo(key, &plain),
    }
}

/// Decrypts `user_payload` with the first of `keys` that opens it.
pub(crate) fn decrypt(
    keys: &[PlatformDecryptionKey],
    format: PayloadFormat,
    payload: &str,
) -> Result<Option<SsoToken>> {
    let plain = match format {
        PayloadFormat::Jwe => decrypt_jwe(keys, payload)?,
        PayloadFormat::Wxo => decrypt_wxo(keys, payload)?,
    };
    sso_token_from(&plain)
}

// --- Compact JWE: RSA-OAEP-256 or ECDH-ES(+A256KW), with A256GCM -------------

/// Largest decoded `apu` / `apv` accepted (RFC 7518 §4.6.1.2-3 sets no
/// bound; these are party names, not data).
const MAX_PARTY_INFO: usize = 256;

/// The `epk` JWK of an ephemeral public key.
fn epk_json(epk: &EcdhPublic) -> Value {
    match epk.curve() {
        Curve::P256 => serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(&epk.bytes()[1..33]),
            "y": b64url(&epk.bytes()[33..]),
        }),
        Curve::X25519 => serde_json::json!({
            "kty": "OKP",
            "crv": "X25519",
            "x": b64url(epk.bytes()),
        }),
    }
}

fn encrypt_jwe(key: &PlatformEncryptionKey, plain: &[u8]) -> Result<String> {
    let alg = key.jwe_algorithm();
    let mut header = serde_json::json!({
        "alg": alg.as_str(),
        "enc": "A256GCM",
        "kid": key.kid(),
    });
    let mut cek = Zeroizing::new(vec![0u8; 32]);
    let ek = match (key.kind(), alg) {
        (EncryptKind::Rsa(enc), JweAlgorithm::RsaOaep256) => {
            backend::fill_random(&mut cek)?;
            enc.encrypt(Oaep::Sha256, &cek)?
        }
        (EncryptKind::Ecdh(peer), JweAlgorithm::EcdhEs | JweAlgorithm::EcdhEsA256kw) => {
            let (epk, z) = backend::ecdh_ephemeral(peer)?;
            header["epk"] = epk_json(&epk);
            if alg == JweAlgorithm::EcdhEs {
                // Direct key agreement: the KDF output is the content key.
                cek = backend::concat_kdf(&z, b"A256GCM", b"", b"", 32)?;
                Vec::new()
            } else {
                let kek = backend::concat_kdf(&z, alg.as_str().as_bytes(), b"", b"", 32)?;
                backend::fill_random(&mut cek)?;
                backend::aes256kw_wrap(&kek, &cek)?
            }
        }
        _ => return Err(Error::internal("platform key and JWE algorithm disagree")),
    };
    let protected = b64url(header.to_string().as_bytes());
    let mut iv = [0u8; 12];
    backend::fill_random(&mut iv)?;
    let (ct, tag) = backend::aes256gcm_seal(&cek, &iv, protected.as_bytes(), plain)?;
    Ok(format!(
        "{protected}.{}.{}.{}.{}",
        b64url(&ek),
        b64url(&iv),
        b64url(&ct),
        b64url(&tag)
    ))
}

/// What a checked JWE protected header says.
struct JweHeader {
    alg: JweAlgorithm,
    kid: Option<String>,
    /// The sender's ephemeral key (ECDH-ES only), validated on its curve.
    epk: Option<EcdhPublic>,
    apu: Vec<u8>,
    apv: Vec<u8>,
}

/// Reads and validates `epk` (RFC 7518 §4.6.1.1): a public JWK on P-256 or
/// X25519 whose point is on the curve. Private members are refused.
fn parse_epk(v: &Value) -> Result<EcdhPublic> {
    let Value::Object(m) = v else {
        return Err(Error::malformed(
            "user_payload JWE `epk` is not a JSON object",
        ));
    };
    if let Some(p) = ["d", "p", "q", "dp", "dq", "qi", "k"]
        .iter()
        .find(|p| m.contains_key(**p))
    {
        return Err(Error::new(
            ErrorKind::EmbeddedKey,
            format!("user_payload JWE `epk` carries the private member `{p}`"),
        ));
    }
    let text = |name: &str| -> Result<Vec<u8>> {
        match m.get(name) {
            Some(Value::String(s)) => b64url_decode(s, &format!("user_payload JWE `epk.{name}`")),
            _ => Err(Error::malformed(format!(
                "user_payload JWE `epk` has no string `{name}`"
            ))),
        }
    };
    let kty = m.get("kty").and_then(Value::as_str);
    let crv = m.get("crv").and_then(Value::as_str);
    match (kty, crv) {
        (Some("EC"), Some("P-256")) => {
            let (x, y) = (text("x")?, text("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err(Error::malformed(
                    "user_payload JWE `epk` coordinates are not 32 bytes",
                ));
            }
            let point = [&[4u8][..], &x, &y].concat();
            // Checked on P-256 by the agreement, before anything secret is
            // touched (the invalid-curve attack is refused there).
            EcdhPublic::p256_point(&point)
                .map_err(|_| Error::malformed("user_payload JWE `epk` is not a P-256 point"))
        }
        (Some("OKP"), Some("X25519")) => {
            if m.contains_key("y") {
                return Err(Error::malformed("user_payload JWE X25519 `epk` has a `y`"));
            }
            EcdhPublic::x25519(&text("x")?)
                .map_err(|_| Error::malformed("user_payload JWE X25519 `epk.x` is not 32 bytes"))
        }
        _ => Err(Error::new(
            ErrorKind::UnsupportedAlgorithm,
            format!(
                "user_payload JWE `epk` is a {} key on `{}`; chatseal agrees on P-256 (EC) and \
                 X25519 (OKP)",
                truncate_for_message(kty.unwrap_or("(no kty)")),
                truncate_for_message(crv.unwrap_or("(no crv)"))
            ),
        )),
    }
}

fn party_info(header: &Map<String, Value>, name: &str) -> Result<Vec<u8>> {
    match header.get(name) {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => {
            let v = b64url_decode(s, &format!("user_payload JWE `{name}`"))?;
            if v.len() > MAX_PARTY_INFO {
                return Err(Error::malformed(format!(
                    "user_payload JWE `{name}` is longer than {MAX_PARTY_INFO} bytes"
                )));
            }
            Ok(v)
        }
        Some(_) => Err(Error::malformed(format!(
            "user_payload JWE `{name}` is not a string"
        ))),
    }
}

/// Checks a JWE protected header.
fn check_jwe_header(header: &Map<String, Value>) -> Result<JweHeader> {
    if header.contains_key("zip") {
        return Err(Error::new(
            ErrorKind::CompressionNotSupported,
            "user_payload JWE asks for compression (`zip`), which is refused",
        ));
    }
    if header.contains_key("crit") {
        return Err(Error::new(
            ErrorKind::UnsupportedCritical,
            "user_payload JWE lists `crit` extensions, none of which chatseal understands",
        ));
    }
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some(a) => a.parse::<JweAlgorithm>().map_err(|_| {
            Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "user_payload JWE key management `{}` is not supported; only \
                     RSA-OAEP-256, ECDH-ES and ECDH-ES+A256KW are",
                    truncate_for_message(a)
                ),
            )
        })?,
        None => return Err(Error::malformed("user_payload JWE header has no `alg`")),
    };
    match header.get("enc").and_then(Value::as_str) {
        Some("A256GCM") => {}
        Some(other) => {
            return Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "user_payload JWE content encryption `{}` is not supported; only A256GCM is",
                    truncate_for_message(other)
                ),
            ))
        }
        None => return Err(Error::malformed("user_payload JWE header has no `enc`")),
    }
    // Checked after `alg`/`enc`, so that an unsupported scheme is reported
    // as the unsupported algorithm it is (Wycheproof JWE vectors), not as an
    // embedded key. `epk` is the one key a header may carry, and only for
    // ECDH-ES, where it is the sender's ephemeral public key.
    if let Some(m) = ["jwk", "jku", "x5u", "x5c"]
        .iter()
        .find(|m| header.contains_key(**m))
    {
        return Err(Error::new(
            ErrorKind::EmbeddedKey,
            format!("user_payload JWE header carries `{m}`; keys come from configuration only"),
        ));
    }
    let epk = match (alg.is_ecdh(), header.get("epk")) {
        (true, Some(v)) => Some(parse_epk(v)?),
        (true, None) => {
            return Err(Error::malformed(format!(
                "user_payload JWE is {alg} but its header has no `epk`"
            )))
        }
        (false, Some(_)) => {
            return Err(Error::new(
                ErrorKind::EmbeddedKey,
                format!("user_payload JWE header carries `epk`, which {alg} does not use"),
            ))
        }
        (false, None) => None,
    };
    let (apu, apv) = if alg.is_ecdh() {
        (party_info(header, "apu")?, party_info(header, "apv")?)
    } else {
        (Vec::new(), Vec::new())
    };
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => {
            return Err(Error::new(
                ErrorKind::InvalidJson,
                "user_payload JWE `kid` is not a string",
            ))
        }
    };
    Ok(JweHeader {
        alg,
        kid,
        epk,
        apu,
        apv,
    })
}

/// Whether `key` can open a JWE of `alg` (with ephemeral key `epk`).
fn key_fits(key: &PlatformDecryptionKey, alg: JweAlgorithm, epk: Option<&EcdhPublic>) -> bool {
    match (key.kind(), epk) {
        (DecryptKind::Rsa(_), None) => !alg.is_ecdh(),
        (DecryptKind::Ecdh(k), Some(e)) => alg.is_ecdh() && k.public().curve() == e.curve(),
        _ => false,
    }
}

fn family(key: &PlatformDecryptionKey) -> String {
    match key.kind() {
        DecryptKind::Rsa(_) => "an RSA key".to_owned(),
        DecryptKind::Ecdh(k) => format!("an EC key on {}", k.public().curve().name()),
    }
}

pub(crate) fn decrypt_jwe(keys: &[PlatformDecryptionKey], jwe: &str) -> Result<Zeroizing<Vec<u8>>> {
    let parts: Vec<&str> = jwe.split('.').collect();
    match parts.len() {
        5 => {}
        3 => {
            return Err(Error::malformed(
                "user_payload is a JWS (3 segments) where a JWE (5 segments) is expected",
            ))
        }
        n => {
            return Err(Error::malformed(format!(
                "user_payload has {n} segments; a compact JWE has 5"
            )))
        }
    }
    let header_bytes = b64url_decode(parts[0], "user_payload JWE header")?;
    let header = parse_object(&header_bytes, "user_payload JWE header")?;
    let h = check_jwe_header(&header)?;
    let ek = b64url_decode(parts[1], "user_payload JWE encrypted key")?;
    let iv = b64url_decode(parts[2], "user_payload JWE IV")?;
    let ct = b64url_decode(parts[3], "user_payload JWE ciphertext")?;
    let tag = b64url_decode(parts[4], "user_payload JWE tag")?;
    let aad = parts[0].as_bytes();
    let want = match (&h.epk, h.alg) {
        (Some(e), _) => format!("{} on {}", h.alg, e.curve().name()),
        (None, a) => a.to_string(),
    };

    // With a kid that names one of our keys, use only that key; otherwise
    // try each key of the JWE's family (every failure looks the same).
    let chosen: Vec<&PlatformDecryptionKey> = match h.kid.as_deref() {
        Some(k) if keys.iter().any(|key| key.kid() == k) => {
            let named: Vec<_> = keys.iter().filter(|key| key.kid() == k).collect();
            if !named.iter().any(|key| key_fits(key, h.alg, h.epk.as_ref())) {
                return Err(Error::new(
                    ErrorKind::DecryptionFailed,
                    format!(
                        "user_payload JWE is {want}, but its kid `{}` names {}",
                        truncate_for_message(k),
                        family(named[0])
                    ),
                ));
            }
            named
        }
        _ => keys
            .iter()
            .filter(|key| key_fits(key, h.alg, h.epk.as_ref()))
            .collect(),
    };
    if chosen.is_empty() {
        return Err(Error::new(
            ErrorKind::DecryptionFailed,
            format!("user_payload JWE is {want}, and no decryption key is of that kind"),
        ));
    }
    for key in chosen {
        let cek = match (key.kind(), h.alg) {
            (DecryptKind::Rsa(dec), _) => {
                // RFC 7516 §11.5: on a key-decryption failure carry on with a
                // random CEK so that both failures take the same path and
                // time.
                match dec.decrypt(Oaep::Sha256, &ek) {
                    Ok(cek) if cek.len() == 32 => cek,
                    // A key in a PKCS#11 token that is away: say so (it
                    // tells nothing about the ciphertext).
                    Err(e) if e.kind() != ErrorKind::DecryptionFailed => return Err(e),
                    _ => {
                        let mut random = Zeroizing::new(vec![0u8; 32]);
                        backend::fill_random(&mut random)?;
                        random
                    }
                }
            }
            (DecryptKind::Ecdh(k), alg) => {
                let Some(epk) = &h.epk else { continue };
                // A bad `epk` (off the curve, low order) fails for every key
                // alike: say so once.
                let z = k.agree(epk)?;
                if alg == JweAlgorithm::EcdhEs {
                    if !ek.is_empty() {
                        return Err(Error::malformed(
                            "user_payload JWE is direct ECDH-ES but has an encrypted key",
                        ));
                    }
                    backend::concat_kdf(&z, b"A256GCM", &h.apu, &h.apv, 32)?
                } else {
                    let kek = backend::concat_kdf(&z, alg.as_str().as_bytes(), &h.apu, &h.apv, 32)?;
                    match backend::aes256kw_unwrap(&kek, &ek) {
                        Ok(cek) if cek.len() == 32 => cek,
                        _ => continue,
                    }
                }
            }
        };
        if let Ok(plain) = backend::aes256gcm_open(&cek, &iv, aad, &ct, &tag) {
            return Ok(plain);
        }
    }
    Err(Error::decryption_failed())
}

// --- IBM watsonx Orchestrate (node-rsa default) ------------------------------

fn encrypt_wxo(key: &PlatformEncryptionKey, plain: &[u8]) -> Result<String> {
    let EncryptKind::Rsa(enc) = key.kind() else {
        return Err(Error::misuse(
            "the `wxo` format is RSA-OAEP only (IBM's format); an EC platform key needs `jwe`",
        ));
    };
    let max = enc.size_bytes() - Oaep::Sha1.overhead();
    // node-rsa: count = ceil(len / max) || 1; slice size = ceil(len / count).
    let count = plain.len().div_ceil(max).max(1);
    let slice = plain.len().div_ceil(count).max(1);
    let mut out = Vec::with_capacity(count * enc.size_bytes());
    if plain.is_empty() {
        out.extend_from_slice(&enc.encrypt(Oaep::Sha1, plain)?);
    }
    for chunk in plain.chunks(slice) {
        out.extend_from_slice(&enc.encrypt(Oaep::Sha1, chunk)?);
    }
    Ok(b64std(&out))
}

fn decrypt_wxo(keys: &[PlatformDecryptionKey], payload: &str) -> Result<Zeroizing<Vec<u8>>> {
    if payload.split('.').count() == 5 {
        return Err(Error::malformed(
            "user_payload is a JWE, but the verifier expects the `wxo` format",
        ));
    }
    let bytes = b64std_decode(payload, "user_payload (wxo)")?;
    let mut any_size = false;
    let rsa: Vec<_> = keys
        .iter()
        .filter_map(|k| match k.kind() {
            DecryptKind::Rsa(dec) => Some(dec),
            DecryptKind::Ecdh(_) => None,
        })
        .collect();
    if rsa.is_empty() {
        return Err(Error::new(
            ErrorKind::DecryptionFailed,
            "user_payload is in the `wxo` format (RSA-OAEP), and no decryption key is RSA",
        ));
    }
    for dec in rsa {
        let size = dec.size_bytes();
        if bytes.is_empty() || bytes.len() % size != 0 {
            continue;
        }
        any_size = true;
        let mut plain = Zeroizing::new(Vec::with_capacity(bytes.len()));
        let mut ok = true;
        for block in bytes.chunks(size) {
            match dec.decrypt(Oaep::Sha1, block) {
                Ok(p) => plain.extend_from_slice(&p),
                Err(e) if e.kind() != ErrorKind::DecryptionFailed => return Err(e),
                Err(_) => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Ok(plain);
        }
    }
    if !any_size {
        return Err(Error::new(
            ErrorKind::DecryptionFailed,
            "user_payload (wxo) length is not a multiple of any decryption key's size",
        ));
    }
    Err(Error::decryption_failed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::RsaKeySize;

    fn key() -> PlatformDecryptionKey {
        PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap()
    }

    #[test]
    fn jwe_round_trip_and_tamper() {
        let k = key();
        let t = SsoToken::new("s3cr3t-tøken");
        let jwe = encrypt(k.encryption_key(), PayloadFormat::Jwe, &t).unwrap();
        assert_eq!(jwe.split('.').count(), 5);
        let got = decrypt(std::slice::from_ref(&k), PayloadFormat::Jwe, &jwe)
            .unwrap()
            .unwrap();
        assert_eq!(got.expose_secret(), "s3cr3t-tøken");
        // Flip one character in each segment.
        let segs: Vec<&str> = jwe.split('.').collect();
        for i in 0..5 {
            let mut s: Vec<String> = segs.iter().map(|s| s.to_string()).collect();
            let c = s[i].remove(0);
            s[i].insert(0, if c == 'A' { 'B' } else { 'A' });
            let bad = s.join(".");
            assert!(
                decrypt(std::slice::from_ref(&k), PayloadFormat::Jwe, &bad).is_err(),
                "segment {i}"
            );
        }
        // Another key cannot open it.
        let e = decrypt(&[key()], PayloadFormat::Jwe, &jwe).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
    }

    #[test]
    fn wxo_slices_like_node_rsa() {
        let k = key();
        // 2048-bit: 214 bytes per slice at most.
        for len in [0usize, 1, 190, 200, 214, 600, 2000] {
            let t = SsoToken::new("x".repeat(len));
            let plain_len = payload_json(&t).len();
            let ct = encrypt(k.encryption_key(), PayloadFormat::Wxo, &t).unwrap();
            let raw = b64std_decode(&ct, "t").unwrap();
            assert_eq!(raw.len(), 256 * plain_len.div_ceil(214).max(1), "len {len}");
            let got = decrypt(std::slice::from_ref(&k), PayloadFormat::Wxo, &ct)
                .unwrap()
                .unwrap();
            assert_eq!(got.expose_secret(), t.expose_secret());
        }
        // Not a multiple of the key size.
        let bad = b64std(&[1u8; 300]);
        let e = decrypt(std::slice::from_ref(&k), PayloadFormat::Wxo, &bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DecryptionFailed);
    }

    #[test]
    fn jwe_header_checks() {
        let k = key();
        let h = |json: &str| {
            let p = b64url(json.as_bytes());
            format!("{p}.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA")
        };
        let cases = [
            (
                r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF"}"#,
                ErrorKind::CompressionNotSupported,
            ),
            (
                r#"{"alg":"RSA1_5","enc":"A256GCM"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":"RSA-OAEP-256","enc":"A128CBC-HS256"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","crit":["x"],"x":1}"#,
                ErrorKind::UnsupportedCritical,
            ),
            (
                r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","alg":"dir"}"#,
                ErrorKind::InvalidJson,
            ),
            // Regression (Wycheproof JWE ECDH-ES vectors): an unsupported
            // scheme is reported as such even when it carries `epk`; a key
            // in the header of a supported one is still an embedded key.
            (
                r#"{"alg":"ECDH-ES","enc":"A256GCM","epk":{"kty":"EC"}}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","epk":{"kty":"EC"}}"#,
                ErrorKind::EmbeddedKey,
            ),
        ];
        for (json, kind) in cases {
            let e = decrypt(std::slice::from_ref(&k), PayloadFormat::Jwe, &h(json)).unwrap_err();
            assert_eq!(e.kind(), kind, "{json}");
        }
        let e = decrypt(std::slice::from_ref(&k), PayloadFormat::Jwe, "a.b.c").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MalformedToken);
    }
}

#[cfg(test)]
mod ec_tests;
