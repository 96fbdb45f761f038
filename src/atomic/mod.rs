//! Writing a file so that a reader never sees half of it, for exports, sync bundles and
//! receipts. Records are sensitive personal data and may become evidence, and bundles
//! travel on media that get unplugged mid-write, so a file is either whole or absent: it
//! is written to a temporary file in the same folder (so the final rename never crosses
//! file systems), created readable by the owner only (0600) from the first byte, flushed
//! to disk, and only then given its name. An existing file is never replaced unless the
//! caller asks for it. Temporary files a killed write left behind are removed on the
//! next write to the same folder (`stale.rs`).

mod stale;

pub use stale::{remove_stale_temp_files, stale_temp_files};

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

fn exists(dest: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{} already exists", dest.display()),
    )
}

/// Writes `bytes` to a new file `dest`; `AlreadyExists` if there is one.
pub fn write_new(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(dest, false)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Writes `bytes` to `dest`, replacing any file there in one step (readers see the old
/// file or the new one, never a mix).
pub fn write_replace(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(dest, true)?;
    f.write_all(bytes)?;
    f.commit()
}

/// A file being written; becomes `dest` on `commit`, and disappears if dropped before.
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
    force: bool,
}

impl AtomicFile {
    /// Checks up front that `dest` may be written (so a long export does not fail at
    /// the end) and opens the temporary file beside it.
    pub fn create(dest: &Path, force: bool) -> io::Result<AtomicFile> {
        // A device or pipe at `dest` is never replaced, even with `force`: renaming over
        // `/dev/null` or a FIFO would swap a system file for personal data.
        if fs::metadata(dest).is_ok_and(|m| !m.is_file()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is not a regular file, so it is never replaced",
                    dest.display()
                ),
            ));
        }
        if !force && fs::symlink_metadata(dest).is_ok() {
            return Err(exists(dest));
        }
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "it is not a file name"))?;
        // What an earlier write killed half-way left here is personal data nobody else
        // will remove.
        remove_stale_temp_files(&dir);
        // A random suffix, so two exports to one folder never share a temporary file.
        let tmp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&tmp)?;
        Ok(AtomicFile {
            dest: dest.to_path_buf(),
            tmp,
            file: Some(BufWriter::new(file)),
            force,
        })
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Flushes to disk and gives the file its name.
    pub fn commit(mut self) -> io::Result<()> {
        let dest = self.dest.clone();
        let Some(buf) = self.file.take() else {
            return Ok(());
        };
        let file = buf.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        if self.force {
            fs::rename(&self.tmp, &dest)?;
        } else {
            // A hard link fails if the name exists, so a file that appeared while the
            // export ran is still never replaced (rename would silently overwrite it).
            match fs::hard_link(&self.tmp, &dest) {
                Ok(()) => {
                    let _ = fs::remove_file(&self.tmp);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(exists(&dest)),
                // Some file systems (FAT on removable media) have no hard links.
                Err(_) if fs::symlink_metadata(&dest).is_err() => {
                    fs::rename(&self.tmp, &dest)?;
                }
                Err(_) => return Err(exists(&dest)),
            }
        }
        sync_dir(&dest);
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("the file is already closed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Never leave a half-written file of personal data behind.
        let _ = fs::remove_file(&self.tmp);
    }
}

/// Makes the new name itself durable (a power cut after rename keeps the file).
fn sync_dir(dest: &Path) {
    #[cfg(unix)]
    if let Some(dir) = dest.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = dest;
}

#[cfg(test)]
mod tests {

    #[cfg(unix)]
    #[test]
    fn a_pipe_or_device_is_never_replaced_even_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo makes a pipe");
        let e = write_replace(&fifo, b"personal data").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
        let e = write_replace(Path::new("/dev/null"), b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }
    use super::*;
    #[cfg(unix)]
    use std::os::unix::fs::FileTypeExt;

    #[test]
    fn writes_owner_only_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.json");
        let mut f = AtomicFile::create(&dest, false).unwrap();
        f.write_all(b"one").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(
            AtomicFile::create(&dest, false).err().map(|e| e.kind()),
            Some(io::ErrorKind::AlreadyExists)
        );
        let mut f = AtomicFile::create(&dest, true).unwrap();
        f.write_all(b"two").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn a_file_that_appears_during_the_export_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.csv");
        let mut f = AtomicFile::create(&dest, false).unwrap();
        f.write_all(b"mine").unwrap();
        fs::write(&dest, "theirs").unwrap();
        assert_eq!(f.commit().unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&dest).unwrap(), "theirs");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn write_new_never_overwrites_and_write_replace_does() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.bundle");
        write_new(&dest, b"one").unwrap();
        assert_eq!(
            write_new(&dest, b"two").unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(fs::read(&dest).unwrap(), b"one");
        write_replace(&dest, b"three").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"three");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn dropped_before_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.md");
        let mut f = AtomicFile::create(&dest, false).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
