//! Guidance search: ranked, stemmed, forgiving keyword search over every topic section,
//! checklist question and welfare prompt, on SQLite FTS5.
//!
//! The steps, in order: parse what the officer typed into words and phrases
//! ([`query`]); expand abbreviations and synonyms from the guidance data ([`synonyms`]);
//! correct any word the guidance never uses to its nearest neighbour ([`typo`]); AND
//! everything together and rank with BM25 (titles and headings above body text); and when
//! that finds nothing, fall back to the passages that match the most of the words.
//! Every step is reported in [`Outcome`] so the CLI can say what it did.

pub mod index;
pub mod query;
pub mod synonyms;
pub mod text;
pub mod typo;

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::Path;

use rusqlite::params;

use crate::fault::Fault;
use crate::guidance::Guidance;
pub use index::{HitKind, Index, default_cache_dir};
use query::Unit;
use synonyms::{Group, Synonyms};
use typo::Vocab;

/// The largest `--limit` accepted; the whole point is the few best passages.
pub const MAX_LIMIT: usize = 100;

/// BM25 weights for the `title`, `heading` and `body` columns. A word in a section heading
/// says what the passage is about; a word in the body may be in passing. The topic title
/// is shared by every section of a topic, so it only tells topics apart (see
/// `TITLE_BONUS`). Tuned on `tests/search_relevance.rs`.
const WEIGHTS: (f64, f64, f64) = (1.0, 6.0, 1.0);
/// Questions and prompts are short, and BM25 favours short documents; this keeps a
/// passage that explains something above a one-line question that merely mentions it.
const NON_SECTION_FACTOR: f64 = 0.7;
/// Shares of a phrase's best score added when it is in a section heading or topic title.
const HEADING_BONUS: f64 = 0.5;
const TITLE_BONUS: f64 = 0.2;
/// A match on a synonym counts for a little less than a match on the words typed.
const SYNONYM_FACTOR: f64 = 0.8;
/// Tokens of context in a snippet: about three lines on a 40-column phone.
const SNIPPET_TOKENS: i64 = 20;
/// Marks a highlight inside FTS5's snippet output. Control characters cannot occur in
/// guidance text, so they cannot be confused with it.
const MARK_OPEN: &str = "\u{1}";
const MARK_CLOSE: &str = "\u{2}";

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

/// A passage of text with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    /// Runs of text, each flagged `true` when it is a matched word.
    pub parts: Vec<(String, bool)>,
}

impl Snippet {
    fn from_marked(s: &str) -> Snippet {
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find(MARK_OPEN) {
            if open > 0 {
                parts.push((rest[..open].to_string(), false));
            }
            let after = &rest[open + MARK_OPEN.len()..];
            let close = after.find(MARK_CLOSE).unwrap_or(after.len());
            parts.push((after[..close].to_string(), true));
            rest = after.get(close + MARK_CLOSE.len()..).unwrap_or("");
        }
        if !rest.is_empty() {
            parts.push((rest.to_string(), false));
        }
        Snippet { parts }
    }

    /// The text with each highlight wrapped in `open`…`close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        self.parts
            .iter()
            .map(|(t, hit)| {
                if *hit {
                    format!("{open}{t}{close}")
                } else {
                    t.clone()
                }
            })
            .collect()
    }

    pub fn plain(&self) -> String {
        self.marked("", "")
    }
}

/// One result, with everything needed to show it and to open it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: HitKind,
    /// The topic a section belongs to, or the topic a question or prompt links to.
    pub topic: Option<String>,
    /// The section id, for a section or a link to one.
    pub section: Option<String>,
    /// Topic title for a section; the question's text; the prompt's title.
    pub title: String,
    /// The section heading (sections only; the summary has none).
    pub heading: Option<String>,
    /// The question or prompt id (sections: `topic#section`).
    pub id: String,
    /// The checklist a question belongs to.
    pub checklist: Option<String>,
    /// Matching passage.
    pub snippet: Snippet,
    /// Higher is better; comparable only within one search.
    pub score: f64,
    /// The exact command that opens it, if there is one.
    pub open: Option<String>,
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

        out.hits = self.ranked(&kept, " AND ", limit)?;
        if out.hits.is_empty() && kept.len() > 1 {
            out.partial = true;
            out.hits = self.ranked(&kept, " OR ", limit)?;
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

    /// Replaces each word of `unit` that the guidance never uses with its nearest word.
    /// A word that is part of a synonym term is known even if the text never uses it
    /// ("stro" must not become "strong"). Returns the corrected unit only if something
    /// changed.
    fn correct(&self, unit: &Unit) -> Result<Option<Unit>, SearchError> {
        if unit.prefix || self.matches_any(&unit.fts())? {
            return Ok(None);
        }
        let mut fixed = unit.clone();
        let mut changed = false;
        for w in &mut fixed.words {
            // A stop word is dropped later anyway; "correcting" it would only add noise.
            if query::is_stop_word(w)
                || self.synonyms.knows(w)
                || self.matches_any(&Unit::word(w).fts())?
            {
                continue;
            }
            if let Some(near) = self.vocab()?.nearest(w) {
                *w = near.to_string();
                changed = true;
            }
        }
        Ok(changed.then_some(fixed))
    }

    /// The index's words as written, loaded the first time a word needs correcting.
    fn vocab(&self) -> Result<&Vocab, SearchError> {
        if let Some(v) = self.vocab.get() {
            return Ok(v);
        }
        let v = Vocab::load(self.conn()).map_err(SearchError::index)?;
        Ok(self.vocab.get_or_init(|| v))
    }

    /// Ranks every document matching the groups joined by `op` (AND, or OR for partial
    /// matches) and returns the best `limit` as hits.
    ///
    /// Each group is scored on its own with BM25 and the scores are added. Within a group
    /// the typed words and each synonym are scored separately and the best one counts,
    /// with synonyms discounted: a synonym widens what is found, but a passage that uses
    /// the officer's own words comes first, and a passage is not rewarded for using
    /// every synonym of one idea (FTS5's own bm25 over an OR would add them all up). For
    /// partial matches, passages with more of the groups come first.
    fn ranked(&self, groups: &[Group], op: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let expanded: Vec<String> = groups.iter().map(Group::fts).collect();
        let expanded = expanded.join(op);
        let candidates = self.ranks(&expanded)?;
        let partial = op.trim() == "OR";
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // (groups matched, summed score) per candidate.
        let mut scores: HashMap<i64, (usize, f64)> =
            candidates.iter().map(|&(id, _)| (id, (0, 0.0))).collect();
        for g in groups {
            let mut best: HashMap<i64, f64> = HashMap::new();
            let phrases = std::iter::once((&g.unit, 1.0))
                .chain(g.alternatives.iter().map(|a| (a, SYNONYM_FACTOR)));
            for (phrase, factor) in phrases {
                for (id, s) in self.phrase_scores(phrase)? {
                    let s = s * factor;
                    let e = best.entry(id).or_insert(s);
                    *e = e.max(s);
                }
            }
            // For partial matches each group is put on the same scale (its best passage
            // scores 1), so the best passage for each word is shown rather than several
            // for whichever word happens to score highest.
            let top = best.values().copied().fold(0.0, f64::max);
            let scale = if partial && top > 0.0 { 1.0 / top } else { 1.0 };
            for (id, s) in best {
                let s = s * scale;
                if let Some(v) = scores.get_mut(&id) {
                    v.0 += 1;
                    v.1 += s;
                }
            }
        }
        let mut scored: Vec<(i64, (usize, f64))> = scores.into_iter().collect();
        scored.sort_by(|a, b| {
            (b.1)
                .0
                .cmp(&(a.1).0)
                .then((b.1).1.total_cmp(&(a.1).1))
                .then(a.0.cmp(&b.0))
        });
        scored.truncate(limit);
        let mut hits = Vec::with_capacity(scored.len());
        for (id, (_, score)) in scored {
            if let Some(row) = self.row(&expanded, id, score)? {
                hits.extend(self.hit(row));
            }
        }
        Ok(hits)
    }

    /// Score (higher is better) of every document containing one word or phrase: BM25,
    /// plus a bonus when a section's heading, or its topic's title, contains it.
    ///
    /// Why a bonus rather than only BM25 column weights: BM25 saturates term frequency,
    /// so a heading weight of 6 ends up barely ahead of a title weight of 2, and every
    /// section of a topic shares its title. The bonus is a share of the phrase's best
    /// BM25 score anywhere, so it scales with how rare the phrase is.
    fn phrase_scores(&self, unit: &Unit) -> Result<HashMap<i64, f64>, SearchError> {
        let fts = unit.fts();
        let mut scores: HashMap<i64, f64> = self
            .ranks(&fts)?
            .into_iter()
            .map(|(id, rank)| (id, -rank))
            .collect();
        let top = scores.values().copied().fold(0.0, f64::max);
        for (column, bonus) in [("heading", HEADING_BONUS), ("title", TITLE_BONUS)] {
            let mut ids = self.sections_with(column, &fts, false)?;
            if column == "heading" {
                // A topic's summary has no heading of its own: its title is its heading.
                ids.extend(self.sections_with("title", &fts, true)?);
            }
            for id in ids {
                if let Some(s) = scores.get_mut(&id) {
                    *s += bonus * top;
                }
            }
        }
        Ok(scores)
    }

    /// Sections whose `column` matches `fts` (a single phrase).
    fn sections_with(
        &self,
        column: &str,
        fts: &str,
        summaries: bool,
    ) -> Result<Vec<i64>, SearchError> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT rowid FROM docs WHERE docs MATCH ?1 AND kind = 'section'
                   AND (?2 = 0 OR ref LIKE '%#summary')",
            )
            .map_err(SearchError::index)?;
        stmt.query_map(params![format!("{column} : {fts}"), summaries], |r| {
            r.get(0)
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<i64>>>())
        .map_err(SearchError::index)
    }

    /// (rowid, rank) of every document matching `fts`; lower rank is better.
    fn ranks(&self, fts: &str) -> Result<Vec<(i64, f64)>, SearchError> {
        let (wt, wh, wb) = WEIGHTS;
        let ns = NON_SECTION_FACTOR;
        let sql = format!(
            "SELECT rowid, bm25(docs, {wt}, {wh}, {wb})
                      * CASE kind WHEN 'section' THEN 1.0 ELSE {ns} END
             FROM docs WHERE docs MATCH ?1"
        );
        let mut stmt = self
            .conn()
            .prepare_cached(&sql)
            .map_err(SearchError::index)?;
        stmt.query_map([fts], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(SearchError::index)
    }

    /// What is needed to show one ranked document: its kind, reference and snippet.
    fn row(&self, fts: &str, id: i64, score: f64) -> Result<Option<Row>, SearchError> {
        let sql = format!(
            "SELECT kind, ref,
                    snippet(docs, 2, ?3, ?4, '…', {SNIPPET_TOKENS}),
                    snippet(docs, 1, ?3, ?4, '…', {SNIPPET_TOKENS}),
                    length(body)
             FROM docs WHERE docs MATCH ?1 AND rowid = ?2"
        );
        let mut stmt = self
            .conn()
            .prepare_cached(&sql)
            .map_err(SearchError::index)?;
        let mut rows = stmt
            .query(params![fts, id, MARK_OPEN, MARK_CLOSE])
            .map_err(SearchError::index)?;
        let Some(r) = rows.next().map_err(SearchError::index)? else {
            return Ok(None);
        };
        let read = || -> rusqlite::Result<Row> {
            let body_len: i64 = r.get(4)?;
            Ok(Row {
                kind: r.get(0)?,
                reference: r.get(1)?,
                score,
                // An empty body (a question with no help) shows the heading instead.
                snippet: if body_len > 0 { r.get(2)? } else { r.get(3)? },
            })
        };
        read().map(Some).map_err(SearchError::index)
    }

    /// Resolves an index row against the guidance. A row the guidance does not know
    /// cannot happen with a matching hash; it is skipped rather than shown wrong.
    fn hit(&self, r: Row) -> Option<Hit> {
        let snippet = Snippet::from_marked(&r.snippet);
        let score = r.score;
        match HitKind::parse(&r.kind)? {
            HitKind::Section => {
                let (t, s) = self.g.resolve_link(&r.reference)?;
                let s = s?;
                Some(Hit {
                    kind: HitKind::Section,
                    topic: Some(t.id.clone()),
                    section: Some(s.id.clone()),
                    title: t.title.clone(),
                    heading: (s.id != "summary").then(|| s.heading.clone()),
                    id: r.reference.clone(),
                    checklist: None,
                    snippet,
                    score,
                    open: Some(format!("msht guide show {}", r.reference)),
                })
            }
            HitKind::Question => {
                let (c, q) = self.g.checklists.iter().find_map(|c| {
                    c.questions
                        .iter()
                        .find(|q| q.id == r.reference)
                        .map(|q| (c, q))
                })?;
                let (topic, section) = split_link(q.topic.as_deref());
                Some(Hit {
                    kind: HitKind::Question,
                    topic,
                    section,
                    title: q.text.clone(),
                    heading: None,
                    id: q.id.clone(),
                    checklist: Some(c.id.clone()),
                    snippet,
                    score,
                    open: Some(format!("msht checklist show {}", c.id)),
                })
            }
            HitKind::Prompt => {
                let p = self.g.prompt(&r.reference)?;
                let (topic, section) = split_link(p.topic.as_deref());
                Some(Hit {
                    kind: HitKind::Prompt,
                    topic,
                    section,
                    title: p.title.clone(),
                    heading: None,
                    id: p.id.clone(),
                    checklist: None,
                    snippet,
                    score,
                    open: p.topic.as_ref().map(|t| format!("msht guide show {t}")),
                })
            }
        }
    }
}

struct Row {
    kind: String,
    reference: String,
    score: f64,
    snippet: String,
}

fn split_link(link: Option<&str>) -> (Option<String>, Option<String>) {
    match link {
        None => (None, None),
        Some(l) => match l.split_once('#') {
            Some((t, s)) => (Some(t.to_string()), Some(s.to_string())),
            None => (Some(l.to_string()), None),
        },
    }
}

/// Drops lone stop words, unless that would leave nothing to search for.
fn drop_stop_words(groups: Vec<Group>) -> Vec<Group> {
    let is_stop = |g: &Group| {
        !g.unit.quoted
            && !g.unit.prefix
            && g.alternatives.is_empty()
            && g.unit.words.len() == 1
            && query::is_stop_word(&g.unit.words[0])
    };
    if groups.iter().all(is_stop) {
        return groups;
    }
    groups.into_iter().filter(|g| !is_stop(g)).collect()
}

#[cfg(test)]
mod tests;
