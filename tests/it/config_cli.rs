//! `msht config`: the file's place (MSHT_CONFIG), show/set/path, one sentence with file and
//! line for a broken file (65), and each default taking its place in the order flag >
//! environment > config > built-in default.

use std::path::Path;

use crate::common::{db, msht};

const ANSWERS: &str = r#"{"checklist":"general","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#;

fn write_config(db: &Path, text: &str) {
    std::fs::write(db.with_file_name("config.toml"), text).unwrap();
}

fn officer_of(db: &Path, id: &str) -> String {
    let out = msht(db)
        .args(["export", id, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["officer"].as_str().unwrap().to_string()
}

fn record_id(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["encounter_id"].as_str().unwrap().to_string()
}

#[test]
fn path_follows_msht_config() {
    let (_d, p) = db();
    let out = msht(&p).args(["config", "path"]).output().unwrap();
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        printed.trim(),
        p.with_file_name("config.toml").display().to_string()
    );
}

#[test]
fn set_then_show_in_text_and_json() {
    let (_d, p) = db();
    msht(&p)
        .args(["config", "set", "officer", "PC 1234"])
        .assert()
        .success();
    msht(&p)
        .args(["config", "set", "nation", "Wales"])
        .assert()
        .success();
    let out = msht(&p).args(["config", "show"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("officer = PC 1234"), "{text}");
    assert!(text.contains("nation = wales"), "{text}");
    assert!(text.contains("force (not set)"), "{text}");
    let out = msht(&p)
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["settings"]["officer"], "PC 1234");
    assert_eq!(v["settings"]["force"], serde_json::Value::Null);
    assert_eq!(v["exists"], true);
}

#[test]
fn set_refuses_an_unknown_key_and_a_bad_nation() {
    let (_d, p) = db();
    msht(&p)
        .args(["config", "set", "colour", "red"])
        .assert()
        .code(64);
    let out = msht(&p)
        .args(["config", "set", "nation", "scotland"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("england or wales"));
    assert!(!p.with_file_name("config.toml").exists());
}

#[test]
fn a_broken_config_is_one_sentence_with_file_and_line_and_65() {
    let (_d, p) = db();
    write_config(&p, "officer = \"PC 1\"\n# ok so far\ncolour = \"red\"\n");
    let out = msht(&p).args(["checklist", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    let file = p.with_file_name("config.toml").display().to_string();
    assert!(
        err.contains(&file) && err.contains("line 3") && err.contains("colour"),
        "{err}"
    );
    write_config(&p, "nation = \"france\"\n");
    let out = msht(&p).args(["config", "show"]).output().unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
    // The path is still there to fix it by hand.
    msht(&p).args(["config", "path"]).assert().success();
}

#[test]
fn officer_flag_beats_answers_file_beats_config() {
    let (_d, p) = db();
    write_config(&p, "officer = \"PC Config\"\n");
    let from_config = record_id(
        &msht(&p)
            .args(["check", "--answers", "-", "--json"])
            .write_stdin(ANSWERS)
            .output()
            .unwrap(),
    );
    assert_eq!(officer_of(&p, &from_config), "PC Config");
    let with_file = r#"{"checklist":"general","officer":"PC File","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#;
    let from_file = record_id(
        &msht(&p)
            .args(["check", "--answers", "-", "--json"])
            .write_stdin(with_file)
            .output()
            .unwrap(),
    );
    assert_eq!(officer_of(&p, &from_file), "PC File");
    let from_flag = record_id(
        &msht(&p)
            .args(["check", "--answers", "-", "--json", "--officer", "PC Flag"])
            .write_stdin(with_file)
            .output()
            .unwrap(),
    );
    assert_eq!(officer_of(&p, &from_flag), "PC Flag");
}

#[test]
fn database_env_beats_config_which_beats_the_default() {
    let (d, p) = db();
    let configured = d.path().join("configured.db");
    write_config(
        &p,
        &format!(
            "officer = \"PC 1\"\ndatabase = {:?}\n",
            configured.display().to_string()
        ),
    );
    // MSHT_DB (set by the helper) wins.
    msht(&p)
        .args(["check", "--answers", "-"])
        .write_stdin(ANSWERS)
        .assert()
        .success();
    assert!(p.exists() && !configured.exists());
    // Without it, the config's database is used.
    msht(&p)
        .env_remove("MSHT_DB")
        .args(["check", "--answers", "-"])
        .write_stdin(ANSWERS)
        .assert()
        .success();
    assert!(configured.exists());
    // And --db beats both.
    let flagged = d.path().join("flag.db");
    msht(&p)
        .env_remove("MSHT_DB")
        .args(["--db", flagged.to_str().unwrap(), "check", "--answers", "-"])
        .write_stdin(ANSWERS)
        .assert()
        .success();
    assert!(flagged.exists());
}

#[test]
fn sync_push_goes_to_the_configured_folder() {
    let (d, p) = db();
    let folder = d.path().join("outbox");
    std::fs::create_dir(&folder).unwrap();
    msht(&p).args(["sync", "push"]).assert().code(64);
    write_config(
        &p,
        &format!("sync_folder = {:?}\n", folder.display().to_string()),
    );
    crate::common::record(
        &p,
        r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#,
    );
    msht(&p).args(["sync", "push"]).assert().success();
    assert!(std::fs::read_dir(&folder).unwrap().next().is_some());
}

fn nation_of(p: &Path, answers: &str) -> Option<String> {
    let id = record_id(
        &msht(p)
            .args(["check", "--answers", "-", "--json"])
            .write_stdin(answers)
            .output()
            .unwrap(),
    );
    let out = msht(p)
        .args(["export", &id, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "general_nation")
        .map(|a| {
            a["answer"]["value"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
}

#[test]
fn the_configured_nation_answers_the_nation_question_unless_the_file_does() {
    let (_d, p) = db();
    let plain = r#"{"checklist":"general","officer":"PC 1","answers":{"general_danger":"no","general_age":"yes"}}"#;
    // The question is required: without a configured nation the file must answer it.
    let out = msht(&p)
        .args(["check", "--answers", "-"])
        .write_stdin(plain)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("general_nation"));
    write_config(&p, "nation = \"wales\"\n");
    assert_eq!(nation_of(&p, plain).as_deref(), Some("wales"));
    let own = plain.replace(
        "\"answers\":{",
        "\"answers\":{\"general_nation\":\"england\",",
    );
    assert_eq!(nation_of(&p, &own).as_deref(), Some("england"));
}
