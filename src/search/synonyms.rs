//! Synonym and abbreviation expansion, from the guidance's own `synonyms.toml`.
//!
//! An officer who types "NRM" must find text that says "National Referral Mechanism", and
//! the other way round. Each unit of the query that equals a term of a group becomes an OR
//! of every term in that group. Several plain words in a row can make one term ("duty to
//! notify"), so matching is greedy, longest first. The list is data so that guidance
//! authors, not programmers, keep it in step with the text.

use super::query::{Unit, words};
use crate::guidance::SynonymGroup;

/// A unit of the query with the other ways of saying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub unit: Unit,
    pub alternatives: Vec<Unit>,
}

impl Group {
    pub fn plain(unit: Unit) -> Self {
        Group {
            unit,
            alternatives: Vec::new(),
        }
    }

    /// The FTS5 expression: the unit, or the unit OR each alternative.
    pub fn fts(&self) -> String {
        let alts: Vec<String> = std::iter::once(&self.unit)
            .chain(&self.alternatives)
            .map(Unit::fts)
            .collect();
        super::query::group(&alts)
    }
}

/// The synonym groups as word lists, ready for matching.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Vec<Vec<String>>>,
    longest: usize,
}

impl Synonyms {
    pub fn new(groups: &[SynonymGroup]) -> Self {
        let groups: Vec<Vec<Vec<String>>> = groups
            .iter()
            .map(|g| {
                g.terms
                    .iter()
                    .map(|t| words(t))
                    .filter(|w| !w.is_empty())
                    .collect()
            })
            .collect();
        let longest = groups.iter().flatten().map(Vec::len).max().unwrap_or(0);
        Synonyms { groups, longest }
    }

    /// The other terms of the group that `ws` belongs to, if any.
    fn lookup(&self, ws: &[String]) -> Option<Vec<Unit>> {
        let group = self
            .groups
            .iter()
            .find(|g| g.iter().any(|t| same_term(t, ws)))?;
        Some(
            group
                .iter()
                .filter(|t| !same_term(t, ws))
                .map(|t| Unit {
                    words: t.clone(),
                    prefix: false,
                    quoted: false,
                })
                .collect(),
        )
    }

    /// Turns the parsed units into groups, joining runs of plain words that make a term.
    pub fn expand(&self, units: Vec<Unit>) -> Vec<Group> {
        let bare = |u: &Unit| !u.quoted && !u.prefix && u.words.len() == 1;
        let mut out = Vec::new();
        let mut i = 0;
        while i < units.len() {
            let u = &units[i];
            if u.prefix {
                out.push(Group::plain(u.clone()));
                i += 1;
                continue;
            }
            // Longest run of plain single words starting here that is a synonym term.
            let mut matched = None;
            if bare(u) {
                let max = self.longest.min(units.len() - i);
                for n in (2..=max).rev() {
                    let run = &units[i..i + n];
                    if !run.iter().all(bare) {
                        continue;
                    }
                    let ws: Vec<String> = run.iter().map(|u| u.words[0].clone()).collect();
                    if let Some(alts) = self.lookup(&ws) {
                        matched = Some((n, ws, alts));
                        break;
                    }
                }
            }
            if let Some((n, ws, alternatives)) = matched {
                out.push(Group {
                    unit: Unit {
                        words: ws,
                        prefix: false,
                        quoted: false,
                    },
                    alternatives,
                });
                i += n;
                continue;
            }
            // A quoted phrase means exactly those words, so it is not widened.
            let alternatives = if u.quoted {
                Vec::new()
            } else {
                self.lookup(&u.words).unwrap_or_default()
            };
            out.push(Group {
                unit: u.clone(),
                alternatives,
            });
            i += 1;
        }
        out
    }

    /// Whether `word` is part of any synonym term, so it is a real word even when the
    /// guidance text never uses it.
    pub fn knows(&self, word: &str) -> bool {
        self.words().any(|w| w == word)
    }

    /// Every word of every term, for typo correction to suggest.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().flatten().flatten().map(String::as_str)
    }
}

/// Equal word for word, allowing a plural on the last word ("orders" finds "order").
fn same_term(a: &[String], b: &[String]) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    let n = a.len() - 1;
    if a[..n] != b[..n] {
        return false;
    }
    let singular = |w: &str| -> String {
        if w.chars().count() > 3 && w.ends_with('s') && !w.ends_with("ss") {
            w[..w.len() - 1].to_string()
        } else {
            w.to_string()
        }
    };
    a[n] == b[n] || singular(&a[n]) == singular(&b[n])
}

#[cfg(test)]
mod tests {
    use super::super::query::parse;
    use super::*;
    use crate::guidance::Location;

    fn syn(groups: &[&[&str]]) -> Synonyms {
        let groups: Vec<SynonymGroup> = groups
            .iter()
            .map(|g| SynonymGroup {
                terms: g.iter().map(|t| t.to_string()).collect(),
                at: Location {
                    file: "synonyms.toml".into(),
                    line: 1,
                },
            })
            .collect();
        Synonyms::new(&groups)
    }

    fn fts(s: &Synonyms, q: &str) -> Vec<String> {
        s.expand(parse(q).units).iter().map(Group::fts).collect()
    }

    #[test]
    fn abbreviation_expands_both_ways() {
        let s = syn(&[&["nrm", "national referral mechanism"]]);
        assert_eq!(
            fts(&s, "NRM child"),
            [r#"("nrm" OR "national referral mechanism")"#, r#""child""#]
        );
        assert_eq!(
            fts(&s, "national referral mechanism"),
            [r#"("national referral mechanism" OR "nrm")"#]
        );
        // Quoted means exactly these words.
        assert_eq!(
            fts(&s, r#""national referral mechanism""#),
            [r#""national referral mechanism""#]
        );
    }

    #[test]
    fn longest_run_wins_and_punctuation_in_terms_is_words() {
        let s = syn(&[
            &["s45", "section 45", "non-punishment"],
            &["debt bondage", "debt"],
        ]);
        assert_eq!(
            fts(&s, "s45"),
            [r#"("s45" OR "section 45" OR "non punishment")"#]
        );
        assert_eq!(
            fts(&s, "section 45 defence"),
            [
                r#"("section 45" OR "s45" OR "non punishment")"#,
                r#""defence""#
            ]
        );
        assert_eq!(fts(&s, "debt bondage"), [r#"("debt bondage" OR "debt")"#]);
    }

    #[test]
    fn prefix_and_unknown_words_pass_through() {
        let s = syn(&[&["nrm", "national referral mechanism"]]);
        assert_eq!(fts(&s, "nrm* other"), [r#""nrm"*"#, r#""other""#]);
    }

    #[test]
    fn plural_last_word_matches() {
        let s = syn(&[&["stpo", "prevention order"]]);
        assert_eq!(
            fts(&s, "prevention orders"),
            [r#"("prevention orders" OR "stpo")"#]
        );
        assert!(!same_term(&["class".into()], &["clas".into()]));
    }
}
