//! The data for measuring `msht sync import`'s peak memory on one large bundle (issue 18:
//! a 197 MB bundle took 510 MB to import). Writes into `OUT` (a folder; by default
//! `msht-import-memory` in the temporary folder): `hub.db`, a hub
//! that trusts one device, and the same bundle of about `MB` megabytes (default 200) of
//! events sealed both ways: `v2/` (frames, what `sync push` writes now, imported a frame
//! and an encounter at a time) and `v1/` (one sealed box, as before, still read whole).
//! Then measure with `/usr/bin/time -v` (see the README's Benchmarks table):
//!
//! ```text
//! OUT=/tmp/im MB=200 cargo bench --bench import_memory
//! cp /tmp/im/hub.db /tmp/im/h.db && /usr/bin/time -v msht --db /tmp/im/h.db sync import /tmp/im/v2
//! ```

use std::fs;
use std::path::PathBuf;

use msht::record::{Event, EventBody, GENESIS_HASH};
use msht::store::Store;
use msht::sync;

const EVENTS_PER_ENCOUNTER: u32 = 20;

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
                text: format!(
                    "observation {seq}: worker appeared fearful and did not hold own ID; {}",
                    "x".repeat(200)
                ),
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

fn main() {
    let out = std::env::var("OUT").map_or_else(
        |_| std::env::temp_dir().join("msht-import-memory"),
        PathBuf::from,
    );
    let mb: usize = std::env::var("MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    for d in ["v1", "v2"] {
        fs::create_dir_all(out.join(d)).expect("folder");
    }
    let hub_path = out.join("hub.db");
    let _ = fs::remove_file(&hub_path);
    let mut hub = Store::open(&hub_path).expect("hub");
    let (_, hub_id) = sync::keys::hub_init(&mut hub).expect("hub keys");
    let device = uuid::Uuid::now_v7().to_string();
    let signer = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    hub.sync_trust(&msht::store::TrustedDevice {
        public: signer.verifying_key().as_bytes().to_vec(),
        device_id: device.clone(),
        name: "bench device".into(),
        fingerprint: sync::keys::fingerprint(signer.verifying_key().as_bytes()),
        trusted_at: String::new(),
        revoked_at: None,
    })
    .expect("trust");
    drop(hub);

    let mut events = Vec::new();
    let mut size = 0usize;
    while size < mb * 1_000_000 {
        for e in encounter(events.len(), &device) {
            size += serde_json::to_vec(&e).map_or(0, |v| v.len() + 1);
            events.push(e);
        }
    }
    let writer = sync::bundle::Writer {
        device_id: &device,
        for_hub: None,
        bundle_seq: 1,
        created_at: "2026-03-01T10:00:00.000Z",
        local_seq: (1, events.len() as u64),
    };
    let (m, hash, bytes) = sync::bundle::encode(&writer, &events).expect("bundle");
    drop(events);
    let name = sync::bundle::file_name(&m, &hash);
    let v2 = sync::seal::seal(&hub_id.key, &signer, &bytes).expect("seal");
    fs::write(out.join("v2").join(&name), &v2).expect("write");
    drop(v2);
    let v1 = sync::seal::seal_v1(&hub_id.key, &signer, &bytes).expect("seal v1");
    fs::write(out.join("v1").join(&name), &v1).expect("write");
    println!(
        "{}: hub.db, and one bundle of {} events ({:.1} MB) in v1/ and v2/",
        out.display(),
        m.event_count,
        v1.len() as f64 / 1e6
    );
}
