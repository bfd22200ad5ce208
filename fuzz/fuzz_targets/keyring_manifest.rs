//! The keyring manifest (`keyring.json`), read by `Keyring::open` from a
//! folder whose key files exist (see `chatseal_fuzz::keyring_dir`).
//!
//! Property: a manifest that opens has exactly one active key, every key's
//! kid is its public key's thumbprint, and writing the parsed manifest back
//! out opens to the same manifest.
#![no_main]

use chatseal_fuzz::keyring_dir;
use chatseal_keys::{KeyState, Keyring, MANIFEST_FILE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = keyring_dir();
    let path = dir.join(MANIFEST_FILE);
    std::fs::write(&path, data).expect("write the manifest");
    let Ok(ring) = Keyring::open(dir) else {
        return;
    };
    let manifest = ring.manifest().clone();
    assert_eq!(
        manifest
            .keys
            .iter()
            .filter(|k| k.state == KeyState::Active)
            .count(),
        1
    );
    let _ = ring.jwks();
    let text = serde_json::to_string(&manifest).expect("manifest serializes");
    std::fs::write(&path, text).expect("write the manifest");
    let again = Keyring::open(dir).expect("a written-back manifest opens");
    assert_eq!(again.manifest(), &manifest);
});
