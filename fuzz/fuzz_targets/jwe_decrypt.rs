//! `user_payload` decryption in `jwe` format (compact JWE, RSA-OAEP-256 +
//! A256GCM) with a fixed platform key, through
//! `chatseal::dangerous::decrypt_user_payload`, the code a `Verifier` runs.
//!
//! Property: decryption is deterministic (same input, same outcome), and a
//! payload that opens also opens through the standalone `decrypt_jwe`.
#![no_main]

use chatseal::{dangerous, PayloadFormat};
use chatseal_fuzz::keys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = std::str::from_utf8(data) else {
        return;
    };
    let key = std::slice::from_ref(&keys().platform);
    let first = dangerous::decrypt_user_payload(payload, key, PayloadFormat::Jwe);
    let second = dangerous::decrypt_user_payload(payload, key, PayloadFormat::Jwe);
    match (&first, &second) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                a.as_ref().map(|t| t.expose_secret()),
                b.as_ref().map(|t| t.expose_secret())
            );
            dangerous::decrypt_jwe(payload, key).expect("opens standalone too");
        }
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
        _ => panic!("decryption is not deterministic"),
    }
});
