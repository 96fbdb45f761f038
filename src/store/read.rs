//! Reading the record: one encounter verified, ids resolved, lists and streams from the
//! summary table, and the whole-database checks `doctor` runs.

use rusqlite::OptionalExtension;
use rusqlite::types::Value;
use serde::Serialize;

use super::audit::{Audit, SummaryRow, audit};
use super::rows::{
    RawEvent, SUMMARY_COLUMNS, filter_sql, parse_status, sql_limit, summary_mismatch, summary_row,
};
use super::{Store, StoreError};
use crate::record::{ChainBreak, EncounterState, Event, Status};

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
    /// The scene the encounter is linked to now, if any.
    pub scene: Option<String>,
}
/// What `walk` calls per encounter: its id, its events (or the break that made one
/// unreadable) and its summary row.
type WalkFn<'a> =
    dyn FnMut(&str, Result<Vec<Event>, ChainBreak>, &SummaryRow) -> Result<(), StoreError> + 'a;

impl Store {
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
        let row = self.summary_row(encounter_id)?;
        drop(snapshot);
        if events.is_empty() {
            // A line in the encounter list with no events left is a record deleted
            // behind msht's back, not an encounter that never existed.
            if row.is_some() {
                let (a, _) = audit(encounter_id, row.as_ref(), Ok(&events));
                if let Some(b) = a.breaks.into_iter().next() {
                    return Err(StoreError::Tampered(b));
                }
            }
            return Err(StoreError::NotFound {
                prefix: encounter_id.to_string(),
                nearest: Vec::new(),
            });
        }
        EncounterState::verify(&events).map_err(StoreError::Tampered)?;
        let summary = row.map(|r| (r.event_count, r.head_hash));
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
        self.short_id_in("encounters", id)
    }

    /// `short_id` over the ids of `table` (a table of ours with an `id` column).
    pub(super) fn short_id_in(&self, table: &'static str, id: &str) -> Result<String, StoreError> {
        let neighbour = |order: &str| -> Result<Option<String>, StoreError> {
            let sql = format!("SELECT id FROM {table} WHERE {order} LIMIT 1");
            self.conn
                .prepare_cached(&sql)
                .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
                .map_err(|e| self.err(e))
        };
        let before = neighbour("id < ?1 ORDER BY id DESC")?;
        let after = neighbour("id > ?1 ORDER BY id")?;
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
            "SELECT id, status, officer, location, checklist, created_at, updated_at, event_count,
                    (SELECT m.scene_id FROM scene_members m WHERE m.encounter_id = encounters.id)
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
                    r.get::<_, Option<String>>(8)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, status, officer, location, checklist, created_at, updated_at, count, scene) =
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
                scene,
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

    /// The summary row of one encounter, as stored.
    pub(super) fn summary_row(&self, id: &str) -> Result<Option<SummaryRow>, StoreError> {
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM encounters WHERE id = ?1");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row([id], summary_row).optional())
            .map_err(|e| self.err(e))
    }

    /// Calls `f` with every matching encounter's events (oldest encounter first), one
    /// encounter at a time, from one consistent snapshot of the database. Each encounter
    /// is verified whole first (its chain, and its summary row re-derived from the
    /// chain): a record that does not verify stops the walk as `Tampered` or
    /// `SummaryAltered`, naming it, so nothing damaged is ever passed on as valid.
    pub fn for_each_encounter(
        &self,
        filter: &ListFilter,
        f: &mut dyn FnMut(Vec<Event>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.walk(filter, &mut |id, events, row| {
            let (a, _) = audit(id, Some(row), events.as_deref().map_err(Clone::clone));
            if let Some(b) = a.breaks.into_iter().next() {
                return Err(StoreError::Tampered(b));
            }
            if let Some(d) = a.diffs.into_iter().next() {
                return Err(StoreError::SummaryAltered(d));
            }
            f(events.map_err(StoreError::Tampered)?)
        })
    }

    /// Calls `f` per encounter of the summary table with its id, its events (or the
    /// break that made one unreadable) and its summary row. Unverified: callers audit.
    fn walk(&self, filter: &ListFilter, f: &mut WalkFn<'_>) -> Result<(), StoreError> {
        // A read transaction: every encounter comes from the same snapshot even while
        // another msht appends.
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let (where_sql, mut params) = filter_sql(filter)?;
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM encounters {where_sql}
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
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let row = summary_row(r).map_err(|e| self.err(e))?;
            let events = match self.events(&row.id) {
                Ok(events) => Ok(events),
                Err(StoreError::Tampered(b)) => Err(b),
                Err(e) => return Err(e),
            };
            f(&row.id, events, &row)?;
        }
        Ok(())
    }

    /// Verifies every encounter's chain, re-derives every summary row from its chain, and
    /// finds events of encounters the summary does not know. Empty when all is well.
    pub fn verify_all(&self) -> Result<Audit, StoreError> {
        let mut all = Audit::default();
        self.walk(&ListFilter::default(), &mut |id, events, row| {
            let (a, _) = audit(id, Some(row), events.as_deref().map_err(Clone::clone));
            all.breaks.extend(a.breaks);
            all.diffs.extend(a.diffs);
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
            all.breaks.push(ChainBreak {
                encounter_id,
                seq: u32::try_from(seq).unwrap_or(0),
                event_id,
                problem: "belongs to an encounter missing from the encounter list (its summary was removed)".into(),
            });
        }
        Ok(all)
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
}
