//! Turning ranked index rows into what an officer sees: the kind of passage, its
//! snippet with the matched words marked, the command that opens it, and for a checklist
//! question or welfare prompt the guidance section behind it.
//!
//! Kept apart from ranking so that the order of results and the way one is shown can
//! change independently.

use rusqlite::params;

use super::{HitKind, SearchError, Searcher};

/// Tokens of context in a snippet: about three lines on a 40-column phone.
const SNIPPET_TOKENS: i64 = 20;
/// Marks a highlight inside FTS5's snippet output. Control characters cannot occur in
/// guidance text, so they cannot be confused with it.
const MARK_OPEN: &str = "\u{1}";
const MARK_CLOSE: &str = "\u{2}";

/// A passage of text with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    /// Runs of text, each flagged `true` when it is a matched word.
    pub parts: Vec<(String, bool)>,
}

impl Snippet {
    pub(super) fn from_marked(s: &str) -> Snippet {
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

/// The guidance section a checklist question or welfare prompt links to, so a hit on
/// the question also gives the passage that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behind {
    /// `topic#section`, or a topic id alone.
    pub id: String,
    /// The section heading, or the topic title for a topic or its summary.
    pub heading: String,
    /// The command that opens it.
    pub open: String,
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
    /// For a question or prompt: the guidance section behind it.
    pub behind: Option<Behind>,
}

/// What is needed to show one ranked document.
struct Row {
    kind: String,
    reference: String,
    score: f64,
    snippet: String,
}

impl Searcher<'_> {
    /// Builds the hit for document `id`, with a snippet of the words `fts` matches.
    pub(super) fn hit_for(
        &self,
        fts: &str,
        id: i64,
        score: f64,
    ) -> Result<Option<Hit>, SearchError> {
        Ok(self.row(fts, id, score)?.and_then(|r| self.hit(r)))
    }

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
                    behind: None,
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
                    behind: self.behind(q.topic.as_deref()),
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
                    behind: self.behind(p.topic.as_deref()),
                })
            }
        }
    }

    /// The section a question or prompt links to, as the officer would open it.
    fn behind(&self, link: Option<&str>) -> Option<Behind> {
        let link = link?;
        let (t, s) = self.g.resolve_link(link)?;
        let heading = match s {
            Some(s) if s.id != "summary" => s.heading.clone(),
            _ => t.title.clone(),
        };
        Some(Behind {
            id: link.to_string(),
            heading,
            open: format!("msht guide show {link}"),
        })
    }
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
