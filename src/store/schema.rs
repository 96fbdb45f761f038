//! The database schema as an ordered, append-only list of migrations.
//!
//! `PRAGMA user_version` counts the steps applied. Each step runs in its own `BEGIN
//! IMMEDIATE` transaction together with the version bump, so a crash leaves the database at
//! a whole step, and two processes opening a fresh file at once cannot both apply a step.
//! To change the schema, append a new string to `MIGRATIONS`; never edit or reorder one
//! that has shipped (databases in the field were made by it).

use rusqlite::{Connection, TransactionBehavior};

/// `PRAGMA application_id` of an msht database: "msht" in ASCII. It lets `open` tell an
/// msht database from any other SQLite file before changing anything.
pub const APPLICATION_ID: i64 = 0x6d73_6874;

pub const MIGRATIONS: &[&str] = &[
    // 1: the event log, the derived summary, and per-database facts.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    -- The record itself. Rows are only ever inserted; the hash chain makes any later
    -- change visible, and the trigger stops this program (or a careless tool) from
    -- updating a row by accident.
    CREATE TABLE events (
        id           TEXT NOT NULL UNIQUE,
        encounter_id TEXT NOT NULL,
        seq          INTEGER NOT NULL CHECK (seq >= 1),
        at           TEXT NOT NULL,
        offset       TEXT NOT NULL,
        device_id    TEXT NOT NULL,
        prev_hash    TEXT NOT NULL,
        hash         TEXT NOT NULL,
        type         TEXT NOT NULL,
        body         TEXT NOT NULL,
        UNIQUE (encounter_id, seq)
    ) STRICT;

    CREATE TRIGGER events_append_only BEFORE UPDATE ON events
    BEGIN
        SELECT RAISE(ABORT, 'events are append-only');
    END;

    -- Derived from the events, kept in step in the same transaction, so listing 100,000
    -- encounters does not replay 100,000 chains. head_hash and event_count also let
    -- verification notice events removed from the end of a chain.
    CREATE TABLE encounters (
        id          TEXT PRIMARY KEY,
        status      TEXT NOT NULL CHECK (status IN ('draft', 'complete', 'void')),
        officer     TEXT NOT NULL,
        location    TEXT NOT NULL,
        checklist   TEXT NOT NULL,
        device_id   TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        event_count INTEGER NOT NULL,
        head_hash   TEXT NOT NULL
    ) STRICT;

    CREATE INDEX encounters_by_created ON encounters (created_at, id);
    CREATE INDEX encounters_by_status ON encounters (status, created_at, id);
    "#,
];

/// The schema version this binary writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Applies the steps this database has not had yet. The caller has already refused a
/// database newer than `latest()`.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let step = i as i64 + 1;
        // Cheap check outside a transaction so an up-to-date database takes no write lock.
        if user_version(conn)? >= step {
            continue;
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have applied this step while we waited for the lock.
        if user_version(&tx)? >= step {
            continue;
        }
        tx.execute_batch(sql)?;
        if step == 1 {
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        }
        tx.pragma_update(None, "user_version", step)?;
        tx.commit()?;
    }
    Ok(())
}
