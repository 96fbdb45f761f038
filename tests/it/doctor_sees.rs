//! `msht doctor` sees everything (issue 18): every summary row is re-derived from its
//! chain and every difference reported, and the report is printed even when a page of
//! the file is corrupt.

use crate::common::{db, msht};

use std::path::Path;

use serde_json::Value;

const ANSWERS: &str = r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"consents"}}"#;

fn sql(db: &Path, sql: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(sql).unwrap();
}

fn doctor_json(db: &Path) -> (Option<i32>, Value, String) {
    let out = msht(db).args(["doctor", "--json"]).output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_encounter_whose_events_were_all_deleted_is_reported() {
    let (_d, p) = db();
    let id = crate::common::record(&p, ANSWERS);
    sql(
        &p,
        &format!(
            "DROP TRIGGER events_append_only; DELETE FROM events WHERE encounter_id = '{id}';"
        ),
    );
    let out = msht(&p).arg("doctor").output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(65), "{report}");
    assert!(!report.contains("all 1 verified"), "{report}");
    assert!(report.contains(&id), "{report}");
    // show says the record was altered, not that it never existed.
    let out = msht(&p).args(["encounters", "show", &id]).output().unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RECORD ALTERED"));
    // export --all names the encounter, never an empty id.
    let out = msht(&p).args(["export", "--all"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(&id), "{err}");
}

#[test]
fn forged_summary_fields_are_each_reported() {
    let (_d, p) = db();
    let id = crate::common::record(&p, ANSWERS);
    sql(
        &p,
        &format!(
            "UPDATE encounters SET officer = 'PC 99', location = 'elsewhere', status = 'void'
             WHERE id = '{id}'"
        ),
    );
    let (code, v, err) = doctor_json(&p);
    assert_eq!(code, Some(65), "{err}");
    assert_eq!(v["ok"], false);
    let diffs = v["summary_differences"].as_array().unwrap();
    let fields: Vec<&str> = diffs.iter().map(|d| d["field"].as_str().unwrap()).collect();
    for f in ["officer", "location", "status"] {
        assert!(fields.contains(&f), "{fields:?}");
    }
    assert!(diffs.iter().all(|d| d["encounter_id"] == id.as_str()));
    let out = msht(&p).arg("doctor").output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("PC 99") && report.contains("PC 1"),
        "{report}"
    );
    // A forged status never lets prune remove a draft-by-its-events record... here the
    // record is complete, and prune refuses it while the summary is forged.
    let out = msht(&p).args(["sync", "prune"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Nothing to prune"));
}

/// Overwrites the middle of the events table's root page.
fn corrupt_events_page(p: &Path) {
    let (root, page_size): (i64, i64) = {
        let c = rusqlite::Connection::open(p).unwrap();
        c.pragma_update(None, "journal_mode", "DELETE").unwrap();
        (
            c.query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = 'events'",
                [],
                |r| r.get(0),
            )
            .unwrap(),
            c.pragma_query_value(None, "page_size", |r| r.get(0))
                .unwrap(),
        )
    };
    let mut bytes = std::fs::read(p).unwrap();
    let start = ((root - 1) * page_size) as usize;
    for b in &mut bytes[start..start + 64] {
        *b = 0xA5;
    }
    std::fs::write(p, bytes).unwrap();
}

#[test]
fn the_report_is_printed_even_when_a_page_is_corrupt() {
    let (_d, p) = db();
    for _ in 0..3 {
        crate::common::record(&p, ANSWERS);
    }
    corrupt_events_page(&p);
    let out = msht(&p).arg("doctor").output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_ne!(out.status.code(), Some(0));
    assert!(report.contains("integrity_check: FAILED"), "{report}");
    assert!(report.contains("device id:"), "{report}");
    let (code, v, err) = doctor_json(&p);
    assert_ne!(code, Some(0));
    assert_eq!(v["ok"], false, "no JSON report: {err}");
    assert!(v["integrity_check"][0] != "ok");
}
