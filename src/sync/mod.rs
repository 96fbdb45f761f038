//! Sync without a network: events leave a database as bundle files in a folder (a share,
//! a USB stick, a colleague's laptop) and are merged into any other msht database, which
//! answers with a receipt file in the same folder.
//!
//! - `push`: reads receipts already in the folder (acknowledging those events), then
//!   writes one bundle holding every event the hub has not acknowledged, of every
//!   encounter whose record verifies; a damaged record is left out and named. Re-sending
//!   until acknowledged means a lost or damaged bundle costs nothing; sending only the
//!   unacknowledged tail keeps a push small (the hub holds the start, and a hub that
//!   lost it asks for it again in its receipt).
//! - `import`: each bundle is read, verified (manifest, SHA-256, count, every event's
//!   hash, every chain, the signature) and merged a frame and an encounter at a time in
//!   one transaction (`stream.rs`; see `store/sync.rs` for order independence), each
//!   encounter's content checked as it comes (`validate.rs`: the bundle refused, or the
//!   encounter held for review), its scenes merged after its encounters; any refusal,
//!   even at the file's last byte, rolls the transaction back. Then a receipt is written
//!   beside it. A bad bundle is reported and skipped; the others still go in. (An old
//!   envelope 1 is read and checked whole first, as before.)
//! - `prune`: only encounters whose record verifies, complete (or void) by their events,
//!   every event of which the hub acknowledged.
//!
//! Who acknowledges: each database has a device id. A bundle names the database that
//! wrote it (and the hub it is for, once known); a receipt names the database it is for
//! and the one that wrote it. A database accepts a receipt only if it is addressed to
//! it, comes from another database that serves as a hub (`serve_as_hub`), and that hub
//! is its own: the one set by hand, or else the first hub whose receipt acknowledged one
//! of its bundles. So importing your own bundle, or a scratch database importing the
//! share, acknowledges nothing.
//!
//! Against a forger (`keys.rs`, `seal.rs`): a device pushes only once enrolled with a
//! hub, and its bundles are signed with its own key and sealed to that hub, so the share
//! holds only ciphertext. A hub opens a bundle and checks its signer against the devices
//! it trusts before reading anything in it. Receipts are signed by the hub, and a device
//! believes only those that verify with the key of the hub it is enrolled with.
//!
//! Pending means "not acknowledged by this database's hub", whoever recorded the event:
//! a colleague's laptop that imported your bundle pushes those events on to the force
//! hub in its own bundles, so a relay never becomes a dead end.

pub mod bundle;
mod frames;
pub mod keys;
pub mod receipt;
pub mod seal;
mod stream;
pub mod validate;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::fault::Fault;
use crate::guidance::Guidance;
use crate::store::{AckVerdict, LeftOut, Store, StoreError};
pub use crate::store::{ImportOutcome, PruneOutcome, SyncStatus};
pub use bundle::{Bundle, Head, Manifest};
pub use receipt::Receipt;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A file that is not an intact bundle; nothing of it was imported.
    #[error("{} was refused and nothing from it was imported: {reason}", path.display())]
    BadBundle { path: PathBuf, reason: String },
    #[error("{} does not exist; check the path (nothing was imported)", path.display())]
    Missing { path: PathBuf },
    #[error("{} is not a folder, and a bundle is written into a folder", path.display())]
    NotAFolder { path: PathBuf },
    /// The folder a push was to write into is not there; nothing was written.
    #[error("the folder {} does not exist, so no bundle was written", path.display())]
    NoFolder { path: PathBuf },
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    EncodeBundle(#[from] bundle::EncodeError),
    #[error(transparent)]
    EncodeReceipt(#[from] receipt::EncodeError),
    /// A push left damaged records out (each already reported); the rest was written.
    #[error("{0} damaged record(s) were left out of the push (named above); the rest was pushed")]
    LeftOut(usize),
    /// Some bundles of an import were refused (each already reported); the rest went in.
    #[error("{}", refused_summary(*failed, *total))]
    SomeRefused { failed: usize, total: usize },
    /// Events contradicting the receiving database were refused (already reported).
    #[error(
        "{0} events were refused because they contradict what this database holds (reported above); they are kept for review and nothing was overwritten"
    )]
    Conflicts(u64),
    /// Push needs a hub to seal to; everything else keeps working without one.
    #[error(
        "this device is not enrolled with a hub yet, so there is no one to seal a bundle to (nothing was written; recording and export still work)"
    )]
    NotEnrolled,
    #[error(
        "this database is not a hub, so it has no keys to open sealed bundles with or to trust devices by (nothing was changed)"
    )]
    NotAHub,
    #[error("no trusted device is named {0}, so nothing was revoked")]
    NoSuchDevice(String),
    #[error(
        "that key belongs to {name}, revoked at {at}; a revoked key is never trusted again (the device needs a new database and key)"
    )]
    WasRevoked { name: String, at: String },
    #[error(
        "that is this database's own key; a device is enrolled with a hub, and a hub trusts other devices"
    )]
    OwnKey,
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error(transparent)]
    Seal(#[from] seal::SealError),
}

impl SyncError {
    pub fn fault(&self) -> Fault {
        match self {
            SyncError::BadBundle { .. }
            | SyncError::SomeRefused { .. }
            | SyncError::Conflicts(_)
            | SyncError::LeftOut(_) => Fault::BadData,
            SyncError::EncodeBundle(_) | SyncError::EncodeReceipt(_) | SyncError::Seal(_) => {
                Fault::Internal
            }
            SyncError::NotEnrolled
            | SyncError::NotAHub
            | SyncError::OwnKey
            | SyncError::WasRevoked { .. } => Fault::BadRequest,
            SyncError::NoSuchDevice(_) => Fault::Missing,
            SyncError::Key(keys::KeyError::Malformed { .. }) => Fault::BadRequest,
            SyncError::Key(keys::KeyError::Damaged(_)) => Fault::BadData,
            SyncError::Missing { .. } | SyncError::NoFolder { .. } => Fault::Missing,
            SyncError::NotAFolder { .. } => Fault::BadRequest,
            SyncError::Io { source, .. } => Fault::of_io(source),
            SyncError::Store(e) => e.fault(),
        }
    }

    fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        if source.kind() == io::ErrorKind::NotFound {
            return SyncError::Missing {
                path: path.to_path_buf(),
            };
        }
        SyncError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The closing sentence of an import some of whose bundles were refused: "the others
/// were imported" only when there were others.
fn refused_summary(failed: usize, total: usize) -> String {
    if failed >= total {
        format!("all {total} bundles were refused (reported above), so nothing was imported")
    } else {
        format!(
            "{failed} of {total} bundles were refused (reported above); the other bundles were imported"
        )
    }
}

fn now() -> String {
    crate::time::now_utc()
}

/// What `push` did.
#[derive(Debug, Clone, Default)]
pub struct PushReport {
    /// Receipts in the folder that acknowledged this database's bundles.
    pub receipts_applied: u64,
    /// Events those receipts acknowledged for the first time.
    pub newly_acknowledged: u64,
    /// Events a hub asked for again (it lacks the start of their encounters).
    pub requested_again: u64,
    /// Receipts for this database that were not trusted, each with why, in one sentence.
    pub receipts_ignored: Vec<(PathBuf, String)>,
    /// Encounters the hub holds for review (events still unacknowledged here), with the
    /// hub's reason.
    pub held_for_review: Vec<(String, String)>,
    /// The bundle written, if anything was pending.
    pub written: Option<(PathBuf, Manifest)>,
    /// Damaged records left out of the bundle.
    pub left_out: Vec<LeftOut>,
    pub pending_events: u64,
    pub pending_encounters: u64,
    /// Scene events carried (whole chains of the scenes the bundle's people were met
    /// at, and of scenes changed since the last push).
    pub scene_events: u64,
    /// Scenes left out because their chain does not verify, each as one sentence.
    pub scenes_left_out: Vec<String>,
}

/// Why a receipt for this database was not trusted, or `None` if it was applied (or is
/// for another database, which is none of our business).
fn ignored_because(v: &AckVerdict) -> Option<String> {
    Some(match v {
        AckVerdict::Applied { .. } | AckVerdict::NotOurs => return None,
        AckVerdict::FromSelf => "it was written by this database itself".into(),
        AckVerdict::NotAHub { from } => {
            format!("it was written by {from}, which does not serve as a hub")
        }
        AckVerdict::OtherHub { from, hub } => {
            format!("it is from {from}, not from this device's hub {hub}")
        }
        AckVerdict::UnknownBundle => "it is for a bundle this database has no record of".into(),
        AckVerdict::Inconsistent => {
            "its counts do not add up to the bundle this database pushed".into()
        }
    })
}

/// Reads the receipts in `dir`, acknowledging what the hub holds: only receipts signed
/// by the enrolled `hub`.
fn read_receipts(
    store: &mut Store,
    hub: &keys::HubKey,
    dir: &Path,
    report: &mut PushReport,
) -> Result<(), SyncError> {
    for path in files_with_extension(dir, receipt::EXTENSION)? {
        // An unreadable or damaged receipt is ignored: its events simply stay pending. A
        // pipe or device named like a receipt is never read (it could block for ever).
        if !fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Ok(bytes) = fs::read(&path) else { continue };
        let r = match Receipt::verify(&bytes, &hub.verifying) {
            receipt::Verified::Trusted(r) => r,
            receipt::Verified::Unreadable => continue,
            receipt::Verified::BadSignature(r) => {
                if r.bundle_device_id == store.device_id() {
                    report.receipts_ignored.push((path, format!(
                        "its signature does not verify with the key of the hub this device is enrolled with ({}): it is forged, altered, or from another hub",
                        hub.fingerprint()
                    )));
                }
                continue;
            }
        };
        let verdict = store.sync_apply_receipt(&r.acknowledgement())?;
        if let AckVerdict::Applied { newly, requested } = verdict {
            report.receipts_applied += 1;
            report.newly_acknowledged += newly;
            report.requested_again += requested;
            note_reviews(store, &r, report)?;
        } else if let Some(why) = ignored_because(&verdict) {
            report.receipts_ignored.push((path, why));
        }
    }
    Ok(())
}

/// Encounters the hub holds for review, from a receipt it signed: named in the report
/// while their events are still unacknowledged here (a later receipt may have taken them).
fn note_reviews(store: &Store, r: &Receipt, report: &mut PushReport) -> Result<(), SyncError> {
    let held: Vec<&receipt::NotAccepted> = r
        .not_accepted
        .iter()
        .filter(|n| n.outcome == receipt::REVIEW)
        .collect();
    if held.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = held.iter().map(|n| n.event_id.clone()).collect();
    for (encounter, event) in store.sync_unacked_events(&ids)? {
        let Some(n) = held.iter().find(|n| n.event_id == event) else {
            continue;
        };
        if !report.held_for_review.iter().any(|(e, _)| *e == encounter) {
            let reason = n.reason.trim_start_matches("held for review: ").to_string();
            report.held_for_review.push((encounter, reason));
        }
    }
    Ok(())
}

/// `sync push --to DIR`. Damaged records are left out and listed in the report; the
/// caller reports them and fails with `SyncError::LeftOut` once the rest is written.
pub fn push(store: &mut Store, dir: &Path) -> Result<PushReport, SyncError> {
    let meta = fs::metadata(dir).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => SyncError::NoFolder {
            path: dir.to_path_buf(),
        },
        _ => SyncError::io("open the folder", dir, e),
    })?;
    if !meta.is_dir() {
        return Err(SyncError::NotAFolder {
            path: dir.to_path_buf(),
        });
    }
    let hub = keys::enrolled_hub(store)?.ok_or(SyncError::NotEnrolled)?;
    let signer = keys::signing_key(store)?;
    let mut report = PushReport::default();
    read_receipts(store, &hub, dir, &mut report)?;
    let out = store.sync_outgoing()?;
    report.pending_events = out.pending_events;
    report.pending_encounters = out.pending_encounters;
    report.left_out = out.left_out;
    let scenes = store.sync_outgoing_scenes(&out.events)?;
    report.scene_events = scenes.events.len() as u64;
    report.scenes_left_out = scenes.left_out;
    if out.events.is_empty() && scenes.events.is_empty() {
        return Ok(report);
    }
    let created = now();
    let writer = bundle::Writer {
        device_id: store.device_id(),
        for_hub: out.hub.as_deref(),
        bundle_seq: out.bundle_seq,
        created_at: &created,
        local_seq: out.local_seq,
    };
    let (manifest, hash, plain) = bundle::encode_with_scenes(&writer, &out.events, &scenes.events)?;
    let bytes = seal::seal(&hub, &signer, &plain)?;
    let name = bundle::file_name(&manifest, &hash);
    let path = dir.join(&name);
    crate::atomic::write_new(&path, &bytes)
        .map_err(|e| SyncError::io("write the bundle into", dir, e))?;
    store.sync_record_push(
        &hash,
        out.bundle_seq,
        &name,
        &dir.display().to_string(),
        &created,
        &out.events,
    )?;
    store.sync_scenes_pushed(scenes.mark)?;
    report.written = Some((path, manifest));
    Ok(report)
}

/// `sync hub --serve`: this database's receipts acknowledge from now on.
pub fn serve_as_hub(store: &mut Store) -> Result<(), SyncError> {
    Ok(store.sync_serve_as_hub()?)
}

/// `sync hub ID`: accept receipts only from the database `hub`.
pub fn set_hub(store: &mut Store, hub: &str) -> Result<(), SyncError> {
    Ok(store.sync_set_hub(hub.trim())?)
}

/// Bundle files named by `paths`: files as given, folders by their `*.mshtbundle` files
/// (other files in a folder, receipts included, are not bundles and are left alone).
/// Every path must exist, checked before anything is imported.
pub fn bundle_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SyncError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = fs::metadata(p).map_err(|e| SyncError::io("read", p, e))?;
        if meta.is_dir() {
            out.extend(files_with_extension(p, bundle::EXTENSION)?);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn files_with_extension(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, SyncError> {
    let mut out = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| SyncError::io("read the folder", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| SyncError::io("read the folder", dir, e))?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && path.is_file() && path.extension().is_some_and(|x| x == ext) {
            out.push(path);
        }
    }
    // Sorted so output is stable; the result does not depend on the order.
    out.sort();
    Ok(out)
}

/// Reads and verifies one sealed bundle whole: opened with this hub's key, its signer
/// trusted and not revoked, its signature good, and only then the bundle inside. (The
/// import reads a version 2 bundle a frame at a time instead: `stream.rs`.)
pub fn read_bundle(
    store: &Store,
    hub: &keys::HubIdentity,
    path: &Path,
) -> Result<Bundle, SyncError> {
    match stream::open(store, hub, None, path)? {
        stream::Opened::Whole(b) => Ok(b),
        stream::Opened::Streamed(head, mut s) => {
            let mut events = Vec::new();
            let read = read_all_runs(&mut *s, &mut events);
            match read {
                Ok(scene_events) => Ok(Bundle {
                    path: head.path,
                    manifest: head.manifest,
                    hash: head.hash,
                    events,
                    scene_events,
                }),
                Err(reason) => Err(s.refusal.take().unwrap_or(SyncError::BadBundle {
                    path: path.to_path_buf(),
                    reason,
                })),
            }
        }
    }
}

fn read_all_runs(
    s: &mut dyn crate::store::RunSource,
    events: &mut Vec<crate::record::Event>,
) -> Result<Vec<crate::record::SceneEvent>, String> {
    s.restart()?;
    while let Some(run) = s.next_run()? {
        events.extend(run);
    }
    s.finish()
}

/// A version 1 envelope opened whole: its signer trusted, its signature good, and the
/// bundle inside decoded and matching the signer.
fn check_whole(store: &Store, path: &Path, opened: seal::Opened) -> Result<Bundle, SyncError> {
    let refused = |r: bundle::Refusal| SyncError::BadBundle {
        path: path.to_path_buf(),
        reason: r.0,
    };
    let device = stream::trusted(store, opened.signer.as_bytes(), &opened.signer_fingerprint)
        .map_err(|r| refused(bundle::Refusal(r)))?;
    opened.verify().map_err(refused)?;
    let b = bundle::decode(path, &opened.bundle).map_err(refused)?;
    if b.manifest.device_id != device.device_id {
        return Err(refused(bundle::Refusal(format!(
            "it says it was written by {} but is signed by {} ({})",
            b.manifest.device_id, device.name, device.device_id
        ))));
    }
    Ok(b)
}

/// Checks what a verified bundle's events say (`validate.rs`) against this database's
/// record and `guidance`: the encounters to hold for review, or the bundle's refusal.
pub fn check_content(
    store: &Store,
    guidance: &Guidance,
    b: &Bundle,
) -> Result<validate::Held, SyncError> {
    let mut context = validate::Context::default();
    for id in validate::needs_stored(&b.events) {
        // A damaged copy here is no context: the merge will not join to it either.
        let events = match store.events(&id) {
            Ok(ev) => ev,
            Err(StoreError::Tampered(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        context.stored.insert(id, events);
    }
    let waiting = store.sync_waiting_encounters()?;
    if !waiting.is_empty() {
        let mut ids: Vec<&str> = b.events.iter().map(|e| e.encounter_id.as_str()).collect();
        ids.dedup();
        for id in ids.into_iter().filter(|id| waiting.contains(*id)) {
            context
                .waiting
                .insert(id.to_string(), store.sync_waiting(id)?);
        }
    }
    validate::check(&b.events, &context, guidance).map_err(|r| SyncError::BadBundle {
        path: b.path.clone(),
        reason: r.0,
    })
}

/// The receipt for a merged bundle (not yet written). It takes the outcome's list of
/// acknowledged events rather than copying it: on a big bundle that list is the largest
/// thing an import holds.
fn receipt_for(
    store: &Store,
    head: &Head,
    outcome: &mut ImportOutcome,
    events: u64,
) -> Result<Receipt, SyncError> {
    let file = head
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut not_accepted = Vec::new();
    for (kind, list) in [("held", &outcome.held), ("refused", &outcome.refused)] {
        for u in list {
            let reviewed = outcome
                .review
                .iter()
                .any(|r| r.encounter_id == u.encounter_id);
            not_accepted.push(receipt::NotAccepted {
                event_id: u.event_id.clone(),
                outcome: if kind == "held" && reviewed {
                    receipt::REVIEW.to_string()
                } else {
                    kind.to_string()
                },
                reason: u.reason.clone(),
            });
        }
    }
    Ok(Receipt {
        format: receipt::FORMAT.into(),
        version: receipt::VERSION,
        bundle_sha256: head.hash.clone(),
        bundle_device_id: head.manifest.device_id.clone(),
        bundle_file: file,
        receiver_device_id: store.device_id().to_string(),
        receiver_is_hub: store.serves_as_hub()?,
        received_at: now(),
        events_in_bundle: events,
        accepted: outcome.accepted,
        already_present: outcome.already_present,
        acknowledged: std::mem::take(&mut outcome.acknowledged),
        not_accepted,
        wants: outcome.wants.clone(),
    })
}

/// Writes the receipt beside the bundle. An existing receipt from this receiver for this
/// bundle is replaced only if the new one acknowledges more (a later import may have let
/// held events join), so re-importing a folder does not churn files.
pub fn write_receipt(
    b: &Head,
    r: &Receipt,
    signer: &ed25519_dalek::SigningKey,
) -> Result<Option<PathBuf>, SyncError> {
    let dir = b
        .path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = r.file_name();
    // A receipt planted under our name (forged, or signed by another key) is replaced,
    // or the device would never see this hub's word.
    if let Ok(old) = fs::read(dir.join(&name))
        && let receipt::Verified::Trusted(old) = Receipt::verify(&old, &signer.verifying_key())
        && old.bundle_sha256 == r.bundle_sha256
        && old.receiver_is_hub == r.receiver_is_hub
        && old.acknowledged_count() >= r.acknowledged_count()
        && old.wants == r.wants
    {
        return Ok(None);
    }
    let path = dir.join(&name);
    let bytes = r.encode(signer)?;
    crate::atomic::write_replace(&path, &bytes)
        .map(|()| Some(path))
        .map_err(|e| SyncError::io("write a receipt into", dir, e))
}

/// What happened to one bundle during `import_paths`.
#[derive(Debug)]
pub enum Step<'a> {
    /// Called repeatedly while a bundle's events are merged.
    Progress {
        /// Events of this bundle handled so far.
        done: u64,
        /// Events in this bundle.
        events: u64,
        /// This bundle's place among the bundles (from 0).
        index: usize,
        bundles: usize,
    },
    Imported {
        bundle: &'a Head,
        outcome: &'a ImportOutcome,
        receipt: Result<Option<PathBuf>, SyncError>,
    },
    Refused(&'a SyncError),
}

/// `sync import PATH...`: every bundle verified whole, merged, receipted. A bundle that
/// cannot be read or verified is reported through `observe` and skipped (a lone bundle's
/// refusal is returned as the error instead). Errors of the
/// database itself (busy, disk full) stop the import: later bundles would meet the same.
pub fn import_paths(
    store: &mut Store,
    guidance: &Guidance,
    paths: &[PathBuf],
    observe: &mut dyn FnMut(Step),
) -> Result<ImportSummary, SyncError> {
    let files = bundle_paths(paths)?;
    let hub = keys::hub_identity(store)?.ok_or(SyncError::NotAHub)?;
    let mut summary = ImportSummary {
        bundles: files.len(),
        ..ImportSummary::default()
    };
    let total = files.len();
    for (i, path) in files.iter().enumerate() {
        let merged = stream::open_and_merge(store, guidance, &hub, path, &mut |done, n| {
            observe(Step::Progress {
                done,
                events: n,
                index: i,
                bundles: total,
            });
        })?;
        let (head, mut outcome, events) = match merged {
            Ok(x) => x,
            // One bundle refused is the whole story: its sentence is the import's error,
            // not a line followed by a summary of the others (there are none).
            Err(e) if total == 1 => return Err(e),
            Err(e) => {
                observe(Step::Refused(&e));
                summary.refused_bundles += 1;
                continue;
            }
        };
        let r = receipt_for(store, &head, &mut outcome, events)?;
        let receipt = write_receipt(&head, &r, &hub.signing);
        summary.accepted += outcome.accepted;
        summary.already_present += outcome.already_present;
        summary.released += outcome.released;
        summary.held += outcome.held.len() as u64;
        summary.refused_events += outcome.refused.len() as u64;
        summary.receipt_failures += u64::from(receipt.is_err());
        observe(Step::Imported {
            bundle: &head,
            outcome: &outcome,
            receipt,
        });
    }
    Ok(summary)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub bundles: usize,
    pub refused_bundles: usize,
    pub accepted: u64,
    pub already_present: u64,
    pub released: u64,
    pub held: u64,
    pub refused_events: u64,
    pub receipt_failures: u64,
}

impl ImportSummary {
    /// The error to exit with once everything has been reported, if any.
    pub fn failure(&self) -> Option<SyncError> {
        if self.refused_bundles > 0 {
            Some(SyncError::SomeRefused {
                failed: self.refused_bundles,
                total: self.bundles,
            })
        } else if self.refused_events > 0 {
            Some(SyncError::Conflicts(self.refused_events))
        } else {
            None
        }
    }
}
