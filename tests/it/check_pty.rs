//! Drives the real `msht check` through a pseudo-terminal, as an officer would use it:
//! single keys, welfare prompts the moment they are raised, `?`, `b`, Ctrl-C and resume,
//! and a 40-column screen.

use crate::pty::*;
use msht::engine::Answer;
use msht::record::{Status, WelfareOutcome};

/// Answers every question until the end: `pick` chooses the key for a yes/no question.
fn drive_to_end(p: &mut Pty, pick: impl Fn(&str) -> &'static str, complete: bool) {
    p.drive_to_end(|q, choice| if choice { "1" } else { pick(q) }, "d");
    p.send("seen through the window\r");
    p.wait_for("note saved");
    p.wait_for(ASK_NOTE);
    p.send("\r");
    p.wait_for(ASK_COMPLETE);
    p.send(if complete { "y" } else { "n" });
}

#[test]
fn a_full_checklist_answered_with_single_keys_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = Pty::spawn(
        &db,
        80,
        40,
        &[
            "check",
            "--checklist",
            "general",
            "--officer",
            "PC 123",
            "--location",
            "car wash",
        ],
    );
    // "No" to every sign (a missing passport and address are worrying answers), "yes" to
    // the three questions that make consent valid; then choice 1 (consents).
    let valid_consent = ["alone, away", "understand you fully", "explained the NRM"];
    drive_to_end(
        &mut p,
        |q| {
            if valid_consent.iter().any(|v| q.contains(v)) {
                "y"
            } else {
                "n"
            }
        },
        true,
    );
    p.wait_for("is complete");
    assert_eq!(p.exit_code(), 0);
    let state = only_encounter(&db);
    assert_eq!(state.status, Status::Complete);
    assert_eq!(state.officer, "PC 123");
    assert_eq!(state.location, "car wash");
    assert!(
        state.answers.len() >= 10,
        "every question answered: {}",
        state.answers.len()
    );
    assert_eq!(state.notes[0].text, "seen through the window");
    // An adult who consents (choice 1) gets an NRM referral.
    assert!(
        state.duties.iter().any(|d| d.id == "nrm-referral"),
        "{:?}",
        state.duties
    );
}

#[test]
fn a_child_answer_raises_the_childrens_services_prompt_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = Pty::general(&db, 80, 40);
    loop {
        let chunk = p.next_yes_no();
        if question_in(&chunk).contains("under 18") {
            p.send("y");
            break;
        }
        p.send("n");
    }
    // The very next thing on screen is the welfare prompt, before any other question.
    let (i, chunk) = p.wait_any(&[LEGEND_WELFARE, "Question "]);
    assert_eq!(
        i, 0,
        "a prompt, not the next question, follows the child answer:\n{chunk}"
    );
    assert!(chunk.contains("WELFARE: ACT NOW"), "{chunk}");
    assert!(
        chunk.contains("!!!!!!!!!!"),
        "framed in text, not only colour: {chunk}"
    );
    let raw = String::from_utf8_lossy(&p.raw);
    assert!(
        !raw.contains("\x1b[31") && !raw.contains("\x1b[1m"),
        "NO_COLOR: no colour or bold codes"
    );
    assert!(
        chunk.to_lowercase().contains("children's services"),
        "{chunk}"
    );
    p.send("d");
    p.wait_for("(saved)");
    p.send("q");
    assert_eq!(p.exit_code(), 0);
    let state = only_encounter(&db);
    let child = state
        .prompts
        .iter()
        .find(|x| x.title.to_lowercase().contains("child"))
        .expect("child prompt recorded");
    assert_eq!(child.outcome, Some(WelfareOutcome::Done));
}

#[test]
fn question_mark_shows_the_guidance_for_the_question() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = Pty::general(&db, 80, 40);
    p.next_yes_no();
    p.send("?");
    let help = p.wait_for(LEGEND_YES_NO);
    assert!(help.contains("Help"), "{help}");
    // The first question links a guidance section, so its pointer must be shown.
    assert!(help.contains("More: msht guide show"), "{help}");
    p.send("q");
    assert_eq!(p.exit_code(), 0);
}

#[test]
fn b_goes_back_and_changes_an_earlier_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = Pty::general(&db, 80, 40);
    p.next_yes_no();
    p.send("n");
    p.wait_for("Question 3 of");
    p.next_yes_no();
    p.send("b");
    let back = p.wait_for(LEGEND_YES_NO);
    assert!(back.contains("Question 2 of"), "{back}");
    assert!(back.contains("Answered: no"), "{back}");
    p.send("u");
    p.wait_for("unsure (saved)");
    let (i, _) = p.wait_any(&[LEGEND_YES_NO, LEGEND_WELFARE]);
    if i == 1 {
        p.send("d");
        p.wait_for(LEGEND_YES_NO);
    }
    p.send("q");
    assert_eq!(p.exit_code(), 0);
    let state = only_encounter(&db);
    // The first answer after the nation (answered 1 on the way) is the danger question.
    let first = state
        .answers
        .iter()
        .find(|a| a.question == "general_danger")
        .unwrap();
    assert_eq!(first.answer, Answer::Unsure);
    assert_eq!(
        first.history.len(),
        1,
        "the earlier answer is kept in the record"
    );
    assert_eq!(first.history[0].answer, Answer::No);
}

#[test]
fn ctrl_c_leaves_a_draft_that_resume_continues_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = Pty::general(&db, 80, 40);
    p.next_yes_no();
    p.send("n");
    p.wait_for("Question 3 of");
    p.next_yes_no();
    p.send("n");
    p.wait_for("Question 4 of");
    p.next_yes_no();
    p.send("\x03");
    p.wait_for("msht check --resume");
    assert_eq!(p.exit_code(), 130);
    let raw = String::from_utf8_lossy(&p.raw).to_string();
    let shown = raw.rfind("\x1b[?25h");
    let hidden = raw.rfind("\x1b[?25l");
    assert!(
        shown.is_some() && shown > hidden,
        "the cursor is visible after Ctrl-C"
    );

    let state = only_encounter(&db);
    assert_eq!(state.status, Status::Draft);
    assert_eq!(state.answers.len(), 3, "nation, danger, age");

    let mut r = Pty::spawn(&db, 80, 40, &["check", "--resume", &state.id[..8]]);
    let resumed = r.wait_for(LEGEND_YES_NO);
    assert!(resumed.contains("Resuming"), "{resumed}");
    assert!(
        resumed.contains("Question 4 of"),
        "continues at the first unanswered question:\n{resumed}"
    );
    assert_eq!(
        resumed.matches("✔ ").count(),
        3,
        "earlier answers are shown:\n{resumed}"
    );
    r.send("n");
    r.wait_for("Question 5 of");
    r.send("q");
    assert_eq!(r.exit_code(), 0);
    assert_eq!(only_encounter(&db).answers.len(), 4);
}

#[test]
fn a_40_column_terminal_shows_no_line_longer_than_40_cells() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = Pty::general(&db, 40, 40);
    // Answer yes to everything so every welfare prompt is drawn at 40 columns.
    drive_to_end(&mut p, |_| "y", false);
    p.wait_for("saved as a draft");
    assert_eq!(p.exit_code(), 0);
    let text = p.text();
    assert!(text.contains("WELFARE"), "prompts were drawn");
    for line in text.lines() {
        let w = console::measure_text_width(line);
        assert!(w <= 40, "line of {w} cells at 40 columns: {line:?}");
    }
}

#[test]
fn without_a_terminal_check_says_to_use_answers() {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("msht"))
        .args(["check", "--checklist", "general"])
        .env("MSHT_DB", db_in(&dir))
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--answers"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
}

#[test]
fn turning_the_phone_mid_checklist_rewraps_to_the_new_width() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = Pty::general(&db, 100, 40);
    p.next_yes_no();
    p.resize(40, 40);
    p.send("y");
    p.wait_for("(saved)");
    // Everything drawn after the resize (the child prompt and the next question) fits.
    let after = p.wait_for(LEGEND_WELFARE);
    p.send("d");
    let after = after + &p.next_yes_no();
    p.send("q");
    assert_eq!(p.exit_code(), 0);
    let lines: Vec<&str> = after.lines().filter(|l| !l.is_empty()).collect();
    assert!(lines.len() > 5, "{after}");
    assert!(
        lines.iter().any(|l| console::measure_text_width(l) > 30),
        "text uses the width: {after}"
    );
    for line in lines {
        assert!(
            console::measure_text_width(line) <= 40,
            "line wider than 40 after resize: {line:?}"
        );
    }
}

#[test]
fn the_configured_nation_is_answered_on_screen_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    std::fs::write(db.with_file_name("config.toml"), "nation = \"wales\"\n").unwrap();
    let mut p = Pty::general(&db, 80, 40);
    p.wait_for("Wales (from your config)");
    p.next_yes_no();
    p.send("q");
    assert_eq!(p.exit_code(), 0);
    let state = only_encounter(&db);
    let nation = state
        .answers
        .iter()
        .find(|a| a.question == "general_nation");
    assert_eq!(
        nation.map(|a| &a.answer),
        Some(&Answer::Choice("wales".into()))
    );
}
