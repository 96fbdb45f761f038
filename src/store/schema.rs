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
    // 2: sync bookkeeping (src/store/sync.rs). None of it is the record: these tables say
    // which bundles left, which events a receiver acknowledged, and what arrived that could
    // not (yet) join the record.
    r#"
    -- Bundles this database wrote with `sync push`, and the events each carried.
    CREATE TABLE sync_pushes (
        bundle_sha256 TEXT PRIMARY KEY,
        bundle_seq    INTEGER NOT NULL,
        file          TEXT NOT NULL,
        dir           TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        event_count   INTEGER NOT NULL,
        receipt_at    TEXT,
        receipt_by    TEXT,
        acknowledged  INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE sync_push_events (
        bundle_sha256 TEXT NOT NULL,
        event_id      TEXT NOT NULL,
        hash          TEXT NOT NULL,
        PRIMARY KEY (bundle_sha256, event_id)
    ) STRICT, WITHOUT ROWID;

    -- Events a receiver said it holds in its verified record. Only these may be pruned.
    CREATE TABLE sync_acked (
        event_id      TEXT PRIMARY KEY,
        hash          TEXT NOT NULL,
        bundle_sha256 TEXT NOT NULL,
        receiver      TEXT NOT NULL,
        acked_at      TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;

    -- Verified events whose encounter's earlier events have not arrived yet. They join
    -- `events` as soon as the gap is filled, whichever bundle fills it.
    CREATE TABLE sync_held (
        event_id      TEXT PRIMARY KEY,
        encounter_id  TEXT NOT NULL,
        seq           INTEGER NOT NULL,
        hash          TEXT NOT NULL,
        event         TEXT NOT NULL,
        bundle_sha256 TEXT NOT NULL,
        received_at   TEXT NOT NULL
    ) STRICT;
    CREATE INDEX sync_held_by_encounter ON sync_held (encounter_id, seq);

    -- Events refused because they contradict what is held (same id, different content;
    -- or a different event at the same place in a chain). Kept for a person to review,
    -- never merged and never silently dropped.
    CREATE TABLE sync_conflicts (
        event_id      TEXT NOT NULL,
        encounter_id  TEXT NOT NULL,
        seq           INTEGER NOT NULL,
        hash          TEXT NOT NULL,
        event         TEXT NOT NULL,
        reason        TEXT NOT NULL,
        bundle_sha256 TEXT NOT NULL,
        received_at   TEXT NOT NULL,
        UNIQUE (event_id, hash)
    ) STRICT;

    -- Bundles imported here, first import only (a repeat import changes nothing).
    CREATE TABLE sync_imports (
        bundle_sha256 TEXT PRIMARY KEY,
        device_id     TEXT NOT NULL,
        file          TEXT NOT NULL,
        imported_at   TEXT NOT NULL,
        event_count   INTEGER NOT NULL
    ) STRICT;

    -- Encounters removed by `sync prune`: what went, when, and that a receiver held it.
    CREATE TABLE sync_pruned (
        encounter_id  TEXT PRIMARY KEY,
        event_count   INTEGER NOT NULL,
        head_hash     TEXT NOT NULL,
        pruned_at     TEXT NOT NULL
    ) STRICT;
    "#,
    // 3: acknowledgements recorded before receipts named the hub that wrote them could
    // have come from the database itself or from a scratch copy (issue 18): none is
    // trusted. The events are pushed again and the hub acknowledges them as already
    // present; nothing is lost, only sent once more.
    r#"
    DELETE FROM sync_acked;
    "#,
    // 4: sync keys (src/store/keys.rs). This database's own key pairs (an Ed25519 signing
    // key for every database, an X25519 sealing key for a hub), the hub it is enrolled
    // with, and on a hub the devices it trusts. Secret key bytes live here so that the
    // database's own encryption at rest covers them.
    r#"
    CREATE TABLE sync_keys (
        role       TEXT PRIMARY KEY CHECK (role IN ('signing', 'sealing', 'enrolled_hub')),
        device_id  TEXT NOT NULL,
        secret     BLOB,
        public     BLOB NOT NULL,
        created_at TEXT NOT NULL
    ) STRICT;

    -- Devices whose bundles this hub imports, by their public signing key. A revoked
    -- device stays listed (with when) so its bundles are named when refused.
    CREATE TABLE sync_trusted (
        public      BLOB PRIMARY KEY,
        device_id   TEXT NOT NULL,
        name        TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        trusted_at  TEXT NOT NULL,
        revoked_at  TEXT
    ) STRICT;
    "#,
    // 5: events held for review rather than for their chain's start (src/sync/validate.rs:
    // a checklist this database's guidance lacks, answers recorded with another guidance,
    // a clock set back). `review` is the reason; NULL is a tail waiting for its start, the
    // only kind the merge may join.
    r#"
    ALTER TABLE sync_held ADD COLUMN review TEXT;
    "#,
    // 6: the review queue (src/store/review.rs): one row per encounter with what is still
    // open (duties, welfare prompts), derived from its chain by the engine under the
    // guidance named in meta 'review_guidance'. A cache, never the record: a row counts
    // only while `encounters.review_hash` equals the chain's head hash, so any new event
    // (appended here or imported by sync) makes it stale, and the partial index finds the
    // stale ones without reading the rest. `doctor` re-derives every row from its chain.
    r#"
    ALTER TABLE encounters ADD COLUMN review_hash TEXT;
    CREATE INDEX encounters_review_stale ON encounters (id) WHERE review_hash IS NOT head_hash;

    CREATE TABLE review (
        encounter_id TEXT PRIMARY KEY,
        created_at   TEXT NOT NULL,
        officer      TEXT NOT NULL,
        status       TEXT NOT NULL,
        open_count   INTEGER NOT NULL,
        oldest_open  TEXT,
        next_due     TEXT,
        signed_by    TEXT,
        items        TEXT NOT NULL
    ) STRICT;
    CREATE INDEX review_queue ON review (created_at, encounter_id) WHERE open_count > 0;
    CREATE INDEX review_by_officer ON review (officer, created_at, encounter_id) WHERE open_count > 0;
    CREATE INDEX review_due ON review (next_due) WHERE open_count > 0 AND next_due IS NOT NULL;

    -- A pruned (deleted) encounter leaves the queue with it.
    CREATE TRIGGER review_gone AFTER DELETE ON encounters
    BEGIN
        DELETE FROM review WHERE encounter_id = OLD.id;
    END;
    "#,
    // 7: scenes (src/store/scenes.rs, issue 14): several people met together, each with
    // their own encounter. A scene is its own hash chain (`scene_events`); `scenes` is its
    // summary, re-derivable from that chain like `encounters`; `scene_members` indexes
    // the `scene_joined` / `scene_left` events of encounter chains, kept in step in the
    // same transaction as each event, so a scene's people are found without replaying
    // every encounter.
    r#"
    CREATE TABLE scene_events (
        id          TEXT NOT NULL UNIQUE,
        scene_id    TEXT NOT NULL,
        seq         INTEGER NOT NULL CHECK (seq >= 1),
        at          TEXT NOT NULL,
        offset      TEXT NOT NULL,
        device_id   TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL,
        type        TEXT NOT NULL,
        body        TEXT NOT NULL,
        UNIQUE (scene_id, seq)
    ) STRICT;

    CREATE TRIGGER scene_events_append_only BEFORE UPDATE ON scene_events
    BEGIN
        SELECT RAISE(ABORT, 'scene events are append-only');
    END;

    CREATE TABLE scenes (
        id          TEXT PRIMARY KEY,
        status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        officer     TEXT NOT NULL,
        location    TEXT NOT NULL,
        description TEXT NOT NULL,
        device_id   TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        event_count INTEGER NOT NULL,
        head_hash   TEXT NOT NULL
    ) STRICT;
    CREATE INDEX scenes_by_created ON scenes (created_at, id);

    CREATE TABLE scene_members (
        encounter_id TEXT PRIMARY KEY,
        scene_id     TEXT NOT NULL,
        label        TEXT NOT NULL,
        joined_at    TEXT NOT NULL
    ) STRICT;
    CREATE INDEX scene_members_by_scene ON scene_members (scene_id, joined_at, encounter_id);
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
