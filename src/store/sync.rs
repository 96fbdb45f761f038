//! The database side of sync: what to push, what a receipt acknowledges, merging a
//! verified bundle into the record (planned by `merge_plan.rs`, applied here), and
//! pruning what the hub holds.
//!
//! Imported events keep their original ids, device ids, times and hashes: nothing is
//! re-stamped, and each joins through the same rules and summary upkeep as a locally
//! recorded one.
//!
//! Trust: a receipt acknowledges only when it is addressed to this database, written by
//! another database that serves as a hub, and that hub is the one this database syncs
//! with (set by hand, or else the first hub whose receipt acknowledged a bundle). Only
//! events so acknowledged may ever be pruned, and only from a record that verifies.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{OptionalExtension, Transaction};

use super::audit::audit;
use super::merge_plan::{Incoming, Plan, Stored, Tip, plan};
use super::write::{Head, TxError, insert_event, insert_summary, load_head, update_summary, write};
use super::{
    AckVerdict, Acknowledgement, HubInfo, ImportOutcome, LeftOut, Outgoing, PruneOutcome, Pruned,
    PushRecord, Store, StoreError, SyncStatus, Unaccepted, Want,
};
use crate::record::{Event, Status};

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Meta keys: the hub this database syncs with, how it was chosen, and whether this
/// database serves as a hub itself.
const HUB: &str = "sync_hub";
const HUB_HOW: &str = "sync_hub_how";
const SERVES: &str = "sync_serves_as_hub";

/// An event not acknowledged (with its current hash) by the hub.
const UNACKED: &str =
    "NOT EXISTS (SELECT 1 FROM sync_acked a WHERE a.event_id = e.id AND a.hash = e.hash)";

impl Store {
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The hub whose receipts this database accepts, once known.
    pub fn sync_hub(&self) -> Result<Option<HubInfo>, StoreError> {
        Ok(self.meta(HUB)?.map(|device_id| HubInfo {
            device_id,
            how: self
                .meta(HUB_HOW)
                .ok()
                .flatten()
                .unwrap_or_else(|| "set".into()),
        }))
    }

    /// Accept receipts only from the database `hub` from now on.
    pub fn sync_set_hub(&mut self, hub: &str) -> Result<(), StoreError> {
        if hub == self.device_id {
            return Err(StoreError::BadEvent(
                "a database cannot be its own hub: its receipts would acknowledge its own events"
                    .into(),
            ));
        }
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            set_meta(tx, HUB, hub)?;
            set_meta(tx, HUB_HOW, "set")?;
            Ok(())
        })
    }

    pub fn serves_as_hub(&self) -> Result<bool, StoreError> {
        Ok(self.meta(SERVES)?.as_deref() == Some("1"))
    }

    /// Makes this database a hub: receipts it writes from now on acknowledge events.
    pub fn sync_serve_as_hub(&mut self) -> Result<(), StoreError> {
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| Ok(set_meta(tx, SERVES, "1")?))
    }

    /// What `sync push` sends: every event the hub has not acknowledged, of every
    /// encounter whose record verifies (chain and summary row). An encounter that does
    /// not verify is left out and named. Only the unacknowledged tail travels: the hub
    /// holds the start, and a hub that lost it asks for it again in its receipt.
    pub fn sync_outgoing(&self) -> Result<Outgoing, StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let mut out = Outgoing {
            hub: self.meta(HUB)?,
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

    /// Reads one receipt. It acknowledges only if it is addressed to this database,
    /// written by another database serving as a hub, by this database's hub (the first
    /// such receipt names the hub when none is set), for a bundle this database pushed,
    /// with counts that add up to exactly that bundle; and then only the events it lists
    /// as held in the hub's record, with the hashes pushed.
    pub fn sync_apply_receipt(&mut self, r: &Acknowledgement) -> Result<AckVerdict, StoreError> {
        if r.for_device != self.device_id {
            return Ok(AckVerdict::NotOurs);
        }
        if r.from_device == self.device_id {
            return Ok(AckVerdict::FromSelf);
        }
        if !r.from_hub {
            return Ok(AckVerdict::NotAHub {
                from: r.from_device.clone(),
            });
        }
        let hub = self.meta(HUB)?;
        if let Some(h) = &hub
            && *h != r.from_device
        {
            return Ok(AckVerdict::OtherHub {
                from: r.from_device.clone(),
                hub: h.clone(),
            });
        }
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| apply_receipt(tx, r, hub.is_none()))
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
                let p = plan_encounter(tx, enc, run)?;
                apply_plan(tx, enc, p, bundle_sha256, &at, &mut out)?;
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
        })
    }

    /// Encounters that may be removed now, each with its event count and head hash, and
    /// those left alone because their record does not verify. An encounter may go only
    /// if its chain and summary row verify, its events (not its summary) say it is
    /// complete or void, and the hub acknowledged every event of the verified chain, so
    /// the hub holds exactly this head hash and event count.
    fn prunable(&self, only: Option<&[String]>) -> Result<(Vec<Pruned>, Vec<LeftOut>), StoreError> {
        // A cheap first cut on the summary (it can only leave encounters out); everything
        // is then checked on the chain.
        let ids: Vec<String> = match only {
            Some(ids) => ids.to_vec(),
            None => self
                .conn
                .prepare(&format!(
                    "SELECT c.id FROM encounters c WHERE c.status IN ('complete', 'void')
                       AND NOT EXISTS
                       (SELECT 1 FROM events e WHERE e.encounter_id = c.id AND {UNACKED})
                     ORDER BY c.created_at, c.id"
                ))
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .map_err(|e| self.err(e))?,
        };
        let mut ok = Vec::new();
        let mut damaged = Vec::new();
        for id in ids {
            let row = self.summary_row(&id)?;
            let events = match self.events(&id) {
                Ok(ev) => Ok(ev),
                Err(StoreError::Tampered(b)) => Err(b),
                Err(e) => return Err(e),
            };
            let (a, state) = audit(&id, row.as_ref(), events.as_deref().map_err(Clone::clone));
            if let Some(problem) = a.first_problem() {
                damaged.push(LeftOut {
                    encounter_id: id,
                    problem,
                });
                continue;
            }
            let (Some(state), Ok(events)) = (state, events) else {
                continue;
            };
            if state.status == Status::Draft || !self.all_acked(&events)? {
                continue;
            }
            ok.push(Pruned {
                encounter_id: id,
                events: events.len() as u64,
                head_hash: state.head_hash,
            });
        }
        Ok((ok, damaged))
    }

    fn all_acked(&self, events: &[Event]) -> Result<bool, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM sync_acked WHERE event_id = ?1 AND hash = ?2")
            .map_err(|e| self.err(e))?;
        for e in events {
            let found = stmt
                .exists(rusqlite::params![e.id, e.hash])
                .map_err(|err| self.err(err))?;
            if !found {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Removes complete (or void) encounters the hub holds in full (see `prunable`). With
    /// `only`, exactly those encounters (full ids), and the whole call is refused,
    /// removing nothing, if any of them is not removable. `dry_run` says what would go.
    pub fn sync_prune(
        &mut self,
        only: Option<&[String]>,
        dry_run: bool,
    ) -> Result<PruneOutcome, StoreError> {
        let (chosen, damaged) = self.prunable(only)?;
        if let Some(ids) = only
            && let Some(id) = ids
                .iter()
                .find(|id| !chosen.iter().any(|p| &p.encounter_id == *id))
        {
            let why = self.not_prunable(id, &damaged)?;
            return Err(StoreError::BadEvent(why));
        }
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            let at = now();
            let mut out = PruneOutcome {
                kept_damaged: damaged.clone(),
                ..PruneOutcome::default()
            };
            for p in &chosen {
                // Checked again under the write lock: the record must still end where it
                // was verified to end.
                let (count, head): (i64, String) = tx.query_row(
                    "SELECT event_count, head_hash FROM encounters WHERE id = ?1",
                    [&p.encounter_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                if to_u64(count) != p.events || head != p.head_hash {
                    continue;
                }
                if !dry_run {
                    tx.execute(
                        "DELETE FROM events WHERE encounter_id = ?1",
                        [&p.encounter_id],
                    )?;
                    tx.execute("DELETE FROM encounters WHERE id = ?1", [&p.encounter_id])?;
                    tx.execute(
                        "INSERT OR REPLACE INTO sync_pruned (encounter_id, event_count, head_hash, pruned_at)
                         VALUES (?1, ?2, ?3, ?4)",
                        rusqlite::params![p.encounter_id, count, head, at],
                    )?;
                }
                out.removed.push(p.clone());
            }
            let count = |sql: &str| -> rusqlite::Result<u64> {
                tx.query_row(sql, [], |r| r.get::<_, i64>(0)).map(to_u64)
            };
            out.kept_drafts = count("SELECT count(*) FROM encounters WHERE status = 'draft'")?;
            let closed = count("SELECT count(*) FROM encounters WHERE status <> 'draft'")?;
            let still = if dry_run { out.removed.len() as u64 } else { 0 };
            out.kept_unacknowledged = closed
                .saturating_sub(still)
                .saturating_sub(out.kept_damaged.len() as u64);
            Ok(out)
        })
    }

    /// Why one named encounter may not be pruned, as a sentence.
    fn not_prunable(&self, id: &str, damaged: &[LeftOut]) -> Result<String, StoreError> {
        if let Some(d) = damaged.iter().find(|d| d.encounter_id == id) {
            return Ok(format!(
                "encounter {id} cannot be pruned because its record does not verify ({}); nothing was removed",
                d.problem
            ));
        }
        let status = self.summary_row(id)?.map(|r| r.status);
        Ok(match status.as_deref() {
            None => format!("encounter {id} is not in this database; nothing was removed"),
            Some("draft") => format!(
                "encounter {id} is a draft, so it cannot be pruned (only complete encounters a hub has acknowledged can); nothing was removed"
            ),
            Some(_) => format!(
                "encounter {id} has events no hub has acknowledged yet, so it cannot be pruned until they are pushed and the hub's receipt comes back; nothing was removed"
            ),
        })
    }
}

fn set_meta(tx: &Transaction, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
    .map(|_| ())
}

/// The checks on a receipt that need the push records, and its application.
fn apply_receipt(
    tx: &Transaction,
    r: &Acknowledgement,
    first_hub: bool,
) -> Result<AckVerdict, TxError> {
    let pushed: Option<(i64, Option<String>)> = tx
        .query_row(
            "SELECT event_count, receipt_at FROM sync_pushes WHERE bundle_sha256 = ?1",
            [&r.bundle_sha256],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((pushed, last_read)) = pushed else {
        return Ok(AckVerdict::UnknownBundle);
    };
    // Receipts stay in the folder and are read at every push; a request for events is
    // acted on once, when a newer receipt than any read before brings it.
    let newer = last_read.is_none_or(|t| t < r.received_at);
    let listed = r.acknowledged.len() as u64;
    let adds_up = r.events_in_bundle == to_u64(pushed)
        && r.accepted + r.already_present == listed
        && listed + r.not_accepted == r.events_in_bundle;
    if !adds_up {
        return Ok(AckVerdict::Inconsistent);
    }
    if first_hub {
        set_meta(tx, HUB, &r.from_device)?;
        set_meta(tx, HUB_HOW, "first_receipt")?;
    }
    let mut requested = 0u64;
    let wants = if newer { r.wants.as_slice() } else { &[] };
    for Want {
        encounter_id,
        from_seq,
    } in wants
    {
        // The hub lacks these (restored from a backup, say): send them again. Done
        // before this receipt's own acknowledgements, which win.
        requested += tx.execute(
            "DELETE FROM sync_acked WHERE event_id IN
               (SELECT id FROM events WHERE encounter_id = ?1 AND seq >= ?2)",
            rusqlite::params![encounter_id, i64::from(*from_seq)],
        )? as u64;
    }
    let carried: HashMap<String, String> = tx
        .prepare_cached("SELECT event_id, hash FROM sync_push_events WHERE bundle_sha256 = ?1")?
        .query_map([&r.bundle_sha256], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut ins = tx.prepare_cached(
        "INSERT OR IGNORE INTO sync_acked (event_id, hash, bundle_sha256, receiver, acked_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let (mut newly, mut acked) = (0u64, 0u64);
    for a in &r.acknowledged {
        if carried.get(&a.event_id) != Some(&a.hash) {
            continue;
        }
        acked += 1;
        newly += ins.execute(rusqlite::params![
            a.event_id,
            a.hash,
            r.bundle_sha256,
            r.from_device,
            r.received_at
        ])? as u64;
    }
    tx.execute(
        "UPDATE sync_pushes SET receipt_at = ?2, receipt_by = ?3, acknowledged = max(acknowledged, ?4)
         WHERE bundle_sha256 = ?1 AND (receipt_at IS NULL OR receipt_at < ?2 OR acknowledged < ?4)",
        rusqlite::params![r.bundle_sha256, r.received_at, r.from_device, acked as i64],
    )?;
    Ok(AckVerdict::Applied { newly, requested })
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
        .prepare_cached("SELECT hash, event FROM sync_held WHERE encounter_id = ?1")?
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
