//! Opening a database that cannot be written: its folder (or disk) is read-only, so SQLite
//! cannot make the journal files WAL mode keeps beside the file. An officer must still be
//! able to read and export what is there (a copy on a write-protected stick, a folder
//! locked by IT), so commands that only read fall back to this: a read-only connection
//! that creates nothing, changes nothing and refuses every write.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::error::{StoreError, classify};
use super::{Encryption, Store, inspect, key::DbKey, retry, schema, unlock};

impl Store {
    /// Opens an existing database for a command that only reads, keyed from `keys`. Like
    /// `open_with`, but when the file cannot be opened for writing (a read-only folder or
    /// disk) it is opened read-only instead, rather than refused.
    pub fn open_to_read(path: &Path, keys: unlock::KeySource<'_>) -> Result<Store, StoreError> {
        let state = super::file::state(path)?;
        let (key, encryption) = unlock::unlock(path, state, keys)?;
        match Store::open_keyed(path, key.as_ref(), encryption) {
            Err(StoreError::Unwritable { .. }) if state != super::file::FileState::New => {
                open_read_only(path, key.as_ref(), encryption)
            }
            other => other,
        }
    }
}

/// A connection that never writes. With no write-ahead log beside the file there is
/// nothing newer than the file itself, and nobody can be writing (a writer would need to
/// create that log in this same folder), so SQLite is told the file is immutable and
/// takes no locks. With a log present SQLite reads it as usual, read-only.
fn open_read_only(
    path: &Path,
    key: Option<&DbKey>,
    encryption: Encryption,
) -> Result<Store, StoreError> {
    let conn = connect(path, key)?;
    retry(path, || inspect(&conn, path))??;
    let version = retry(path, || schema::user_version(&conn))?;
    if version < schema::latest() {
        return Err(StoreError::Unwritable {
            path: path.to_path_buf(),
            detail: format!(
                "it needs updating from schema {version} to {} before this msht can read it, and its folder is read-only",
                schema::latest()
            ),
        });
    }
    let device_id = retry(path, || {
        conn.query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()
    })?
    .unwrap_or_default();
    Ok(Store {
        conn,
        path: path.to_path_buf(),
        device_id,
        encryption,
    })
}

fn connect(path: &Path, key: Option<&DbKey>) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(uri(path), flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(super::BUSY_TIMEOUT)
        .map_err(|e| classify(path, e))?;
    conn.pragma_update(None, "cipher_log_level", "NONE")
        .map_err(|e| classify(path, e))?;
    if let Some(k) = key {
        unlock::apply_key(&conn, None, k).map_err(|e| classify(path, e))?;
        unlock::probe(&conn, path)?;
    }
    Ok(conn)
}

/// `file:` URI for `path`, percent-encoding what a URI reserves, `immutable=1` when no
/// write-ahead log is beside it.
fn uri(path: &Path) -> String {
    let mut out = String::from("file:");
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(*b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out.push_str(if super::file::has_wal(path) {
        "?mode=ro"
    } else {
        "?mode=ro&immutable=1"
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_what_a_uri_reserves() {
        let u = uri(Path::new("/tmp/a b/x?y#z%.db"));
        assert!(
            u.starts_with("file:/tmp/a%20b/x%3Fy%23z%25.db?mode=ro"),
            "{u}"
        );
    }
}
