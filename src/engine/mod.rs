//! The checklist engine: which question comes next, which welfare prompts an answer raises,
//! and which duties follow. Pure: no terminal, no database, no clock. The terminal
//! prompter, the answers-file mode and the tests all drive this same code.
//!
//! Every rule is data from the guidance (`when`, triggers, duty rules); nothing about a
//! particular checklist is written here.

mod derive;
mod scenario;
mod scenario_check;
mod walk;

use std::collections::{HashMap, HashSet};

pub use crate::record::Answer;
pub use derive::{derive, duties_for};
pub use scenario::run_scenario;
pub use scenario_check::check_scenarios;

use crate::fault::Fault;
use crate::guidance::{Duty, Flattened, Guidance, GuidanceError, Question, WelfarePrompt};
use walk::{TriggerDeps, Walk};

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
    /// Each question's position in the flow (the first, if an id were repeated).
    index: HashMap<&'g str, usize>,
    /// No question id appears twice in the flow (the validator refuses that), so an
    /// answer touches exactly one position and the walk can be resumed.
    unique: bool,
    answers: HashMap<String, Answer>,
    /// One past the furthest position answered: the walk must reach it to see every answer.
    answered_end: usize,
    /// Prompt ids already raised in this encounter, in the order raised.
    raised: Vec<String>,
    /// The walk so far, resumed by `answer` and `asked_after` rather than redone.
    walk: Walk<'g>,
    triggers: TriggerDeps<'g>,
    /// Triggers to evaluate at the next `raise_pending`: `None` means all of them.
    dirty: Option<HashSet<usize>>,
}

impl<'g> Session<'g> {
    pub fn new(guidance: &'g Guidance, checklist: &str) -> Result<Self, EngineError> {
        let flow = guidance
            .flattened(checklist)
            .ok_or_else(|| GuidanceError::UnknownChecklist(checklist.to_string()))?;
        let mut index = HashMap::with_capacity(flow.questions.len());
        for (i, q) in flow.questions.iter().enumerate() {
            index.entry(q.id.as_str()).or_insert(i);
        }
        let unique = index.len() == flow.questions.len();
        let triggers = TriggerDeps::new(&flow.triggers);
        Ok(Session {
            guidance,
            flow,
            index,
            unique,
            answers: HashMap::new(),
            answered_end: 0,
            raised: Vec::new(),
            walk: Walk::default(),
            triggers,
            dirty: None,
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
            if let Some(&i) = s.index.get(q.as_str()) {
                s.answered_end = s.answered_end.max(i + 1);
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
        self.index.get(id).map(|&i| self.flow.questions[i])
    }

    pub fn answer_of(&self, id: &str) -> Option<&Answer> {
        self.answers.get(id)
    }

    /// Walks every question in order from the start, keeping only answers to questions
    /// that are asked. Leaves the session's own (resumable) walk alone.
    fn evaluate(&self) -> Walk<'g> {
        let mut w = Walk::default();
        for q in &self.flow.questions {
            w.step(q, self.answers.get(&q.id));
        }
        w
    }

    /// Resumes the session's walk up to (not including) position `end`.
    fn walk_to(&mut self, end: usize) {
        let end = end.min(self.flow.questions.len());
        while self.walk.len() < end {
            let q = self.flow.questions[self.walk.len()];
            self.walk.step(q, self.answers.get(&q.id));
        }
    }

    /// The first asked question after position `after` (from the start with `None`), with
    /// its position. Walks only as far as it has to, so going through a checklist in
    /// order this way costs O(N) in all.
    pub fn asked_after(&mut self, after: Option<usize>) -> Option<(usize, &'g Question)> {
        let start = after.map_or(0, |k| k + 1);
        for i in start..self.flow.questions.len() {
            self.walk_to(i + 1);
            if self.walk.visible.get(i) == Some(&true) {
                return Some((i, self.flow.questions[i]));
            }
        }
        None
    }

    /// The questions asked given the answers so far, in order.
    pub fn visible_questions(&self) -> Vec<&'g Question> {
        let visible = self.evaluate().visible;
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
        let (k, q) = self.asked_at(question)?;
        if !answer.fits(q) {
            return Err(EngineError::BadValue(format!(
                "'{}' is not a possible answer to question '{}' ({})",
                answer.as_value(),
                q.id,
                q.kind.as_str()
            )));
        }
        // The next question in order, answered for the first time with nothing answered
        // after it: only this answer changes, so the walk and the triggers carry on from
        // here. Anything else (a changed or out-of-order answer) starts them over.
        let in_order = self.unique
            && self.walk.len() == k + 1
            && self.answered_end <= k
            && !self.answers.contains_key(question);
        if in_order {
            self.walk.count(q, &answer);
            // With `dirty` at `None` every trigger is evaluated anyway.
            if let Some(dirty) = &mut self.dirty {
                self.triggers.touched_by(q, &answer, dirty);
            }
        } else {
            self.walk = Walk::default();
            self.dirty = None;
        }
        self.answered_end = self.answered_end.max(k + 1);
        self.answers.insert(question.to_string(), answer);
        Ok(self.raise_pending())
    }

    /// The question `id` and its position, if it is part of the checklist and asked with
    /// the answers so far. Resumes the walk up to it rather than walking every question.
    fn asked_at(&mut self, id: &str) -> Result<(usize, &'g Question), EngineError> {
        let Some(&k) = self.index.get(id) else {
            return Err(EngineError::UnknownQuestion {
                checklist: self.flow.checklist.id.clone(),
                question: id.to_string(),
            });
        };
        self.walk_to(k + 1);
        // With a repeated id, a later copy may be the one asked: ask the whole walk.
        let shown =
            self.walk.visible.get(k) == Some(&true) || (!self.unique && self.is_visible(id));
        if !shown {
            return Err(EngineError::Hidden(id.to_string()));
        }
        Ok((k, self.flow.questions[k]))
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
    /// Call at the start too: a trigger may hold with no answers (`always`). Only the
    /// triggers the answers since the last call can have changed are evaluated again: one
    /// that held before had its prompt raised then.
    pub fn raise_pending(&mut self) -> Vec<&'g WelfarePrompt> {
        self.walk_to(self.answered_end);
        let which: Vec<usize> = match self.dirty.take() {
            None => (0..self.flow.triggers.len()).collect(),
            Some(set) => {
                let mut v: Vec<usize> = set.into_iter().collect();
                v.sort_unstable();
                v
            }
        };
        self.dirty = Some(HashSet::new());
        let due: Vec<&'g str> = which
            .into_iter()
            .filter_map(|i| self.flow.triggers.get(i).copied())
            .filter(|t| t.when.eval(&self.walk))
            .map(|t| t.prompt.as_str())
            .collect();
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
        let eff = self.evaluate();
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
        let eff = self.evaluate();
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
