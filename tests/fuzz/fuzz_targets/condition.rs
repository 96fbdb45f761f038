//! Checklist conditions (`show_if`, prompt triggers): `Condition::parse` on any text, then
//! `eval` against answers derived from the input, then `Display`/query helpers. Must never
//! panic or overflow the stack, however deep the brackets or long the chain of `not`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msht::guidance::condition::{AnswerLookup, Condition};

/// Answers that depend on the question id, so both branches of comparisons are taken.
struct Answers {
    concerns: u32,
}

impl AnswerLookup for Answers {
    fn value(&self, question: &str) -> Option<&str> {
        match question.len() % 5 {
            0 => None,
            1 => Some("yes"),
            2 => Some("no"),
            3 => Some("skipped"),
            _ => Some("declines"),
        }
    }
    fn concerns(&self, high_only: bool) -> u32 {
        if high_only {
            self.concerns / 2
        } else {
            self.concerns
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(c) = Condition::parse(src) else {
        return;
    };
    for concerns in [0, 1, 3, u32::MAX] {
        let _ = c.eval(&Answers { concerns });
    }
    let _ = c.comparisons();
    let _ = c.questions();
    let _ = c.uses_counts();
});
