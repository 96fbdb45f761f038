//! Store benchmark (not a test): `cargo bench --bench store`.
//!
//! Reports, as medians of several runs:
//! - durable single-event appends per second (each its own `BEGIN IMMEDIATE` + commit
//!   with `synchronous=FULL`), beside the `sqlite3` shell doing single-row inserts in WAL
//!   with `synchronous=FULL` on the same disk as the baseline;
//! - bulk throughput: whole encounters recorded in one transaction each
//!   (`record_encounter`, 1 + 99 events);
//! - `msht encounters list` (first page, `--all --json`, `--status`) and `msht doctor`
//!   against a database of 100,000 encounters.
//!
//! Files go in `target/store-bench/` (a real disk, not tmpfs, so fsync costs what it
//! costs). Set `STORE_BENCH_ENCOUNTERS` for a smaller database while trying things out.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use msht::engine::Answer;
use msht::record::{Event, EventBody, GENESIS_HASH};
use msht::store::Store;

const RUNS: usize = 5;
const SINGLE_APPENDS: usize = 300;
const BULK_EVENTS: usize = 100;
const BULK_ENCOUNTERS: usize = 20;

fn main() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("store-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench folder");
    let big: usize = std::env::var("STORE_BENCH_ENCOUNTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);

    println!("store benchmark, files in {}", dir.display());
    println!("medians of {RUNS} runs\n");

    // Interleaved, so a busy disk (other builds on the machine) hits both alike.
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    for r in 0..RUNS {
        ours.push(single_appends(&dir.join(format!("single-{r}.db"))));
        base.push(sqlite3_inserts(&dir.join(format!("sqlite3-{r}.db"))));
    }
    let (ours, base) = (median(|r| ours[r]), median(|r| base[r]));
    println!("durable single-event appends (one commit each, synchronous=FULL, WAL):");
    println!("  msht store append         {ours:>10.0} /s");
    println!("  sqlite3 shell INSERT      {base:>10.0} /s   (baseline)");
    println!("  ratio msht / sqlite3      {:>10.2}\n", ours / base);

    let bulk = median(|r| bulk_appends(&dir.join(format!("bulk-{r}.db"))));
    println!(
        "bulk: record_encounter (1 created + {} events, one transaction):",
        BULK_EVENTS - 1
    );
    println!("  events                    {bulk:>10.0} /s");
    println!("  vs durable single appends {:>10.1}x\n", bulk / ours);

    let big_db = dir.join("big.db");
    let t = Instant::now();
    let events = build_big(&big_db, big);
    println!(
        "built {big} encounters ({events} events) through the store's import in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    println!(
        "  file size {:.1} MB",
        std::fs::metadata(&big_db).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );
    let bin = env!("CARGO_BIN_EXE_msht");
    for args in [
        vec!["encounters", "list"],
        vec!["encounters", "list", "--status", "void"],
        vec![
            "encounters",
            "list",
            "--since",
            "2026-06-01",
            "--limit",
            "20",
        ],
        vec!["encounters", "list", "--all", "--json"],
        vec!["doctor"],
    ] {
        let ms = median(|_| run_binary(bin, &big_db, &args)) * 1000.0;
        println!("  msht {:<46} {ms:>9.1} ms", args.join(" "));
    }
}

/// The median of `RUNS` measurements.
fn median(mut f: impl FnMut(usize) -> f64) -> f64 {
    let mut v: Vec<f64> = (0..RUNS).map(&mut f).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[RUNS / 2]
}

fn created(i: usize) -> EventBody {
    EventBody::Created {
        officer: format!("PC {}", 1000 + i % 300),
        location: format!("Unit {}, Riverside Industrial Estate", i % 97),
        checklist: ["general", "labour", "sexual", "criminal"][i % 4].into(),
        checklist_title: "General screen".into(),
        guidance_version: "2026.11.0".into(),
        guidance_hash: "211cf4a57b5cf9658192e7bc3695c9329ba0634f5bc4a976c3a0972aba291b6a".into(),
    }
}

fn answer(i: usize) -> EventBody {
    EventBody::AnswerGiven {
        question: format!("general_q{}", i % 12),
        question_text: "Do they hold their own passport or ID, and their own bank card?".into(),
        answer: [Answer::Yes, Answer::No, Answer::Unsure][i % 3].clone(),
    }
}

/// Appends per second, each append its own durable transaction.
fn single_appends(path: &Path) -> f64 {
    let mut s = Store::open(path).expect("open");
    let id = s.create_encounter(created(0)).expect("create").encounter_id;
    let t = Instant::now();
    for i in 0..SINGLE_APPENDS {
        s.append(&id, answer(i)).expect("append");
    }
    SINGLE_APPENDS as f64 / t.elapsed().as_secs_f64()
}

/// Events per second when a whole encounter is written in one transaction.
fn bulk_appends(path: &Path) -> f64 {
    let mut s = Store::open(path).expect("open");
    let t = Instant::now();
    for e in 0..BULK_ENCOUNTERS {
        let rest = (0..BULK_EVENTS - 1).map(answer).collect();
        s.record_encounter(created(e), rest).expect("record");
    }
    (BULK_ENCOUNTERS * BULK_EVENTS) as f64 / t.elapsed().as_secs_f64()
}

/// The baseline: the sqlite3 shell, WAL, synchronous=FULL, one autocommit INSERT per row
/// of about the size of one of our events.
fn sqlite3_inserts(path: &Path) -> f64 {
    let mut script = String::from(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n\
         CREATE TABLE t (id TEXT UNIQUE, enc TEXT, seq INTEGER, body TEXT);\n",
    );
    let t0 = Instant::now();
    run_sqlite3(path, &script);
    let setup = t0.elapsed();
    script.clear();
    let body = "x".repeat(300);
    for i in 0..SINGLE_APPENDS {
        script.push_str(&format!(
            "INSERT INTO t VALUES ('id-{i}', 'enc', {i}, '{body}');\n"
        ));
    }
    let t = Instant::now();
    run_sqlite3(path, &script);
    // Take off one shell start-up (measured above with a tiny script, upper bound).
    let elapsed = t
        .elapsed()
        .saturating_sub(setup.min(Duration::from_millis(5)));
    SINGLE_APPENDS as f64 / elapsed.as_secs_f64()
}

fn run_sqlite3(path: &Path, script: &str) {
    use std::io::Write;
    let mut c = Command::new("sqlite3")
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("sqlite3 is needed for the baseline");
    c.stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write to sqlite3");
    assert!(c.wait().expect("sqlite3").success());
}

/// Seconds for one run of the binary against `db`, output discarded.
fn run_binary(bin: &str, db: &Path, args: &[&str]) -> f64 {
    let t = Instant::now();
    let st = Command::new(bin)
        .args(args)
        .env("MSHT_DB", db)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .status()
        .expect("run msht");
    let s = t.elapsed().as_secs_f64();
    assert!(st.success(), "msht {args:?} failed");
    s
}

/// `n` encounters of 2 to 12 events with valid chains, written through the store's own
/// import path (as a hub receives them), a few thousand encounters per transaction:
/// building it through durable appends would take one fsync per event, and writing the
/// tables by hand would let a schema change silently break the benchmark.
fn build_big(path: &Path, n: usize) -> usize {
    let mut store = Store::open(path).expect("create");
    let start = jiff::Timestamp::from_second(1_764_000_000 - 365 * 86_400).expect("ts");
    let mut batch = Vec::new();
    let mut total = 0;
    for i in 0..n {
        batch.extend(encounter_events(i, start));
        if batch.len() >= 20_000 || i + 1 == n {
            total += batch.len();
            store
                .sync_import(&format!("bench-{i}"), "bench", "bench", &batch, &mut |_| {})
                .expect("import");
            batch.clear();
        }
    }
    total
}

/// One encounter's chain: created, answers, and for some a completion or a void.
fn encounter_events(i: usize, start: jiff::Timestamp) -> Vec<Event> {
    let encounter_id = uuid::Uuid::now_v7().to_string();
    let count = 2 + i % 11;
    let mut prev = GENESIS_HASH.to_string();
    let mut out = Vec::with_capacity(count);
    for seq in 1..=count {
        let ts = start
            .checked_add(jiff::SignedDuration::from_secs((i * 300 + seq * 7) as i64))
            .expect("time");
        let body = if seq == 1 {
            created(i)
        } else if seq == count && i.is_multiple_of(3) {
            EventBody::Completed {
                indicators: vec!["general_q1".into()],
                duties: vec![],
            }
        } else if seq == count && i % 10 == 1 {
            EventBody::Voided {
                reason: "duplicate".into(),
            }
        } else {
            answer(seq)
        };
        let e = Event::new(
            uuid::Uuid::now_v7().to_string(),
            encounter_id.clone(),
            seq as u32,
            msht::time::utc_string(ts),
            "+00:00".into(),
            "bench".into(),
            prev,
            body,
        )
        .expect("event");
        prev = e.hash.clone();
        out.push(e);
    }
    out
}
