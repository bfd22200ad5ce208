//! A PKCS#11 module reloaded mid-run, and a token that goes away and comes
//! back, against SoftHSM2 (feature `pkcs11`; see `tests/pkcs11.rs` for the
//! environment). Its own test binary: a reload finalises the module for the
//! whole process.
#![cfg(feature = "pkcs11")]

use chatseal::*;
use std::sync::{Arc, Barrier};

#[test]
fn reload_mid_run_and_a_vanished_token() {
    let Ok(module_path) = std::env::var("CHATSEAL_TEST_PKCS11_MODULE") else {
        if std::env::var("CHATSEAL_REQUIRE_PEERS").is_ok_and(|v| v == "1") {
            panic!("CHATSEAL_TEST_PKCS11_MODULE is not set: run tests/steps/35-pkcs11.sh");
        }
        eprintln!("skipping: no SoftHSM2 (run tests/steps/35-pkcs11.sh)");
        return;
    };
    let pin =
        Pkcs11Pin::from_file(std::env::var("CHATSEAL_TEST_PKCS11_PIN_FILE").unwrap()).unwrap();
    let module = Pkcs11Module::open(&module_path).unwrap();
    let uri: Pkcs11Uri = "pkcs11:token=chatseal-test".parse().unwrap();
    let token = module.token(&uri, Some(pin)).unwrap();
    let key = ClientSigningKey::generate_in_pkcs11(
        &token,
        Algorithm::ES256,
        RsaKeySize::Rsa2048,
        &format!("test-reload-{}", std::process::id()),
    )
    .unwrap();
    let issuer = Arc::new(
        Issuer::builder(key.clone())
            .issuer("https://host.example")
            .audience("chat")
            .build()
            .unwrap(),
    );
    let verifier = Arc::new(
        Verifier::builder([key.verifying_key().clone()])
            .issuer("https://host.example")
            .audience("chat")
            .build()
            .unwrap(),
    );

    // Eight threads sign at once while the module is finalised and
    // initialised again under them: every call succeeds (a reload waits
    // for calls in flight; later calls open new sessions and log in again).
    let start = Arc::new(Barrier::new(9));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (issuer, verifier, start) = (issuer.clone(), verifier.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for j in 0..40 {
                    let sub = format!("u-{i}-{j}");
                    let t = issuer.mint(&TokenRequest::new(sub.clone())).unwrap();
                    assert_eq!(verifier.verify(&t).unwrap().subject(), sub);
                }
            })
        })
        .collect();
    start.wait();
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(30));
        module.reload().unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }

    // The token goes away (its folder moved while the module reloads): a
    // typed error, not a panic; it comes back: calls recover.
    let conf = std::fs::read_to_string(std::env::var("SOFTHSM2_CONF").unwrap()).unwrap();
    let tokendir = conf
        .lines()
        .find_map(|l| l.strip_prefix("directories.tokendir"))
        .map(|v| v.trim_start_matches([' ', '=']).trim().to_owned())
        .unwrap();
    let aside = format!("{tokendir}.aside");
    std::fs::rename(&tokendir, &aside).unwrap();
    std::fs::create_dir(&tokendir).unwrap();
    module.reload().unwrap();
    for _ in 0..2 {
        let e = issuer.mint(&TokenRequest::new("u")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TokenUnavailable, "{e}");
    }
    std::fs::remove_dir(&tokendir).unwrap();
    std::fs::rename(&aside, &tokendir).unwrap();
    module.reload().unwrap();
    let t = issuer.mint(&TokenRequest::new("back")).unwrap();
    assert_eq!(verifier.verify(&t).unwrap().subject(), "back");
    token.destroy_key(key.pkcs11_uri().unwrap()).unwrap();
}
