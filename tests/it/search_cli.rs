//! `msht search` through the real binary: the `--json` contract, what a person reads,
//! exit codes, hostile queries, and the index cache (stale, corrupt, unwritable).

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// The binary with the built-in guidance, no colour, and a private cache directory so
/// tests never touch the user's cache (or each other's).
fn msht(cache: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("msht"));
    c.env_remove("MSHT_GUIDANCE")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env("MSHT_CACHE_DIR", cache);
    c
}

fn json(cache: &Path, args: &[&str]) -> Vec<Value> {
    let out = msht(cache)
        .arg("search")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().clone()
}

/// Text that would mean an SQL or FTS5 error (or a panic) leaked to the user. Matched
/// case-sensitively: guidance text may well say "matches".
const SQL_WORDS: &[&str] = &[
    "SQL",
    "sqlite",
    "SQLite",
    "fts5",
    "FTS5",
    "syntax error",
    "no such column",
    "unterminated",
    "malformed",
    "MATCH",
    "panicked",
    "internal error",
];

fn assert_no_sql(text: &str, what: &str) {
    for w in SQL_WORDS {
        assert!(!text.contains(w), "{what}: output mentions {w:?}:\n{text}");
    }
}

#[test]
fn json_has_the_spec_fields_best_first() {
    let dir = tempfile::tempdir().unwrap();
    let hits = json(dir.path(), &["debt", "bondage"]);
    assert!(!hits.is_empty() && hits.len() <= 5);
    let mut last = f64::INFINITY;
    for h in &hits {
        for field in ["topic", "title", "section", "snippet", "score"] {
            assert!(h.get(field).is_some(), "missing {field}: {h}");
        }
        assert!(h["title"].is_string() && h["snippet"].is_string());
        let score = h["score"].as_f64().unwrap();
        assert!(score <= last, "not best first: {hits:?}");
        last = score;
        assert!(matches!(
            h["kind"].as_str(),
            Some("section" | "question" | "prompt")
        ));
        assert!(h["open"].is_string() || h["open"].is_null());
    }
    let first = &hits[0];
    assert_eq!(first["kind"], "section");
    assert_eq!(first["topic"], "indicators");
    assert_eq!(first["section"], "money");
    assert_eq!(first["open"], "msht guide show indicators#money");
    // Plain markers in JSON, never terminal codes or our internal markers.
    let snippet = first["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("[debt bondage]") || snippet.contains("[debt]"),
        "{snippet}"
    );
    assert!(!snippet.contains('\u{1b}') && !snippet.contains('\u{1}'));
}

#[test]
fn json_questions_and_prompts_say_how_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let hits = json(dir.path(), &["--limit", "20", "passport"]);
    let q = hits
        .iter()
        .find(|h| h["kind"] == "question")
        .expect("a checklist question mentions passports");
    let checklist = q["checklist"].as_str().unwrap();
    assert_eq!(q["open"], format!("msht checklist show {checklist}"));
    let hits = json(dir.path(), &["--limit", "20", "ambulance"]);
    let p = hits
        .iter()
        .find(|h| h["kind"] == "prompt")
        .expect("a welfare prompt mentions an ambulance");
    assert!(p["open"].as_str().unwrap().starts_with("msht guide show "));
}

#[test]
fn every_hit_prints_a_command_that_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    for hit in json(dir.path(), &["--limit", "20", "child"]) {
        let Some(open) = hit["open"].as_str() else {
            continue;
        };
        let args: Vec<&str> = open.split(' ').collect();
        assert_eq!(args[0], "msht");
        msht(dir.path()).args(&args[1..]).assert().success();
    }
}

#[test]
fn text_output_shows_passage_and_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = msht(dir.path())
        .args(["search", "debt", "bondage"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("1. Money and debt"), "{text}");
    assert!(text.contains("msht guide show indicators#money"), "{text}");
    assert!(
        text.contains("[debt bondage]") || text.contains("[debt]"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "NO_COLOR is honoured");
}

#[test]
fn narrow_screen_is_not_overrun() {
    let dir = tempfile::tempdir().unwrap();
    let out = msht(dir.path())
        .env("COLUMNS", "40")
        .args(["search", "--limit", "10", "child", "consent"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for l in text.lines() {
        assert!(console::measure_text_width(l) <= 40, "{l:?}");
    }
}

#[test]
fn limit_is_respected_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(json(dir.path(), &["--limit", "1", "nrm"]).len(), 1);
    assert!(json(dir.path(), &["--limit", "12", "nrm"]).len() > 5);
    for bad in ["0", "-1", "many", "1000"] {
        let out = msht(dir.path())
            .args(["search", "--limit", bad, "nrm"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(64), "--limit {bad}");
    }
}

#[test]
fn empty_query_is_a_usage_error_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["search"][..], &["search", ""], &["search", "   "]] {
        let out = msht(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("msht search"), "says what to do: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn no_results_is_exit_0_with_a_helpful_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let out = msht(dir.path())
        .args(["search", "xylophone"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("msht guide list"), "{text}");
    assert!(text.contains("xylophone"), "{text}");
    assert_eq!(json(dir.path(), &["xylophone"]).len(), 0);
}

#[test]
fn notes_go_to_stderr_with_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = msht(dir.path())
        .args(["search", "--json", "cuckooign"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.is_array());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("Showing results for"), "{err}");
    assert!(err.contains("cuckooing"), "{err}");
}

#[test]
fn typo_and_partial_are_said_in_text() {
    let dir = tempfile::tempdir().unwrap();
    let out = msht(dir.path())
        .args(["search", "debt", "bondige"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Showing results for “debt bondage”"),
        "{text}"
    );
    let out = msht(dir.path())
        .args(["search", "stro", "cuckooing"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("best partial matches"), "{text}");
}

#[test]
fn hostile_queries_never_show_sql_errors() {
    let dir = tempfile::tempdir().unwrap();
    let long = "slavery ".repeat(1300); // > 10,000 characters
    let word = "a".repeat(10_000);
    let hostile: Vec<&str> = vec![
        "\"",
        "\"\"",
        "bad\"query",
        "\"unbalanced phrase",
        ":",
        "title:nrm",
        "heading:x body:y",
        "{title heading}: nrm",
        "AND",
        "OR",
        "NOT",
        "nrm AND",
        "OR nrm",
        "NOT nrm",
        "nrm NOT child",
        "NEAR(",
        "NEAR(nrm child, 2)",
        "nrm NEAR child",
        "*",
        "**",
        "nrm*",
        "*nrm",
        "^nrm",
        "nrm^",
        "(nrm",
        "nrm)",
        "()",
        "+nrm",
        "nrm + child",
        "🙂",
        "🙂 nrm 🚓",
        "child🙂consent",
        "'; DROP TABLE docs; --",
        "\\",
        "%",
        "_",
        "rowid",
        "docs",
        "rank:1",
        "ｎｒｍ",
        "naïve café",
        &long,
        &word,
    ];
    for q in hostile {
        let out = msht(dir.path()).args(["search", q]).output().unwrap();
        let code = out.status.code();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let label: String = q.chars().take(30).collect();
        assert!(
            code == Some(0) || code == Some(64),
            "{label}: exit {code:?}\n{stderr}"
        );
        assert_no_sql(&stdout, &label);
        assert_no_sql(&stderr, &label);
        if code == Some(64) {
            assert_eq!(stderr.trim().lines().count(), 1, "{label}: {stderr}");
        }
    }
}

#[test]
fn long_query_says_words_were_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let long = "slavery ".repeat(1300);
    let out = msht(dir.path()).args(["search", &long]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Only the first"), "{text}");
}

#[test]
fn cache_is_reused_and_rebuilt_when_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let first = json(dir.path(), &["debt", "bondage"]);
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files.len(),
        1,
        "one cache file, no temporary left: {files:?}"
    );
    assert_eq!(json(dir.path(), &["debt", "bondage"]), first);
    // Corrupt it: the next search is the same, silently, and repairs the file.
    std::fs::write(&files[0], b"garbage, not SQLite").unwrap();
    let out = msht(dir.path())
        .args(["search", "--json", "debt", "bondage"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again: Vec<Value> = serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(again, first);
    assert!(
        std::fs::read(&files[0])
            .unwrap()
            .starts_with(b"SQLite format 3")
    );
}

#[test]
fn stale_cache_follows_the_guidance_in_use() {
    // A copy of the guidance with one extra sentence: the cache built from the
    // built-in guidance must not answer for it.
    let cache = tempfile::tempdir().unwrap();
    let g = tempfile::tempdir().unwrap();
    copy_dir(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("guidance")
            .as_path(),
        g.path(),
    );
    assert!(json(cache.path(), &["zanzibarian"]).is_empty());
    let topic = g.path().join("topics/indicators.md");
    let mut text = std::fs::read_to_string(&topic).unwrap();
    text.push_str("\nA zanzibarian test sentence.\n");
    std::fs::write(&topic, text).unwrap();
    let out = msht(cache.path())
        .arg("--guidance")
        .arg(g.path())
        .args(["search", "--json", "zanzibarian"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let hits: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits[0]["topic"], "indicators");
    // And back: the built-in guidance again does not have it.
    assert!(json(cache.path(), &["zanzibarian"]).is_empty());
}

#[test]
fn unwritable_cache_dir_does_not_fail_the_search() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let out = msht(&blocker.join("cache"))
        .args(["search", "debt", "bondage"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
    // The cache can also be turned off.
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("msht"));
    c.env("NO_COLOR", "1")
        .env("MSHT_CACHE_DIR", "")
        .args(["search", "nrm"])
        .assert()
        .success();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn colour_highlights_fit_a_narrow_screen() {
    let dir = tempfile::tempdir().unwrap();
    let out = msht(dir.path())
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .env("COLUMNS", "40")
        .args(["search", "--limit", "10", "debt", "bondage"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains('\u{1b}'), "highlighted on a colour terminal");
    assert!(
        !text.contains("[debt"),
        "no plain markers when colour is on"
    );
    for l in text.lines() {
        assert!(console::measure_text_width(l) <= 40, "{l:?}");
    }
}

#[test]
fn filling_with_partial_matches_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = msht(dir.path())
        .args(["search", "salvation", "army", "number"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let said = "all of the words; the rest are the best partial matches.";
    assert_eq!(text.matches(said).count(), 1, "{text}");
    assert!(text.starts_with("Only "), "the note comes first:\n{text}");
    assert!(text.contains("\n5. "), "filled to the limit:\n{text}");
}

#[test]
fn a_question_hit_shows_the_guidance_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let hits = json(dir.path(), &["--limit", "20", "passport"]);
    let q = hits
        .iter()
        .find(|h| h["kind"] == "question" && !h["guidance"].is_null())
        .expect("a checklist question about passports links to guidance");
    let g = &q["guidance"];
    let id = g["id"].as_str().unwrap();
    assert_eq!(g["open"], format!("msht guide show {id}"));
    assert!(!g["heading"].as_str().unwrap().is_empty());
    // Sections have no guidance behind them: they are the guidance.
    assert!(
        hits.iter()
            .filter(|h| h["kind"] == "section")
            .all(|h| h["guidance"].is_null())
    );

    let out = msht(dir.path())
        .args(["search", "--limit", "20", "passport"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // Compared with the wrapping undone: a long heading wraps at 80 columns.
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = format!(
        "Guidance: {} · msht guide show {id}",
        g["heading"].as_str().unwrap()
    );
    assert!(flat(&text).contains(&flat(&line)), "{line}\n{text}");
}

#[test]
fn contractions_are_not_reported_as_missing_words() {
    let dir = tempfile::tempdir().unwrap();
    let out = msht(dir.path())
        .args(["search", "what do I do if they don't consent"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("never mentions"), "{text}");
    assert!(text.starts_with("1. "), "{text}");
}
