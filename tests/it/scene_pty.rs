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
