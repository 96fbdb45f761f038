//! `msht encounters` and `msht doctor` run as the real binary against temporary databases:
//! listing, showing, completing, amending, voiding, and tampering reported by name.
//! Encounters are seeded through the library's store (the same code `check` uses).

use crate::common::{created, db, msht};

use std::path::Path;

use msht::engine::Answer;
use msht::record::EventBody;
use msht::store::Store;
use predicates::prelude::*;
use serde_json::Value;

fn answer(q: &str, a: Answer) -> EventBody {
    EventBody::AnswerGiven {
        question: q.into(),
        question_text: format!("Question {q}?"),
        answer: a,
    }
}

/// A draft with two answers; returns its id.
fn seed_draft(path: &Path, officer: &str) -> String {
    let mut s = Store::open(path).unwrap();
    let events = s
        .record_encounter(
            created(officer),
            vec![
                answer("general_age", Answer::Yes),
                answer("general_danger", Answer::No),
                EventBody::NoteAdded {
                    text: "Spoke through a colleague who speaks Romanian.".into(),
                },
            ],
        )
        .unwrap();
    events[0].encounter_id.clone()
}

/// Answers the nation, which completing needs (the engine requires it), on a seeded draft.
fn answer_nation(path: &Path, id: &str) {
    let mut s = Store::open(path).unwrap();
    s.append(
        id,
        answer("general_nation", Answer::Choice("england".into())),
    )
    .unwrap();
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap()
}

#[test]
fn list_show_complete_amend_void() {
    let (_d, path) = db();
    let id = seed_draft(&path, "PC 4127");
    let other = seed_draft(&path, "PC 99");

    let out = msht(&path)
        .args(["encounters", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = json(&out.stdout);
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["id"], other.as_str(), "newest first");
    assert_eq!(v[1]["status"], "draft");
    assert_eq!(v[1]["event_count"], 4);

    msht(&path)
        .args(["encounters", "list", "--status", "complete"])
        .assert()
        .success()
        .stdout(predicate::str::contains("No encounters match"));

    // A prefix long enough to be unique (the list shows one).
    let list = msht(&path).args(["encounters", "list"]).output().unwrap();
    let text = String::from_utf8(list.stdout).unwrap();
    let short = text
        .lines()
        .find_map(|l| l.split_whitespace().next().filter(|w| id.starts_with(*w)))
        .unwrap()
        .to_string();
    assert!(short.len() < id.len());
    msht(&path)
        .args(["encounters", "show", &short])
        .assert()
        .success()
        .stdout(predicate::str::contains("Question general_age?"))
        .stdout(predicate::str::contains("Romanian"))
        .stdout(predicate::str::contains("Integrity: verified"))
        .stdout(predicate::str::contains(format!("id: {id}")));

    msht(&path)
        .args([
            "encounters",
            "amend",
            &id,
            "--reason",
            "typo",
            "--note",
            "x",
        ])
        .assert()
        .code(65)
        .stderr(predicate::str::contains(
            "only a complete encounter can be amended",
        ));

    answer_nation(&path, &id);
    msht(&path)
        .args(["encounters", "complete", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains("is complete"));
    msht(&path)
        .args(["encounters", "complete", &id])
        .assert()
        .code(65);

    msht(&path)
        .args([
            "encounters",
            "amend",
            &id,
            "--reason",
            "misheard the answer",
            "--question",
            "general_danger",
            "--answer",
            "yes",
        ])
        .assert()
        .success();
    msht(&path)
        .args([
            "encounters",
            "amend",
            &id,
            "--reason",
            "r",
            "--question",
            "general_danger",
            "--answer",
            "perhaps",
        ])
        .assert()
        .code(65)
        .stderr(predicate::str::contains("yes/no"));
    msht(&path)
        .args(["encounters", "amend", &id, "--reason", "", "--note", "x"])
        .assert()
        .code(65)
        .stderr(predicate::str::contains("needs a reason"));

    msht(&path)
        .args([
            "encounters",
            "void",
            &other,
            "--reason",
            "duplicate of another",
        ])
        .assert()
        .success();
    msht(&path)
        .args(["encounters", "void", &other, "--reason", "again"])
        .assert()
        .code(65)
        .stderr(predicate::str::contains("already void"));

    let out = msht(&path)
        .args(["encounters", "show", &id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = json(&out.stdout);
    assert_eq!(v["status"], "complete");
    assert_eq!(v["amendments"][0]["reason"], "misheard the answer");
    assert_eq!(v["integrity"]["verified"], true);
    assert_eq!(v["integrity"]["event_count"], 7, "with the nation answer");
    let danger = v["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "general_danger")
        .unwrap();
    assert_eq!(danger["answer"]["kind"], "yes");

    let out = msht(&path)
        .args(["encounters", "show", &other, "--json"])
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)["void_reason"], "duplicate of another");

    msht(&path).arg("doctor").assert().success().stdout(
        predicate::str::contains("encounters: 2").and(predicate::str::contains("all 2 verified")),
    );
}

#[test]
fn unknown_and_ambiguous_ids_exit_66() {
    let (_d, path) = db();
    let a = seed_draft(&path, "PC 1");
    let b = seed_draft(&path, "PC 2");
    let common: String = a
        .chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect();
    msht(&path)
        .args(["encounters", "show", &common])
        .assert()
        .code(66)
        .stderr(predicate::str::contains("more than one encounter"));
    msht(&path)
        .args(["encounters", "show", "ffffffff"])
        .assert()
        .code(66)
        .stderr(predicate::str::contains("no encounter has an id starting"));
}

#[test]
fn tampering_is_reported_by_doctor_and_show() {
    let (_d, path) = db();
    let id = seed_draft(&path, "PC 4127");
    let sound = seed_draft(&path, "PC 5");
    let events = Store::open(&path).unwrap().events(&id).unwrap();
    let target = &events[1];

    // A plain SQL update, as someone with the file and the sqlite3 shell could do. The
    // trigger stops an accidental one, so it is dropped first.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("DROP TRIGGER events_append_only").unwrap();
    let n = c
        .execute(
            "UPDATE events SET body = replace(body, '\"yes\"', '\"no\"') WHERE id = ?1",
            [&target.id],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(c);

    msht(&path)
        .args(["encounters", "show", &id])
        .assert()
        .code(65)
        .stderr(predicate::str::contains("RECORD ALTERED"))
        .stderr(predicate::str::contains(&id))
        .stderr(predicate::str::contains(&target.id))
        .stderr(predicate::str::contains("event 2"));
    msht(&path)
        .args(["encounters", "show", &sound])
        .assert()
        .success();
    msht(&path)
        .arg("doctor")
        .assert()
        .code(65)
        .stdout(predicate::str::contains("1 BROKEN"))
        .stdout(predicate::str::contains(&target.id))
        .stderr(predicate::str::contains(&id));
    let out = msht(&path).args(["doctor", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(65));
    let v = json(&out.stdout);
    assert_eq!(v["ok"], false);
    assert_eq!(v["chain_breaks"][0]["event_id"], target.id.as_str());
    assert_eq!(v["chain_breaks"][0]["encounter_id"], id.as_str());
    // Nothing may be added to an altered record.
    msht(&path)
        .args(["encounters", "void", &id, "--reason", "hide it"])
        .assert()
        .code(65);
}

#[test]
fn concurrent_commands_never_fail_busy() {
    let (_d, path) = db();
    let id = seed_draft(&path, "PC 1");
    answer_nation(&path, &id);
    msht(&path)
        .args(["encounters", "complete", &id])
        .assert()
        .success();
    let children: Vec<_> = (0..6)
        .map(|i| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin!("msht"))
                .env("MSHT_DB", &path)
                .args(["encounters", "amend", &id, "--reason"])
                .arg(format!("parallel {i}"))
                .args(["--note", "n"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
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
    let st = Store::open(&path).unwrap().encounter(&id).unwrap();
    assert_eq!(st.amendments.len(), 6);
}

#[test]
fn welfare_actions_can_be_recorded_after_the_scene_but_not_on_a_void_record() {
    let (_d, db) = db();
    let id = crate::common::record(
        &db,
        r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#,
    );
    let show = |db: &Path| -> Value {
        let out = msht(db)
            .args(["encounters", "show", &id, "--json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let before = show(&db);
    assert_eq!(before["status"], "complete");
    msht(&db)
        .args(["encounters", "action", &id[..8], "possible-child", "--done"])
        .assert()
        .success();
    let after = show(&db);
    let prompt = after["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["prompt"] == "possible-child")
        .unwrap()
        .clone();
    assert_eq!(prompt["outcome"], "done", "{prompt}");
    // Not raised here: refused with the list of prompts that were.
    let out = msht(&db)
        .args(["encounters", "action", &id, "interpreter", "--done"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible-child"));
    // A reason is required for "not possible"; an outcome is required at all.
    msht(&db)
        .args([
            "encounters",
            "action",
            &id,
            "possible-child",
            "--not-possible",
            " ",
        ])
        .assert()
        .code(64);
    msht(&db)
        .args(["encounters", "action", &id, "possible-child"])
        .assert()
        .code(64);
    msht(&db)
        .args(["encounters", "void", &id, "--reason", "duplicate"])
        .assert()
        .success();
    msht(&db)
        .args(["encounters", "action", &id, "possible-child", "--done"])
        .assert()
        .code(65);
}
