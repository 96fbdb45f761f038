//! `msht encounters show`: one record as a person reads it, with what follows from its
//! current answers, the whole history of every welfare prompt, and the integrity facts.

use serde::Serialize;

use super::local_time;
use crate::cli::Ctx;
use crate::cli::{db, output};
use crate::error::Result;
use crate::guidance::{Guidance, Question};
use crate::record::{DutyFollow, EncounterState, PromptRecord, Status, WelfareOutcome};

/// What `show --json` prints: the derived record and the facts that pin it down.
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    state: &'a EncounterState,
    integrity: Integrity<'a>,
}

#[derive(Serialize)]
struct Integrity<'a> {
    verified: bool,
    id: &'a str,
    event_count: usize,
    head_hash: &'a str,
}

pub fn run(ctx: &Ctx, prefix: &str) -> Result<()> {
    let store = db::open_to_read(ctx)?;
    // Verifies the chain: an altered record is an error (exit 65) naming the event.
    let s = super::load(ctx, &store, prefix)?;
    if ctx.json {
        return Ok(output::print_json(&Shown {
            state: &s,
            integrity: Integrity {
                verified: true,
                id: &s.id,
                event_count: s.event_count,
                head_hash: &s.head_hash,
            },
        })?);
    }
    // Labels for choice answers come from the guidance if it still has the checklist;
    // the record itself keeps the question text, so it reads without it.
    let guidance = ctx.guidance().ok();
    let short = super::short(&store, &s.id);
    let page = Page {
        s: &s,
        g: guidance.as_ref(),
        width: output::width(),
        short: &short,
    };
    Ok(output::print_lines(&page.render())?)
}

/// One record laid out for `width` columns.
pub(super) struct Page<'a> {
    pub s: &'a EncounterState,
    pub g: Option<&'a Guidance>,
    pub width: usize,
    pub short: &'a str,
}

impl Page<'_> {
    fn question(&self, id: &str) -> Option<&Question> {
        self.g
            .and_then(|g| g.flattened(&self.s.checklist))
            .and_then(|f| f.questions.iter().find(|q| q.id == id).copied())
    }

    fn t(&self, at: &str) -> String {
        local_time(at, Some(&self.s.created_offset))
    }

    fn h(text: &str) -> String {
        output::heading().apply_to(text).to_string()
    }

    fn add(&self, l: &mut Vec<String>, text: &str, first: &str, rest: &str) {
        l.extend(output::wrap_indent(text, self.width, first, rest));
    }

    pub fn render(&self) -> Vec<String> {
        let mut l = Vec::new();
        self.facts(&mut l);
        self.answers(&mut l);
        self.prompts(&mut l);
        self.notes(&mut l);
        self.outcome(&mut l);
        self.amendments(&mut l);
        self.sign_offs(&mut l);
        l.push(String::new());
        // Not wrapped: the id and hash must be copyable whole.
        l.push(Self::h("Integrity: verified"));
        l.push(format!("  id: {}", self.s.id));
        l.push(format!("  events: {}", self.s.event_count));
        l.push(format!("  head hash: {}", self.s.head_hash));
        l
    }

    fn facts(&self, l: &mut Vec<String>) {
        let s = self.s;
        l.push(Self::h(&format!("Encounter {}", s.id)));
        let status = match (&s.status, &s.completed_at) {
            (Status::Complete, Some(at)) => format!("complete (at {})", self.t(at)),
            (st, _) => st.as_str().to_string(),
        };
        let mut facts = vec![
            format!("Status: {status}"),
            format!("Officer: {}", s.officer),
            format!("Location: {}", s.location),
            format!("Checklist: {} ({})", s.checklist_title, s.checklist),
            format!(
                "Guidance: version {}, hash {}",
                s.guidance_version,
                s.guidance_hash.chars().take(12).collect::<String>()
            ),
            format!(
                "Started: {} (UTC{})",
                self.t(&s.created_at),
                s.created_offset
            ),
            format!("Device: {}", s.device_id),
        ];
        if let Some(link) = &s.scene {
            let raised = match (&link.raised_by, &link.question) {
                (Some(by), Some(q)) => format!(", raised by encounter {by} ({q})"),
                (Some(by), None) => format!(", raised by encounter {by}"),
                _ => String::new(),
            };
            facts.insert(
                3,
                format!("Scene: {} as \"{}\"{raised}", link.scene, link.label),
            );
        }
        if let Some(r) = &s.void_reason {
            facts.insert(1, format!("VOID: {r}"));
        }
        for f in facts {
            self.add(l, &f, "", "  ");
        }
    }

    fn answers(&self, l: &mut Vec<String>) {
        l.push(String::new());
        l.push(Self::h("Answers"));
        if self.s.answers.is_empty() {
            l.push("  (none)".into());
        }
        for a in &self.s.answers {
            let q = self.question(&a.question);
            self.add(
                l,
                &format!("{} {}", self.t(&a.at), a.question_text),
                "  ",
                "    ",
            );
            self.add(l, &format!("→ {}", a.answer.display(q)), "    ", "      ");
            for e in &a.history {
                let text = format!("(earlier: {} at {})", e.answer.display(q), self.t(&e.at));
                self.add(l, &text, "      ", "      ");
            }
        }
    }

    fn prompts(&self, l: &mut Vec<String>) {
        if self.s.prompts.is_empty() {
            return;
        }
        l.push(String::new());
        l.push(Self::h("Welfare prompts"));
        for p in &self.s.prompts {
            let head = format!(
                "[{}] {} ({}, raised {})",
                p.urgency,
                p.title,
                p.prompt,
                self.t(&p.raised_at)
            );
            self.add(l, &head, "  ", "    ");
            for line in self.prompt_history(p) {
                self.add(l, &line, "    ", "      ");
            }
        }
    }

    /// Every action recorded on a prompt, oldest first, then what is still to do.
    fn prompt_history(&self, p: &PromptRecord) -> Vec<String> {
        let mut out: Vec<String> = p
            .history
            .iter()
            .map(|a| {
                let what = match a.outcome {
                    WelfareOutcome::Done => "done",
                    WelfareOutcome::NotPossible => "not possible",
                    WelfareOutcome::Deferred => "deferred",
                };
                let why = if a.reason.is_empty() {
                    String::new()
                } else {
                    format!(": {}", a.reason)
                };
                format!("→ {what} at {}{why}", self.t(&a.at))
            })
            .collect();
        if !p.follows {
            out.push("→ no longer follows from the answers (after an amendment)".into());
        } else if matches!(p.outcome, None | Some(WelfareOutcome::Deferred)) {
            out.push(format!(
                "→ OPEN: msht encounters action {} {} --done",
                self.short, p.prompt
            ));
        }
        out
    }

    fn notes(&self, l: &mut Vec<String>) {
        if self.s.notes.is_empty() {
            return;
        }
        l.push(String::new());
        l.push(Self::h("Notes"));
        for n in &self.s.notes {
            self.add(l, &format!("{} {}", self.t(&n.at), n.text), "  ", "    ");
        }
    }

    fn outcome(&self, l: &mut Vec<String>) {
        let s = self.s;
        if s.status == Status::Draft && s.indicators.is_empty() && s.follow.is_empty() {
            return;
        }
        l.push(String::new());
        l.push(Self::h("What follows from the answers"));
        if !s.derived {
            self.add(
                l,
                "As stated at completion: the guidance in use does not have this checklist.",
                "  ",
                "  ",
            );
        }
        self.add(l, "Indicators (answers that give concern):", "  ", "  ");
        if s.indicators.is_empty() {
            l.push("    none".into());
        }
        for i in &s.indicators {
            let text = s.answers.iter().find(|a| &a.question == i).map_or_else(
                || i.clone(),
                |a| {
                    let q = self.question(&a.question);
                    format!("{} → {}", a.question_text, a.answer.display(q))
                },
            );
            self.add(l, &text, "    • ", "      ");
        }
        self.add(l, "Duties, in the order to do them:", "  ", "  ");
        if s.follow.is_empty() {
            for (n, d) in s.duties.iter().enumerate() {
                self.add(l, &d.title, &format!("    {}. ", n + 1), "       ");
            }
        }
        for (n, d) in s.follow.iter().enumerate() {
            self.add(l, &d.title, &format!("    {}. ", n + 1), "       ");
            for line in self.duty_lines(d) {
                self.add(l, &line, "       ", "         ");
            }
        }
    }

    /// What became of one duty: every outcome recorded, then what is still to do.
    fn duty_lines(&self, d: &DutyFollow) -> Vec<String> {
        let mut out: Vec<String> = d
            .history
            .iter()
            .map(|o| {
                let mut text = format!(
                    "→ {} at {} by {}",
                    o.outcome.as_str().replace('_', " "),
                    self.t(&o.at),
                    o.officer
                );
                if !o.reference.is_empty() {
                    text.push_str(&format!(", reference {}", o.reference));
                }
                if !o.reason.is_empty() {
                    text.push_str(&format!(": {}", o.reason));
                }
                if !o.note.is_empty() {
                    text.push_str(&format!(" (note: {})", o.note));
                }
                text
            })
            .collect();
        if !d.applies {
            out.push("→ no longer applies (after an amendment); its outcomes stay".into());
        } else if d.is_open() {
            let when = d
                .timescale
                .as_deref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            out.push(format!(
                "→ OPEN{when}: msht encounters duty {} {} --done",
                self.short, d.id
            ));
        }
        out
    }

    fn sign_offs(&self, l: &mut Vec<String>) {
        if self.s.sign_offs.is_empty() {
            return;
        }
        l.push(String::new());
        l.push(Self::h("Supervisor sign-off"));
        for x in &self.s.sign_offs {
            self.add(
                l,
                &format!("{} signed off by {}", self.t(&x.at), x.supervisor),
                "  ",
                "    ",
            );
            if !x.note.is_empty() {
                self.add(l, &format!("note: {}", x.note), "    ", "      ");
            }
            if x.open.is_empty() {
                self.add(l, "nothing was open", "    ", "      ");
            } else {
                let open: Vec<String> = x
                    .open
                    .iter()
                    .map(|o| format!("{} ({})", o.title, o.kind))
                    .collect();
                self.add(
                    l,
                    &format!("open when signed: {}", open.join("; ")),
                    "    ",
                    "      ",
                );
                self.add(
                    l,
                    &format!("accepted because: {}", x.accept_open),
                    "    ",
                    "      ",
                );
            }
        }
    }

    fn amendments(&self, l: &mut Vec<String>) {
        if self.s.amendments.is_empty() {
            return;
        }
        l.push(String::new());
        l.push(Self::h("Amendments"));
        for a in &self.s.amendments {
            self.add(
                l,
                &format!("{} reason: {}", self.t(&a.at), a.reason),
                "  ",
                "    ",
            );
            if let (Some(qid), Some(ans)) = (&a.question, &a.answer) {
                let text = self
                    .question(qid)
                    .map_or_else(|| qid.clone(), |q| q.text.clone());
                let shown = ans.display(self.question(qid));
                self.add(l, &format!("{text} → {shown}"), "    ", "      ");
            }
            if let Some(n) = &a.note {
                self.add(l, &format!("note: {n}"), "    ", "      ");
            }
            if let Some(c) = &a.duties_changed {
                let text = format!(
                    "duties changed: {} → {}",
                    none_if_empty(&c.before),
                    none_if_empty(&c.after)
                );
                self.add(l, &text, "    ", "      ");
            }
        }
    }
}

pub(super) fn none_if_empty(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}
