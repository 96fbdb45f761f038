//! The Duty to Notify copy (MSA 2015 s52). For an adult who did not consent to the NRM,
//! the notification must not identify them, so this copy keeps only structured facts
//! (yes/no/unsure and choice answers, indicators, prompts and what was done, duties,
//! times, the officer) and drops every piece of free text, because free text is where a
//! name, a date of birth, a phone number or an address ends up.
//!
//! The location is omitted, not shortened. It is one free-text field ("car wash behind 14
//! Acacia Avenue, Leeds LS1 4AB"), and no rule can reliably cut it down to a town without
//! sometimes keeping a house number or a postcode. The officer types the general area (town
//! or force area) into the notification by hand; the Markdown says so.
//!
//! A Duty to Notify is never used for a child: a child (or a person whose age is unclear)
//! is always referred to the NRM, so this refuses unless the record says the person is an
//! adult.

use super::ExportError;
use super::record::{Audience, ExportRecord};
use crate::record::Answer;

use crate::guidance::ids::{
    AGE_DOUBT_QUESTIONS, AGE_QUESTION, CHILD_CHECKLIST, CONSENT_GIVEN, CONSENT_QUESTION, DTN_DUTY,
};

/// Turns a full record into the anonymised Duty to Notify copy, listing in `left_out`
/// what was removed. Refuses for a child or when the record does not say "adult".
pub fn anonymise(mut rec: ExportRecord) -> Result<ExportRecord, ExportError> {
    let age = rec
        .answers
        .iter()
        .find(|a| a.question == AGE_QUESTION)
        .map(|a| &a.answer);
    match age {
        _ if rec.checklist.id == CHILD_CHECKLIST => {
            return Err(ExportError::ChildDtn(rec.encounter_id));
        }
        Some(Answer::Yes | Answer::Unsure) => return Err(ExportError::ChildDtn(rec.encounter_id)),
        Some(Answer::No) => {}
        _ => return Err(ExportError::AgeUnknownDtn(rec.encounter_id)),
    }
    if rec.answers.iter().any(|a| {
        AGE_DOUBT_QUESTIONS.contains(&a.question.as_str())
            && matches!(a.answer, Answer::Yes | Answer::Unsure)
    }) {
        return Err(ExportError::ChildDtn(rec.encounter_id));
    }
    if !rec.duties.iter().any(|d| d.id == DTN_DUTY) {
        let consent = consent_said(&rec);
        return Err(ExportError::NotDeclined {
            id: rec.encounter_id,
            consent,
        });
    }

    let mut left_out = vec![
        "the person's name, date of birth and contact details: msht never records them, \
         and they must not be added to the notification"
            .to_string(),
    ];
    if rec.location.take().is_some() {
        left_out.push(
            "the location as recorded (free text that may hold an exact address); \
             give only the town or force area in the notification"
                .to_string(),
        );
    }
    if rec.scene.take().is_some() {
        left_out.push(
            "the scene the person was met at and their label there (free text, and a link \
             to other people)"
                .to_string(),
        );
    }
    if !rec.notes.is_empty() {
        left_out.push(format!(
            "{} free-text note{} by the officer",
            rec.notes.len(),
            if rec.notes.len() == 1 { "" } else { "s" }
        ));
        rec.notes.clear();
    }

    if let Some(l) = drop_text_answers(&mut rec) {
        left_out.push(l);
    }

    let mut reasons = false;
    for p in &mut rec.welfare_prompts {
        reasons |= p.reason.take().is_some();
        for a in &mut p.history {
            reasons |= a.reason.take().is_some();
        }
    }
    if reasons {
        left_out.push("the reasons recorded for welfare actions (free text)".to_string());
    }

    let mut amend_text = false;
    for m in &mut rec.amendments {
        amend_text |= m.reason.take().is_some() | m.note.take().is_some();
        if matches!(m.answer, Some(Answer::Text(_))) {
            m.answer = None;
            m.display = None;
            amend_text = true;
        }
    }
    if amend_text {
        left_out.push("the reasons and notes given with amendments (free text)".to_string());
    }
    if let Some(l) = drop_follow_text(&mut rec) {
        left_out.push(l);
    }
    if rec.void.reason.take().is_some() {
        left_out.push("the reason the record was voided (free text)".to_string());
    }
    if rec.events.take().is_some() {
        left_out.push(
            "the event list, because it holds the free text above; the event count and \
             head hash still tie this copy to the full record"
                .to_string(),
        );
    }
    rec.audience = Audience::Dtn;
    rec.left_out = left_out;
    Ok(rec)
}

/// Removes the free text of duty outcomes and sign-offs (references stay: they are the
/// receiving systems' numbers, not about the person).
fn drop_follow_text(rec: &mut ExportRecord) -> Option<String> {
    let mut dropped = false;
    for d in &mut rec.follow_through {
        for o in &mut d.history {
            dropped |= o.reason.take().is_some() | o.note.take().is_some();
        }
    }
    for x in &mut rec.sign_offs {
        dropped |= x.note.take().is_some() | x.accept_open.take().is_some();
    }
    dropped.then(|| {
        "the reasons and notes given with duty outcomes and sign-offs (free text)".to_string()
    })
}

/// Removes free-text answers (current and earlier); says which questions lost one.
fn drop_text_answers(rec: &mut ExportRecord) -> Option<String> {
    let mut text_questions = Vec::new();
    for a in &mut rec.answers {
        let had_text = matches!(a.answer, Answer::Text(_))
            || a.earlier
                .iter()
                .any(|e| matches!(e.answer, Answer::Text(_)));
        a.earlier.retain(|e| !matches!(e.answer, Answer::Text(_)));
        if had_text {
            text_questions.push(a.question.clone());
        }
    }
    rec.answers.retain(|a| !matches!(a.answer, Answer::Text(_)));
    rec.indicators
        .retain(|i| !matches!(i.answer, Answer::Text(_)));
    (!text_questions.is_empty())
        .then(|| format!("free-text answers to: {}", text_questions.join(", ")))
}

/// What the record says about consent, for the refusal: the NRM referral itself meets
/// the duty when the adult consented; when nobody asked, asking comes first.
fn consent_said(rec: &ExportRecord) -> String {
    let consent = rec
        .answers
        .iter()
        .find(|a| a.question == CONSENT_QUESTION)
        .map(|a| &a.answer);
    match consent {
        Some(Answer::Choice(c)) if c == CONSENT_GIVEN => {
            "the adult consented, so the NRM referral itself meets the duty to notify".into()
        }
        _ => "consent to an NRM referral was not asked or not recorded; ask first, and make this copy only if they decline".into(),
    }
}
