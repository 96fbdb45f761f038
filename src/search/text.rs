//! Guidance Markdown as the plain text that is indexed and shown in snippets.
//!
//! The tokenizer already ignores punctuation, so this only removes what would otherwise
//! show up in a snippet as noise or be searchable by accident: emphasis markers, list
//! bullets, table pipes and link targets (a URL's words are not guidance).

/// Flattens a Markdown body into one line of plain text.
pub fn plain(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    for line in md.lines() {
        let mut t = line.trim();
        if t.is_empty() {
            continue;
        }
        t = t.trim_start_matches('#').trim_start();
        for bullet in ["- ", "* ", "+ ", "> "] {
            if let Some(rest) = t.strip_prefix(bullet) {
                t = rest;
            }
        }
        let line = strip_links(t)
            .replace("**", "")
            .replace("__", "")
            .replace('`', "")
            .replace('|', " ");
        let line = line.trim();
        if line
            .chars()
            .all(|c| c == '-' || c == ':' || c.is_whitespace())
        {
            // A table's separator row.
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// `[text](url)` → `text`. Anything that is not a complete link is left alone.
fn strip_links(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find("](") else { break };
        let Some(end) = after[close + 2..].find(')') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&after[..close]);
        rest = &after[close + 2 + end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_removed() {
        let md =
            "Some **bold** and `code`.\n\n- a bullet\n1. numbered\n| a | b |\n|---|---|\n| c | d |";
        assert_eq!(
            plain(md),
            "Some bold and code. a bullet 1. numbered a   b c   d"
        );
    }

    #[test]
    fn links_keep_their_text() {
        assert_eq!(
            plain("See [the NRM form](https://www.gov.uk/x) now. [not a link"),
            "See the NRM form now. [not a link"
        );
    }
}
