//! `msht check --triage`: a quick first screen of many people at a scene (a raid on a car
//! wash, a grow house). Per person: a label that tells them apart ("worker 3, red
//! jacket"), then only the questions the guidance marks for triage (danger, age, injury,
//! interpreter; the nation once for everyone). Each person is their own encounter, linked
//! to the scene and saved as a draft answer by answer, and their ACT NOW prompts fire at
//! once; each full checklist follows later with `msht check --resume ID`.
//!
//! A child module of the check flow, so it asks, saves and raises prompts exactly as the
//! full flow does.

use super::prompt;
use super::term::{self, Ui};
use super::{Input, ask_officer, read_input, show_help};
use crate::cli::Ctx;
use crate::cli::check::Args;
use crate::cli::output::{self, bold, dim};
use crate::engine::{Answer, Session};
use crate::error::{Error, Result};
use crate::guidance::{Guidance, Question, QuestionKind};
use crate::record::{EventBody, SceneStatus};
use crate::store::Store;

/// The checklist every triaged person's draft runs (its full screen follows on resume).
const TRIAGE_CHECKLIST: &str = "general";

struct Triage<'g> {
    ui: Ui,
    g: &'g Guidance,
    store: Store,
    scene: String,
    officer: String,
    location: String,
    /// Answers given once for everyone (the nation), by question id.
    shared: Vec<(String, Answer)>,
    /// The config's defaults (the nation), used as shared answers.
    prefill: Vec<(String, String)>,
    /// Each person triaged: label and encounter id.
    done: Vec<(String, String)>,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    term::install_interrupt_handler();
    let g = ctx.guidance()?;
    let store = crate::cli::db::open(ctx)?;
    let ui = Ui::new();
    let officer = match &args.officer {
        Some(o) if o.trim().is_empty() => return Err(crate::cli::check::empty_officer()),
        Some(o) => o.trim().to_string(),
        None => ask_officer(&ui, &store, ctx.config.officer.as_deref())?,
    };
    let mut t = Triage {
        ui,
        g: &g,
        store,
        scene: String::new(),
        officer,
        location: String::new(),
        shared: Vec::new(),
        prefill: ctx.config.default_answers(),
        done: Vec::new(),
    };
    t.open_scene(&args)?;
    while t.person()? {}
    t.end()
}

impl<'g> Triage<'g> {
    /// Joins the scene named, or opens a new one here.
    fn open_scene(&mut self, args: &Args) -> Result<()> {
        let ui = &self.ui;
        if let Some(prefix) = &args.scene {
            let id = self.store.resolve_scene_id(prefix)?;
            let s = self.store.scene(&id)?;
            if s.status == SceneStatus::Closed {
                return Err(Error::Usage(format!(
                    "scene {} is closed, so no one more can join it; open a new one with `msht check --triage`",
                    self.store.short_scene_id(&id)?
                )));
            }
            self.location = args.location.clone().unwrap_or(s.location);
            self.scene = id;
        } else {
            self.location = match &args.location {
                Some(l) => l.clone(),
                None => ui.read_line("Location (Enter to leave blank):", "")?,
            };
            let description = args.scene_description.clone().unwrap_or_default();
            let e = self
                .store
                .open_scene(&self.officer, &self.location, description.trim())?;
            self.scene = e.scene_id;
        }
        let short = self.store.short_scene_id(&self.scene)?;
        ui.blank()?;
        ui.styled(&format!("Scene {short}: quick triage."), &bold())?;
        ui.styled(
            "A few questions per person, each saved as a draft to finish later.",
            &dim(),
        )
    }

    /// Triage of one person. `false` when the officer says everyone is done.
    fn person(&mut self) -> Result<bool> {
        let n = self.store.scene_members(&self.scene)?.len() + 1;
        self.ui.blank()?;
        let label = self.ui.read_line(
            &format!("Person {n}: a short description (Enter: everyone is done)"),
            "",
        )?;
        if label.is_empty() {
            return Ok(false);
        }
        let checklist = self.g.checklist_or_err(TRIAGE_CHECKLIST)?;
        let events = self.store.record_encounter(
            EventBody::Created {
                officer: self.officer.clone(),
                location: self.location.clone(),
                checklist: checklist.id.clone(),
                checklist_title: checklist.title.clone(),
                guidance_version: self.g.version.clone(),
                guidance_hash: self.g.hash.clone(),
            },
            vec![EventBody::SceneJoined {
                scene: self.scene.clone(),
                label: label.clone(),
                raised_by: None,
                question: None,
            }],
        )?;
        let id = events
            .first()
            .map(|e| e.encounter_id.clone())
            .unwrap_or_default();
        let short = self.store.short_id(&id)?;
        term::set_current(&short);
        let mut session = Session::new(self.g, &checklist.id)?;
        let pending = session.raise_pending();
        prompt::raise(&self.ui, &mut self.store, &id, pending)?;
        let finished = self.questions(&id, &mut session)?;
        self.ui
            .styled(&format!("✔ {label}: draft {short} saved"), &dim())?;
        self.done.push((label, id));
        Ok(finished)
    }

    /// The triage questions still asked, each saved as it is answered. `false` when the
    /// officer stopped (q): the triage ends after this person.
    fn questions(&mut self, id: &str, session: &mut Session<'g>) -> Result<bool> {
        let all = session.triage_questions();
        let mut i = 0;
        while let Some(q) = all.get(i).copied() {
            if !session.is_visible(&q.id) {
                i += 1;
                continue;
            }
            let input = match self.shared_answer(q) {
                Some(a) => {
                    let shown = format!("{}: {} (as for everyone)", q.text, a.display(Some(q)));
                    self.ui.styled(&shown, &dim())?;
                    Input::Answer(a)
                }
                None => {
                    self.show(q, i + 1, all.len())?;
                    read_input(&self.ui, q, session.answer_of(&q.id))?
                }
            };
            match input {
                Input::Answer(a) => {
                    self.save(id, session, q, a)?;
                    i += 1;
                }
                Input::Keep => i += 1,
                Input::Help => show_help(&self.ui, self.g, q)?,
                Input::Back => i = i.saturating_sub(1),
                Input::Quit => {
                    self.ui.blank()?;
                    for l in term::resume_hint(&self.store.short_id(id)?) {
                        self.ui.para(&l)?;
                    }
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// An answer given once for everyone: the config's default, or the first person's.
    fn shared_answer(&self, q: &Question) -> Option<Answer> {
        if let Some((_, a)) = self.shared.iter().find(|(id, _)| *id == q.id) {
            return Some(a.clone());
        }
        let (_, v) = self.prefill.iter().find(|(id, _)| *id == q.id)?;
        Answer::parse_for(q, v).ok()
    }

    fn show(&self, q: &Question, n: usize, of: usize) -> Result<()> {
        let ui = &self.ui;
        ui.styled(&format!("Triage {n} of {of}"), &dim())?;
        ui.styled(&q.text, &bold())?;
        if q.kind == QuestionKind::Choice {
            for (i, c) in q.choices.iter().enumerate() {
                ui.indented(&c.label, &format!("{} ", i + 1), "  ")?;
            }
            let keys = super::choice_keys(q);
            return ui.legend(&[
                (keys.as_str(), "choose"),
                ("s", "skip"),
                ("?", "help"),
                ("q", "stop"),
            ]);
        }
        ui.legend(&[
            ("y", "yes"),
            ("n", "no"),
            ("u", "unsure"),
            ("s", "skip"),
            ("?", "help"),
            ("b", "back"),
            ("q", "stop"),
        ])
    }

    /// Saves one answer and raises the prompts it triggers (ACT NOW ones at once).
    fn save(&mut self, id: &str, session: &mut Session<'g>, q: &Question, a: Answer) -> Result<()> {
        let shown = a.display(Some(q));
        let newly = session.answer(&q.id, a.clone())?;
        self.store.append(
            id,
            EventBody::AnswerGiven {
                question: q.id.clone(),
                question_text: q.text.clone(),
                answer: a.clone(),
            },
        )?;
        self.ui.styled(&format!("✔ {shown} (saved)"), &dim())?;
        if q.required
            && q.kind == QuestionKind::Choice
            && !self.shared.iter().any(|(i, _)| *i == q.id)
        {
            self.shared.push((q.id.clone(), a));
        }
        prompt::raise(&self.ui, &mut self.store, id, newly)
    }

    /// Everyone triaged: each person's draft and how to finish it; the scene on stdout.
    fn end(&self) -> Result<()> {
        let ui = &self.ui;
        let short = self.store.short_scene_id(&self.scene)?;
        ui.blank()?;
        ui.styled(
            &format!("Triage of scene {short}: {} people", self.done.len()),
            &bold(),
        )?;
        for (label, id) in &self.done {
            let s = self.store.encounter(id)?;
            let open = s.open_prompts().len();
            let line = format!(
                "{label}: {} ({} open prompt{})",
                self.store.short_id(id)?,
                open,
                if open == 1 { "" } else { "s" }
            );
            ui.indented(&line, "• ", "  ")?;
        }
        ui.para("Finish each person's full checklist with:")?;
        ui.line("msht check --resume ID")?;
        ui.para("See everyone at once with:")?;
        ui.line(&format!("msht scene show {short}"))?;
        Ok(output::print_lines(std::slice::from_ref(&self.scene))?)
    }
}
