//! Unit tests of the keyring (lib.rs).
use super::*;
use std::os::unix::fs::MetadataExt;

fn t(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
}

fn es256() -> KeyMaterial {
    KeyMaterial::generate(KeyAlg::ES256, RsaKeySize::Rsa2048).unwrap()
}

#[test]
fn init_modes_and_refuse_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ring");
    let ring = Keyring::init(&dir, es256(), None, None, t(0)).unwrap();
    assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    let f = dir.join(ring.active().file.as_ref().unwrap());
    assert_eq!(fs::metadata(&f).unwrap().mode() & 0o777, 0o600);
    assert_eq!(ring.manifest().grace_seconds, DEFAULT_GRACE_SECONDS);
    assert!(matches!(
        Keyring::init(&dir, es256(), None, None, t(0)),
        Err(Error::Exists(_))
    ));
    let again = Keyring::open(&dir).unwrap();
    assert_eq!(again.manifest(), ring.manifest());
}

#[test]
fn lifecycle_and_grace() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    Keyring::init(dir, es256(), Some(100), None, t(0)).unwrap();
    let mut l = Keyring::lock(dir).unwrap();
    let old = l.active().kid.clone();
    let new = l.add(es256(), false, false, None, t(1)).unwrap();
    assert_eq!(new.state, KeyState::Pending);
    assert_eq!(l.jwks().keys.len(), 2);
    l.promote(None, false, t(2)).unwrap();
    assert_eq!(l.active().kid, new.kid);
    assert_eq!(l.get(&old).unwrap().state, KeyState::Retiring);
    // Within the grace: nothing retires.
    assert!(l.retire(None, false, t(101)).unwrap().is_empty());
    assert_eq!(l.retire(None, false, t(102)).unwrap(), vec![old.clone()]);
    assert_eq!(l.jwks().keys.len(), 1);
    assert_eq!(l.prune().unwrap().len(), 1);
    assert!(l.get(&old).unwrap().file.is_none());
    drop(l);
    let ring = Keyring::open(dir).unwrap();
    assert_eq!(
        ring.get(&old).unwrap().retired_at,
        Some(unix_seconds(t(102)))
    );
    assert!(ring.signing_key(None).is_ok());
}

#[test]
fn revoke_rules() {
    let tmp = tempfile::tempdir().unwrap();
    Keyring::init(tmp.path(), es256(), None, None, t(0)).unwrap();
    let mut l = Keyring::lock(tmp.path()).unwrap();
    let first = l.active().kid.clone();
    assert!(matches!(l.revoke(&first, t(1)), Err(Error::State(_))));
    let e = l.add(es256(), true, false, None, t(1)).unwrap();
    assert_eq!(l.active().kid, e.kid);
    l.revoke(&first, t(2)).unwrap();
    assert_eq!(l.jwks().keys.len(), 1);
    assert!(matches!(l.revoke(&first, t(2)), Err(Error::State(_))));
    assert!(matches!(l.revoke("nope", t(2)), Err(Error::State(_))));
}

#[test]
fn promote_needs_exactly_one_pending_or_a_kid() {
    let tmp = tempfile::tempdir().unwrap();
    Keyring::init(tmp.path(), es256(), None, None, t(0)).unwrap();
    let mut l = Keyring::lock(tmp.path()).unwrap();
    assert!(matches!(l.promote(None, false, t(1)), Err(Error::State(_))));
    let a = l.add(es256(), false, false, None, t(1)).unwrap();
    l.add(es256(), false, false, None, t(1)).unwrap();
    assert!(matches!(l.promote(None, false, t(1)), Err(Error::State(_))));
    l.promote(Some(&a.kid), false, t(2)).unwrap();
    assert_eq!(l.active().kid, a.kid);
}

#[test]
fn encrypted_keyring_needs_its_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let p = Passphrase::new("correct horse");
    Keyring::init(tmp.path(), es256(), None, Some(&p), t(0)).unwrap();
    let ring = Keyring::open(tmp.path()).unwrap();
    let f = fs::read_to_string(tmp.path().join(ring.active().file.as_ref().unwrap())).unwrap();
    assert!(f.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let kind = |e: Error| match e {
        Error::Key(k) => k.kind(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        kind(ring.signing_key(None).unwrap_err()),
        ErrorKind::WrongPassphrase
    );
    assert_eq!(
        kind(
            ring.signing_key(Some(&Passphrase::new("wrong")))
                .unwrap_err()
        ),
        ErrorKind::WrongPassphrase
    );
    assert!(ring.signing_key(Some(&p)).is_ok());
    let mut l = Keyring::lock(tmp.path()).unwrap();
    assert_eq!(
        kind(l.add(es256(), false, false, None, t(1)).unwrap_err()),
        ErrorKind::WrongPassphrase
    );
    assert_eq!(
        kind(
            l.add(es256(), false, false, Some(&Passphrase::new("x")), t(1))
                .unwrap_err()
        ),
        ErrorKind::WrongPassphrase
    );
    assert!(l.add(es256(), false, false, Some(&p), t(1)).is_ok());
}

#[test]
fn sample_key_is_refused_unless_allowed() {
    let pem = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/sample-keys/jwtio-es256.key.pem"
    ))
    .unwrap();
    let sample = KeyMaterial::from_pem(&pem, KeyAlg::ES256, None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    match Keyring::init(tmp.path(), sample.clone(), None, None, t(0)) {
        Err(Error::Key(e)) => assert_eq!(e.kind(), ErrorKind::SampleKey),
        other => panic!("{other:?}"),
    }
    Keyring::init(tmp.path(), es256(), None, None, t(0)).unwrap();
    let mut l = Keyring::lock(tmp.path()).unwrap();
    match l.import(sample.clone(), false, None, t(1)) {
        Err(Error::Key(e)) => {
            assert_eq!(e.kind(), ErrorKind::SampleKey);
            assert!(e.message().contains("jwt.io"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let e = l.import(sample, true, None, t(1)).unwrap();
    assert!(e.imported);
    assert!(matches!(l.promote(None, false, t(2)), Err(Error::Key(_))));
    l.promote(None, true, t(2)).unwrap();
}

#[test]
fn damaged_manifests_are_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let ring = Keyring::init(tmp.path(), es256(), None, None, t(0)).unwrap();
    let path = tmp.path().join(MANIFEST_FILE);
    let good = fs::read_to_string(&path).unwrap();
    let cases = [
        good.replace("\"version\": 1", "\"version\": 2"),
        good.replace("\"active\"", "\"pending\""),
        good.replace(ring.active().file.as_deref().unwrap(), "sig-missing.pem"),
        good.replace(ring.active().file.as_deref().unwrap(), "../x.pem"),
        "{".to_owned(),
    ];
    for bad in cases {
        fs::write(&path, &bad).unwrap();
        assert!(
            matches!(Keyring::open(tmp.path()), Err(Error::Corrupt { .. })),
            "{bad}"
        );
    }
    fs::remove_file(&path).unwrap();
    assert!(matches!(Keyring::open(tmp.path()), Err(Error::NotFound(_))));
}

#[test]
fn a_pruned_file_under_an_older_manifest_still_loads() {
    let tmp = tempfile::tempdir().unwrap();
    Keyring::init(tmp.path(), es256(), None, None, t(0)).unwrap();
    let mut l = Keyring::lock(tmp.path()).unwrap();
    let old = l.active().clone();
    l.add(es256(), true, false, None, t(1)).unwrap();
    l.retire(None, true, t(2)).unwrap();
    drop(l);
    // What a reader sees if it read the manifest just before a prune
    // removed the retired key's file.
    fs::remove_file(tmp.path().join(old.file.as_deref().unwrap())).unwrap();
    let ring = Keyring::open(tmp.path()).unwrap();
    assert_eq!(ring.get(&old.kid).unwrap().state, KeyState::Retired);
    assert!(ring.signing_key(None).is_ok());
}

#[test]
fn readers_never_see_a_half_written_keyring() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    Keyring::init(&dir, es256(), None, None, t(0)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (dir, stop) = (dir.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut reads = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let ring = Keyring::open(&dir).expect("a reader always loads");
                assert_eq!(ring.active().state, KeyState::Active);
                assert!(ring
                    .jwks()
                    .keys
                    .iter()
                    .any(|k| k.kid.as_deref() == Some(ring.active().kid.as_str())));
                reads += 1;
            }
            reads
        })
    };
    for i in 0..40 {
        let mut l = Keyring::lock(&dir).unwrap();
        l.add(es256(), i % 2 == 0, false, None, t(i)).unwrap();
        if i % 2 == 1 {
            l.promote(None, false, t(i)).unwrap();
        }
        l.retire(None, true, t(i)).unwrap();
        l.prune().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 0);
}

#[test]
fn orphans_are_ignored_then_pruned() {
    let tmp = tempfile::tempdir().unwrap();
    Keyring::init(tmp.path(), es256(), None, None, t(0)).unwrap();
    fs::write(tmp.path().join("sig-orphan.pem"), "x").unwrap();
    fs::write(tmp.path().join(".tmp-1-2-3"), "x").unwrap();
    let mut l = Keyring::lock(tmp.path()).unwrap();
    assert_eq!(l.prune().unwrap(), vec![".tmp-1-2-3", "sig-orphan.pem"]);
}

#[test]
fn lock_contention_times_out() {
    let tmp = tempfile::tempdir().unwrap();
    Keyring::init(tmp.path(), es256(), None, None, t(0)).unwrap();
    let _held = Keyring::lock(tmp.path()).unwrap();
    let second = fsio::lock(&tmp.path().join(LOCK_FILE), Duration::from_millis(100));
    assert!(matches!(second, Err(fsio::LockFailure::Busy)));
}
