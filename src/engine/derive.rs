//! What follows from an encounter's answers, derived from the current answers on every
//! read. A record stores facts (answers, amendments, actions); indicators, the welfare
//! prompts that apply and the duties are the engine's reading of those facts, so an
//! amendment re-derives them and no reader can show a stale list.

use std::collections::HashMap;

use super::{EngineError, Session};
use crate::guidance::{Guidance, WelfarePrompt};
use crate::record::{Answer, DutyChange, DutyFollow, DutyRecord, EncounterState, PromptRecord};

/// Replaces `state`'s indicators, duties and prompt list with what its current answers
/// give under `g`, and says for each amendment whether it changed the duties.
/// Fails (leaving `state` as replayed) only when `g` lacks the encounter's checklist.
pub fn derive(g: &Guidance, state: &mut EncounterState) -> Result<(), EngineError> {
    let session = Session::restore(g, &state.checklist, state.current_answers(), [])?;
    for a in &mut state.answers {
        if a.question_text.is_empty() {
            a.question_text = session
                .question(&a.question)
                .map_or_else(|| a.question.clone(), |q| q.text.clone());
        }
    }
    mark_prompts(state, &session.prompts_due());
    state.indicators = session
        .indicators()
        .iter()
        .map(|(q, _)| q.id.clone())
        .collect();
    state.duties = duty_records(&session);
    // When each duty began to apply: the start of the encounter, or the first amendment
    // that made it follow.
    let mut since: HashMap<String, String> = HashMap::new();
    for m in &mut state.amendments {
        let (Some(q), Some(a)) = (&m.question, &m.answer) else {
            continue;
        };
        let before = duties_for(g, &state.checklist, m.answers_before.clone())?;
        let mut after_answers = m.answers_before.clone();
        after_answers.retain(|(id, _)| id != q);
        after_answers.push((q.clone(), a.clone()));
        let after = duties_for(g, &state.checklist, after_answers)?;
        for d in &before {
            since
                .entry(d.id.clone())
                .or_insert_with(|| state.created_at.clone());
        }
        for d in &after {
            since.entry(d.id.clone()).or_insert_with(|| m.at.clone());
        }
        let (before, after) = (titles(&before), titles(&after));
        m.duties_changed = (before != after).then_some(DutyChange { before, after });
    }
    let dated: Vec<(DutyRecord, String)> = state
        .duties
        .iter()
        .map(|d| {
            let at = since.get(&d.id).unwrap_or(&state.created_at);
            (d.clone(), at.clone())
        })
        .collect();
    state.follow = state.follow_for(&dated);
    for f in &mut state.follow {
        timing(g, f);
    }
    state.derived = true;
    Ok(())
}

/// The guidance's timescale for a followed duty: its words, what to do when missed, and
/// when it is due where the rule can be counted. A duty no longer in the guidance keeps
/// none.
fn timing(g: &Guidance, f: &mut DutyFollow) {
    let Some(t) = g
        .duties
        .iter()
        .find(|d| d.id == f.id)
        .and_then(|d| d.timescale.as_ref())
    else {
        return;
    };
    f.timescale = Some(t.text.clone());
    f.if_missed = Some(t.if_missed.clone());
    f.due_at = t.within.seconds().and_then(|secs| {
        let start: jiff::Timestamp = f.since.parse().ok()?;
        let secs = i64::try_from(secs).ok()?;
        let due = start
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .ok()?;
        Some(crate::time::utc_string(due))
    });
}

/// The duties `answers` give on `checklist`, in the order they must be done.
pub fn duties_for(
    g: &Guidance,
    checklist: &str,
    answers: Vec<(String, Answer)>,
) -> Result<Vec<DutyRecord>, EngineError> {
    Ok(duty_records(&Session::restore(g, checklist, answers, [])?))
}

fn duty_records(session: &Session) -> Vec<DutyRecord> {
    session
        .duties()
        .iter()
        .map(|d| DutyRecord {
            id: d.duty.id.clone(),
            title: d.duty.title.clone(),
        })
        .collect()
}

fn titles(duties: &[DutyRecord]) -> Vec<String> {
    duties.iter().map(|d| d.title.clone()).collect()
}

/// Marks which recorded prompts still follow, fills in the title of one recorded only
/// through an action, and adds (with no action) each prompt the answers now raise that
/// was never raised: an amendment can make a prompt apply after the scene.
fn mark_prompts(state: &mut EncounterState, due: &[&WelfarePrompt]) {
    for p in &mut state.prompts {
        let now = due.iter().find(|d| d.id == p.prompt);
        p.follows = now.is_some();
        if let Some(d) = now
            && p.title.is_empty()
        {
            p.title = d.title.clone();
            p.urgency = d.urgency.as_str().to_string();
            p.follows = true;
        }
    }
    let since = state
        .amendments
        .last()
        .map_or_else(|| state.updated_at.clone(), |m| m.at.clone());
    for d in due {
        if state.prompts.iter().any(|p| p.prompt == d.id) {
            continue;
        }
        state.prompts.push(PromptRecord {
            prompt: d.id.clone(),
            title: d.title.clone(),
            urgency: d.urgency.as_str().to_string(),
            raised_at: since.clone(),
            outcome: None,
            reason: String::new(),
            action_at: None,
            history: Vec::new(),
            follows: true,
        });
    }
}
