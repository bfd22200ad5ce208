//! A small, strict PEM codec (RFC 7468) whose buffers are wiped after use.

use base64::{engine::general_purpose, Engine as _};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};

/// Largest PEM text accepted (an RSA-8192 private key is about 6.5 KiB).
const MAX_PEM_LEN: usize = 64 * 1024;

/// One decoded PEM block.
pub(crate) struct Block {
    pub(crate) label: String,
    pub(crate) der: Zeroizing<Vec<u8>>,
}

/// Decodes the single PEM block in `text`. Text around the block (comments
/// such as OpenSSL's `Bag Attributes`) is ignored; a second block is an error,
/// so a file can never be ambiguous about which key it holds.
pub(crate) fn decode_one(text: &str) -> Result<Block> {
    if text.len() > MAX_PEM_LEN {
        return Err(Error::invalid_key(format!(
            "PEM text is larger than {MAX_PEM_LEN} bytes"
        )));
    }
    let mut block: Option<Block> = None;
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        if block.is_some() {
            return Err(Error::invalid_key(
                "PEM text holds more than one block; give exactly one key",
            ));
        }
        let end = format!("-----END {label}-----");
        let mut body = Zeroizing::new(String::new());
        let mut closed = false;
        for line in lines.by_ref() {
            if line == end {
                closed = true;
                break;
            }
            if line.contains(':') {
                return Err(Error::invalid_key(
                    "PEM block has headers (legacy OpenSSL encryption); convert it to PKCS#8 \
                     with `openssl pkcs8 -topk8`",
                ));
            }
            body.push_str(line);
        }
        if !closed {
            return Err(Error::invalid_key(format!(
                "PEM block `{label}` has no END line (truncated file?)"
            )));
        }
        let der = general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| Error::invalid_key(format!("PEM block `{label}` is not valid base64")))?;
        block = Some(Block {
            label: label.to_owned(),
            der: Zeroizing::new(der),
        });
    }
    block.ok_or_else(|| Error::invalid_key("no PEM block found (expected -----BEGIN ...-----)"))
}

/// Decodes the one PEM block and checks its label is one of `labels`.
pub(crate) fn decode_labelled(text: &str, labels: &[&str]) -> Result<Block> {
    let block = decode_one(text)?;
    if labels.contains(&block.label.as_str()) {
        Ok(block)
    } else {
        let want = labels.join("`, `");
        Err(Error::new(
            ErrorKind::InvalidKey,
            format!(
                "expected a PEM block labelled `{want}`, found `{}`",
                block.label
            ),
        ))
    }
}

/// Encodes `der` as PEM with 64-character lines.
pub(crate) fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(general_purpose::STANDARD.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(b64.len() + b64.len() / 64 + 64));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let der: Vec<u8> = (0..200u8).collect();
        let text = encode("PUBLIC KEY", &der);
        let Ok(b) = decode_labelled(&text, &["PUBLIC KEY"]) else {
            panic!("decode failed")
        };
        assert_eq!(&*b.der, &der);
        let Err(e) = decode_labelled(&text, &["PRIVATE KEY"]) else {
            panic!("wrong label accepted")
        };
        assert!(e.message().contains("found `PUBLIC KEY`"));
        let truncated = &text[..text.len() - 30];
        assert!(decode_one(truncated).is_err());
        let two = format!("{}{}", *text, *text);
        assert!(decode_one(&two).is_err());
        assert!(decode_one("hello").is_err());
        assert!(decode_one("-----BEGIN X-----\n!!!\n-----END X-----\n").is_err());
    }
}
