//! Opening the database file with the right key: which key a database needs, where it
//! comes from (a raw key file, the passphrase file beside it, or nothing for a plaintext
//! one), and proof that it fits before anything is read or written.
//!
//! How a new database is made: with a raw key it is encrypted with that key and no
//! passphrase file is written; otherwise the officer is asked for a new passphrase (the
//! asker confirms it), a random key is made and its passphrase file written *before* the
//! database, so no encrypted database ever exists without the file that unlocks it. A
//! passphrase file already there (left by a database deleted or not yet written) is
//! reused, never replaced. Only the library's `KeySource::None` makes a plaintext one.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::error::{StoreError, classify};
use super::file::{self, FileState};
use super::key::{DbKey, KeyError, Passphrase, WrappedKey};

/// Where the database key comes from, if the database turns out to need one.
pub enum KeySource<'a> {
    /// No key: a plaintext database opens, a new one is made plaintext, an encrypted one
    /// is refused. For tests, benchmarks and the plaintext side of `encrypt`.
    None,
    /// The raw key (from a raw key file): used as it is, no passphrase, no KDF.
    Raw(DbKey),
    /// Ask the officer, only if the database needs a passphrase.
    Ask(&'a mut dyn AskPassphrase),
}

/// How the officer is asked for a passphrase. `cli` implements it with a hidden prompt;
/// an implementation without a terminal returns `KeyError::NoTerminal`.
pub trait AskPassphrase {
    /// The passphrase of an existing passphrase file.
    fn current(&mut self, db: &Path) -> Result<Passphrase, KeyError>;
    /// A new passphrase (asked twice, or however the implementation confirms it).
    fn new_passphrase(&mut self, db: &Path) -> Result<Passphrase, KeyError>;
}

/// Whether the open database is encrypted, and how its key was supplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encryption {
    /// A plaintext SQLite file.
    None,
    /// Encrypted; the key came from a raw key file.
    RawKey,
    /// Encrypted; the key was unwrapped with the officer's passphrase.
    Passphrase,
}

impl Encryption {
    pub fn is_encrypted(self) -> bool {
        self != Encryption::None
    }
}

/// Decides the key for the database at `db`, asking for a passphrase only when needed.
/// Writes nothing except, for a new database, its folder and passphrase file.
pub(crate) fn unlock(
    db: &Path,
    state: FileState,
    source: KeySource<'_>,
) -> Result<(Option<DbKey>, Encryption), StoreError> {
    let key = match (state, source) {
        (FileState::Plaintext, _) | (FileState::New, KeySource::None) => {
            return Ok((None, Encryption::None));
        }
        (_, KeySource::Raw(k)) => return Ok((Some(k), Encryption::RawKey)),
        (FileState::Encrypted, KeySource::None) => {
            return Err(KeyError::NoKey {
                db: db.to_path_buf(),
            }
            .into());
        }
        (FileState::Encrypted, KeySource::Ask(ask)) => match WrappedKey::load(db)? {
            Some(w) => w.unwrap(&ask.current(db)?, db)?,
            None => {
                return Err(KeyError::NoKey {
                    db: db.to_path_buf(),
                }
                .into());
            }
        },
        (FileState::New, KeySource::Ask(ask)) => new_key(db, ask)?,
    };
    Ok((Some(key), Encryption::Passphrase))
}

/// The key of a database about to be made: the existing passphrase file's, or a new
/// random key whose passphrase file is written now.
pub(crate) fn new_key(db: &Path, ask: &mut dyn AskPassphrase) -> Result<DbKey, StoreError> {
    if let Some(w) = WrappedKey::load(db)? {
        return Ok(w.unwrap(&ask.current(db)?, db)?);
    }
    let pass = ask.new_passphrase(db)?;
    let key = DbKey::random()?;
    file::make_parent(db)?;
    WrappedKey::wrap(&key, &pass)?.save(db, false)?;
    Ok(key)
}

/// Opens a connection to `path` (which must exist) and keys it. SQLCipher's own logging
/// is silenced first, and a keyed connection reads the schema at once, since a wrong key
/// shows only on the first read.
pub(crate) fn connect(path: &Path, key: Option<&DbKey>) -> Result<Connection, StoreError> {
    // No CREATE flag: `file::prepare` made the file, so SQLite never creates one with the
    // process umask.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(super::BUSY_TIMEOUT)
        .map_err(|e| classify(path, e))?;
    conn.pragma_update(None, "cipher_log_level", "NONE")
        .map_err(|e| classify(path, e))?;
    if let Some(k) = key {
        apply_key(&conn, None, k).map_err(|e| classify(path, e))?;
        probe(&conn, path)?;
    }
    Ok(conn)
}

/// `PRAGMA [schema.]key = "x'…'"`: the raw form, so SQLCipher skips its KDF.
pub(crate) fn apply_key(
    conn: &Connection,
    schema: Option<&str>,
    key: &DbKey,
) -> rusqlite::Result<()> {
    let lit = key.sql_literal();
    let schema = schema.map(|s| format!("{s}.")).unwrap_or_default();
    let sql = zeroize::Zeroizing::new(format!("PRAGMA {schema}key = \"{}\"", &*lit));
    conn.execute_batch(&sql)
}

/// Reads the schema once; "not a database" after keying means the key is wrong.
pub(crate) fn probe(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(_) => return Ok(()),
            Err(e) => match classify(path, e) {
                StoreError::NotADatabase { .. } => {
                    return Err(KeyError::WrongKey {
                        db: path.to_path_buf(),
                    }
                    .into());
                }
                e if e.is_busy() && attempt < super::WRITE_ATTEMPTS => super::backoff(attempt),
                e => return Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed_file(dir: &Path, key: &DbKey) -> std::path::PathBuf {
        let p = dir.join("k.db");
        file::create_owner_only(&p).unwrap();
        let c = connect(&p, Some(key)).unwrap();
        c.execute_batch(
            "CREATE VIRTUAL TABLE g USING fts5(body, tokenize = 'porter unicode61');
             INSERT INTO g(body) VALUES ('debt bondage and withheld passports');",
        )
        .unwrap();
        p
    }

    #[test]
    fn fts5_works_in_an_encrypted_database() {
        let d = tempfile::tempdir().unwrap();
        let key = DbKey::random().unwrap();
        let p = keyed_file(d.path(), &key);
        let c = connect(&p, Some(&key)).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM g WHERE g MATCH 'passport'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1);
        let bytes = std::fs::read(&p).unwrap();
        assert_ne!(&bytes[..16], file::SQLITE_MAGIC);
        assert!(!bytes.windows(8).any(|w| w == b"bondage "));
    }

    #[test]
    fn a_wrong_key_is_found_at_once() {
        let d = tempfile::tempdir().unwrap();
        let p = keyed_file(d.path(), &DbKey::random().unwrap());
        let e = connect(&p, Some(&DbKey::random().unwrap())).unwrap_err();
        assert!(
            matches!(e, StoreError::Key(KeyError::WrongKey { .. })),
            "{e}"
        );
        assert_eq!(file::state(&p).unwrap(), FileState::Encrypted);
    }
}
