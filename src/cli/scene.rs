//! The interactive `msht check` at a scene: one question at a time, one key per answer,
//! welfare prompts the moment they are triggered, and every answer saved before the next
//! question is drawn.
//!
//! Written for a phone terminal: no arrow keys needed, everything wrapped to the screen
//! (40 columns is fine), and urgent prompts marked with text as well as colour.

use std::io::{self, Write};
use std::sync::Mutex;

use console::{Key, Term};

use super::Ctx;
use super::check::Args;
use super::output::{self, bold, dim, heading, urgent};
use crate::answers::completion;
use crate::engine::{Answer, Session};
use crate::error::{Error, Result};
use crate::guidance::{Guidance, Question, QuestionKind, Urgency, WelfarePrompt};
use crate::record::{EncounterState, EventBody, Status, WelfareOutcome};
use crate::store::Store;

/// The encounter in progress, so a Ctrl-C outside a key read can say how to resume.
static CURRENT: Mutex<Option<String>> = Mutex::new(None);

fn set_current(id: &str) {
    if let Ok(mut c) = CURRENT.lock() {
        *c = Some(id.to_string());
    }
}

fn resume_hint(id: &str) -> String {
    format!(
        "Stopped. Every answer given is saved as a draft. Resume with:\n  msht check --resume {id}"
    )
}

/// Ctrl-C while a line is being typed arrives as SIGINT: restore the cursor and leave a
/// sentence on how to resume. Answers are committed as they are given, so exiting is safe.
fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        let term = Term::stderr();
        let _ = term.show_cursor();
        let id = CURRENT.lock().ok().and_then(|c| c.clone());
        let msg = match id {
            Some(id) => resume_hint(&id),
            None => "Stopped before anything was saved.".to_string(),
        };
        let _ = writeln!(io::stderr(), "\n{msg}");
        std::process::exit(130);
    });
}

/// What a key press asks for.
enum Input {
    Answer(Answer),
    Keep,
    Help,
    Back,
    Quit,
    Interrupt,
}

struct Ui {
    term: Term,
}

impl Ui {
    fn new() -> Ui {
        Ui {
            term: Term::stderr(),
        }
    }

    /// Read on every use: a phone turned sideways mid-checklist gets the new width.
    fn width(&self) -> usize {
        output::err_width()
    }

    fn line(&self, text: &str) -> Result<()> {
        self.term
            .write_line(text)
            .map_err(|e| Error::io("could not write to the terminal", e))
    }

    fn blank(&self) -> Result<()> {
        self.line("")
    }

    fn para(&self, text: &str) -> Result<()> {
        for l in output::wrap(text, self.width()) {
            self.line(&l)?;
        }
        Ok(())
    }

    /// Styled text on stderr: colour follows stderr's terminal, not stdout's, so
    /// `msht check > id.txt` still shows coloured prompts.
    fn styled(&self, text: &str, style: &console::Style) -> Result<()> {
        let style = style.clone().for_stderr();
        for l in output::wrap(text, self.width()) {
            self.line(&style.apply_to(l).to_string())?;
        }
        Ok(())
    }

    fn bullets(&self, items: &[String]) -> Result<()> {
        for i in items {
            for l in output::wrap_indent(i, self.width(), "• ", "  ") {
                self.line(&l)?;
            }
        }
        Ok(())
    }

    fn key(&self) -> Result<Key> {
        self.term
            .read_key_raw()
            .map_err(|e| Error::io("could not read a key from the terminal", e))
    }

    /// Reads a line, with `initial` already typed so it can be kept or edited.
    fn read_line(&self, label: &str, initial: &str) -> Result<String> {
        for l in output::wrap(label, self.width()) {
            self.line(&l)?;
        }
        self.term
            .write_str("> ")
            .and_then(|_| self.term.read_line_initial_text(initial))
            .map(|s| s.trim().to_string())
            .map_err(|e| Error::io("could not read from the terminal", e))
    }
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    install_interrupt_handler();
    let g = ctx.guidance()?;
    let mut store = Store::open_ctx(ctx.db.as_deref())?;
    let ui = Ui::new();
    let (id, mut session) = match &args.resume {
        Some(prefix) => resume(&ui, &g, &store, prefix)?,
        None => start(&ui, &g, &mut store, &args, ctx.config.officer.as_deref())?,
    };
    // The config's default answers (the nation) answer their question on a fresh start;
    // the officer sees it answered and can go back (b) to change it.
    let mut prefill = match &args.resume {
        Some(_) => Vec::new(),
        None => ctx.config.default_answers(),
    };
    set_current(&id);
    let pending = session.raise_pending();
    raise(&ui, &mut store, &id, pending)?;

    let mut cursor = session.next_question();
    while let Some(q) = cursor {
        let input = match take_prefill(&mut prefill, &session, q) {
            Some(a) => {
                let shown = format!("{}: {} (from your config)", q.text, a.display(Some(q)));
                ui.styled(&shown, &dim())?;
                Input::Answer(a)
            }
            None => {
                show_question(&ui, &session, q)?;
                read_input(&ui, q, session.answer_of(&q.id).is_some())?
            }
        };
        match input {
            Input::Answer(a) => {
                let revisit = session.answer_of(&q.id).is_some();
                let shown = a.display(Some(q));
                let newly = session.answer(&q.id, a.clone())?;
                store.append(
                    &id,
                    EventBody::AnswerGiven {
                        question: q.id.clone(),
                        question_text: q.text.clone(),
                        answer: a,
                    },
                )?;
                ui.styled(&format!("✔ {shown} (saved)"), &dim())?;
                raise(&ui, &mut store, &id, newly)?;
                cursor = if revisit {
                    following(&session, q)
                } else {
                    session.next_question()
                };
            }
            Input::Keep => cursor = following(&session, q),
            Input::Help => show_help(&ui, &g, q)?,
            Input::Back => match session.previous_question(Some(&q.id)) {
                Some(p) => cursor = Some(p),
                None => ui.styled("This is the first question.", &dim())?,
            },
            Input::Quit => {
                ui.blank()?;
                ui.para(&resume_hint(&id))?;
                return print_id(&id);
            }
            Input::Interrupt => {
                let _ = ui.term.show_cursor();
                ui.blank()?;
                return Err(Error::Interrupted(resume_hint(&id)));
            }
        }
    }
    finish(&ui, &g, &mut store, &id, &session)
}

/// The config's answer to `q`, used once and only while `q` is unanswered.
fn take_prefill(
    prefill: &mut Vec<(String, String)>,
    session: &Session,
    q: &Question,
) -> Option<Answer> {
    let at = prefill.iter().position(|(question, _)| *question == q.id)?;
    let (_, value) = prefill.remove(at);
    if session.answer_of(&q.id).is_some() {
        return None;
    }
    Answer::parse_for(q, &value).ok()
}

/// The question after `q` in the asked order, or the first unanswered one.
fn following<'g>(session: &Session<'g>, q: &Question) -> Option<&'g Question> {
    let visible = session.visible_questions();
    let pos = visible.iter().position(|v| v.id == q.id)?;
    visible
        .get(pos + 1)
        .copied()
        .or_else(|| session.next_question())
}

fn start<'g>(
    ui: &Ui,
    g: &'g Guidance,
    store: &mut Store,
    args: &Args,
    config_officer: Option<&str>,
) -> Result<(String, Session<'g>)> {
    let checklist = match &args.checklist {
        Some(id) => g.checklist_or_err(id)?,
        None => choose_checklist(ui, g)?,
    };
    let officer = match &args.officer {
        Some(o) => o.clone(),
        None => {
            // Offered ready to keep: the config's officer, else whoever recorded last.
            let last = match config_officer {
                Some(o) => o.to_string(),
                None => store.last_officer()?.unwrap_or_default(),
            };
            loop {
                let o = ui.read_line("Officer (collar number or id):", &last)?;
                if !o.is_empty() {
                    break o;
                }
                ui.styled("The record needs the officer who made it.", &dim())?;
            }
        }
    };
    let location = match &args.location {
        Some(l) => l.clone(),
        None => ui.read_line("Location (Enter to leave blank):", "")?,
    };
    let created = store.create_encounter(EventBody::Created {
        officer,
        location,
        checklist: checklist.id.clone(),
        checklist_title: checklist.title.clone(),
        guidance_version: g.version.clone(),
        guidance_hash: g.hash.clone(),
    })?;
    let id = created.encounter_id;
    ui.blank()?;
    ui.styled(
        &format!("Encounter {id} started. Every answer is saved as you give it."),
        &dim(),
    )?;
    ui.styled(
        "You do not need to be certain: answer what you see. u = unsure.",
        &dim(),
    )?;
    Ok((id, Session::new(g, &checklist.id)?))
}

fn choose_checklist<'g>(ui: &Ui, g: &'g Guidance) -> Result<&'g crate::guidance::Checklist> {
    let lists = g.checklists_in_order();
    ui.styled("Which checklist?", &bold())?;
    for (i, c) in lists.iter().enumerate() {
        for l in output::wrap_indent(&c.title, ui.width(), &format!("{} ", i + 1), "  ") {
            ui.line(&l)?;
        }
    }
    loop {
        if lists.len() > 9 {
            let n = ui.read_line("Type its number and press Enter:", "")?;
            if let Some(c) = n
                .parse::<usize>()
                .ok()
                .and_then(|n| lists.get(n.wrapping_sub(1)))
            {
                return Ok(c);
            }
            continue;
        }
        match ui.key()? {
            Key::Char(c) if c.is_ascii_digit() => {
                if let Some(cl) = c
                    .to_digit(10)
                    .and_then(|d| lists.get((d as usize).wrapping_sub(1)))
                {
                    ui.styled(&format!("✔ {}", cl.title), &dim())?;
                    return Ok(cl);
                }
            }
            Key::CtrlC | Key::Char('q') => {
                return Err(Error::Interrupted(
                    "Stopped before anything was saved.".into(),
                ));
            }
            _ => {}
        }
    }
}

fn resume<'g>(
    ui: &Ui,
    g: &'g Guidance,
    store: &Store,
    prefix: &str,
) -> Result<(String, Session<'g>)> {
    let id = store.resolve_id(prefix)?;
    let state: EncounterState = store.encounter(&id)?;
    if state.status != Status::Draft {
        return Err(Error::Usage(format!(
            "encounter {id} is {}, so it cannot be resumed; use `msht encounters amend {id}` to correct it",
            state.status.as_str()
        )));
    }
    if state.guidance_hash != g.hash {
        ui.styled(
            &format!(
                "Note: the guidance has changed since this encounter started (was {}, now {}).",
                state.guidance_version, g.version
            ),
            &dim(),
        )?;
    }
    let answers = state
        .answers
        .iter()
        .map(|a| (a.question.clone(), a.answer.clone()));
    let raised = state.prompts.iter().map(|p| p.prompt.clone());
    let session = Session::restore(g, &state.checklist, answers, raised)?;
    ui.styled(
        &format!(
            "Resuming {id} ({}, {})",
            state.checklist_title, state.officer
        ),
        &bold(),
    )?;
    for (q, a) in session.effective_answers() {
        for l in output::wrap_indent(
            &format!("{} → {}", q.text, a.display(Some(q))),
            ui.width(),
            "✔ ",
            "  ",
        ) {
            ui.line(&dim().for_stderr().apply_to(l).to_string())?;
        }
    }
    Ok((id, session))
}

fn show_question(ui: &Ui, session: &Session, q: &Question) -> Result<()> {
    let visible = session.visible_questions();
    let pos = visible
        .iter()
        .position(|v| v.id == q.id)
        .map_or(0, |p| p + 1);
    ui.blank()?;
    ui.styled(&format!("Question {pos} of {}", visible.len()), &dim())?;
    ui.styled(&q.text, &bold())?;
    if q.kind == QuestionKind::Choice {
        for (i, c) in q.choices.iter().enumerate() {
            for l in output::wrap_indent(&c.label, ui.width(), &format!("{} ", i + 1), "  ") {
                ui.line(&l)?;
            }
        }
    }
    if let Some(a) = session.answer_of(&q.id) {
        ui.styled(
            &format!("Answered: {} (Enter keeps it)", a.display(Some(q))),
            &dim(),
        )?;
    }
    let keys = match q.kind {
        QuestionKind::YesNo => {
            "y yes · n no · u unsure · s skip · ? help · b back · q save and stop"
        }
        QuestionKind::Choice => "1-9 choose · s skip · ? help · b back · q save and stop",
        QuestionKind::Text => {
            "Type and press Enter (empty skips). A line of just ?, b or q: help, back, save and stop"
        }
    };
    ui.styled(keys, &dim())
}

fn read_input(ui: &Ui, q: &Question, answered: bool) -> Result<Input> {
    if q.kind == QuestionKind::Text {
        let line = ui.read_line("", "")?;
        return Ok(match line.as_str() {
            "?" => Input::Help,
            "b" | "B" => Input::Back,
            "q" | "Q" => Input::Quit,
            "" if answered => Input::Keep,
            "" => Input::Answer(Answer::Skipped),
            _ => Input::Answer(Answer::Text(line)),
        });
    }
    loop {
        let key = ui.key()?;
        let input = match key {
            Key::CtrlC => Some(Input::Interrupt),
            Key::Enter if answered => Some(Input::Keep),
            Key::ArrowLeft | Key::ArrowUp => Some(Input::Back),
            Key::Char(c) => match (q.kind, c.to_ascii_lowercase()) {
                (_, '?') | (_, 'h') => Some(Input::Help),
                (_, 'b') => Some(Input::Back),
                (_, 'q') => Some(Input::Quit),
                (_, 's') => Some(Input::Answer(Answer::Skipped)),
                (QuestionKind::YesNo, 'y') => Some(Input::Answer(Answer::Yes)),
                (QuestionKind::YesNo, 'n') => Some(Input::Answer(Answer::No)),
                (QuestionKind::YesNo, 'u') => Some(Input::Answer(Answer::Unsure)),
                (QuestionKind::Choice, d) if d.is_ascii_digit() => d
                    .to_digit(10)
                    .and_then(|d| q.choices.get((d as usize).wrapping_sub(1)))
                    .map(|c| Input::Answer(Answer::Choice(c.id.clone()))),
                _ => None,
            },
            _ => None,
        };
        if let Some(i) = input {
            return Ok(i);
        }
    }
}

fn show_help(ui: &Ui, g: &Guidance, q: &Question) -> Result<()> {
    ui.blank()?;
    ui.styled("Help", &heading())?;
    if let Some(h) = &q.help {
        ui.para(h)?;
    }
    if let Some(link) = &q.topic
        && let Some((topic, section)) = g.resolve_link(link)
    {
        let body = section.map_or_else(
            || {
                topic
                    .sections
                    .first()
                    .map(|s| s.body.clone())
                    .unwrap_or_default()
            },
            |s| s.body.clone(),
        );
        let title = section.map_or(topic.title.clone(), |s| {
            format!("{}: {}", topic.title, s.heading)
        });
        ui.styled(&title, &bold())?;
        for l in output::render_markdown(&body, ui.width()) {
            ui.line(&l)?;
        }
        ui.styled(&format!("More: msht guide show {link}"), &dim())?;
    }
    Ok(())
}

/// Draws a welfare prompt, set apart so an urgent one is unmistakable even without colour.
fn show_prompt(ui: &Ui, p: &WelfarePrompt) -> Result<()> {
    let (mark, style) = match p.urgency {
        Urgency::Immediate => ('!', urgent().for_stderr()),
        Urgency::BeforeLeaving => ('=', bold().for_stderr()),
        Urgency::Later => ('-', dim().for_stderr()),
    };
    let rule: String = std::iter::repeat_n(mark, ui.width()).collect();
    ui.blank()?;
    ui.line(&style.apply_to(&rule).to_string())?;
    ui.styled(
        &format!("{m}{m} WELFARE: {} {m}{m}", p.urgency.label(), m = mark),
        &style,
    )?;
    ui.styled(&p.title, &bold())?;
    ui.bullets(&p.actions)?;
    if let Some(t) = &p.topic {
        ui.styled(&format!("Guidance: msht guide show {t}"), &dim())?;
    }
    ui.line(&style.apply_to(&rule).to_string())
}

/// Asks what was done about a prompt; `None` means Ctrl-C.
fn ask_action(ui: &Ui) -> Result<Option<(WelfareOutcome, String)>> {
    ui.styled("d done · n not possible · l later", &dim())?;
    loop {
        match ui.key()? {
            Key::Char('d') | Key::Char('D') => {
                return Ok(Some((WelfareOutcome::Done, String::new())));
            }
            Key::Char('l') | Key::Char('L') => {
                return Ok(Some((WelfareOutcome::Deferred, String::new())));
            }
            Key::Char('n') | Key::Char('N') => loop {
                let reason = ui.read_line("Why was it not possible? (a few words)", "")?;
                if !reason.is_empty() {
                    return Ok(Some((WelfareOutcome::NotPossible, reason)));
                }
            },
            Key::CtrlC => return Ok(None),
            _ => {}
        }
    }
}

fn record_action(ui: &Ui, store: &mut Store, id: &str, prompt: &str) -> Result<()> {
    let Some((outcome, reason)) = ask_action(ui)? else {
        let _ = ui.term.show_cursor();
        return Err(Error::Interrupted(resume_hint(id)));
    };
    store.append(
        id,
        EventBody::WelfareAction {
            prompt: prompt.to_string(),
            outcome,
            reason,
        },
    )?;
    let said = match outcome {
        WelfareOutcome::Done => "done",
        WelfareOutcome::NotPossible => "not possible",
        WelfareOutcome::Deferred => "later: it comes back at the end",
    };
    ui.styled(&format!("✔ {said} (saved)"), &dim())
}

/// Records and shows each newly raised prompt, then asks what was done about it.
/// A prompt marked `later` does not interrupt the questions: it is recorded, noted in one
/// line, and comes back with the others in the end summary.
fn raise(ui: &Ui, store: &mut Store, id: &str, prompts: Vec<&WelfarePrompt>) -> Result<()> {
    for p in prompts {
        store.append(
            id,
            EventBody::PromptRaised {
                prompt: p.id.clone(),
                title: p.title.clone(),
                urgency: p.urgency.as_str().to_string(),
            },
        )?;
        if p.urgency == Urgency::Later {
            ui.styled(&format!("Noted for the end: {}", p.title), &dim())?;
            continue;
        }
        show_prompt(ui, p)?;
        record_action(ui, store, id, &p.id)?;
    }
    Ok(())
}

fn finish(ui: &Ui, g: &Guidance, store: &mut Store, id: &str, session: &Session) -> Result<()> {
    ui.blank()?;
    ui.styled("Summary", &heading())?;
    let indicators = session.indicators();
    ui.styled("Indicators (yes or unsure)", &bold())?;
    if indicators.is_empty() {
        ui.para("None recorded.")?;
    }
    for (q, a) in &indicators {
        for l in output::wrap_indent(
            &format!("{} → {}", q.text, a.display(Some(q))),
            ui.width(),
            "• ",
            "  ",
        ) {
            ui.line(&l)?;
        }
    }

    let state = store.encounter(id)?;
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
        for l in output::wrap_indent(&format!("{} ({what})", p.title), ui.width(), "• ", "  ") {
            ui.line(&l)?;
        }
    }
    for p in state.open_prompts() {
        ui.blank()?;
        if let Some(prompt) = g.prompt(&p.prompt) {
            show_prompt(ui, prompt)?;
        } else {
            ui.styled(&p.title, &bold())?;
        }
        record_action(ui, store, id, &p.prompt)?;
    }

    ui.blank()?;
    ui.styled("Duties that follow", &bold())?;
    let duties = session.duties();
    if duties.is_empty() {
        ui.para(
            "None from these answers. If you still suspect exploitation, speak to a supervisor.",
        )?;
    }
    for d in &duties {
        ui.styled(&format!("• {}", d.duty.title), &bold())?;
        for b in &d.because {
            for l in output::wrap_indent(b, ui.width(), "  Why: ", "  ") {
                ui.line(&l)?;
            }
        }
        for l in output::wrap_indent(&d.duty.next, ui.width(), "  Next: ", "  ") {
            ui.line(&l)?;
        }
    }

    ui.blank()?;
    loop {
        let note = ui.read_line("Add a note (Enter on an empty line to finish):", "")?;
        if note.is_empty() {
            break;
        }
        store.append(id, EventBody::NoteAdded { text: note })?;
        ui.styled("✔ note saved", &dim())?;
    }

    ui.styled(
        "Complete the encounter now? y yes · n keep as draft",
        &bold(),
    )?;
    let complete = loop {
        match ui.key()? {
            Key::Char('y') | Key::Char('Y') => break true,
            Key::Char('n') | Key::Char('N') | Key::Char('q') => break false,
            Key::CtrlC => {
                let _ = ui.term.show_cursor();
                return Err(Error::Interrupted(resume_hint(id)));
            }
            _ => {}
        }
    };
    if complete {
        store.append(id, completion(session))?;
    }
    ui.blank()?;
    if complete {
        ui.para(&format!("Encounter {id} is complete."))?;
    } else {
        ui.para(&format!(
            "Encounter {id} is saved as a draft. Resume with: msht check --resume {id}"
        ))?;
    }
    ui.styled("Next:", &bold())?;
    ui.para(&format!("msht export {id} --format md"))?;
    if duties
        .iter()
        .any(|d| d.duty.id == crate::guidance::ids::DTN_DUTY)
    {
        ui.para(&format!("msht export {id} --for dtn"))?;
    }
    ui.para("msht sync push --to DIR")?;
    let still_open = store.encounter(id)?.open_prompts().len();
    if still_open > 0 {
        ui.para(&format!(
            "{still_open} welfare prompt(s) still open. When done, record it with: msht encounters action {id} PROMPT --done"
        ))?;
    }
    print_id(id)
}

/// The one line on stdout, so `msht check > id.txt` captures the encounter id.
fn print_id(id: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{id}")?;
    Ok(out.flush()?)
}
