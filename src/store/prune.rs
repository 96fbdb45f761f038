//! Pruning: removing from a device the encounters its hub holds. Only a record that
//! verifies (its chain, and its summary row re-derived from the chain), complete or void
//! by its events, every event of which the hub acknowledged, may go; a damaged record is
//! kept and named.

use super::audit::audit;
use super::sync::{UNACKED, now, to_u64};
use super::write::write;
use super::{LeftOut, PruneOutcome, Pruned, Store, StoreError};
use crate::record::{Event, Status};

impl Store {
    /// Encounters that may be removed now, each with its event count and head hash, and
    /// those left alone because their record does not verify. An encounter may go only
    /// if its chain and summary row verify, its events (not its summary) say it is
    /// complete or void, and the hub acknowledged every event of the verified chain, so
    /// the hub holds exactly this head hash and event count.
    pub(super) fn prunable(
        &self,
        only: Option<&[String]>,
    ) -> Result<(Vec<Pruned>, Vec<LeftOut>), StoreError> {
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
                        "DELETE FROM scene_members WHERE encounter_id = ?1",
                        [&p.encounter_id],
                    )?;
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
