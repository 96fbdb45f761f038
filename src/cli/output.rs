//! Terminal output: colour that honours `NO_COLOR`, the width to wrap to, and a small
//! Markdown renderer so guidance reads well on a 40-column phone terminal.

use std::io::{self, IsTerminal, Write};

use console::Style;

use crate::text::markdown::{self, Block};
use crate::text::visible;

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

/// Standard output, locked, after checking it is open at all. Rust quietly discards
/// writes to a closed descriptor (`msht export ID >&-`), which would report success with
/// nothing written; a closed stdout is an I/O error instead.
pub fn stdout() -> io::Result<io::StdoutLock<'static>> {
    if STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(io::Error::other(
            "standard output is closed, so nothing could be written",
        ));
    }
    Ok(io::stdout().lock())
}

static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Run first. Rust's runtime fills a closed stdin, stdout or stderr with `/dev/null`
/// (opened read-write) before `main`, so no file msht opens can take their numbers; but a
/// closed stdout then swallows the output and reports success. A stdout that is
/// `/dev/null` opened read-write is that filler (a shell's `>/dev/null` opens it
/// write-only), and is remembered as closed, so writing to it is an error.
pub fn guard_standard_streams() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let null = std::fs::metadata("/dev/null").map(|m| m.rdev()).ok();
        // SAFETY: fstat fills a zeroed struct we own; F_GETFL only reads the flags.
        let (rdev, mode, flags) = unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(libc::STDOUT_FILENO, &mut st) != 0 {
                return;
            }
            let flags = libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFL);
            (st.st_rdev, st.st_mode, flags)
        };
        let is_char = mode & libc::S_IFMT == libc::S_IFCHR;
        #[allow(clippy::unnecessary_cast)] // st_rdev is not u64 on every platform
        let rdev = rdev as u64;
        if is_char && null == Some(rdev) && flags & libc::O_ACCMODE == libc::O_RDWR {
            STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Writes lines to stdout; a closed pipe surfaces as an error main treats as success.
/// Every line passes through [`terminal_safe`].
pub fn print_lines(lines: &[String]) -> io::Result<()> {
    // One write for the whole text rather than one per line (stdout is line-buffered):
    // a guide page is a few hundred lines, and start-up is measured in milliseconds.
    let mut out = io::BufWriter::with_capacity(1 << 14, stdout()?);
    for l in lines {
        writeln!(out, "{}", terminal_safe(l))?;
    }
    out.flush()
}

/// Writes bytes (a generated script or page) to stdout as they are.
pub fn print_bytes(bytes: &[u8]) -> io::Result<()> {
    let mut out = stdout()?;
    out.write_all(bytes)?;
    out.flush()
}

/// `line` as a terminal may show it: the colour and weight codes msht itself writes are
/// kept; every other control character (from a note, a location, an imported id) is
/// shown escaped, so stored text can never clear the screen, set the title, hide text or
/// overwrite a line.
pub fn terminal_safe(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.chars().any(visible::is_hostile) {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if let Some(len) = own_style_code(rest) {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
        } else {
            out.push_str(&visible::visible(&rest[..c.len_utf8()]));
            rest = &rest[c.len_utf8()..];
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The length of an SGR sequence at the start of `s` that only sets what msht uses
/// (reset, bold, dim, normal weight, foreground colours); `None` for anything else.
fn own_style_code(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\u{1b}[")?;
    let end = body.find('m')?;
    let params = &body[..end];
    let ours = params
        .split(';')
        .all(|p| matches!(p.parse::<u8>(), Ok(0..=2 | 22 | 30..=39 | 90..=97)));
    (ours && !params.is_empty()).then_some(2 + end + 1)
}

pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> io::Result<()> {
    let mut out = stdout()?;
    // `From` keeps the kind of an underlying I/O error, so a closed pipe stays BrokenPipe.
    serde_json::to_writer_pretty(&mut out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_safe_keeps_our_colours_and_escapes_the_rest() {
        let ours = format!("{}", bold().force_styling(true).apply_to("Age"));
        assert_eq!(terminal_safe(&ours), ours);
        let evil = format!("{ours} \u{1b}[8mhidden\u{1b}]0;title\u{7}\rIntegrity: verified");
        let safe = terminal_safe(&evil);
        assert!(safe.starts_with(&ours));
        assert!(safe.contains("\\u{1b}[8m"), "{safe}");
        assert!(safe.contains("\\u{d}"), "{safe}");
        assert!(!safe[ours.len()..].contains('\u{1b}'), "{safe}");
    }

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
