//! A list of problems found in a guidance set, each with the file and line to fix.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
    /// A file that is missing or does not parse: listed before the problems that may
    /// follow from it, so the cause is what an author (or `check --guidance`) sees first.
    pub cause: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn add(&mut self, file: &str, line: usize, message: impl Into<String>) {
        self.0.push(Problem {
            file: file.to_string(),
            line,
            message: message.into(),
            cause: false,
        });
    }

    /// Marks every problem found so far as a cause (see [`Problem::cause`]).
    pub fn mark_causes(&mut self) {
        for p in &mut self.0 {
            p.cause = true;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn sort(&mut self) {
        self.0
            .sort_by(|a, b| (!a.cause, &a.file, a.line).cmp(&(!b.cause, &b.file, b.line)));
        self.0.dedup();
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            writeln!(f, "{p}")?;
        }
        Ok(())
    }
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Ids are lowercase letters, digits, `-` and `_`, starting with a letter.
pub fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}
