//! Plain data passed between the store and sync: what is pending, what a receipt says,
//! what an import did, what a prune removed. It lives in the store (the lower layer) so
//! the store never imports `sync`; sync encodes and decodes files, the store keeps the
//! books, and the CLI prints these without knowing SQL.

use serde::Serialize;

use crate::record::Event;

/// What `sync push` would send.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    /// Every event the hub has not acknowledged, of every encounter whose record
    /// verifies, by encounter and seq (only the tail a hub lacks: see `sync` module docs).
    pub events: Vec<Event>,
    /// Encounters with unacknowledged events whose record does not verify: never sent.
    pub left_out: Vec<LeftOut>,
    /// The hub this database syncs with, if it knows one yet (written into the bundle).
    pub hub: Option<String>,
    /// This database's own event numbers (insertion order) of those events, min and max.
    pub local_seq: (u64, u64),
    pub bundle_seq: u64,
    pub pending_events: u64,
    pub pending_encounters: u64,
}

/// An encounter a push or prune left alone because its record does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    pub encounter_id: String,
    /// One sentence: what is wrong (the first problem found).
    pub problem: String,
}

/// One event a receipt says the receiver holds in its verified record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AckedEvent {
    pub event_id: String,
    pub hash: String,
}

/// A receiver's request for the events of an encounter it lacks: it holds later ones
/// and needs everything from `from_seq` on to join them to its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Want {
    pub encounter_id: String,
    pub from_seq: u32,
}

/// What a receipt says, as the store reads it (decoding the file is sync's job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    pub bundle_sha256: String,
    pub events_in_bundle: u64,
    /// The database the receipt is for (the bundle's writer).
    pub for_device: String,
    /// The database that wrote the receipt.
    pub from_device: String,
    /// Whether that database serves as a hub (only a hub's receipt acknowledges).
    pub from_hub: bool,
    pub received_at: String,
    pub accepted: u64,
    pub already_present: u64,
    /// Events the receiver did not take (held or refused).
    pub not_accepted: u64,
    pub acknowledged: Vec<AckedEvent>,
    pub wants: Vec<Want>,
}

/// What reading one receipt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckVerdict {
    /// Applied: this many events newly acknowledged, this many asked for again.
    Applied { newly: u64, requested: u64 },
    /// For another database: not ours to read.
    NotOurs,
    /// Ignored: written by this database itself.
    FromSelf,
    /// Ignored: the writer does not serve as a hub.
    NotAHub { from: String },
    /// Ignored: from a hub other than the one this database syncs with.
    OtherHub { from: String, hub: String },
    /// Ignored: names a bundle this database has no record of pushing.
    UnknownBundle,
    /// Ignored: its counts do not add up to the bundle pushed.
    Inconsistent,
}

/// How this database came to trust its hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HubInfo {
    pub device_id: String,
    /// `first_receipt` (the first hub that acknowledged a bundle) or `set` (chosen).
    pub how: String,
}

/// One event not taken into the record by an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unaccepted {
    pub event_id: String,
    pub encounter_id: String,
    pub reason: String,
}

/// An encounter of a bundle held for review rather than imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub encounter_id: String,
    pub reason: String,
    /// Its events held now (those already in the record identically are not counted).
    pub events: u64,
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
    /// Encounters whose events were held for review (their events are in `held` too).
    pub review: Vec<Review>,
    pub encounters: u64,
    /// This bundle's events now in the record (accepted or already present), for the
    /// receipt.
    #[serde(skip)]
    pub acknowledged: Vec<AckedEvent>,
    /// Encounters whose start this database lacks, for the receipt.
    #[serde(skip)]
    pub wants: Vec<Want>,
    /// What became of the bundle's scene events (separate from its encounter events).
    pub scenes: super::SceneImport,
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
    /// The hub whose receipts this database accepts, once known.
    pub hub: Option<HubInfo>,
    /// Whether this database serves as a hub (its receipts acknowledge).
    pub serves_as_hub: bool,
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
    /// Those events, by encounter and reason (held, held for review, conflict).
    pub held: Vec<super::HeldGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pruned {
    pub encounter_id: String,
    pub events: u64,
    /// The verified head the hub acknowledged.
    pub head_hash: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneOutcome {
    pub removed: Vec<Pruned>,
    /// Encounters kept because they are drafts.
    pub kept_drafts: u64,
    /// Complete or void encounters kept because some event is not acknowledged.
    pub kept_unacknowledged: u64,
    /// Encounters kept because their record does not verify.
    pub kept_damaged: Vec<LeftOut>,
}
