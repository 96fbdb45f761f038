//! Sync end to end through the real binary: two devices and a hub (three databases), a
//! shared folder as the only transport, receipts flowing back, devices pruning; and every
//! kind of damaged bundle refused whole with one sentence naming the file.

use crate::common::{files, msht, run_ok};

use std::fs;
use std::path::{Path, PathBuf};

use msht::record::{EncounterState, Event};
use msht::store::ListFilter;
use serde_json::Value;

const ANSWERS: &str = r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"consents"}}"#;

/// Records one complete encounter with the guided check; returns its id.
fn record(db: &Path) -> String {
    crate::common::record(db, ANSWERS)
}

fn status(db: &Path) -> Value {
    serde_json::from_str(&run_ok(db, &["sync", "status", "--json"])).unwrap()
}

/// Every encounter's events, by encounter id.
fn all_events(db: &Path) -> Vec<(String, Vec<Event>)> {
    let s = crate::common::open(db);
    let mut out = Vec::new();
    s.for_each_encounter(&ListFilter::default(), &mut |ev| {
        out.push((ev[0].encounter_id.clone(), ev));
        Ok(())
    })
    .unwrap();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn two_devices_and_a_hub() {
    let t = tempfile::tempdir().unwrap();
    let (d1, d2, hub) = (
        t.path().join("d1.db"),
        t.path().join("d2.db"),
        t.path().join("hub.db"),
    );
    let share = t.path().join("share");
    fs::create_dir(&share).unwrap();

    let a: Vec<String> = (0..2).map(|_| record(&d1)).collect();
    let b: Vec<String> = (0..3).map(|_| record(&d2)).collect();
    // A draft on device 1: never pruned.
    let draft = {
        let mut s = crate::common::open(&d1);
        s.create_encounter(msht::record::EventBody::Created {
            officer: "PC 1".into(),
            location: "lay-by".into(),
            checklist: "general".into(),
            checklist_title: "General".into(),
            guidance_version: "1".into(),
            guidance_hash: "x".into(),
        })
        .unwrap()
        .encounter_id
    };
    let before2 = all_events(&d2);

    assert_eq!(status(&d1)["pending_encounters"], 3);
    crate::common::enroll(&hub, &[&d1, &d2]);
    let out = run_ok(&d1, &["sync", "push", "--to", share.to_str().unwrap()]);
    assert!(out.contains("Wrote"), "{out}");
    run_ok(&d2, &["sync", "push", "--to", share.to_str().unwrap()]);
    assert_eq!(files(&share, "mshtbundle").len(), 2);
    // Bundles are private files.
    #[cfg(unix)]
    for f in files(&share, "mshtbundle") {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Pushed but not acknowledged: nothing may be pruned yet.
    let s1 = status(&d1);
    assert_eq!(s1["awaiting_receipt"].as_array().unwrap().len(), 1);
    assert_eq!(s1["prunable_encounters"], 0);
    let out = msht(&d1).args(["sync", "prune", &a[0]]).output().unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no hub has acknowledged"));

    // The hub imports the folder: one receipt per bundle appears beside it.
    let out = run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    assert!(out.contains("Imported 2 of 2"), "{out}");
    assert_eq!(files(&share, "mshtreceipt").len(), 2);
    // Importing again changes nothing.
    let hub_once = all_events(&hub);
    let out = run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    assert!(out.contains("0 events new"), "{out}");
    assert_eq!(all_events(&hub), hub_once);

    // Devices read the receipts on their next push. Device 2 has nothing left to send.
    let out = run_ok(&d2, &["sync", "push", "--to", share.to_str().unwrap()]);
    assert!(out.contains("Nothing to push"), "{out}");
    assert_eq!(
        files(&share, "mshtbundle").len(),
        2,
        "no file for an empty push"
    );
    // The draft goes on on device 1: its new event is pending, so the next push sends
    // only that event (the hub acknowledged the start of the chain).
    crate::common::open(&d1)
        .append(
            &draft,
            msht::record::EventBody::NoteAdded {
                text: "second visit".into(),
            },
        )
        .unwrap();
    let before1 = all_events(&d1);
    let out = run_ok(&d1, &["sync", "push", "--to", share.to_str().unwrap()]);
    assert!(out.contains("more event(s) acknowledged"), "{out}");
    assert!(out.contains("(1 events of 1 encounters"), "{out}");
    let s1 = status(&d1);
    assert_eq!(s1["pending_encounters"], 1);
    assert_eq!(s1["prunable_encounters"], 2);
    assert!(s1["last_receipt"]["receipt_at"].is_string());

    // Prune: the acknowledged complete encounters go, the draft stays.
    let out = run_ok(&d1, &["sync", "prune"]);
    assert!(out.contains("Removed 2"), "{out}");
    for id in &a {
        assert!(out.contains(id.as_str()), "{out}");
    }
    let left: Vec<String> = all_events(&d1).into_iter().map(|(id, _)| id).collect();
    assert_eq!(left, vec![draft.clone()]);
    let out = run_ok(&d2, &["sync", "prune"]);
    assert!(out.contains("Removed 3"), "{out}");
    assert!(all_events(&d2).is_empty());

    // The hub holds every encounter, chains verified, identical to the devices' copies.
    run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    let hub_all = all_events(&hub);
    let mut expected: Vec<(String, Vec<Event>)> = before1.into_iter().chain(before2).collect();
    expected.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(hub_all, expected);
    let hs = crate::common::open(&hub);
    assert!(hs.verify_all().unwrap().is_clean());
    for id in a.iter().chain(&b).chain([&draft]) {
        let st: EncounterState = hs.encounter(id).unwrap();
        assert_eq!(&st.id, id);
    }
    // Imported events keep the recording device's id.
    assert_eq!(
        hs.encounter(&a[0]).unwrap().device_id,
        crate::common::open(&d1).device_id()
    );
    drop(hs);
    // Export from the hub equals export from the device (device copy taken before prune,
    // so compare the hub export to the record the device pushed).
    let hub_export = msht(&hub)
        .args(["export", &b[0], "--format", "json"])
        .output()
        .unwrap();
    if hub_export.status.success() {
        let v: Value = serde_json::from_slice(&hub_export.stdout).unwrap();
        assert!(v.to_string().contains(&b[0]));
    }
}

/// Makes one device with two encounters, enrolled with the hub `hub.db` beside it, and
/// pushes one bundle; returns (dir, bundle).
fn one_bundle(t: &Path) -> (PathBuf, PathBuf) {
    let dev = t.join("dev.db");
    record(&dev);
    record(&dev);
    crate::common::enroll(&t.join("hub.db"), &[&dev]);
    let share = t.join("share");
    fs::create_dir_all(&share).unwrap();
    run_ok(&dev, &["sync", "push", "--to", share.to_str().unwrap()]);
    let b = files(&share, "mshtbundle").remove(0);
    (share, b)
}

fn refused(hub: &Path, bundle: &Path, expect: &str) {
    let out = msht(hub)
        .args(["sync", "import", bundle.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(
        err.contains(bundle.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
    assert!(err.contains("nothing from it was imported"), "{err}");
    assert!(err.contains(expect), "expected '{expect}' in: {err}");
    assert!(
        all_events(hub).is_empty(),
        "a refused bundle left events behind"
    );
    let receipts = files(bundle.parent().unwrap(), "mshtreceipt");
    assert!(receipts.is_empty(), "no receipt for a refused bundle");
}

#[test]
fn tampered_bundles_are_refused_whole() {
    let t = tempfile::tempdir().unwrap();
    let (_share, b) = one_bundle(t.path());
    let bytes = fs::read(&b).unwrap();
    let hub = t.path().join("hub.db");
    let bad = t.path().join("bad");
    fs::create_dir(&bad).unwrap();
    let put = |name: &str, content: &[u8]| {
        let p = bad.join(name);
        fs::write(&p, content).unwrap();
        p
    };

    let mut flipped = bytes.clone();
    let i = bytes.len() / 2;
    flipped[i] ^= 0x20;
    refused(
        &hub,
        &put("flipped.mshtbundle", &flipped),
        "changed or damaged after it was sealed",
    );
    refused(
        &hub,
        &put("truncated.mshtbundle", &bytes[..bytes.len() * 2 / 3]),
        "changed or damaged after it was sealed",
    );
    // The header names the hub it is sealed to; pointing it elsewhere is noticed.
    let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
    let mut header: Value = serde_json::from_slice(&bytes[..nl]).unwrap();
    header["to"] = "AAAA-AAAA-AAAA-AAAA".into();
    let mut other = serde_json::to_vec(&header).unwrap();
    other.extend_from_slice(&bytes[nl..]);
    refused(
        &hub,
        &put("other.mshtbundle", &other),
        "sealed to another hub",
    );
    refused(
        &hub,
        &put("foreign.mshtbundle", b"%PDF-1.7\n..."),
        "not sealed and signed",
    );
}

#[test]
fn one_bad_bundle_does_not_block_the_others() {
    let t = tempfile::tempdir().unwrap();
    let (share, b) = one_bundle(t.path());
    let mut bytes = fs::read(&b).unwrap();
    let i = bytes.len() - 10;
    bytes[i] ^= 0x01;
    let bad = share.join("zz-damaged.mshtbundle");
    fs::write(&bad, &bytes).unwrap();
    let hub = t.path().join("hub.db");
    let out = msht(&hub)
        .args(["sync", "import", share.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.contains("zz-damaged.mshtbundle was refused"), "{err}");
    assert!(err.contains("1 of 2 bundles were refused"), "{err}");
    assert_eq!(all_events(&hub).len(), 2, "the good bundle went in");
}

#[test]
fn exit_codes_for_missing_paths_and_usage() {
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("m.db");
    let out = msht(&db)
        .args(["sync", "import", t.path().join("nope").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(66));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope does not exist"));
    let out = msht(&db)
        .args([
            "sync",
            "push",
            "--to",
            t.path().join("nope").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(66));
    // A push writes: it says the folder is missing, never that nothing was imported.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not exist, so no bundle was written"),
        "{err}"
    );
    assert!(!err.contains("import"), "{err}");
    assert!(err.contains("create it"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // Not enrolled: push says what to do, and writes nothing.
    let out = msht(&db)
        .args(["sync", "push", "--to", t.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not enrolled with a hub"), "{err}");
    assert!(err.contains("msht sync enroll HUBKEY"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // Nothing recorded: push writes nothing and says so.
    crate::common::enroll(&t.path().join("hub.db"), &[&db]);
    let out = run_ok(&db, &["sync", "push", "--to", t.path().to_str().unwrap()]);
    assert!(out.contains("Nothing to push"));
    assert!(files(t.path(), "mshtbundle").is_empty());
    let s = status(&db);
    assert_eq!(s["pending_events"], 0);
    assert!(s["last_push"].is_null());
}

/// A relay: a force hub enrolled with a regional hub forwards what its devices sent,
/// re-sealed to the regional hub and signed with its own key; the regional hub imports it
/// because it trusts the relay, and the share between them holds only ciphertext.
#[test]
fn a_relay_hub_re_seals_and_re_signs_what_it_forwards() {
    let t = tempfile::tempdir().unwrap();
    let (dev, relay, region) = (
        t.path().join("device.db"),
        t.path().join("force-hub.db"),
        t.path().join("region.db"),
    );
    let (local, upstream) = (
        t.path().join("local-share"),
        t.path().join("upstream-share"),
    );
    fs::create_dir(&local).unwrap();
    fs::create_dir(&upstream).unwrap();
    crate::common::enroll(&relay, &[&dev]);
    crate::common::enroll(&region, &[&relay]);

    let id = record(&dev);
    run_ok(&dev, &["sync", "push", "--to", local.to_str().unwrap()]);
    run_ok(&relay, &["sync", "import", local.to_str().unwrap()]);
    run_ok(
        &relay,
        &["sync", "push", "--to", upstream.to_str().unwrap()],
    );

    let forwarded = files(&upstream, "mshtbundle");
    assert_eq!(forwarded.len(), 1, "the relay wrote one bundle upstream");
    let bytes = fs::read(&forwarded[0]).unwrap();
    for plain in [id.as_str(), "PC 1", "general_nrm_consent"] {
        assert!(
            !bytes.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "the upstream bundle is sealed, yet holds {plain:?}"
        );
    }

    run_ok(&region, &["sync", "import", upstream.to_str().unwrap()]);
    let on_region: Vec<String> = all_events(&region).into_iter().map(|(e, _)| e).collect();
    assert_eq!(
        on_region,
        std::slice::from_ref(&id),
        "the regional hub has the device's encounter"
    );
    assert_eq!(
        all_events(&region)[0].1,
        all_events(&dev)[0].1,
        "every event arrives unchanged, hash chain and all"
    );

    // The region trusts only the relay, never the device (see the enrolments above): the
    // import could only succeed on the relay's own signature.
}
