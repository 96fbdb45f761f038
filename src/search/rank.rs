//! Ranking: which passages match, and in what order.
//!
//! Passages with every group of the query come first, scored with BM25 (titles and
//! headings above body text). When fewer of those than the limit exist, the rest of the
//! list is filled with the best partial matches, weighted by how rare each matched word
//! is in the guidance: in "passport taken" the passage about passports outranks one that
//! merely says "taken", because "passport" is the word that decides what the officer
//! wants.

use std::collections::HashMap;

use rusqlite::params;

use super::synonyms::Group;
use super::{SearchError, Searcher};
use crate::search::query::Unit;

/// BM25 weights for the `title`, `heading` and `body` columns. A word in a section heading
/// says what the passage is about; a word in the body may be in passing. The topic title
/// is shared by every section of a topic, so it only tells topics apart (see
/// `TITLE_BONUS`). Tuned on `tests/it/search_relevance.rs`.
const WEIGHTS: (f64, f64, f64) = (1.0, 6.0, 1.0);
/// Questions and prompts are short, and BM25 favours short documents; this keeps a
/// passage that explains something above a one-line question that merely mentions it.
const NON_SECTION_FACTOR: f64 = 0.7;
/// Shares of a phrase's best score added when it is in a section heading or topic title.
const HEADING_BONUS: f64 = 0.5;
const TITLE_BONUS: f64 = 0.2;
/// A match on a synonym counts for a little less than a match on the words typed.
const SYNONYM_FACTOR: f64 = 0.6;

/// The ranked documents of one search.
pub(super) struct Ranking {
    /// (rowid, score), best first: every passage with all the groups, then the best
    /// partial matches, up to the limit.
    pub docs: Vec<(i64, f64)>,
    /// How many of `docs` have every group.
    pub complete: usize,
}

/// Whether two one-word units are forms of one word that the stemmer split (synonym
/// groups join them: "refer"/"referral", "injured"/"injury"). Such a form counts as the
/// word typed, as it would have if the stemmer had joined them: they share all but the
/// last two letters of the shorter, and at least four.
fn same_word(a: &Unit, b: &Unit) -> bool {
    let ([x], [y]) = (a.words.as_slice(), b.words.as_slice()) else {
        return false;
    };
    let shared = x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count();
    let shorter = x.chars().count().min(y.chars().count());
    shared >= 4 && shared + 2 >= shorter
}

/// How near the top of the partial matches each group's best passage must be.
const EACH_WORD_WITHIN: usize = 3;

/// Rarity orders the partial matches, but a rare word must not push every passage about
/// the other words out of sight: "golden hour interpreter" should show the best passage
/// about interpreters among the first few, not only passages about the golden hour. So
/// each group's best partial passage, rarest group first, is moved up to within the first
/// [`EACH_WORD_WITHIN`] places if it is not there already.
fn each_word_near_the_top(partial: &mut Vec<(i64, f64)>, groups: &[GroupScores]) {
    let mut order: Vec<&GroupScores> = groups.iter().collect();
    order.sort_by(|a, b| b.idf.total_cmp(&a.idf));
    let mut placed = 0;
    for g in order {
        if placed >= EACH_WORD_WITHIN {
            break;
        }
        let best = partial
            .iter()
            .enumerate()
            .filter_map(|(i, (id, _))| g.best.get(id).map(|s| (i, *s)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let Some((at, _)) = best else { continue };
        if at >= EACH_WORD_WITHIN {
            let doc = partial.remove(at);
            partial.insert(EACH_WORD_WITHIN - 1, doc);
        }
        placed += 1;
    }
}

/// One group's score in every passage that has it.
struct GroupScores {
    best: HashMap<i64, f64>,
    /// The group's best score anywhere, to put groups on one scale.
    top: f64,
    /// How rare the group is in the guidance (BM25's inverse document frequency).
    idf: f64,
}

impl Searcher<'_> {
    /// Ranks every passage matching at least one group and keeps the best `limit`.
    ///
    /// Each group is scored on its own and the scores are added. Within a group the typed
    /// words and each synonym are scored separately and the best one counts, with
    /// synonyms discounted: a synonym widens what is found, but a passage that uses the
    /// officer's own words comes first, and a passage is not rewarded for using every
    /// synonym of one idea (FTS5's own bm25 over an OR would add them all up).
    pub(super) fn ranked(&self, groups: &[Group], limit: usize) -> Result<Ranking, SearchError> {
        let total = self.doc_count()?;
        let mut per_group = Vec::with_capacity(groups.len());
        for g in groups {
            per_group.push(self.group_scores(g, total)?);
        }
        let mut complete: Vec<(i64, f64)> = Vec::new();
        let mut partial: Vec<(i64, f64)> = Vec::new();
        let mut ids: Vec<i64> = per_group
            .iter()
            .flat_map(|g| g.best.keys())
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let mut all = true;
            let mut sum = 0.0;
            let mut weighted = 0.0;
            for g in &per_group {
                match g.best.get(&id) {
                    Some(s) => {
                        sum += s;
                        // On one scale per group (its best passage scores 1), so the
                        // rarity of the words matched decides, then how well they match.
                        let scaled = if g.top > 0.0 { s / g.top } else { 0.0 };
                        weighted += g.idf * (1.0 + scaled);
                    }
                    None => all = false,
                }
            }
            if all {
                complete.push((id, sum));
            } else {
                partial.push((id, weighted));
            }
        }
        let best_first = |a: &(i64, f64), b: &(i64, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        complete.sort_by(best_first);
        partial.sort_by(best_first);
        each_word_near_the_top(&mut partial, &per_group);
        complete.truncate(limit);
        let n = complete.len();
        partial.truncate(limit - n);
        complete.extend(partial);
        Ok(Ranking {
            docs: complete,
            complete: n,
        })
    }

    fn group_scores(&self, g: &Group, total: f64) -> Result<GroupScores, SearchError> {
        let mut best: HashMap<i64, f64> = HashMap::new();
        let phrases = std::iter::once((&g.unit, 1.0)).chain(g.alternatives.iter().map(|a| {
            let factor = if same_word(&g.unit, a) {
                1.0
            } else {
                SYNONYM_FACTOR
            };
            (a, factor)
        }));
        for (phrase, factor) in phrases {
            for (id, s) in self.phrase_scores(phrase)? {
                let s = s * factor;
                let e = best.entry(id).or_insert(s);
                *e = e.max(s);
            }
        }
        let top = best.values().copied().fold(0.0, f64::max);
        let df = best.len() as f64;
        let idf = ((total - df + 0.5) / (df + 0.5) + 1.0).ln();
        Ok(GroupScores { best, top, idf })
    }

    /// How many passages the index holds, for rarity.
    fn doc_count(&self) -> Result<f64, SearchError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM docs", [], |r| r.get(0))
            .map_err(SearchError::index)?;
        Ok(n as f64)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_one_word_are_told_from_synonyms() {
        let same = |a: &str, b: &str| same_word(&Unit::word(a), &Unit::word(b));
        assert!(same("refer", "referral"));
        assert!(same("injured", "injury"));
        assert!(same("take", "taken"));
        assert!(same("identify", "identification"));
        assert!(!same("give", "gave"));
        assert!(!same("boss", "gaffer"));
        assert!(!same("pay", "payslips"));
        let phrase = Unit {
            words: vec!["injured".into(), "person".into()],
            prefix: false,
            quoted: false,
        };
        assert!(!same_word(&Unit::word("injured"), &phrase));
    }
}
