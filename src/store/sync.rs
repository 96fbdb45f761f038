//! The database side of push and import: what to push, and merging a verified bundle
//! into the record (planned by `merge_plan.rs`, applied here). Which receipts count is
//! `hub.rs`; removing what the hub holds is `prune.rs`.
//!
//! Imported events keep their original ids, device ids, times and hashes: nothing is
//! re-stamped, and each joins through the same rules and summary upkeep as a locally
//! recorded one.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{OptionalExtension, Transaction};

use super::audit::audit;
use super::merge_plan::{Incoming, Plan, Stored, Tip, plan};
use super::write::{Head, TxError, insert_event, insert_summary, load_head, update_summary, write};
use super::{
    ImportOutcome, LeftOut, Outgoing, PushRecord, Store, StoreError, SyncStatus, Unaccepted, Want,
};
use crate::record::{Event, SceneEvent};

pub(super) fn now() -> String {
    crate::time::now_utc()
}

pub(super) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// An event not acknowledged (with its current hash) by the hub.
pub(super) const UNACKED: &str =
    "NOT EXISTS (SELECT 1 FROM sync_acked a WHERE a.event_id = e.id AND a.hash = e.hash)";

impl Store {
    /// What `sync push` sends: every event the hub has not acknowledged, of every
    /// encounter whose record verifies (chain and summary row). An encounter that does
    /// not verify is left out and named. Only the unacknowledged tail travels: the hub
    /// holds the start, and a hub that lost it asks for it again in its receipt.
    pub fn sync_outgoing(&self) -> Result<Outgoing, StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let mut out = Outgoing {
            hub: self.meta(super::hub::HUB)?,
            ..Outgoing::default()
        };
        let pending: Vec<String> = tx
            .prepare(&format!(
                "SELECT DISTINCT encounter_id FROM events e WHERE {UNACKED} ORDER BY encounter_id"
            ))
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        for id in &pending {
            let row = self.summary_row(id)?;
            let events = match self.events(id) {
                Ok(ev) => Ok(ev),
                Err(StoreError::Tampered(b)) => Err(b),
                Err(e) => return Err(e),
            };
            let (a, _) = audit(id, row.as_ref(), events.as_deref().map_err(Clone::clone));
            if let Some(problem) = a.first_problem() {
                out.left_out.push(LeftOut {
                    encounter_id: id.clone(),
                    problem,
                });
                continue;
            }
            let unacked = self.unacked_rowids(&tx, id)?;
            for e in events.unwrap_or_default() {
                if let Some(rowid) = unacked.get(&e.id) {
                    lo = lo.min(*rowid);
                    hi = hi.max(*rowid);
                    out.events.push(e);
                }
            }
        }
        out.local_seq = if out.events.is_empty() {
            (0, 0)
        } else {
            (lo, hi)
        };
        out.pending_events = out.events.len() as u64;
        out.pending_encounters = (pending.len() - out.left_out.len()) as u64;
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

    /// Unacknowledged events of one encounter: id → this database's own event number.
    fn unacked_rowids(
        &self,
        tx: &Transaction,
        id: &str,
    ) -> Result<HashMap<String, u64>, StoreError> {
        tx.prepare_cached(&format!(
            "SELECT e.id, e.rowid FROM events e WHERE e.encounter_id = ?1 AND {UNACKED}"
        ))
        .and_then(|mut s| {
            s.query_map([id], |r| Ok((r.get(0)?, to_u64(r.get(1)?))))?
                .collect()
        })
        .map_err(|e| self.err(e))
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

    /// Merges one bundle's events, already verified as a bundle (hashes, count, chains),
    /// in one transaction. `progress` is called with the number of this bundle's events
    /// handled so far.
    pub fn sync_import(
        &mut self,
        bundle_sha256: &str,
        bundle_device_id: &str,
        file: &str,
        events: &[Event],
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, StoreError> {
        let none = BTreeMap::new();
        self.sync_import_reviewed(
            bundle_sha256,
            bundle_device_id,
            file,
            events,
            &none,
            progress,
        )
    }

    /// As `sync_import`, with the encounters of `review` (id → reason) held for review:
    /// their events kept aside with the reason, never joined to the record.
    pub fn sync_import_reviewed(
        &mut self,
        bundle_sha256: &str,
        bundle_device_id: &str,
        file: &str,
        events: &[Event],
        review: &BTreeMap<String, String>,
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
                if let Some(reason) = review.get(*enc) {
                    hold_for_review(tx, run, reason, bundle_sha256, &at, &mut out)?;
                    done += run.len() as u64;
                    progress(done);
                    continue;
                }
                let p = plan_encounter(tx, enc, run)?;
                apply_plan(tx, enc, p, bundle_sha256, &at, &mut out)?;
                done += run.len() as u64;
                progress(done);
            }
            record_import(tx, [bundle_sha256, bundle_device_id, file, &at], done)?;
            Ok(out)
        })
    }

    /// Merges one bundle read a run at a time from `source`, in one transaction: only
    /// one encounter's events are held at once, however big the bundle. Each run is
    /// shown to the source with this database's copy of its encounter (`review`), which
    /// may hold it for review or refuse the bundle. The scene events the source's last
    /// checks (`finish`) hand back are merged in the same transaction. If `review` refuses
    /// or `finish` fails, nothing of the bundle is kept, and the source's error comes back
    /// as [`StoreError::BadEvent`]. A busy database starts the source over.
    pub fn sync_import_runs(
        &mut self,
        bundle_sha256: &str,
        bundle_device_id: &str,
        file: &str,
        source: &mut dyn RunSource,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, StoreError> {
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            source.restart().map_err(StoreError::BadEvent)?;
            let at = now();
            let mut out = ImportOutcome::default();
            let mut done = 0u64;
            while let Some(run) = source.next_run().map_err(StoreError::BadEvent)? {
                let Some(enc) = run.first().map(|e| e.encounter_id.clone()) else {
                    continue;
                };
                let stored = if run[0].seq > 1 {
                    stored_events(tx, &enc)?
                } else {
                    Vec::new()
                };
                let waiting = super::held::waiting_events(tx, &enc)?;
                let review = source
                    .review(&run, &stored, &waiting)
                    .map_err(StoreError::BadEvent)?;
                let refs: Vec<&Event> = run.iter().collect();
                if let Some(reason) = review {
                    hold_for_review(tx, &refs, &reason, bundle_sha256, &at, &mut out)?;
                } else {
                    let p = plan_encounter(tx, &enc, &refs)?;
                    apply_plan(tx, &enc, p, bundle_sha256, &at, &mut out)?;
                }
                out.encounters += 1;
                done += run.len() as u64;
                progress(done);
            }
            let scenes = source.finish().map_err(StoreError::BadEvent)?;
            out.scenes = super::scene_sync::import_scenes(tx, bundle_sha256, &scenes)?;
            record_import(tx, [bundle_sha256, bundle_device_id, file, &at], done)?;
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
            hub: self.sync_hub()?,
            serves_as_hub: self.serves_as_hub()?,
            pending_events: q(&format!("SELECT count(*) FROM events e WHERE {UNACKED}"))?,
            pending_encounters: q(&format!(
                "SELECT count(DISTINCT encounter_id) FROM events e WHERE {UNACKED}"
            ))?,
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
            prunable_encounters: self.prunable(None)?.0.len() as u64,
            pruned_encounters: q("SELECT count(*) FROM sync_pruned")?,
            bundles_imported: q("SELECT count(*) FROM sync_imports")?,
            held_events: q("SELECT count(*) FROM sync_held")?,
            conflicts: q("SELECT count(*) FROM sync_conflicts")?,
            held: self.sync_held()?,
        })
    }
}

/// Where an import's events come from, one encounter's run at a time (a bundle read
/// from disk as it is merged).
pub trait RunSource {
    /// Goes back to the first run: a busy database makes the import start over.
    fn restart(&mut self) -> Result<(), String>;
    /// The next encounter's events, in seq order; `None` when there are no more.
    fn next_run(&mut self) -> Result<Option<Vec<Event>>, String>;
    /// What to do with a run, given this database's events of its encounter (`stored`,
    /// read only when the run does not start the chain; a damaged copy reads as none)
    /// and those held waiting for its start: `None` to merge it, a reason to hold it for
    /// review. An error refuses the whole bundle: nothing of it is kept.
    fn review(
        &mut self,
        run: &[Event],
        stored: &[Event],
        waiting: &[Event],
    ) -> Result<Option<String>, String>;
    /// The source's last checks, after the last run, and the bundle's scene events; an
    /// error undoes the whole import.
    fn finish(&mut self) -> Result<Vec<SceneEvent>, String>;
}

/// This database's events of one encounter, by seq, read inside the import's
/// transaction. A damaged copy is no context (the merge will not join to it either).
fn stored_events(tx: &Transaction, enc: &str) -> Result<Vec<Event>, TxError> {
    let rows: Vec<super::rows::RawEvent> = tx
        .prepare_cached(
            "SELECT id, encounter_id, seq, at, offset, device_id, prev_hash, hash, type, body
             FROM events WHERE encounter_id = ?1 ORDER BY seq",
        )?
        .query_map([enc], super::rows::RawEvent::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        match r.into_event() {
            Ok(e) => out.push(e),
            Err(StoreError::Tampered(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Notes that a bundle was imported, so it is known at the next import.
fn record_import(tx: &Transaction, text: [&str; 4], events: u64) -> Result<(), TxError> {
    tx.execute(
        "INSERT OR IGNORE INTO sync_imports (bundle_sha256, device_id, file, imported_at, event_count)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![text[0], text[1], text[2], text[3], events as i64],
    )?;
    Ok(())
}

/// Reads what the planner needs for one encounter: the stored tip, what is stored under
/// each incoming id, and the verified held events.
fn plan_encounter(tx: &Transaction, enc: &str, run: &[&Event]) -> Result<Plan, TxError> {
    let mut incoming = Vec::with_capacity(run.len());
    for e in run {
        let stored: Option<(String, i64, String)> = tx
            .prepare_cached("SELECT encounter_id, seq, hash FROM events WHERE id = ?1")?
            .query_row([&e.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let s = match stored {
            None => Stored::Absent,
            Some((se, sseq, shash))
                if se == e.encounter_id && sseq == i64::from(e.seq) && shash == e.hash =>
            {
                Stored::Same
            }
            Some(_) => Stored::Different,
        };
        incoming.push(Incoming {
            event: (*e).clone(),
            stored: s,
        });
    }
    let held: Vec<(String, String)> = tx
        .prepare_cached(
            "SELECT hash, event FROM sync_held WHERE encounter_id = ?1 AND review IS NULL",
        )?
        .query_map([enc], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    // Held rows were written by us from verified events; one that no longer reads back
    // (edited by hand) is left where it is rather than trusted.
    let held = held
        .into_iter()
        .filter_map(|(hash, json)| serde_json::from_str::<Event>(&json).ok().map(|e| (hash, e)))
        .filter(|(hash, e)| e.hash == *hash && e.hash_ok().unwrap_or(false))
        .map(|(_, e)| e)
        .collect();
    let tip = load_head(tx, enc)?.map(|h| Tip {
        seq: h.seq,
        hash: h.hash,
        status: h.status,
    });
    Ok(plan(enc, tip, incoming, held))
}

/// Writes one encounter's plan: refusals kept for review, joins appended (the summary
/// created or moved on), the rest held, and the outcome counted for the receipt.
fn apply_plan(
    tx: &Transaction,
    enc: &str,
    p: Plan,
    bundle: &str,
    at: &str,
    out: &mut ImportOutcome,
) -> Result<(), TxError> {
    for e in &p.already_present {
        out.already_present += 1;
        out.acknowledged.push(super::AckedEvent {
            event_id: e.id.clone(),
            hash: e.hash.clone(),
        });
    }
    for r in &p.refuse {
        refuse(tx, &r.event, &r.reason, bundle, at, out)?;
    }
    let mut last_at = String::new();
    for j in &p.join {
        if j.event.seq == 1 {
            insert_summary(tx, &j.event)?;
        }
        insert_event(tx, &j.event)?;
        tx.prepare_cached("DELETE FROM sync_held WHERE event_id = ?1")?
            .execute([&j.event.id])?;
        if j.from_bundle {
            out.accepted += 1;
            out.acknowledged.push(super::AckedEvent {
                event_id: j.event.id.clone(),
                hash: j.event.hash.clone(),
            });
        } else {
            out.released += 1;
        }
        last_at = j.event.at.clone();
    }
    if let Some(t) = &p.tip {
        let head = Head {
            id: enc.to_string(),
            status: t.status,
            seq: t.seq,
            hash: t.hash.clone(),
        };
        update_summary(tx, &head, &last_at)?;
    }
    let waiting_for = p.wants_from.unwrap_or(1);
    for e in &p.hold {
        let json = serde_json::to_string(e)
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
            reason: format!("held until event {waiting_for} of the encounter arrives"),
        });
    }
    if let Some(from_seq) = p.wants_from {
        out.wants.push(Want {
            encounter_id: enc.to_string(),
            from_seq,
        });
    }
    Ok(())
}

/// Keeps the events of an encounter held for review aside with the reason (never in the
/// record); those this database already holds identically are acknowledged as present.
fn hold_for_review(
    tx: &Transaction,
    run: &[&Event],
    reason: &str,
    bundle: &str,
    at: &str,
    out: &mut ImportOutcome,
) -> Result<(), TxError> {
    let mut held = 0u64;
    for e in run {
        let same = tx
            .prepare_cached("SELECT 1 FROM events WHERE id = ?1 AND hash = ?2")?
            .exists([&e.id, &e.hash])?;
        if same {
            out.already_present += 1;
            out.acknowledged.push(super::AckedEvent {
                event_id: e.id.clone(),
                hash: e.hash.clone(),
            });
            continue;
        }
        let json = serde_json::to_string(e)
            .map_err(|err| StoreError::BadEvent(format!("could not encode an event: {err}")))?;
        tx.prepare_cached(
            "INSERT INTO sync_held (event_id, encounter_id, seq, hash, event, bundle_sha256, received_at, review)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (event_id) DO UPDATE SET review = excluded.review
               WHERE sync_held.hash = excluded.hash",
        )?
        .execute(rusqlite::params![
            e.id,
            e.encounter_id,
            i64::from(e.seq),
            e.hash,
            json,
            bundle,
            at,
            reason
        ])?;
        out.held.push(Unaccepted {
            event_id: e.id.clone(),
            encounter_id: e.encounter_id.clone(),
            reason: format!("held for review: {reason}"),
        });
        held += 1;
    }
    if let Some(e) = run.first() {
        out.review.push(super::Review {
            encounter_id: e.encounter_id.clone(),
            reason: reason.to_string(),
            events: held,
        });
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
