//! The end of the check flow: what was found, the prompts still open (each acted on now or
//! left with the exact command to record it later), the duties in the order they must be
//! done, notes, and whether to complete.

use console::Key;

use super::prompt::{self, When};
use super::term::Ui;
use crate::answers::completion;
use crate::cli::output::{bold, dim, heading};
use crate::engine::Session;
use crate::error::Result;
use crate::guidance::Guidance;
use crate::record::{EventBody, WelfareOutcome};
use crate::store::Store;

/// The encounter being finished.
pub struct End<'a, 'g> {
    pub ui: &'a Ui,
    pub g: &'g Guidance,
    pub id: &'a str,
    pub short: &'a str,
    pub session: &'a Session<'g>,
}

impl End<'_, '_> {
    pub fn run(&self, store: &mut Store) -> Result<()> {
        let ui = self.ui;
        ui.blank()?;
        ui.styled("Summary", &heading())?;
        self.indicators()?;
        self.prompts(store)?;
        self.duties()?;
        ui.blank()?;
        loop {
            let note = ui.read_line("Add a note (Enter on an empty line to finish):", "")?;
            if note.is_empty() {
                break;
            }
            store.append(self.id, EventBody::NoteAdded { text: note })?;
            ui.styled("✔ note saved", &dim())?;
        }
        let complete = self.ask_complete()?;
        if complete {
            store.append(self.id, completion(self.session))?;
        }
        self.next(store, complete)
    }

    fn indicators(&self) -> Result<()> {
        let ui = self.ui;
        ui.styled("Indicators (answers that give concern)", &bold())?;
        let found = self.session.indicators();
        if found.is_empty() {
            ui.para("None recorded.")?;
        }
        for (q, a) in &found {
            ui.indented(&format!("{} → {}", q.text, a.display(Some(q))), "• ", "  ")?;
        }
        Ok(())
    }

    /// Lists every prompt raised, then asks about each one still open, most urgent first.
    fn prompts(&self, store: &mut Store) -> Result<()> {
        let ui = self.ui;
        let state = store.encounter(self.id)?;
        ui.styled("Welfare prompts", &bold())?;
        if state.prompts.is_empty() {
            ui.para("None raised.")?;
        }
        for p in &state.prompts {
            let what = match p.outcome {
                Some(WelfareOutcome::Done) => "done".to_string(),
                Some(WelfareOutcome::NotPossible) => format!("not possible: {}", p.reason),
                Some(WelfareOutcome::Deferred) => "deferred".to_string(),
                None => "no action recorded".to_string(),
            };
            ui.indented(&format!("{} ({what})", p.title), "• ", "  ")?;
        }
        for p in state.open_prompts() {
            match self.g.prompt(&p.prompt) {
                Some(full) => prompt::show(ui, full)?,
                None => ui.styled(&p.title, &bold())?,
            }
            prompt::act(ui, store, self.id, &p.prompt, When::End)?;
        }
        Ok(())
    }

    fn duties(&self) -> Result<()> {
        let ui = self.ui;
        ui.blank()?;
        ui.styled("Duties, in the order to do them", &bold())?;
        let duties = self.session.duties();
        if duties.is_empty() {
            ui.para(
                "None from these answers. If you still suspect exploitation, speak to a supervisor.",
            )?;
        }
        for (n, d) in duties.iter().enumerate() {
            ui.styled(&format!("{}. {}", n + 1, d.duty.title), &bold())?;
            for b in &d.because {
                ui.indented(b, "   Why: ", "   ")?;
            }
            ui.indented(&d.duty.next, "   Next: ", "   ")?;
        }
        Ok(())
    }

    fn ask_complete(&self) -> Result<bool> {
        let ui = self.ui;
        ui.styled("Complete the encounter now?", &bold())?;
        ui.legend(&[("y", "yes"), ("n", "keep as draft")])?;
        loop {
            match ui.key()? {
                Key::Char('y') | Key::Char('Y') => return Ok(true),
                Key::Char('n') | Key::Char('N') | Key::Char('q') => return Ok(false),
                Key::Char(c) => ui.styled(&format!("'{c}' is not a key here: y or n."), &dim())?,
                _ => ui.styled("Press y or n.", &dim())?,
            }
        }
    }

    /// What to do next, each as a command with the short id, and every prompt still open
    /// with the exact command that records it.
    fn next(&self, store: &Store, complete: bool) -> Result<()> {
        let ui = self.ui;
        let short = self.short;
        ui.blank()?;
        if complete {
            ui.para(&format!("Encounter {short} is complete."))?;
        } else {
            ui.para(&format!("Encounter {short} is saved as a draft."))?;
            ui.para("Resume with:")?;
            ui.para(&format!("msht check --resume {short}"))?;
        }
        let open = store.encounter(self.id)?;
        let open = open.open_prompts();
        if !open.is_empty() {
            ui.styled(
                &format!("Still open ({}): record each when done", open.len()),
                &bold(),
            )?;
            for p in open {
                ui.indented(&p.title, "• ", "  ")?;
                ui.indented(
                    &format!("msht encounters action {short} {} --done", p.prompt),
                    "  ",
                    "    ",
                )?;
            }
        }
        ui.styled("Next:", &bold())?;
        ui.para(&format!("msht export {short} --format md"))?;
        if self
            .session
            .duties()
            .iter()
            .any(|d| d.duty.id == crate::guidance::ids::DTN_DUTY)
        {
            ui.para(&format!("msht export {short} --for dtn"))?;
        }
        ui.para("msht sync push --to DIR")
    }
}
