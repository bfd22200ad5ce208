//! Keyrings in a PKCS#11 token, through the CLI, against SoftHSM2: the
//! rotation story, `prune --destroy`, `keys import --pkcs11`, typed errors
//! with their exit codes, and SIGKILL at random moments.
//!
//! `tests/steps/35-pkcs11.sh` initialises the token `chatseal-test` and sets
//! `CHATSEAL_TEST_PKCS11_MODULE`, `CHATSEAL_TEST_PKCS11_PIN_FILE` and
//! `SOFTHSM2_CONF`. Without them the tests skip, unless
//! `CHATSEAL_REQUIRE_PEERS=1`, when they fail.
#![cfg(feature = "pkcs11")]

mod common;

use chatseal_keys::{KeyState, Keyring};
use common::*;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const TOKEN: &str = "pkcs11:token=chatseal-test";
/// A token of its own for the crash test.
const CRASH_TOKEN: &str = "pkcs11:token=chatseal-crash";

struct Hsm {
    module: String,
    pin_file: String,
}

fn softhsm() -> Option<Hsm> {
    let Ok(module) = std::env::var("CHATSEAL_TEST_PKCS11_MODULE") else {
        if std::env::var("CHATSEAL_REQUIRE_PEERS").is_ok_and(|v| v == "1") {
            panic!("CHATSEAL_TEST_PKCS11_MODULE is not set: run tests/steps/35-pkcs11.sh");
        }
        eprintln!("skipping: no SoftHSM2 (run tests/steps/35-pkcs11.sh)");
        return None;
    };
    let pin_file = std::env::var("CHATSEAL_TEST_PKCS11_PIN_FILE").unwrap();
    Some(Hsm { module, pin_file })
}

impl Hsm {
    /// The CLI with the module from the environment and the PIN from its file.
    fn run(&self, args: &[&str]) -> Run {
        let mut a = args.to_vec();
        a.extend(["--pkcs11-pin-file", &self.pin_file]);
        run_env(&a, &[("CHATSEAL_PKCS11_MODULE", &self.module)])
    }

    /// The CLI with module and PIN from the environment only.
    fn run_env(&self, args: &[&str]) -> Run {
        let pin = std::fs::read_to_string(&self.pin_file).unwrap();
        run_env(
            args,
            &[
                ("CHATSEAL_PKCS11_MODULE", &self.module),
                ("CHATSEAL_PKCS11_PIN", pin.trim()),
            ],
        )
    }

    fn open(&self, dir: &Path) -> (Keyring, chatseal::Pkcs11Token) {
        let ring = Keyring::open(dir).unwrap();
        let module = chatseal::Pkcs11Module::open(&self.module).unwrap();
        let pin = chatseal::Pkcs11Pin::from_file(&self.pin_file).unwrap();
        let token = ring.open_token(&module, Some(pin)).unwrap().unwrap();
        (ring, token)
    }
}

/// Only the manifest and the lock file (and, after a kill, a temp manifest
/// that `prune` removes): no private key byte.
fn assert_no_key_file(dir: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".tmp-"))
        .collect();
    names.sort();
    assert_eq!(names, [".lock", "keyring.json"], "{}", dir.display());
}

fn mint(h: &Hsm, d: &str, sub: &str) -> String {
    h.run(&[
        "mint",
        "--dir",
        d,
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        "--sub",
        sub,
    ])
    .ok()
    .trim()
    .to_owned()
}

fn verify(d: &str, token: &str) -> Run {
    run(&[
        "verify",
        "--dir",
        d,
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        token,
    ])
}

#[test]
fn rotation_story_with_token_keys() {
    let Some(h) = softhsm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ring");
    let d = s(&dir);
    let init = h.run(&[
        "keys", "init", "--dir", d, "--alg", "ES256", "--pkcs11", TOKEN, "--json",
    ]);
    let init = init.code(0).json();
    let uri = init["key"]["pkcs11"].as_str().unwrap().to_owned();
    assert!(
        uri.starts_with("pkcs11:token=chatseal-test;object=chatseal-sig-"),
        "{uri}"
    );
    assert!(init["key"]["file"].is_null());
    assert_no_key_file(&dir);

    let old_token = mint(&h, d, "user-1");
    verify(d, &old_token).ok();
    let old_kid = Keyring::open(&dir).unwrap().active().kid.clone();

    // A pending key, made in the same token (the URI is the keyring's).
    let added = h
        .run(&["keys", "rotate", "--dir", d, "--json"])
        .code(0)
        .json();
    let new_kid = added["added"]["kid"].as_str().unwrap().to_owned();
    assert!(added["added"]["pkcs11"]
        .as_str()
        .unwrap()
        .starts_with("pkcs11:token=chatseal-test;"));
    assert_eq!(
        run(&["keys", "jwks", "--dir", d])
            .ok()
            .matches("\"kid\"")
            .count(),
        2
    );
    // Tokens still come from the active key until the promotion.
    let t = mint(&h, d, "user-2");
    assert!(verify(d, &t).ok().contains(&old_kid));
    run(&["keys", "promote", "--dir", d]).ok();
    let t = mint(&h, d, "user-3");
    assert!(verify(d, &t).ok().contains(&new_kid));
    // The retiring key's tokens verify during the grace, not after.
    verify(d, &old_token).ok();
    run(&[
        "keys",
        "retire",
        "--dir",
        d,
        &format!("--kid={old_kid}"),
        "--force",
    ])
    .ok();
    let e = verify(d, &old_token).code(1);
    assert!(e.stderr.contains("unknown_kid"), "{}", e.stderr);
    // prune leaves token keys alone; --destroy removes the retired one.
    assert!(run(&["keys", "prune", "--dir", d])
        .ok()
        .contains("nothing to prune"));
    let (ring, token) = h.open(&dir);
    let old_entry = ring.get(&old_kid).unwrap().clone();
    assert!(ring.load_private_in(&old_entry, Some(&token), None).is_ok());
    let out = h.run(&["keys", "prune", "--dir", d, "--destroy"]).ok();
    assert!(out.contains(&uri), "{out}");
    let e = chatseal::ClientSigningKey::from_pkcs11(
        &token,
        &uri.parse().unwrap(),
        chatseal::Algorithm::ES256,
    )
    .unwrap_err();
    assert_eq!(e.kind(), chatseal::ErrorKind::KeyNotFound);
    let ring = Keyring::open(&dir).unwrap();
    assert_eq!(ring.get(&old_kid).unwrap().state, KeyState::Retired);
    assert!(ring.get(&old_kid).unwrap().pkcs11.is_none());
    assert_no_key_file(&dir);

    // `keys import --pkcs11` adopts an existing token key (here one made
    // for another keyring), with module and PIN from the environment.
    let other = tmp.path().join("other");
    let o = s(&other);
    let made = h.run(&[
        "keys", "init", "--dir", o, "--alg", "PS256", "--bits", "2048", "--pkcs11", TOKEN, "--json",
    ]);
    let made = made.code(0).json();
    let other_uri = made["key"]["pkcs11"].as_str().unwrap();
    let imported = h
        .run_env(&[
            "keys", "import", "--dir", d, "--pkcs11", other_uri, "--alg", "PS256", "--json",
        ])
        .code(0)
        .json();
    assert_eq!(imported["imported"]["imported"], true);
    assert_eq!(imported["imported"]["kid"], made["key"]["kid"]);
    let new_kid = format!("--kid={}", made["key"]["kid"].as_str().unwrap());
    run(&["keys", "promote", "--dir", d, &new_kid]).ok();
    let t = h.run_env(&[
        "mint",
        "--dir",
        d,
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        "--sub",
        "u4",
    ]);
    let t = t.ok();
    assert!(verify(d, t.trim()).ok().contains("PS256"));
    assert_no_key_file(&dir);
}

#[test]
fn token_errors_are_typed_with_their_exit_codes() {
    let Some(h) = softhsm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ring");
    let d = s(&dir);
    h.run(&[
        "keys", "init", "--dir", d, "--alg", "RS256", "--bits", "2048", "--pkcs11", TOKEN,
    ])
    .ok();
    let mint_args = [
        "mint",
        "--dir",
        d,
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        "--sub",
        "u",
    ];
    // --bits for a P-256 key is refused before the token is touched.
    let p256 = tmp.path().join("p256");
    let r = h
        .run(&[
            "keys",
            "init",
            "--dir",
            s(&p256),
            "--alg",
            "ES256",
            "--bits",
            "2048",
            "--pkcs11",
            TOKEN,
        ])
        .code(2);
    assert!(r.stderr.contains("--bits"), "{}", r.stderr);
    assert!(!p256.exists());
    // No PIN.
    let r = run_env(&mint_args, &[("CHATSEAL_PKCS11_MODULE", &h.module)]).code(2);
    assert!(r.stderr.contains("--pkcs11-pin-file"), "{}", r.stderr);
    // Wrong PIN (on a token nobody in this process logged in to).
    let bad_pin = tmp.path().join("bad-pin");
    std::fs::write(&bad_pin, "999999\n").unwrap();
    let r = run_env(
        &[
            "keys",
            "init",
            "--dir",
            s(&tmp.path().join("x")),
            "--pkcs11",
            "pkcs11:token=chatseal",
            "--pkcs11-pin-file",
            s(&bad_pin),
        ],
        &[("CHATSEAL_PKCS11_MODULE", &h.module)],
    )
    .code(2);
    assert!(r.stderr.contains("wrong_pin"), "{}", r.stderr);
    assert!(!r.stderr.contains("999999"));
    // Missing module.
    let r = run_env(
        &[&mint_args[..], &["--pkcs11-pin-file", &h.pin_file]].concat(),
        &[("CHATSEAL_PKCS11_MODULE", "/nonexistent/libpkcs11.so")],
    )
    .code(2);
    assert!(
        r.stderr.contains("pkcs11_module_unavailable"),
        "{}",
        r.stderr
    );
    // No module at all.
    let r = run(&[&mint_args[..], &["--pkcs11-pin-file", &h.pin_file]].concat()).code(2);
    assert!(r.stderr.contains("CHATSEAL_PKCS11_MODULE"), "{}", r.stderr);
    // Unknown object, unknown token, bad URI, a PIN in the URI.
    for (uri, code) in [
        (
            "pkcs11:token=chatseal-test;object=nothing;type=private",
            "key_not_found",
        ),
        ("pkcs11:token=no-such-token;object=x", "token_unavailable"),
        (
            "pkcs11:token=chatseal-test;colour=blue",
            "invalid_pkcs11_uri",
        ),
        (
            "pkcs11:token=chatseal-test?pin-value=246810",
            "invalid_pkcs11_uri",
        ),
    ] {
        let r = h
            .run(&["keys", "import", "--dir", d, "--pkcs11", uri])
            .code(2);
        assert!(r.stderr.contains(code), "{uri}: {}", r.stderr);
        assert!(!r.stderr.contains("246810"));
    }
    // A key of the wrong type for the algorithm: key_role_mismatch.
    let uri = Keyring::open(&dir)
        .unwrap()
        .active()
        .pkcs11
        .clone()
        .unwrap();
    let r = h
        .run(&[
            "keys", "import", "--dir", d, "--pkcs11", &uri, "--alg", "ES256",
        ])
        .code(1);
    assert!(r.stderr.contains("key_role_mismatch"), "{}", r.stderr);
    // A signing key imported into a platform keyring: refused by its role.
    let p = tmp.path().join("platform");
    h.run(&[
        "keys",
        "init",
        "--dir",
        s(&p),
        "--use",
        "enc",
        "--bits",
        "2048",
        "--pkcs11",
        TOKEN,
    ])
    .ok();
    let r = h
        .run(&["keys", "import", "--dir", s(&p), "--pkcs11", &uri])
        .code(1);
    assert!(r.stderr.contains("key_role_mismatch"), "{}", r.stderr);
    // A passphrase means nothing for a key that stays in the token.
    let pf = tmp.path().join("passphrase");
    std::fs::write(&pf, "a passphrase for the files\n").unwrap();
    let r = h
        .run(&[
            "keys",
            "init",
            "--dir",
            s(&tmp.path().join("pp")),
            "--pkcs11",
            TOKEN,
            "--passphrase-file",
            s(&pf),
        ])
        .code(2);
    assert!(r.stderr.contains("--passphrase-file"), "{}", r.stderr);
    // An encrypted file keyring moves into the token with one rotation.
    let fr = tmp.path().join("file-ring");
    run(&[
        "keys",
        "init",
        "--dir",
        s(&fr),
        "--alg",
        "ES256",
        "--passphrase-file",
        s(&pf),
    ])
    .ok();
    h.run(&[
        "keys",
        "rotate",
        "--dir",
        s(&fr),
        "--now",
        "--pkcs11",
        TOKEN,
    ])
    .ok();
    let ring = Keyring::open(&fr).unwrap();
    assert!(ring.active().pkcs11.is_some() && ring.active().file.is_none());
    let t = h.run(&[
        "mint",
        "--dir",
        s(&fr),
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        "--sub",
        "u",
    ]);
    verify(s(&fr), t.ok().trim()).ok();
    // Ed25519 and ECDH keys are not offered in tokens.
    let r = h.run(&[
        "keys",
        "init",
        "--dir",
        s(&tmp.path().join("ed")),
        "--alg",
        "Ed25519",
        "--pkcs11",
        TOKEN,
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// SIGKILL at random moments of the commands that change a token keyring's
/// manifest (promote, retire, prune), with token-key rotations (and
/// `prune --destroy`) run to completion in between: the keyring always
/// loads with one active key, and every published key opens through the
/// token.
///
/// The kills spare the processes that open the token: SoftHSM 2.6's file
/// store rewrites `token.object` in place at each login, and a SIGKILL in
/// that window truncates it and loses the whole token (this test found it).
/// An HSM keeps its own state; that is not chatseal's to test.
#[test]
fn sigkill_at_random_moments_never_breaks_a_token_keyring() {
    let Some(h) = softhsm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ring");
    let d = s(&dir).to_owned();
    h.run(&[
        "keys",
        "init",
        "--dir",
        &d,
        "--alg",
        "ES256",
        "--pkcs11",
        CRASH_TOKEN,
    ])
    .ok();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}");
    let mut rng = Rng(seed);
    let killable: [&[&str]; 4] = [
        &["keys", "promote"],
        &["keys", "retire", "--force"],
        &["keys", "prune"],
        &["keys", "retire", "--force"],
    ];
    let (mut killed, mut finished) = (0, 0);
    for i in 0..80 {
        if i % 4 == 0 {
            let op: &[&str] = match rng.below(3) {
                0 => &["keys", "rotate", "--now"],
                1 => &["keys", "rotate"],
                _ => &["keys", "prune", "--destroy"],
            };
            let r = h.run_env(&[op, &["--dir", &d]].concat());
            assert!(
                r.code == 0 || r.stderr.contains("has no effect"),
                "{op:?}: {}",
                r.stderr
            );
        }
        let op = killable[rng.below(killable.len() as u64) as usize];
        let mut child = cmd(&[op, &["--dir", &d]].concat())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(8_000)));
        match child.try_wait().unwrap() {
            Some(_) => finished += 1,
            None => {
                child.kill().unwrap();
                killed += 1;
            }
        }
        child.wait().unwrap();
        let (ring, token) = h.open(&dir);
        let active = ring
            .keys()
            .iter()
            .filter(|k| k.state == KeyState::Active)
            .count();
        assert_eq!(active, 1, "iteration {i} ({op:?}), seed {seed}");
        for k in ring.published() {
            assert!(k.pkcs11.is_some() && k.file.is_none());
            ring.load_private_in(k, Some(&token), None)
                .unwrap_or_else(|e| panic!("iteration {i} ({op:?}), seed {seed}: {}: {e}", k.kid));
        }
        ring.signing_key_in(Some(&token), None).unwrap();
        assert_no_key_file(&dir);
    }
    eprintln!("{killed} killed mid-run, {finished} finished first");
}
