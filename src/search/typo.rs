//! Typo correction: the nearest word that the guidance actually uses.
//!
//! Candidates come from the unstemmed `words_vocab` table (FTS5's `fts5vocab`), so a
//! suggestion is a real word as written, plus the words of the synonym terms (an officer
//! who types "juvinile" means the synonym "juvenile", which the text never uses).
//! Distance is Damerau–Levenshtein (a swapped pair of letters is one slip on a phone
//! keyboard, not two; a doubled or dropped letter is one too). Short words and anything
//! with a digit are left alone: "s45" or "ms1" is an abbreviation, not a misspelling of
//! "s46".

/// One candidate word and how many documents use it.
pub struct Vocab(Vec<(String, i64)>);

impl Vocab {
    pub fn load<'a>(
        conn: &rusqlite::Connection,
        extra: impl Iterator<Item = &'a str>,
    ) -> rusqlite::Result<Vocab> {
        let mut stmt = conn.prepare("SELECT term, doc FROM words_vocab")?;
        let mut rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let known: std::collections::HashSet<String> =
            rows.iter().map(|(t, _)| t.clone()).collect();
        for w in extra {
            if !known.contains(w) && !rows.iter().skip(known.len()).any(|(t, _)| t == w) {
                rows.push((w.to_string(), 0));
            }
        }
        Ok(Vocab(rows))
    }

    #[cfg(test)]
    pub fn from_words(words: &[(&str, i64)]) -> Vocab {
        Vocab(words.iter().map(|(w, n)| (w.to_string(), *n)).collect())
    }

    /// Whether `word` is the kind of word correction may touch: four letters or more and
    /// letters only.
    pub fn may_correct(word: &str) -> bool {
        (4..=32).contains(&word.chars().count()) && word.chars().all(char::is_alphabetic)
    }

    /// The closest known word to `word`, if one is close enough to be a slip: within
    /// `max` edits if given, else one edit for short words and two for longer ones.
    pub fn nearest(&self, word: &str, max: Option<usize>) -> Option<&str> {
        if !Self::may_correct(word) {
            return None;
        }
        let len = word.chars().count();
        let max = max.unwrap_or(if len <= 5 { 1 } else { 2 });
        let first = word.chars().next();
        self.0
            .iter()
            .filter(|(t, _)| t != word && t.chars().count().abs_diff(len) <= max)
            .filter_map(|(t, docs)| {
                let d = strsim::damerau_levenshtein(word, t);
                // A different first letter is a rarer slip than one in the middle.
                let first_differs = t.chars().next() != first;
                (d <= max).then_some(((d, first_differs, -docs), t.as_str()))
            })
            .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
            .map(|(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocab {
        Vocab::from_words(&[
            ("bondage", 3),
            ("bandage", 1),
            ("trafficking", 20),
            ("traffic", 2),
            ("cuckooing", 2),
            ("consent", 9),
            ("exploitation", 40),
            ("s46", 2),
            ("child", 30),
            ("chill", 1),
        ])
    }

    #[test]
    fn close_slips_are_corrected() {
        let v = vocab();
        assert_eq!(v.nearest("bondige", None), Some("bondage"));
        assert_eq!(v.nearest("traffikcing", None), Some("trafficking"));
        assert_eq!(v.nearest("consnet", None), Some("consent"));
    }

    #[test]
    fn doubled_and_dropped_letters_are_one_slip() {
        let v = vocab();
        assert_eq!(v.nearest("trafficing", Some(1)), Some("trafficking"));
        assert_eq!(v.nearest("exploitaton", Some(1)), Some("exploitation"));
        assert_eq!(v.nearest("cukooing", Some(1)), Some("cuckooing"));
        assert_eq!(v.nearest("consentt", Some(1)), Some("consent"));
    }

    #[test]
    fn short_numeric_and_far_words_are_left_alone() {
        let v = vocab();
        assert_eq!(v.nearest("s45", None), None);
        assert_eq!(v.nearest("chld", None), Some("child"));
        assert_eq!(v.nearest("abc", None), None);
        assert_eq!(v.nearest("zzzzzzzz", None), None);
        assert_eq!(v.nearest(&"x".repeat(10_000), None), None);
        assert_eq!(v.nearest("🙂🙂🙂🙂", None), None);
        // Two edits away, but only one is allowed.
        assert_eq!(v.nearest("bondige", Some(0)), None);
        assert_eq!(v.nearest("trafking", Some(1)), None);
    }

    #[test]
    fn ties_prefer_the_more_common_word() {
        let v = vocab();
        // "bendage" is one away from both; bondage is used more.
        assert_eq!(v.nearest("bendage", None), Some("bondage"));
    }
}
