//! What follows from an encounter's answers, derived from the current answers on every
//! read. A record stores facts (answers, amendments, actions); indicators, the welfare
//! prompts that apply and the duties are the engine's reading of those facts, so an
//! amendment re-derives them and no reader can show a stale list.

use super::{EngineError, Session};
use crate::guidance::{Guidance, WelfarePrompt};
use crate::record::{Answer, DutyChange, DutyRecord, EncounterState, PromptRecord};

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
    for m in &mut state.amendments {
        let (Some(q), Some(a)) = (&m.question, &m.answer) else {
            continue;
        };
        let before = duties_for(g, &state.checklist, m.answers_before.clone())?;
        let mut after_answers = m.answers_before.clone();
        after_answers.retain(|(id, _)| id != q);
        after_answers.push((q.clone(), a.clone()));
        let after = duties_for(g, &state.checklist, after_answers)?;
        let (before, after) = (titles(&before), titles(&after));
        m.duties_changed = (before != after).then_some(DutyChange { before, after });
    }
    state.derived = true;
    Ok(())
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
