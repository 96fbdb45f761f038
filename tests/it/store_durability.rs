//! The store's promises under stress: SIGKILL at random moments loses nothing acknowledged,
//! two processes appending at once both succeed and lose nothing, and the files stay
//! owner-only.
//!
//! The writers are this same test binary re-run with `--exact --ignored <child test>` and
//! an environment variable telling the child what to do. The child tests are `#[ignore]`d
//! helpers, so a normal `cargo test` run lists them as ignored rather than as passes.

use crate::common::created;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use msht::engine::Answer;
use msht::record::EventBody;
use msht::store::{ListFilter, Store};

const CHILD_DB: &str = "MSHT_STORE_TEST_CHILD_DB";
const CHILD_SHARED: &str = "MSHT_STORE_TEST_CHILD_SHARED";
const CHILD_COUNT: &str = "MSHT_STORE_TEST_CHILD_COUNT";

fn note(i: usize) -> EventBody {
    EventBody::NoteAdded {
        text: format!("note {i}"),
    }
}

/// Re-runs this test binary as a child running only `test`.
fn spawn_child(test: &str, envs: &[(&str, &str)]) -> Child {
    let mut c = Command::new(std::env::current_exe().unwrap());
    let name = format!("store_durability::{test}");
    c.args([
        "--exact",
        &name,
        "--ignored",
        "--nocapture",
        "--test-threads",
        "1",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, v) in envs {
        c.env(k, v);
    }
    c.spawn().unwrap()
}

/// A cheap random number without a dependency: the std hasher is seeded randomly.
fn random(below: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish() % below.max(1)
}

fn acked(line: &str) -> Option<String> {
    line.strip_prefix("ACK ").map(|s| s.trim().to_string())
}

/// After a crash: the file opens, SQLite finds it sound, every chain verifies, and every
/// event id in `acked` is stored.
fn check_after_crash(path: &Path, acked: &HashSet<String>) {
    let s = Store::open(path).unwrap();
    assert_eq!(s.integrity_check().unwrap(), vec!["ok".to_string()]);
    assert!(s.verify_all().unwrap().is_clean());
    let mut stored = HashSet::new();
    s.for_each_encounter(&ListFilter::default(), &mut |events| {
        stored.extend(events.into_iter().map(|e| e.id));
        Ok(())
    })
    .unwrap();
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged events lost: {lost:?}");
}

/// The crash victim: appends forever, one durable event per call, printing each id only
/// after `append` returned. Every few events it records a whole encounter in one
/// transaction, and completes and amends, so kills land in every kind of write.
#[test]
#[ignore = "helper: run as a child process by sigkill_at_random_moments_loses_nothing_acknowledged"]
fn crash_child() {
    let Ok(db) = std::env::var(CHILD_DB) else {
        return;
    };
    // libtest has printed "test crash_child ... " without a newline; end that line.
    println!();
    let mut s = Store::open(Path::new(&db)).unwrap();
    let mut i = 0usize;
    loop {
        let first = s.create_encounter(created("PC 1")).unwrap();
        println!("ACK {}", first.id);
        for _ in 0..5 {
            i += 1;
            let e = s.append(&first.encounter_id, note(i)).unwrap();
            println!("ACK {}", e.id);
        }
        let e = s
            .append(
                &first.encounter_id,
                EventBody::Completed {
                    indicators: vec![],
                    duties: vec![],
                },
            )
            .unwrap();
        println!("ACK {}", e.id);
        let e = s
            .append(
                &first.encounter_id,
                EventBody::Amended {
                    reason: "late detail".into(),
                    question: Some("general_age".into()),
                    answer: Some(Answer::Unsure),
                    note: None,
                },
            )
            .unwrap();
        println!("ACK {}", e.id);
        let all = s
            .record_encounter(created("PC 2"), (0..10).map(note).collect())
            .unwrap();
        for e in all {
            println!("ACK {}", e.id);
        }
    }
}

#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let db = path.to_str().unwrap();
    let mut all_acked = HashSet::new();
    for round in 0..24 {
        let mut child = spawn_child("crash_child", &[(CHILD_DB, db)]);
        let stdout = child.stdout.take().unwrap();
        // Read on a thread so the kill can land while the child is mid-write; the first
        // acknowledgement is signalled so the kill waits for real writes, not a fixed delay
        // that a loaded machine could outrun.
        let (first_ack, first_ack_seen) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(id) = acked(&l) {
                    if got.is_empty() {
                        let _ = first_ack.send(());
                    }
                    got.push(id);
                }
            }
            got
        });
        let _ = first_ack_seen.recv_timeout(Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(random(60)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let got = reader.join().unwrap();
        all_acked.extend(got);
        check_after_crash(&path, &all_acked);
        assert!(
            !all_acked.is_empty(),
            "the child never acknowledged anything in round {round}"
        );
    }
    eprintln!("{} acknowledged events survived 24 kills", all_acked.len());
    assert!(all_acked.len() > 24, "too few writes to mean much");
}

/// A concurrent writer: its own encounter plus the shared one, every append its own commit.
#[test]
#[ignore = "helper: run as a child process by two_processes_append_at_once_and_lose_nothing"]
fn concurrent_child() {
    let (Ok(db), Ok(shared), Ok(n)) = (
        std::env::var(CHILD_DB),
        std::env::var(CHILD_SHARED),
        std::env::var(CHILD_COUNT),
    ) else {
        return;
    };
    let n: usize = n.parse().unwrap();
    println!();
    let mut s = Store::open(Path::new(&db)).unwrap();
    let own = s.create_encounter(created("PC 3")).unwrap();
    println!("ACK {}", own.id);
    for i in 0..n {
        let e = s.append(&own.encounter_id, note(i)).unwrap();
        println!("ACK {}", e.id);
        let e = s.append(&shared, note(i)).unwrap();
        println!("ACK {}", e.id);
    }
    println!("DONE");
}

#[test]
fn two_processes_append_at_once_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.db");
    let shared = Store::open(&path)
        .unwrap()
        .create_encounter(created("PC 1"))
        .unwrap()
        .encounter_id;
    let n = 60;
    let envs = |p: &PathBuf| {
        vec![
            (CHILD_DB, p.to_str().unwrap().to_string()),
            (CHILD_SHARED, shared.clone()),
            (CHILD_COUNT, n.to_string()),
        ]
    };
    let children: Vec<Child> = (0..2)
        .map(|_| {
            let e = envs(&path);
            let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
            spawn_child("concurrent_child", &e)
        })
        .collect();
    let mut acked = HashSet::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "a writer failed");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("DONE"), "a writer stopped early:\n{text}");
        acked.extend(text.lines().filter_map(acked_line));
    }
    assert_eq!(acked.len(), 2 * (1 + 2 * n));
    check_after_crash(&path, &acked);
    let s = Store::open(&path).unwrap();
    let st = s.encounter(&shared).unwrap();
    assert_eq!(
        st.event_count,
        1 + 2 * n,
        "both writers' events on one chain"
    );
    assert_eq!(s.count().unwrap(), 3);
}

#[test]
fn a_new_database_opened_by_several_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new").join("fresh.db");
    // Each records an encounter: commands that only read never create a database.
    let children: Vec<Child> = (0..4)
        .map(|_| {
            let mut c = Command::new(env!("CARGO_BIN_EXE_msht"))
                .args(["check", "--answers", "-", "--json"])
                .env("MSHT_DB", &path)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let answers =
                r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#;
            std::io::Write::write_all(c.stdin.as_mut().unwrap(), answers.as_bytes()).unwrap();
            drop(c.stdin.take());
            c
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(
        s.schema_version().unwrap(),
        msht::store::MIGRATIONS.len() as i64
    );
}

fn acked_line(l: &str) -> Option<String> {
    acked(l)
}

#[cfg(unix)]
#[test]
fn database_wal_and_shm_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep").join("er").join("m.db");
    let mut s = Store::open(&path).unwrap();
    let id = s.create_encounter(created("PC 1")).unwrap().encounter_id;
    s.append(&id, note(1)).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    // While the store is open the log and shared-memory files exist.
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        assert_eq!(mode(Path::new(&p)), 0o600, "{suffix}");
    }
    assert_eq!(
        mode(path.parent().unwrap()),
        0o700,
        "created folders are private"
    );
    drop(s);

    // A database someone made readable is put back to owner-only when opened.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
}
