//! The checklist engine: which question comes next, which welfare prompts an answer raises,
//! and which duties follow. Pure: no terminal, no database, no clock. The terminal
//! prompter, the answers-file mode and the tests all drive this same code.
//!
//! Every rule is data from the guidance (`when`, triggers, duty rules); nothing about a
//! particular checklist is written here.

mod derive;
mod scenario;
mod scenario_check;

use std::collections::HashMap;

pub use crate::record::Answer;
pub use derive::{derive, duties_for};
pub use scenario::run_scenario;
pub use scenario_check::check_scenarios;

use crate::fault::Fault;
use crate::guidance::condition::AnswerLookup;
use crate::guidance::{Duty, Flattened, Guidance, GuidanceError, Question, Weight, WelfarePrompt};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("checklist '{checklist}' has no question '{question}'")]
    UnknownQuestion { checklist: String, question: String },
    #[error("question '{0}' is not asked with the answers given so far, so it cannot be answered")]
    Hidden(String),
    #[error("{0}")]
    BadValue(String),
    #[error("nothing has been answered yet, so there is nothing to complete")]
    NothingAnswered,
    #[error("question '{id}' (\"{text}\") must be answered before the encounter is complete")]
    Unanswered { id: String, text: String },
    #[error(transparent)]
    Guidance(#[from] GuidanceError),
}

impl EngineError {
    pub fn fault(&self) -> Fault {
        match self {
            EngineError::Guidance(e) => e.fault(),
            _ => Fault::BadData,
        }
    }
}

/// A duty that follows from the answers, with the reason the guidance gives.
#[derive(Debug, Clone)]
pub struct DutyOutcome<'g> {
    pub duty: &'g Duty,
    pub because: Vec<String>,
}

/// One run through a checklist.
#[derive(Debug, Clone)]
pub struct Session<'g> {
    guidance: &'g Guidance,
    flow: Flattened<'g>,
    answers: HashMap<String, Answer>,
    /// Prompt ids already raised in this encounter, in the order raised.
    raised: Vec<String>,
}

/// The answers that count: those given to questions that are currently asked.
struct Effective<'a> {
    values: HashMap<&'a str, &'a str>,
    concerns: u32,
    high: u32,
    /// Signals raised by asked questions answered with a concern.
    signals: Vec<&'a str>,
}

impl AnswerLookup for Effective<'_> {
    fn value(&self, q: &str) -> Option<&str> {
        self.values.get(q).copied()
    }
    fn concerns(&self, high_only: bool) -> u32 {
        if high_only { self.high } else { self.concerns }
    }
    fn signalled(&self, signal: &str) -> bool {
        self.signals.contains(&signal)
    }
}

impl<'g> Session<'g> {
    pub fn new(guidance: &'g Guidance, checklist: &str) -> Result<Self, EngineError> {
        let flow = guidance
            .flattened(checklist)
            .ok_or_else(|| GuidanceError::UnknownChecklist(checklist.to_string()))?;
        Ok(Session {
            guidance,
            flow,
            answers: HashMap::new(),
            raised: Vec::new(),
        })
    }

    /// Rebuilds a session from a saved draft: its answers and the prompts already shown.
    /// Answers to questions the guidance no longer has are ignored, not an error.
    pub fn restore(
        guidance: &'g Guidance,
        checklist: &str,
        answers: impl IntoIterator<Item = (String, Answer)>,
        raised: impl IntoIterator<Item = String>,
    ) -> Result<Self, EngineError> {
        let mut s = Session::new(guidance, checklist)?;
        for (q, a) in answers {
            if s.flow.position(&q).is_some() {
                s.answers.insert(q, a);
            }
        }
        s.raised = raised.into_iter().collect();
        Ok(s)
    }

    pub fn checklist_id(&self) -> &'g str {
        &self.flow.checklist.id
    }

    pub fn questions(&self) -> &[&'g Question] {
        &self.flow.questions
    }

    pub fn question(&self, id: &str) -> Option<&'g Question> {
        self.flow.questions.iter().find(|q| q.id == id).copied()
    }

    pub fn answer_of(&self, id: &str) -> Option<&Answer> {
        self.answers.get(id)
    }

    /// Walks the questions in order, keeping only answers to questions that are asked.
    /// Returns which questions are visible and the effective answers.
    fn evaluate(&self) -> (Vec<bool>, Effective<'_>) {
        let mut eff = Effective {
            values: HashMap::new(),
            concerns: 0,
            high: 0,
            signals: Vec::new(),
        };
        let mut visible = Vec::with_capacity(self.flow.questions.len());
        for q in &self.flow.questions {
            let shown = q.when.as_ref().is_none_or(|c| c.eval(&eff));
            visible.push(shown);
            if !shown {
                continue;
            }
            if let Some(a) = self.answers.get(&q.id) {
                let v = a.as_value();
                eff.values.insert(q.id.as_str(), v);
                if q.is_concern(v) {
                    eff.concerns += 1;
                    if q.weight == Weight::High {
                        eff.high += 1;
                    }
                }
                if q.raises_signals(v) {
                    eff.signals.extend(q.signals.iter().map(String::as_str));
                }
            }
        }
        (visible, eff)
    }

    /// The questions asked given the answers so far, in order.
    pub fn visible_questions(&self) -> Vec<&'g Question> {
        let (visible, _) = self.evaluate();
        self.flow
            .questions
            .iter()
            .zip(visible)
            .filter(|(_, v)| *v)
            .map(|(q, _)| *q)
            .collect()
    }

    pub fn is_visible(&self, id: &str) -> bool {
        self.visible_questions().iter().any(|q| q.id == id)
    }

    /// The first asked question without an answer; `None` when the checklist is finished.
    pub fn next_question(&self) -> Option<&'g Question> {
        self.visible_questions()
            .into_iter()
            .find(|q| !self.answers.contains_key(&q.id))
    }

    /// The asked question before `id` (for going back), or the last answered one when
    /// `id` is `None` (going back from the end).
    pub fn previous_question(&self, id: Option<&str>) -> Option<&'g Question> {
        let visible = self.visible_questions();
        let end = match id {
            Some(id) => visible.iter().position(|q| q.id == id)?,
            None => visible.len(),
        };
        visible[..end].last().copied()
    }

    /// Records (or changes) an answer and returns the prompts it raises now, in order.
    /// Changing an earlier answer re-evaluates everything after it.
    pub fn answer(
        &mut self,
        question: &str,
        answer: Answer,
    ) -> Result<Vec<&'g WelfarePrompt>, EngineError> {
        let q = self.asked(question)?;
        if !answer.fits(q) {
            return Err(EngineError::BadValue(format!(
                "'{}' is not a possible answer to question '{}' ({})",
                answer.as_value(),
                q.id,
                q.kind.as_str()
            )));
        }
        self.answers.insert(question.to_string(), answer);
        Ok(self.raise_pending())
    }

    /// The question `id`, if it is part of the checklist and asked with the answers so far.
    fn asked(&self, id: &str) -> Result<&'g Question, EngineError> {
        let q = self
            .question(id)
            .ok_or_else(|| EngineError::UnknownQuestion {
                checklist: self.flow.checklist.id.clone(),
                question: id.to_string(),
            })?;
        if !self.is_visible(id) {
            return Err(EngineError::Hidden(id.to_string()));
        }
        Ok(q)
    }

    /// Reads `value` as an answer to `question` (typed, from a file or a command line):
    /// the one check of "is this a possible answer here", used by every path in.
    pub fn parse_answer(&self, question: &str, value: &str) -> Result<Answer, EngineError> {
        let q = self.asked(question)?;
        Answer::parse_for(q, value).map_err(EngineError::BadValue)
    }

    /// Why the encounter cannot be completed yet, if it cannot: nothing answered, or a
    /// required question that is asked has no answer. The answers-file mode and
    /// `encounters complete` both ask this.
    pub fn completion_problem(&self) -> Option<EngineError> {
        if self.effective_answers().is_empty() {
            return Some(EngineError::NothingAnswered);
        }
        self.visible_questions()
            .into_iter()
            .find(|q| q.required && !self.answers.contains_key(&q.id))
            .map(|q| EngineError::Unanswered {
                id: q.id.clone(),
                text: q.text.clone(),
            })
    }

    /// Prompts whose trigger holds now and that were not raised before. Marks them raised.
    /// Call at the start too: a trigger may hold with no answers (`always`).
    pub fn raise_pending(&mut self) -> Vec<&'g WelfarePrompt> {
        let (_, eff) = self.evaluate();
        let due: Vec<&'g str> = self
            .flow
            .triggers
            .iter()
            .filter(|t| t.when.eval(&eff))
            .map(|t| t.prompt.as_str())
            .collect();
        drop(eff);
        let mut newly = Vec::new();
        for id in due {
            if self.raised.iter().any(|r| r == id) {
                continue;
            }
            if let Some(p) = self.guidance.prompt(id) {
                self.raised.push(id.to_string());
                newly.push(p);
            }
        }
        newly
    }

    pub fn raised(&self) -> &[String] {
        &self.raised
    }

    /// Asked questions answered with a concern, in order.
    pub fn indicators(&self) -> Vec<(&'g Question, &Answer)> {
        self.visible_questions()
            .into_iter()
            .filter_map(|q| {
                let a = self.answers.get(&q.id)?;
                q.is_concern(a.as_value()).then_some((q, a))
            })
            .collect()
    }

    /// Answers to questions that are asked, in question order.
    pub fn effective_answers(&self) -> Vec<(&'g Question, &Answer)> {
        self.visible_questions()
            .into_iter()
            .filter_map(|q| self.answers.get(&q.id).map(|a| (q, a)))
            .collect()
    }

    /// Every prompt whose trigger holds with the current answers, raised before or not,
    /// in trigger order.
    pub fn prompts_due(&self) -> Vec<&'g WelfarePrompt> {
        let (_, eff) = self.evaluate();
        self.flow
            .triggers
            .iter()
            .filter(|t| t.when.eval(&eff))
            .filter_map(|t| self.guidance.prompt(&t.prompt))
            .fold(Vec::new(), |mut out: Vec<&'g WelfarePrompt>, p| {
                if !out.iter().any(|o| o.id == p.id) {
                    out.push(p);
                }
                out
            })
    }

    /// The duties that follow from the answers, each once, in the order they must be
    /// done: the order of the guidance's duty list (children's services before the NRM
    /// referral), not the order of the rules that raise them.
    pub fn duties(&self) -> Vec<DutyOutcome<'g>> {
        let (_, eff) = self.evaluate();
        let mut out: Vec<DutyOutcome<'g>> = Vec::new();
        for rule in &self.flow.duties {
            if !rule.when.eval(&eff) {
                continue;
            }
            let Some(duty) = self.guidance.duty(&rule.duty) else {
                continue;
            };
            match out.iter_mut().find(|d| d.duty.id == duty.id) {
                Some(d) if !rule.because.is_empty() => d.because.push(rule.because.clone()),
                Some(_) => {}
                None => out.push(DutyOutcome {
                    duty,
                    because: if rule.because.is_empty() {
                        vec![]
                    } else {
                        vec![rule.because.clone()]
                    },
                }),
            }
        }
        let rank = |id: &str| self.guidance.duties.iter().position(|d| d.id == id);
        out.sort_by_key(|d| rank(&d.duty.id));
        out
    }

    pub fn is_finished(&self) -> bool {
        self.next_question().is_none()
    }

    /// Other possible victims the current answers raise: asked questions marked
    /// `other_person` answered with a concern, in order. Reported as data; what to do
    /// about them (a linked encounter now, or a note for later) is the caller's choice.
    pub fn others_raised(&self) -> Vec<OtherPerson<'g>> {
        self.effective_answers()
            .into_iter()
            .filter(|(q, a)| q.raises_other_person(a.as_value()))
            .filter_map(|(q, _)| {
                Some(OtherPerson {
                    question: q,
                    label: q.other_person.as_deref()?,
                })
            })
            .collect()
    }

    /// The other person raised by the current answer to `question`, if it raises one.
    pub fn other_raised_by(&self, question: &str) -> Option<OtherPerson<'g>> {
        self.others_raised()
            .into_iter()
            .find(|o| o.question.id == question)
    }

    /// The questions a quick triage asks (those with a `triage` key), in flow order.
    pub fn triage_questions(&self) -> Vec<&'g Question> {
        self.flow
            .questions
            .iter()
            .filter(|q| q.triage.is_some())
            .copied()
            .collect()
    }
}

/// Another possible victim raised by an answer about the person screened.
#[derive(Debug, Clone, Copy)]
pub struct OtherPerson<'g> {
    pub question: &'g Question,
    /// The guidance's short description of them ("possible child seen at the premises").
    pub label: &'g str,
}

#[cfg(test)]
mod tests;
