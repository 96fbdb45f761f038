//! Sync without a network: events leave a database as bundle files in a folder (a share,
//! a USB stick, a colleague's laptop) and are merged into any other msht database, which
//! answers with a receipt file in the same folder.
//!
//! - `push`: reads receipts already in the folder (acknowledging those events), then
//!   writes one bundle holding the whole chain of every encounter with any event not yet
//!   acknowledged. Re-sending until acknowledged means a lost or damaged bundle costs
//!   nothing; whole chains mean every bundle can be verified on its own.
//! - `import`: each bundle is read and verified whole (manifest, SHA-256, count, every
//!   event's hash, every chain) before the database is touched, then merged in one
//!   transaction (see `store/sync.rs` for order independence), and a receipt is written
//!   beside it. A bad bundle is reported and skipped; the others still go in.
//! - `prune`: only encounters that are complete (or void) and wholly acknowledged.
//!
//! Pending means "not acknowledged by any receiver", whoever recorded the event: a
//! colleague's laptop that imported your bundle pushes those events on to the force hub
//! in its own bundles, so a relay never becomes a dead end.

pub mod bundle;
pub mod receipt;
pub mod report;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::fault::Fault;
use crate::store::{Store, StoreError};
pub use bundle::{Bundle, Manifest};
pub use receipt::Receipt;
pub use report::{ImportOutcome, PruneOutcome, SyncStatus};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A file that is not an intact bundle; nothing of it was imported.
    #[error("{} was refused and nothing from it was imported: {reason}", path.display())]
    BadBundle { path: PathBuf, reason: String },
    #[error("{} does not exist; check the path (nothing was imported)", path.display())]
    Missing { path: PathBuf },
    #[error("{} is not a folder, and a bundle is written into a folder", path.display())]
    NotAFolder { path: PathBuf },
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Some bundles of an import were refused (each already reported); the rest went in.
    #[error(
        "{failed} of {total} bundles were refused (reported above); the other bundles were imported"
    )]
    SomeRefused { failed: usize, total: usize },
    /// Events contradicting the receiving database were refused (already reported).
    #[error(
        "{0} events were refused because they contradict what this database holds (reported above); they are kept for review and nothing was overwritten"
    )]
    Conflicts(u64),
}

impl SyncError {
    pub fn fault(&self) -> Fault {
        match self {
            SyncError::BadBundle { .. }
            | SyncError::SomeRefused { .. }
            | SyncError::Conflicts(_) => Fault::BadData,
            SyncError::Missing { .. } => Fault::Missing,
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

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// What `push` did.
#[derive(Debug, Clone, Default)]
pub struct PushReport {
    /// Receipts in the folder that were for this database's bundles.
    pub receipts_applied: u64,
    /// Events those receipts acknowledged for the first time.
    pub newly_acknowledged: u64,
    /// The bundle written, if anything was pending.
    pub written: Option<(PathBuf, Manifest)>,
    pub pending_events: u64,
    pub pending_encounters: u64,
}

/// `sync push --to DIR`.
pub fn push(store: &mut Store, dir: &Path) -> Result<PushReport, SyncError> {
    let meta = fs::metadata(dir).map_err(|e| SyncError::io("open the folder", dir, e))?;
    if !meta.is_dir() {
        return Err(SyncError::NotAFolder {
            path: dir.to_path_buf(),
        });
    }
    let mut report = PushReport::default();
    for path in files_with_extension(dir, receipt::EXTENSION)? {
        // An unreadable or damaged receipt is ignored: its events simply stay pending.
        let Ok(bytes) = fs::read(&path) else { continue };
        let Some(r) = Receipt::decode(&bytes) else {
            continue;
        };
        if let Some(n) = store.sync_apply_receipt(&r)? {
            report.receipts_applied += 1;
            report.newly_acknowledged += n;
        }
    }
    let out = store.sync_outgoing()?;
    report.pending_events = out.pending_events;
    report.pending_encounters = out.pending_encounters;
    if out.pending_events == 0 {
        return Ok(report);
    }
    let created = now();
    let (manifest, hash, bytes) = bundle::encode(
        store.device_id(),
        out.bundle_seq,
        &created,
        out.local_seq,
        &out.events,
    );
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
    report.written = Some((path, manifest));
    Ok(report)
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

/// Reads and verifies one bundle whole.
pub fn read_bundle(path: &Path) -> Result<Bundle, SyncError> {
    let bytes = fs::read(path).map_err(|e| SyncError::io("read", path, e))?;
    bundle::decode(path, &bytes).map_err(|r| SyncError::BadBundle {
        path: path.to_path_buf(),
        reason: r.0,
    })
}

/// Merges a verified bundle and builds its receipt (not yet written).
pub fn import_bundle(
    store: &mut Store,
    b: &Bundle,
    progress: &mut dyn FnMut(u64),
) -> Result<(ImportOutcome, Receipt), SyncError> {
    let file = b
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let outcome = store.sync_import(&b.hash, &b.manifest.device_id, &file, &b.events, progress)?;
    let mut not_accepted = Vec::new();
    for (kind, list) in [("held", &outcome.held), ("refused", &outcome.refused)] {
        for u in list {
            not_accepted.push(receipt::NotAccepted {
                event_id: u.event_id.clone(),
                outcome: kind.to_string(),
                reason: u.reason.clone(),
            });
        }
    }
    let r = Receipt {
        format: receipt::FORMAT.into(),
        version: receipt::VERSION,
        bundle_sha256: b.hash.clone(),
        bundle_device_id: b.manifest.device_id.clone(),
        bundle_file: file,
        receiver_device_id: store.device_id().to_string(),
        received_at: now(),
        events_in_bundle: b.events.len() as u64,
        accepted: outcome.accepted,
        already_present: outcome.already_present,
        not_accepted,
    };
    Ok((outcome, r))
}

/// Writes the receipt beside the bundle. An existing receipt from this receiver for this
/// bundle is replaced only if the new one acknowledges more (a later import may have let
/// held events join), so re-importing a folder does not churn files.
pub fn write_receipt(b: &Bundle, r: &Receipt) -> Result<Option<PathBuf>, SyncError> {
    let dir = b
        .path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = r.file_name();
    if let Ok(old) = fs::read(dir.join(&name))
        && let Some(old) = Receipt::decode(&old)
        && old.bundle_sha256 == r.bundle_sha256
        && old.acknowledged() >= r.acknowledged()
    {
        return Ok(None);
    }
    let path = dir.join(&name);
    crate::atomic::write_replace(&path, &r.encode())
        .map(|()| Some(path))
        .map_err(|e| SyncError::io("write a receipt into", dir, e))
}

/// What happened to one bundle during `import_paths`.
#[derive(Debug)]
pub enum Step<'a> {
    /// Called repeatedly while a bundle's events are merged: (events of this bundle
    /// handled, events in this bundle, bundle index, bundles).
    Progress(u64, u64, usize, usize),
    Imported {
        bundle: &'a Bundle,
        outcome: &'a ImportOutcome,
        receipt: Result<Option<PathBuf>, SyncError>,
    },
    Refused(&'a SyncError),
}

/// `sync import PATH...`: every bundle verified whole, merged, receipted. A bundle that
/// cannot be read or verified is reported through `observe` and skipped. Errors of the
/// database itself (busy, disk full) stop the import: later bundles would meet the same.
pub fn import_paths(
    store: &mut Store,
    paths: &[PathBuf],
    observe: &mut dyn FnMut(Step),
) -> Result<ImportSummary, SyncError> {
    let files = bundle_paths(paths)?;
    let mut summary = ImportSummary {
        bundles: files.len(),
        ..ImportSummary::default()
    };
    let total = files.len();
    for (i, path) in files.iter().enumerate() {
        let b = match read_bundle(path) {
            Ok(b) => b,
            Err(e) => {
                observe(Step::Refused(&e));
                summary.refused_bundles += 1;
                continue;
            }
        };
        let n = b.events.len() as u64;
        let (outcome, r) = import_bundle(store, &b, &mut |done| {
            observe(Step::Progress(done, n, i, total));
        })?;
        let receipt = write_receipt(&b, &r);
        summary.accepted += outcome.accepted;
        summary.already_present += outcome.already_present;
        summary.released += outcome.released;
        summary.held += outcome.held.len() as u64;
        summary.refused_events += outcome.refused.len() as u64;
        summary.receipt_failures += u64::from(receipt.is_err());
        observe(Step::Imported {
            bundle: &b,
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
