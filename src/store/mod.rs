//! The encounter store: an append-only, hash-chained event log in one SQLite file. It is
//! the only module that touches rusqlite.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction committed with `synchronous=FULL` in
//! WAL mode, so an event is on disk when `append` returns and a SIGKILL or power cut at any
//! later instruction cannot lose it. The `events` table is the record; the `encounters`
//! table is a summary derived from it, updated in the same transaction, so listing is
//! cheap and verification can notice events removed from the end of a chain.
//!
//! The files: `mod.rs` opens the database; `read.rs` reads it; `write.rs` appends events
//! under the record's rules; `rows.rs` maps rows to values; `audit.rs` re-derives each
//! summary row from its chain; `review.rs` keeps the review queue's rows (a cache the
//! engine derives, stale as soon as a chain grows); `read_only.rs` opens a database that
//! cannot be written, for reading; `sync.rs` (push and import), `merge_plan.rs`, `hub.rs`
//! (whose receipts count), `prune.rs` and `held.rs` (what imports kept aside) are the
//! database side of sync; `scenes.rs` holds scenes (their chains, summaries and which
//! encounters joined them) and `scene_sync.rs` moves them through bundles.

mod audit;
mod encrypt;
mod error;
mod file;
mod held;
mod hub;
pub mod key;
mod keys;
mod merge_plan;
mod prune;
mod read;
mod read_only;
mod review;
mod rows;
mod scene_sync;
mod scenes;
mod schema;
mod sync;
mod sync_data;
#[cfg(test)]
mod tests;
mod unlock;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

pub use audit::{Audit, SummaryDiff};
pub use encrypt::Encrypted;
pub use error::StoreError;
pub use held::{HeldGroup, HeldKind, HeldPruneOutcome};
pub use keys::{StoredKey, TrustOutcome, TrustedDevice};
pub use read::{EncounterSummary, ListFilter};
pub use review::{ReviewFilter, ReviewRow};
pub use rows::normalise_since;
pub use scene_sync::{OutgoingScenes, SceneImport};
pub use scenes::{
    NoteBatch, PersonBatch, SceneBatch, SceneMember, SceneRecorded, SceneSummary, SceneTarget,
};
pub use schema::{APPLICATION_ID, MIGRATIONS};
pub use sync::RunSource;
pub use sync_data::{
    AckVerdict, AckedEvent, Acknowledgement, HubInfo, ImportOutcome, LeftOut, Outgoing,
    PruneOutcome, Pruned, PushRecord, Review, SyncStatus, Unaccepted, Want,
};
pub use unlock::{AskPassphrase, Encryption, KeySource};

use error::classify;

/// How long one SQLite call waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-transaction attempts before telling the user another msht is busy.
const WRITE_ATTEMPTS: usize = 3;

/// The open database. One connection; not shared between threads.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    device_id: String,
    encryption: Encryption,
}

impl Store {
    /// `msht.db` in the platform data directory (`~/.local/share/msht/` on Linux).
    pub fn default_path() -> Result<PathBuf, StoreError> {
        directories::ProjectDirs::from("", "", "msht")
            .map(|d| d.data_dir().join("msht.db"))
            .ok_or(StoreError::NoDataDir)
    }

    /// Opens (creating if needed) the database at `path` without a key: a plaintext
    /// database, or a new plaintext one. An encrypted database needs `open_with`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, KeySource::None)
    }

    /// Opens (creating if needed) the database at `path`, keyed from `keys` if it is (or
    /// will be) encrypted, and brings its schema up to date. Refuses, without writing to
    /// it, a wrong key, a file that is not an msht database, is damaged, or was written
    /// by a newer msht.
    pub fn open_with(path: &Path, keys: KeySource<'_>) -> Result<Store, StoreError> {
        let state = file::state(path)?;
        let (key, encryption) = unlock::unlock(path, state, keys)?;
        Store::open_keyed(path, key.as_ref(), encryption)
    }

    /// `open_with` once the key is known.
    fn open_keyed(
        path: &Path,
        key: Option<&key::DbKey>,
        encryption: Encryption,
    ) -> Result<Store, StoreError> {
        file::prepare(path)?;
        let mut conn = unlock::connect(path, key)?;
        retry(path, || inspect(&conn, path))??;
        // From here on the file is known to be ours (or empty) and not too new.
        retry(path, || {
            let mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                    Some(format!("the file system does not allow WAL mode ({mode})")),
                ));
            }
            conn.pragma_update(None, "synchronous", "FULL")?;
            // Pruned records are overwritten with zeros, not left readable in free pages
            // (`strings` on a plaintext file found pruned officers and locations).
            conn.pragma_update(None, "secure_delete", true)?;
            conn.pragma_update(None, "foreign_keys", true)
        })?;
        retry(path, || schema::migrate(&mut conn))?;
        let device_id = retry(path, || device_id(&mut conn))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            device_id,
            encryption,
        })
    }

    /// Whether the file at `path` is an encrypted database (judged without a key).
    pub fn file_is_encrypted(path: &Path) -> Result<bool, StoreError> {
        Ok(file::state(path)? == file::FileState::Encrypted)
    }

    /// Whether this database is encrypted, and how its key was supplied.
    pub fn encryption(&self) -> Encryption {
        self.encryption
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This database's device id, written once when the database was made.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// Shortens the lock wait, so tests can meet a busy database without waiting 15 s.
    #[cfg(test)]
    pub(crate) fn set_busy_timeout(&self, d: Duration) {
        let _ = self.conn.busy_timeout(d);
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        schema::user_version(&self.conn).map_err(|e| self.err(e))
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        classify(&self.path, e)
    }
}

/// A short pause before retrying, longer each time, so two waiting writers do not retry
/// in lock-step (and steps SQLite does not wait on by itself get a real second chance).
fn backoff(attempt: usize) {
    std::thread::sleep(Duration::from_millis(50 * attempt as u64));
}

/// Retries a non-transactional step (opening, migrating) that met a busy lock.
fn retry<T>(path: &Path, mut f: impl FnMut() -> rusqlite::Result<T>) -> Result<T, StoreError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match f() {
            Ok(v) => return Ok(v),
            Err(e) => {
                let e = classify(path, e);
                if !(e.is_busy() && attempt < WRITE_ATTEMPTS) {
                    return Err(e);
                }
                backoff(attempt);
            }
        }
    }
}

/// Reads (never writes) enough of the file to know it is ours, empty, and not too new.
fn inspect(conn: &Connection, path: &Path) -> rusqlite::Result<Result<(), StoreError>> {
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    let app_id: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version = schema::user_version(conn)?;
    let ours = app_id == APPLICATION_ID || (app_id == 0 && tables == 0 && version == 0);
    Ok(if !ours {
        Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        })
    } else if version > schema::latest() {
        Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported: schema::latest(),
        })
    } else {
        Ok(())
    })
}

/// The device id, created (UUIDv7) the first time this database is opened.
fn device_id(conn: &mut Connection) -> rusqlite::Result<String> {
    let get = |c: &Connection| {
        c.query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| {
            r.get(0)
        })
        .optional()
    };
    if let Some(id) = get(conn)? {
        return Ok(id);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process opening a new database at the same moment may have won the race.
    tx.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('device_id', ?1)",
        [uuid::Uuid::now_v7().to_string()],
    )?;
    let id: String = tx.query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| {
        r.get(0)
    })?;
    tx.commit()?;
    Ok(id)
}
