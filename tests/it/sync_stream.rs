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
