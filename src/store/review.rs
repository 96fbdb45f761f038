//! The review queue's table: one row per encounter saying what is still open, so a
//! supervisor's queue over 100,000 encounters is an index read, not 100,000 replays.
//!
//! The rows are a cache the engine derives (`src/follow.rs` computes them; the store only
//! keeps them). A row counts while `encounters.review_hash` equals the chain's head hash
//! and the guidance it was derived with (meta `review_guidance`) is the one in use: any
//! new event, appended here or imported by sync, leaves the head hash behind and so makes
//! the row stale, whatever wrote it. `stale_reviews` finds those through a partial index.

use rusqlite::OptionalExtension;
use rusqlite::types::Value;

use super::write::{TxError, write};
use super::{Store, StoreError};
use crate::record::Status;

/// One encounter's line in the review queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRow {
    pub encounter_id: String,
    pub created_at: String,
    pub officer: String,
    pub status: String,
    /// Open duties and open welfare prompts; 0 keeps the encounter out of the queue.
    pub open_count: i64,
    /// When the longest-open item began.
    pub oldest_open: Option<String>,
    /// The earliest due time of an open duty with a counted timescale.
    pub next_due: Option<String>,
    /// The supervisor of the latest sign-off, if any.
    pub signed_by: Option<String>,
    /// The open items as JSON (written and read by `src/follow.rs`).
    pub items: String,
}

/// Which encounters the queue shows.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    pub officer: Option<String>,
    pub status: Option<Status>,
    /// Only encounters with a duty due before this stored UTC time (overdue at it).
    pub due_before: Option<String>,
    /// Only the people met at this scene (its full id).
    pub scene: Option<String>,
    pub limit: Option<usize>,
    pub offset: usize,
}

const COLUMNS: &str = "encounter_id, created_at, officer, status, open_count, oldest_open, next_due, signed_by, items";

fn review_row(r: &rusqlite::Row) -> rusqlite::Result<ReviewRow> {
    Ok(ReviewRow {
        encounter_id: r.get(0)?,
        created_at: r.get(1)?,
        officer: r.get(2)?,
        status: r.get(3)?,
        open_count: r.get(4)?,
        oldest_open: r.get(5)?,
        next_due: r.get(6)?,
        signed_by: r.get(7)?,
        items: r.get(8)?,
    })
}

impl Store {
    /// The encounters whose review rows are missing or stale, with the head hash each row
    /// must be derived at. When `guidance_hash` is not the guidance the rows were derived
    /// with, every row is dropped first: a queue never mixes two guidance sets.
    pub fn stale_reviews(&mut self, guidance_hash: &str) -> Result<Vec<String>, StoreError> {
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            let held: Option<String> = tx
                .query_row(
                    "SELECT value FROM meta WHERE key = 'review_guidance'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            if held.as_deref() != Some(guidance_hash) {
                tx.execute("DELETE FROM review", [])?;
                tx.execute(
                    "UPDATE encounters SET review_hash = NULL WHERE review_hash IS NOT NULL",
                    [],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('review_guidance', ?1)",
                    [guidance_hash],
                )?;
            }
            let mut stmt = tx.prepare_cached(
                "SELECT id FROM encounters INDEXED BY encounters_review_stale
                 WHERE review_hash IS NOT head_hash",
            )?;
            let ids = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(ids)
        })
    }

    /// Stores review rows, each derived at `head_hash`, in one transaction. A row whose
    /// encounter moved on meanwhile (another event arrived) is left stale, never stored
    /// as current.
    pub fn put_reviews(&mut self, rows: &[(ReviewRow, String)]) -> Result<(), StoreError> {
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            for (row, head) in rows {
                let moved = tx
                    .prepare_cached(
                        "UPDATE encounters SET review_hash = ?2 WHERE id = ?1 AND head_hash = ?2",
                    )?
                    .execute(rusqlite::params![row.encounter_id, head])?
                    == 0;
                if moved {
                    continue;
                }
                tx.prepare_cached(&format!(
                    "INSERT OR REPLACE INTO review ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ))?
                .execute(rusqlite::params![
                    row.encounter_id,
                    row.created_at,
                    row.officer,
                    row.status,
                    row.open_count,
                    row.oldest_open,
                    row.next_due,
                    row.signed_by,
                    row.items
                ])?;
            }
            Ok::<(), TxError>(())
        })
    }

    /// The queue: encounters with something open, oldest first, and how many match in
    /// all (for "N more").
    pub fn review_queue(&self, f: &ReviewFilter) -> Result<(Vec<ReviewRow>, usize), StoreError> {
        let mut clauses = vec!["open_count > 0".to_string()];
        let mut params: Vec<Value> = Vec::new();
        if let Some(o) = &f.officer {
            clauses.push("officer = ?".into());
            params.push(Value::Text(o.clone()));
        }
        if let Some(s) = f.status {
            clauses.push("status = ?".into());
            params.push(Value::Text(s.as_str().to_string()));
        }
        if let Some(scene) = &f.scene {
            clauses.push(
                "encounter_id IN (SELECT encounter_id FROM scene_members WHERE scene_id = ?)"
                    .into(),
            );
            params.push(Value::Text(scene.clone()));
        }
        if let Some(t) = &f.due_before {
            clauses.push("next_due IS NOT NULL AND next_due < ?".into());
            params.push(Value::Text(t.clone()));
        }
        let where_sql = clauses.join(" AND ");
        let total: i64 = self
            .conn
            .prepare_cached(&format!("SELECT count(*) FROM review WHERE {where_sql}"))
            .and_then(|mut s| s.query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        let mut all = params;
        all.push(Value::Integer(super::rows::sql_limit(f.limit)));
        all.push(Value::Integer(i64::try_from(f.offset).unwrap_or(i64::MAX)));
        // Walk an index already in queue order and stop at the page's end: left to
        // itself SQLite reads every overdue row through `review_due` and sorts them
        // (100 ms at 100,000 encounters against 15 ms this way).
        let index = if f.officer.is_some() {
            "review_by_officer"
        } else {
            "review_queue"
        };
        let order = if f.officer.is_some() {
            "officer, created_at, encounter_id"
        } else {
            "created_at, encounter_id"
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM review INDEXED BY {index} WHERE {where_sql}
             ORDER BY {order} LIMIT ? OFFSET ?"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(all), review_row)
            .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.err(e))?;
        Ok((rows, usize::try_from(total).unwrap_or(0)))
    }

    /// Every stored review row that claims to be current (its encounter's head hash is the
    /// one it was derived at), for `doctor` to re-derive and compare.
    pub fn current_reviews(&self) -> Result<Vec<ReviewRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM review r JOIN encounters e ON e.id = r.encounter_id
             WHERE e.review_hash = e.head_hash ORDER BY r.created_at, r.encounter_id",
            COLUMNS
                .split(", ")
                .map(|c| format!("r.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        stmt.query_map([], review_row)
            .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.err(e))
    }

    /// The guidance hash the stored review rows were derived with, if any.
    pub fn review_guidance(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'review_guidance'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}
