//! Terminal output: colour that honours `NO_COLOR`, the width to wrap to, and a small
//! Markdown renderer so guidance reads well on a 40-column phone terminal.

use std::io::{self, IsTerminal, Write};

use console::Style;

use crate::text::markdown::{self, Block};

/// Turns colour off when `NO_COLOR` is set (any non-empty value), as no-color.org asks.
pub fn init_colour() {
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        console::set_colors_enabled(false);
        console::set_colors_enabled_stderr(false);
    }
}

/// The width to wrap stdout text to: the terminal's, else `COLUMNS`, else 80. Never below 20.
pub fn width() -> usize {
    let from_term = io::stdout()
        .is_terminal()
        .then(|| {
            console::Term::stdout()
                .size_checked()
                .map(|(_, w)| w as usize)
        })
        .flatten();
    let w = from_term
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(80);
    w.clamp(20, 100)
}

/// The width for prompts drawn on stderr.
pub fn err_width() -> usize {
    console::Term::stderr()
        .size_checked()
        .map(|(_, w)| w as usize)
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(80)
        .clamp(20, 100)
}

pub fn bold() -> Style {
    Style::new().bold()
}

pub fn dim() -> Style {
    Style::new().dim()
}

pub fn heading() -> Style {
    Style::new().bold().cyan()
}

pub fn urgent() -> Style {
    Style::new().bold().red()
}

/// Wraps `text` to `width`, never cutting a word unless it is longer than a line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    wrap_indent(text, width, "", "")
}

pub fn wrap_indent(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let opts = textwrap::Options::new(width.max(10))
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(true)
        // Never split at a hyphen: ids and commands (`child-safeguarding#first-steps`)
        // must stay copyable.
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::wrap(text, opts)
        .into_iter()
        .map(|c| c.into_owned())
        .collect()
}

/// Renders the Markdown used in guidance topics as wrapped lines for a terminal: headings
/// in bold, list items with a hanging indent by depth, a blank line between paragraphs.
pub fn render_markdown(md: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut last_was_item = false;
    for block in markdown::blocks(md) {
        let is_item = matches!(block, Block::Item { .. });
        // Items of one list sit together; anything else is set apart by a blank line.
        let same_list = is_item && last_was_item;
        if !out.is_empty() && !same_list {
            out.push(String::new());
        }
        last_was_item = is_item;
        match block {
            Block::Heading(h) => out.extend(
                wrap(&h, width)
                    .into_iter()
                    .map(|l| bold().apply_to(l).to_string()),
            ),
            Block::Paragraph(t) | Block::Row(t) => out.extend(wrap(&t, width)),
            Block::Item {
                depth,
                marker,
                text,
            } => {
                let first = format!("{}{marker} ", "  ".repeat(depth.min(4)));
                let rest = " ".repeat(first.chars().count());
                out.extend(wrap_indent(&text, width, &first, &rest));
            }
        }
    }
    out
}

/// Writes lines to stdout; a closed pipe surfaces as an error main treats as success.
pub fn print_lines(lines: &[String]) -> io::Result<()> {
    // One write for the whole text rather than one per line (stdout is line-buffered):
    // a guide page is a few hundred lines, and start-up is measured in milliseconds.
    let mut out = io::BufWriter::with_capacity(1 << 14, io::stdout().lock());
    for l in lines {
        writeln!(out, "{l}")?;
    }
    out.flush()
}

/// Writes bytes (a generated script or page) to stdout as they are.
pub fn print_bytes(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> io::Result<()> {
    let mut out = io::stdout().lock();
    // `From` keeps the kind of an underlying I/O error, so a closed pipe stays BrokenPipe.
    serde_json::to_writer_pretty(&mut out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_lines_fit_40_columns() {
        let md = "A long paragraph that must be wrapped because it is much wider than forty columns.\n\n- a bullet point that is also long enough to need a second line here\n1. numbered item with **bold** text in it that wraps too\n";
        for l in render_markdown(md, 40) {
            assert!(console::measure_text_width(&l) <= 40, "{l:?}");
        }
    }

    #[test]
    fn a_list_item_over_two_source_lines_stays_one_item() {
        let lines = render_markdown(
            "- first part of the item\n  and its continuation\n- next",
            80,
        );
        assert_eq!(
            lines,
            ["• first part of the item and its continuation", "• next"]
        );
    }

    #[test]
    fn bullets_get_hanging_indent() {
        let lines = render_markdown("- one two three four five six seven eight nine ten", 20);
        assert!(lines[0].starts_with("• "));
        assert!(lines[1].starts_with("  "));
    }
}
