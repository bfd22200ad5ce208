//! Crash-safe file operations and the writer lock.
//!
//! Every write goes to a fresh temp file in the target's own directory
//! (opened with `create_new`, so never through a planted file or link),
//! which is flushed with `sync_all`, then moved into place, then the
//! directory itself is fsynced so the new name survives a power cut.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Prefix of every temp file the keyring writes; leftovers of a crash carry it
/// and are removed by `prune`.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

fn temp_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{TEMP_PREFIX}{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Writes `data` to a new temp file in `dir` with `mode`, synced; returns its path.
fn write_temp(dir: &Path, data: &[u8], mode: u32) -> io::Result<PathBuf> {
    let path = dir.join(temp_name());
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&path)?;
    // `mode` is filtered by the umask; make it exact.
    let result = file
        .set_permissions(fs::Permissions::from_mode(mode))
        .and_then(|()| file.write_all(data))
        .and_then(|()| file.sync_all());
    if let Err(e) = result {
        drop(file);
        let _ = fs::remove_file(&path);
        return Err(e);
    }
    Ok(path)
}

/// Makes the directory entries of `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Atomically replaces (or creates) `dir/name` with `data`.
pub(crate) fn replace_file(dir: &Path, name: &str, data: &[u8], mode: u32) -> io::Result<()> {
    let tmp = write_temp(dir, data, mode)?;
    if let Err(e) = fs::rename(&tmp, dir.join(name)) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Creates `dir/name` with `data`, atomically and never over an existing
/// file: the name appears complete or not at all.
pub(crate) fn create_file(dir: &Path, name: &str, data: &[u8], mode: u32) -> io::Result<()> {
    let tmp = write_temp(dir, data, mode)?;
    let target = dir.join(name);
    // A hard link fails if the target exists, so nothing is ever overwritten.
    let linked = fs::hard_link(&tmp, &target);
    let result = match linked {
        Ok(()) => fs::remove_file(&tmp),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        // File systems without hard links: the caller holds the keyring lock,
        // so checking first and renaming is race-free among writers.
        Err(_) if !target.exists() => fs::rename(&tmp, &target),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Creates `path` with mode 0700 if it is missing (its parents too).
/// Returns whether it was created.
pub(crate) fn create_private_dir(path: &Path) -> io::Result<bool> {
    if path.is_dir() {
        return Ok(false);
    }
    fs::create_dir_all(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    Ok(true)
}

/// An exclusive `flock` on the keyring's lock file. The kernel drops it when
/// the process ends, however it ends, so a crash never leaves a stale lock.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

/// Why the lock could not be taken.
pub(crate) enum LockFailure {
    /// Another process held it for the whole wait.
    Busy,
    /// The lock file could not be opened or locked.
    Io(io::Error),
}

/// Takes the lock on `lock_path`, waiting at most `timeout`.
pub(crate) fn lock(lock_path: &Path, timeout: Duration) -> Result<DirLock, LockFailure> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(lock_path)
        .map_err(LockFailure::Io)?;
    let start = Instant::now();
    loop {
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(DirLock { _file: file }),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {
                if start.elapsed() >= timeout {
                    return Err(LockFailure::Busy);
                }
                thread::sleep(Duration::from_millis(25));
            }
            Err(e) => return Err(LockFailure::Io(e.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn create_file_never_overwrites_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        create_file(dir.path(), "a.pem", b"one", 0o600).unwrap();
        let e = create_file(dir.path(), "a.pem", b"two", 0o600).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(dir.path().join("a.pem")).unwrap(), b"one");
        assert_eq!(
            fs::metadata(dir.path().join("a.pem")).unwrap().mode() & 0o777,
            0o600
        );
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "temp file left behind");
    }

    #[test]
    fn replace_file_replaces() {
        let dir = tempfile::tempdir().unwrap();
        replace_file(dir.path(), "m.json", b"1", 0o644).unwrap();
        replace_file(dir.path(), "m.json", b"2", 0o644).unwrap();
        assert_eq!(fs::read(dir.path().join("m.json")).unwrap(), b"2");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn second_lock_in_same_process_waits_then_fails() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".lock");
        let held = lock(&p, Duration::from_secs(1)).ok().unwrap();
        // flock locks belong to the open file description, so a second open
        // in the same process contends like another process would.
        let t = Instant::now();
        assert!(matches!(
            lock(&p, Duration::from_millis(200)),
            Err(LockFailure::Busy)
        ));
        assert!(t.elapsed() >= Duration::from_millis(200));
        drop(held);
        assert!(lock(&p, Duration::from_millis(200)).is_ok());
    }
}
