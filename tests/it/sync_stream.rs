//! Bundles read a frame and an encounter at a time (issue 18: a 197 MB bundle took
//! 510 MB to import). `sync push` writes sealed envelope version 2; a hub still imports
//! version 1; and since a version 2 bundle's last checks (content hash, signature) end
//! only at the end of the file, damage near the end must undo everything merged before
//! it. Peak memory itself is measured, not asserted (`benches/import_memory.rs`).

use std::fs;
use std::path::{Path, PathBuf};

use msht::record::EventBody;
use msht::sync::{keys, seal};

use crate::common::{created, enroll, files, open, push, run, run_ok};

/// A hub, one enrolled device and a share.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let share = t.path().join("share");
    fs::create_dir(&share).unwrap();
    let (dev, hub) = (t.path().join("dev.db"), t.path().join("hub.db"));
    enroll(&hub, &[&dev]);
    (t, share, dev, hub)
}

/// `n` encounters of eleven events, each with long notes: several frames of bundle.
fn record_many(dev: &Path, n: usize) {
    let mut s = open(dev);
    for i in 0..n {
        let notes = (0..10)
            .map(|j| EventBody::NoteAdded {
                text: format!("encounter {i} note {j}: {}", "words ".repeat(200)),
            })
            .collect();
        s.record_encounter(created(&format!("PC {i}")), notes)
            .unwrap();
    }
}

fn header(bundle: &Path) -> serde_json::Value {
    let bytes = fs::read(bundle).unwrap();
    let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
    serde_json::from_slice(&bytes[..nl]).unwrap()
}

#[test]
fn a_big_bundle_is_written_in_version_2_and_imported_whole() {
    let (_t, share, dev, hub) = setup();
    record_many(&dev, 12);
    push(&dev, &share);
    let bundle = files(&share, "mshtbundle").remove(0);
    assert_eq!(header(&bundle)["version"], 2);
    assert!(
        fs::metadata(&bundle).unwrap().len() > 2 * 64 * 1024,
        "several frames"
    );
    run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    assert_eq!(open(&hub).count().unwrap(), 12);
    assert_eq!(files(&share, "mshtreceipt").len(), 1);
}

#[test]
fn damage_near_the_end_of_a_version_2_bundle_keeps_nothing_of_it() {
    let (_t, share, dev, hub) = setup();
    record_many(&dev, 12);
    push(&dev, &share);
    let bundle = files(&share, "mshtbundle").remove(0);
    let mut bytes = fs::read(&bundle).unwrap();
    let near_end = bytes.len() - 30;
    bytes[near_end] ^= 1;
    fs::write(&bundle, &bytes).unwrap();
    let out = run(&hub, &["sync", "import", share.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.contains("changed or damaged"), "{err}");
    assert_eq!(
        open(&hub).count().unwrap(),
        0,
        "the encounters read before the damage were rolled back"
    );
    assert!(files(&share, "mshtreceipt").is_empty());
    // Cut off after a whole frame: the same.
    fs::write(&bundle, &bytes[..bytes.len() / 2]).unwrap();
    let out = run(&hub, &["sync", "import", share.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    assert_eq!(open(&hub).count().unwrap(), 0);
}

#[test]
fn a_version_1_bundle_is_still_imported() {
    let (_t, share, dev, hub) = setup();
    record_many(&dev, 2);
    push(&dev, &share);
    let bundle = files(&share, "mshtbundle").remove(0);
    let id = keys::hub_identity(&mut open(&hub)).unwrap().unwrap();
    let plain = seal::open(&id, &fs::read(&bundle).unwrap()).unwrap().bundle;
    let signer = keys::signing_key(&mut open(&dev)).unwrap();
    fs::write(&bundle, seal::seal_v1(&id.key, &signer, &plain).unwrap()).unwrap();
    assert_eq!(header(&bundle)["version"], 1);
    run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    assert_eq!(open(&hub).count().unwrap(), 2);
}

/// A version 2 bundle whose first encounter has content msht never writes, followed by
/// several frames of good encounters, sealed as `envelope` (2 or 1) into `share`.
fn refused_content_bundle(share: &Path, dev: &Path, hub: &Path, envelope: u32) -> PathBuf {
    use msht::record::{Event, GENESIS_HASH};
    let mut d = open(dev);
    let device = d.device_id().to_string();
    let bad = Event::new(
        uuid::Uuid::now_v7().to_string(),
        uuid::Uuid::now_v7().to_string(),
        1,
        "2026-12-02T10:00:00.000Z".into(),
        "+1:00".into(),
        device.clone(),
        GENESIS_HASH.into(),
        created("PC 0"),
    )
    .unwrap();
    let mut events = vec![bad];
    for i in 0..12 {
        let notes = (0..10)
            .map(|j| EventBody::NoteAdded {
                text: format!("encounter {i} note {j}: {}", "words ".repeat(200)),
            })
            .collect();
        events.extend(d.record_encounter(created("PC 1"), notes).unwrap());
    }
    let writer = msht::sync::bundle::Writer {
        device_id: &device,
        for_hub: None,
        bundle_seq: 1,
        created_at: "2026-12-02T10:00:00.000Z",
        local_seq: (1, events.len() as u64),
    };
    let (_, _, plain) = msht::sync::bundle::encode(&writer, &events).unwrap();
    let id = keys::hub_identity(&mut open(hub)).unwrap().unwrap();
    let signer = keys::signing_key(&mut d).unwrap();
    let sealed = if envelope == 1 {
        seal::seal_v1(&id.key, &signer, &plain).unwrap()
    } else {
        seal::seal(&id.key, &signer, &plain).unwrap()
    };
    let p = share.join("refused.mshtbundle");
    fs::write(&p, sealed).unwrap();
    p
}

#[test]
fn content_is_checked_as_it_streams_and_refused_in_the_words_of_a_whole_read() {
    let (_t, share, dev, hub) = setup();
    let mut said = Vec::new();
    for envelope in [2, 1] {
        let p = refused_content_bundle(&share, &dev, &hub, envelope);
        assert_eq!(header(&p)["version"], envelope);
        let out = run(&hub, &["sync", "import", p.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(65), "{err}");
        assert!(
            err.contains(
                "event 1 has the UTC offset '+1:00', which is not an offset as msht writes it"
            ),
            "{err}"
        );
        assert_eq!(open(&hub).count().unwrap(), 0, "nothing of it was written");
        assert!(files(&share, "mshtreceipt").is_empty());
        said.push(err.replace(|c: char| c.is_ascii_hexdigit() || c == '-', ""));
    }
    assert_eq!(
        said[0], said[1],
        "the same sentence, streamed or read whole"
    );
}

#[test]
fn a_streamed_bundle_is_judged_on_its_own_faults_before_its_content() {
    let (_t, share, dev, hub) = setup();
    let p = refused_content_bundle(&share, &dev, &hub, 2);
    let mut bytes = fs::read(&p).unwrap();
    assert!(bytes.len() > 3 * 64 * 1024, "several frames");
    let near_end = bytes.len() - 30;
    bytes[near_end] ^= 1;
    fs::write(&p, &bytes).unwrap();
    let out = run(&hub, &["sync", "import", p.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    // As when a file is read whole: damage is named, not the content it would carry.
    assert!(err.contains("changed or damaged"), "{err}");
    assert!(!err.contains("UTC offset"), "{err}");
    assert_eq!(open(&hub).count().unwrap(), 0);
}
