//! The interactive `msht check` at a scene: one question at a time, one key per answer,
//! ACT NOW prompts the moment they are triggered, and every answer saved before the next
//! question is drawn.
//!
//! Written for a phone terminal: no arrow keys needed, everything wrapped to the screen
//! (40 columns is fine), and urgent prompts marked with text as well as colour. Reading
//! keys and lines is in `term.rs`, welfare prompts in `prompt.rs`, the end in `finish.rs`.

mod finish;
mod others;
mod prompt;
mod term;
pub mod triage;

use std::io::{self, Write};

use console::Key;

use super::Ctx;
use super::check::Args;
use super::output::{self, bold, dim, heading};
use crate::engine::{Answer, Session};
use crate::error::{Error, Result};
use crate::guidance::{Guidance, Question, QuestionKind, Urgency};
use crate::record::{EventBody, Status};
use crate::store::Store;
use term::Ui;

/// What a key press asks for.
enum Input {
    Answer(Answer),
    Keep,
    Help,
    Back,
    Quit,
}

/// The encounter being answered.
struct Flow<'g> {
    ui: Ui,
    g: &'g Guidance,
    /// Borrowed, so a person raised by an answer can be screened in a flow of their own
    /// on the same connection while this one waits.
    store: &'g mut Store,
    id: String,
    short: String,
    session: Session<'g>,
    /// How many questions were asked when the last one was shown, to say why it changed.
    total: usize,
    /// The config's default answers (the nation), each used once on a fresh start.
    prefill: Vec<(String, String)>,
    /// The config's default answers, for the flow of a person raised by an answer.
    defaults: Vec<(String, String)>,
    /// Questions whose "another person" was already offered in this run.
    offered: Vec<String>,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    term::install_interrupt_handler();
    let g = ctx.guidance()?;
    let mut store = super::db::open(ctx)?;
    let ui = Ui::new();
    let (id, session) = match &args.resume {
        Some(prefix) => resume(&ui, &g, &store, prefix)?,
        None => start(&ui, &g, &mut store, &args, ctx.config.officer.as_deref())?,
    };
    let defaults = ctx.config.default_answers();
    // The config's default answers answer their question on a fresh start; the officer
    // sees it answered and can go back (b) to change it.
    let prefill = match &args.resume {
        Some(_) => Vec::new(),
        None => ctx.config.default_answers(),
    };
    let short = store.short_id(&id)?;
    term::set_current(&short);
    let total = session.visible_questions().len();
    let mut flow = Flow {
        ui,
        g: &g,
        store: &mut store,
        id,
        short,
        session,
        total,
        prefill,
        defaults,
        offered: Vec::new(),
    };
    if args.resume.is_some() {
        flow.reshow_open_prompts()?;
    }
    let pending = flow.session.raise_pending();
    prompt::raise(&flow.ui, flow.store, &flow.id, pending)?;
    if !flow.questions()? {
        return print_id(&flow.id);
    }
    finish::End {
        ui: &flow.ui,
        g: flow.g,
        id: &flow.id,
        short: &flow.short,
        session: &flow.session,
    }
    .run(flow.store)?;
    others::reminder(&flow)?;
    print_id(&flow.id)
}

impl<'g> Flow<'g> {
    /// Asks until every asked question has an answer. `false` when the officer stopped.
    fn questions(&mut self) -> Result<bool> {
        let mut cursor = self.session.next_question();
        while let Some(q) = cursor {
            let answered = self.session.answer_of(&q.id).cloned();
            let input = match self.take_prefill(q) {
                Some(a) => {
                    let shown = format!("{}: {} (from your config)", q.text, a.display(Some(q)));
                    self.ui.styled(&shown, &dim())?;
                    Input::Answer(a)
                }
                None => {
                    self.show_question(q)?;
                    read_input(&self.ui, q, answered.as_ref())?
                }
            };
            match input {
                Input::Answer(a) => {
                    self.save(q, a)?;
                    cursor = match answered {
                        Some(_) => following(&self.session, q),
                        None => self.session.next_question(),
                    };
                }
                Input::Keep => cursor = following(&self.session, q),
                Input::Help => show_help(&self.ui, self.g, q)?,
                Input::Back => match self.session.previous_question(Some(&q.id)) {
                    Some(p) => cursor = Some(p),
                    None => self.ui.styled("This is the first question.", &dim())?,
                },
                Input::Quit => {
                    self.ui.blank()?;
                    for l in term::resume_hint(&self.short) {
                        self.ui.para(&l)?;
                    }
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The config's answer to `q`, used once and only while `q` is unanswered.
    fn take_prefill(&mut self, q: &Question) -> Option<Answer> {
        let at = self
            .prefill
            .iter()
            .position(|(question, _)| *question == q.id)?;
        let (_, value) = self.prefill.remove(at);
        if self.session.answer_of(&q.id).is_some() {
            return None;
        }
        Answer::parse_for(q, &value).ok()
    }

    /// Saves an answer, says so, says why the number of questions changed, and raises
    /// the prompts it triggers.
    fn save(&mut self, q: &'g Question, a: Answer) -> Result<()> {
        let shown = a.display(Some(q));
        let newly = self.session.answer(&q.id, a.clone())?;
        self.store.append(
            &self.id,
            EventBody::AnswerGiven {
                question: q.id.clone(),
                question_text: q.text.clone(),
                answer: a,
            },
        )?;
        self.ui.styled(&format!("✔ {shown} (saved)"), &dim())?;
        let now = self.session.visible_questions().len();
        if now != self.total {
            let (n, word) = if now > self.total {
                (now - self.total, "more")
            } else {
                (self.total - now, "fewer")
            };
            let s = if n == 1 { "" } else { "s" };
            self.ui.styled(
                &format!("{n} {word} question{s} because of this answer."),
                &dim(),
            )?;
            self.total = now;
        }
        prompt::raise(&self.ui, self.store, &self.id, newly)?;
        others::offer(self, q)
    }

    /// On resume, every prompt raised with nothing recorded comes first, most urgent
    /// first: an ACT NOW prompt interrupted by Ctrl-C or a dead battery is asked again.
    fn reshow_open_prompts(&mut self) -> Result<()> {
        let state = self.store.encounter(&self.id)?;
        for p in state.unanswered_prompts() {
            let Some(full) = self.g.prompt(&p.prompt) else {
                continue;
            };
            if full.urgency == Urgency::Immediate {
                prompt::show(&self.ui, full)?;
                prompt::act(
                    &self.ui,
                    self.store,
                    &self.id,
                    &p.prompt,
                    prompt::When::Scene,
                )?;
            } else {
                prompt::note(&self.ui, full)?;
            }
        }
        Ok(())
    }

    fn show_question(&self, q: &Question) -> Result<()> {
        let ui = &self.ui;
        let visible = self.session.visible_questions();
        let pos = visible
            .iter()
            .position(|v| v.id == q.id)
            .map_or(0, |p| p + 1);
        ui.blank()?;
        ui.styled(&format!("Question {pos} of {}", visible.len()), &dim())?;
        ui.styled(&q.text, &bold())?;
        if q.kind == QuestionKind::Choice {
            for (i, c) in q.choices.iter().enumerate() {
                ui.indented(&c.label, &format!("{} ", i + 1), "  ")?;
            }
        }
        if let Some(a) = self.session.answer_of(&q.id) {
            ui.styled(
                &format!("Answered: {} (Enter keeps it)", a.display(Some(q))),
                &dim(),
            )?;
        }
        let choose = choice_keys(q);
        let common = [
            ("s", "skip"),
            ("?", "help"),
            ("b", "back"),
            ("q", "save and stop"),
        ];
        match q.kind {
            QuestionKind::YesNo => {
                let mut items = vec![("y", "yes"), ("n", "no"), ("u", "unsure")];
                items.extend(common);
                ui.legend(&items)
            }
            QuestionKind::Choice => {
                let mut items = vec![(choose.as_str(), "choose")];
                items.extend(common);
                ui.legend(&items)
            }
            QuestionKind::Text => ui.styled(
                "Type and press Enter (empty skips). A line of just ?, b or q: help, back, save and stop",
                &dim(),
            ),
        }
    }
}

/// The keys of a choice question: "1-3" for three choices, "1" for one.
fn choice_keys(q: &Question) -> String {
    match q.choices.len() {
        0 | 1 => "1".to_string(),
        n => format!("1-{}", n.min(9)),
    }
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
        Some(o) if o.trim().is_empty() => return Err(super::check::empty_officer()),
        Some(o) => o.trim().to_string(),
        None => ask_officer(ui, store, config_officer)?,
    };
    let location = match &args.location {
        Some(l) => l.clone(),
        None => ui.read_line("Location (Enter to leave blank):", "")?,
    };
    let joined = others::choose_scene(ui, store, args, &officer, &location)?;
    let scene = match &joined {
        Some(EventBody::SceneJoined { scene, .. }) => Some(scene.clone()),
        _ => None,
    };
    let events = store.record_encounter(
        EventBody::Created {
            officer,
            location,
            checklist: checklist.id.clone(),
            checklist_title: checklist.title.clone(),
            guidance_version: g.version.clone(),
            guidance_hash: g.hash.clone(),
        },
        joined.into_iter().collect(),
    )?;
    let id = events
        .first()
        .map(|e| e.encounter_id.clone())
        .unwrap_or_default();
    if let (Some(scene), Some(note)) = (scene, &args.for_note) {
        store.append_scene(
            &scene,
            crate::record::SceneBody::NoteResolved {
                note: note.clone(),
                encounter: Some(id.clone()),
                reason: String::new(),
            },
        )?;
    }
    let short = store.short_id(&id)?;
    ui.blank()?;
    ui.styled(
        &format!("Encounter {short} started. Every answer is saved as you give it."),
        &dim(),
    )?;
    ui.styled(
        "You do not need to be certain: answer what you see. u = unsure.",
        &dim(),
    )?;
    Ok((id, Session::new(g, &checklist.id)?))
}

/// The officer, offered from the last encounter on this device: Enter keeps it,
/// Backspace edits it, and an empty answer is asked again.
/// The config file's officer, when set, is offered instead.
fn ask_officer(ui: &Ui, store: &Store, configured: Option<&str>) -> Result<String> {
    let last = match configured {
        Some(o) => o.to_string(),
        None => store.last_officer()?.unwrap_or_default(),
    };
    let label = if last.is_empty() {
        "Officer (collar number or id):"
    } else {
        "Officer (collar number or id; Enter keeps it):"
    };
    loop {
        let o = ui.read_line(label, &last)?;
        if !o.is_empty() {
            return Ok(o);
        }
        ui.styled("The record needs the officer who made it.", &dim())?;
    }
}

fn choose_checklist<'g>(ui: &Ui, g: &'g Guidance) -> Result<&'g crate::guidance::Checklist> {
    let lists = g.checklists_in_order();
    ui.styled("Which checklist?", &bold())?;
    for (i, c) in lists.iter().enumerate() {
        ui.indented(&c.title, &format!("{} ", i + 1), "  ")?;
    }
    if lists.len() > 9 {
        loop {
            let n = ui.read_line("Type its number and press Enter:", "")?;
            if let Some(c) = n
                .parse::<usize>()
                .ok()
                .and_then(|n| lists.get(n.wrapping_sub(1)))
            {
                return Ok(c);
            }
            ui.styled(&format!("'{n}' is not one of the numbers above."), &dim())?;
        }
    }
    let keys = format!("1-{}", lists.len());
    ui.legend(&[(keys.as_str(), "choose"), ("q", "stop")])?;
    loop {
        match ui.key()? {
            Key::Char(c) if c.is_ascii_digit() => {
                if let Some(cl) = c
                    .to_digit(10)
                    .and_then(|d| lists.get((d as usize).wrapping_sub(1)))
                {
                    ui.styled(&format!("✔ {}", cl.title), &dim())?;
                    return Ok(cl);
                }
                ui.styled(&format!("'{c}' is not a checklist: press {keys}."), &dim())?;
            }
            Key::Char('q') => term::stop(),
            Key::Char(c) => ui.styled(
                &format!("'{c}' is not a key here: press {keys} or q."),
                &dim(),
            )?,
            _ => ui.styled(&format!("Press {keys}, or q to stop."), &dim())?,
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
    let state = store.encounter(&id)?;
    let short = store.short_id(&id)?;
    if state.status != Status::Draft {
        return Err(Error::Usage(format!(
            "encounter {short} is {}, so it cannot be resumed; use `msht encounters amend {short}` to correct it",
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
    let raised = state.prompts.iter().map(|p| p.prompt.clone());
    let session = Session::restore(g, &state.checklist, state.current_answers(), raised)?;
    ui.styled(
        &format!(
            "Resuming {short} ({}, {})",
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

/// Reads what the officer wants for question `q`; an unknown key says so in one line.
fn read_input(ui: &Ui, q: &Question, answered: Option<&Answer>) -> Result<Input> {
    if q.kind == QuestionKind::Text {
        let initial = match answered {
            Some(Answer::Text(t)) => t.as_str(),
            _ => "",
        };
        let line = ui.read_line("", initial)?;
        return Ok(match line.as_str() {
            "?" => Input::Help,
            "b" | "B" => Input::Back,
            "q" | "Q" => Input::Quit,
            "" if answered.is_some() => Input::Keep,
            "" => Input::Answer(Answer::Skipped),
            t if answered == Some(&Answer::Text(t.to_string())) => Input::Keep,
            _ => Input::Answer(Answer::Text(line)),
        });
    }
    loop {
        let key = ui.key()?;
        if let Some(i) = key_input(q, &key, answered.is_some()) {
            return Ok(i);
        }
        let what = match key {
            Key::Char(c) if !c.is_control() => format!("'{c}'"),
            _ => "That key".to_string(),
        };
        let keys = match q.kind {
            QuestionKind::Choice => format!("{}, s, ?, b or q", choice_keys(q)),
            _ => "y, n, u, s, ?, b or q".to_string(),
        };
        ui.styled(&format!("{what} is not a key here: {keys}."), &dim())?;
    }
}

fn key_input(q: &Question, key: &Key, answered: bool) -> Option<Input> {
    match key {
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
    }
}

/// The guidance for a question: its help, then the linked section, then its sources as
/// one short line (the full list is one command away).
fn show_help(ui: &Ui, g: &Guidance, q: &Question) -> Result<()> {
    ui.blank()?;
    ui.styled("Help", &heading())?;
    if let Some(h) = &q.help {
        ui.para(h)?;
    }
    let Some(link) = &q.topic else {
        return Ok(());
    };
    let Some((topic, section)) = g.resolve_link(link) else {
        return Ok(());
    };
    let body = section
        .or(topic.sections.first())
        .map(|s| s.body.clone())
        .unwrap_or_default();
    let title = section.map_or(topic.title.clone(), |s| {
        format!("{}: {}", topic.title, s.heading)
    });
    ui.styled(&title, &bold())?;
    for l in output::render_markdown(&body, ui.width()) {
        ui.line(&l)?;
    }
    let n = topic.sources.len();
    ui.styled(
        &format!(
            "Sources: {n} (msht guide show {} --sources lists them)",
            topic.id
        ),
        &dim(),
    )?;
    ui.styled(&format!("More: msht guide show {link}"), &dim())
}

/// The one line on stdout, so `msht check > id.txt` captures the encounter id.
fn print_id(id: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{id}")?;
    Ok(out.flush()?)
}
