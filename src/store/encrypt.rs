//! Turning a plaintext database into an encrypted one in place, so that a kill at any
//! instant leaves either the old file or the new one, whole, and nothing is lost.
//!
//! 1. Every chain and SQLite's integrity check pass on the plaintext, or nothing happens.
//! 2. The key is settled (and, for a passphrase, its file written) before any copy.
//! 3. The plaintext leaves WAL mode, which SQLite allows only when no other connection
//!    has it open, and this connection then holds an exclusive lock to the end: no one
//!    can write to the old file while it is copied, or after.
//! 4. `sqlcipher_export` copies everything into `NAME.encrypting` (created 0600), which
//!    is then opened on its own with the key and compared table by table, chain by chain.
//! 5. The copy is flushed and renamed over the database (atomic), and the folder flushed.
//!    The plaintext's inode goes when this connection closes; its `-wal`/`-shm` were
//!    removed while the lock was held, so no stale log can ever meet the new file.

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::error::{StoreError, classify};
use super::key::DbKey;
use super::unlock::{self, Encryption, KeySource};
use super::{Store, file, retry};

/// What `encrypt` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    pub encounters: usize,
    pub events: i64,
    /// How the key was supplied (raw key file or passphrase).
    pub encryption: Encryption,
}

const SCHEMA: &str = "msht_encrypted";

impl Store {
    /// Encrypts this plaintext database in place with a key from `keys` (a raw key, or a
    /// passphrase: the existing passphrase file's, or a new one). Consumes the store: the
    /// old connection ends holding a lock on a file that no longer has a name.
    pub fn encrypt(self, keys: KeySource<'_>) -> Result<Encrypted, StoreError> {
        let path = self.path.clone();
        if self.encryption.is_encrypted() {
            return Err(StoreError::BadEvent(format!(
                "the database {} is already encrypted",
                path.display()
            )));
        }
        self.check_whole()?;
        let (key, encryption) = match keys {
            KeySource::Raw(k) => (k, Encryption::RawKey),
            KeySource::Ask(ask) => (unlock::new_key(&path, ask)?, Encryption::Passphrase),
            KeySource::None => {
                return Err(super::key::KeyError::NoKey { db: path }.into());
            }
        };
        let Store { conn, .. } = self;
        lock_alone(&conn, &path)?;
        let before = retry(&path, || fingerprint(&conn, "main"))?;
        let tmp = temp_path(&path);
        remove_with_logs(&tmp)?;
        file::create_owner_only(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
        export(&conn, &tmp, &key).map_err(|e| classify(&tmp, e))?;
        let copy = Store::open_keyed(&tmp, Some(&key), encryption)?;
        copy.check_whole()?;
        let after = retry(&tmp, || fingerprint(&copy.conn, "main"))?;
        let encounters = copy.count()?;
        drop(copy);
        if before != after {
            return Err(StoreError::Database {
                path: tmp,
                detail:
                    "the encrypted copy differs from the database; the database was not changed"
                        .into(),
            });
        }
        let events = before.events;
        replace(&tmp, &path)?;
        drop(conn);
        Ok(Encrypted {
            encounters,
            events,
            encryption,
        })
    }

    /// SQLite's integrity check and every hash chain, or the first problem as an error.
    fn check_whole(&self) -> Result<(), StoreError> {
        let integrity = self.integrity_check()?;
        if integrity != ["ok"] {
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: format!("integrity_check: {}", integrity.join("; ")),
            });
        }
        match self.verify_all()?.breaks.into_iter().next() {
            Some(b) => Err(StoreError::Tampered(b)),
            None => Ok(()),
        }
    }
}

/// `NAME.encrypting` beside the database.
fn temp_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".encrypting");
    PathBuf::from(p)
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Removes `p` and any -wal, -shm or -journal of it (a copy left by a killed run).
fn remove_with_logs(p: &Path) -> Result<(), StoreError> {
    for suffix in ["-wal", "-shm", "-journal", ""] {
        let f = with_suffix(p, suffix);
        match fs::remove_file(&f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io(&f, e)),
        }
    }
    Ok(())
}

/// Takes the database out of WAL mode (only possible with no other connection open)
/// and holds an exclusive lock until this connection closes.
fn lock_alone(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let busy = || StoreError::Busy {
        path: path.to_path_buf(),
    };
    retry(path, || {
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
    })?;
    let mode: String = retry(path, || {
        conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
    })?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(busy());
    }
    retry(path, || {
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
    })?;
    // Out of WAL mode these are leftovers; with the lock held no one else can be using them.
    for suffix in ["-wal", "-shm"] {
        let f = with_suffix(path, suffix);
        if let Err(e) = fs::remove_file(&f)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(StoreError::io(&f, e));
        }
    }
    Ok(())
}

/// Copies the whole database into the (empty) file `tmp`, encrypted with `key`.
fn export(conn: &Connection, tmp: &Path, key: &DbKey) -> rusqlite::Result<()> {
    let lit = key.sql_literal();
    conn.execute(
        &format!("ATTACH DATABASE ?1 AS {SCHEMA} KEY ?2"),
        rusqlite::params![tmp.to_string_lossy(), &*lit],
    )?;
    let outcome = (|| {
        conn.query_row(&format!("SELECT sqlcipher_export('{SCHEMA}')"), [], |_| {
            Ok(())
        })?;
        // sqlcipher_export copies tables, not the header fields msht checks on open.
        for field in ["user_version", "application_id"] {
            let v: i64 = conn.pragma_query_value(Some("main"), field, |r| r.get(0))?;
            conn.pragma_update(Some(SCHEMA), field, v)?;
        }
        Ok(())
    })();
    let detached = conn.execute_batch(&format!("DETACH DATABASE {SCHEMA}"));
    outcome.and(detached)
}

/// Row counts of every table and a digest of every event and summary: equal on both
/// sides means nothing was lost or changed in the copy.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    tables: Vec<(String, i64)>,
    events: i64,
    digest: Vec<u8>,
}

fn fingerprint(conn: &Connection, schema: &str) -> rusqlite::Result<Fingerprint> {
    let names: Vec<String> = conn
        .prepare(&format!(
            "SELECT name FROM {schema}.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ))?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut tables = Vec::new();
    for n in names {
        let q = format!(
            "SELECT count(*) FROM {schema}.\"{}\"",
            n.replace('"', "\"\"")
        );
        let c: i64 = conn.query_row(&q, [], |r| r.get(0))?;
        tables.push((n, c));
    }
    let mut h = Sha256::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT encounter_id, seq, hash FROM {schema}.events ORDER BY encounter_id, seq"
    ))?;
    let mut rows = stmt.query([])?;
    let mut events = 0;
    while let Some(r) = rows.next()? {
        events += 1;
        h.update(r.get::<_, String>(0)?);
        h.update(r.get::<_, i64>(1)?.to_be_bytes());
        h.update(r.get::<_, String>(2)?);
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT id, head_hash, event_count FROM {schema}.encounters ORDER BY id"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        h.update(r.get::<_, String>(0)?);
        h.update(r.get::<_, String>(1)?);
        h.update(r.get::<_, i64>(2)?.to_be_bytes());
    }
    Ok(Fingerprint {
        tables,
        events,
        digest: h.finalize().to_vec(),
    })
}

/// Flushes `tmp`, renames it over `db` and flushes the folder, so after a power cut the
/// name points at the old file or the new one.
fn replace(tmp: &Path, db: &Path) -> Result<(), StoreError> {
    fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::io(tmp, e))?;
    fs::rename(tmp, db).map_err(|e| StoreError::io(db, e))?;
    if let Some(dir) = db.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}
