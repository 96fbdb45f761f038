//! The Markdown record: what an officer reads, prints and hands to a supervisor. Sections
//! are numbered and ordered so the officer can fill in the NRM referral, or the Duty to
//! Notify, one section at a time; a field msht does not know says "not recorded" rather
//! than disappearing, so a gap is visible. Every line fits in 80 columns, and the record
//! ends with the integrity line (encounter id, event count, head hash) so a printed copy
//! can be checked against the database.

use super::record::{Audience, ExportRecord};
use crate::guidance::ids::{AGE_DOUBT_QUESTIONS, AGE_QUESTION, CONSENT_QUESTION, DTN_DUTY};
use crate::record::Answer;
use crate::record::Status;

/// The width a printed record is laid out for.
pub const WIDTH: usize = 80;

const NOT_RECORDED: &str = "not recorded";

struct Doc {
    lines: Vec<String>,
}

impl Doc {
    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.lines.push(String::new());
        }
    }

    fn heading(&mut self, text: &str) {
        self.blank();
        self.wrap(&format!("## {text}"), "", "   ");
        self.lines.push(String::new());
    }

    fn para(&mut self, text: &str) {
        self.blank();
        self.wrap(text, "", "");
        self.lines.push(String::new());
    }

    fn wrap(&mut self, text: &str, first: &str, rest: &str) {
        // Text from the record may hold its own line breaks; keep them.
        let mut indent = first;
        for line in text.lines() {
            let opts = textwrap::Options::new(WIDTH)
                .initial_indent(indent)
                .subsequent_indent(rest)
                // Never split "2026-06-30" or an id at its hyphens; only overlong words.
                .word_splitter(textwrap::WordSplitter::NoHyphenation)
                .break_words(true);
            let wrapped = textwrap::wrap(line, opts);
            if wrapped.is_empty() {
                self.lines.push(indent.trim_end().to_string());
            }
            self.lines
                .extend(wrapped.into_iter().map(|c| c.trim_end().to_string()));
            indent = rest;
        }
        if text.is_empty() {
            self.lines.push(first.trim_end().to_string());
        }
    }

    /// `- Label: value`, wrapped with a hanging indent.
    fn field(&mut self, label: &str, value: &str) {
        self.wrap(&format!("{label}: {value}"), "- ", "  ");
    }

    fn bullet(&mut self, text: &str) {
        self.wrap(text, "- ", "  ");
    }
}

fn or_not_recorded(v: Option<&str>) -> String {
    v.filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| NOT_RECORDED.to_string())
}

fn answer_of<'a>(rec: &'a ExportRecord, q: &str) -> Option<&'a Answer> {
    rec.answers
        .iter()
        .find(|a| a.question == q)
        .map(|a| &a.answer)
}

/// Whether the record says the person is, or may be, a child.
fn child(rec: &ExportRecord) -> Option<bool> {
    if rec.checklist.id == "child" {
        return Some(true);
    }
    // A later answer (the age re-check, a sign the person may be a child) overrides "no".
    let doubt = AGE_DOUBT_QUESTIONS
        .iter()
        .any(|q| matches!(answer_of(rec, q), Some(Answer::Yes | Answer::Unsure)));
    if doubt {
        return Some(true);
    }
    match answer_of(rec, AGE_QUESTION)? {
        Answer::Yes | Answer::Unsure => Some(true),
        Answer::No => Some(false),
        _ => None,
    }
}

fn consent_line(rec: &ExportRecord) -> String {
    if child(rec) == Some(true) {
        return "not needed: the person is, or may be, a child, and a child is always \
                referred to the NRM"
            .to_string();
    }
    let found = rec.answers.iter().find(|a| a.question == CONSENT_QUESTION);
    match found {
        Some(a) if a.answer != Answer::Skipped => a.display.clone(),
        _ => NOT_RECORDED.to_string(),
    }
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// Every action recorded on a prompt, oldest first, then whether it is still open.
fn prompt_history(p: &super::record::PromptOut, dtn: bool) -> Vec<String> {
    let mut out: Vec<String> = p
        .history
        .iter()
        .map(|a| {
            let what = a.outcome.replace('_', " ");
            match &a.reason {
                Some(r) => format!("{what} at {}: {r}", a.at.human()),
                None if a.outcome == "not_possible" => format!(
                    "{what} at {} ({})",
                    a.at.human(),
                    if dtn {
                        "reason left out"
                    } else {
                        "no reason given"
                    }
                ),
                None => format!("{what} at {}", a.at.human()),
            }
        })
        .collect();
    if !p.follows {
        out.push("No longer follows from the answers (after an amendment).".into());
    } else if matches!(p.outcome.as_deref(), None | Some("deferred")) {
        out.push("Still open: no action recorded as done.".into());
    }
    out
}

/// Renders the record as Markdown laid out for 80 columns, one function per numbered
/// section of the NRM referral order.
pub fn to_markdown(rec: &ExportRecord) -> String {
    let dtn = rec.audience == Audience::Dtn;
    let mut d = Doc { lines: Vec::new() };
    for section in SECTIONS {
        section(&mut d, rec, dtn);
    }
    let mut out = d.lines.join("\n");
    out.push('\n');
    // What was typed (or imported) is shown, never acted on by a viewer or a terminal.
    crate::text::visible::visible(&out).into_owned()
}

type Section = fn(&mut Doc, &ExportRecord, bool);

const SECTIONS: [Section; 12] = [
    intro,
    first_responder,
    person,
    when_where,
    indicators,
    welfare,
    duties,
    answers,
    notes_or_left_out,
    amendments,
    dtn_section,
    review_and_integrity,
];

/// The title, a void warning, and how to read this copy.
fn intro(d: &mut Doc, rec: &ExportRecord, dtn: bool) {
    if dtn {
        d.wrap(
            "# Duty to Notify (s52): anonymised encounter record",
            "",
            "  ",
        );
    } else {
        d.wrap("# Encounter record: possible modern slavery", "", "  ");
    }
    d.lines.push(String::new());
    if rec.status == Status::Void {
        d.wrap(
            &format!(
                "**VOID: this record was voided{}. It is exported for the record only; \
                 do not act on it.**",
                rec.void
                    .reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            "",
            "",
        );
        d.lines.push(String::new());
    }
    d.field("Encounter", &rec.encounter_id);
    d.field("Status", rec.status.as_str());
    if !dtn {
        d.para(
            "Sections 1 to 9 follow the order of the NRM referral: who refers, the \
             person, when and where, what was seen, what was done, and what must follow. \
             Section 10 says whether a Duty to Notify applies. Where msht holds no \
             value, it says \"not recorded\".",
        );
    }
    if dtn {
        d.para(
            "This copy leaves out everything that could identify the person, because \
             they are an adult who did not consent to an NRM referral. Section 8 lists \
             what was left out. Do not add their name, date of birth, contact details or \
             address to the notification.",
        );
    }
}

/// 1. Who refers, and which guidance this record was made with.
fn first_responder(d: &mut Doc, rec: &ExportRecord, _dtn: bool) {
    d.heading("1. First responder and this record");
    d.field(
        "Officer (first responder)",
        &or_not_recorded(Some(&rec.officer)),
    );
    d.field("Force, team and contact details", NOT_RECORDED);
    d.field("Device", &rec.device_id);
    d.field(
        "Checklist",
        &format!("{} ({})", rec.checklist.title, rec.checklist.id),
    );
    d.field(
        "Guidance",
        &format!(
            "version {}, hash {}",
            rec.guidance.version, rec.guidance.hash
        ),
    );
    d.field("Started", &rec.created.human());
    d.field(
        "Completed",
        &rec.completed
            .as_ref()
            .map(|t| t.human())
            .unwrap_or_else(|| "not completed (draft)".to_string()),
    );
    d.field("Last change", &rec.updated.human());
}

/// 2. The person: age, consent, and what msht does not hold.
fn person(d: &mut Doc, rec: &ExportRecord, dtn: bool) {
    d.heading("2. The person");
    d.field(
        "Age",
        match child(rec) {
            Some(true) => "under 18, or may be: treat as a child",
            Some(false) => "adult (18 or over)",
            None => NOT_RECORDED,
        },
    );
    d.field("Consent to an NRM referral", &consent_line(rec));
    if dtn {
        d.field(
            "Name, date of birth, nationality, contact details",
            "left out: the notification must not identify them",
        );
    } else {
        d.field(
            "Name, date of birth, nationality, contact details",
            "not recorded (msht does not hold them; take them from the person, with \
             consent, or from the force record)",
        );
    }
}

/// 3. When and where, and the type of exploitation considered.
fn when_where(d: &mut Doc, rec: &ExportRecord, dtn: bool) {
    d.heading("3. When and where");
    d.field("Date and time", &rec.created.human());
    if dtn {
        d.field(
            "Location",
            "left out (give only the town or force area in the notification)",
        );
    } else {
        d.field("Location", &or_not_recorded(rec.location.as_deref()));
    }
    d.field(
        "Type of exploitation considered",
        &format!("{} checklist", rec.checklist.title),
    );
    if let Some(sc) = &rec.scene {
        let label = if sc.label.trim().is_empty() {
            String::new()
        } else {
            format!(", as \"{}\"", sc.label)
        };
        d.field(
            "Met with others",
            &format!("one of several people at scene {}{label}", sc.id),
        );
        if let Some(by) = &sc.raised_by {
            d.field("Raised by", &format!("an answer in encounter {by}"));
        }
    }
}

/// 4. The answers that indicate modern slavery.
fn indicators(d: &mut Doc, rec: &ExportRecord, _dtn: bool) {
    d.heading("4. Indicators of modern slavery (answers that give concern)");
    if rec.indicators.is_empty() {
        d.bullet(if rec.completed.is_some() {
            "none recorded"
        } else {
            "not recorded: the checklist was not completed"
        });
    }
    for i in &rec.indicators {
        d.bullet(&format!("{} -- {}", i.question_text, i.display));
    }
}

/// 5. Every welfare prompt raised and what was done about it.
fn welfare(d: &mut Doc, rec: &ExportRecord, dtn: bool) {
    d.heading("5. Immediate welfare and safeguarding");
    if rec.welfare_prompts.is_empty() {
        d.bullet("no welfare prompts were raised");
    }
    for p in &rec.welfare_prompts {
        d.bullet(&format!(
            "[{}] {}. Raised {}.",
            p.urgency.replace('_', " "),
            p.title,
            p.raised_at.human()
        ));
        for line in prompt_history(p, dtn) {
            d.wrap(&line, "  ", "  ");
        }
    }
}

/// 6. The duties that follow from the answers.
fn duties(d: &mut Doc, rec: &ExportRecord, _dtn: bool) {
    d.heading("6. What must follow (duties)");
    if rec.duties.is_empty() {
        d.bullet(if rec.completed.is_some() {
            "none stated"
        } else {
            "not recorded: duties are stated when the checklist is completed"
        });
    }
    if rec.follow_through.is_empty() {
        for (n, duty) in rec.duties.iter().enumerate() {
            d.wrap(&duty.title, &format!("{}. ", n + 1), "   ");
        }
    }
    for (n, duty) in rec.follow_through.iter().enumerate() {
        d.wrap(&duty.title, &format!("{}. ", n + 1), "   ");
        for line in duty_lines(duty) {
            d.wrap(&line, "   - ", "     ");
        }
    }
}

/// Each outcome of a duty (with its reference), then whether it is still open.
fn duty_lines(duty: &super::record::DutyOut) -> Vec<String> {
    let mut out: Vec<String> = duty
        .history
        .iter()
        .map(|o| {
            let mut line = format!(
                "{} at {} by {}",
                o.outcome.replace('_', " "),
                o.at.human(),
                o.officer
            );
            if let Some(r) = &o.reference {
                line.push_str(&format!(", reference {r}"));
            }
            if let Some(r) = &o.reason {
                line.push_str(&format!(": {r}"));
            }
            if let Some(n) = &o.note {
                line.push_str(&format!(" (note: {n})"));
            }
            line
        })
        .collect();
    if !duty.applies {
        out.push("no longer applies (after an amendment); its outcomes stay".into());
    } else if duty.open {
        let when = duty
            .timescale
            .as_deref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        out.push(format!("OPEN{when}"));
    }
    out
}

/// 7. Every question as shown, with its answer and earlier answers.
fn answers(d: &mut Doc, rec: &ExportRecord, _dtn: bool) {
    d.heading("7. Every question as shown, with its answer");
    if rec.answers.is_empty() {
        d.bullet("no answers recorded");
    }
    for (n, a) in rec.answers.iter().enumerate() {
        let num = format!("{}. ", n + 1);
        let pad = " ".repeat(num.len());
        d.wrap(&a.question_text, &num, &pad);
        d.wrap(
            &format!(
                "Answer: {}, at {}{}",
                a.display,
                a.at.human(),
                if a.amended {
                    " (by amendment, see section 9)"
                } else {
                    ""
                }
            ),
            &pad,
            &pad,
        );
        for e in &a.earlier {
            d.wrap(
                &format!("Earlier answer: {}, at {}", e.display, e.at.human()),
                &pad,
                &pad,
            );
        }
    }
}

/// 8. The officer's notes, or (in the DtN copy) what was left out.
fn notes_or_left_out(d: &mut Doc, rec: &ExportRecord, dtn: bool) {
    if dtn {
        d.heading("8. Left out of this copy");
        for l in &rec.left_out {
            d.bullet(l);
        }
    } else {
        d.heading("8. Officer's notes");
        if rec.notes.is_empty() {
            d.bullet("none recorded");
        }
        for note in &rec.notes {
            d.bullet(&format!("{}: {}", note.at.human(), note.text));
        }
    }
}

/// 9. Every amendment with its reason.
fn amendments(d: &mut Doc, rec: &ExportRecord, _dtn: bool) {
    d.heading("9. Amendments");
    if rec.amendments.is_empty() {
        d.bullet("none");
    }
    for m in &rec.amendments {
        let mut s = format!("{}: ", m.at.human());
        if let (Some(q), Some(v)) = (&m.question, &m.display) {
            let text = rec
                .answers
                .iter()
                .find(|a| &a.question == q)
                .map_or(q.as_str(), |a| a.question_text.as_str());
            s.push_str(&format!("answer to \"{text}\" changed to {v}. "));
        }
        if let Some(c) = &m.duties_changed {
            s.push_str(&format!(
                "Duties changed: {} -> {}. ",
                list_or_none(&c.before),
                list_or_none(&c.after)
            ));
        }
        if let Some(n) = &m.note {
            s.push_str(&format!("Note added: {n}. "));
        }
        match &m.reason {
            Some(r) => s.push_str(&format!("Reason: {r}")),
            None => s.push_str("Reason: left out of this copy"),
        }
        d.bullet(&s);
    }
}

/// 10. Whether a Duty to Notify applies.
fn dtn_section(d: &mut Doc, rec: &ExportRecord, dtn: bool) {
    d.heading("10. Duty to Notify (s52)");
    match (dtn, child(rec)) {
        (true, _) => d.para(
            "Use sections 1 to 7 and 9 of this copy for the Duty to Notify referral. It is \
             for an adult who did not consent to an NRM referral, and it must not identify \
             them.",
        ),
        (false, Some(true)) => d.para(
            "Not used: the person is, or may be, a child. A Duty to Notify is never used \
             for a child; make an NRM referral.",
        ),
        (false, _) if rec.duties.iter().any(|d| d.id == DTN_DUTY) => d.para(
            "Required: the adult did not consent to an NRM referral, so police must \
             still notify the Home Office, without identifying them: no name, date of \
             birth, contact details, exact address or free-text notes. Fill it from \
             `msht export ID --for dtn`, the anonymised copy, not from this record.",
        ),
        (false, _) => d.para(
            "If the adult does not consent to an NRM referral, police must still notify \
             the Home Office, without identifying them: no name, date of birth, contact \
             details, exact address or free-text notes. `msht export ID --for dtn` gives \
             that anonymised copy.",
        ),
    }
}

/// 11. Supervisor sign-off lines and the integrity line.
fn review_and_integrity(d: &mut Doc, rec: &ExportRecord, _dtn: bool) {
    d.heading("11. Supervisor review");
    for x in &rec.sign_offs {
        d.bullet(&format!(
            "Signed off by {} at {}",
            x.supervisor,
            x.at.human()
        ));
        if let Some(n) = &x.note {
            d.wrap(&format!("Note: {n}"), "  ", "  ");
        }
        if x.open.is_empty() {
            d.wrap("Nothing was open.", "  ", "  ");
        } else {
            let open: Vec<String> = x
                .open
                .iter()
                .map(|o| format!("{} ({})", o.title, o.kind))
                .collect();
            d.wrap(
                &format!("Open when signed: {}.", open.join("; ")),
                "  ",
                "  ",
            );
            if let Some(r) = &x.accept_open {
                d.wrap(&format!("Accepted because: {r}"), "  ", "  ");
            }
        }
    }
    if !rec.sign_offs.is_empty() {
        d.blank();
    }
    d.lines
        .push("Reviewed by: ______________________  Collar number: __________".into());
    d.lines.push(String::new());
    d.lines
        .push("Date: ______________  Signature: ________________________________".into());
    d.lines.push(String::new());
    d.lines.push("---".into());
    d.lines.push(String::new());
    d.wrap(
        &format!(
            "Integrity: encounter {}, {} events,",
            rec.encounter_id, rec.event_count
        ),
        "",
        "",
    );
    d.lines.push(format!("head hash {}", rec.head_hash));
}
