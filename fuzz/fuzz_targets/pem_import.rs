//! Key import for all four key types: PEM text (PKCS#8, PKCS#1, SEC1, SPKI,
//! and the `ENCRYPTED PRIVATE KEY` label) and, when the input starts like a
//! DER SEQUENCE (0x30), PKCS#8 and SPKI DER.
//!
//! Property: a key that loads exports and re-imports to the same key (same
//! RFC 7638 thumbprint), and its public half agrees.
//!
//! `from_encrypted_pem` is left out: it runs PBKDF2 for as many iterations
//! as the file asks (bounded at 10 million), so the fuzzer would spend its
//! time there. The key file is the operator's input, not an attacker's.
#![no_main]

use chatseal::{
    thumbprint_of_spki_pem, Algorithm, ClientSigningKey, ClientVerifyingKey, PlatformDecryptionKey,
    PlatformEncryptionKey,
};
use libfuzzer_sys::fuzz_target;

fn check_signing(k: &ClientSigningKey) {
    let pem = k.to_pkcs8_pem().expect("exports");
    let back = ClientSigningKey::from_pem(pem.expose_secret(), k.algorithm()).expect("re-imports");
    assert_eq!(back.thumbprint(), k.thumbprint());
    let spki = k.verifying_key().to_spki_pem().expect("public exports");
    assert_eq!(
        thumbprint_of_spki_pem(&spki).expect("public re-imports"),
        k.thumbprint()
    );
}

fn check_decryption(k: &PlatformDecryptionKey) {
    let der = k.to_pkcs8_der().expect("exports");
    let back = PlatformDecryptionKey::from_pkcs8_der(der.expose_secret()).expect("re-imports");
    assert_eq!(back.thumbprint(), k.thumbprint());
    let spki = k.encryption_key().to_spki_der().expect("public exports");
    let public = PlatformEncryptionKey::from_spki_der(&spki).expect("public re-imports");
    assert_eq!(public.thumbprint(), k.thumbprint());
}

fn check_verifying(k: &ClientVerifyingKey) {
    let der = k.to_spki_der().expect("exports");
    let back = ClientVerifyingKey::from_spki_der(&der, k.algorithm()).expect("re-imports");
    assert_eq!(&back, k);
}

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&0x30) {
        for alg in Algorithm::ALL {
            if let Ok(k) = ClientSigningKey::from_pkcs8_der(data, alg) {
                check_signing(&k);
            }
            if let Ok(k) = ClientVerifyingKey::from_spki_der(data, alg) {
                check_verifying(&k);
            }
        }
        if let Ok(k) = PlatformDecryptionKey::from_pkcs8_der(data) {
            check_decryption(&k);
        }
        if let Ok(k) = PlatformEncryptionKey::from_spki_der(data) {
            let again = PlatformEncryptionKey::from_spki_der(&k.to_spki_der().unwrap()).unwrap();
            assert_eq!(again.thumbprint(), k.thumbprint());
        }
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for alg in Algorithm::ALL {
        if let Ok(k) = ClientSigningKey::from_pem(text, alg) {
            check_signing(&k);
        }
        if let Ok(k) = ClientVerifyingKey::from_spki_pem(text, alg) {
            check_verifying(&k);
            assert_eq!(
                thumbprint_of_spki_pem(text).expect("same PEM"),
                k.thumbprint()
            );
        }
    }
    if let Ok(k) = PlatformDecryptionKey::from_pem(text) {
        check_decryption(&k);
    }
    if let Ok(k) = PlatformEncryptionKey::from_spki_pem(text) {
        let again = PlatformEncryptionKey::from_spki_pem(&k.to_spki_pem().unwrap()).unwrap();
        assert_eq!(again.thumbprint(), k.thumbprint());
    }
    let _ = thumbprint_of_spki_pem(text);
});
