//! The little DER (X.690) chatseal needs for PKCS#8 `EncryptedPrivateKeyInfo`:
//! a strict reader of definite-length TLVs and a writer.

use crate::error::{Error, Result};

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const OID: u8 = 0x06;
pub(crate) const NULL: u8 = 0x05;

/// A cursor over DER bytes.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

fn bad() -> Error {
    Error::invalid_key("encrypted private key is not valid DER")
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// Reads one TLV of `tag` and returns its contents.
    pub(crate) fn read(&mut self, tag: u8) -> Result<&'a [u8]> {
        let (&t, rest) = self.data.split_first().ok_or_else(bad)?;
        if t != tag {
            return Err(bad());
        }
        let (&l0, mut rest) = rest.split_first().ok_or_else(bad)?;
        let len = if l0 < 0x80 {
            usize::from(l0)
        } else {
            let n = usize::from(l0 & 0x7f);
            if n == 0 || n > 3 || rest.len() < n {
                return Err(bad());
            }
            let mut len = 0usize;
            for &b in &rest[..n] {
                len = (len << 8) | usize::from(b);
            }
            // Minimal encoding, as DER requires.
            if len < 0x80 || rest[0] == 0 {
                return Err(bad());
            }
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err(bad());
        }
        let (contents, rest) = rest.split_at(len);
        self.data = rest;
        Ok(contents)
    }

    /// Reads a non-negative INTEGER that fits in u32.
    pub(crate) fn read_u32(&mut self) -> Result<u32> {
        let c = self.read(INTEGER)?;
        if c.is_empty()
            || c.len() > 5
            || c[0] & 0x80 != 0
            || (c.len() > 1 && c[0] == 0 && c[1] & 0x80 == 0)
        {
            return Err(bad());
        }
        let mut v: u64 = 0;
        for &b in c {
            v = (v << 8) | u64::from(b);
        }
        u32::try_from(v).map_err(|_| bad())
    }

    /// Checks nothing is left.
    pub(crate) fn finish(self) -> Result<()> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(bad())
        }
    }
}

/// Encodes one TLV.
pub(crate) fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// Encodes a non-negative INTEGER.
pub(crate) fn uint(v: u32) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
    let mut c = bytes[skip..].to_vec();
    if c[0] & 0x80 != 0 {
        c.insert(0, 0);
    }
    tlv(INTEGER, &c)
}

/// Concatenates parts into a SEQUENCE.
pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let big = vec![7u8; 300];
        let enc = seq(&[
            &uint(600_000),
            &tlv(OCTET_STRING, &big),
            &uint(0),
            &uint(128),
        ]);
        let mut r = Reader::new(&enc);
        let mut s = Reader::new(r.read(SEQUENCE).unwrap());
        r.finish().unwrap();
        assert_eq!(s.read_u32().unwrap(), 600_000);
        assert_eq!(s.read(OCTET_STRING).unwrap(), &big[..]);
        assert_eq!(s.read_u32().unwrap(), 0);
        assert_eq!(s.read_u32().unwrap(), 128);
        s.finish().unwrap();
    }

    #[test]
    fn refuses_bad_lengths() {
        assert!(Reader::new(&[0x30, 0x81, 0x05, 0, 0])
            .read(SEQUENCE)
            .is_err());
        assert!(Reader::new(&[0x30, 0x05, 0]).read(SEQUENCE).is_err());
        assert!(Reader::new(&[0x30]).read(SEQUENCE).is_err());
        assert!(Reader::new(&[0x02, 0x01, 0x80]).read_u32().is_err());
    }
}
