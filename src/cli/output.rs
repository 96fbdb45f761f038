//! Terminal output: colour that honours `NO_COLOR`, the width to wrap to, and a small
//! Markdown renderer so guidance reads well on a 40-column phone terminal.

use std::io::{self, IsTerminal, Write};

use console::Style;

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

/// Removes inline Markdown markers a terminal cannot show.
fn plain_inline(s: &str) -> String {
    s.replace("**", "").replace('`', "")
}

/// A paragraph or list item being gathered from several source lines.
#[derive(Default)]
struct Block {
    text: String,
    /// For a list item: the first-line prefix (indent and marker).
    marker: Option<String>,
}

impl Block {
    fn flush(&mut self, width: usize, out: &mut Vec<String>) {
        if self.text.is_empty() {
            return;
        }
        let text = plain_inline(&self.text);
        match self.marker.take() {
            Some(first) => {
                let rest = " ".repeat(first.chars().count());
                out.extend(wrap_indent(&text, width, &first, &rest));
            }
            None => out.extend(wrap(&text, width)),
        }
        self.text.clear();
    }

    fn push(&mut self, line: &str) {
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(line);
    }
}

/// Renders the Markdown used in guidance topics as wrapped lines for a terminal.
/// A list item may run over several source lines; they are joined before wrapping.
pub fn render_markdown(md: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut block = Block::default();
    for line in md.lines() {
        let t = line.trim_end();
        let trimmed = t.trim_start();
        let indent = t.len() - trimmed.len();
        if trimmed.is_empty() {
            block.flush(width, &mut out);
            if out.last().is_some_and(|l: &String| !l.is_empty()) {
                out.push(String::new());
            }
        } else if let Some(h) = trimmed
            .strip_prefix("### ")
            .or_else(|| trimmed.strip_prefix("#### "))
        {
            block.flush(width, &mut out);
            for l in wrap(&plain_inline(h), width) {
                out.push(bold().apply_to(l).to_string());
            }
        } else if let Some((marker, item)) = list_item(trimmed) {
            block.flush(width, &mut out);
            block.marker = Some(format!("{}{marker} ", " ".repeat(indent.min(8))));
            block.push(item);
        } else if trimmed.starts_with('|') {
            block.flush(width, &mut out);
            out.extend(wrap(&plain_inline(trimmed), width));
        } else {
            block.push(trimmed);
        }
    }
    block.flush(width, &mut out);
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

fn list_item(line: &str) -> Option<(String, &str)> {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some(("•".into(), rest));
    }
    let digits: String = line.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty()
        && let Some(rest) = line[digits.len()..].strip_prefix(". ")
    {
        return Some((format!("{digits}."), rest));
    }
    None
}

/// Writes lines to stdout; a closed pipe surfaces as an error main treats as success.
pub fn print_lines(lines: &[String]) -> io::Result<()> {
    let mut out = io::stdout().lock();
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
