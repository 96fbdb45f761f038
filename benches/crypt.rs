//! What encryption at rest costs (not a test): `cargo bench --bench crypt`.
//!
//! Reports medians, plaintext beside SQLCipher with a raw key (the key every command uses
//! once unwrapped), and the ratio:
//! - opening an existing database (open, key, probe, schema check);
//! - unwrapping the key from the passphrase file (Argon2id at the shipped costs);
//! - durable single-event appends per second (`synchronous=FULL`, WAL);
//! - hub import throughput (`sync::import_paths`, events per second), `CRYPT_BENCH_EVENTS`
//!   events (default 200,000) in bundles of 10,000.
//!
//! Files go in `target/tmp/crypt-bench/` (a real disk, so fsync costs what it costs).

use std::path::{Path, PathBuf};
use std::time::Instant;

use msht::record::{Event, EventBody, GENESIS_HASH};
use msht::store::key::{DbKey, KDF_M_KIB, KDF_P, KDF_T, Passphrase, WrappedKey};
use msht::store::{KeySource, Store};
use msht::sync;

const RUNS: usize = 5;
const OPENS: usize = 20;
const APPENDS: usize = 300;

fn main() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("crypt-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench folder");
    let key = DbKey::random().expect("key");
    println!(
        "encryption benchmark, files in {}; medians of {RUNS} runs\n",
        dir.display()
    );

    let (plain, enc) = (dir.join("open-plain.db"), dir.join("open-enc.db"));
    seed(&plain, None, 200);
    seed(&enc, Some(&key), 200);
    let open_plain = median(|_| per_open(&plain, None));
    let open_enc = median(|_| per_open(&enc, Some(&key)));
    row(
        "open an existing database (ms)",
        open_plain * 1e3,
        open_enc * 1e3,
    );

    let pass = Passphrase::new("correct horse battery staple".into());
    let wrapped = WrappedKey::wrap(&key, &pass).expect("wrap");
    let unwrap = median(|_| {
        let t = Instant::now();
        wrapped.unwrap(&pass, &enc).expect("unwrap");
        t.elapsed().as_secs_f64()
    });
    println!(
        "  passphrase unwrap (Argon2id m={} MiB t={KDF_T} p={KDF_P}): {:.0} ms, once per command\n",
        KDF_M_KIB / 1024,
        unwrap * 1e3
    );

    // Interleaved, so a busy disk hits both alike.
    let (mut a_plain, mut a_enc) = (Vec::new(), Vec::new());
    for r in 0..RUNS {
        a_plain.push(appends(&dir.join(format!("append-plain-{r}.db")), None));
        a_enc.push(appends(&dir.join(format!("append-enc-{r}.db")), Some(&key)));
    }
    row(
        "durable single-event appends (/s)",
        median(|r| a_plain[r]),
        median(|r| a_enc[r]),
    );

    let events: usize = std::env::var("CRYPT_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let inbox = dir.join("inbox");
    make_bundles(&inbox, events);
    let (mut i_plain, mut i_enc) = (Vec::new(), Vec::new());
    for r in 0..3 {
        i_plain.push(import(&dir.join(format!("hub-plain-{r}.db")), &inbox, None));
        i_enc.push(import(
            &dir.join(format!("hub-enc-{r}.db")),
            &inbox,
            Some(&key),
        ));
    }
    i_plain.sort_by(f64::total_cmp);
    i_enc.sort_by(f64::total_cmp);
    row(
        &format!("hub import of {events} events (events/s)"),
        events as f64 / i_plain[1],
        events as f64 / i_enc[1],
    );
}

fn row(what: &str, plain: f64, enc: f64) {
    println!("{what}:");
    println!("  plaintext                 {plain:>12.1}");
    println!("  SQLCipher, raw key        {enc:>12.1}");
    println!("  encrypted / plaintext     {:>12.2}\n", enc / plain);
}

fn median(mut f: impl FnMut(usize) -> f64) -> f64 {
    let mut v: Vec<f64> = (0..RUNS).map(&mut f).collect();
    v.sort_by(f64::total_cmp);
    v[RUNS / 2]
}

fn open(path: &Path, key: Option<&DbKey>) -> Store {
    match key {
        Some(k) => Store::open_with(path, KeySource::Raw(k.clone())),
        None => Store::open(path),
    }
    .expect("open")
}

fn created(i: usize) -> EventBody {
    EventBody::Created {
        officer: format!("PC {}", 1000 + i % 300),
        location: format!("Unit {}, Riverside Industrial Estate", i % 97),
        checklist: "general".into(),
        checklist_title: "General screen".into(),
        guidance_version: "2026.11.0".into(),
        guidance_hash: "ab".repeat(32),
    }
}

fn note(i: usize) -> EventBody {
    EventBody::NoteAdded {
        text: format!("observation {i}: worker appeared fearful and did not hold own ID"),
    }
}

fn seed(path: &Path, key: Option<&DbKey>, n: usize) {
    let mut s = open(path, key);
    for i in 0..n {
        s.record_encounter(created(i), (0..9).map(note).collect())
            .expect("seed");
    }
}

/// Seconds per open of an existing database, averaged over `OPENS`.
fn per_open(path: &Path, key: Option<&DbKey>) -> f64 {
    let t = Instant::now();
    for _ in 0..OPENS {
        drop(open(path, key));
    }
    t.elapsed().as_secs_f64() / OPENS as f64
}

fn appends(path: &Path, key: Option<&DbKey>) -> f64 {
    let mut s = open(path, key);
    let id = s.create_encounter(created(0)).expect("create").encounter_id;
    let t = Instant::now();
    for i in 0..APPENDS {
        s.append(&id, note(i)).expect("append");
    }
    APPENDS as f64 / t.elapsed().as_secs_f64()
}

/// Bundles of 10,000 events, 20 per encounter, from ten devices.
fn make_bundles(inbox: &Path, total: usize) {
    std::fs::create_dir_all(inbox).expect("inbox");
    let devices: Vec<String> = (0..10).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let (mut made, mut bundle_no) = (0usize, 0u64);
    while made < total {
        let device = &devices[bundle_no as usize % devices.len()];
        let mut events: Vec<Event> = Vec::with_capacity(10_000);
        while events.len() < 10_000 && made < total {
            let enc = uuid::Uuid::now_v7().to_string();
            let mut prev = GENESIS_HASH.to_string();
            for seq in 1..=20u32 {
                let body = if seq == 1 { created(made) } else { note(made) };
                let e = Event::new(
                    uuid::Uuid::now_v7().to_string(),
                    enc.clone(),
                    seq,
                    "2026-03-01T10:00:00.000Z".into(),
                    "+00:00".into(),
                    device.clone(),
                    prev,
                    body,
                )
                .expect("event");
                prev = e.hash.clone();
                events.push(e);
                made += 1;
            }
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
        std::fs::write(inbox.join(sync::bundle::file_name(&m, &hash)), bytes).expect("bundle");
    }
}

/// Seconds to import the whole inbox into a fresh hub.
fn import(hub: &Path, inbox: &Path, key: Option<&DbKey>) -> f64 {
    let mut s = open(hub, key);
    let t = Instant::now();
    sync::import_paths(
        &mut s,
        &msht::guidance::load(None).expect("guidance"),
        &[inbox.to_path_buf()],
        &mut |_| {},
    )
    .expect("import");
    t.elapsed().as_secs_f64()
}
