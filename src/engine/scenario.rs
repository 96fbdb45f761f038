//! Runs a guidance scenario through the engine: answers in, prompts and duties checked.
//! This is how a wording or logic change to the guidance is stopped from silently
//! breaking the child rule or the consent rule.

use super::{Answer, Session};
use crate::guidance::{Guidance, Scenario};

/// Answers the scenario's questions in checklist order (skipping any it leaves out) and
/// returns every expectation that did not hold, as sentences.
pub fn run_scenario(g: &Guidance, s: &Scenario) -> Vec<String> {
    let mut failures = Vec::new();
    let mut session = match Session::new(g, &s.checklist) {
        Ok(x) => x,
        Err(e) => return vec![e.to_string()],
    };
    session.raise_pending();
    while let Some(q) = session.next_question() {
        let answer = match s.answers.iter().find(|(id, _)| id == &q.id) {
            Some((_, v)) => match Answer::parse_for(q, v) {
                Ok(a) => a,
                Err(e) => return vec![e],
            },
            None => Answer::Skipped,
        };
        if let Err(e) = session.answer(&q.id.clone(), answer) {
            return vec![e.to_string()];
        }
    }
    for (qid, _) in &s.answers {
        if !session.is_visible(qid) {
            failures.push(format!(
                "question '{qid}' is answered in the scenario but never asked"
            ));
        }
    }
    let raised = session.raised();
    let duties: Vec<&str> = session
        .duties()
        .iter()
        .map(|d| d.duty.id.as_str())
        .collect();
    for p in &s.prompts {
        if !raised.contains(p) {
            failures.push(format!("prompt '{p}' should be raised but was not"));
        }
    }
    for p in &s.not_prompts {
        if raised.contains(p) {
            failures.push(format!("prompt '{p}' must not be raised but was"));
        }
    }
    for d in &s.duties {
        if !duties.contains(&d.as_str()) {
            failures.push(format!("duty '{d}' should follow but did not"));
        }
    }
    for q in &s.not_asked {
        if session.is_visible(q) {
            failures.push(format!("question '{q}' must not be asked but was"));
        }
    }
    for d in &s.not_duties {
        if duties.contains(&d.as_str()) {
            failures.push(format!("duty '{d}' must not follow but did"));
        }
    }
    failures
}
