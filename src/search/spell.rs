//! Which words of a query are slips, and what they were meant to be.
//!
//! A word is left as typed when the guidance uses it, when it is part of a synonym term,
//! when it is a stop word, or when it is a common English word ([`super::english`]): a
//! real word is never swapped for an unrelated one ("refuses" is not "refugee"). Any
//! other word is a slip and becomes the nearest guidance or synonym word ([`super::typo`]),
//! even when the stemmer would have matched something with it: "trafficing" stems to
//! "traffic", which is not what the officer meant.

use super::query::{self, Unit};
use super::typo::Vocab;
use super::{SearchError, Searcher, english};

impl Searcher<'_> {
    /// The unit with each slip replaced by its nearest word, if anything changed.
    pub(super) fn correct(&self, unit: &Unit) -> Result<Option<Unit>, SearchError> {
        if unit.prefix || (unit.words.len() > 1 && self.matches_any(&unit.fts())?) {
            return Ok(None);
        }
        let mut fixed = unit.clone();
        let mut changed = false;
        for w in &mut fixed.words {
            if !self.is_slip(w)? {
                continue;
            }
            // A word the stemmer matches may be an unusual form of a guidance word
            // ("cuckooed"); only a one-letter slip replaces it.
            let stemmed = self.matches_any(&Unit::word(w).fts())?;
            let max = if stemmed { Some(1) } else { None };
            if let Some(near) = self.vocab()?.nearest(w, max) {
                *w = near.to_string();
                changed = true;
            }
        }
        Ok(changed.then_some(fixed))
    }

    fn is_slip(&self, w: &str) -> Result<bool, SearchError> {
        if !Vocab::may_correct(w) || query::is_stop_word(w) || self.synonyms.knows(w) {
            return Ok(false);
        }
        Ok(!self.written(w)? && !english::contains(w))
    }

    /// Whether the guidance uses `word` exactly as typed (not just its stem).
    fn written(&self, word: &str) -> Result<bool, SearchError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT 1 FROM words WHERE words MATCH ?1 LIMIT 1")
            .map_err(SearchError::index)?;
        stmt.exists([Unit::word(word).fts()])
            .map_err(SearchError::index)
    }

    /// The guidance's words as written and the synonym words, loaded the first time a
    /// word needs correcting.
    fn vocab(&self) -> Result<&Vocab, SearchError> {
        if let Some(v) = self.vocab.get() {
            return Ok(v);
        }
        let v = Vocab::load(self.conn(), self.synonyms.words()).map_err(SearchError::index)?;
        Ok(self.vocab.get_or_init(|| v))
    }
}
