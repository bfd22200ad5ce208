//! `user_payload` decryption of ECDH-ES and ECDH-ES+A256KW JWEs (P-256 and
//! X25519) with fixed EC platform keys and the RSA key beside them, through
//! `chatseal::dangerous::decrypt_user_payload`: the `epk` parser (curve,
//! point validation, private members), `apu`/`apv`, the Concat KDF, AES key
//! unwrap and the family/curve key choice, all on attacker input.
//!
//! Property: decryption is deterministic, never panics, and a payload that
//! opens with all keys opens with exactly one of them alone.
#![no_main]

use chatseal::{dangerous, PayloadFormat, PlatformDecryptionKey};
use chatseal_fuzz::keys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = std::str::from_utf8(data) else {
        return;
    };
    let k = keys();
    let all: Vec<PlatformDecryptionKey> = k
        .platform_ec
        .iter()
        .cloned()
        .chain([k.platform.clone()])
        .collect();
    let first = dangerous::decrypt_user_payload(payload, &all, PayloadFormat::Jwe);
    let second = dangerous::decrypt_user_payload(payload, &all, PayloadFormat::Jwe);
    match (&first, &second) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                a.as_ref().map(|t| t.expose_secret()),
                b.as_ref().map(|t| t.expose_secret())
            );
            let openers = all
                .iter()
                .filter(|key| dangerous::decrypt_jwe(payload, std::slice::from_ref(key)).is_ok())
                .count();
            assert_eq!(openers, 1, "a JWE opens with exactly one key");
        }
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
        _ => panic!("decryption is not deterministic"),
    }
});
