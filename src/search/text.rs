//! Guidance Markdown as the plain text that is indexed and shown in snippets: emphasis
//! markers, list bullets, table pipes and link targets (a URL's words are not guidance)
//! removed. The parsing is `crate::text::markdown`'s, shared with the terminal renderer.

pub use crate::text::markdown::plain;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_removed() {
        let md = "Some **bold** and `code`.\n\n- a bullet\n1. numbered\n\n| a | b |\n|---|---|\n| c | d |";
        assert_eq!(
            plain(md),
            "Some bold and code. a bullet numbered a | b c | d"
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
