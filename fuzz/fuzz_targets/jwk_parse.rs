//! JWK and JWKS parsing, for both roles.
//!
//! Property: a key that loads round-trips: `to_jwk` → JSON → `from_jwk`
//! gives an equal key (same thumbprint, kid and algorithm), and a JWKS of
//! the loaded signature keys loads back to the same keys.
#![no_main]

use chatseal::{ClientVerifyingKey, Jwk, PlatformEncryptionKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jwk) = Jwk::from_json(json) {
        if let Ok(k) = ClientVerifyingKey::from_jwk(&jwk) {
            let back = Jwk::from_json(&k.to_jwk().to_json()).expect("own JWK parses");
            let k2 = ClientVerifyingKey::from_jwk(&back).expect("own JWK loads");
            assert_eq!(k, k2);
            assert_eq!(k.thumbprint(), k2.thumbprint());
        }
        if let Ok(k) = PlatformEncryptionKey::from_jwk(&jwk) {
            let back = Jwk::from_json(&k.to_jwk().to_json()).expect("own JWK parses");
            let k2 = PlatformEncryptionKey::from_jwk(&back).expect("own JWK loads");
            assert_eq!(k.thumbprint(), k2.thumbprint());
            assert_eq!(k.kid(), k2.kid());
        }
    }
    if let Ok(keys) = ClientVerifyingKey::from_jwks(json) {
        let set = ClientVerifyingKey::to_jwks(&keys).to_json();
        let again = ClientVerifyingKey::from_jwks(&set).expect("own JWKS loads");
        assert_eq!(keys, again);
    }
    if let Ok(k) = PlatformEncryptionKey::from_jwks(json) {
        let k2 = PlatformEncryptionKey::from_jwk(&k.to_jwk()).expect("own JWK loads");
        assert_eq!(k.thumbprint(), k2.thumbprint());
    }
});
