//! Drives the real `msht check` through a pseudo-terminal, as an officer would use it:
//! single keys, welfare prompts the moment they are raised, `?`, `b`, Ctrl-C and resume,
//! and a 40-column screen.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;
use expectrl::{Expect, Session};
use msht::engine::Answer;
use msht::record::{Status, WelfareOutcome};
use msht::store::Store;

const LEGEND_YES_NO: &str = "y yes · n no";
const LEGEND_CHOICE: &str = "1-9 choose";
const LEGEND_WELFARE: &str = "d done · n not possible · l later";
const ASK_NOTE: &str = "Add a note";
const ASK_COMPLETE: &str = "Complete the encounter now?";

struct Pty {
    session: expectrl::session::OsSession,
    raw: Vec<u8>,
    /// How much of the plain text has been consumed by `wait_for`.
    seen: usize,
}

/// Output as plain text: escape sequences and carriage returns removed.
fn plain(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    for n in chars.by_ref() {
                        if n.is_ascii_alphabetic() || n == '~' {
                            break;
                        }
                    }
                }
                Some(']') => {
                    for n in chars.by_ref() {
                        if n == '\x07' {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

impl Pty {
    fn spawn(db: &Path, cols: u16, args: &[&str]) -> Pty {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_msht"));
        cmd.args(args)
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .env("MSHT_DB", db)
            .env_remove("MSHT_GUIDANCE")
            .env_remove("COLUMNS");
        let mut session = Session::spawn(cmd).expect("spawn msht in a pty");
        session
            .get_process_mut()
            .set_window_size(cols, 40)
            .expect("set window size");
        Pty {
            session,
            raw: Vec::new(),
            seen: 0,
        }
    }

    fn pump(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        match self.session.try_read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                true
            }
            Err(_) => false,
        }
    }

    fn text(&self) -> String {
        plain(&self.raw)
    }

    /// The general screen, as officer "PC 1" at location "x", on a `cols`-wide terminal.
    fn general(db: &Path, cols: u16) -> Pty {
        Pty::spawn(
            db,
            cols,
            &[
                "check",
                "--checklist",
                "general",
                "--officer",
                "PC 1",
                "--location",
                "x",
            ],
        )
    }

    /// Waits until `needle` appears in output not yet consumed; returns the text up to it.
    fn wait_for(&mut self, needle: &str) -> String {
        self.wait_any(&[needle]).1
    }

    /// Waits for whichever of `needles` comes first in unconsumed output.
    fn wait_any(&mut self, needles: &[&str]) -> (usize, String) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = self.text();
            let rest = &text[self.seen.min(text.len())..];
            let hit = needles
                .iter()
                .enumerate()
                .filter_map(|(i, n)| rest.find(n).map(|p| (p, i, n.len())))
                .min();
            if let Some((pos, i, len)) = hit {
                let start = self.seen;
                self.seen += pos + len;
                return (i, text[start..self.seen].to_string());
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for one of {needles:?}; output so far:\n{text}");
            }
            if !self.pump() {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Waits for the next yes/no question, recording "done" for any welfare prompt first.
    /// A choice question on the way (the nation, first) is answered with its first choice.
    fn next_yes_no(&mut self) -> String {
        loop {
            let (i, chunk) = self.wait_any(&[LEGEND_YES_NO, LEGEND_WELFARE, LEGEND_CHOICE]);
            match i {
                0 => return chunk,
                1 => self.send("d"),
                _ => self.send("1"),
            }
        }
    }

    fn send(&mut self, s: &str) {
        self.session.send(s).expect("send keys");
    }

    fn exit_code(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            self.pump();
            match self.session.get_process().status() {
                Ok(WaitStatus::Exited(_, code)) => {
                    while self.pump() {}
                    return code;
                }
                Ok(WaitStatus::Signaled(_, sig, _)) => panic!("killed by {sig:?}"),
                _ => {}
            }
            if Instant::now() > deadline {
                panic!("msht did not exit; output:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The question text in a chunk of output that ends with a key legend.
fn question_in(chunk: &str) -> String {
    let after = chunk.rsplit_once("Question ").map_or(chunk, |(_, r)| r);
    after.lines().skip(1).collect::<Vec<_>>().join(" ")
}

fn db_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("msht.db")
}

fn only_encounter(db: &Path) -> msht::record::EncounterState {
    let store = Store::open(db).unwrap();
    let list = store.list(&Default::default()).unwrap();
    assert_eq!(list.len(), 1, "one encounter recorded");
    store.encounter(&list[0].id).unwrap()
}

/// Answers every question until the end: `pick` chooses the key for a yes/no question.
fn drive_to_end(p: &mut Pty, pick: impl Fn(&str) -> &'static str, complete: bool) {
    loop {
        let (i, chunk) = p.wait_any(&[LEGEND_YES_NO, LEGEND_CHOICE, LEGEND_WELFARE, ASK_NOTE]);
        match i {
            0 => p.send(pick(&question_in(&chunk))),
            1 => p.send("1"),
            2 => p.send("d"),
            _ => {
                p.send("seen through the window\r");
                p.wait_for("note saved");
                p.wait_for(ASK_NOTE);
                p.send("\r");
                p.wait_for(ASK_COMPLETE);
                p.send(if complete { "y" } else { "n" });
                return;
            }
        }
    }
}

#[test]
fn a_full_checklist_answered_with_single_keys_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = Pty::spawn(
        &db,
        80,
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
    let mut p = Pty::general(&db, 80);
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
    let mut p = Pty::general(&db, 80);
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
    let mut p = Pty::general(&db, 80);
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
    assert_eq!(first.history[0].0, Answer::No);
}

#[test]
fn ctrl_c_leaves_a_draft_that_resume_continues_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let mut p = Pty::general(&db, 80);
    p.next_yes_no();
    p.send("n");
    p.wait_for("Question 3 of");
    p.next_yes_no();
    p.send("n");
    p.wait_for("Question 4 of");
    p.next_yes_no();
    p.send("\x03");
    p.wait_for("Resume with:");
    p.wait_for("  msht check --resume");
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

    let mut r = Pty::spawn(&db, 80, &["check", "--resume", &state.id[..8]]);
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
    let mut p = Pty::general(&db, 40);
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
    let mut p = Pty::general(&db, 100);
    p.next_yes_no();
    p.session.get_process_mut().set_window_size(40, 40).unwrap();
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
