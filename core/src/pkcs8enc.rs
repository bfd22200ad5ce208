//! Encrypted PKCS#8 (RFC 5958 `EncryptedPrivateKeyInfo`, RFC 8018 PBES2):
//! PBKDF2 (HMAC-SHA-256 when writing; SHA-1/256/512 when reading) and
//! AES-256-CBC (AES-128-CBC accepted when reading). This is what
//! `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes and `openssl pkey` reads.

use zeroize::Zeroizing;

use crate::backend::{self, Prf};
use crate::der::{self, Reader};
use crate::error::{Error, ErrorKind, Result};
use crate::pem;
use crate::secret::{Passphrase, SecretString};

const OID_PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const OID_PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
const OID_SCRYPT: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b];
const OID_HMAC_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07];
const OID_HMAC_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
const OID_HMAC_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0b];
const OID_AES128_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02];
const OID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];

/// PBKDF2 iterations chatseal writes (OWASP's 2023 figure for HMAC-SHA-256).
pub(crate) const WRITE_ITERATIONS: u32 = 600_000;
/// Most iterations chatseal will run when reading a key (bounds the work a
/// hostile file can ask for).
const MAX_ITERATIONS: u32 = 10_000_000;

/// Encrypts PKCS#8 DER under `passphrase` and returns the PEM.
pub(crate) fn seal_pem(pkcs8: &[u8], passphrase: &Passphrase) -> Result<SecretString> {
    seal_pem_with(pkcs8, passphrase, WRITE_ITERATIONS)
}

pub(crate) fn seal_pem_with(
    pkcs8: &[u8],
    passphrase: &Passphrase,
    iterations: u32,
) -> Result<SecretString> {
    if passphrase.is_empty() {
        return Err(Error::misuse("an empty passphrase does not protect a key"));
    }
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    backend::fill_random(&mut salt)?;
    backend::fill_random(&mut iv)?;
    let mut key = Zeroizing::new([0u8; 32]);
    backend::pbkdf2(
        Prf::HmacSha256,
        iterations,
        &salt,
        passphrase.expose_secret().as_bytes(),
        &mut *key,
    )?;
    let ct = backend::aes_cbc_encrypt(&*key, &iv, pkcs8)?;
    let kdf = der::seq(&[
        &der::tlv(der::OID, OID_PBKDF2),
        &der::seq(&[
            &der::tlv(der::OCTET_STRING, &salt),
            &der::uint(iterations),
            &der::seq(&[
                &der::tlv(der::OID, OID_HMAC_SHA256),
                &der::tlv(der::NULL, &[]),
            ]),
        ]),
    ]);
    let enc = der::seq(&[
        &der::tlv(der::OID, OID_AES256_CBC),
        &der::tlv(der::OCTET_STRING, &iv),
    ]);
    let alg = der::seq(&[&der::tlv(der::OID, OID_PBES2), &der::seq(&[&kdf, &enc])]);
    let info = der::seq(&[&alg, &der::tlv(der::OCTET_STRING, &ct)]);
    Ok(SecretString::new(std::mem::take(&mut *pem::encode(
        "ENCRYPTED PRIVATE KEY",
        &info,
    ))))
}

/// Opens an `ENCRYPTED PRIVATE KEY` PEM. Returns `None` when the PEM holds
/// an unencrypted key (the caller then parses it as such).
pub(crate) fn open_pem(
    pem_text: &str,
    passphrase: &Passphrase,
) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let block = pem::decode_one(pem_text)?;
    if block.label != "ENCRYPTED PRIVATE KEY" {
        return Ok(None);
    }
    open_der(&block.der, passphrase).map(Some)
}

fn unsupported(what: &str) -> Error {
    Error::invalid_key(format!(
        "encrypted private key uses {what}, which is not supported; re-encrypt it with \
         `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256`"
    ))
}

/// Decrypts `EncryptedPrivateKeyInfo` DER.
pub(crate) fn open_der(info: &[u8], passphrase: &Passphrase) -> Result<Zeroizing<Vec<u8>>> {
    let mut outer = Reader::new(info);
    let mut epki = Reader::new(outer.read(der::SEQUENCE)?);
    outer.finish()?;
    let mut alg = Reader::new(epki.read(der::SEQUENCE)?);
    let ct = epki.read(der::OCTET_STRING)?;
    epki.finish()?;
    if alg.read(der::OID)? != OID_PBES2 {
        return Err(unsupported("a scheme other than PBES2"));
    }
    let mut params = Reader::new(alg.read(der::SEQUENCE)?);
    alg.finish()?;
    let mut kdf = Reader::new(params.read(der::SEQUENCE)?);
    let mut enc = Reader::new(params.read(der::SEQUENCE)?);
    params.finish()?;

    let kdf_oid = kdf.read(der::OID)?;
    if kdf_oid == OID_SCRYPT {
        return Err(unsupported("scrypt"));
    }
    if kdf_oid != OID_PBKDF2 {
        return Err(unsupported("a key derivation other than PBKDF2"));
    }
    let mut p = Reader::new(kdf.read(der::SEQUENCE)?);
    kdf.finish()?;
    let salt = p.read(der::OCTET_STRING)?;
    let iterations = p.read_u32()?;
    let mut key_len = None;
    if p.peek_tag() == Some(der::INTEGER) {
        key_len = Some(p.read_u32()?);
    }
    let prf = if p.is_empty() {
        Prf::HmacSha1
    } else {
        let mut prf = Reader::new(p.read(der::SEQUENCE)?);
        let oid = prf.read(der::OID)?;
        if !prf.is_empty() {
            prf.read(der::NULL)?;
        }
        prf.finish()?;
        match oid {
            o if o == OID_HMAC_SHA1 => Prf::HmacSha1,
            o if o == OID_HMAC_SHA256 => Prf::HmacSha256,
            o if o == OID_HMAC_SHA512 => Prf::HmacSha512,
            _ => return Err(unsupported("an unknown PBKDF2 PRF")),
        }
    };
    p.finish()?;
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Error::invalid_key(format!(
            "encrypted private key asks for {iterations} PBKDF2 iterations; 1 to {MAX_ITERATIONS} are accepted"
        )));
    }

    let cipher = enc.read(der::OID)?;
    let key_bytes = match cipher {
        c if c == OID_AES256_CBC => 32,
        c if c == OID_AES128_CBC => 16,
        _ => return Err(unsupported("a cipher other than AES-CBC")),
    };
    let iv: [u8; 16] = enc
        .read(der::OCTET_STRING)?
        .try_into()
        .map_err(|_| Error::invalid_key("encrypted private key has an IV that is not 16 bytes"))?;
    enc.finish()?;
    if key_len.is_some_and(|l| l as usize != key_bytes) {
        return Err(Error::invalid_key(
            "encrypted private key: key length does not match the cipher",
        ));
    }

    let mut key = Zeroizing::new(vec![0u8; key_bytes]);
    backend::pbkdf2(
        prf,
        iterations,
        salt,
        passphrase.expose_secret().as_bytes(),
        &mut key,
    )?;
    let wrong = || {
        Error::new(
            ErrorKind::WrongPassphrase,
            "the passphrase does not open the encrypted private key",
        )
    };
    let plain = backend::aes_cbc_decrypt(&key, &iv, ct).ok_or_else(wrong)?;
    // A wrong passphrase passes the padding check 1 time in 256: the result
    // must also be a DER SEQUENCE spanning the whole plaintext.
    let mut r = Reader::new(&plain);
    if r.read(der::SEQUENCE).is_err() || !r.is_empty() {
        return Err(wrong());
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_passphrase() {
        let pkcs8 = der::seq(&[&der::uint(0), &der::tlv(der::OCTET_STRING, &[9; 40])]);
        let pw = Passphrase::new("correct horse battery staple");
        let pem = seal_pem_with(&pkcs8, &pw, 1000).unwrap();
        let back = open_pem(pem.expose_secret(), &pw).unwrap().unwrap();
        assert_eq!(&*back, &pkcs8);
        let e = open_pem(pem.expose_secret(), &Passphrase::new("wrong")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WrongPassphrase);
        assert!(seal_pem(&pkcs8, &Passphrase::new("")).is_err());
    }
}
