//! `msht check --answers`: the guided checklist without a terminal, through the real binary.

use crate::common::msht;

use std::path::Path;

use serde_json::Value;

/// The `id` of every object in a JSON array.
fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect()
}

fn encounter_count(db: &Path) -> usize {
    if !db.exists() {
        return 0;
    }
    msht::store::Store::open(db)
        .unwrap()
        .list(&Default::default())
        .unwrap()
        .len()
}

#[test]
fn a_child_in_a_cannabis_grow_gives_prompts_and_duties_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let answers = r#"{"checklist": "general", "officer": "PC 42", "location": "grow house",
        "answers": {"general_nation": "england", "general_danger": "no", "general_age": "yes", "general_injury": "no", "general_documents": "no"}, "notes": "found upstairs"}"#;
    let out = msht(&db)
        .args(["check", "--answers", "-", "--json"])
        .write_stdin(answers)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "complete");
    assert!(v["encounter_id"].as_str().unwrap().len() >= 32);
    let prompts: Vec<&str> = ids(&v["welfare_prompts"]);
    assert!(prompts.iter().any(|p| p.contains("child")), "{prompts:?}");
    for p in v["welfare_prompts"].as_array().unwrap() {
        assert!(p["title"].is_string() && p["urgency"].is_string());
    }
    let duties: Vec<&str> = ids(&v["duties"]);
    assert!(duties.contains(&"nrm-referral"), "{duties:?}");
    assert!(
        !duties.contains(&"duty-to-notify"),
        "never for a child: {duties:?}"
    );
    assert!(v["indicators"].is_array());
    assert_eq!(encounter_count(&db), 1);
}

#[test]
fn an_adult_who_declines_gets_duty_to_notify_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let file = dir.path().join("answers.json");
    std::fs::write(
        &file,
        r#"{"checklist":"labour","officer":"PC 7","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"declines"}}"#,
    )
    .unwrap();
    let out = msht(&db)
        .args(["--json", "check", "--answers"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let duties: Vec<&str> = ids(&v["duties"]);
    assert!(duties.contains(&"duty-to-notify"), "{duties:?}");
    assert!(
        !duties.contains(&"nrm-referral"),
        "no NRM without consent: {duties:?}"
    );
}

#[test]
fn bad_answers_are_exit_65_naming_the_question_and_save_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let cases = [
        (
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no","no_such_question":"yes"}}"#,
            "no_such_question",
        ),
        (
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"perhaps"}}"#,
            "general_age",
        ),
        (
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_injury":"no"}}"#,
            "general_age",
        ),
        (
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_nrm_consent":"maybe"}}"#,
            "general_nrm_consent",
        ),
        (
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"yes","general_nrm_consent":"consents"}}"#,
            "general_nrm_consent",
        ),
        (
            r#"{"checklist":"nope","officer":"PC 1","answers":{}}"#,
            "nope",
        ),
        (
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no"},"surprise":1}"#,
            "surprise",
        ),
        ("this is not json", "JSON"),
    ];
    for (src, needle) in cases {
        let out = msht(&db)
            .args(["check", "--answers", "-"])
            .write_stdin(src)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(65), "{src}: {err}");
        assert!(
            err.contains(needle),
            "{src}: message should name {needle}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    }
    assert_eq!(encounter_count(&db), 0, "nothing half-saved");
}

#[test]
fn a_missing_answers_file_is_exit_66() {
    let dir = tempfile::tempdir().unwrap();
    let out = msht(&dir.path().join("m.db"))
        .args(["check", "--answers"])
        .arg(dir.path().join("nope.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(66));
}

#[test]
fn text_output_lists_prompts_and_duties() {
    let dir = tempfile::tempdir().unwrap();
    let out = msht(&dir.path().join("m.db"))
        .args(["check", "--answers", "-"])
        .write_stdin(
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"unsure","general_documents":"no"}}"#,
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Welfare prompts raised"), "{text}");
    assert!(text.contains("NRM"), "{text}");
    assert!(text.contains("msht export"), "{text}");
}

#[test]
fn an_endless_or_huge_answers_file_is_refused_at_once_and_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let out = msht(&db)
        .args(["check", "--answers", "/dev/zero"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("larger than"), "{err}");

    let long_note = "x".repeat(msht::answers::MAX_TEXT_CHARS + 1);
    let file = serde_json::json!({
        "checklist": "general", "officer": "PC 1", "notes": long_note,
        "answers": {"general_nation": "england", "general_danger": "no", "general_age": "no", "general_documents": "no",
            "general_consent_alone": "yes", "general_consent_understood": "yes", "general_consent_explained": "yes",
            "general_nrm_consent": "skip"}
    });
    let out = msht(&db)
        .args(["check", "--answers", "-"])
        .write_stdin(file.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a note is longer than"));
    let list = msht(&db)
        .args(["encounters", "list", "--json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap_or_default();
    assert!(
        rows.as_array().is_none_or(|r| r.is_empty()),
        "nothing saved: {rows}"
    );
}
