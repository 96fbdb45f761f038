//! Issue 12, outside a terminal: what follows from answers is derived from the current
//! answers on every read, the Duty to Notify copy only for an adult who declined, the
//! officer always named, and the errors that used to be garbled or wrongly coded. Each
//! test is named after the defect or need it pins.

use crate::common::{db, msht, record};

use msht::record::EventBody;
use msht::store::Store;
use serde_json::Value;

const ADULT_UNSURE_AGE: &str = r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"unsure","general_debt":"yes"}}"#;

/// The three answers that make a consent question valid (alone, understood, explained).
const CONSENT_VALID: &str = r#""general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes""#;

fn adult(consent: &str) -> String {
    format!(
        r#"{{"checklist":"general","officer":"PC 1","answers":{{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no","general_injury":"no",{CONSENT_VALID},"general_nrm_consent":"{consent}"}}}}"#
    )
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn duty_ids(v: &Value) -> Vec<String> {
    v["duties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn defect_3_amending_age_and_consent_rederives_duties_everywhere() {
    let (_d, path) = db();
    let id = record(&path, ADULT_UNSURE_AGE);
    let amend = |q: &str, a: &str| {
        let out = msht(&path)
            .args(["encounters", "amend", &id, "--reason", "asked again"])
            .args(["--question", q, "--answer", a])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let first = amend("general_age", "no");
    assert!(
        first.contains("Duties changed:") && first.contains("Children's services referral"),
        "the amendment says old → new: {first}"
    );
    for q in [
        "general_consent_alone",
        "general_consent_understood",
        "general_consent_explained",
    ] {
        amend(q, "yes");
    }
    let second = amend("general_nrm_consent", "declines");
    assert!(
        second.contains("→") && second.contains("Duty to Notify"),
        "{second}"
    );

    let show = stdout(
        &msht(&path)
            .args(["encounters", "show", &id])
            .output()
            .unwrap(),
    );
    let outcome = show.split("What follows from the answers").nth(1).unwrap();
    let outcome = outcome.split("Amendments").next().unwrap();
    assert!(outcome.contains("Duty to Notify"), "{show}");
    assert!(!outcome.contains("NRM referral"), "{outcome}");
    assert!(!outcome.contains("Children's services"), "{outcome}");
    assert!(
        show.contains("duties changed:"),
        "the history shows the change: {show}"
    );

    let json: Value = serde_json::from_slice(
        &msht(&path)
            .args(["export", &id, "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let duties = duty_ids(&json);
    assert!(duties.contains(&"duty-to-notify".to_string()), "{duties:?}");
    assert!(!duties.contains(&"nrm-referral".to_string()), "{duties:?}");
    assert!(
        !duties.contains(&"childrens-services".to_string()),
        "{duties:?}"
    );
    let last = json["amendments"].as_array().unwrap().len() - 1;
    let changed = &json["amendments"][last]["duties_changed"];
    assert!(
        changed["after"].to_string().contains("Duty to Notify"),
        "{changed}"
    );

    let md = stdout(&msht(&path).args(["export", &id]).output().unwrap());
    let duties_md = md
        .split("## 6.")
        .nth(1)
        .unwrap()
        .split("## 7.")
        .next()
        .unwrap();
    assert!(duties_md.contains("Duty to Notify"), "{duties_md}");
    assert!(!duties_md.contains("NRM referral"), "{duties_md}");

    let dtn = msht(&path)
        .args(["export", &id, "--for", "dtn"])
        .output()
        .unwrap();
    assert!(dtn.status.success(), "{}", stderr(&dtn));
    let dtn = stdout(&dtn);
    assert!(!dtn.contains("treat as a child"), "{dtn}");
    assert!(dtn.contains("adult (18 or over)"), "{dtn}");
}

#[test]
fn defect_4_complete_refuses_a_draft_with_no_answers() {
    let (_d, path) = db();
    let id = {
        let mut s = Store::open(&path).unwrap();
        let created = EventBody::Created {
            officer: "PC 1".into(),
            location: String::new(),
            checklist: "general".into(),
            checklist_title: "General".into(),
            guidance_version: "t".into(),
            guidance_hash: "h".into(),
        };
        s.record_encounter(created, vec![]).unwrap()[0]
            .encounter_id
            .clone()
    };
    let out = msht(&path)
        .args(["encounters", "complete", &id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be completed yet"),
        "{}",
        stderr(&out)
    );
    let s = Store::open(&path).unwrap().encounter(&id).unwrap();
    assert_eq!(s.status, msht::record::Status::Draft);
}

#[test]
fn defect_5_dtn_copy_only_for_an_adult_who_declined() {
    let (_d, path) = db();
    for (consent, said) in [("consents", "consented"), ("not_asked", "not asked")] {
        let id = record(&path, &adult(consent));
        let out = msht(&path)
            .args(["export", &id, "--for", "dtn"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(65), "{consent}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{consent}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "nothing exported for {consent}");
    }
    let id = record(&path, &adult("declines"));
    let out = msht(&path)
        .args(["export", &id, "--for", "dtn"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn defect_7_complete_twice_and_action_on_void_say_so_plainly() {
    let (_d, path) = db();
    let id = record(&path, &adult("declines"));
    let out = msht(&path)
        .args(["encounters", "complete", &id])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(65));
    assert!(err.contains("already complete"), "{err}");
    assert!(!err.contains("can take it"), "not garbled: {err}");

    msht(&path)
        .args(["encounters", "void", &id, "--reason", "duplicate"])
        .assert()
        .success();
    let out = msht(&path)
        .args(["encounters", "action", &id, "record-and-report", "--done"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(65));
    assert!(err.contains("is void"), "{err}");
    assert!(
        !err.contains("amend"),
        "a void record cannot be amended: {err}"
    );
}

#[test]
fn defect_8_an_amended_question_with_no_earlier_answer_shows_its_text() {
    let (_d, path) = db();
    let id = record(&path, &adult("declines"));
    msht(&path)
        .args(["encounters", "amend", &id, "--reason", "seen later"])
        .args(["--question", "general_care_needs", "--answer", "yes"])
        .assert()
        .success();
    let show = stdout(
        &msht(&path)
            .args(["encounters", "show", &id])
            .output()
            .unwrap(),
    );
    let md = stdout(&msht(&path).args(["export", &id]).output().unwrap());
    for out in [&show, &md] {
        assert!(!out.contains("general_care_needs"), "raw id shown:\n{out}");
        assert!(out.contains("care and support needs"), "{out}");
    }
}

#[test]
fn defect_9_an_empty_or_missing_officer_is_refused() {
    let (_d, path) = db();
    // The device already has an officer: it must not be borrowed for a file without one.
    record(&path, &adult("declines"));
    let no_officer = r#"{"checklist":"general","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#;
    let out = msht(&path)
        .args(["check", "--answers", "-"])
        .write_stdin(no_officer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim().lines().count(), 1);
    let empty = r#"{"checklist":"general","officer":"  ","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#;
    let out = msht(&path)
        .args(["check", "--answers", "-"])
        .write_stdin(empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    let out = msht(&path)
        .args(["check", "--answers", "-", "--officer", ""])
        .write_stdin(no_officer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    msht(&path)
        .args(["check", "--answers", "-", "--officer", "PC 2"])
        .write_stdin(no_officer)
        .assert()
        .success();
}

#[test]
fn defect_12_export_to_a_folder_that_does_not_exist_is_74() {
    let (d, path) = db();
    let id = record(&path, &adult("declines"));
    let out_path = d.path().join("no/such/dir/x.md");
    let out = msht(&path)
        .args(["export", &id, "--out"])
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(74), "{}", stderr(&out));
}

#[test]
fn defect_13_read_only_commands_never_create_a_database() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("mistyped.db");
    let cases: [&[&str]; 4] = [
        &["doctor"],
        &["encounters", "list"],
        &["encounters", "show", "0193"],
        &["export", "0193"],
    ];
    for args in cases {
        let out = msht(&missing).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(66), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("no msht database"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(stderr(&out).trim().lines().count(), 1);
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
}

#[test]
fn need_duties_in_the_order_they_must_be_done() {
    let (_d, path) = db();
    let out = msht(&path)
        .args(["check", "--answers", "-", "--json"])
        .write_stdin(r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"yes","general_documents":"no"}}"#)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = duty_ids(&v);
    let pos = |id: &str| ids.iter().position(|d| d == id).unwrap();
    assert!(
        pos("childrens-services") < pos("nrm-referral"),
        "children's services come first: {ids:?}"
    );
}

#[test]
fn need_indicators_list_only_answers_that_indicate_with_sensible_wording() {
    let (_d, path) = db();
    let id = record(&path, &adult("declines"));
    let show = stdout(
        &msht(&path)
            .args(["encounters", "show", &id])
            .output()
            .unwrap(),
    );
    let outcome = show.split("What follows from the answers").nth(1).unwrap();
    let indicators = outcome.split("Duties").next().unwrap();
    assert!(
        indicators.contains("answers that give concern"),
        "{indicators}"
    );
    assert!(
        indicators.contains("passport") && indicators.contains("→ no"),
        "a reversed question answered no is an indicator: {indicators}"
    );
    assert!(
        !indicators.contains("injured"),
        "'no' to injury is not: {indicators}"
    );
    assert!(!show.contains("yes or unsure"), "{show}");
    let md = stdout(&msht(&path).args(["export", &id]).output().unwrap());
    assert!(!md.contains("yes or unsure"), "{md}");
}

#[test]
fn need_show_and_markdown_give_the_whole_history_of_each_welfare_prompt() {
    let (_d, path) = db();
    let file = r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"yes","general_documents":"no"},
        "actions":{"child-safeguarding":{"outcome":"deferred"}}}"#;
    let id = record(&path, file);
    msht(&path)
        .args(["encounters", "action", &id, "child-safeguarding", "--done"])
        .assert()
        .success();
    let show = stdout(
        &msht(&path)
            .args(["encounters", "show", &id])
            .output()
            .unwrap(),
    );
    let md = stdout(&msht(&path).args(["export", &id]).output().unwrap());
    for out in [&show, &md] {
        assert!(out.contains("deferred at"), "{out}");
        assert!(out.contains("done at"), "{out}");
    }
}

#[test]
fn need_guide_show_puts_guidance_first_and_sources_on_one_line() {
    let (_d, path) = db();
    let out = msht(&path)
        .env("COLUMNS", "40")
        .args(["guide", "show", "first-response#danger"])
        .output()
        .unwrap();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() < 20, "short at 40 columns:\n{text}");
    assert!(text.contains("Sources: "), "{text}");
    assert!(!text.contains("https://"), "{text}");
    let full = stdout(
        &msht(&path)
            .args(["guide", "show", "first-response#danger", "--sources"])
            .output()
            .unwrap(),
    );
    assert!(full.contains("https://"), "{full}");
}
