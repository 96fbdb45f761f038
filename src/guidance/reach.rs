//! Reachability: can a condition ever hold, given the answers the earlier questions can
//! take? The validator uses it to report questions, prompts and duties no answers reach.
//!
//! A brute-force search, bounded so a hand-edited file with a huge condition cannot make
//! the validator run for ever (it then assumes the condition is reachable).

use std::collections::{HashMap, HashSet};

use super::condition::{AnswerLookup, Condition};
use super::model::*;

/// Above this many combinations the reachability search gives up and assumes reachable.
const REACH_LIMIT: usize = 200_000;

/// The answers a question can end up with, `None` meaning unanswered or hidden.
fn domain<'a>(q: &'a Question, unreachable: &HashSet<&str>) -> Vec<Option<&'a str>> {
    if unreachable.contains(q.id.as_str()) {
        return vec![None];
    }
    let mut d: Vec<Option<&str>> = vec![None, Some("skipped")];
    match q.kind {
        QuestionKind::YesNo => d.extend(["yes", "no", "unsure"].map(Some)),
        QuestionKind::Choice => d.extend(q.choices.iter().map(|c| Some(c.id.as_str()))),
        QuestionKind::Text => d.push(Some("text")),
    }
    d
}

struct Assignment<'a> {
    values: HashMap<&'a str, Option<&'a str>>,
    counts: (u32, u32),
}

impl AnswerLookup for Assignment<'_> {
    fn value(&self, q: &str) -> Option<&str> {
        self.values.get(q).copied().flatten()
    }
    fn concerns(&self, high_only: bool) -> u32 {
        if high_only {
            self.counts.1
        } else {
            self.counts.0
        }
    }
}

/// What the search needs to know about a flattened checklist, worked out once for all
/// its conditions: each question's position, and how many indicator questions (and high
/// ones) come before each position. Looking these up per condition made validating a
/// checklist of N questions quadratic.
pub struct Positions<'a> {
    flat: &'a Flattened<'a>,
    position: &'a HashMap<&'a str, usize>,
    /// `(indicators, high indicators)` among the questions before each position.
    before: Vec<(u32, u32)>,
}

impl<'a> Positions<'a> {
    pub fn new(flat: &'a Flattened<'a>, position: &'a HashMap<&'a str, usize>) -> Self {
        let mut before = Vec::with_capacity(flat.questions.len() + 1);
        let (mut all, mut high) = (0u32, 0u32);
        for q in &flat.questions {
            before.push((all, high));
            if q.indicator {
                all = all.saturating_add(1);
                if q.weight == Weight::High {
                    high = high.saturating_add(1);
                }
            }
        }
        before.push((all, high));
        Positions {
            flat,
            position,
            before,
        }
    }

    pub fn flat(&self) -> &'a Flattened<'a> {
        self.flat
    }

    /// The position of question `id` (its first definition, if repeated).
    pub fn position(&self, id: &str) -> Option<usize> {
        self.position.get(id).copied()
    }

    /// The question `id` (its first definition, if repeated).
    pub fn question(&self, id: &str) -> Option<&'a Question> {
        self.position
            .get(id)
            .and_then(|&i| self.flat.questions.get(i))
            .copied()
    }
}

/// Brute force over the named questions' answers (and the indicator counts) before `index`.
pub fn satisfiable(
    at: &Positions,
    index: usize,
    when: &Condition,
    unreachable: &HashSet<&str>,
) -> bool {
    let named: Vec<&Question> = when
        .questions()
        .iter()
        .filter_map(|n| at.question(n))
        .collect();
    let domains: Vec<Vec<Option<&str>>> = named.iter().map(|q| domain(q, unreachable)).collect();
    let (max_all, max_high) = if when.uses_counts() {
        at.before.get(index).copied().unwrap_or((0, 0))
    } else {
        (0, 0)
    };
    // Saturating: a condition naming many questions must not overflow the count.
    let total = domains
        .iter()
        .map(Vec::len)
        .chain([max_all as usize + 1, max_high as usize + 1])
        .fold(1usize, usize::saturating_mul);
    if total > REACH_LIMIT {
        return true;
    }
    let mut idx = vec![0usize; domains.len()];
    loop {
        for all in 0..=max_all {
            for high in 0..=max_high.min(all) {
                let a = Assignment {
                    values: named
                        .iter()
                        .zip(&idx)
                        .zip(&domains)
                        .map(|((q, &i), d)| (q.id.as_str(), d[i]))
                        .collect(),
                    counts: (all, high),
                };
                if when.eval(&a) {
                    return true;
                }
            }
        }
        // Odometer step over every combination of answers.
        let mut k = 0;
        loop {
            if k == idx.len() {
                return false;
            }
            idx[k] += 1;
            if idx[k] < domains[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}
