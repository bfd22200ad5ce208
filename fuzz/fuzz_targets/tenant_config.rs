//! The tenant configuration document (`TenantConfig::from_json`).
//!
//! Property: parsing is deterministic, a document that parses is accepted
//! for its own `tenantId` and refused for another, and a `TenantVerifier`
//! can be built from it with the fixed platform key (or fails with a typed
//! error, never a panic).
#![no_main]

use chatseal::{TenantConfig, TenantVerifier};
use chatseal_fuzz::keys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = TenantConfig::from_json(json) else {
        return;
    };
    let id = config.tenant_id().to_owned();
    let again = TenantConfig::from_json_for_tenant(json, &id).expect("own tenant id");
    assert_eq!(again.tenant_id(), id);
    assert_eq!(again.providers().len(), config.providers().len());
    let other = format!("{id}-other");
    assert!(TenantConfig::from_json_for_tenant(json, &other).is_err());
    let _ = TenantVerifier::new(&config, std::slice::from_ref(&keys().platform));
});
