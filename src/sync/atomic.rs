//! Writing a file so that a reader never sees half of it: temp file in the same folder,
//! fsync, rename, fsync the folder. Bundles and receipts travel on USB sticks and network
//! shares that get unplugged mid-write; a half-written bundle must not exist under its
//! real name, and the folder entry must survive a power cut once we have said "written".

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `dir/name`, readable by the owner only (0600 on Unix: bundles hold
/// personal data about possible victims). Refuses to replace an existing file: a name is
/// never reused for different content, so an existing file is kept and reported.
pub fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let target = dir.join(name);
    if target.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", target.display()),
        ));
    }
    write_replace(dir, name, bytes)
}

/// Like `write_new`, but an existing file of that name is replaced in one step (readers
/// see the old file or the new one, never a mix). Only for receipts, which are re-issued
/// when a later import acknowledges more; never for bundles.
pub fn write_replace(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, &target)?;
        sync_dir(dir);
        Ok(target.clone())
    })();
    if result.is_err() {
        // Best effort: a leftover temp file is harmless (its name starts with a dot and is
        // never read as a bundle), but tidy up when we can.
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Makes the rename itself durable. Some file systems (and Windows) cannot open a folder
/// for syncing; the data is already synced, so that is not worth failing the write for.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_private_file_and_never_overwrites() {
        let d = tempfile::tempdir().unwrap();
        let p = write_new(d.path(), "a.txt", b"one").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let e = write_new(d.path(), "a.txt", b"two").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"one");
        // No temp files left behind.
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
