//! Crash safety: the CLI is SIGKILLed at random moments during hundreds of
//! rotations, promotions, retirements and prunes. After every kill the
//! keyring must load, have exactly one active key, and still publish every
//! key it published before, except those the operation in flight may remove
//! (`retire --force` removes retiring keys). Every published key's private
//! file must still open.

mod common;

use chatseal_keys::{KeyState, Keyring};
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// xorshift64*: enough randomness for kill timing, seed printed on failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const OPS: [&[&str]; 5] = [
    &["keys", "rotate", "--now"],
    &["keys", "rotate"],
    &["keys", "promote"],
    &["keys", "retire", "--force"],
    &["keys", "prune"],
];

fn published(dir: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let ring = Keyring::open(dir).unwrap_or_else(|e| panic!("keyring does not load: {e}"));
    let all = ring.published().map(|k| k.kid.clone()).collect();
    let retiring = ring
        .published()
        .filter(|k| k.state == KeyState::Retiring)
        .map(|k| k.kid.clone())
        .collect();
    (all, retiring)
}

fn check(dir: &Path, before: &BTreeSet<String>, may_remove: &BTreeSet<String>, ctx: &str) {
    let ring = Keyring::open(dir).unwrap_or_else(|e| panic!("{ctx}: keyring does not load: {e}"));
    let active: Vec<_> = ring
        .keys()
        .iter()
        .filter(|k| k.state == KeyState::Active)
        .collect();
    assert_eq!(active.len(), 1, "{ctx}: {} active keys", active.len());
    let after: BTreeSet<String> = ring.published().map(|k| k.kid.clone()).collect();
    for kid in before {
        assert!(
            after.contains(kid) || may_remove.contains(kid),
            "{ctx}: published key {kid} was lost"
        );
    }
    for k in ring.published() {
        ring.load_private(k, None)
            .unwrap_or_else(|e| panic!("{ctx}: private key of {} does not open: {e}", k.kid));
    }
    ring.signing_key(None)
        .unwrap_or_else(|e| panic!("{ctx}: active key does not open: {e}"));
}

#[test]
fn sigkill_at_random_moments_never_breaks_the_keyring() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ring");
    let d = s(&dir).to_owned();
    run(&["keys", "init", "--dir", &d, "--alg", "ES256"]).ok();

    let seed = std::env::var("CHATSEAL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed {seed} (rerun with CHATSEAL_CRASH_SEED={seed})");
    let mut rng = Rng(seed);

    // How long one uninterrupted run takes, to spread kills over its lifetime.
    let t = Instant::now();
    for _ in 0..5 {
        run(&["keys", "rotate", "--now", "--dir", &d]).code(0);
        run(&["keys", "retire", "--force", "--dir", &d]).code(0);
    }
    let typical = t.elapsed() / 10;
    let window_us = (typical.as_micros() as u64).max(1000) * 6 / 5;
    eprintln!("typical run {typical:?}, kill window {window_us} us");

    let budget = Duration::from_secs(40);
    let start = Instant::now();
    let (mut iterations, mut killed, mut finished) = (0u32, 0u32, 0u32);
    while iterations < 600 && (iterations < 150 || start.elapsed() < budget) {
        iterations += 1;
        let op = OPS[rng.below(OPS.len() as u64) as usize];
        let (before, retiring) = published(&dir);
        let may_remove = if op.contains(&"retire") {
            retiring
        } else {
            BTreeSet::new()
        };
        let mut child = cmd(&[op, &["--dir", &d]].concat())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(window_us)));
        match child.try_wait().unwrap() {
            Some(_) => finished += 1,
            None => {
                child.kill().unwrap(); // SIGKILL on Unix
                killed += 1;
            }
        }
        child.wait().unwrap();
        check(
            &dir,
            &before,
            &may_remove,
            &format!("iteration {iterations} ({op:?}), seed {seed}"),
        );
    }
    eprintln!(
        "{iterations} runs in {:?}: {killed} killed mid-run, {finished} finished first",
        start.elapsed()
    );
    assert!(
        killed * 4 >= iterations,
        "too few runs were interrupted ({killed} of {iterations}) for the test to mean anything"
    );
    // Leftovers of the crashes are cleaned, and the keyring still works.
    run(&["keys", "prune", "--dir", &d]).code(0);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with(".tmp-"),
            "temp file {name} left after prune"
        );
    }
    let token = run(&[
        "mint", "--dir", &d, "--iss", "i", "--aud", "a", "--sub", "u",
    ])
    .ok();
    run(&[
        "verify",
        "--dir",
        &d,
        "--iss",
        "i",
        "--aud",
        "a",
        token.trim(),
    ])
    .code(0);
}
