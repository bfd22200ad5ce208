//! `user_payload` decryption in IBM watsonx Orchestrate's `wxo` format
//! (base64 of RSA-OAEP-SHA-1 blocks) with a fixed platform key.
//!
//! Property: decryption is deterministic, and a `wxo` payload never opens as
//! a `jwe` one.
#![no_main]

use chatseal::{dangerous, PayloadFormat};
use chatseal_fuzz::keys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = std::str::from_utf8(data) else {
        return;
    };
    let key = std::slice::from_ref(&keys().platform);
    let first = dangerous::decrypt_user_payload(payload, key, PayloadFormat::Wxo);
    let second = dangerous::decrypt_user_payload(payload, key, PayloadFormat::Wxo);
    match (&first, &second) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                a.as_ref().map(|t| t.expose_secret()),
                b.as_ref().map(|t| t.expose_secret())
            );
            assert!(dangerous::decrypt_user_payload(payload, key, PayloadFormat::Jwe).is_err());
        }
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
        _ => panic!("decryption is not deterministic"),
    }
});
