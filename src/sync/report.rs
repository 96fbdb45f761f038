//! Plain data the store hands back to sync: what is pending, what an import did, what a
//! prune removed. Defined here (not in the store) so the store stays a storage layer and
//! the CLI can print these without knowing SQL.

use serde::Serialize;

use crate::record::Event;

/// What `sync push` would send.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    /// Every event of every encounter that has at least one unacknowledged event, by
    /// encounter and seq (whole chains: see `sync` module docs).
    pub events: Vec<Event>,
    /// This database's own event numbers (insertion order) of those events, min and max.
    pub local_seq: (u64, u64),
    pub bundle_seq: u64,
    pub pending_events: u64,
    pub pending_encounters: u64,
}

/// One event not taken into the record by an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unaccepted {
    pub event_id: String,
    pub encounter_id: String,
    pub reason: String,
}

/// The result of importing one verified bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    /// Events of this bundle stored now.
    pub accepted: u64,
    /// Events of this bundle already held, identical.
    pub already_present: u64,
    /// Events held earlier (from other bundles) that this bundle allowed to join the record.
    pub released: u64,
    /// Verified events waiting for their encounter's earlier events.
    pub held: Vec<Unaccepted>,
    /// Events contradicting what is held: never merged, kept for review.
    pub refused: Vec<Unaccepted>,
    pub encounters: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushRecord {
    pub file: String,
    pub dir: String,
    pub created_at: String,
    pub events: u64,
    pub receipt_at: Option<String>,
    pub receipt_by: Option<String>,
    pub acknowledged: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub device_id: String,
    pub pending_events: u64,
    pub pending_encounters: u64,
    pub acknowledged_events: u64,
    pub last_push: Option<PushRecord>,
    pub last_receipt: Option<PushRecord>,
    pub awaiting_receipt: Vec<PushRecord>,
    /// Encounters `sync prune` would remove now.
    pub prunable_encounters: u64,
    pub pruned_encounters: u64,
    /// On a receiving database: bundles imported, events waiting for earlier ones,
    /// events refused as conflicts.
    pub bundles_imported: u64,
    pub held_events: u64,
    pub conflicts: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pruned {
    pub encounter_id: String,
    pub events: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneOutcome {
    pub removed: Vec<Pruned>,
    /// Encounters kept because they are drafts.
    pub kept_drafts: u64,
    /// Complete or void encounters kept because some event is not acknowledged.
    pub kept_unacknowledged: u64,
}
