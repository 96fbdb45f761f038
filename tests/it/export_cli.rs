//! `msht export` run as the real binary against temporary databases: the round trip from
//! `check --answers` through `encounters amend` to every export format, the Duty to Notify
//! copy, `--out` safety, unknown ids and void records.

use crate::common::{db, msht};

use std::path::Path;

use msht::record::Event;
use serde_json::Value;

/// Identifying details planted in the adult's record; none may reach a DtN copy.
const IDENTIFYING: &[&str] = &[
    "Maria Popescu",
    "12/03/1999",
    "07700 900123",
    "14 Acacia Avenue",
    "LS1 4AB",
];

/// Runs `check --answers` with `answers` (a JSON value) and returns the encounter id.
fn check(db: &Path, answers: Value) -> String {
    let dir = db.parent().unwrap();
    let file = dir.join(format!("answers-{}.json", rand_suffix()));
    std::fs::write(&file, answers.to_string()).unwrap();
    let out = msht(db)
        .args(["check", "--json", "--answers"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["encounter_id"].as_str().unwrap().to_string()
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::SeqCst).to_string()
}

fn adult(db: &Path) -> String {
    let id = check(
        db,
        serde_json::json!({
            "checklist": "general",
            "officer": "PC 4521",
            "location": "Sparkle car wash, 14 Acacia Avenue, Leeds LS1 4AB",
            "answers": {
                "general_nation": "england",
                "general_danger": "no",
                "general_age": "no",
                "general_documents": "no",
                "general_debt": "unsure",
                "general_controller_present": "yes",
                "general_consent_alone": "yes",
                "general_consent_understood": "yes",
                "general_consent_explained": "yes",
                "general_nrm_consent": "declines"
            },
            "notes": [
                "Name given as Maria Popescu, born 12/03/1999.",
                "Says \"the boss\", keeps her passport;\nlives on site."
            ]
        }),
    );
    msht(db)
        .args(["encounters", "amend", &id, "--reason"])
        .arg("Rechecked with Maria Popescu on 07700 900123")
        .args(["--question", "general_debt", "--answer", "yes"])
        .assert()
        .success();
    id
}

fn child(db: &Path) -> String {
    check(
        db,
        serde_json::json!({
            "checklist": "general",
            "officer": "PC 4521",
            "location": "Unit 3, Mill Lane",
            "answers": {
                "general_nation": "england",
                "general_danger": "no",
                "general_age": "unsure",
                "general_documents": "no"
            }
        }),
    )
}

fn stdout(db: &Path, args: &[&str]) -> String {
    let out = msht(db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn schema_errors(v: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(msht::export::JSON_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn round_trip_check_amend_export() {
    let (_d, db) = db();
    let id = adult(&db);
    let stored: Vec<Event> = crate::common::open(&db).events(&id).unwrap();
    assert!(stored.len() > 5);

    // JSON: every event, in order, exactly as stored; valid against the schema.
    let json: Value =
        serde_json::from_str(&stdout(&db, &["export", &id, "--format", "json"])).unwrap();
    let errs = schema_errors(&json);
    assert!(errs.is_empty(), "{errs:#?}");
    let events: Vec<Event> = serde_json::from_value(json["events"].clone()).unwrap();
    assert_eq!(events, stored);
    let types: Vec<&str> = events.iter().map(|e| e.body.type_name()).collect();
    assert_eq!(types.first(), Some(&"created"));
    assert_eq!(types.last(), Some(&"amended"));
    assert_eq!(json["event_count"], stored.len());
    assert_eq!(json["head_hash"], stored.last().unwrap().hash.as_str());
    assert!(
        json["amendments"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("Rechecked")
    );
    let debt = json["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "general_debt")
        .unwrap();
    assert_eq!(debt["answer"]["kind"], "yes");
    assert_eq!(debt["earlier"][0]["answer"]["kind"], "unsure");

    // Markdown: every answered question, as shown.
    let md = stdout(&db, &["export", &id[..13], "--format", "md"]);
    let md_flat = flat(&md);
    for a in json["answers"].as_array().unwrap() {
        let q = flat(a["question_text"].as_str().unwrap());
        assert!(md_flat.contains(&q), "Markdown misses: {q}");
    }
    assert!(
        md.trim_end()
            .ends_with(stored.last().unwrap().hash.as_str())
    );
    for l in md.lines() {
        assert!(l.chars().count() <= 80, "over 80 columns: {l}");
    }

    // CSV: parses back to the values of the JSON export.
    let csv_text = stdout(&db, &["export", &id, "--format", "csv"]);
    let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    let col = |name: &str| -> String {
        let i = header.iter().position(|h| h == name).unwrap();
        rows[0][i].to_string()
    };
    assert_eq!(col("encounter_id"), id);
    assert_eq!(col("status"), "complete");
    assert_eq!(col("location"), json["location"].as_str().unwrap());
    assert_eq!(col("event_count"), stored.len().to_string());
    assert_eq!(col("head_hash"), json["head_hash"].as_str().unwrap());
    assert_eq!(
        col("guidance_hash"),
        json["guidance"]["hash"].as_str().unwrap()
    );
    let notes: Vec<&str> = json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert_eq!(col("notes"), notes.join("\n"));
    let answers: Value = serde_json::from_str(&col("answers")).unwrap();
    for a in json["answers"].as_array().unwrap() {
        let value = a["answer"]["value"]
            .as_str()
            .or(a["answer"]["kind"].as_str())
            .unwrap();
        assert_eq!(answers[a["question"].as_str().unwrap()], value);
    }

    // JSONL of everything: one valid encounter per line; no progress bar or summary on
    // a stderr that is not a terminal.
    let o = msht(&db).args(["export", "--all"]).output().unwrap();
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), 1);
    let v: Value = serde_json::from_str(lines[0]).unwrap();
    assert!(schema_errors(&v).is_empty());
    assert_eq!(v, json);
}

#[test]
fn dtn_copy_has_no_identifying_detail() {
    let (_d, db) = db();
    let id = adult(&db);
    for format in ["md", "json", "csv"] {
        let out = msht(&db)
            .args(["export", &id, "--for", "dtn", "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        for detail in IDENTIFYING {
            assert!(!text.contains(detail), "{format}: '{detail}' survived");
        }
        let told = String::from_utf8(out.stderr).unwrap();
        assert!(told.contains("leaves out"), "{told}");
        assert!(told.contains("location"), "{told}");
        if format == "json" {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert!(schema_errors(&v).is_empty());
            assert_eq!(v["audience"], "dtn");
            assert!(v["location"].is_null());
            assert!(v.get("events").is_none());
        }
    }
}

#[test]
fn dtn_is_refused_for_a_child() {
    let (_d, db) = db();
    let id = child(&db);
    let out = msht(&db)
        .args(["export", &id, "--for", "dtn"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("never used for a child"), "{err}");
    assert!(err.contains("NRM referral"), "{err}");
}

#[test]
fn out_is_owner_only_atomic_and_never_overwrites_without_force() {
    let (d, db) = db();
    let id = adult(&db);
    let out = d.path().join("record.md");
    let o = msht(&db)
        .args(["export", &id, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("readable by you only"));
    let first = std::fs::read_to_string(&out).unwrap();
    assert!(first.starts_with("# Encounter record"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "export must be owner-only");
    }

    let o = msht(&db)
        .args(["export", &id, "--format", "json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), first, "unchanged");

    msht(&db)
        .args(["export", &id, "--format", "json", "--force", "--out"])
        .arg(&out)
        .assert()
        .success();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["encounter_id"], id.as_str());
    // Only the database files and the export: no temporary file left behind.
    let leftovers: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // --all to a file is owner-only too, and --json reports what was written.
    let all = d.path().join("all.jsonl");
    let o = msht(&db)
        .args(["--json", "export", "--all", "--out"])
        .arg(&all)
        .output()
        .unwrap();
    assert!(o.status.success());
    let summary: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["exported"], 1);
    assert_eq!(summary["format"], "jsonl");
    assert_eq!(std::fs::read_to_string(&all).unwrap().lines().count(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&all).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn unknown_or_ambiguous_id_is_66_with_nearest_ids() {
    let (_d, db) = db();
    let a = adult(&db);
    let b = child(&db);
    let mut wrong = a.clone();
    // Change the last character: close to a real id, but not one.
    let last = if wrong.ends_with('0') { '1' } else { '0' };
    wrong.pop();
    wrong.push(last);
    let out = msht(&db).args(["export", &wrong]).output().unwrap();
    assert_eq!(out.status.code(), Some(66));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&a), "nearest id named: {err}");

    // UUIDv7 ids made in the same second share their start.
    let common: String = a
        .chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect();
    // Both ids carry the same millisecond timestamp's top bits, so they share a prefix.
    assert!(
        !common.is_empty(),
        "ids made together share a prefix: {a} {b}"
    );
    let out = msht(&db).args(["export", &common]).output().unwrap();
    assert_eq!(out.status.code(), Some(66));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than one"));
}

#[test]
fn void_exports_only_with_include_void_and_is_marked() {
    let (_d, db) = db();
    let id = adult(&db);
    let kept = child(&db);
    msht(&db)
        .args(["encounters", "void", &id, "--reason", "Duplicate record"])
        .assert()
        .success();

    let out = msht(&db).args(["export", &id]).output().unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--include-void"));

    let md = stdout(&db, &["export", &id, "--include-void"]);
    assert!(md.contains("VOID"));
    let v: Value =
        serde_json::from_str(&stdout(&db, &["export", &id, "--include-void", "--json"])).unwrap();
    assert_eq!(v["status"], "void");
    assert_eq!(v["void"]["voided"], true);
    assert_eq!(v["void"]["reason"], "Duplicate record");
    assert!(schema_errors(&v).is_empty());

    // --all leaves it out unless asked.
    let all = stdout(&db, &["export", "--all"]);
    assert_eq!(all.lines().count(), 1);
    assert!(all.contains(&kept));
    let all = stdout(&db, &["export", "--all", "--include-void"]);
    assert_eq!(all.lines().count(), 2);
    let csv_all = stdout(
        &db,
        &[
            "export",
            "--all",
            "--format",
            "csv",
            "--status",
            "void",
            "--include-void",
        ],
    );
    let mut rd = csv::Reader::from_reader(csv_all.as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], id.as_str());
    assert_eq!(&rows[0][1], "void");
}

#[test]
fn usage_errors_are_64() {
    let (_d, db) = db();
    adult(&db);
    for args in [
        vec!["export"],
        vec!["export", "--all", "--format", "md"],
        vec!["export", "--all", "--for", "dtn"],
        vec!["export", "--all", "--status", "void"],
        vec!["export", "abc", "--since", "2026-01-01"],
    ] {
        let out = msht(&db).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}");
    }
    let out = msht(&db)
        .args(["export", "--all", "--since", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn since_filters_and_schema_is_published() {
    let (_d, db) = db();
    adult(&db);
    assert_eq!(
        stdout(&db, &["export", "--all", "--since", "2999-01-01"])
            .lines()
            .count(),
        0
    );
    assert_eq!(
        stdout(&db, &["export", "--all", "--since", "2000-01-01"])
            .lines()
            .count(),
        1
    );
    let schema: Value = serde_json::from_str(&stdout(&db, &["export", "--schema"])).unwrap();
    assert_eq!(schema["properties"]["schema_version"]["const"], 2);
    // The file in the repository is the one the binary prints.
    let in_repo = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/export/encounter.schema.json"),
    )
    .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&in_repo).unwrap(), schema);
}

/// `export --out DEVICE --force` never replaces a device node (issue 18).
#[test]
fn export_out_a_device_is_refused_even_with_force() {
    let (_d, db) = db();
    let id = adult(&db);
    let out = msht(&db)
        .args(["export", &id, "--out", "/dev/null", "--force"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a regular file"), "{err}");
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}
