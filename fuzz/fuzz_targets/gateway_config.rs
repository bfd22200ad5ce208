//! The gateway's configuration file (TOML), which an operator writes but a
//! deploy pipeline may template from less trusted input.
//!
//! Property: any text either fails with `invalid_config` or gives a
//! configuration that keeps the gateway's rules: a non-loopback listener
//! only with `allow_public` and TLS, tenant ids that are safe path segments
//! and unique, at least one tenant source, limits in range.
#![no_main]

use chatseal::ErrorKind;
use chatseal_keys::gateway_config::{valid_tenant_id, GatewayConfig};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match GatewayConfig::from_toml(text, Path::new("/base")) {
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidConfig),
        Ok(c) => {
            assert!(c.listen.ip().is_loopback() || (c.allow_public && c.tls.is_some()));
            let mut ids = BTreeSet::new();
            for t in &c.tenants {
                assert!(valid_tenant_id(&t.id));
                assert!(ids.insert(t.id.clone()));
                assert!(t.config.is_absolute());
            }
            assert!(!c.tenants.is_empty() || c.tenants_dir.is_some());
            assert!(c.max_connections >= 1);
            assert!(!c.upstream.authority.contains('/'));
        }
    }
});
