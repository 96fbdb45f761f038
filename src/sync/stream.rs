//! Reading a bundle from the share into the store a run at a time: a version 2 envelope
//! is opened, checked and merged one frame and one encounter at a time, so importing a
//! bundle needs memory for one encounter's events, not for the file (a 197 MB bundle
//! took 510 MB when it was read whole). A version 1 envelope is still read whole.
//!
//! The checks are the same as for a whole file, but some can only end at the end of the
//! file (the content hash, the signature over the bundle's SHA-256): the merge is one
//! transaction, and it is rolled back if any of them fails, so nothing of a refused
//! bundle is kept. Each encounter's content is checked (`validate.rs`) as it arrives,
//! against this database's copy read in the same transaction: a refusal undoes the
//! transaction too (named only once the file itself has passed every check, as a whole
//! import names it), a hold for review sets that encounter aside. The scene section,
//! after the events, is merged in the same transaction.

use std::fs::{self, File};
use std::io::BufReader;
use std::path::Path;

use super::SyncError;
use super::bundle::{Bundle, Head, Reader, Refusal};
use super::frames::Frames;
use super::keys::HubIdentity;
use super::seal::{self, Envelope, Hashing, Signed};
use super::validate;
use crate::guidance::Guidance;
use crate::record::{Event, SceneEvent};
use crate::store::{ImportOutcome, RunSource, Store, TrustedDevice};

type BodyReader = Reader<BufReader<Hashing<Frames<BufReader<File>>>>>;

/// A bundle opened and its signer trusted: read whole (version 1), or ready to stream.
pub enum Opened<'h> {
    Whole(Bundle),
    Streamed(Head, Box<Streamed<'h>>),
}

impl Opened<'_> {
    pub fn head(&self) -> Head {
        match self {
            Opened::Whole(b) => b.head(),
            Opened::Streamed(h, _) => h.clone(),
        }
    }
}

fn refused(path: &Path, r: Refusal) -> SyncError {
    SyncError::BadBundle {
        path: path.to_path_buf(),
        reason: r.0,
    }
}

/// The device that signed, if this hub trusts it and has not revoked it.
pub fn trusted(store: &Store, signer: &[u8], fingerprint: &str) -> Result<TrustedDevice, String> {
    match store.sync_trusted_key(signer).map_err(|e| e.to_string())? {
        None => Err(format!(
            "it is signed by a device this hub does not trust (key {fingerprint})"
        )),
        Some(d) => match &d.revoked_at {
            Some(at) => Err(format!(
                "it is signed by {} ({}), whose key was revoked at {at}",
                d.name, d.fingerprint
            )),
            None => Ok(d),
        },
    }
}

/// Opens the bundle at `path` with this hub's key and checks who signed it and what its
/// manifest says. Every error is a reason to refuse this file.
pub fn open<'h>(
    store: &Store,
    hub: &'h HubIdentity,
    guidance: Option<&'h Guidance>,
    path: &'h Path,
) -> Result<Opened<'h>, SyncError> {
    // A pipe or device named like a bundle would be read for ever (a share anyone can
    // write to could stall the hub): only regular files are bundles.
    let meta = fs::metadata(path).map_err(|e| SyncError::io("read", path, e))?;
    if !meta.is_file() {
        return Err(refused(path, Refusal("it is not a regular file".into())));
    }
    let file = File::open(path).map_err(|e| SyncError::io("read", path, e))?;
    match seal::open_stream(hub, BufReader::new(file)).map_err(|r| refused(path, r))? {
        Envelope::V1(opened) => super::check_whole(store, path, opened).map(Opened::Whole),
        Envelope::V2(signed, body) => {
            let (device, reader) = start(store, path, &signed, body)?;
            let head = Head {
                path: path.to_path_buf(),
                manifest: reader.manifest.clone(),
                hash: reader.hash.clone(),
            };
            let s = Streamed {
                hub,
                guidance,
                path,
                hash: head.hash.clone(),
                device,
                state: Some((signed, reader)),
                fresh: true,
                refusal: None,
            };
            Ok(Opened::Streamed(head, Box::new(s)))
        }
    }
}

/// The signer trusted, and the bundle's manifest read and matching the signer.
fn start(
    store: &Store,
    path: &Path,
    signed: &Signed,
    body: Hashing<Frames<BufReader<File>>>,
) -> Result<(TrustedDevice, BodyReader), SyncError> {
    let device = trusted(store, signed.signer.as_bytes(), &signed.signer_fingerprint)
        .map_err(|r| refused(path, Refusal(r)))?;
    let reader = Reader::open(BufReader::new(body)).map_err(|r| refused(path, r))?;
    if reader.manifest.device_id != device.device_id {
        return Err(refused(
            path,
            Refusal(format!(
                "it says it was written by {} but is signed by {} ({})",
                reader.manifest.device_id, device.name, device.device_id
            )),
        ));
    }
    Ok((device, reader))
}

/// A version 2 bundle being merged: its runs of events, read from the file as the store
/// asks for them. A refusal is kept so the caller can tell the file's fault from the
/// database's.
pub struct Streamed<'h> {
    hub: &'h HubIdentity,
    /// What content is checked against; `None` reads the bundle without judging it.
    guidance: Option<&'h Guidance>,
    path: &'h Path,
    hash: String,
    device: TrustedDevice,
    state: Option<(Signed, BodyReader)>,
    /// The state is as `open` left it, with no run read yet.
    fresh: bool,
    pub refusal: Option<SyncError>,
}

impl Streamed<'_> {
    fn fail(&mut self, e: SyncError) -> String {
        let s = e.to_string();
        self.refusal = Some(e);
        s
    }

    /// The file's own checks on all that is left of it (the events not read yet, the
    /// content hash, the signature), as at the end of an import.
    fn check_rest(&mut self) -> Result<Vec<SceneEvent>, String> {
        let Some((signed, reader)) = self.state.take() else {
            return Ok(Vec::new());
        };
        let checked = reader.finish().and_then(|(body, scenes)| {
            signed.verify(body.get_ref())?;
            Ok(scenes)
        });
        checked.map_err(|r| self.fail(refused(self.path, r)))
    }
}

impl RunSource for Streamed<'_> {
    fn restart(&mut self) -> Result<(), String> {
        if std::mem::take(&mut self.fresh) && self.state.is_some() {
            return Ok(());
        }
        let reopened = File::open(self.path)
            .map_err(|e| SyncError::io("read", self.path, e))
            .and_then(|f| {
                seal::open_stream(self.hub, BufReader::new(f)).map_err(|r| refused(self.path, r))
            });
        let envelope = match reopened {
            Ok(e) => e,
            Err(e) => return Err(self.fail(e)),
        };
        let Envelope::V2(signed, body) = envelope else {
            let r = Refusal("it was replaced while it was being imported".into());
            return Err(self.fail(refused(self.path, r)));
        };
        let reader = Reader::open(BufReader::new(body)).map_err(|r| refused(self.path, r));
        match reader {
            Ok(r) if r.hash == self.hash && signed.signer.as_bytes() == &self.device.public[..] => {
                self.state = Some((signed, r));
                Ok(())
            }
            Ok(_) => {
                let r = Refusal("it was replaced while it was being imported".into());
                Err(self.fail(refused(self.path, r)))
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn next_run(&mut self) -> Result<Option<Vec<Event>>, String> {
        let Some((_, reader)) = self.state.as_mut() else {
            return Ok(None);
        };
        match reader.next_run() {
            Ok(run) => Ok(run),
            Err(r) => Err(self.fail(refused(self.path, r))),
        }
    }

    fn review(
        &mut self,
        run: &[Event],
        stored: &[Event],
        waiting: &[Event],
    ) -> Result<Option<String>, String> {
        let Some(g) = self.guidance else {
            return Ok(None);
        };
        match validate::check_run(run, stored, waiting, g) {
            Ok(held) => Ok(held),
            // The file's own faults come first, as when it is read whole: its content is
            // judged only once it is known to be the bundle its device signed.
            Err(validate::Refused(reason)) => {
                self.check_rest()?;
                let e = SyncError::BadBundle {
                    path: self.path.to_path_buf(),
                    reason,
                };
                Err(self.fail(e))
            }
        }
    }

    fn finish(&mut self) -> Result<Vec<SceneEvent>, String> {
        self.check_rest()
    }
}

/// Why a bundle was not merged: its own fault (reported, the next bundle is read) or
/// the database's (the import stops).
pub enum Failure {
    Refused(SyncError),
    Fatal(SyncError),
}

/// A bundle opened and merged: `Ok(Err)` is the file's refusal (reported, the next
/// bundle is read), `Err` the database's failure (the import stops). `progress` is
/// called with the events handled so far and the bundle's count.
pub fn open_and_merge(
    store: &mut Store,
    guidance: &Guidance,
    hub: &HubIdentity,
    path: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Result<(Head, ImportOutcome, u64), SyncError>, SyncError> {
    let opened = match open(store, hub, Some(guidance), path) {
        Ok(o) => o,
        Err(e) => return Ok(Err(e)),
    };
    let head = opened.head();
    let n = head.manifest.event_count;
    match merge(store, guidance, opened, &mut |done| progress(done, n)) {
        Ok((outcome, events)) => Ok(Ok((head, outcome, events))),
        Err(Failure::Refused(e)) => Ok(Err(e)),
        Err(Failure::Fatal(e)) => Err(e),
    }
}

/// Merges an opened bundle; returns what happened and how many events it held. A
/// version 1 envelope, read whole, is checked whole (`check_content`) and merged as
/// before.
fn merge(
    store: &mut Store,
    guidance: &Guidance,
    opened: Opened,
    progress: &mut dyn FnMut(u64),
) -> Result<(ImportOutcome, u64), Failure> {
    let head = opened.head();
    let file = head
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let device = &head.manifest.device_id;
    match opened {
        Opened::Whole(b) => {
            let review = super::check_content(store, guidance, &b).map_err(Failure::Refused)?;
            let fatal = |e: crate::store::StoreError| Failure::Fatal(e.into());
            let mut o = store
                .sync_import_reviewed(&b.hash, device, &file, &b.events, &review, progress)
                .map_err(fatal)?;
            o.scenes = store
                .sync_import_scenes(&b.hash, &b.scene_events)
                .map_err(fatal)?;
            Ok((o, b.events.len() as u64))
        }
        Opened::Streamed(_, mut s) => {
            let merged = store.sync_import_runs(&head.hash, device, &file, &mut *s, progress);
            match (merged, s.refusal.take()) {
                (Ok(o), _) => Ok((o, head.manifest.event_count)),
                (Err(_), Some(r)) => Err(Failure::Refused(r)),
                (Err(e), None) => Err(Failure::Fatal(e.into())),
            }
        }
    }
}
