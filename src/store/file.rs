//! The database file before SQLite sees it: created owner-only, and anything that is not
//! an SQLite database (or is visibly cut short) refused before SQLite could write to it.
//! An encrypted (SQLCipher) file has no readable header: it is told apart from a stranger's
//! file only by being whole pages long, and the key then decides.

use std::fs;
use std::io::Read;
use std::path::Path;

use super::error::StoreError;

pub(crate) const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// SQLite's smallest page; every database file is a whole number of pages.
const MIN_PAGE: u64 = 512;

/// What is at the database path, judged without writing and without a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// Nothing yet, or an empty file (a database created but never written).
    New,
    /// An unencrypted SQLite file.
    Plaintext,
    /// Whole pages of what looks like random bytes: an SQLCipher database (the key will
    /// tell whether it is ours).
    Encrypted,
}

/// Looks at `path`: new, plaintext or encrypted. A folder, or a file that is neither
/// SQLite nor whole pages, is refused here.
pub fn state(path: &Path) -> Result<FileState, StoreError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::New),
        Err(e) => return Err(StoreError::io(path, e)),
    };
    if meta.is_dir() {
        return Err(StoreError::io(
            path,
            std::io::Error::other("it is a folder, not a database file"),
        ));
    }
    // A pipe or device (MSHT_DB=/dev/null, a FIFO) is never opened, chmod'ed or given a
    // journal beside it: only a regular file can hold records.
    if !meta.is_file() {
        return Err(StoreError::io(
            path,
            std::io::Error::other("it is a device or a pipe, not a database file"),
        ));
    }
    let len = meta.len();
    if len == 0 {
        return Ok(FileState::New);
    }
    let mut magic = [0u8; 16];
    let got = read_start(path, &mut magic)?;
    if got == 16 && &magic == SQLITE_MAGIC {
        Ok(FileState::Plaintext)
    } else if len >= MIN_PAGE && len % MIN_PAGE == 0 {
        Ok(FileState::Encrypted)
    } else {
        Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        })
    }
}

/// Makes the database's folder (owner-only) if it is missing, so a key file can be
/// written beside a database not yet created.
pub fn make_parent(path: &Path) -> Result<(), StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut b = fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(parent).map_err(|e| StoreError::io(parent, e))?;
    }
    Ok(())
}

/// Makes sure `path` is a file SQLite may open as an msht database: creates it (and its
/// folders) owner-only if missing, tightens its mode if others can read it, and refuses a
/// plaintext file that is not SQLite or is shorter than its header says.
pub fn prepare(path: &Path) -> Result<(), StoreError> {
    match fs::metadata(path) {
        Ok(meta) => {
            if state(path)? == FileState::Plaintext {
                check_header(path, meta.len())?;
            }
            owner_only(path, &meta)?;
            owner_read_write_sidecars(path);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

/// Creates an empty file owner-only, before SQLite writes a byte (SQLite then gives the
/// -wal and -shm files the same mode); an existing file is an error.
pub fn create_owner_only(path: &Path) -> std::io::Result<()> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map(|_| ())
}

fn create(path: &Path) -> Result<(), StoreError> {
    make_parent(path)?;
    match create_owner_only(path) {
        Ok(()) => Ok(()),
        // Another msht created it a moment ago; it is empty or a database, check it.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => prepare(path),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

#[cfg(unix)]
fn owner_only(path: &Path, meta: &fs::Metadata) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o700))
            .map_err(|e| StoreError::io(path, e))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_path: &Path, _meta: &fs::Metadata) -> Result<(), StoreError> {
    Ok(())
}

/// Makes the -wal and -shm files beside the database owner read-write (0600). SQLite
/// gives them the database file's mode when it makes them, so reading a database whose
/// file was read-only leaves a read-only `-shm` that then blocks every later write even
/// after the file itself is writable again. Best effort: a file we cannot change is
/// SQLite's to report.
fn owner_read_write_sidecars(path: &Path) {
    #[cfg(unix)]
    for suffix in ["-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(m) = fs::symlink_metadata(&p)
            && m.is_file()
            && m.permissions().mode() & 0o777 != 0o600
        {
            let _ = fs::set_permissions(&p, fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Reads the 100-byte SQLite header. An empty file is a database not yet written (we may
/// have crashed right after creating it).
fn check_header(path: &Path, len: u64) -> Result<(), StoreError> {
    if len == 0 {
        return Ok(());
    }
    let mut header = [0u8; 100];
    let got = read_start(path, &mut header)?;
    if got < 16 || &header[..16] != SQLITE_MAGIC {
        return Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    if got < 100 {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "the file is cut short inside its header".into(),
        });
    }
    // A write-ahead log may hold pages the file does not have yet (a checkpoint cut short
    // by a crash writes page 1 first); SQLite recovers that, so only judge the size when
    // there is no log.
    if has_wal(path) {
        return Ok(());
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536u64,
        n => u64::from(n),
    };
    let pages = u64::from(be32(28));
    // The page count is only meaningful when "version-valid-for" matches the change counter.
    if be32(92) == be32(24) && pages > 0 && page_size * pages > len {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: format!(
                "the file is cut short: {len} bytes where its header says {}",
                page_size * pages
            ),
        });
    }
    Ok(())
}

/// Reads up to `buf.len()` bytes from the start of `path`; how many there were.
fn read_start(path: &Path, buf: &mut [u8]) -> Result<usize, StoreError> {
    let mut f = fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(StoreError::io(path, e)),
        }
    }
    Ok(got)
}

pub(crate) fn has_wal(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    fs::metadata(Path::new(&wal)).is_ok_and(|m| m.len() > 0)
}
