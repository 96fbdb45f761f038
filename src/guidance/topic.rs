//! Parses a topic file: a `+++` TOML metadata block, then Markdown split into sections at
//! each `## ` heading, so search and `guide show TOPIC#SECTION` can point at a passage.

use serde::Deserialize;

use super::model::{Location, Section, SourceRef, Topic};
use super::problems::Problems;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    id: String,
    title: String,
    area: String,
    reviewed: Option<String>,
    #[serde(default)]
    sources: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    title: String,
    url: String,
}

/// Turns a heading into the id a link uses: lowercase, runs of other characters → `-`.
pub fn slug(heading: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in heading.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            out.push(c);
            dash = false;
        } else {
            dash = true;
        }
    }
    out
}

/// Splits `Heading text {#id}` into the heading and its explicit id.
fn heading_and_id(raw: &str) -> (String, String) {
    let raw = raw.trim();
    if let Some(open) = raw.rfind("{#")
        && raw.ends_with('}')
    {
        let id = raw[open + 2..raw.len() - 1].trim().to_string();
        return (raw[..open].trim().to_string(), id);
    }
    (raw.to_string(), slug(raw))
}

pub fn parse(file: &str, text: &str, problems: &mut Problems) -> Option<Topic> {
    let (meta, body_start) = front_matter(file, text, problems)?;
    let at = |line: usize| Location {
        file: file.to_string(),
        line,
    };
    let reviewed = check_meta(file, &meta, problems);
    let sections = split_sections(text, body_start, &meta.title, file);
    check_sections(file, &sections, problems);
    Some(Topic {
        id: meta.id,
        title: meta.title,
        area: meta.area,
        reviewed,
        sources: source_refs(text, meta.sources),
        sections,
        at: at(1),
    })
}

/// The sources with the line each is listed on. The metadata block comes first in the
/// file, so the n-th listing of a url is its n-th occurrence in the text.
fn source_refs(text: &str, sources: Vec<RawSource>) -> Vec<SourceRef> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    sources
        .into_iter()
        .map(|s| {
            let n = seen.entry(s.url.clone()).or_insert(0);
            let line = super::sources::line_of_nth(text, &s.url, *n, 2);
            *n += 1;
            SourceRef {
                title: s.title,
                url: s.url.trim().to_string(),
                line,
            }
        })
        .collect()
}

/// The `+++` metadata block, parsed, and the index of the first body line.
fn front_matter(file: &str, text: &str, problems: &mut Problems) -> Option<(Meta, usize)> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, l)) if l.trim() == "+++" => {}
        _ => {
            problems.add(file, 1, "a topic must start with a +++ metadata block");
            return None;
        }
    }
    let mut meta_src = String::new();
    let mut body_start = None;
    for (i, l) in lines.by_ref() {
        if l.trim() == "+++" {
            body_start = Some(i + 1);
            break;
        }
        meta_src.push_str(l);
        meta_src.push('\n');
    }
    let Some(body_start) = body_start else {
        problems.add(
            file,
            1,
            "the +++ metadata block is not closed with a second +++ line",
        );
        return None;
    };
    match toml::from_str(&meta_src) {
        Ok(m) => Some((m, body_start)),
        Err(e) => {
            // Metadata starts on line 2 of the file.
            let line = e
                .span()
                .map(|s| 1 + super::problems::line_of(&meta_src, s.start))
                .unwrap_or(1);
            problems.add(file, line, format!("metadata: {}", e.message()));
            None
        }
    }
}

/// Checks the id, title, review date and sources; returns the review date as written.
fn check_meta(file: &str, meta: &Meta, problems: &mut Problems) -> String {
    if meta.id.trim().is_empty() || meta.title.trim().is_empty() {
        problems.add(file, 2, "a topic needs a non-empty id and title");
    }
    let reviewed = meta.reviewed.clone().unwrap_or_default();
    if reviewed.trim().is_empty() {
        problems.add(
            file,
            2,
            "the topic has no review date (reviewed = \"YYYY-MM-DD\")",
        );
    } else if reviewed.parse::<jiff::civil::Date>().is_err() {
        problems.add(
            file,
            2,
            format!("review date '{reviewed}' is not a YYYY-MM-DD date"),
        );
    }
    if meta.sources.is_empty() {
        problems.add(file, 2, "the topic names no sources");
    }
    for s in &meta.sources {
        if s.title.trim().is_empty() || s.url.trim().is_empty() {
            problems.add(file, 2, "every source needs a title and a url");
        }
    }
    reviewed
}

/// Splits the body at `## ` headings; text before the first heading is the summary.
fn split_sections(text: &str, body_start: usize, title: &str, file: &str) -> Vec<Section> {
    let at = |line: usize| Location {
        file: file.to_string(),
        line,
    };
    let mut sections: Vec<Section> = Vec::new();
    let mut current = Section {
        id: "summary".into(),
        heading: title.to_string(),
        body: String::new(),
        at: at(body_start + 1),
    };
    for (i, l) in text.lines().enumerate().skip(body_start) {
        if let Some(h) = l.strip_prefix("## ") {
            sections.push(current);
            let (heading, id) = heading_and_id(h);
            current = Section {
                id,
                heading,
                body: String::new(),
                at: at(i + 1),
            };
        } else {
            current.body.push_str(l);
            current.body.push('\n');
        }
    }
    sections.push(current);
    // An empty preamble is not a section of its own.
    if sections[0].body.trim().is_empty() && sections.len() > 1 {
        sections.remove(0);
    }
    for s in &mut sections {
        s.body = s.body.trim().to_string();
    }
    sections
}

fn check_sections(file: &str, sections: &[Section], problems: &mut Problems) {
    let mut seen: Vec<&str> = Vec::new();
    for s in sections {
        if s.id.is_empty() || !super::problems::is_id(&s.id) {
            problems.add(
                file,
                s.at.line,
                format!("section id '{}' is not a valid id", s.id),
            );
        } else if seen.contains(&s.id.as_str()) {
            problems.add(file, s.at.line, format!("duplicate section id '{}'", s.id));
        }
        seen.push(&s.id);
        if s.body.is_empty() {
            problems.add(file, s.at.line, format!("section '{}' has no text", s.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++\nid = \"t\"\ntitle = \"T\"\narea = \"a\"\nreviewed = \"2026-11-30\"\nsources = [{ title = \"S\", url = \"https://x\" }]\n+++\nIntro.\n\n## Consent and the NRM\nAsk.\n\n## Kids {#children}\nRefer.\n";

    #[test]
    fn splits_sections_and_ids() {
        let mut p = Problems::default();
        let t = parse("topics/t.md", GOOD, &mut p).unwrap();
        assert!(p.is_empty(), "{p:?}");
        let ids: Vec<_> = t.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["summary", "consent-and-the-nrm", "children"]);
        assert_eq!(t.sections[2].heading, "Kids");
        assert_eq!(t.sections[1].at.line, 10);
    }

    #[test]
    fn missing_sources_and_date_are_reported() {
        let src = "+++\nid = \"t\"\ntitle = \"T\"\narea = \"a\"\n+++\n## A\nx\n";
        let mut p = Problems::default();
        parse("topics/t.md", src, &mut p);
        let text = p.to_string();
        assert!(text.contains("no review date"), "{text}");
        assert!(text.contains("no sources"), "{text}");
    }

    #[test]
    fn each_source_knows_its_line() {
        let src = "+++\nid = \"t\"\ntitle = \"T\"\narea = \"a\"\nreviewed = \"2026-12-02\"\nsources = [\n  { title = \"A\", url = \"https://www.gov.uk/a\" },\n  { title = \"B\", url = \"https://www.gov.uk/a\" },\n  { title = \"C\", url = \"https://www.gov.uk/c\" },\n]\n+++\n## A\nx\n";
        let mut p = Problems::default();
        let t = parse("topics/t.md", src, &mut p).unwrap();
        let lines: Vec<usize> = t.sources.iter().map(|s| s.line).collect();
        assert_eq!(lines, [7, 8, 9]);
    }

    #[test]
    fn slug_is_stable() {
        assert_eq!(slug("Section 45: the defence!"), "section-45-the-defence");
    }
}
