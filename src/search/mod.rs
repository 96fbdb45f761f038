//! Guidance search: ranked, stemmed, forgiving keyword search over every topic section,
//! checklist question and welfare prompt, on SQLite FTS5.
//!
//! The steps, in order: parse what the officer typed into words and phrases
//! ([`query`]); expand abbreviations and synonyms from the guidance data ([`synonyms`]);
//! correct any word the guidance never uses to its nearest neighbour ([`typo`]); AND
//! everything together and rank with BM25 (titles and headings above body text); and when
//! that finds nothing, fall back to the passages that match the most of the words.
//! Every step is reported in [`Outcome`] so the CLI can say what it did.

mod english;
mod hits;
pub mod index;
pub mod query;
mod rank;
mod spell;
pub mod synonyms;
pub mod text;
pub mod typo;

use std::cell::OnceCell;
use std::path::Path;

use crate::fault::Fault;
use crate::guidance::Guidance;
pub use hits::{Behind, Hit, Snippet};
pub use index::{HitKind, Index, default_cache_dir};
use query::Unit;
use synonyms::{Group, Synonyms};
use typo::Vocab;

/// The largest `--limit` accepted; the whole point is the few best passages.
pub const MAX_LIMIT: usize = 100;
/// Words that follow "how" to ask for an amount ("how long", "how many"): the guidance
/// answers with the amount, not the word.
const HOW_WORDS: &[&str] = &["long", "many", "much", "soon", "often", "quickly", "far"];

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("there are no words to search for")]
    EmptyQuery,
    #[error("the search has no letters or digits to look for")]
    NoWords,
    #[error("the number of results must be between 1 and {MAX_LIMIT}")]
    BadLimit,
    /// SQLite failed on SQL we wrote; the text of the SQLite error is kept as the source
    /// for debugging but is not shown to an officer.
    #[error("the guidance search index could not be built or read; please report this")]
    Index(#[source] rusqlite::Error),
}

impl SearchError {
    pub fn fault(&self) -> Fault {
        match self {
            SearchError::EmptyQuery | SearchError::NoWords | SearchError::BadLimit => {
                Fault::BadRequest
            }
            SearchError::Index(_) => Fault::Internal,
        }
    }

    pub(crate) fn index(e: rusqlite::Error) -> Self {
        SearchError::Index(e)
    }
}

/// What a search found, and what it did to the query on the way.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub hits: Vec<Hit>,
    /// Words replaced by the nearest word the guidance uses: (typed, used).
    pub corrections: Vec<(String, String)>,
    /// Words (or phrases) that occur nowhere, even after correction; left out.
    pub missing: Vec<String>,
    /// No passage had every word; these are the best partial matches.
    pub partial: bool,
    /// How many of the hits have every word; the rest are the best partial matches,
    /// filling the list to the limit.
    pub complete: usize,
    /// The query had more words than are searched; the rest were ignored.
    pub truncated: bool,
    /// The query as searched after corrections, for "showing results for …"; empty
    /// when nothing was corrected.
    pub searched: Vec<String>,
}

/// A search engine over one guidance set.
pub struct Searcher<'g> {
    g: &'g Guidance,
    index: Index,
    synonyms: Synonyms,
    vocab: OnceCell<Vocab>,
}

/// Searches the guidance in use, reusing the cache in `cache_dir` when it matches. If a
/// cached index turns out to be damaged in a way the open-time checks missed, the search
/// is retried once on a freshly built in-memory index.
pub fn search(
    g: &Guidance,
    input: &str,
    limit: usize,
    cache_dir: Option<&Path>,
) -> Result<Outcome, SearchError> {
    let index = Index::open(g, cache_dir)?;
    let from_cache = index.from_cache;
    match Searcher::new(g, index).search(input, limit) {
        Err(SearchError::Index(_)) if from_cache => {
            Searcher::new(g, Index::build(g)?).search(input, limit)
        }
        other => other,
    }
}

impl<'g> Searcher<'g> {
    pub fn new(g: &'g Guidance, index: Index) -> Self {
        Searcher {
            g,
            index,
            synonyms: Synonyms::new(&g.synonyms),
            vocab: OnceCell::new(),
        }
    }

    pub fn search(&self, input: &str, limit: usize) -> Result<Outcome, SearchError> {
        if input.trim().is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(SearchError::BadLimit);
        }
        let parsed = query::parse(input);
        if parsed.units.is_empty() {
            return Err(SearchError::NoWords);
        }
        let mut out = Outcome {
            truncated: parsed.truncated,
            ..Outcome::default()
        };

        // Spelling first, word by word, so a corrected word can still join a synonym
        // ("duty to notfy" → "duty to notify" → NRM's Duty to Notify group).
        let mut units = Vec::with_capacity(parsed.units.len());
        for u in parsed.units {
            match self.correct(&u)? {
                Some(fixed) => {
                    out.corrections.push((u.display(), fixed.display()));
                    units.push(fixed);
                }
                None => units.push(u),
            }
        }
        if !out.corrections.is_empty() {
            out.searched = units.iter().map(Unit::display).collect();
        }
        let groups = drop_stop_words(self.synonyms.expand(units));

        // Each group must occur somewhere; one that does not is left out (and reported)
        // rather than making the whole search come back empty.
        let mut kept = Vec::new();
        for grp in groups {
            if self.matches_any(&grp.fts())? {
                kept.push(grp);
            } else if !out.missing.contains(&grp.unit.display()) {
                out.missing.push(grp.unit.display());
            }
        }
        if kept.is_empty() {
            return Ok(out);
        }

        let ranking = self.ranked(&kept, limit)?;
        out.complete = ranking.complete;
        out.partial = ranking.complete == 0 && !ranking.docs.is_empty();
        // Any one group's words are highlighted, so a partial match shows what it has.
        let any: Vec<String> = kept.iter().map(Group::fts).collect();
        let any = any.join(" OR ");
        for (id, score) in ranking.docs {
            out.hits.extend(self.hit_for(&any, id, score)?);
        }
        Ok(out)
    }

    fn conn(&self) -> &rusqlite::Connection {
        &self.index.conn
    }

    fn matches_any(&self, fts: &str) -> Result<bool, SearchError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT 1 FROM docs WHERE docs MATCH ?1 LIMIT 1")
            .map_err(SearchError::index)?;
        stmt.exists([fts]).map_err(SearchError::index)
    }
}

/// Drops lone stop words, and the amount word of "how long"-style questions, unless that
/// would leave nothing to search for.
fn drop_stop_words(groups: Vec<Group>) -> Vec<Group> {
    // A stop word goes even when it has synonyms ("know" finds "known"): the question's
    // shape is not what the officer is asking about.
    let bare = |g: &Group| !g.unit.quoted && !g.unit.prefix && g.unit.words.len() == 1;
    let stop: Vec<bool> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let w = g.unit.words[0].as_str();
            let after_how = i > 0
                && bare(&groups[i - 1])
                && groups[i - 1].unit.words[0] == "how"
                && HOW_WORDS.contains(&w);
            bare(g) && (query::is_stop_word(w) || after_how)
        })
        .collect();
    if stop.iter().all(|s| *s) {
        return groups;
    }
    groups
        .into_iter()
        .zip(stop)
        .filter(|(_, s)| !s)
        .map(|(g, _)| g)
        .collect()
}

#[cfg(test)]
mod tests;
