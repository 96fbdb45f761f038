//! Import throughput: EVENTS (default 1,000,000) events in bundles of 10,000, imported
//! into a fresh hub through the same library path as `msht sync import` (read, verify
//! whole, merge in one transaction per bundle, write a receipt), beside the `sqlite3`
//! shell `.import`ing the same rows as CSV into a table with the same columns and
//! indexes. Bundles are signed by ten trusted devices and sealed to the hub, as `sync
//! push` writes them; the envelope's share of the import (open the sealed box, look up
//! the signer, check the signature) is timed on its own, so the plaintext figure is the
//! import less that. A measurement, not a test: run with `cargo bench --bench
//! sync_import` (or `EVENTS=100000 cargo bench --bench sync_import` for a quick look).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use msht::record::{Event, EventBody, GENESIS_HASH};
use msht::store::Store;
use msht::sync;

const EVENTS_PER_ENCOUNTER: u32 = 20;
const EVENTS_PER_BUNDLE: usize = 10_000;

fn encounter(n: usize, device: &str) -> Vec<Event> {
    let enc = uuid::Uuid::now_v7().to_string();
    let mut out: Vec<Event> = Vec::with_capacity(EVENTS_PER_ENCOUNTER as usize);
    for seq in 1..=EVENTS_PER_ENCOUNTER {
        let prev = out
            .last()
            .map_or(GENESIS_HASH.to_string(), |e| e.hash.clone());
        let body = if seq == 1 {
            EventBody::Created {
                officer: format!("PC {}", n % 500),
                location: "industrial estate, unit 4".into(),
                checklist: "general".into(),
                checklist_title: "General screening".into(),
                guidance_version: "2026.1".into(),
                guidance_hash: "ab".repeat(32),
            }
        } else {
            EventBody::NoteAdded {
                text: format!("observation {seq}: worker appeared fearful and did not hold own ID"),
            }
        };
        out.push(
            Event::new(
                uuid::Uuid::now_v7().to_string(),
                enc.clone(),
                seq,
                "2026-03-01T10:00:00.000Z".into(),
                "+00:00".into(),
                device.into(),
                prev,
                body,
            )
            .expect("event"),
        );
    }
    out
}

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn main() {
    let total: usize = std::env::var("EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let inbox = dir.path().join("inbox");
    fs::create_dir(&inbox).expect("inbox");
    let mut csv = String::new();
    let devices: Vec<String> = (0..10).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let hub_path = dir.path().join("hub.db");
    let mut hub = Store::open(&hub_path).expect("hub");
    let (_, hub_id) = sync::keys::hub_init(&mut hub).expect("hub keys");
    let signers: Vec<ed25519_dalek::SigningKey> = (0..devices.len())
        .map(|i| ed25519_dalek::SigningKey::from_bytes(&[i as u8 + 1; 32]))
        .collect();
    for (d, k) in devices.iter().zip(&signers) {
        hub.sync_trust(&msht::store::TrustedDevice {
            public: k.verifying_key().as_bytes().to_vec(),
            device_id: d.clone(),
            name: d.clone(),
            fingerprint: sync::keys::fingerprint(k.verifying_key().as_bytes()),
            trusted_at: String::new(),
            revoked_at: None,
        })
        .expect("trust");
    }
    let mut seal_secs = 0f64;

    let t = Instant::now();
    let mut made = 0usize;
    let mut bundle_no = 0u64;
    while made < total {
        let device = &devices[bundle_no as usize % devices.len()];
        let mut events = Vec::with_capacity(EVENTS_PER_BUNDLE);
        while events.len() < EVENTS_PER_BUNDLE && made < total {
            let e = encounter(made, device);
            made += e.len();
            events.extend(e);
        }
        for e in &events {
            let body = serde_json::to_string(&e.body).expect("body");
            csv.push_str(
                &[
                    csv_field(&e.id),
                    csv_field(&e.encounter_id),
                    e.seq.to_string(),
                    csv_field(&e.at),
                    csv_field(&e.offset),
                    csv_field(&e.device_id),
                    csv_field(&e.prev_hash),
                    csv_field(&e.hash),
                    csv_field(e.body.type_name()),
                    csv_field(&body),
                ]
                .join(","),
            );
            csv.push('\n');
        }
        bundle_no += 1;
        let writer = sync::bundle::Writer {
            device_id: device,
            for_hub: None,
            bundle_seq: bundle_no,
            created_at: "2026-03-01T10:00:00.000Z",
            local_seq: (1, 1),
        };
        let (m, hash, bytes) = sync::bundle::encode(&writer, &events).expect("bundle");
        let signer = &signers[(bundle_no as usize - 1) % devices.len()];
        let t_seal = Instant::now();
        let sealed = sync::seal::seal(&hub_id.key, signer, &bytes).expect("seal");
        seal_secs += t_seal.elapsed().as_secs_f64();
        fs::write(inbox.join(sync::bundle::file_name(&m, &hash)), sealed).expect("bundle");
    }
    let bytes: u64 = fs::read_dir(&inbox)
        .expect("inbox")
        .map(|e| e.expect("entry").metadata().expect("meta").len())
        .sum();
    eprintln!(
        "generated {made} events in {bundle_no} bundles ({:.0} MB) in {:.1}s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // The envelope alone: open each sealed bundle, find its signer, check the signature.
    let t = Instant::now();
    for f in sync::bundle_paths(std::slice::from_ref(&inbox)).expect("inbox") {
        let opened = sync::seal::open(&hub_id, &fs::read(&f).expect("read")).expect("open");
        hub.sync_trusted_key(opened.signer.as_bytes())
            .expect("trusted")
            .expect("trusted");
        opened.verify().expect("signature");
    }
    let envelope_secs = t.elapsed().as_secs_f64();

    // msht: the real import path, into a fresh hub.
    let t = Instant::now();
    let s = sync::import_paths(
        &mut hub,
        &msht::guidance::load(None).expect("guidance"),
        std::slice::from_ref(&inbox),
        &mut |_| {},
    )
    .expect("import");
    let msht_secs = t.elapsed().as_secs_f64();
    assert_eq!(s.accepted as usize, made);
    let t = Instant::now();
    let s2 = sync::import_paths(
        &mut hub,
        &msht::guidance::load(None).expect("guidance"),
        std::slice::from_ref(&inbox),
        &mut |_| {},
    )
    .expect("re-import");
    let again_secs = t.elapsed().as_secs_f64();
    assert_eq!(s2.already_present as usize, made);
    drop(hub);

    // Baseline: the sqlite3 shell importing the same rows into the same table shape.
    let csv_path = dir.path().join("events.csv");
    fs::write(&csv_path, &csv).expect("csv");
    drop(csv);
    let base_db = dir.path().join("baseline.db");
    let script = format!(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n\
         CREATE TABLE events (id TEXT NOT NULL UNIQUE, encounter_id TEXT NOT NULL, seq INTEGER NOT NULL CHECK (seq >= 1), at TEXT NOT NULL, offset TEXT NOT NULL, device_id TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (encounter_id, seq)) STRICT;\n\
         .mode csv\n.import {} events\n",
        csv_path.display()
    );
    let script_path = dir.path().join("import.sql");
    fs::write(&script_path, script).expect("script");
    // Dot commands are read from stdin only.
    let stdin = fs::File::open(&script_path).expect("script");
    let t = Instant::now();
    let out = Command::new("sqlite3").arg(&base_db).stdin(stdin).output();
    let base_secs = t.elapsed().as_secs_f64();
    let base = match out {
        Ok(o) if o.status.success() => Some(base_secs),
        Ok(o) => {
            eprintln!("sqlite3 failed: {}", String::from_utf8_lossy(&o.stderr));
            None
        }
        Err(e) => {
            eprintln!("sqlite3 not available: {e}");
            None
        }
    };

    let rate = |secs: f64| made as f64 / secs;
    println!("events: {made} in {bundle_no} bundles of up to {EVENTS_PER_BUNDLE}");
    println!(
        "msht sync import (verify + merge + receipts): {msht_secs:.2}s = {:.0} events/s",
        rate(msht_secs)
    );
    println!(
        "msht re-import of the same bundles (all already present): {again_secs:.2}s = {:.0} events/s",
        rate(again_secs)
    );
    let plain_secs = msht_secs - envelope_secs;
    println!(
        "of which the envelope (unseal + signer lookup + Ed25519 verify): {envelope_secs:.2}s; without it {plain_secs:.2}s = {:.0} events/s; sealed import takes {:.3}x the plaintext time",
        rate(plain_secs),
        msht_secs / plain_secs
    );
    println!(
        "device side: signing and sealing the bundles took {seal_secs:.2}s ({:.0} events/s)",
        rate(seal_secs)
    );
    if let Some(b) = base {
        println!(
            "sqlite3 shell .import CSV (same table and indexes): {b:.2}s = {:.0} events/s; msht is {:.1}x slower",
            rate(b),
            msht_secs / b
        );
    }
    report_size(&hub_path, "hub database");
}

fn report_size(p: &Path, what: &str) {
    if let Ok(m) = fs::metadata(p) {
        println!("{what}: {:.0} MB", m.len() as f64 / 1e6);
    }
}
