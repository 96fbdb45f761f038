//! Welfare prompts at the scene. Only an ACT NOW prompt interrupts the questions: it is
//! drawn in full, paged so its heading and title stay on a 20-row screen, and asks what
//! was done. "Before you leave" and "later" prompts are noted in one line and gathered
//! for the end, so a key typed ahead for the next question is never taken as an action.

use console::Key;

use super::term::Ui;
use crate::cli::output::{bold, dim, urgent};
use crate::error::Result;
use crate::guidance::{Urgency, WelfarePrompt};
use crate::record::{EventBody, WelfareOutcome};
use crate::store::Store;

/// Records each newly raised prompt; an ACT NOW one is shown and acted on at once.
pub fn raise(ui: &Ui, store: &mut Store, id: &str, prompts: Vec<&WelfarePrompt>) -> Result<()> {
    for p in prompts {
        store.append(
            id,
            EventBody::PromptRaised {
                prompt: p.id.clone(),
                title: p.title.clone(),
                urgency: p.urgency.as_str().to_string(),
            },
        )?;
        if p.urgency == Urgency::Immediate {
            show(ui, p)?;
            act(ui, store, id, &p.id, When::Scene)?;
        } else {
            note(ui, p)?;
        }
    }
    Ok(())
}

/// The one line a prompt that waits for the end gets when it is raised.
pub fn note(ui: &Ui, p: &WelfarePrompt) -> Result<()> {
    ui.styled(
        &format!("Noted for the end ({}): {}", p.urgency.label(), p.title),
        &dim(),
    )
}

/// The lines of a prompt below its heading and title.
fn body(ui: &Ui, p: &WelfarePrompt) -> Vec<String> {
    let mut l = Vec::new();
    for a in &p.actions {
        l.extend(crate::cli::output::wrap_indent(a, ui.width(), "• ", "  "));
    }
    if let Some(t) = &p.topic {
        l.extend(crate::cli::output::wrap(
            &format!("Guidance: msht guide show {t}"),
            ui.width(),
        ));
    }
    l
}

/// Draws a prompt set apart so an urgent one is unmistakable even without colour. A
/// prompt taller than the screen is paged: each page starts with the heading and title,
/// so they are never scrolled away while the officer reads.
pub fn show(ui: &Ui, p: &WelfarePrompt) -> Result<()> {
    let (mark, style) = match p.urgency {
        Urgency::Immediate => ('!', urgent()),
        Urgency::BeforeLeaving => ('=', bold()),
        Urgency::Later => ('-', dim()),
    };
    let rule: String = std::iter::repeat_n(mark, ui.width()).collect();
    let heading = format!("{m}{m} WELFARE: {} {m}{m}", p.urgency.label(), m = mark);
    let title = crate::cli::output::wrap(&p.title, ui.width());
    let body = body(ui, p);
    // Heading, title, rule, blank above and the legend below stay on every page.
    let room = ui.height().saturating_sub(title.len() + 5).max(3);
    let pages: Vec<&[String]> = body.chunks(room).collect();
    for (n, page) in pages.iter().enumerate() {
        ui.blank()?;
        ui.styled(&rule, &style)?;
        if n == 0 {
            ui.styled(&heading, &style)?;
        } else {
            ui.styled(&format!("{heading} ({}/{})", n + 1, pages.len()), &style)?;
        }
        for t in &title {
            ui.styled(t, &bold())?;
        }
        for l in page.iter() {
            ui.line(l)?;
        }
        if n + 1 < pages.len() && !more(ui)? {
            break;
        }
    }
    ui.styled(&rule, &style)
}

/// Waits for a key to show the next page. `false` when the officer chose not to read on.
fn more(ui: &Ui) -> Result<bool> {
    ui.legend(&[("Space", "more"), ("Enter", "skip to d / n / l")])?;
    loop {
        match ui.key()? {
            Key::Char(' ') => return Ok(true),
            Key::Enter => return Ok(false),
            _ => ui.styled("Space shows the rest; Enter goes to the actions.", &dim())?,
        }
    }
}

/// Where an action is asked: at the scene (a prompt comes back at the end) or at the end
/// (a prompt left open is recorded later with a command).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum When {
    Scene,
    End,
}

/// Asks what was done about a prompt and records it.
pub fn act(ui: &Ui, store: &mut Store, id: &str, prompt: &str, when: When) -> Result<()> {
    let (outcome, reason) = ask(ui)?;
    store.append(
        id,
        EventBody::WelfareAction {
            prompt: prompt.to_string(),
            outcome,
            reason,
        },
    )?;
    let said = match (outcome, when) {
        (WelfareOutcome::Done, _) => "done".to_string(),
        (WelfareOutcome::NotPossible, _) => "not possible".to_string(),
        (WelfareOutcome::Deferred, When::Scene) => "later: it comes back at the end".to_string(),
        (WelfareOutcome::Deferred, When::End) => {
            "left open: the end of this screen says how to record it".to_string()
        }
    };
    ui.styled(&format!("✔ {said} (saved)"), &dim())
}

fn ask(ui: &Ui) -> Result<(WelfareOutcome, String)> {
    loop {
        ui.legend(&[("d", "done"), ("n", "not possible"), ("l", "later")])?;
        let key = loop {
            match ui.key()? {
                Key::Char(c) if "dDnNlL".contains(c) => break c.to_ascii_lowercase(),
                Key::Char(c) => {
                    ui.styled(&format!("'{c}' is not a key here: d, n or l."), &dim())?
                }
                _ => ui.styled("Press d, n or l.", &dim())?,
            }
        };
        match key {
            'd' => return Ok((WelfareOutcome::Done, String::new())),
            'l' => return Ok((WelfareOutcome::Deferred, String::new())),
            _ => {
                if let Some(reason) = reason(ui)? {
                    return Ok((WelfareOutcome::NotPossible, reason));
                }
            }
        }
    }
}

/// The reason something was not possible; `None` to go back to d / n / l.
fn reason(ui: &Ui) -> Result<Option<String>> {
    let mut label = "Why was it not possible? (a few words; b goes back)";
    loop {
        let r = ui.read_line(label, "")?;
        match r.as_str() {
            "b" | "B" => return Ok(None),
            "" => {
                label = "A reason is needed: the record must say why it was not possible. Type it, or b to go back to d / n / l.";
            }
            _ => return Ok(Some(r)),
        }
    }
}
