//! The walk through a checklist's questions in order: which are asked, and the answers
//! that count. Kept apart so a session can resume a walk instead of starting over.
//!
//! Whether a question is asked depends only on the answers to the questions before it
//! (the walk reads a condition against what it has seen so far), so a walk that stopped
//! at position `k` stays right for every question before `k` while the answers there do
//! not change. That is what makes answering a checklist of N questions in order cost
//! O(N) rather than O(N) per answer (issue 18 measured the old engine roughly cubic).

use std::collections::{HashMap, HashSet};

use crate::guidance::condition::{AnswerLookup, Condition};
use crate::guidance::{Question, Trigger, Weight};
use crate::record::Answer;

/// The questions walked so far: one visibility flag per question walked, and the effective
/// answers (those to asked questions) among them.
#[derive(Debug, Clone, Default)]
pub(super) struct Walk<'g> {
    pub visible: Vec<bool>,
    values: HashMap<&'g str, String>,
    concerns: u32,
    high: u32,
    /// Signals raised by asked questions answered with a concern.
    signals: HashSet<&'g str>,
}

impl AnswerLookup for Walk<'_> {
    fn value(&self, q: &str) -> Option<&str> {
        self.values.get(q).map(String::as_str)
    }
    fn concerns(&self, high_only: bool) -> u32 {
        if high_only { self.high } else { self.concerns }
    }
    fn signalled(&self, signal: &str) -> bool {
        self.signals.contains(signal)
    }
}

impl<'g> Walk<'g> {
    /// How many questions are walked.
    pub fn len(&self) -> usize {
        self.visible.len()
    }

    /// Walks the next question: asked or not given what was seen, and its answer if any.
    pub fn step(&mut self, q: &'g Question, answer: Option<&Answer>) {
        let shown = q.when.as_ref().is_none_or(|c| c.eval(self));
        self.visible.push(shown);
        if let (true, Some(a)) = (shown, answer) {
            self.count(q, a);
        }
    }

    /// Adds an answer to an asked question to the effective answers.
    pub fn count(&mut self, q: &'g Question, a: &Answer) {
        let v = a.as_value();
        self.values.insert(q.id.as_str(), v.to_string());
        if q.is_concern(v) {
            self.concerns += 1;
            if q.weight == Weight::High {
                self.high += 1;
            }
        }
        if q.raises_signals(v) {
            self.signals.extend(q.signals.iter().map(String::as_str));
        }
    }
}

/// Which triggers read what, so that after one answer only the triggers that can have
/// changed are evaluated again.
#[derive(Debug, Clone, Default)]
pub(super) struct TriggerDeps<'g> {
    by_question: HashMap<&'g str, Vec<usize>>,
    by_signal: HashMap<&'g str, Vec<usize>>,
    counting: Vec<usize>,
}

impl<'g> TriggerDeps<'g> {
    pub fn new(triggers: &[&'g Trigger]) -> Self {
        let mut d = TriggerDeps::default();
        for (i, t) in triggers.iter().enumerate() {
            let when: &'g Condition = &t.when;
            for q in when.questions() {
                d.by_question.entry(q).or_default().push(i);
            }
            for s in when.signals() {
                d.by_signal.entry(s).or_default().push(i);
            }
            if when.uses_counts() {
                d.counting.push(i);
            }
        }
        d
    }

    /// The triggers an answer `a` to the asked question `q` can change, when no question
    /// after `q` is answered (so no later question's visibility matters).
    pub fn touched_by(&self, q: &Question, a: &Answer, out: &mut HashSet<usize>) {
        let v = a.as_value();
        if let Some(ts) = self.by_question.get(q.id.as_str()) {
            out.extend(ts);
        }
        if q.is_concern(v) {
            out.extend(&self.counting);
        }
        if q.raises_signals(v) {
            for s in &q.signals {
                if let Some(ts) = self.by_signal.get(s.as_str()) {
                    out.extend(ts);
                }
            }
        }
    }
}
