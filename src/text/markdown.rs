//! Guidance Markdown as a list of plain-text blocks (headings, paragraphs, list items,
//! table rows), parsed by `pulldown-cmark` so every CommonMark form is handled: single
//! `*`/`_` emphasis, nested lists, links (their text kept, their target dropped), code.
//! The terminal renderer wraps and styles these blocks; search indexes their text.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// One block of text, with inline markup removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    /// A list item: its nesting depth (0 for a top-level list), its marker (`•` or `3.`)
    /// and its text.
    Item {
        depth: usize,
        marker: String,
        text: String,
    },
    /// A table row, its cells joined.
    Row(String),
}

impl Block {
    pub fn text(&self) -> &str {
        match self {
            Block::Heading(t) | Block::Paragraph(t) | Block::Row(t) => t,
            Block::Item { text, .. } => text,
        }
    }
}

/// Parses `md` into blocks in document order.
pub fn blocks(md: &str) -> Vec<Block> {
    let mut b = Builder::default();
    for event in Parser::new_ext(md, Options::ENABLE_TABLES) {
        b.event(event);
    }
    b.flush();
    b.out
}

/// Flattens `md` into one line of plain text (for indexing and snippets).
pub fn plain(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    for b in blocks(md) {
        let t = b.text().trim();
        if t.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(t);
    }
    out
}

#[derive(Default)]
struct Builder {
    out: Vec<Block>,
    text: String,
    /// Each open list: the next number for an ordered list, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// The open item's marker and depth, until its text is flushed.
    item: Option<(usize, String)>,
    in_heading: bool,
    in_row: bool,
}

impl Builder {
    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                self.text.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => self.text.push(' '),
            Event::Html(t) | Event::InlineHtml(t) => self.text.push_str(&t),
            Event::FootnoteReference(_) | Event::TaskListMarker(_) | Event::Rule => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Heading { .. } => {
                self.flush();
                self.in_heading = true;
            }
            Tag::List(first) => {
                self.flush();
                self.lists.push(first);
            }
            Tag::Item => {
                self.flush();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}.");
                        *n += 1;
                        m
                    }
                    _ => "•".to_string(),
                };
                self.item = Some((depth, marker));
            }
            Tag::TableRow | Tag::TableHead => {
                self.flush();
                self.in_row = true;
            }
            Tag::TableCell if !self.text.is_empty() => self.text.push_str(" | "),
            Tag::Paragraph | Tag::BlockQuote(_) | Tag::CodeBlock(_) => self.flush(),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_)
            | TagEnd::Paragraph
            | TagEnd::Item
            | TagEnd::TableRow
            | TagEnd::TableHead
            | TagEnd::CodeBlock => self.flush(),
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
            }
            _ => {}
        }
    }

    /// Ends the block being gathered, if it has any text.
    fn flush(&mut self) {
        let text = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        self.text.clear();
        if text.is_empty() {
            return;
        }
        let block = if self.in_heading {
            Block::Heading(text)
        } else if self.in_row {
            Block::Row(text)
        } else if let Some((depth, marker)) = self.item.take() {
            Block::Item {
                depth,
                marker,
                text,
            }
        } else {
            Block::Paragraph(text)
        };
        self.in_heading = false;
        self.in_row = false;
        self.out.push(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emphasis_of_every_kind_and_code_are_plain() {
        let b = blocks("Call *now*, _not_ **later**, __ever__: `999`.");
        assert_eq!(
            b,
            [Block::Paragraph("Call now, not later, ever: 999.".into())]
        );
    }

    #[test]
    fn links_keep_their_text_even_when_nested() {
        let b = blocks("See [the **NRM** guide](https://www.gov.uk/x) today.");
        assert_eq!(b, [Block::Paragraph("See the NRM guide today.".into())]);
    }

    #[test]
    fn lists_nest_and_number_and_join_their_lines() {
        let md = "1. First step\n   runs on.\n2. Second\n   - inner point\n";
        let b = blocks(md);
        assert_eq!(
            b,
            [
                Block::Item {
                    depth: 0,
                    marker: "1.".into(),
                    text: "First step runs on.".into()
                },
                Block::Item {
                    depth: 0,
                    marker: "2.".into(),
                    text: "Second".into()
                },
                Block::Item {
                    depth: 1,
                    marker: "•".into(),
                    text: "inner point".into()
                },
            ]
        );
    }

    #[test]
    fn headings_and_tables_are_blocks() {
        let b = blocks("### When\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert_eq!(
            b,
            [
                Block::Heading("When".into()),
                Block::Row("a | b".into()),
                Block::Row("1 | 2".into()),
            ]
        );
    }

    #[test]
    fn plain_is_one_line_without_markup() {
        assert_eq!(plain("## Title\n\n- **one**\n- two\n"), "Title one two");
    }
}
