//! A real pseudo-terminal around `msht`, read through `vt100` so tests assert on what a
//! person sees: `screen()` is the visible screen at its real size (what is on a 40×20
//! phone right now), `text()` the whole session as it would read with nothing scrolled
//! away. Helpers answer questions by their text, not by their position, so adding a
//! question to a checklist does not break the tests that drive it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;
use expectrl::{Expect, Session};

pub const LEGEND_YES_NO: &str = "y yes · n no";
pub const LEGEND_CHOICE: &str = "choose · s skip";
pub const LEGEND_WELFARE: &str = "d done · n not possible";
pub const ASK_NOTE: &str = "Add a note";
pub const ASK_COMPLETE: &str = "Complete the encounter now?";
/// The offer after an answer that raises another person (issue 14); the drivers below
/// answer it `l` (note them for later) so a run answering "yes" goes on.
pub const OFFER_OTHER: &str = "l note for later";

/// Rows of the transcript parser: enough that nothing of one run scrolls away.
const TRANSCRIPT_ROWS: u16 = 5000;

pub struct Pty {
    pub session: expectrl::session::OsSession,
    pub raw: Vec<u8>,
    screen: vt100::Parser,
    transcript: vt100::Parser,
    /// How much of `text()` has been consumed by `wait_for`.
    seen: usize,
}

impl Pty {
    pub fn spawn(db: &Path, cols: u16, rows: u16, args: &[&str]) -> Pty {
        // The pty starts at expectrl's default size; `stty` sets ours before msht runs,
        // so even an error printed at once sees the width under test.
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c")
            .arg(format!(
                "stty cols {cols} rows {rows} && exec \"$0\" \"$@\""
            ))
            .arg(env!("CARGO_BIN_EXE_msht"))
            .args(args)
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .env("MSHT_KEY_FILE", crate::common::key_file())
            .env("MSHT_DB", db)
            // Never the developer's own config: a file beside the database, if a test writes one.
            .env("MSHT_CONFIG", db.with_file_name("config.toml"))
            .env_remove("MSHT_GUIDANCE")
            .env_remove("COLUMNS");
        let mut session = Session::spawn(cmd).expect("spawn msht in a pty");
        session
            .get_process_mut()
            .set_window_size(cols, rows)
            .expect("set window size");
        Pty {
            session,
            raw: Vec::new(),
            screen: vt100::Parser::new(nz(rows), nz(cols), 0),
            transcript: vt100::Parser::new(nz(TRANSCRIPT_ROWS), nz(cols), 0),
            seen: 0,
        }
    }

    /// The general screen as officer "PC 1" at location "x".
    pub fn general(db: &Path, cols: u16, rows: u16) -> Pty {
        Pty::spawn(
            db,
            cols,
            rows,
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

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.session
            .get_process_mut()
            .set_window_size(cols, rows)
            .unwrap();
        // The transcript keeps its width: resizing it would cut what was drawn before.
        self.screen.set_size(nz(rows), nz(cols));
    }

    fn pump(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        match self.session.try_read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                self.screen.process(&buf[..n]);
                self.transcript.process(&buf[..n]);
                true
            }
            Err(_) => false,
        }
    }

    /// What is on the screen now, row by row.
    pub fn screen(&self) -> String {
        self.screen.screen().contents()
    }

    /// The visible rows, each as the terminal shows it (a wrapped line is two rows).
    pub fn rows(&self) -> Vec<String> {
        let (_, cols) = self.screen.screen().size();
        self.screen.screen().rows(0, cols.get()).collect()
    }

    /// The whole session as rendered, nothing scrolled away.
    pub fn text(&self) -> String {
        self.transcript.screen().contents()
    }

    /// Every row of the whole session as the terminal drew it.
    pub fn all_rows(&self) -> Vec<String> {
        let (_, cols) = self.transcript.screen().size();
        self.transcript.screen().rows(0, cols.get()).collect()
    }

    /// Waits until `needle` appears in output not yet consumed; returns the text up to it.
    pub fn wait_for(&mut self, needle: &str) -> String {
        self.wait_any(&[needle]).1
    }

    /// Waits for whichever of `needles` comes first in unconsumed output.
    pub fn wait_any(&mut self, needles: &[&str]) -> (usize, String) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text();
            let start = floor_boundary(&text, self.seen);
            let rest = &text[start..];
            let hit = needles
                .iter()
                .enumerate()
                .filter_map(|(i, n)| rest.find(n).map(|p| (p, i, n.len())))
                .min();
            if let Some((pos, i, len)) = hit {
                self.seen = start + pos + len;
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

    /// Waits until the screen is quiet (nothing new for a moment), for screen asserts.
    pub fn settle(&mut self) {
        let mut quiet = Instant::now();
        let deadline = Instant::now() + Duration::from_secs(5);
        while quiet.elapsed() < Duration::from_millis(300) && Instant::now() < deadline {
            if self.pump() {
                quiet = Instant::now();
            } else {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    pub fn send(&mut self, s: &str) {
        self.session.send(s).expect("send keys");
    }

    /// Answers yes/no and choice questions by their text until `stop` says to stop (it
    /// gets the question text and returns the key, or `None` to stop before answering).
    /// ACT NOW prompts get `act` ("d", "l" …). Returns the chunk of the question stopped at.
    pub fn answer_by_text(
        &mut self,
        mut key_for: impl FnMut(&str) -> Option<&'static str>,
        act: &str,
    ) -> String {
        loop {
            let (i, chunk) = self.wait_any(&[
                LEGEND_YES_NO,
                LEGEND_CHOICE,
                LEGEND_WELFARE,
                "Space more",
                OFFER_OTHER,
            ]);
            match i {
                2 => self.send(act),
                3 => self.send(" "),
                4 => self.send("l"),
                _ => match key_for(&question_in(&chunk)) {
                    // The nation comes first on the general screen; any answer will do.
                    Some(_) if i == 1 && is_nation(&chunk) => self.send("1"),
                    Some(k) => self.send(k),
                    None => return chunk,
                },
            }
        }
    }

    /// Waits for the next yes/no question, recording "done" for any ACT NOW prompt first.
    /// A choice question on the way (the nation, first) is answered with its first choice.
    pub fn next_yes_no(&mut self) -> String {
        loop {
            let (i, chunk) = self.wait_any(&[
                LEGEND_YES_NO,
                LEGEND_WELFARE,
                "Space more",
                LEGEND_CHOICE,
                OFFER_OTHER,
            ]);
            match i {
                0 => return chunk,
                1 => self.send("d"),
                2 => self.send(" "),
                4 => self.send("l"),
                _ => self.send("1"),
            }
        }
    }

    /// Answers every question up to the note prompt: `key_for(text, is_choice)` picks
    /// each answer; ACT NOW prompts get `act`.
    pub fn drive_to_end(&mut self, key_for: impl Fn(&str, bool) -> &'static str, act: &str) {
        loop {
            let (i, chunk) = self.wait_any(&[
                LEGEND_YES_NO,
                LEGEND_CHOICE,
                LEGEND_WELFARE,
                "Space more",
                ASK_NOTE,
                OFFER_OTHER,
            ]);
            match i {
                0 | 1 => self.send(key_for(&question_in(&chunk), i == 1)),
                2 => self.send(act),
                3 => self.send(" "),
                5 => self.send("l"),
                _ => return,
            }
        }
    }

    pub fn exit_code(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(20);
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

    /// Whether the last cursor-visibility code sent shows the cursor.
    pub fn cursor_shown(&self) -> bool {
        let raw = String::from_utf8_lossy(&self.raw).to_string();
        let shown = raw.rfind("\x1b[?25h");
        let hidden = raw.rfind("\x1b[?25l");
        hidden.is_none() || (shown.is_some() && shown > hidden)
    }
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n.max(1)).unwrap()
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The question text in a chunk of output that ends with a key legend.
pub fn question_in(chunk: &str) -> String {
    let after = chunk.rsplit_once("Question ").map_or(chunk, |(_, r)| r);
    after
        .lines()
        .skip(1)
        .take_while(|l| !l.contains(" yes · ") && !l.contains("choose"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a chunk ends with the nation question (England or Wales).
pub fn is_nation(chunk: &str) -> bool {
    question_in(chunk).contains("England or in Wales")
}

/// The questions whose "yes" makes consent valid (alone, understood, explained).
pub fn makes_consent_valid(q: &str) -> bool {
    ["alone, away", "understand you fully", "explained the NRM"]
        .iter()
        .any(|v| q.contains(v))
}

pub fn db_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("msht.db")
}

pub fn only_encounter(db: &Path) -> msht::record::EncounterState {
    let store = crate::common::open(db);
    let list = store.list(&Default::default()).unwrap();
    assert_eq!(list.len(), 1, "one encounter recorded");
    store.encounter(&list[0].id).unwrap()
}

pub fn newest_encounter(db: &Path) -> msht::record::EncounterState {
    let store = crate::common::open(db);
    let list = store.list(&Default::default()).unwrap();
    store.encounter(&list[0].id).unwrap()
}
