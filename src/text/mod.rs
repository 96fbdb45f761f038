//! Words as search sees them. A leaf both the guidance loader (checking synonym groups)
//! and search (tokenising queries) use, so neither has to import the other; and guidance
//! Markdown as plain-text blocks ([`markdown`]), for the terminal and for the index.

pub mod markdown;
pub mod visible;

/// A "word" longer than this is cut: no guidance term is that long, and it keeps the
/// edit-distance work bounded.
pub const MAX_WORD_CHARS: usize = 64;

/// Splits text into lowercase words the way unicode61 does: letters and digits are word
/// characters, everything else (punctuation, symbols, emoji) separates words.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars()
                .take(MAX_WORD_CHARS)
                .collect::<String>()
                .to_lowercase()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_and_symbols_separate_words() {
        assert_eq!(
            words("Don't-stop: NRM/DtN!"),
            ["don", "t", "stop", "nrm", "dtn"]
        );
    }

    #[test]
    fn a_long_word_is_cut() {
        let w = words(&"a".repeat(100));
        assert_eq!(w[0].chars().count(), MAX_WORD_CHARS);
    }
}
