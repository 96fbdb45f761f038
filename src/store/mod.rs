//! The encounter store: an append-only, hash-chained event log in one SQLite file. It is
//! the only module that touches rusqlite.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction committed with `synchronous=FULL` in
//! WAL mode, so an event is on disk when `append` returns and a SIGKILL or power cut at any
//! later instruction cannot lose it. The `events` table is the record; the `encounters`
//! table is a summary derived from it, updated in the same transaction, so listing is
//! cheap and verification can notice events removed from the end of a chain.

mod error;
mod file;
mod schema;
mod sync;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;

pub use error::StoreError;
pub use schema::{APPLICATION_ID, MIGRATIONS};

use crate::record::{ChainBreak, EncounterState, Event, EventBody, GENESIS_HASH, Status};
use error::classify;

/// How long one SQLite call waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-transaction attempts before telling the user another msht is busy.
const WRITE_ATTEMPTS: usize = 3;

/// Which encounters to list or stream.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<Status>,
    /// A date (`YYYY-MM-DD`, local midnight) or an RFC 3339 time; encounters created at
    /// or after it.
    pub since: Option<String>,
    pub limit: Option<usize>,
    pub offset: usize,
}

/// One line of `encounters list`, read from the summary table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncounterSummary {
    pub id: String,
    pub status: Status,
    pub officer: String,
    pub location: String,
    pub checklist: String,
    pub created_at: String,
    pub updated_at: String,
    pub event_count: usize,
}

/// The open database. One connection; not shared between threads.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    device_id: String,
}

/// What `walk` calls per encounter: its events (or the break that made one unreadable)
/// and the summary's (event_count, head_hash).
type WalkFn<'a> =
    dyn FnMut(Result<Vec<Event>, ChainBreak>, (i64, String)) -> Result<(), StoreError> + 'a;

/// Where an encounter's chain ends, read inside a write transaction.
struct Head {
    id: String,
    status: Status,
    seq: u32,
    hash: String,
}

impl Store {
    /// `msht.db` in the platform data directory (`~/.local/share/msht/` on Linux).
    pub fn default_path() -> Result<PathBuf, StoreError> {
        directories::ProjectDirs::from("", "", "msht")
            .map(|d| d.data_dir().join("msht.db"))
            .ok_or(StoreError::NoDataDir)
    }

    /// Opens `db`, or the default database when none was given.
    pub fn open_ctx(db: Option<&Path>) -> Result<Store, StoreError> {
        match db {
            Some(p) => Store::open(p),
            None => Store::open(&Store::default_path()?),
        }
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Refuses, without writing to it, a file that is not an msht database, is damaged,
    /// or was written by a newer msht.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        file::prepare(path)?;
        // No CREATE flag: `prepare` made the file, so SQLite never creates one with the
        // process umask.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| classify(path, e))?;
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
            conn.pragma_update(None, "foreign_keys", true)
        })?;
        retry(path, || schema::migrate(&mut conn))?;
        let device_id = retry(path, || device_id(&mut conn))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            device_id,
        })
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

    /// Starts an encounter: `created` must be `EventBody::Created`. Durable when it returns.
    pub fn create_encounter(&mut self, created: EventBody) -> Result<Event, StoreError> {
        let mut events = self.record_encounter(created, Vec::new())?;
        events
            .pop()
            .ok_or_else(|| StoreError::BadEvent("the encounter was not created".into()))
    }

    /// Creates an encounter and appends `rest` in one transaction: all or nothing.
    pub fn record_encounter(
        &mut self,
        created: EventBody,
        rest: Vec<EventBody>,
    ) -> Result<Vec<Event>, StoreError> {
        // Checked before the transaction so a wrong first event costs nothing.
        if !matches!(created, EventBody::Created { .. }) {
            return Err(StoreError::BadEvent(
                "an encounter must start with a 'created' event".into(),
            ));
        }
        let Store {
            conn,
            path,
            device_id,
        } = self;
        write(conn, path, |tx| {
            let mut head = Head {
                id: uuid::Uuid::now_v7().to_string(),
                status: Status::Draft,
                seq: 0,
                hash: GENESIS_HASH.to_string(),
            };
            let first = next_event(&head, device_id, created.clone());
            insert_summary(tx, &first)?;
            insert_event(tx, &first)?;
            head.seq = 1;
            head.hash = first.hash.clone();
            let mut out = vec![first];
            for body in &rest {
                let status = check_rules(&head, body)?;
                let e = next_event(&head, device_id, body.clone());
                insert_event(tx, &e)?;
                head.seq = e.seq;
                head.hash = e.hash.clone();
                head.status = status;
                out.push(e);
            }
            update_summary(tx, &head, out.last().map(|e| e.at.as_str()).unwrap_or(""))?;
            Ok(out)
        })
    }

    /// Appends one event to the encounter with this full id. Durable (committed with
    /// `synchronous=FULL`) when it returns. Enforces the record's rules: answers, prompts,
    /// actions and notes only on drafts; `Completed` only on a draft; `Amended` only on a
    /// complete encounter and with a reason; `Voided` with a reason, once.
    pub fn append(&mut self, encounter_id: &str, body: EventBody) -> Result<Event, StoreError> {
        let Store {
            conn,
            path,
            device_id,
        } = self;
        write(conn, path, |tx| {
            let Some(head) = load_head(tx, encounter_id)? else {
                return Err(StoreError::NotFound {
                    prefix: encounter_id.to_string(),
                    nearest: Vec::new(),
                }
                .into());
            };
            let status = check_rules(&head, &body)?;
            let e = next_event(&head, device_id, body.clone());
            insert_event(tx, &e)?;
            let head = Head {
                status,
                seq: e.seq,
                hash: e.hash.clone(),
                ..head
            };
            update_summary(tx, &head, &e.at)?;
            Ok(e)
        })
    }

    /// The encounter's events in order, as stored (not verified).
    pub fn events(&self, encounter_id: &str) -> Result<Vec<Event>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, encounter_id, seq, at, offset, device_id, prev_hash, hash, type, body
                 FROM events WHERE encounter_id = ?1 ORDER BY seq",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([encounter_id], RawEvent::from_row)
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r.map_err(|e| self.err(e))?.into_event()?);
        }
        Ok(out)
    }

    /// Loads, verifies and replays one encounter. A chain that does not verify, or that
    /// does not end where the summary says it ends, is `StoreError::Tampered`.
    pub fn encounter(&self, encounter_id: &str) -> Result<EncounterState, StoreError> {
        // One read transaction, so the events and the summary row come from the same
        // snapshot: another process appending in between must not look like tampering.
        let snapshot = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let events = self.events(encounter_id)?;
        if events.is_empty() {
            return Err(StoreError::NotFound {
                prefix: encounter_id.to_string(),
                nearest: Vec::new(),
            });
        }
        EncounterState::verify(&events).map_err(StoreError::Tampered)?;
        let summary: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT event_count, head_hash FROM encounters WHERE id = ?1",
                [encounter_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        drop(snapshot);
        if let Some(b) = summary_mismatch(&events, summary) {
            return Err(StoreError::Tampered(b));
        }
        EncounterState::from_events(&events).ok_or_else(|| {
            StoreError::Tampered(ChainBreak {
                encounter_id: encounter_id.to_string(),
                seq: 1,
                event_id: events[0].id.clone(),
                problem: "cannot be read as the start of an encounter".into(),
            })
        })
    }

    /// A full id or a unique prefix of one → the full id.
    pub fn resolve_id(&self, prefix: &str) -> Result<String, StoreError> {
        let p = prefix.trim().to_ascii_lowercase();
        let plausible = !p.is_empty() && p.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if plausible {
            // Ids are lowercase hex and '-', all below 'g', so [p, p + "g") is exactly the
            // ids starting with p, and the primary-key index answers it.
            let upper = format!("{p}g");
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT id FROM encounters WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11",
                )
                .map_err(|e| self.err(e))?;
            let matches: Vec<String> = stmt
                .query_map([&p, &upper], |r| r.get(0))
                .and_then(|rows| rows.collect())
                .map_err(|e| self.err(e))?;
            if let Some(exact) = matches.iter().find(|m| **m == p) {
                return Ok(exact.clone());
            }
            match matches.len() {
                0 => {}
                1 => return Ok(matches[0].clone()),
                _ => {
                    return Err(StoreError::Ambiguous {
                        prefix: prefix.to_string(),
                        matches,
                    });
                }
            }
        }
        Err(StoreError::NotFound {
            prefix: prefix.to_string(),
            nearest: self.nearest_ids(&p)?,
        })
    }

    /// The shortest prefix of `id` (at least 8 characters) that no other encounter shares,
    /// git-style, so lists can show ids that fit a phone screen and still resolve.
    /// UUIDv7 ids made in the same minute share their first 8 characters, so a fixed
    /// length would not do.
    pub fn short_id(&self, id: &str) -> Result<String, StoreError> {
        let neighbour = |sql: &str| -> Result<Option<String>, StoreError> {
            self.conn
                .prepare_cached(sql)
                .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
                .map_err(|e| self.err(e))
        };
        let before = neighbour("SELECT id FROM encounters WHERE id < ?1 ORDER BY id DESC LIMIT 1")?;
        let after = neighbour("SELECT id FROM encounters WHERE id > ?1 ORDER BY id LIMIT 1")?;
        let shared = |other: &Option<String>| {
            other.as_deref().map_or(0, |o| {
                id.chars()
                    .zip(o.chars())
                    .take_while(|(a, b)| a == b)
                    .count()
            })
        };
        let n = (shared(&before).max(shared(&after)) + 1).max(8);
        Ok(id.chars().take(n).collect())
    }

    /// Up to three ids whose start is closest to what was typed, for "did you mean".
    fn nearest_ids(&self, p: &str) -> Result<Vec<String>, StoreError> {
        if p.is_empty() {
            return Ok(Vec::new());
        }
        let n = p.chars().count();
        let limit = n / 2 + 1;
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM encounters")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        let mut scored: Vec<(usize, String)> = Vec::new();
        for id in rows {
            let id = id.map_err(|e| self.err(e))?;
            let start: String = id.chars().take(n).collect();
            let d = strsim::levenshtein(p, &start);
            if d <= limit {
                scored.push((d, id));
                scored.sort();
                scored.truncate(3);
            }
        }
        Ok(scored.into_iter().map(|(_, id)| id).collect())
    }

    /// Encounters matching `filter`, newest first.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<EncounterSummary>, StoreError> {
        let (where_sql, mut params) = filter_sql(filter)?;
        let sql = format!(
            "SELECT id, status, officer, location, checklist, created_at, updated_at, event_count
             FROM encounters {where_sql} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        );
        params.push(Value::Integer(sql_limit(filter.limit)));
        params.push(Value::Integer(
            i64::try_from(filter.offset).unwrap_or(i64::MAX),
        ));
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, status, officer, location, checklist, created_at, updated_at, count) =
                row.map_err(|e| self.err(e))?;
            out.push(EncounterSummary {
                status: parse_status(&status, &id)?,
                id,
                officer,
                location,
                checklist,
                created_at,
                updated_at,
                event_count: usize::try_from(count).unwrap_or(0),
            });
        }
        Ok(out)
    }

    /// How many encounters the database holds.
    pub fn count(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM encounters", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Calls `f` with every matching encounter's events (oldest encounter first), one
    /// encounter at a time, from one consistent snapshot of the database.
    pub fn for_each_encounter(
        &self,
        filter: &ListFilter,
        f: &mut dyn FnMut(Vec<Event>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.walk(filter, &mut |events, _| {
            f(events.map_err(StoreError::Tampered)?)
        })
    }

    /// Like `for_each_encounter`, also passing the summary's (event_count, head_hash). An
    /// encounter with an unreadable event comes as `Err`, so verification can go on to the
    /// next one.
    fn walk(&self, filter: &ListFilter, f: &mut WalkFn<'_>) -> Result<(), StoreError> {
        // A read transaction: every encounter comes from the same snapshot even while
        // another msht appends.
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let (where_sql, mut params) = filter_sql(filter)?;
        let sql = format!(
            "SELECT id, event_count, head_hash FROM encounters {where_sql}
             ORDER BY created_at, id LIMIT ? OFFSET ?"
        );
        params.push(Value::Integer(sql_limit(filter.limit)));
        params.push(Value::Integer(
            i64::try_from(filter.offset).unwrap_or(i64::MAX),
        ));
        let mut stmt = tx.prepare(&sql).map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let id: String = row.get(0).map_err(|e| self.err(e))?;
            let summary = (
                row.get(1).map_err(|e| self.err(e))?,
                row.get(2).map_err(|e| self.err(e))?,
            );
            let events = match self.events(&id) {
                Ok(events) => Ok(events),
                Err(StoreError::Tampered(b)) => Err(b),
                Err(e) => return Err(e),
            };
            f(events, summary)?;
        }
        Ok(())
    }

    /// Verifies every encounter's chain, its agreement with the summary table, and that
    /// no event belongs to an encounter the summary does not know. Empty when all is well.
    pub fn verify_all(&self) -> Result<Vec<ChainBreak>, StoreError> {
        let mut breaks = Vec::new();
        let all = ListFilter::default();
        self.walk(&all, &mut |events, summary| {
            let found = events.and_then(|events| {
                EncounterState::verify(&events)?;
                summary_mismatch(&events, Some(summary)).map_or(Ok(()), Err)
            });
            if let Err(b) = found {
                breaks.push(b);
            }
            Ok(())
        })?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT encounter_id, seq, id FROM events
                 WHERE encounter_id NOT IN (SELECT id FROM encounters) GROUP BY encounter_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        for r in rows {
            let (encounter_id, seq, event_id) = r.map_err(|e| self.err(e))?;
            breaks.push(ChainBreak {
                encounter_id,
                seq: u32::try_from(seq).unwrap_or(0),
                event_id,
                problem: "belongs to an encounter missing from the encounter list (its summary was removed)".into(),
            });
        }
        Ok(breaks)
    }

    /// `PRAGMA integrity_check`: `["ok"]` when the file is sound.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The officer of the newest encounter started on this device, to offer as a default.
    pub fn last_officer(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT officer FROM encounters WHERE device_id = ?1
                 ORDER BY created_at DESC, id DESC LIMIT 1",
                [&self.device_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        classify(&self.path, e)
    }
}

/// An error inside a write transaction: either SQLite's or a rule the event broke.
enum TxError {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for TxError {
    fn from(e: rusqlite::Error) -> Self {
        TxError::Sql(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

/// Runs `f` in a `BEGIN IMMEDIATE` transaction and commits. The write lock is taken up
/// front, so a concurrent writer makes us wait (busy_timeout) at BEGIN rather than fail
/// half way; if it stays busy we roll back and retry the whole transaction a few times.
fn write<T>(
    conn: &mut Connection,
    path: &Path,
    mut f: impl FnMut(&Transaction) -> Result<T, TxError>,
) -> Result<T, StoreError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome: Result<T, TxError> = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let v = f(&tx)?;
            tx.commit()?;
            Ok(v)
        })();
        let e = match outcome {
            Ok(v) => return Ok(v),
            Err(TxError::Sql(e)) => classify(path, e),
            Err(TxError::Store(e)) => e,
        };
        if !(e.is_busy() && attempt < WRITE_ATTEMPTS) {
            return Err(e);
        }
        backoff(attempt);
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

fn load_head(tx: &Transaction, encounter_id: &str) -> Result<Option<Head>, TxError> {
    let summary: Option<(String, i64, String)> = tx
        .query_row(
            "SELECT status, event_count, head_hash FROM encounters WHERE id = ?1",
            [encounter_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((status, count, head_hash)) = summary else {
        return Ok(None);
    };
    let last: Option<(i64, String, String)> = tx
        .query_row(
            "SELECT seq, hash, id FROM events WHERE encounter_id = ?1 ORDER BY seq DESC LIMIT 1",
            [encounter_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((seq, hash, event_id)) = last else {
        return Err(StoreError::Tampered(ChainBreak {
            encounter_id: encounter_id.to_string(),
            seq: 1,
            event_id: String::new(),
            problem: "is missing: the encounter has no events left".into(),
        })
        .into());
    };
    // Never build on a chain whose end disagrees with the summary written with it: an
    // event was removed or added behind msht's back.
    if seq != count || hash != head_hash {
        return Err(StoreError::Tampered(ChainBreak {
            encounter_id: encounter_id.to_string(),
            seq: u32::try_from(seq).unwrap_or(0),
            event_id,
            problem: format!(
                "is not where the record ended when last written ({count} events); events were removed, added or changed"
            ),
        })
        .into());
    }
    Ok(Some(Head {
        id: encounter_id.to_string(),
        status: parse_status(&status, encounter_id)?,
        seq: u32::try_from(seq).unwrap_or(u32::MAX),
        hash,
    }))
}

/// The status the encounter has after `body`, or the rule `body` breaks.
fn check_rules(head: &Head, body: &EventBody) -> Result<Status, StoreError> {
    let id = || head.id.clone();
    let draft_only = |what: &'static str| {
        if head.status == Status::Draft {
            Ok(Status::Draft)
        } else {
            Err(StoreError::NotDraft {
                id: id(),
                status: head.status,
                what,
            })
        }
    };
    match body {
        EventBody::Created { .. } => Err(StoreError::BadEvent(
            "an encounter has only one 'created' event; start a new encounter instead".into(),
        )),
        EventBody::AnswerGiven { .. } => draft_only("it takes no more answers"),
        EventBody::PromptRaised { .. } => draft_only("no welfare prompt can be raised on it"),
        // A welfare action is a later fact, not a correction: what was done after the
        // scene (children's services called at 17:05) is recorded on a complete encounter
        // too, with its own time. Only a void record takes nothing more.
        EventBody::WelfareAction { .. } if head.status == Status::Complete => Ok(Status::Complete),
        EventBody::WelfareAction { .. } => draft_only("no welfare action can be recorded on it"),
        EventBody::NoteAdded { .. } => draft_only("no note can be added this way"),
        EventBody::Completed { .. } => {
            draft_only("it cannot be completed (only a draft can)").map(|_| Status::Complete)
        }
        EventBody::Amended {
            reason,
            question,
            answer,
            note,
        } => {
            if head.status != Status::Complete {
                return Err(StoreError::NotComplete {
                    id: id(),
                    status: head.status,
                });
            }
            if reason.trim().is_empty() {
                return Err(StoreError::ReasonRequired {
                    what: "an amendment",
                });
            }
            if question.is_some() != answer.is_some() {
                return Err(StoreError::BadEvent(
                    "an amendment to an answer needs both the question and the new answer".into(),
                ));
            }
            let note_given = note.as_deref().is_some_and(|n| !n.trim().is_empty());
            if question.is_none() && !note_given {
                return Err(StoreError::BadEvent(
                    "an amendment must change an answer or add a note".into(),
                ));
            }
            Ok(Status::Complete)
        }
        EventBody::Voided { reason } => {
            if head.status == Status::Void {
                return Err(StoreError::AlreadyVoid { id: id() });
            }
            if reason.trim().is_empty() {
                return Err(StoreError::ReasonRequired {
                    what: "voiding an encounter",
                });
            }
            Ok(Status::Void)
        }
    }
}

/// The event after `head`: a new UUIDv7, now in UTC with millisecond precision, and the
/// local offset so the record can show the officer's own clock time.
fn next_event(head: &Head, device_id: &str, body: EventBody) -> Event {
    let now = jiff::Timestamp::now();
    let at = now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let offset = format_offset(jiff::tz::TimeZone::system().to_offset(now).seconds());
    Event::new(
        uuid::Uuid::now_v7().to_string(),
        head.id.clone(),
        head.seq + 1,
        at,
        offset,
        device_id.to_string(),
        head.hash.clone(),
        body,
    )
}

/// `+01:00` / `-05:30`: always hours and minutes, as RFC 3339 writes them.
fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    format!("{sign}{:02}:{:02}", s / 3600, (s % 3600) / 60)
}

/// The summary row of a new encounter, from its `created` event (recorded here or
/// imported from another device, whose id the row keeps).
fn insert_summary(tx: &Transaction, created: &Event) -> Result<(), TxError> {
    let EventBody::Created {
        officer,
        location,
        checklist,
        ..
    } = &created.body
    else {
        return Err(TxError::Store(StoreError::BadEvent(
            "an encounter must start with a 'created' event".into(),
        )));
    };
    tx.prepare_cached(
        "INSERT INTO encounters (id, status, officer, location, checklist, device_id,
             created_at, updated_at, event_count, head_hash)
         VALUES (?1, 'draft', ?2, ?3, ?4, ?5, ?6, ?6, 0, ?7)",
    )?
    .execute(rusqlite::params![
        created.encounter_id,
        officer,
        location,
        checklist,
        created.device_id,
        created.at,
        GENESIS_HASH
    ])?;
    Ok(())
}

fn insert_event(tx: &Transaction, e: &Event) -> Result<(), TxError> {
    let body = serde_json::to_string(&e.body)
        .map_err(|err| StoreError::BadEvent(format!("the event could not be encoded: {err}")))?;
    tx.prepare_cached(
        "INSERT INTO events (id, encounter_id, seq, at, offset, device_id, prev_hash, hash, type, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(rusqlite::params![
        e.id,
        e.encounter_id,
        i64::from(e.seq),
        e.at,
        e.offset,
        e.device_id,
        e.prev_hash,
        e.hash,
        e.body.type_name(),
        body
    ])?;
    Ok(())
}

fn update_summary(tx: &Transaction, head: &Head, at: &str) -> Result<(), TxError> {
    tx.prepare_cached(
        "UPDATE encounters SET status = ?2, updated_at = ?3, event_count = ?4, head_hash = ?5
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        head.id,
        head.status.as_str(),
        at,
        i64::from(head.seq),
        head.hash
    ])?;
    Ok(())
}

/// Whether the stored chain ends where the summary (written in the same transaction as
/// each event) says it does. Catches events deleted from the end, which the chain alone
/// cannot show.
fn summary_mismatch(events: &[Event], summary: Option<(i64, String)>) -> Option<ChainBreak> {
    let last = events.last()?;
    let problem = match summary {
        None => "belongs to an encounter missing from the encounter list (its summary was removed)"
            .to_string(),
        Some((count, hash)) if count != events.len() as i64 || hash != last.hash => format!(
            "is the last event stored, but the record had {count} events when last written; events were removed or added"
        ),
        Some(_) => return None,
    };
    Some(ChainBreak {
        encounter_id: last.encounter_id.clone(),
        seq: last.seq,
        event_id: last.id.clone(),
        problem,
    })
}

/// A row of `events` before its JSON body is read.
struct RawEvent {
    id: String,
    encounter_id: String,
    seq: i64,
    at: String,
    offset: String,
    device_id: String,
    prev_hash: String,
    hash: String,
    kind: String,
    body: String,
}

impl RawEvent {
    fn from_row(r: &rusqlite::Row) -> rusqlite::Result<RawEvent> {
        Ok(RawEvent {
            id: r.get(0)?,
            encounter_id: r.get(1)?,
            seq: r.get(2)?,
            at: r.get(3)?,
            offset: r.get(4)?,
            device_id: r.get(5)?,
            prev_hash: r.get(6)?,
            hash: r.get(7)?,
            kind: r.get(8)?,
            body: r.get(9)?,
        })
    }

    /// An event whose stored form cannot be read was changed outside msht: that is a
    /// break in the record, reported like one, never a crash.
    fn into_event(self) -> Result<Event, StoreError> {
        let broken = |problem: String| {
            StoreError::Tampered(ChainBreak {
                encounter_id: self.encounter_id.clone(),
                seq: u32::try_from(self.seq).unwrap_or(0),
                event_id: self.id.clone(),
                problem,
            })
        };
        let seq = u32::try_from(self.seq)
            .map_err(|_| broken(format!("has an impossible position ({})", self.seq)))?;
        let body: EventBody = serde_json::from_str(&self.body).map_err(|e| {
            broken(format!(
                "cannot be read ({e}); it was changed after it was written"
            ))
        })?;
        if body.type_name() != self.kind {
            return Err(broken(format!(
                "is stored as '{}' but its content is '{}'; it was changed after it was written",
                self.kind,
                body.type_name()
            )));
        }
        Ok(Event {
            id: self.id,
            encounter_id: self.encounter_id,
            seq,
            at: self.at,
            offset: self.offset,
            device_id: self.device_id,
            prev_hash: self.prev_hash,
            hash: self.hash,
            body,
        })
    }
}

fn parse_status(s: &str, id: &str) -> Result<Status, StoreError> {
    Status::parse(s).ok_or_else(|| {
        StoreError::BadEvent(format!(
            "encounter {id} has an unknown status '{s}' in the summary table"
        ))
    })
}

fn sql_limit(limit: Option<usize>) -> i64 {
    // SQLite reads a negative LIMIT as "no limit".
    limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX))
}

/// The WHERE clause and its parameters for a filter.
fn filter_sql(filter: &ListFilter) -> Result<(String, Vec<Value>), StoreError> {
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    if let Some(s) = filter.status {
        clauses.push("status = ?");
        params.push(Value::Text(s.as_str().to_string()));
    }
    if let Some(since) = &filter.since {
        clauses.push("created_at >= ?");
        params.push(Value::Text(normalise_since(since)?));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    Ok((sql, params))
}

/// `since` as a stored `at` string (UTC, millis, `Z`), so it compares as text. A bare date
/// means local midnight: "since today" is the officer's today.
pub fn normalise_since(since: &str) -> Result<String, StoreError> {
    let s = since.trim();
    let ts = if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        ts
    } else if let Ok(d) = s.parse::<jiff::civil::Date>() {
        d.to_zoned_datetime(jiff::tz::TimeZone::system())
            .map_err(|_| StoreError::BadDate(since.to_string()))?
            .timestamp()
    } else {
        return Err(StoreError::BadDate(since.to_string()));
    };
    Ok(ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}
