//! The review queue at 100,000 encounters (not a test): `cargo bench --bench review`.
//!
//! Builds a database of `REVIEW_BENCH_ENCOUNTERS` (default 100,000) real encounters (the
//! answers-file planner's events under the built-in guidance, a mix of adults who consent
//! or decline, children and screens with no indicators, about a quarter with their duties
//! recorded done), imported through the store as a hub receives them. Then reports:
//! - the first `review` after the import (every row derived once: the cold cost a hub pays
//!   once after a large import);
//! - the queue once rows are current (first page, `--overdue`, `--officer`), library call;
//! - the queue after one new event (one row re-derived, then the query);
//! - `msht review` and `msht review --json --all` end to end (process, open, guidance).
//!
//! Medians of `RUNS` runs. The target is under 50 ms for the queue. The project's benches
//! use their own small harness (criterion is not a dependency), so this one does too.
//! Files go in `target/tmp/review-bench/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use msht::answers::{AnswersFile, plan};
use msht::follow::{DutyUpdate, queue, record_duty};
use msht::guidance::Guidance;
use msht::record::{DutyProgress, Event, EventBody, GENESIS_HASH};
use msht::store::{ReviewFilter, Store};

const RUNS: usize = 21;

/// Answers files for the mix: an adult who declines, one who consents (Wales), a child,
/// and a screen with no indicators.
const KINDS: [&str; 4] = [
    r#"{"checklist":"general","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"yes","general_debt":"yes","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"declines"}}"#,
    r#"{"checklist":"general","answers":{"general_nation":"wales","general_danger":"no","general_age":"no","general_documents":"yes","general_debt":"yes","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"consents"}}"#,
    r#"{"checklist":"general","answers":{"general_nation":"england","general_danger":"no","general_age":"yes","general_controller_present":"yes","child_adult_no_pr":"yes","general_child_harm":"yes"}}"#,
    r#"{"checklist":"general","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no"}}"#,
];

fn main() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("review-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench folder");
    let n: usize = std::env::var("REVIEW_BENCH_ENCOUNTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let g = msht::guidance::load(None).expect("guidance");
    let db = dir.join("hub.db");
    let t = Instant::now();
    let events = build(&db, &g, n);
    println!(
        "review benchmark: {n} encounters ({events} events) imported in {:.1} s; medians of {RUNS} runs\n",
        t.elapsed().as_secs_f64()
    );
    let mut store = Store::open(&db).expect("open");

    let t = Instant::now();
    let (_, total) = queue(&mut store, &g, &page()).expect("queue");
    println!(
        "first review after the import (every row derived once): {:.1} s; {total} encounters in the queue",
        t.elapsed().as_secs_f64()
    );

    let now = msht::time::now_utc();
    let filters = [
        ("first page (50), oldest first", page()),
        (
            "--overdue",
            ReviewFilter {
                due_before: Some(now),
                ..page()
            },
        ),
        (
            "--officer PC 1007",
            ReviewFilter {
                officer: Some("PC 1007".into()),
                ..page()
            },
        ),
    ];
    println!("\nthe queue with its rows current (library call, refresh included):");
    for (name, f) in &filters {
        let ms = median(|_| {
            let t = Instant::now();
            let (rows, total) = queue(&mut store, &g, f).expect("queue");
            std::hint::black_box((rows, total));
            t.elapsed().as_secs_f64() * 1e3
        });
        println!("  {name:<34} {ms:>8.2} ms");
    }

    let ids: Vec<String> = store
        .list(&msht::store::ListFilter {
            status: Some(msht::record::Status::Complete),
            limit: Some(RUNS),
            ..Default::default()
        })
        .expect("list")
        .into_iter()
        .map(|s| s.id)
        .collect();
    let ms = median(|r| {
        let id = &ids[r % ids.len()];
        let mut s = store.encounter(id).expect("encounter");
        let _ = msht::engine::derive(&g, &mut s);
        let _ = record_duty(
            &mut store,
            &g,
            &s,
            DutyUpdate {
                duty: "supervisor".into(),
                outcome: DutyProgress::InProgress,
                officer: "PC 1".into(),
                reference: String::new(),
                reason: String::new(),
                note: String::new(),
            },
        );
        let t = Instant::now();
        let (rows, _) = queue(&mut store, &g, &page()).expect("queue");
        std::hint::black_box(rows);
        t.elapsed().as_secs_f64() * 1e3
    });
    println!("  after one new event (1 row re-derived) {ms:>6.2} ms");
    drop(store);

    println!("\nend to end (process start, open, guidance, query, print):");
    let bin = env!("CARGO_BIN_EXE_msht");
    for args in [
        vec!["review"],
        vec!["review", "--overdue"],
        vec!["review", "--json", "--all"],
    ] {
        let ms = median(|_| {
            let t = Instant::now();
            let ok = Command::new(bin)
                .args(&args)
                .env("MSHT_DB", &db)
                .env("MSHT_CONFIG", dir.join("none.toml"))
                .stdout(Stdio::null())
                .status()
                .expect("msht")
                .success();
            assert!(ok, "msht {args:?} failed");
            t.elapsed().as_secs_f64() * 1e3
        });
        println!("  msht {:<30} {ms:>8.1} ms", args.join(" "));
    }
}

fn page() -> ReviewFilter {
    ReviewFilter {
        limit: Some(50),
        ..Default::default()
    }
}

fn median(mut f: impl FnMut(usize) -> f64) -> f64 {
    let mut v: Vec<f64> = (0..RUNS).map(&mut f).collect();
    v.sort_by(f64::total_cmp);
    v[RUNS / 2]
}

/// The planned event bodies of each kind, once (the planner is the same for each copy).
fn templates(g: &Guidance) -> Vec<(EventBody, Vec<EventBody>)> {
    KINDS
        .iter()
        .map(|k| {
            let file = AnswersFile::parse(k).expect("answers");
            let p =
                plan(g, &file, "PC 1", "Industrial Estate").unwrap_or_else(|e| panic!("plan: {e}"));
            (p.created, p.rest)
        })
        .collect()
}

/// Imports `n` encounters spread over the past year; returns the number of events.
fn build(path: &Path, g: &Guidance, n: usize) -> usize {
    let mut store = Store::open(path).expect("create");
    let kinds = templates(g);
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 365);
    let mut batch = Vec::new();
    let mut total = 0;
    for i in 0..n {
        let (created, rest) = &kinds[i % kinds.len()];
        let mut bodies = vec![match created {
            EventBody::Created {
                location,
                checklist,
                checklist_title,
                guidance_version,
                guidance_hash,
                ..
            } => EventBody::Created {
                officer: format!("PC {}", 1000 + i % 400),
                location: location.clone(),
                checklist: checklist.clone(),
                checklist_title: checklist_title.clone(),
                guidance_version: guidance_version.clone(),
                guidance_hash: guidance_hash.clone(),
            },
            other => other.clone(),
        }];
        bodies.extend(rest.iter().cloned());
        if i % 4 == 0 {
            bodies.extend(done_outcomes(rest));
        }
        let base = start + jiff::SignedDuration::from_secs((i * 300) as i64);
        batch.extend(chain(&bodies, base));
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

/// "Done" with a reference for every duty stated at completion.
fn done_outcomes(rest: &[EventBody]) -> Vec<EventBody> {
    let Some(EventBody::Completed { duties, .. }) = rest.last() else {
        return Vec::new();
    };
    duties
        .iter()
        .map(|d| EventBody::DutyOutcome {
            duty: d.id.clone(),
            title: d.title.clone(),
            outcome: DutyProgress::Done,
            officer: "PC 1".into(),
            reference: format!("REF-{}", d.id),
            reason: String::new(),
            note: String::new(),
        })
        .collect()
}

fn chain(bodies: &[EventBody], base: jiff::Timestamp) -> Vec<Event> {
    let encounter_id = uuid::Uuid::now_v7().to_string();
    let mut prev = GENESIS_HASH.to_string();
    let mut out = Vec::with_capacity(bodies.len());
    for (k, body) in bodies.iter().enumerate() {
        let at = base + jiff::SignedDuration::from_secs(k as i64 * 5);
        let e = Event::new(
            uuid::Uuid::now_v7().to_string(),
            encounter_id.clone(),
            k as u32 + 1,
            msht::time::utc_string(at),
            "+00:00".into(),
            "bench".into(),
            prev,
            body.clone(),
        )
        .expect("event");
        prev = e.hash.clone();
        out.push(e);
    }
    out
}
