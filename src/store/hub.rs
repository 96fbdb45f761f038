//! Which database's receipts count, and reading a receipt. A receipt acknowledges only
//! when it is addressed to this database, written by another database that serves as a
//! hub, and that hub is this database's own: set by hand, or else the first hub whose
//! receipt acknowledged one of its bundles. Then it acknowledges exactly the events it
//! lists, with the hashes pushed, and only if its counts add up to the bundle pushed.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction};

use super::sync::to_u64;
use super::write::{TxError, write};
use super::{AckVerdict, Acknowledgement, HubInfo, Store, StoreError, Want};

/// Meta keys: the hub this database syncs with, how it was chosen, and whether this
/// database serves as a hub itself.
pub(super) const HUB: &str = "sync_hub";
const HUB_HOW: &str = "sync_hub_how";
const SERVES: &str = "sync_serves_as_hub";

impl Store {
    pub(super) fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
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
