//! The database side of sync: what to push, what a receipt acknowledged, merging a
//! verified bundle into the record, and pruning what a receiver holds.
//!
//! Merging goes through the store's own `load_head`, `check_rules`, `insert_event` and
//! `update_summary`, so an imported event obeys exactly the rules (and keeps the summary
//! table in step exactly as) a locally recorded one does. Imported events keep their
//! original ids, device ids, times and hashes: nothing is re-stamped.
//!
//! Order independence: an event joins `events` only when it extends its encounter's
//! stored chain (next seq, `prev_hash` equal to the stored head's hash). A verified event
//! that arrives before its predecessors is kept in `sync_held` and joins as soon as any
//! later import fills the gap. So after any set of bundles has been imported, in any
//! order and with repeats, `events` holds the longest joined chain of each encounter and
//! `sync_held` the rest: the same state whatever the order.

use std::collections::{BTreeMap, HashSet};

use rusqlite::{OptionalExtension, Transaction};

use super::{
    Head, RawEvent, Store, StoreError, TxError, check_rules, insert_event, insert_summary,
    load_head, update_summary, write,
};
use crate::record::{Event, EventBody, GENESIS_HASH, Status};
use crate::sync::receipt::Receipt;
use crate::sync::report::{
    ImportOutcome, Outgoing, PruneOutcome, Pruned, PushRecord, SyncStatus, Unaccepted,
};

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Events of encounters with at least one event no receiver has acknowledged.
const PENDING_ENCOUNTERS: &str = "SELECT DISTINCT e.encounter_id FROM events e
     WHERE NOT EXISTS (SELECT 1 FROM sync_acked a WHERE a.event_id = e.id AND a.hash = e.hash)";

/// Complete or void encounters every one of whose events is acknowledged.
const PRUNABLE: &str = "SELECT c.id, c.event_count, c.head_hash FROM encounters c
     WHERE c.status IN ('complete', 'void')
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.encounter_id = c.id
             AND NOT EXISTS (SELECT 1 FROM sync_acked a WHERE a.event_id = e.id AND a.hash = e.hash))
     ORDER BY c.created_at, c.id";

impl Store {
    /// What `sync push` sends: the whole chain of every encounter with any pending event.
    /// Whole chains (not only the unacknowledged tail) make every bundle self-sufficient:
    /// whichever hub receives it can verify each encounter from its first event, whatever
    /// it has or has not received before.
    pub fn sync_outgoing(&self) -> Result<Outgoing, StoreError> {
        let sql = format!(
            "SELECT id, encounter_id, seq, at, offset, device_id, prev_hash, hash, type, body, rowid
             FROM events WHERE encounter_id IN ({PENDING_ENCOUNTERS})
             ORDER BY encounter_id, seq"
        );
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let mut out = Outgoing::default();
        {
            let mut stmt = tx.prepare(&sql).map_err(|e| self.err(e))?;
            let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
            let (mut lo, mut hi) = (u64::MAX, 0u64);
            while let Some(r) = rows.next().map_err(|e| self.err(e))? {
                let raw = RawEvent::from_row(r).map_err(|e| self.err(e))?;
                let rowid: i64 = r.get(10).map_err(|e| self.err(e))?;
                lo = lo.min(to_u64(rowid));
                hi = hi.max(to_u64(rowid));
                out.events.push(raw.into_event()?);
            }
            out.local_seq = if out.events.is_empty() {
                (0, 0)
            } else {
                (lo, hi)
            };
        }
        let (pe, pc): (i64, i64) = tx
            .query_row(
                "SELECT count(*), count(DISTINCT encounter_id) FROM events e
                 WHERE NOT EXISTS (SELECT 1 FROM sync_acked a WHERE a.event_id = e.id AND a.hash = e.hash)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?;
        out.pending_events = to_u64(pe);
        out.pending_encounters = to_u64(pc);
        let last: i64 = tx
            .query_row(
                "SELECT coalesce(max(bundle_seq), 0) FROM sync_pushes",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        out.bundle_seq = to_u64(last) + 1;
        Ok(out)
    }

    /// Remembers a bundle written by `sync push` and the events it carried, so a receipt
    /// naming its hash can acknowledge exactly those events. Called after the file is
    /// safely written: if we crash before this, the bundle is merely unknown here and its
    /// events stay pending (pushed again), never wrongly acknowledged.
    pub fn sync_record_push(
        &mut self,
        bundle_sha256: &str,
        bundle_seq: u64,
        file: &str,
        dir: &str,
        created_at: &str,
        events: &[Event],
    ) -> Result<(), StoreError> {
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO sync_pushes (bundle_sha256, bundle_seq, file, dir, created_at, event_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![
                    bundle_sha256,
                    i64::try_from(bundle_seq).unwrap_or(i64::MAX),
                    file,
                    dir,
                    created_at,
                    events.len() as i64
                ],
            )?;
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO sync_push_events (bundle_sha256, event_id, hash) VALUES (?1, ?2, ?3)",
            )?;
            for e in events {
                stmt.execute(rusqlite::params![bundle_sha256, e.id, e.hash])?;
            }
            Ok(())
        })
    }

    /// Applies a receipt for a bundle this database pushed: the bundle's events that the
    /// receiver did not list as unaccepted become acknowledged. `None` when the receipt is
    /// not for one of our bundles (another device's, or from before a restore).
    pub fn sync_apply_receipt(&mut self, r: &Receipt) -> Result<Option<u64>, StoreError> {
        if r.bundle_device_id != self.device_id {
            return Ok(None);
        }
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            let known: Option<i64> = tx
                .query_row(
                    "SELECT event_count FROM sync_pushes WHERE bundle_sha256 = ?1",
                    [&r.bundle_sha256],
                    |row| row.get(0),
                )
                .optional()?;
            if known.is_none() {
                return Ok(None);
            }
            let unaccepted: HashSet<&str> =
                r.not_accepted.iter().map(|n| n.event_id.as_str()).collect();
            let carried: Vec<(String, String)> = tx
                .prepare_cached(
                    "SELECT event_id, hash FROM sync_push_events WHERE bundle_sha256 = ?1",
                )?
                .query_map([&r.bundle_sha256], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut ins = tx.prepare_cached(
                "INSERT OR IGNORE INTO sync_acked (event_id, hash, bundle_sha256, receiver, acked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut newly = 0u64;
            let mut acked = 0u64;
            for (id, hash) in &carried {
                if unaccepted.contains(id.as_str()) {
                    continue;
                }
                acked += 1;
                newly += ins.execute(rusqlite::params![
                    id,
                    hash,
                    r.bundle_sha256,
                    r.receiver_device_id,
                    r.received_at
                ])? as u64;
            }
            tx.execute(
                "UPDATE sync_pushes SET receipt_at = ?2, receipt_by = ?3, acknowledged = max(acknowledged, ?4)
                 WHERE bundle_sha256 = ?1 AND (receipt_at IS NULL OR acknowledged < ?4)",
                rusqlite::params![
                    r.bundle_sha256,
                    r.received_at,
                    r.receiver_device_id,
                    acked as i64
                ],
            )?;
            Ok(Some(newly))
        })
    }

    /// Merges one bundle's events, already verified as a bundle (hashes, count, chains),
    /// in one transaction. See the module docs for how out-of-order events are handled.
    /// `progress` is called with the number of this bundle's events handled so far.
    pub fn sync_import(
        &mut self,
        bundle_sha256: &str,
        bundle_device_id: &str,
        file: &str,
        events: &[Event],
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, StoreError> {
        let mut by_encounter: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
        for e in events {
            by_encounter.entry(&e.encounter_id).or_default().push(e);
        }
        for run in by_encounter.values_mut() {
            run.sort_by_key(|e| e.seq);
        }
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            let at = now();
            let mut out = ImportOutcome {
                encounters: by_encounter.len() as u64,
                ..ImportOutcome::default()
            };
            let mut done = 0u64;
            for (enc, run) in &by_encounter {
                merge_encounter(tx, enc, run, bundle_sha256, &at, &mut out)?;
                done += run.len() as u64;
                progress(done);
            }
            tx.execute(
                "INSERT OR IGNORE INTO sync_imports (bundle_sha256, device_id, file, imported_at, event_count)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![bundle_sha256, bundle_device_id, file, at, events.len() as i64],
            )?;
            Ok(out)
        })
    }

    pub fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        let q = |sql: &str| -> Result<u64, StoreError> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(to_u64)
                .map_err(|e| self.err(e))
        };
        let pending_events = q("SELECT count(*) FROM events e
             WHERE NOT EXISTS (SELECT 1 FROM sync_acked a WHERE a.event_id = e.id AND a.hash = e.hash)")?;
        let pending_encounters = q(&format!("SELECT count(*) FROM ({PENDING_ENCOUNTERS})"))?;
        let pushes = |filter: &str| -> Result<Vec<PushRecord>, StoreError> {
            let sql = format!(
                "SELECT file, dir, created_at, event_count, receipt_at, receipt_by, acknowledged
                 FROM sync_pushes {filter}"
            );
            let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(PushRecord {
                        file: r.get(0)?,
                        dir: r.get(1)?,
                        created_at: r.get(2)?,
                        events: to_u64(r.get(3)?),
                        receipt_at: r.get(4)?,
                        receipt_by: r.get(5)?,
                        acknowledged: to_u64(r.get(6)?),
                    })
                })
                .map_err(|e| self.err(e))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
        };
        Ok(SyncStatus {
            device_id: self.device_id.clone(),
            pending_events,
            pending_encounters,
            acknowledged_events: q("SELECT count(*) FROM sync_acked")?,
            last_push: pushes("ORDER BY created_at DESC, bundle_seq DESC LIMIT 1")?
                .into_iter()
                .next(),
            last_receipt: pushes(
                "WHERE receipt_at IS NOT NULL ORDER BY receipt_at DESC, bundle_seq DESC LIMIT 1",
            )?
            .into_iter()
            .next(),
            awaiting_receipt: pushes("WHERE receipt_at IS NULL ORDER BY created_at, bundle_seq")?,
            prunable_encounters: q(&format!("SELECT count(*) FROM ({PRUNABLE})"))?,
            pruned_encounters: q("SELECT count(*) FROM sync_pruned")?,
            bundles_imported: q("SELECT count(*) FROM sync_imports")?,
            held_events: q("SELECT count(*) FROM sync_held")?,
            conflicts: q("SELECT count(*) FROM sync_conflicts")?,
        })
    }

    /// Removes complete (or void) encounters whose every event a receiver acknowledged.
    /// With `only`, exactly those encounters (full ids), and the whole call is refused,
    /// removing nothing, if any of them is not removable. `dry_run` says what would go.
    pub fn sync_prune(
        &mut self,
        only: Option<&[String]>,
        dry_run: bool,
    ) -> Result<PruneOutcome, StoreError> {
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            let eligible: Vec<(String, i64, String)> = tx
                .prepare(PRUNABLE)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let chosen: Vec<(String, i64, String)> = match only {
                None => eligible,
                Some(ids) => {
                    let mut v = Vec::new();
                    for id in ids {
                        match eligible.iter().find(|e| &e.0 == id) {
                            Some(e) => v.push(e.clone()),
                            None => return Err(StoreError::BadEvent(not_prunable(tx, id)?).into()),
                        }
                    }
                    v
                }
            };
            let mut out = PruneOutcome::default();
            let at = now();
            for (id, count, head) in &chosen {
                if !dry_run {
                    tx.execute("DELETE FROM events WHERE encounter_id = ?1", [id])?;
                    tx.execute("DELETE FROM encounters WHERE id = ?1", [id])?;
                    tx.execute(
                        "INSERT OR REPLACE INTO sync_pruned (encounter_id, event_count, head_hash, pruned_at)
                         VALUES (?1, ?2, ?3, ?4)",
                        rusqlite::params![id, count, head, at],
                    )?;
                }
                out.removed.push(Pruned {
                    encounter_id: id.clone(),
                    events: to_u64(*count),
                });
            }
            let count = |sql: &str| -> rusqlite::Result<u64> {
                tx.query_row(sql, [], |r| r.get::<_, i64>(0)).map(to_u64)
            };
            out.kept_drafts = count("SELECT count(*) FROM encounters WHERE status = 'draft'")?;
            let closed = count("SELECT count(*) FROM encounters WHERE status <> 'draft'")?;
            let still = if dry_run { out.removed.len() as u64 } else { 0 };
            out.kept_unacknowledged = closed.saturating_sub(still);
            Ok(out)
        })
    }
}

/// Why one named encounter may not be pruned, as a sentence.
fn not_prunable(tx: &Transaction, id: &str) -> Result<String, TxError> {
    let status: Option<String> = tx
        .query_row("SELECT status FROM encounters WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(match status.as_deref() {
        None => format!("encounter {id} is not in this database; nothing was removed"),
        Some("draft") => format!(
            "encounter {id} is a draft, so it cannot be pruned (only complete encounters a hub has acknowledged can); nothing was removed"
        ),
        Some(_) => format!(
            "encounter {id} has events no hub has acknowledged yet, so it cannot be pruned until they are pushed and a receipt comes back; nothing was removed"
        ),
    })
}

/// One encounter's events from a bundle, merged with anything held for it earlier.
fn merge_encounter(
    tx: &Transaction,
    enc: &str,
    run: &[&Event],
    bundle: &str,
    at: &str,
    out: &mut ImportOutcome,
) -> Result<(), TxError> {
    let mut candidates: BTreeMap<u32, Vec<Event>> = BTreeMap::new();
    let mut from_bundle: HashSet<String> = HashSet::new();
    for e in run {
        let stored: Option<(String, i64, String)> = tx
            .prepare_cached("SELECT encounter_id, seq, hash FROM events WHERE id = ?1")?
            .query_row([&e.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        match stored {
            Some((se, sseq, shash))
                if se == e.encounter_id && sseq == i64::from(e.seq) && shash == e.hash =>
            {
                out.already_present += 1;
            }
            Some(_) => refuse(
                tx,
                e,
                "an event with this id is already held with different content; the held one is kept",
                bundle,
                at,
                out,
            )?,
            None => {
                from_bundle.insert(e.id.clone());
                candidates.entry(e.seq).or_default().push((*e).clone());
            }
        }
    }
    if candidates.is_empty() {
        return Ok(());
    }
    // Anything held for this encounter gets another chance now.
    let held: Vec<(String, String)> = tx
        .prepare_cached("SELECT hash, event FROM sync_held WHERE encounter_id = ?1")?
        .query_map([enc], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (hash, json) in held {
        // Held rows were written by us from verified events; one that no longer reads
        // back (edited by hand) is left where it is rather than trusted.
        let Ok(e) = serde_json::from_str::<Event>(&json) else {
            continue;
        };
        if e.hash != hash || !e.hash_ok() {
            continue;
        }
        let slot = candidates.entry(e.seq).or_default();
        match slot.iter().find(|c| c.id == e.id) {
            Some(c) if c.hash != e.hash => {
                let c = c.clone();
                refuse(
                    tx,
                    &c,
                    "an event with this id is already held (waiting for earlier events) with different content; the held one is kept",
                    bundle,
                    at,
                    out,
                )?;
                from_bundle.remove(&c.id);
                slot.retain(|x| x.id != c.id);
                slot.push(e);
            }
            Some(_) => {}
            None => slot.push(e),
        }
    }
    let mut head = load_head(tx, enc)?;
    let start_seq = head.as_ref().map_or(0, |h| h.seq);
    let mut last_at = String::new();
    loop {
        let next = head.as_ref().map_or(1, |h| h.seq + 1);
        let want = head
            .as_ref()
            .map_or(GENESIS_HASH.to_string(), |h| h.hash.clone());
        let Some(slot) = candidates.get_mut(&next) else {
            break;
        };
        let Some(pos) = slot.iter().position(|c| c.prev_hash == want) else {
            break;
        };
        let e = slot.remove(pos);
        let status = match &head {
            None if matches!(e.body, EventBody::Created { .. }) => {
                insert_summary(tx, &e)?;
                Ok(Status::Draft)
            }
            None => Err(StoreError::BadEvent(
                "an encounter must start with a 'created' event".into(),
            )),
            Some(h) => check_rules(h, &e.body),
        };
        let status = match status {
            Ok(s) => s,
            Err(why) => {
                refuse(
                    tx,
                    &e,
                    &format!("it breaks the record's rules ({why})"),
                    bundle,
                    at,
                    out,
                )?;
                from_bundle.remove(&e.id);
                break;
            }
        };
        insert_event(tx, &e)?;
        if from_bundle.remove(&e.id) {
            out.accepted += 1;
        } else {
            out.released += 1;
        }
        tx.prepare_cached("DELETE FROM sync_held WHERE event_id = ?1")?
            .execute([&e.id])?;
        last_at = e.at.clone();
        head = Some(Head {
            id: enc.to_string(),
            status,
            seq: e.seq,
            hash: e.hash.clone(),
        });
    }
    if let Some(h) = &head
        && h.seq > start_seq
    {
        update_summary(tx, h, &last_at)?;
    }
    // What is left from this bundle either contradicts the chain now stored, or waits
    // for events that have not arrived.
    let head_seq = head.as_ref().map_or(0, |h| h.seq);
    for e in candidates.into_values().flatten() {
        if !from_bundle.contains(&e.id) {
            continue;
        }
        if e.seq <= head_seq + 1 {
            refuse(
                tx,
                &e,
                &format!(
                    "encounter {enc} already holds a different event at position {} (the record has two versions); the held one is kept",
                    e.seq
                ),
                bundle,
                at,
                out,
            )?;
        } else {
            let json = serde_json::to_string(&e)
                .map_err(|err| StoreError::BadEvent(format!("could not encode an event: {err}")))?;
            tx.prepare_cached(
                "INSERT OR IGNORE INTO sync_held (event_id, encounter_id, seq, hash, event, bundle_sha256, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(rusqlite::params![
                e.id,
                e.encounter_id,
                i64::from(e.seq),
                e.hash,
                json,
                bundle,
                at
            ])?;
            out.held.push(Unaccepted {
                event_id: e.id.clone(),
                encounter_id: e.encounter_id.clone(),
                reason: format!("held until event {} of the encounter arrives", head_seq + 1),
            });
        }
    }
    Ok(())
}

/// Records a conflicting event for review (never in the record) and reports it.
fn refuse(
    tx: &Transaction,
    e: &Event,
    reason: &str,
    bundle: &str,
    at: &str,
    out: &mut ImportOutcome,
) -> Result<(), TxError> {
    let json = serde_json::to_string(e)
        .map_err(|err| StoreError::BadEvent(format!("could not encode an event: {err}")))?;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO sync_conflicts (event_id, encounter_id, seq, hash, event, reason, bundle_sha256, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(rusqlite::params![
        e.id,
        e.encounter_id,
        i64::from(e.seq),
        e.hash,
        json,
        reason,
        bundle,
        at
    ])?;
    out.refused.push(Unaccepted {
        event_id: e.id.clone(),
        encounter_id: e.encounter_id.clone(),
        reason: reason.to_string(),
    });
    Ok(())
}
