//! Sync never loses a record (issue 18, items 1–5): a receipt acknowledges only what the
//! hub this device syncs with says it holds, a damaged record is never pushed, exported
//! as valid or pruned, and a push carries only what that hub has not acknowledged.

use crate::common::{files, push, run, run_ok};

use std::fs;
use std::path::{Path, PathBuf};

use msht::sync::Receipt;
use serde_json::Value;

const ANSWERS: &str = r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"consents"}}"#;

fn record(db: &Path) -> String {
    crate::common::record(db, ANSWERS)
}

fn import(db: &Path, share: &Path) -> String {
    run_ok(db, &["sync", "import", share.to_str().unwrap()])
}

fn json(db: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&run_ok(db, &a)).unwrap()
}

/// Makes `db` a hub: a database whose receipts acknowledge events.
fn serve(db: &Path) {
    run_ok(db, &["sync", "hub", "--serve"]);
}

fn count(db: &Path) -> u64 {
    json(db, &["encounters", "list"]).as_array().unwrap().len() as u64
}

/// The hub's own signing key: these tests write honest receipts with altered content.
fn hub_key(hub: &Path) -> ed25519_dalek::SigningKey {
    let mut s = crate::common::open(hub);
    msht::sync::keys::hub_identity(&mut s)
        .unwrap()
        .unwrap()
        .signing
}

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let share = t.path().join("share");
    fs::create_dir(&share).unwrap();
    let dev = t.path().join("dev.db");
    let hub = t.path().join("hub.db");
    crate::common::enroll(&hub, &[&dev]);
    (t, share, dev, hub)
}

/// Item 1: `check; push; import share; push; prune` on one database removed the only
/// copy. Its own receipt acknowledges nothing.
#[test]
fn a_device_importing_its_own_bundle_prunes_nothing() {
    let (_t, share, dev, _) = setup();
    record(&dev);
    push(&dev, &share);
    // A device cannot open its own bundle: it is sealed to the hub.
    let out = run(&dev, &["sync", "import", share.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a hub"));
    // Even a database marked as a hub never acknowledges itself.
    serve(&dev);
    let out = run(&dev, &["sync", "import", share.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sealed to another hub"));
    push(&dev, &share);
    let out = run_ok(&dev, &["sync", "prune"]);
    assert!(out.contains("Nothing to prune"), "{out}");
    assert_eq!(count(&dev), 1);
    assert_eq!(json(&dev, &["sync", "status"])["acknowledged_events"], 0);
}

/// Item 1: a scratch or training database importing the share is not the hub.
#[test]
fn a_scratch_database_importing_the_share_prunes_nothing() {
    let (t, share, dev, hub) = setup();
    record(&dev);
    push(&dev, &share);
    let out = run(
        &t.path().join("scratch.db"),
        &["sync", "import", share.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a hub"));
    push(&dev, &share);
    let out = run_ok(&dev, &["sync", "prune"]);
    assert!(out.contains("Nothing to prune"), "{out}");
    assert_eq!(count(&dev), 1);

    // The real hub acknowledges; it becomes this device's hub, and a second hub (or a
    // scratch database someone marked as one) is ignored from then on.
    serve(&hub);
    import(&hub, &share);
    push(&dev, &share);
    let s = json(&dev, &["sync", "status"]);
    let hub_id = json(&hub, &["sync", "status"])["device_id"].clone();
    assert_eq!(s["hub"]["device_id"], hub_id, "{s}");
    let other = t.path().join("other-hub.db");
    serve(&other);
    record(&dev);
    push(&dev, &share);
    // Another hub cannot open bundles sealed to this device's hub, so writes no receipt.
    let receipts = files(&share, "mshtreceipt").len();
    let out = run(&other, &["sync", "import", share.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sealed to another hub"));
    assert_eq!(files(&share, "mshtreceipt").len(), receipts);
    let out = run(&dev, &["sync", "push", "--to", share.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        json(&dev, &["sync", "status"])["prunable_encounters"],
        1,
        "only the first encounter, acknowledged by the real hub"
    );
    let out = run_ok(&dev, &["sync", "status"]);
    assert!(
        out.contains(&format!("Hub: {}", hub_id.as_str().unwrap())),
        "{out}"
    );
}

/// Item 2: an honest receipt is read for what it says, for exactly the bundle pushed.
#[test]
fn a_receipt_acknowledges_only_what_it_says_was_accepted() {
    let (_t, share, dev, hub) = setup();
    record(&dev);
    push(&dev, &share);
    serve(&hub);
    import(&hub, &share);
    let rpath = files(&share, "mshtreceipt").pop().unwrap();
    let mut r = Receipt::decode(&fs::read(&rpath).unwrap()).unwrap();
    r.accepted = 0;
    r.already_present = 0;
    r.acknowledged.clear();
    fs::write(&rpath, r.encode(&hub_key(&hub)).unwrap()).unwrap();
    push(&dev, &share);
    let out = run_ok(&dev, &["sync", "prune"]);
    assert!(out.contains("Nothing to prune"), "{out}");
    assert_eq!(json(&dev, &["sync", "status"])["acknowledged_events"], 0);

    // A receipt for a bundle of a different size than the one pushed acknowledges nothing.
    let mut r2 = Receipt::decode(&fs::read(&rpath).unwrap()).unwrap();
    r2.events_in_bundle += 1;
    fs::write(&rpath, r2.encode(&hub_key(&hub)).unwrap()).unwrap();
    push(&dev, &share);
    assert_eq!(json(&dev, &["sync", "status"])["acknowledged_events"], 0);
}

/// Deletes the last event of `id` behind msht's back (the trigger dropped first).
fn cut_last_event(db: &Path, id: &str) {
    let c = crate::common::raw_connection(db);
    c.execute_batch("DROP TRIGGER IF EXISTS events_append_only")
        .unwrap();
    c.execute(
        "DELETE FROM events WHERE encounter_id = ?1
         AND seq = (SELECT max(seq) FROM events WHERE encounter_id = ?1)",
        [id],
    )
    .unwrap();
}

/// Items 3 and 4: a record cut short is not exported as valid, not pushed, not pruned;
/// the rest still goes.
#[test]
fn a_damaged_record_is_left_out_of_push_export_and_prune() {
    let (_t, share, dev, hub) = setup();
    let bad = record(&dev);
    let good = record(&dev);
    cut_last_event(&dev, &bad);

    let out = run(&dev, &["export", "--all"]);
    assert!(
        !out.status.success(),
        "export --all passed a damaged record"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&bad),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run(&dev, &["sync", "push", "--to", share.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.contains(&bad) && err.contains("left out"), "{err}");
    serve(&hub);
    let out = import(&hub, &share);
    let good_events: Value =
        serde_json::from_str(&run_ok(&dev, &["export", &good, "--format", "json"])).unwrap();
    let want = format!("{} events new", good_events["event_count"]);
    assert!(
        out.contains(&want),
        "only the good record went ({want}): {out}"
    );
    let listed = json(&hub, &["encounters", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], good.as_str());

    // The next push reads the receipt and again leaves the damaged record out.
    let out = run(&dev, &["sync", "push", "--to", share.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    let out = run_ok(&dev, &["sync", "prune"]);
    assert!(out.contains(&good) && !out.contains(&bad), "{out}");
    let out = run(&dev, &["doctor"]);
    assert!(!out.status.success());
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains(&bad), "{report}");
}

/// Item 3: the damage happens after the hub acknowledged every event: prune must still
/// refuse a record whose chain no longer ends where the hub saw it end.
#[test]
fn prune_refuses_a_record_damaged_after_acknowledgement() {
    let (_t, share, dev, hub) = setup();
    let id = record(&dev);
    push(&dev, &share);
    serve(&hub);
    import(&hub, &share);
    // The last event is removed; the rest (still acknowledged) would look complete if
    // prune read only the acknowledgements and the summary.
    cut_last_event(&dev, &id);
    let c = crate::common::raw_connection(&dev);
    c.execute(
        "UPDATE encounters SET event_count = event_count - 1,
           head_hash = (SELECT hash FROM events WHERE encounter_id = ?1 ORDER BY seq DESC LIMIT 1)
         WHERE id = ?1",
        [&id],
    )
    .unwrap();
    drop(c);
    let _ = run(&dev, &["sync", "push", "--to", share.to_str().unwrap()]);
    let out = run_ok(&dev, &["sync", "prune"]);
    assert!(out.contains("Nothing to prune"), "{out}");
    assert_eq!(count(&dev), 1);
}

/// Events in a sealed bundle, opened with the hub's key.
fn bundle_events(hub: &Path, path: &Path) -> usize {
    let mut s = crate::common::open(hub);
    let id = msht::sync::keys::hub_identity(&mut s).unwrap().unwrap();
    let opened = msht::sync::seal::open(&id, &fs::read(path).unwrap()).unwrap();
    String::from_utf8(opened.bundle).unwrap().lines().count() - 1
}

/// Item 5: after a receipt, a push carries only the events that hub has not
/// acknowledged; a hub restored from an old backup asks for the start it lacks.
#[test]
fn push_sends_only_what_the_hub_has_not_acknowledged() {
    let (t, share, dev, hub) = setup();
    let id = {
        let mut s = crate::common::open(&dev);
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
    let note = |text: &str| {
        crate::common::open(&dev)
            .append(
                &id,
                msht::record::EventBody::NoteAdded { text: text.into() },
            )
            .unwrap();
    };
    for i in 0..4 {
        note(&format!("note {i}"));
    }
    serve(&hub);
    let backup = t.path().join("hub-backup.db");
    fs::copy(&hub, &backup).unwrap();
    push(&dev, &share);
    import(&hub, &share);
    note("after the receipt");
    let out = push(&dev, &share);
    assert!(out.contains("(1 events of 1 encounters"), "{out}");
    let newest = files(&share, "mshtbundle")
        .into_iter()
        .max_by_key(|p| fs::metadata(p).unwrap().modified().unwrap())
        .unwrap();
    assert_eq!(bundle_events(&hub, &newest), 1);
    let out = import(&hub, &share);
    assert!(out.contains("1 events new"), "{out}");
    let out = push(&dev, &share);
    assert!(out.contains("Nothing to push"), "{out}");

    // The hub is restored from a backup taken before any import: it has lost the chain.
    // Its receipt for the next tail asks for the start, and the push after sends it.
    fs::copy(&backup, &hub).unwrap();
    for f in files(&share, "mshtbundle")
        .into_iter()
        .chain(files(&share, "mshtreceipt"))
    {
        fs::remove_file(f).unwrap();
    }
    note("after the restore");
    let out = push(&dev, &share);
    assert!(out.contains("(1 events of 1 encounters"), "{out}");
    let out = import(&hub, &share);
    assert!(out.contains("1 held"), "{out}");
    let out = push(&dev, &share);
    assert!(out.contains("(7 events of 1 encounters"), "{out}");
    // Only the new bundle: the receipt asking for the start stays as it was.
    let newest = files(&share, "mshtbundle")
        .into_iter()
        .max_by_key(|p| fs::metadata(p).unwrap().modified().unwrap())
        .unwrap();
    import(&hub, &newest);
    let hub_list = json(&hub, &["encounters", "list"]);
    assert_eq!(hub_list[0]["event_count"], 7, "{hub_list}");
    // The request is acted on once: the old receipt still in the folder does not make
    // every later push send the chain again.
    for _ in 0..2 {
        let out = push(&dev, &share);
        assert!(out.contains("Nothing to push"), "{out}");
    }
}

/// `msht sync status | head -1` and `msht sync push … | true` exit 0 (they aborted with
/// 134 when `println!` met the closed pipe).
#[test]
fn sync_commands_survive_a_closed_pipe() {
    let (_t, share, dev, hub) = setup();
    record(&dev);
    let share = share.to_str().unwrap().to_string();
    for (db, args) in [
        (&dev, vec!["sync", "status"]),
        (&dev, vec!["sync", "push", "--to", &share]),
        (&hub, vec!["sync", "import", &share]),
        (&dev, vec!["sync", "prune", "--dry-run"]),
        (&dev, vec!["sync", "hub"]),
        (&hub, vec!["sync", "hub", "key"]),
        (&dev, vec!["sync", "key"]),
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("msht"))
            .env("MSHT_DB", db)
            .env("MSHT_KEY_FILE", crate::common::key_file())
            .env("NO_COLOR", "1")
            .args(&args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
