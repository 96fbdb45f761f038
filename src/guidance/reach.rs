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

/// Brute force over the named questions' answers (and the indicator counts) before `index`.
pub fn satisfiable(
    flat: &Flattened,
    index: usize,
    when: &Condition,
    unreachable: &HashSet<&str>,
) -> bool {
    let named: Vec<&Question> = when
        .questions()
        .iter()
        .filter_map(|n| flat.questions.iter().find(|q| q.id == *n).copied())
        .collect();
    let domains: Vec<Vec<Option<&str>>> = named.iter().map(|q| domain(q, unreachable)).collect();
    let earlier = &flat.questions[..index];
    let (max_all, max_high) = if when.uses_counts() {
        let all = earlier.iter().filter(|q| q.indicator).count() as u32;
        let high = earlier
            .iter()
            .filter(|q| q.indicator && q.weight == Weight::High)
            .count() as u32;
        (all, high)
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
