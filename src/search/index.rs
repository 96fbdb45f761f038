//! The FTS5 index over the guidance in use, built in memory or reused from a cache file.
//!
//! Two FTS5 tables: `docs` is what is searched and ranked (porter stemming over unicode61,
//! diacritics folded); `words` holds the same text without stemming so its `fts5vocab`
//! table lists the words as written, which is what typo correction must suggest ("bondage",
//! not the stem "bondag").
//!
//! A cache file is only an optimisation. It is keyed by the guidance content hash and a
//! schema number; anything wrong with it (missing, stale, corrupt, unreadable, unwritable
//! directory) means the index is built in memory instead, silently. It is written whole to
//! a temporary file and renamed into place, so a reader never sees half a file.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, params};

use super::SearchError;
use super::text::plain;
use crate::guidance::Guidance;

/// Bump when the tables or what goes into them change, so old cache files are rebuilt.
const SCHEMA: &str = "msht-search-1";
const CACHE_FILE: &str = "search-index.sqlite";

/// How searched text is split and stemmed; public so the stemming test stems words
/// exactly as the index does.
pub const DOCS_TOKENIZER: &str = "porter unicode61 remove_diacritics 2";

fn create_docs() -> String {
    format!(
        "CREATE VIRTUAL TABLE docs USING fts5(
            title, heading, body, kind UNINDEXED, ref UNINDEXED,
            tokenize = '{DOCS_TOKENIZER}'
        );"
    )
}

const CREATE: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE VIRTUAL TABLE words USING fts5(
    text, content = '', detail = 'none',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE words_vocab USING fts5vocab(words, 'row');
";

/// What a row of `docs` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Section,
    Question,
    Prompt,
}

impl HitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HitKind::Section => "section",
            HitKind::Question => "question",
            HitKind::Prompt => "prompt",
        }
    }

    pub fn parse(s: &str) -> Option<HitKind> {
        match s {
            "section" => Some(HitKind::Section),
            "question" => Some(HitKind::Question),
            "prompt" => Some(HitKind::Prompt),
            _ => None,
        }
    }
}

/// One searchable document before it goes into the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub title: String,
    pub heading: String,
    pub body: String,
    pub kind: HitKind,
    /// `topic#section`, a question id or a prompt id.
    pub reference: String,
}

/// Every section, checklist question and welfare prompt as a document.
pub fn documents(g: &Guidance) -> Vec<Doc> {
    let mut docs = Vec::new();
    for t in &g.topics {
        for s in &t.sections {
            docs.push(Doc {
                title: t.title.clone(),
                // The summary's heading is the topic title; indexing it twice would rank
                // every summary above the section that actually answers the question.
                heading: if s.id == "summary" {
                    String::new()
                } else {
                    s.heading.clone()
                },
                body: plain(&s.body),
                kind: HitKind::Section,
                reference: format!("{}#{}", t.id, s.id),
            });
        }
    }
    for c in &g.checklists {
        for q in &c.questions {
            let mut body = q.help.clone().unwrap_or_default();
            for ch in &q.choices {
                body.push(' ');
                body.push_str(&ch.label);
            }
            docs.push(Doc {
                title: c.title.clone(),
                heading: q.text.clone(),
                body: body.trim().to_string(),
                kind: HitKind::Question,
                reference: q.id.clone(),
            });
        }
    }
    for p in &g.prompts {
        docs.push(Doc {
            title: "Welfare prompt".into(),
            heading: p.title.clone(),
            body: p.actions.join(" "),
            kind: HitKind::Prompt,
            reference: p.id.clone(),
        });
    }
    docs
}

/// An open index, ready to query.
pub struct Index {
    pub(super) conn: Connection,
    /// Whether it was read from the cache file (for tests and the retry in `search`).
    pub from_cache: bool,
}

impl Index {
    /// Builds the index in memory from the guidance.
    pub fn build(g: &Guidance) -> Result<Index, SearchError> {
        let mut conn = Connection::open_in_memory().map_err(SearchError::index)?;
        fill(&mut conn, g).map_err(SearchError::index)?;
        Ok(Index {
            conn,
            from_cache: false,
        })
    }

    /// Reuses the cache file in `dir` if it was built from this guidance, else builds in
    /// memory and tries to leave a fresh cache file behind. Never fails because of the
    /// cache: only a failure to build at all is an error.
    pub fn open(g: &Guidance, dir: Option<&Path>) -> Result<Index, SearchError> {
        let Some(dir) = dir else {
            return Index::build(g);
        };
        let path = dir.join(CACHE_FILE);
        if let Some(conn) = open_cached(&path, &g.hash) {
            return Ok(Index {
                conn,
                from_cache: true,
            });
        }
        let index = Index::build(g)?;
        // Best effort: a read-only or full disk just means the next run builds again.
        let _ = write_cache(&index.conn, dir, &path);
        Ok(index)
    }
}

/// The platform cache directory for msht, if the platform has one.
pub fn default_cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "msht").map(|d| d.cache_dir().to_path_buf())
}

fn fill(conn: &mut Connection, g: &Guidance) -> rusqlite::Result<()> {
    conn.execute_batch(CREATE)?;
    conn.execute_batch(&create_docs())?;
    let tx = conn.transaction()?;
    {
        let mut meta = tx.prepare("INSERT INTO meta(key, value) VALUES (?1, ?2)")?;
        meta.execute(params!["schema", SCHEMA])?;
        meta.execute(params!["hash", g.hash])?;
        let mut doc = tx.prepare(
            "INSERT INTO docs(title, heading, body, kind, ref) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut words = tx.prepare("INSERT INTO words(text) VALUES (?1)")?;
        for d in documents(g) {
            doc.execute(params![
                d.title,
                d.heading,
                d.body,
                d.kind.as_str(),
                d.reference
            ])?;
            words.execute(params![format!("{} {} {}", d.title, d.heading, d.body)])?;
        }
    }
    tx.commit()?;
    // Merge the b-trees now, once, rather than on every query.
    conn.execute("INSERT INTO docs(docs) VALUES ('optimize')", [])?;
    Ok(())
}

/// Opens the cache read-only and checks it was built from this guidance by this schema.
fn open_cached(path: &Path, hash: &str) -> Option<Connection> {
    if !path.is_file() {
        return None;
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    // One read transaction for the whole search: SQLite then takes its shared lock and
    // checks for a journal once, not around every statement (dozens of system calls a
    // query, a large part of a search's start-up). The file is only ever replaced by a
    // rename, never written in place, so holding the lock blocks no one.
    conn.execute_batch("BEGIN").ok()?;
    let get = |key: &str| -> Option<String> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .ok()
    };
    if get("schema")?.as_str() != SCHEMA || get("hash")?.as_str() != hash {
        return None;
    }
    // A cheap probe that touches the FTS structures, so a truncated file is caught here
    // rather than in the middle of a search.
    conn.query_row(
        "SELECT count(*) FROM docs WHERE docs MATCH '\"a\"'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .ok()?;
    Some(conn)
}

/// Writes the in-memory index to `path` atomically: `VACUUM INTO` a temporary file in the
/// same directory, then rename over the old one.
fn write_cache(
    conn: &Connection,
    dir: &Path,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{CACHE_FILE}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let tmp_str = tmp.to_str().ok_or("cache path is not UTF-8")?;
    let written = conn.execute("VACUUM INTO ?1", [tmp_str]);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guidance() -> Guidance {
        crate::guidance::load(None).expect("bundled guidance loads")
    }

    fn count(ix: &Index) -> i64 {
        ix.conn
            .query_row("SELECT count(*) FROM docs", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn every_section_question_and_prompt_is_a_document() {
        let g = guidance();
        let docs = documents(&g);
        let sections: usize = g.topics.iter().map(|t| t.sections.len()).sum();
        let questions: usize = g.checklists.iter().map(|c| c.questions.len()).sum();
        assert_eq!(docs.len(), sections + questions + g.prompts.len());
        assert!(docs.iter().all(|d| !d.reference.is_empty()));
        let ix = Index::build(&g).unwrap();
        assert_eq!(count(&ix) as usize, docs.len());
    }

    #[test]
    fn cache_is_written_then_reused() {
        let g = guidance();
        let dir = tempfile::tempdir().unwrap();
        let first = Index::open(&g, Some(dir.path())).unwrap();
        assert!(!first.from_cache);
        assert!(dir.path().join(CACHE_FILE).is_file());
        let second = Index::open(&g, Some(dir.path())).unwrap();
        assert!(second.from_cache);
        assert_eq!(count(&first), count(&second));
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [CACHE_FILE]);
    }

    #[test]
    fn stale_cache_is_rebuilt() {
        let mut g = guidance();
        let dir = tempfile::tempdir().unwrap();
        Index::open(&g, Some(dir.path())).unwrap();
        g.hash = "something else".into();
        let ix = Index::open(&g, Some(dir.path())).unwrap();
        assert!(!ix.from_cache);
        assert!(Index::open(&g, Some(dir.path())).unwrap().from_cache);
    }

    #[test]
    fn corrupt_cache_is_rebuilt_silently() {
        let g = guidance();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CACHE_FILE);
        for junk in [&b"not a database at all"[..], b"", &[0u8; 8192][..]] {
            std::fs::write(&path, junk).unwrap();
            let ix = Index::open(&g, Some(dir.path())).unwrap();
            assert!(!ix.from_cache);
            assert!(count(&ix) > 0);
        }
        // A real cache cut in half.
        Index::open(&g, Some(dir.path())).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let ix = Index::open(&g, Some(dir.path())).unwrap();
        assert!(count(&ix) > 0);
    }

    #[test]
    fn unwritable_cache_dir_still_searches() {
        let g = guidance();
        let dir = tempfile::tempdir().unwrap();
        // A file where the directory should be: create_dir_all fails on every platform.
        let blocker = dir.path().join("blocked");
        std::fs::write(&blocker, "x").unwrap();
        let ix = Index::open(&g, Some(&blocker.join("msht"))).unwrap();
        assert!(!ix.from_cache);
        assert!(count(&ix) > 0);
    }
}
