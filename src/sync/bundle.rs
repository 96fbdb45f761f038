//! The bundle file: how events leave one database and arrive in another.
//!
//! Format (JSON Lines, UTF-8):
//! - line 1: the manifest, `{"format":"msht-bundle","version":2,"device_id":…,
//!   "for_hub":…,"bundle_seq":…,"created_at":…,"event_count":…,"encounter_count":…,
//!   "local_seq_first":…,"local_seq_last":…,"content_sha256":…,"bundle_sha256":…}`
//!   (`device_id` is the database that wrote it, `for_hub` the hub it syncs with, absent
//!   until it knows one; version 1 bundles, without `for_hub`, are still read);
//! - then one `record::Event` per line, exactly as stored, hashes included;
//! - then (version 3) `scene_event_count` lines, one `record::SceneEvent` each: the
//!   scenes the bundle's people were met at, each scene's whole chain (a separate
//!   section, so a version 2 reader's view of the events is unchanged).
//!
//! `content_sha256` is SHA-256 over every byte after the manifest line's newline, so a
//! flipped byte, a missing or extra line, or a cut-off end is caught before any event is
//! read. `bundle_sha256` is SHA-256 over the manifest itself serialised without that
//! field, so an edited manifest (a different device id, a smaller count) is caught too;
//! it is also the bundle's identity in receipts.
//!
//! Why JSON Lines rather than one JSON document: a bundle can hold hundreds of thousands
//! of events, and one line per event can be hashed and parsed as a stream with a progress
//! bar; a cut-off file loses whole lines, which the count names plainly; the manifest on
//! line 1 lets a foreign file be recognised from its first bytes; and an analyst can read
//! one with `head`, `grep` or `jq` without msht. SHA-256 protects against accidents and
//! careless edits; it is not a signature, and someone who rewrites a bundle *and*
//! recomputes every hash is not stopped here (the per-encounter hash chains still have to
//! join the hub's copy).

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::record::{Event, SceneEvent};

pub const FORMAT: &str = "msht-bundle";
/// 3: scene events after the encounter events (issue 14). Versions 1 and 2 are read.
pub const VERSION: u32 = 3;
/// File name ending of bundles; `import DIR` reads only these.
pub const EXTENSION: &str = "mshtbundle";

/// What a bundle says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// The database that wrote the bundle (receipts go back to it).
    pub device_id: String,
    /// The hub the writing database syncs with, once it knows one: the database whose
    /// receipt it will accept for this bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_hub: Option<String>,
    /// 1 for the first push from that database, then 2, 3, …
    pub bundle_seq: u64,
    pub created_at: String,
    pub event_count: u64,
    pub encounter_count: u64,
    /// The range of the writing database's own event numbers (its insertion order) that
    /// the bundle carries, so a reader can see which part of that history it is.
    pub local_seq_first: u64,
    pub local_seq_last: u64,
    pub content_sha256: String,
    /// Lines of scene events after the encounter events (version 3; absent when none,
    /// so an older manifest re-serialises to the bytes it was hashed as).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub scene_event_count: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The manifest line as written: the manifest and the hash over it. A signature over the
/// same bytes will sit beside `bundle_sha256`.
#[derive(Serialize, Deserialize)]
struct ManifestLine {
    #[serde(flatten)]
    manifest: Manifest,
    bundle_sha256: String,
}

/// A bundle that has been read and checked whole.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub path: PathBuf,
    pub manifest: Manifest,
    /// `bundle_sha256`: the bundle's identity.
    pub hash: String,
    /// In file order, which is by encounter and then seq.
    pub events: Vec<Event>,
    /// Whole scene chains, by scene and then seq (empty before version 3).
    pub scene_events: Vec<SceneEvent>,
}

/// What a bundle says about itself, once opened: enough to import it and answer it with
/// a receipt, without holding its events.
#[derive(Debug, Clone)]
pub struct Head {
    pub path: PathBuf,
    pub manifest: Manifest,
    /// `bundle_sha256`: the bundle's identity.
    pub hash: String,
}

impl Bundle {
    pub fn head(&self) -> Head {
        Head {
            path: self.path.clone(),
            manifest: self.manifest.clone(),
            hash: self.hash.clone(),
        }
    }
}

/// Why a bundle could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a bundle could not be encoded ({0}); this is a bug, please report it")]
pub struct EncodeError(pub String);

/// Why a file was refused; the caller puts the file name in front.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

fn refuse(s: impl Into<String>) -> Refusal {
    Refusal(s.into())
}

fn manifest_hash(m: &Manifest) -> Result<String, EncodeError> {
    let bytes = serde_json::to_vec(m).map_err(|e| EncodeError(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

/// Who writes a bundle and for which hub, and which push of theirs it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer<'a> {
    pub device_id: &'a str,
    pub for_hub: Option<&'a str>,
    pub bundle_seq: u64,
    pub created_at: &'a str,
    /// This database's own event numbers of the events carried, first and last.
    pub local_seq: (u64, u64),
}

/// The bytes of a bundle for `events`, with its manifest and hash. `events` are written in
/// the order given; the store hands them over by encounter and seq.
pub fn encode(w: &Writer, events: &[Event]) -> Result<(Manifest, String, Vec<u8>), EncodeError> {
    encode_with_scenes(w, events, &[])
}

/// `encode`, with whole scene chains in their own section after the events.
pub fn encode_with_scenes(
    w: &Writer,
    events: &[Event],
    scene_events: &[SceneEvent],
) -> Result<(Manifest, String, Vec<u8>), EncodeError> {
    let mut content = Vec::with_capacity(events.len() * 600);
    for e in events {
        serde_json::to_writer(&mut content, e).map_err(|e| EncodeError(e.to_string()))?;
        content.push(b'\n');
    }
    for e in scene_events {
        serde_json::to_writer(&mut content, e).map_err(|e| EncodeError(e.to_string()))?;
        content.push(b'\n');
    }
    let encounters: std::collections::HashSet<&str> =
        events.iter().map(|e| e.encounter_id.as_str()).collect();
    let manifest = Manifest {
        format: FORMAT.to_string(),
        version: VERSION,
        device_id: w.device_id.to_string(),
        for_hub: w.for_hub.map(str::to_string),
        bundle_seq: w.bundle_seq,
        created_at: w.created_at.to_string(),
        event_count: events.len() as u64,
        encounter_count: encounters.len() as u64,
        local_seq_first: w.local_seq.0,
        local_seq_last: w.local_seq.1,
        content_sha256: hex::encode(Sha256::digest(&content)),
        scene_event_count: scene_events.len() as u64,
    };
    let hash = manifest_hash(&manifest)?;
    let line = ManifestLine {
        manifest: manifest.clone(),
        bundle_sha256: hash.clone(),
    };
    let mut bytes = serde_json::to_vec(&line).map_err(|e| EncodeError(e.to_string()))?;
    bytes.push(b'\n');
    bytes.extend_from_slice(&content);
    Ok((manifest, hash, bytes))
}

/// The file name a bundle is written under: device, push number and a hash prefix, so
/// two bundles never share a name even if a database is restored from a backup.
pub fn file_name(m: &Manifest, hash: &str) -> String {
    format!(
        "msht-{}-{:06}-{}.{EXTENSION}",
        m.device_id,
        m.bundle_seq,
        &hash[..hash.len().min(12)]
    )
}

/// Checks `bytes` (the whole file) and returns the bundle, or one reason it is refused.
/// Nothing is accepted from a file that fails any check. The same checks as [`Reader`],
/// which the import uses to read a bundle of any size one encounter at a time.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<Bundle, Refusal> {
    let mut r = Reader::open(bytes)?;
    let mut events = Vec::new();
    while let Some(run) = r.next_run()? {
        events.extend(run);
    }
    let (manifest, hash) = (r.manifest.clone(), r.hash.clone());
    let (_, scene_events) = r.finish()?;
    Ok(Bundle {
        path: path.to_path_buf(),
        hash,
        manifest,
        events,
        scene_events,
    })
}

/// `{`, the first byte of a manifest (a JSON object); named so no brace sits unpaired.
const OPEN_BRACE: u8 = 0x7B;
/// The longest manifest line read.
const MAX_MANIFEST: u64 = 64 * 1024;
/// The longest event line read: far more than any event msht writes (free text is
/// capped at 10,000 characters), so one line never has to be held whole beyond this.
const MAX_EVENT_LINE: u64 = 16 * 1024 * 1024;

/// Reads a bundle one encounter's run of events at a time, checking as it goes, so the
/// import holds one run and never the file. Problems found on the way are kept and named
/// by [`Reader::finish`] in the order whole-file checks would name them (a cut-off file,
/// then a changed one, then a bad event, a repeated event, a broken chain, a wrong count),
/// so a file gets the same one reason however it is read. Runs already handed out are
/// the caller's to roll back when `finish` refuses the file. The scene section (version
/// 3) comes after the events and is small (whole scene chains): `finish` reads it whole.
pub struct Reader<R> {
    inner: R,
    pub manifest: Manifest,
    /// `bundle_sha256`: the bundle's identity.
    pub hash: String,
    content: Sha256,
    lines: u64,
    cut_off: bool,
    /// The first event of the next run, read ahead.
    next: Option<Event>,
    /// The first 16 bytes of SHA-256 of every event id seen, to catch an event twice.
    ids: HashSet<[u8; 16]>,
    encounters: HashSet<String>,
    bad_event: Option<Refusal>,
    twice: Option<Refusal>,
    broken: Option<Refusal>,
}

fn io_refusal(e: std::io::Error) -> Refusal {
    refuse(e.to_string())
}

impl<R: BufRead> Reader<R> {
    /// Reads and checks the manifest line (format, version, its own hash).
    pub fn open(mut inner: R) -> Result<Self, Refusal> {
        let mut head = Vec::new();
        inner
            .by_ref()
            .take(MAX_MANIFEST)
            .read_until(b'\n', &mut head)
            .map_err(io_refusal)?;
        if head.pop() != Some(b'\n') {
            return Err(if head.is_empty() {
                refuse("the file is empty")
            } else if head.first() == Some(&OPEN_BRACE) {
                refuse("the file is cut off inside its manifest (truncated)")
            } else {
                refuse("it is not an msht bundle")
            });
        }
        let line = read_manifest(&head)?;
        Ok(Reader {
            inner,
            manifest: line.manifest,
            hash: line.bundle_sha256,
            content: Sha256::new(),
            lines: 0,
            cut_off: false,
            next: None,
            ids: HashSet::new(),
            encounters: HashSet::new(),
            bad_event: None,
            twice: None,
            broken: None,
        })
    }

    fn failed(&self) -> bool {
        self.bad_event.is_some() || self.twice.is_some() || self.broken.is_some()
    }

    /// The next line, hashed; `None` at the end of the file.
    fn line(&mut self) -> Result<Option<Vec<u8>>, Refusal> {
        let mut buf = Vec::new();
        let n = self
            .inner
            .by_ref()
            .take(MAX_EVENT_LINE)
            .read_until(b'\n', &mut buf)
            .map_err(io_refusal)?;
        if n == 0 {
            return Ok(None);
        }
        self.content.update(&buf);
        if buf.last() == Some(&b'\n') {
            buf.pop();
            self.lines += 1;
        } else if n as u64 == MAX_EVENT_LINE {
            return Err(refuse(format!(
                "event line {} is longer than any event msht writes",
                self.lines + 2
            )));
        } else {
            self.cut_off = true;
        }
        Ok(Some(buf))
    }

    /// The next event that reads and matches its own hash; one that does not is kept as
    /// the file's problem. `None` at the end of the events section.
    fn event(&mut self) -> Result<Option<Event>, Refusal> {
        while self.lines < self.manifest.event_count
            && let Some(raw) = self.line()?
        {
            if raw.is_empty() || self.cut_off {
                continue;
            }
            let at = self.lines + 1;
            let e: Event = match serde_json::from_slice(&raw) {
                Ok(e) => e,
                Err(err) => {
                    let r = refuse(format!("event line {at} cannot be read ({err})"));
                    self.bad_event.get_or_insert(r);
                    continue;
                }
            };
            let bad = match e.hash_ok() {
                Ok(true) => None,
                Ok(false) => Some(refuse(format!(
                    "event {} of encounter {} does not match its own hash",
                    e.id, e.encounter_id
                ))),
                Err(err) => Some(refuse(err.to_string())),
            };
            if let Some(r) = bad {
                self.bad_event.get_or_insert(r);
                continue;
            }
            let mut key = [0u8; 16];
            key.copy_from_slice(&Sha256::digest(e.id.as_bytes())[..16]);
            if !self.ids.insert(key) {
                let r = refuse(format!("it holds event {} twice", e.id));
                self.twice.get_or_insert(r);
            }
            return Ok(Some(e));
        }
        Ok(None)
    }

    /// The next encounter's events, in order and checked as one unbroken run of its
    /// chain; `None` at the end, or as soon as the file has a problem (`finish` names it).
    pub fn next_run(&mut self) -> Result<Option<Vec<Event>>, Refusal> {
        if self.failed() {
            return Ok(None);
        }
        let first = match self.next.take() {
            Some(e) => e,
            None => match self.event()? {
                Some(e) => e,
                None => return Ok(None),
            },
        };
        let enc = first.encounter_id.clone();
        let mut run = vec![first];
        loop {
            match self.event()? {
                Some(e) if e.encounter_id == enc => run.push(e),
                Some(e) => {
                    self.next = Some(e);
                    break;
                }
                None => break,
            }
        }
        if !self.encounters.insert(enc.clone()) {
            self.broken = Some(refuse(format!(
                "the events of encounter {enc} are not together in the file (it was rearranged)"
            )));
        } else if let Err(r) = check_run(&enc, &run) {
            self.broken = Some(r);
        }
        Ok((!self.failed()).then_some(run))
    }

    /// Reads what is left (the events not asked for, still checked, and the scene
    /// section) and gives the verdict on the whole file; returns the reader, at the end
    /// of the bundle, and the bundle's scene events.
    pub fn finish(mut self) -> Result<(R, Vec<SceneEvent>), Refusal> {
        while self.next_run()?.is_some() {}
        let expected = self
            .manifest
            .event_count
            .saturating_add(self.manifest.scene_event_count);
        let mut scene_lines = Vec::new();
        while let Some(raw) = self.line()? {
            if self.lines > self.manifest.event_count && self.lines <= expected && !self.cut_off {
                scene_lines.extend_from_slice(&raw);
                scene_lines.push(b'\n');
            }
        }
        let m = &self.manifest;
        if self.cut_off || self.lines < expected {
            return Err(refuse(format!(
                "the file is incomplete (truncated or events removed): its manifest lists {} events but {} complete ones are present",
                expected, self.lines
            )));
        }
        if hex::encode(self.content.finalize_reset()) != m.content_sha256 {
            return Err(refuse(if self.lines > expected {
                format!(
                    "it holds {} events but its manifest lists {expected}; it was changed after it was written",
                    self.lines
                )
            } else {
                "its content was changed after it was written (SHA-256 does not match the manifest)"
                    .to_string()
            }));
        }
        if let Some(r) = self.bad_event.or(self.twice).or(self.broken) {
            return Err(r);
        }
        let scene_events = read_scene_events(&scene_lines)?;
        let encounters = self.encounters.len() as u64 + u64::from(self.next.is_some());
        if encounters != m.encounter_count {
            return Err(refuse(format!(
                "it holds {encounters} encounters but its manifest lists {}",
                m.encounter_count
            )));
        }
        Ok((self.inner, scene_events))
    }
}

/// Scene events: each matching its own hash, each scene's chain whole from its start.
fn read_scene_events(content: &[u8]) -> Result<Vec<SceneEvent>, Refusal> {
    let mut out: Vec<SceneEvent> = Vec::new();
    for raw in content.split(|&b| b == b'\n').filter(|r| !r.is_empty()) {
        let e: SceneEvent = serde_json::from_slice(raw)
            .map_err(|err| refuse(format!("a scene event cannot be read ({err})")))?;
        if e.compute_hash().ok().as_ref() != Some(&e.hash) {
            return Err(refuse(format!(
                "event {} of scene {} does not match its own hash",
                e.id, e.scene_id
            )));
        }
        out.push(e);
    }
    let mut by_scene: BTreeMap<&str, Vec<SceneEvent>> = BTreeMap::new();
    for e in &out {
        by_scene.entry(&e.scene_id).or_default().push(e.clone());
    }
    for (scene, chain) in by_scene {
        crate::record::SceneState::verify(&chain).map_err(|b| {
            refuse(format!(
                "the events of scene {scene} do not form a whole chain ({b})"
            ))
        })?;
    }
    Ok(out)
}

/// The manifest line, checked: format, version, its own hash.
fn read_manifest(head: &[u8]) -> Result<ManifestLine, Refusal> {
    let value: serde_json::Value =
        serde_json::from_slice(head).map_err(|_| refuse("it is not an msht bundle"))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(refuse("it is not an msht bundle"));
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if (1..=u64::from(VERSION)).contains(&v) => {}
        Some(v) if v > u64::from(VERSION) => {
            return Err(refuse(format!(
                "it was written by a newer msht (bundle format {v}, this msht reads {VERSION}); update msht to import it"
            )));
        }
        _ => return Err(refuse("its manifest has no valid format version")),
    }
    let line: ManifestLine = serde_json::from_value(value)
        .map_err(|e| refuse(format!("its manifest cannot be read ({e})")))?;
    if manifest_hash(&line.manifest).ok().as_ref() != Some(&line.bundle_sha256) {
        return Err(refuse(
            "its manifest was changed after it was written (the manifest hash does not match)",
        ));
    }
    Ok(line)
}

/// One encounter's events must be one unbroken run of its chain: consecutive seqs, each
/// linked to the one before. A run need not start at seq 1 (the earlier events may travel
/// in another bundle); joining it to those is the importer's job. An event removed from
/// the middle is caught here even if the hashes were redone.
fn check_run(enc: &str, run: &[Event]) -> Result<(), Refusal> {
    for pair in run.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if b.seq != a.seq + 1 || b.prev_hash != a.hash {
            return Err(refuse(format!(
                "the events of encounter {enc} do not form an unbroken chain after event {} (an event is missing or was changed)",
                a.seq
            )));
        }
    }
    if let Some(first) = run.first()
        && first.seq == 1
        && first.prev_hash != crate::record::GENESIS_HASH
    {
        return Err(refuse(format!(
            "the first event of encounter {enc} does not start a chain"
        )));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::record::{EventBody, GENESIS_HASH};

    /// A valid chain of `n` events for one encounter, for tests anywhere in the crate.
    pub(crate) fn chain(encounter: &str, device: &str, n: u32) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for seq in 1..=n {
            let prev = out
                .last()
                .map_or(GENESIS_HASH.to_string(), |e| e.hash.clone());
            let body = if seq == 1 {
                EventBody::Created {
                    officer: "PC 1".into(),
                    location: "Dock 4".into(),
                    checklist: "general".into(),
                    checklist_title: "General".into(),
                    guidance_version: "1".into(),
                    guidance_hash: "x".into(),
                }
            } else {
                EventBody::NoteAdded {
                    text: format!("note {seq}"),
                }
            };
            out.push(
                Event::new(
                    format!("{encounter}-e{seq}"),
                    encounter.into(),
                    seq,
                    format!("2026-01-01T00:00:{:02}.000Z", seq % 60),
                    "+00:00".into(),
                    device.into(),
                    prev,
                    body,
                )
                .unwrap(),
            );
        }
        out
    }

    /// The bytes of a bundle of `events` written by `device`.
    pub(crate) fn bytes(device: &str, events: &[Event]) -> Vec<u8> {
        let w = Writer {
            device_id: device,
            for_hub: None,
            bundle_seq: 1,
            created_at: "2026-01-01T00:00:00.000Z",
            local_seq: (1, events.len() as u64),
        };
        encode(&w, events).unwrap().2
    }

    fn sample() -> Vec<u8> {
        let mut ev = chain("enc-a", "dev-1", 3);
        ev.extend(chain("enc-b", "dev-1", 2));
        bytes("dev-1", &ev)
    }

    fn why(bytes: &[u8]) -> String {
        decode(Path::new("b"), bytes).unwrap_err().0
    }

    #[test]
    fn round_trip() {
        let b = decode(Path::new("b"), &sample()).unwrap();
        assert_eq!(b.events.len(), 5);
        assert_eq!(b.manifest.encounter_count, 2);
        assert_eq!(b.hash.len(), 64);
    }

    #[test]
    fn flipped_byte_is_refused() {
        let mut b = sample();
        let i = b.len() - 20;
        b[i] ^= 0x01;
        assert!(
            why(&b).contains("changed after it was written"),
            "{}",
            why(&b)
        );
    }

    #[test]
    fn truncated_is_refused() {
        let b = sample();
        for cut in [b.len() - 1, b.len() - 200, 10] {
            let w = why(&b[..cut]);
            assert!(w.contains("truncated"), "{w}");
        }
    }

    #[test]
    fn removed_event_is_refused() {
        let b = String::from_utf8(sample()).unwrap();
        let mut lines: Vec<&str> = b.lines().collect();
        lines.remove(2);
        let edited = lines.join("\n") + "\n";
        assert!(why(edited.as_bytes()).contains("events removed"));
    }

    #[test]
    fn removed_event_with_hashes_redone_is_refused() {
        let mut ev = chain("enc-a", "dev-1", 4);
        ev.remove(1);
        let bytes = bytes("dev-1", &ev);
        assert!(why(&bytes).contains("unbroken chain"));
    }

    #[test]
    fn edited_manifest_is_refused() {
        let b = String::from_utf8(sample()).unwrap();
        let edited = b.replacen("\"device_id\":\"dev-1\"", "\"device_id\":\"dev-2\"", 1);
        assert!(why(edited.as_bytes()).contains("manifest was changed"));
        let edited = b.replacen("\"event_count\":5", "\"event_count\":4", 1);
        assert!(why(edited.as_bytes()).contains("manifest was changed"));
    }

    #[test]
    fn foreign_and_newer_files_are_refused() {
        assert!(why(b"hello world\n").contains("not an msht bundle"));
        assert!(why(b"{\"a\":1}\n").contains("not an msht bundle"));
        assert!(why(&[0xff, 0x00, 0x10]).contains("not an msht bundle"));
        assert!(why(b"").contains("empty"));
        let newer = b"{\"format\":\"msht-bundle\",\"version\":9}\n";
        let old = String::from_utf8(sample()).unwrap();
        let (m, rest) = old.split_once('\n').unwrap();
        let mut v: serde_json::Value = serde_json::from_str(m).unwrap();
        assert_eq!(v["version"], VERSION);
        assert!(v.get("for_hub").is_none(), "no hub known, none written");
        assert!(
            v.get("scene_event_count").is_none(),
            "no scenes, none written"
        );
        // A version 1 bundle (no for_hub) is still read.
        v["version"] = 1.into();
        let mut man: Manifest = serde_json::from_value(v.clone()).unwrap();
        man.version = 1;
        v["bundle_sha256"] = manifest_hash(&man).unwrap().into();
        let v1 = format!("{v}\n{rest}");
        assert!(decode(Path::new("b"), v1.as_bytes()).is_ok());
        assert!(why(newer).contains("newer msht"));
    }

    #[test]
    fn scene_chains_travel_in_their_own_section_and_a_broken_one_is_refused() {
        use crate::record::{SceneBody, SceneEvent};
        let mut scene: Vec<SceneEvent> = Vec::new();
        for (i, body) in [
            SceneBody::Opened {
                officer: "PC 1".into(),
                location: "car wash".into(),
                description: String::new(),
            },
            SceneBody::Closed {
                reason: String::new(),
            },
        ]
        .into_iter()
        .enumerate()
        {
            let prev = scene.last().map_or(GENESIS_HASH.into(), |e| e.hash.clone());
            let e = SceneEvent::new(
                format!("s-e{i}"),
                "s".into(),
                i as u32 + 1,
                "2026-01-01T00:00:00.000Z".into(),
                "+00:00".into(),
                "dev-1".into(),
                prev,
                body,
            );
            scene.push(e.unwrap());
        }
        let events = chain("enc-a", "dev-1", 2);
        let w = Writer {
            device_id: "dev-1",
            for_hub: None,
            bundle_seq: 1,
            created_at: "2026-01-01T00:00:00.000Z",
            local_seq: (1, 2),
        };
        let (m, _, bytes) = encode_with_scenes(&w, &events, &scene).unwrap();
        assert_eq!(m.scene_event_count, 2);
        let b = decode(Path::new("b"), &bytes).unwrap();
        assert_eq!(b.events, events);
        assert_eq!(b.scene_events, scene);
        // Only the scene's close: its chain is not whole, so the bundle is refused.
        let (_, _, bytes) = encode_with_scenes(&w, &events, &scene[1..]).unwrap();
        assert!(why(&bytes).contains("scene s"), "{}", why(&bytes));
    }

    #[test]
    fn event_edited_with_content_hash_redone_is_refused() {
        let mut ev = chain("enc-a", "dev-1", 2);
        ev[1].body = EventBody::NoteAdded {
            text: "changed".into(),
        };
        let bytes = bytes("dev-1", &ev);
        assert!(why(&bytes).contains("does not match its own hash"));
    }
}
