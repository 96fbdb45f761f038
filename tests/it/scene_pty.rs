//! Issue 14 in a real pseudo-terminal at phone size (40×20): a quick triage of three
//! people at a scene, each saved as a linked draft with their ACT NOW prompts acted on
//! at once.

use crate::pty::*;
use msht::record::WelfareOutcome;

/// Waits for the next yes/no question, acting "done" on any ACT NOW prompt on the way,
/// and answers it with `key`.
fn answer(p: &mut Pty, key: &str) {
    loop {
        let (i, _) = p.wait_any(&[LEGEND_YES_NO, LEGEND_WELFARE, "Space more"]);
        match i {
            0 => return p.send(key),
            1 => p.send("d"),
            _ => p.send(" "),
        }
    }
}

/// Waits for `needle`, acting "done" on any ACT NOW prompt on the way.
fn wait_acting(p: &mut Pty, needle: &str) {
    loop {
        let (i, _) = p.wait_any(&[needle, LEGEND_WELFARE, "Space more"]);
        match i {
            0 => return,
            1 => p.send("d"),
            _ => p.send(" "),
        }
    }
}

#[test]
fn a_triage_of_three_people_at_40_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = Pty::spawn(
        &db,
        40,
        20,
        &[
            "check",
            "--triage",
            "--officer",
            "PC 1",
            "--location",
            "car wash",
        ],
    );
    // danger, age, injury, interpreter for each; the nation once, for everyone.
    let people = [
        ("worker 1, red jacket", ["n", "n", "n", "y"]),
        ("worker 2, boots", ["n", "u", "n", "y"]),
        ("worker 3, hurt hand", ["n", "n", "y", "n"]),
    ];
    for (k, (label, keys)) in people.iter().enumerate() {
        wait_acting(&mut p, &format!("Person {}:", k + 1));
        p.send(&format!("{label}\r"));
        if k == 0 {
            p.wait_for(LEGEND_CHOICE);
            p.send("1");
        }
        for key in keys {
            answer(&mut p, key);
        }
    }
    wait_acting(&mut p, "Person 4:");
    p.send("\r");
    p.wait_for("msht scene show");
    assert_eq!(p.exit_code(), 0);
    let text = p.text();
    assert!(
        text.contains("as for everyone"),
        "the nation is asked once:\n{text}"
    );
    assert!(
        p.all_rows().iter().all(|r| r.chars().count() <= 40),
        "40 columns"
    );

    let store = crate::common::open(&db);
    let scenes = store.list_scenes(false).unwrap();
    assert_eq!(scenes.len(), 1);
    let members = store.scene_members(&scenes[0].id).unwrap();
    let labels: Vec<&str> = members.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, people.map(|(l, _)| l));
    let states: Vec<_> = members
        .iter()
        .map(|m| store.encounter(&m.encounter_id).unwrap())
        .collect();
    assert!(
        states
            .iter()
            .all(|s| s.status == msht::record::Status::Draft)
    );
    let acted = |i: usize, prompt: &str| {
        states[i]
            .prompts
            .iter()
            .any(|x| x.prompt == prompt && x.outcome == Some(WelfareOutcome::Done))
    };
    assert!(acted(1, "possible-child"), "{:?}", states[1].prompts);
    assert!(
        !states[0]
            .prompts
            .iter()
            .any(|x| x.prompt == "possible-child")
    );
    assert!(acted(2, "medical"), "{:?}", states[2].prompts);
    assert!(!states[0].prompts.iter().any(|x| x.prompt == "medical"));
    assert!(states[0].prompts.iter().any(|x| x.prompt == "interpreter"));
    for s in &states {
        assert_eq!(
            s.answers.len(),
            5,
            "nation, danger, age, injury, interpreter"
        );
    }
}

fn is_other_child(q: &str) -> bool {
    q.contains("another child")
}

/// The sexual-exploitation screen up to the "another child" question, answered `y`,
/// then the offer that follows.
fn to_the_offer(db: &std::path::Path) -> Pty {
    let mut p = Pty::spawn(
        db,
        40,
        20,
        &[
            "check",
            "--checklist",
            "sexual",
            "--officer",
            "PC 1",
            "--location",
            "12 High St",
        ],
    );
    let chunk = p.answer_by_text(|q| if is_other_child(q) { None } else { Some("n") }, "d");
    assert!(is_other_child(&question_in(&chunk)), "{chunk}");
    p.send("y");
    // The ACT NOW prompt (another child may be here) comes first, then the offer.
    wait_acting(&mut p, "Another person");
    p.wait_for("note for later");
    p
}

#[test]
fn a_child_seen_at_the_premises_can_be_noted_for_later() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = to_the_offer(&db);
    p.send("l");
    p.wait_for("noted for later as n1");
    p.next_yes_no();
    p.send("q");
    assert_eq!(p.exit_code(), 0);
    let adult = only_encounter(&db);
    let link = adult
        .scene
        .expect("the adult joined a scene opened for them");
    assert_eq!(link.label, "person 1");
    let scene = crate::common::open(&db).scene(&link.scene).unwrap();
    let open = scene.open_notes();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].label, "possible child seen at the premises");
    assert_eq!(open[0].encounter.as_deref(), Some(adult.id.as_str()));
    assert_eq!(open[0].question.as_deref(), Some("sexual_other_child"));
}

#[test]
fn a_child_seen_at_the_premises_can_be_screened_now_and_the_adults_screen_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = to_the_offer(&db);
    p.send("s");
    p.wait_for("A short description");
    p.send("girl in the kitchen\r");
    p.wait_for("Which checklist?");
    p.send("1");
    // The child's own screen, to its end, left as a draft.
    p.drive_to_end(
        |q, choice| {
            if choice {
                "1"
            } else if q.contains("under 18") {
                "y"
            } else {
                "n"
            }
        },
        "d",
    );
    p.send("\r");
    p.wait_for(ASK_COMPLETE);
    p.send("n");
    p.wait_for("Back to encounter");
    // The adult's screen goes on at its next question.
    p.next_yes_no();
    p.send("q");
    assert_eq!(p.exit_code(), 0);

    let store = crate::common::open(&db);
    let scenes = store.list_scenes(false).unwrap();
    assert_eq!(scenes.len(), 1);
    let members = store.scene_members(&scenes[0].id).unwrap();
    assert_eq!(members.len(), 2);
    let adult = store.encounter(&members[0].encounter_id).unwrap();
    let child = store.encounter(&members[1].encounter_id).unwrap();
    assert_eq!(adult.checklist, "sexual");
    let link = child.scene.unwrap();
    assert_eq!(link.label, "girl in the kitchen");
    assert_eq!(link.raised_by.as_deref(), Some(adult.id.as_str()));
    assert_eq!(link.question.as_deref(), Some("sexual_other_child"));
    assert!(
        child
            .prompts
            .iter()
            .any(|x| x.prompt == "possible-child" || x.prompt == "child-safeguarding")
    );
    assert!(
        !adult
            .prompts
            .iter()
            .any(|x| x.prompt == "possible-child" || x.prompt == "child-safeguarding"),
        "the child seen is not the adult's age: {:?}",
        adult.prompts
    );
    assert!(scenes[0].people == 2 && store.scene(&scenes[0].id).unwrap().open_notes().is_empty());
}

#[test]
fn the_check_flow_offers_to_join_an_open_scene() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let out = crate::common::msht(&db)
        .args(["check", "--answers", "-", "--json", "--new-scene", "--label", "worker 1"])
        .write_stdin(r#"{"checklist":"general","officer":"PC 1","location":"car wash","answers":{"general_nation":"england","general_danger":"no","general_age":"no"},"complete":false}"#)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut p = Pty::spawn(
        &db,
        40,
        20,
        &[
            "check",
            "--checklist",
            "general",
            "--officer",
            "PC 1",
            "--location",
            "car wash",
        ],
    );
    p.wait_for("1 join ");
    p.wait_for("1 person");
    p.wait_for("1 join · n new scene · Enter no");
    p.send("1");
    p.wait_for("(Enter: person 2):");
    p.send("worker 2\r");
    p.next_yes_no();
    p.send("q");
    assert_eq!(p.exit_code(), 0);
    let store = crate::common::open(&db);
    let scenes = store.list_scenes(true).unwrap();
    let labels: Vec<String> = store
        .scene_members(&scenes[0].id)
        .unwrap()
        .into_iter()
        .map(|m| m.label)
        .collect();
    assert_eq!(labels, ["worker 1", "worker 2"]);
}
