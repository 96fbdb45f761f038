//! The terminal side of the check flow: drawing wrapped lines on stderr, reading one key
//! or one edited line, packing key legends, and stopping on Ctrl-C. The flow in
//! `mod.rs` asks questions; this file alone knows how keys and lines are read.
//!
//! Ctrl-C can arrive two ways: as a key while a key or line is being read, or as SIGINT
//! at any other moment. Both end in `stop`, which runs once: cursor shown, the resume
//! command, exit 130. Whichever comes second waits for the first to exit, so the exit
//! code never depends on which thread wins.

use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use console::{Key, Style, Term};

use crate::cli::output::{self, dim};
use crate::error::{Error, Result};

/// The encounter in progress (its short id), so a Ctrl-C can say how to resume.
static CURRENT: Mutex<Option<String>> = Mutex::new(None);
/// Set by the first Ctrl-C handled; a second one waits for the exit already under way.
static STOPPING: AtomicBool = AtomicBool::new(false);

pub fn set_current(short_id: &str) {
    if let Ok(mut c) = CURRENT.lock() {
        *c = Some(short_id.to_string());
    }
}

/// The two sentences a stop leaves on screen.
pub fn resume_hint(short_id: &str) -> Vec<String> {
    // The command on a line of its own, so a 40-column screen never splits it.
    vec![
        "Stopped. Every answer given is saved as a draft. Resume with:".to_string(),
        format!("msht check --resume {short_id}"),
    ]
}

/// Stops the flow after Ctrl-C: cursor shown, how to resume, exit 130. Runs once.
pub fn stop() -> ! {
    if STOPPING.swap(true, Ordering::SeqCst) {
        // The other path is already exiting with 130; never race it to a different code.
        loop {
            std::thread::park();
        }
    }
    let term = Term::stderr();
    let _ = term.show_cursor();
    let id = CURRENT.lock().ok().and_then(|c| c.clone());
    let lines = match id {
        Some(id) => resume_hint(&id),
        None => vec!["Stopped before anything was saved.".to_string()],
    };
    let mut err = io::stderr().lock();
    let _ = writeln!(err);
    for l in lines {
        for w in output::wrap(&l, output::err_width()) {
            let _ = writeln!(err, "{w}");
        }
    }
    let _ = err.flush();
    std::process::exit(130);
}

/// SIGINT outside a key read (the tty in cooked mode, or `kill -INT`) stops the same way.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| stop());
}

/// Writes and reads on stderr's terminal, wrapping to its current width.
pub struct Ui {
    pub term: Term,
}

impl Ui {
    pub fn new() -> Ui {
        Ui {
            term: Term::stderr(),
        }
    }

    /// Read on every use: a phone turned sideways mid-checklist gets the new width.
    pub fn width(&self) -> usize {
        output::err_width()
    }

    /// Rows on screen, for paging long prompts (24 when unknown).
    pub fn height(&self) -> usize {
        self.term
            .size_checked()
            .map_or(24, |(rows, _)| rows as usize)
            .max(8)
    }

    pub fn line(&self, text: &str) -> Result<()> {
        self.term
            .write_line(text)
            .map_err(|e| Error::io("could not write to the terminal", e))
    }

    pub fn blank(&self) -> Result<()> {
        self.line("")
    }

    pub fn para(&self, text: &str) -> Result<()> {
        for l in output::wrap(text, self.width()) {
            self.line(&l)?;
        }
        Ok(())
    }

    /// Styled text on stderr: colour follows stderr's terminal, not stdout's, so
    /// `msht check > id.txt` still shows coloured prompts.
    pub fn styled(&self, text: &str, style: &Style) -> Result<()> {
        let style = style.clone().for_stderr();
        for l in output::wrap(text, self.width()) {
            self.line(&style.apply_to(l).to_string())?;
        }
        Ok(())
    }

    pub fn indented(&self, text: &str, first: &str, rest: &str) -> Result<()> {
        for l in output::wrap_indent(text, self.width(), first, rest) {
            self.line(&l)?;
        }
        Ok(())
    }

    /// A key legend ("y yes · n no · …") packed so a key never parts from its meaning.
    pub fn legend(&self, items: &[(&str, &str)]) -> Result<()> {
        for l in pack_legend(items, self.width()) {
            self.line(&dim().for_stderr().apply_to(l).to_string())?;
        }
        Ok(())
    }

    /// One key. Ctrl-C stops the flow (exit 130) from here, whatever else is happening.
    pub fn key(&self) -> Result<Key> {
        match self.term.read_key_raw() {
            Ok(Key::CtrlC) => stop(),
            Ok(k) => Ok(k),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => stop(),
            Err(e) => Err(Error::io("could not read a key from the terminal", e)),
        }
    }

    /// One edited line: `initial` is already typed and can be kept with Enter, changed
    /// with Backspace, or replaced. The label is wrapped to the screen above the line.
    pub fn read_line(&self, label: &str, initial: &str) -> Result<String> {
        for l in output::wrap(label, self.width()) {
            self.line(&l)?;
        }
        let read = dialoguer::Input::<String>::with_theme(&LineTheme)
            .with_initial_text(initial)
            .allow_empty(true)
            .report(false)
            .interact_text_on(&self.term);
        let text = match read {
            Ok(t) => t.trim().to_string(),
            Err(dialoguer::Error::IO(e)) if e.kind() == io::ErrorKind::Interrupted => stop(),
            Err(dialoguer::Error::IO(e)) => {
                return Err(Error::io("could not read from the terminal", e));
            }
        };
        // The editor clears its line; leave what was typed on screen.
        if !text.is_empty() {
            self.indented(&text, "> ", "  ")?;
        }
        Ok(text)
    }
}

/// Draws the line being edited as "> text".
struct LineTheme;

impl dialoguer::theme::Theme for LineTheme {
    fn format_input_prompt(
        &self,
        f: &mut dyn std::fmt::Write,
        _prompt: &str,
        _default: Option<&str>,
    ) -> std::fmt::Result {
        write!(f, "> ")
    }
}

/// Packs legend items into lines of at most `width` columns, joined by " · ", never
/// splitting an item ("n not possible") across lines.
pub fn pack_legend(items: &[(&str, &str)], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (key, meaning) in items {
        let item = format!("{key} {meaning}");
        let joined = if cur.is_empty() {
            item.clone()
        } else {
            format!("{cur} · {item}")
        };
        if console::measure_text_width(&joined) <= width || cur.is_empty() {
            cur = joined;
        } else {
            lines.push(std::mem::take(&mut cur));
            cur = item;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_legend_never_splits_a_key_from_its_meaning() {
        let items = [
            ("y", "yes"),
            ("n", "no"),
            ("u", "unsure"),
            ("s", "skip"),
            ("?", "help"),
            ("b", "back"),
            ("q", "save and stop"),
        ];
        let lines = pack_legend(&items, 40);
        assert!(lines.len() > 1, "{lines:?}");
        for l in &lines {
            assert!(console::measure_text_width(l) <= 40, "{l}");
        }
        let all = lines.join("\n");
        for (k, m) in items {
            assert!(
                all.contains(&format!("{k} {m}")),
                "{k} {m} kept whole: {all}"
            );
        }
    }
}
