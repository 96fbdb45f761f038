//! What imports kept aside rather than put in the record: events held until their
//! chain's start arrives, events held for review (`sync/validate.rs`), and events refused
//! as conflicts. Listing them per encounter with the reason, and removing the copies that
//! are resolved.
//!
//! Resolved means nothing can be lost by removing the copy: this database's record holds
//! that very event (same id, same hash), or the hub this database syncs with acknowledged
//! it. An import that brings a held event's missing start joins it and drops its held copy
//! at once; `prune_held` removes any copy left behind that the record or the hub has since
//! come to hold (a conflict settled by the very event arriving, a review whose events have
//! since joined). Everything else is the only copy of something unresolved, and stays.

use std::collections::HashSet;

use rusqlite::{OptionalExtension, Transaction};
use serde::Serialize;

use super::sync::to_u64;
use super::write::write;
use super::{Store, StoreError};
use crate::record::Event;

/// Why events were kept aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeldKind {
    /// Waiting for the earlier events of their encounter.
    Waiting,
    /// Held for a person to review (the reason says why).
    Review,
    /// Refused as contradicting what this database holds.
    Conflict,
}

/// The events of one encounter kept aside for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldGroup {
    pub encounter_id: String,
    pub kind: HeldKind,
    /// One clause: why they are kept aside.
    pub reason: String,
    pub events: u64,
    /// Of those, copies already resolved (the record or the hub holds the very event).
    pub resolved: u64,
}

/// What `prune_held` removed, and what it kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HeldPruneOutcome {
    pub removed: u64,
    /// What is left, each the only copy of something unresolved.
    pub kept: Vec<HeldGroup>,
}

/// A row of `sync_held` or `sync_conflicts` (aliased `h`) whose very event this database
/// holds in its record or its hub acknowledged.
const RESOLVED: &str =
    "(EXISTS (SELECT 1 FROM events e WHERE e.id = h.event_id AND e.hash = h.hash)
     OR EXISTS (SELECT 1 FROM sync_acked a WHERE a.event_id = h.event_id AND a.hash = h.hash))";

impl Store {
    /// Everything imports kept aside, by encounter and reason.
    pub fn sync_held(&self) -> Result<Vec<HeldGroup>, StoreError> {
        held_groups(&self.conn).map_err(|e| self.err(e))
    }

    /// Encounters with events waiting for their chain's start.
    pub fn sync_waiting_encounters(&self) -> Result<HashSet<String>, StoreError> {
        self.conn
            .prepare("SELECT DISTINCT encounter_id FROM sync_held WHERE review IS NULL")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))
    }

    /// The events of `encounter_id` waiting for their chain's start, by seq: those that
    /// still read back as the verified events stored (a row edited by hand is left out,
    /// as the merge leaves it out).
    pub fn sync_waiting(&self, encounter_id: &str) -> Result<Vec<Event>, StoreError> {
        waiting_events(&self.conn, encounter_id).map_err(|e| self.err(e))
    }

    /// Of `event_ids`, those in this database's record that its hub has not acknowledged,
    /// each as (encounter id, event id).
    pub fn sync_unacked_events(
        &self,
        event_ids: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT e.encounter_id FROM events e WHERE e.id = ?1 AND {}",
                super::sync::UNACKED
            ))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for id in event_ids {
            let enc: Option<String> = stmt
                .query_row([id], |r| r.get(0))
                .optional()
                .map_err(|e| self.err(e))?;
            if let Some(enc) = enc {
                out.push((enc, id.clone()));
            }
        }
        Ok(out)
    }

    /// Removes the resolved copies kept aside by imports (see the module notes); with
    /// `dry_run`, counts them and removes nothing.
    pub fn sync_prune_held(&mut self, dry_run: bool) -> Result<HeldPruneOutcome, StoreError> {
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            let removed = remove_resolved(tx, dry_run)?;
            let kept = held_groups(tx)?;
            Ok(HeldPruneOutcome { removed, kept })
        })
    }
}

fn remove_resolved(tx: &Transaction, dry_run: bool) -> rusqlite::Result<u64> {
    let mut n = 0u64;
    for table in ["sync_held", "sync_conflicts"] {
        let sql = if dry_run {
            format!("SELECT count(*) FROM {table} h WHERE {RESOLVED}")
        } else {
            format!("DELETE FROM {table} AS h WHERE {RESOLVED} RETURNING 1")
        };
        let mut stmt = tx.prepare(&sql)?;
        n += if dry_run {
            stmt.query_row([], |r| r.get::<_, i64>(0)).map(to_u64)?
        } else {
            stmt.query_map([], |_| Ok(()))?.count() as u64
        };
    }
    Ok(n)
}

fn held_groups(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<HeldGroup>> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT h.encounter_id, h.review, count(*), sum({RESOLVED}),
                (SELECT c.event_count FROM encounters c WHERE c.id = h.encounter_id)
         FROM sync_held h GROUP BY h.encounter_id, h.review ORDER BY h.encounter_id, h.review"
    ))?;
    let rows = stmt.query_map([], |r| {
        let review: Option<String> = r.get(1)?;
        let have: Option<i64> = r.get(4)?;
        let (kind, reason) = match review {
            Some(why) => (HeldKind::Review, why),
            None => (
                HeldKind::Waiting,
                format!(
                    "waiting for event {} of the encounter, which has not arrived",
                    to_u64(have.unwrap_or(0)) + 1
                ),
            ),
        };
        Ok(HeldGroup {
            encounter_id: r.get(0)?,
            kind,
            reason,
            events: to_u64(r.get(2)?),
            resolved: to_u64(r.get(3)?),
        })
    })?;
    for g in rows {
        out.push(g?);
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT h.encounter_id, h.reason, count(*), sum({RESOLVED})
         FROM sync_conflicts h GROUP BY h.encounter_id, h.reason ORDER BY h.encounter_id, h.reason"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok(HeldGroup {
            encounter_id: r.get(0)?,
            kind: HeldKind::Conflict,
            reason: r.get(1)?,
            events: to_u64(r.get(2)?),
            resolved: to_u64(r.get(3)?),
        })
    })?;
    for g in rows {
        out.push(g?);
    }
    Ok(out)
}

/// The events of `encounter_id` waiting for their chain's start, by seq (see
/// `Store::sync_waiting`); also read inside an import's transaction.
pub(super) fn waiting_events(
    conn: &rusqlite::Connection,
    encounter_id: &str,
) -> rusqlite::Result<Vec<Event>> {
    let rows: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT hash, event FROM sync_held WHERE encounter_id = ?1 AND review IS NULL ORDER BY seq",
        )?
        .query_map([encounter_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(hash, json)| {
            serde_json::from_str::<Event>(&json)
                .ok()
                .filter(|e| e.hash == hash && e.hash_ok().unwrap_or(false))
        })
        .collect())
}
