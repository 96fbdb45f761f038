//! An answer to one question, and how it is written in answers files, events and exports.

use serde::{Deserialize, Serialize};

use crate::guidance::{Question, QuestionKind};

/// One answer. Yes/no questions take yes, no or unsure; every question can be skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    Unsure,
    Choice(String),
    Text(String),
    Skipped,
}

impl Answer {
    /// The string conditions compare against: `yes`, a choice id, `skipped`, or the text.
    pub fn as_value(&self) -> &str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Unsure => "unsure",
            Answer::Choice(c) => c,
            Answer::Text(t) => t,
            Answer::Skipped => "skipped",
        }
    }

    /// Parses a value given for `q` (from an answers file or a key press), checking it fits
    /// the question's kind.
    pub fn parse_for(q: &Question, value: &str) -> Result<Answer, String> {
        let v = value.trim();
        if q.kind != QuestionKind::Text
            && (v.eq_ignore_ascii_case("skip") || v.eq_ignore_ascii_case("skipped"))
        {
            return Ok(Answer::Skipped);
        }
        match q.kind {
            QuestionKind::YesNo => match v.to_ascii_lowercase().as_str() {
                "yes" | "y" => Ok(Answer::Yes),
                "no" | "n" => Ok(Answer::No),
                "unsure" | "u" => Ok(Answer::Unsure),
                _ => Err(format!(
                    "'{v}' is not an answer to yes/no question '{}': use yes, no, unsure or skip",
                    q.id
                )),
            },
            QuestionKind::Choice => q
                .choices
                .iter()
                .find(|c| c.id == v)
                .map(|c| Answer::Choice(c.id.clone()))
                .ok_or_else(|| {
                    let ids: Vec<&str> = q.choices.iter().map(|c| c.id.as_str()).collect();
                    format!(
                        "'{v}' is not a choice of question '{}': use one of {}",
                        q.id,
                        ids.join(", ")
                    )
                }),
            QuestionKind::Text if v.is_empty() => Ok(Answer::Skipped),
            QuestionKind::Text => Ok(Answer::Text(v.to_string())),
        }
    }

    /// Whether this answer is possible for the question's kind.
    pub fn fits(&self, q: &Question) -> bool {
        match (q.kind, self) {
            (_, Answer::Skipped) => true,
            (QuestionKind::YesNo, Answer::Yes | Answer::No | Answer::Unsure) => true,
            (QuestionKind::Choice, Answer::Choice(c)) => q.choices.iter().any(|x| &x.id == c),
            (QuestionKind::Text, Answer::Text(_)) => true,
            _ => false,
        }
    }

    /// How a person reads the answer: the choice label rather than its id, and the
    /// plain word "skipped". The one place an answer is worded for a reader.
    pub fn display(&self, q: Option<&Question>) -> String {
        self.display_with(|id| {
            q.and_then(|q| q.choices.iter().find(|c| c.id == id))
                .map(|c| c.label.clone())
        })
    }

    /// As `display`, with the choice label looked up by `label` (for a record read with
    /// labels from the guidance it was run against).
    pub fn display_with(&self, label: impl FnOnce(&str) -> Option<String>) -> String {
        match self {
            Answer::Choice(id) => label(id).unwrap_or_else(|| id.clone()),
            a => a.as_value().to_string(),
        }
    }
}
