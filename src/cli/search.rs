//! `msht search WORDS... [--limit N] [--json]`: ranked keyword search over the guidance.
//!
//! Each hit says what it is (a guidance section, a checklist question, a welfare prompt)
//! and prints the exact command that opens it. What the search did to the query (a typo
//! corrected, a word left out, a fallback to partial matches) is said in one line before
//! the hits, or on stderr with `--json` so the JSON stays a plain array.

use serde::Serialize;

use super::Ctx;
use super::output::{self, bold, dim};
use crate::error::Result;
use crate::search::{self, Hit, HitKind, Outcome};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Passages with every word come first; if fewer than the limit have them all, the best \
partial matches follow, the rarest words counting most. \"quoted words\" must be side by \
side; a trailing * matches any ending. Ask as you would say it (what do I do if they \
don't consent); everyday words (kid, gaffer, weed farm) and abbreviations (NRM, DtN, \
s45, ICTG…) find the guidance's own words; misspellings are corrected, real words never. \
Each result ends with the command that opens it; a checklist question also names the \
guidance behind it.

Examples:
  msht search debt bondage
  msht search \"duty to notify\"
  msht search how long is the recovery period
  msht search s45 --limit 3

The index is cached in the platform cache directory (MSHT_CACHE_DIR overrides it; an \
empty value turns the cache off).")]
pub struct Args {
    /// Words to search for: "quoted phrase", prefix*
    #[arg(value_name = "WORDS")]
    pub words: Vec<String>,
    /// How many results to show
    #[arg(long, short = 'n', default_value_t = 5, value_name = "N")]
    pub limit: usize,
}

/// A hit as `--json` prints it. `topic`, `title`, `section`, `snippet` and `score` are the
/// stable fields of SPEC §2; the rest say what the hit is and how to open it.
#[derive(Serialize)]
struct HitJson<'a> {
    kind: &'a str,
    topic: Option<&'a str>,
    title: &'a str,
    section: Option<&'a str>,
    heading: Option<&'a str>,
    id: &'a str,
    checklist: Option<&'a str>,
    snippet: String,
    score: f64,
    open: Option<&'a str>,
    /// For a checklist question or welfare prompt: the guidance section behind it.
    guidance: Option<BehindJson<'a>>,
}

#[derive(Serialize)]
struct BehindJson<'a> {
    id: &'a str,
    heading: &'a str,
    open: &'a str,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    let input = args.words.join(" ");
    // Check the query before loading anything, so a usage error is instant.
    if input.trim().is_empty() {
        return Err(search::SearchError::EmptyQuery.into());
    }
    let g = ctx.guidance()?;
    let cache = cache_dir();
    let outcome = search::search(&g, &input, args.limit, cache.as_deref())?;
    let notes = notes(&outcome);
    if ctx.json {
        for n in &notes {
            eprintln!("msht: {n}");
        }
        let hits: Vec<HitJson> = outcome.hits.iter().map(to_json).collect();
        return Ok(output::print_json(&hits)?);
    }
    let w = output::width();
    let mut lines = Vec::new();
    for n in &notes {
        lines.extend(
            output::wrap(n, w)
                .into_iter()
                .map(|l| dim().apply_to(l).to_string()),
        );
    }
    if !notes.is_empty() && !outcome.hits.is_empty() {
        lines.push(String::new());
    }
    for (i, h) in outcome.hits.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        lines.extend(render(i + 1, h, w));
    }
    Ok(output::print_lines(&lines)?)
}

/// Where the index cache lives: `MSHT_CACHE_DIR` if set (empty turns the cache off), else
/// the platform cache directory. Tests and locked-down machines use the variable.
fn cache_dir() -> Option<std::path::PathBuf> {
    match std::env::var_os("MSHT_CACHE_DIR") {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(v.into()),
        None => search::default_cache_dir(),
    }
}

/// The sentences that explain what was searched, in the order they happened.
fn notes(o: &Outcome) -> Vec<String> {
    let mut notes = Vec::new();
    if o.truncated {
        notes.push(format!(
            "Only the first {} words were searched.",
            search::query::MAX_UNITS
        ));
    }
    if !o.corrections.is_empty() {
        let typed: Vec<&str> = o.corrections.iter().map(|(t, _)| t.as_str()).collect();
        notes.push(format!(
            "Showing results for {} (nothing matched {}).",
            quote(&o.searched.join(" ")),
            list(&typed)
        ));
    }
    let missing: Vec<&str> = o.missing.iter().map(String::as_str).collect();
    if o.hits.is_empty() {
        let start = if missing.is_empty() {
            "Nothing in the guidance matches that.".to_string()
        } else {
            format!("The guidance never mentions {}.", list(&missing))
        };
        notes.push(format!(
            "{start} Try fewer or other words, or browse the topics with: msht guide list"
        ));
        return notes;
    }
    if !missing.is_empty() {
        notes.push(format!(
            "The guidance never mentions {}, so it was left out.",
            list(&missing)
        ));
    }
    if o.partial {
        notes
            .push("No passage has all of the words; showing the best partial matches.".to_string());
    } else if o.hits.len() > o.complete {
        let n = o.complete;
        let has = if n == 1 {
            "passage has"
        } else {
            "passages have"
        };
        notes.push(format!(
            "Only {n} {has} all of the words; the rest are the best partial matches."
        ));
    }
    notes
}

/// “a”, “b” and “c”.
fn list(items: &[&str]) -> String {
    let q: Vec<String> = items.iter().map(|s| quote(s)).collect();
    match q.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Curly quotes around what the officer typed, unless it is already a quoted phrase.
fn quote(s: &str) -> String {
    if s.starts_with('"') {
        s.to_string()
    } else {
        format!("\u{201c}{s}\u{201d}")
    }
}

fn to_json(h: &Hit) -> HitJson<'_> {
    HitJson {
        kind: h.kind.as_str(),
        topic: h.topic.as_deref(),
        title: &h.title,
        section: h.section.as_deref(),
        heading: h.heading.as_deref(),
        id: &h.id,
        checklist: h.checklist.as_deref(),
        snippet: h.snippet.marked("[", "]"),
        // Three decimals: enough to order by, without float noise in a stable interface.
        score: (h.score * 1000.0).round() / 1000.0,
        open: h.open.as_deref(),
        guidance: h.behind.as_ref().map(|b| BehindJson {
            id: &b.id,
            heading: &b.heading,
            open: &b.open,
        }),
    }
}

/// One hit: what it is, its snippet with the words highlighted, and how to open it.
fn render(n: usize, h: &Hit, w: usize) -> Vec<String> {
    let label = match h.kind {
        HitKind::Section => match &h.heading {
            Some(head) => format!("{head} · {}", h.title),
            None => h.title.clone(),
        },
        HitKind::Question => format!("Checklist question: {}", h.title),
        HitKind::Prompt => format!("Welfare prompt: {}", h.title),
    };
    let first = format!("{n}. ");
    let indent = " ".repeat(first.len());
    let mut lines: Vec<String> = output::wrap_indent(&label, w, &first, &indent)
        .into_iter()
        .map(|l| bold().apply_to(l).to_string())
        .collect();
    let snippet = h.snippet.plain();
    if !snippet.trim().is_empty() {
        lines.extend(highlight_wrapped(h, w, &indent));
    }
    let mut open = vec![match &h.open {
        Some(cmd) => cmd.clone(),
        None => "(no guidance topic is linked)".to_string(),
    }];
    // A question's own command opens the checklist; the passage that explains it is
    // one more command away, so give it too.
    if let (HitKind::Question, Some(b)) = (h.kind, &h.behind) {
        open.push(format!("Guidance: {} · {}", b.heading, b.open));
    }
    for line in open {
        lines.extend(
            output::wrap_indent(&line, w, &indent, &indent)
                .into_iter()
                .map(|l| dim().apply_to(l).to_string()),
        );
    }
    lines
}

/// Marks the matched words of the snippet (bold and coloured on a terminal, `[word]`
/// otherwise) and wraps it, measuring what is shown: markers count, ANSI codes do not.
fn highlight_wrapped(h: &Hit, w: usize, indent: &str) -> Vec<String> {
    let colour = console::colors_enabled();
    let style = console::Style::new().bold().yellow();
    // Characters flagged as matched, split into words at whitespace.
    let mut words: Vec<Vec<(char, bool)>> = vec![Vec::new()];
    for (text, hit) in &h.snippet.parts {
        for c in text.chars() {
            if c.is_whitespace() {
                if words.last().is_some_and(|w| !w.is_empty()) {
                    words.push(Vec::new());
                }
            } else if let Some(last) = words.last_mut() {
                last.push((c, *hit));
            }
        }
    }
    let shown: Vec<String> = words
        .iter()
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut shown = String::new();
            let mut run = String::new();
            let mut in_hit = false;
            for &(c, hit) in word {
                if hit != in_hit {
                    emit(&mut shown, &run, in_hit, colour, &style);
                    run.clear();
                    in_hit = hit;
                }
                run.push(c);
            }
            emit(&mut shown, &run, in_hit, colour, &style);
            shown
        })
        .collect();
    // textwrap measures width without the ANSI codes, so a highlight never overruns.
    output::wrap_indent(&shown.join(" "), w, indent, indent)
}

fn emit(out: &mut String, run: &str, hit: bool, colour: bool, style: &console::Style) {
    if run.is_empty() {
        return;
    }
    match (hit, colour) {
        (false, _) => out.push_str(run),
        (true, true) => out.push_str(&style.apply_to(run).to_string()),
        (true, false) => {
            out.push('[');
            out.push_str(run);
            out.push(']');
        }
    }
}
