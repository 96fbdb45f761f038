//! Sealed, signed bundles and signed receipts (issue 16, in transit): the share holds
//! only ciphertext; a forged, unsigned, revoked, altered or misplaced bundle is refused
//! with one line and nothing of it imported while the rest of the folder goes in; a
//! replayed bundle is harmless; only a receipt signed by the enrolled hub acknowledges.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{Signer as _, SigningKey};
use msht::sync::{self, Receipt, keys};
use serde_json::Value;

use crate::common::{enroll, files, push, run, run_ok};

const LOCATION: &str = "Quarry Cottage, Netherby";
const NOTE: &str = "zebra-violet note about the controller";

fn answers() -> String {
    format!(
        r#"{{"checklist":"general","officer":"PC 9","location":"{LOCATION}","answers":{{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"consents"}},"notes":"{NOTE}"}}"#
    )
}

fn record(db: &Path) -> String {
    crate::common::record(db, &answers())
}

fn count(db: &Path) -> usize {
    crate::common::open(db).count().unwrap()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A hub, two enrolled and trusted devices, and a share.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let share = t.path().join("share");
    fs::create_dir(&share).unwrap();
    let (d1, d2, hub) = (
        t.path().join("d1.db"),
        t.path().join("d2.db"),
        t.path().join("hub.db"),
    );
    enroll(&hub, &[&d1, &d2]);
    (t, share, d1, d2, hub)
}

/// Imports `share` into the hub expecting bundles refused: exit 65, one line naming
/// each refused file with `why`.
fn import_refusing(hub: &Path, share: &Path, refused: &[&Path], why: &str) -> String {
    let out = run(hub, &["sync", "import", share.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(65), "{err}");
    for f in refused {
        let name = f.file_name().unwrap().to_str().unwrap();
        let lines: Vec<&str> = err.lines().filter(|l| l.contains(name)).collect();
        assert_eq!(lines.len(), 1, "one line for {name}: {err}");
        assert!(lines[0].contains("nothing from it was imported"), "{err}");
        assert!(lines[0].contains(why), "expected '{why}' in: {err}");
    }
    err
}

#[test]
fn the_share_holds_only_ciphertext() {
    let (_t, share, d1, _, hub) = setup();
    let id = record(&d1);
    push(&d1, &share);
    let bundle = fs::read(files(&share, "mshtbundle").remove(0)).unwrap();
    for plain in [
        LOCATION,
        NOTE,
        "PC 9",
        "general_nrm_consent",
        &id,
        "msht-bundle\"",
    ] {
        assert!(
            !contains(&bundle, plain),
            "{plain:?} is readable on the share"
        );
    }
    // The hub reads it all back.
    run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    let shown = run_ok(&hub, &["encounters", "show", &id]);
    assert!(shown.contains(LOCATION), "{shown}");
    // Receipts carry ids and hashes, never the answers.
    let receipt = fs::read(files(&share, "mshtreceipt").remove(0)).unwrap();
    assert!(!contains(&receipt, LOCATION) && !contains(&receipt, NOTE));
}

/// Someone who can write to the share but holds no trusted device key: a bundle built
/// with every hash recomputed, unsigned, or signed with their own key, or carrying a
/// trusted device's name and key but not its signature, is refused; the good bundle
/// beside them still imports.
#[test]
fn forged_bundles_are_refused_and_the_rest_imports() {
    let (t, share, d1, _, hub) = setup();
    let victim = record(&d1);
    push(&d1, &share);
    let good = files(&share, "mshtbundle").remove(0);

    // The forger's bundle: a real-looking encounter, hashes and chain all correct,
    // claiming to come from device 1.
    let forger_db = t.path().join("forger.db");
    let mut forger = crate::common::open(&forger_db);
    let events = forger
        .record_encounter(crate::common::created("PC forged"), vec![])
        .unwrap();
    let d1_id = crate::common::open(&d1).device_id().to_string();
    let w = sync::bundle::Writer {
        device_id: &d1_id,
        for_hub: None,
        bundle_seq: 9,
        created_at: "2026-01-01T00:00:00.000Z",
        local_seq: (1, 1),
    };
    let (_, _, plain) = sync::bundle::encode(&w, &events).unwrap();
    let hub_key = keys::HubKey::parse(run_ok(&hub, &["sync", "hub", "key"]).trim()).unwrap();
    let forger_key = SigningKey::from_bytes(&[7; 32]);

    let unsigned = share.join("unsigned.mshtbundle");
    fs::write(&unsigned, &plain).unwrap();
    let own_key = share.join("own-key.mshtbundle");
    fs::write(
        &own_key,
        sync::seal::seal(&hub_key, &forger_key, &plain).unwrap(),
    )
    .unwrap();
    // Device 1's public key in the signature line, the forger's signature.
    let d1_public = keys::device_key(&mut crate::common::open(&d1))
        .unwrap()
        .verifying;
    let header = serde_json::json!({"format": "msht-sealed-bundle", "version": 1, "to": hub_key.fingerprint()}).to_string();
    let sig = forger_key.sign(
        &[
            b"msht bundle signature v1\n",
            header.as_bytes(),
            b"\n",
            &plain,
        ]
        .concat(),
    );
    let mut inner = serde_json::json!({"signer": B64.encode(d1_public.as_bytes()), "signature": B64.encode(sig.to_bytes())}).to_string().into_bytes();
    inner.push(b'\n');
    inner.extend_from_slice(&plain);
    let sealed = crypto_box::PublicKey::from_bytes(hub_key.sealing)
        .seal(&mut crypto_box::aead::OsRng, &inner)
        .unwrap();
    let borrowed = share.join("borrowed-name.mshtbundle");
    fs::write(&borrowed, [header.as_bytes(), b"\n", &sealed].concat()).unwrap();

    let err = import_refusing(&hub, &share, &[&unsigned], "not sealed and signed");
    import_refusing(
        &hub,
        &share,
        &[&own_key],
        "a device this hub does not trust",
    );
    import_refusing(&hub, &share, &[&borrowed], "signature does not verify");
    assert!(err.contains("3 of 4 bundles were refused"), "{err}");
    // Only device 1's real encounter is on the hub, and only its bundle got a receipt.
    let hub_store = crate::common::open(&hub);
    assert_eq!(hub_store.count().unwrap(), 1);
    assert!(hub_store.encounter(&victim).is_ok());
    assert!(hub_store.encounter(&events[0].encounter_id).is_err());
    let receipts = files(&share, "mshtreceipt");
    assert_eq!(receipts.len(), 1);
    let stem = good.file_stem().unwrap().to_str().unwrap();
    assert!(receipts[0].to_str().unwrap().contains(stem));
}

#[test]
fn a_revoked_device_is_refused_and_a_flipped_bit_is_caught() {
    let (_t, share, d1, d2, hub) = setup();
    record(&d1);
    record(&d2);
    push(&d1, &share);
    push(&d2, &share);
    let d2_id = crate::common::open(&d2).device_id().to_string();
    let out = run_ok(&hub, &["sync", "revoke", &d2_id]);
    assert!(out.contains("Revoked device 1"), "{out}");
    // Trusting the revoked key again is refused.
    let d2_key = run_ok(&d2, &["sync", "key"]);
    let again = run(&hub, &["sync", "trust", d2_key.trim(), "--name", "again"]);
    assert_eq!(again.status.code(), Some(64));

    // A bit flipped in device 1's sealed bundle, in a copy beside the original.
    let [b1, b2]: [PathBuf; 2] = files(&share, "mshtbundle").try_into().unwrap();
    let (b1, b2) = if b1.to_str().unwrap().contains(&d2_id) {
        (b2, b1)
    } else {
        (b1, b2)
    };
    let mut bytes = fs::read(&b1).unwrap();
    let i = bytes.len() - 100;
    bytes[i] ^= 0x04;
    let flipped = share.join("flipped.mshtbundle");
    fs::write(&flipped, &bytes).unwrap();

    import_refusing(&hub, &share, &[&b2], "whose key was revoked");
    let err = import_refusing(
        &hub,
        &share,
        &[&flipped],
        "changed or damaged after it was sealed",
    );
    assert!(err.contains("2 of 3 bundles were refused"), "{err}");
    assert_eq!(count(&hub), 1, "device 1's intact bundle went in");
    // Device 2 gets no receipt and keeps its record.
    let out = push(&d2, &share);
    assert!(!out.contains("acknowledged by the hub"), "{out}");
    assert!(run_ok(&d2, &["sync", "prune"]).contains("Nothing to prune"));
    assert_eq!(count(&d2), 1);
}

#[test]
fn a_replayed_old_bundle_is_harmless() {
    let (t, share, d1, _, hub) = setup();
    record(&d1);
    push(&d1, &share);
    let old = files(&share, "mshtbundle").remove(0);
    let kept = t.path().join("old-copy");
    fs::copy(&old, &kept).unwrap();
    run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    push(&d1, &share);
    assert!(run_ok(&d1, &["sync", "prune"]).contains("Removed 1"));
    let hub_before = run_ok(&hub, &["encounters", "list", "--json"]);

    // Someone puts the old bundle back (or a stale share is synced again).
    fs::remove_file(&old).unwrap();
    for f in files(&share, "mshtreceipt") {
        fs::remove_file(f).unwrap();
    }
    fs::copy(&kept, &old).unwrap();
    let out = run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    assert!(out.contains("0 events new"), "{out}");
    assert_eq!(run_ok(&hub, &["encounters", "list", "--json"]), hub_before);
    // The device, already pruned, neither gets the record back nor loses anything more.
    let out = push(&d1, &share);
    assert!(out.contains("Nothing to push"), "{out}");
    assert_eq!(count(&d1), 0);
}

/// The hub's own signing key, to write an altered receipt honestly signed.
fn signing_key(db: &Path) -> SigningKey {
    keys::signing_key(&mut crate::common::open(db)).unwrap()
}

#[test]
fn only_the_enrolled_hubs_signature_prunes() {
    let (t, share, d1, _, hub) = setup();
    record(&d1);
    push(&d1, &share);
    run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    let path = files(&share, "mshtreceipt").remove(0);
    let genuine = fs::read(&path).unwrap();
    let r = Receipt::decode(&genuine).unwrap();

    // The same receipt signed by a forger; then by a real hub this device is not
    // enrolled with; then the genuine one with a field changed and its digest redone.
    let other_hub = t.path().join("other-hub.db");
    run_ok(&other_hub, &["sync", "hub", "init"]);
    let mut altered: Value = serde_json::from_slice(&genuine).unwrap();
    altered["received_at"] = "2030-01-01T00:00:00.000Z".into();
    let mut inner: Receipt = serde_json::from_value(altered.clone()).unwrap();
    inner.received_at = "2030-01-01T00:00:00.000Z".into();
    let resigned_by_other = inner.encode(&SigningKey::from_bytes(&[1; 32])).unwrap();
    let redone: Value = serde_json::from_slice(&resigned_by_other).unwrap();
    altered["receipt_sha256"] = redone["receipt_sha256"].clone();
    let forgeries = [
        r.encode(&SigningKey::from_bytes(&[3; 32])).unwrap(),
        r.encode(&signing_key(&other_hub)).unwrap(),
        serde_json::to_vec(&altered).unwrap(),
    ];
    for forged in forgeries {
        fs::write(&path, &forged).unwrap();
        let out = run(&d1, &["sync", "push", "--to", share.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(err.contains("signature does not verify"), "{err}");
        assert!(run_ok(&d1, &["sync", "prune"]).contains("Nothing to prune"));
        assert_eq!(count(&d1), 1);
    }
    // A receipt for another device's bundle, renamed into place, acknowledges nothing.
    let mut misplaced = r.clone();
    misplaced.bundle_device_id = "someone-else".into();
    fs::write(&path, misplaced.encode(&signing_key(&hub)).unwrap()).unwrap();
    push(&d1, &share);
    assert!(run_ok(&d1, &["sync", "prune"]).contains("Nothing to prune"));
    // A forgery under the hub's receipt name does not stop the hub writing its own: on
    // the next import the hub replaces it, and the device then acknowledges.
    let mut greedy = r.clone();
    greedy.accepted += 5;
    fs::write(
        &path,
        greedy.encode(&SigningKey::from_bytes(&[3; 32])).unwrap(),
    )
    .unwrap();
    run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    let hub_public = signing_key(&hub).verifying_key();
    assert!(matches!(
        Receipt::verify(&fs::read(&path).unwrap(), &hub_public),
        sync::receipt::Verified::Trusted(_)
    ));
    // The genuine receipt, put back, does.
    fs::write(&path, &genuine).unwrap();
    push(&d1, &share);
    assert!(run_ok(&d1, &["sync", "prune"]).contains("Removed 1"));
}

#[test]
fn keys_print_fingerprints_and_an_unenrolled_device_still_records() {
    let t = tempfile::tempdir().unwrap();
    let (dev, hub) = (t.path().join("dev.db"), t.path().join("hub.db"));
    let id = record(&dev);
    run_ok(&dev, &["export", &id, "--format", "json"]);
    let out = run(&hub, &["sync", "hub", "init"]);
    let err = String::from_utf8_lossy(&out.stderr);
    let key = String::from_utf8(out.stdout).unwrap();
    assert!(key.trim().starts_with("msht-hub1:") && key.lines().count() == 1);
    let fp = keys::HubKey::parse(key.trim()).unwrap().fingerprint();
    assert!(err.contains(&fp), "{err}");
    assert_eq!(
        fp.split('-').map(str::len).collect::<Vec<_>>(),
        [4, 4, 4, 4]
    );
    // Init twice keeps the keys.
    assert_eq!(run_ok(&hub, &["sync", "hub", "init"]), key);
    let out = run_ok(&dev, &["sync", "enroll", key.trim()]);
    assert!(out.contains(&fp), "{out}");
    // A mangled key line is a usage error with one sentence.
    let out = run(&dev, &["sync", "enroll", &key.trim()[..40]]);
    assert_eq!(out.status.code(), Some(64));
    let out = run(&hub, &["sync", "revoke", "nobody"]);
    assert_eq!(out.status.code(), Some(66));
}
