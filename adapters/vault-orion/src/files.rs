//! Owner-only files written atomically: temp file, `sync_all`, `rename`, directory fsync.

use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ttai_core::ports::VaultError;

/// The mode of every file the vault writes: read and write for the owner only.
pub(crate) const FILE_MODE: u32 = 0o600;
/// The mode of the directory when the vault has to create it.
const DIR_MODE: u32 = 0o700;
/// The largest file the vault reads; a vault file is a few hundred bytes.
const MAX_FILE_LEN: u64 = 1 << 20;

/// An I/O error naming the path (paths are not secrets).
pub(crate) fn io_error(what: &str, path: &Path, e: &io::Error) -> VaultError {
    VaultError::Io(format!("{what} {}: {e}", path.display()))
}

/// The file's bytes, `None` when it does not exist.
///
/// # Errors
/// `Io` when it cannot be read, is not a regular file, or is implausibly large.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, VaultError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("cannot open", path, &e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| io_error("cannot inspect", path, &e))?;
    if !meta.is_file() {
        return Err(VaultError::Io(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error("cannot read", path, &e))?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(VaultError::Io(format!(
            "{} is larger than {MAX_FILE_LEN} bytes",
            path.display()
        )));
    }
    Ok(Some(bytes))
}

/// Creates `dir` (owner-only) when it does not exist.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), VaultError> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| io_error("cannot create the directory", dir, &e))
}

/// Flushes the directory entry changes (renames, links, removals) of `dir` to disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), VaultError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("cannot sync the directory", dir, &e))
}

/// A temp file beside the target, removed on drop unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes `bytes` into a new owner-only temp file in `dir`, synced to disk.
fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> Result<TempFile, VaultError> {
    let mut suffix = [0u8; 8];
    orion::util::secure_rand_bytes(&mut suffix)
        .map_err(|_| VaultError::Io("the random source failed".to_owned()))?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let temp = TempFile {
        path: dir.join(format!("{name}.{suffix}.tmp")),
        keep: false,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(&temp.path)
        .map_err(|e| io_error("cannot create", &temp.path, &e))?;
    // The umask can only remove bits; this makes the mode exact whatever it is.
    file.set_permissions(Permissions::from_mode(FILE_MODE))
        .map_err(|e| io_error("cannot set the mode of", &temp.path, &e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error("cannot write", &temp.path, &e))?;
    Ok(temp)
}

/// Replaces `dir/name` with `bytes` atomically: a crash leaves the old file or the new one.
///
/// # Errors
/// `Io` when any step fails; the target is then untouched.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), VaultError> {
    let mut temp = write_temp(dir, name, bytes)?;
    let target = dir.join(name);
    fs::rename(&temp.path, &target).map_err(|e| io_error("cannot replace", &target, &e))?;
    temp.keep = true;
    sync_dir(dir)
}

/// Simulates a crash after the temp file was written and before the rename: the temp file stays.
#[cfg(test)]
pub(crate) fn crash_before_rename(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let mut temp = write_temp(dir, name, bytes).unwrap_or_else(|e| panic!("{e}"));
    temp.keep = true;
    temp.path.clone()
}

/// Creates `dir/name` with `bytes` unless it exists, atomically and without a race between
/// processes (a hard link fails when the target exists). True when this call created it.
///
/// # Errors
/// `Io` when any step fails.
pub(crate) fn create_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<bool, VaultError> {
    let temp = write_temp(dir, name, bytes)?;
    let target = dir.join(name);
    let created = match fs::hard_link(&temp.path, &target) {
        Ok(()) => true,
        Err(e) if e.kind() == ErrorKind::AlreadyExists => false,
        Err(e) => return Err(io_error("cannot create", &target, &e)),
    };
    drop(temp);
    sync_dir(dir)?;
    Ok(created)
}

/// Removes `path`; true when it existed.
///
/// # Errors
/// `Io` when it exists and cannot be removed.
pub(crate) fn remove_optional(path: &Path) -> Result<bool, VaultError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error("cannot remove", path, &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn atomic_writes_are_owner_only_and_leave_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "f", b"one").unwrap();
        write_atomic(dir.path(), "f", b"two").unwrap();
        assert_eq!(fs::read(dir.path().join("f")).unwrap(), b"two");
        assert_eq!(mode(&dir.path().join("f")), 0o600);
        assert_eq!(entries(dir.path()), ["f"]);
    }

    #[test]
    fn a_write_over_a_loose_mode_file_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        write_atomic(dir.path(), "f", b"new").unwrap();
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn create_does_not_replace_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(create_atomic(dir.path(), "k", b"first").unwrap());
        assert!(!create_atomic(dir.path(), "k", b"second").unwrap());
        assert_eq!(fs::read(dir.path().join("k")).unwrap(), b"first");
        assert_eq!(mode(&dir.path().join("k")), 0o600);
        assert_eq!(entries(dir.path()), ["k"]);
    }

    #[test]
    fn missing_files_read_as_none_and_remove_as_false() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_optional(&dir.path().join("nope")).unwrap(), None);
        assert!(!remove_optional(&dir.path().join("nope")).unwrap());
        assert!(matches!(read_optional(dir.path()), Err(VaultError::Io(_))));
    }

    #[test]
    fn the_directory_is_created_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        ensure_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
    }
}
