//! Hostile text made harmless. Officers, locations, notes, reasons, answers and ids from
//! other devices are stored exactly as typed, but a terminal or a Markdown viewer must
//! never act on them: an ESC can clear the screen, an OSC can set the title or a link, a
//! CR can overwrite a line ("Integrity: verified"), a bidi override can reverse text.
//! Every such character is shown as a visible escape instead, such as `\u{1b}`.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or a document raw. Line feeds and tabs are
/// layout, not control, and are kept.
pub fn is_hostile(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{200E}' | '\u{200F}' | '\u{061C}'      // direction marks
            | '\u{202A}'..='\u{202E}'                 // embeddings and overrides
            | '\u{2066}'..='\u{2069}'                 // isolates
            | '\u{2028}' | '\u{2029}'                 // line/paragraph separators
            | '\u{FEFF}')
}

/// `s` with every hostile character replaced by a visible escape.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hostile(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A CSV cell a spreadsheet will not run as a formula (the OWASP rule): a cell starting
/// with `=`, `+`, `-`, `@`, a tab or a CR gets a leading `'`. Hostile characters are
/// escaped as everywhere else.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let starts_formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    match (starts_formula, visible(s)) {
        (false, v) => v,
        (true, v) => Cow::Owned(format!("'{v}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_escaped_and_layout_is_kept() {
        let evil = "PC\u{1b}[2J 1\u{1b}]0;pwned\u{7}\r\u{8}\u{0}\u{9b}x\u{202e}cba\nline2\tcol";
        let v = visible(evil);
        assert!(!v.chars().any(is_hostile), "{v}");
        assert_eq!(
            v,
            "PC\\u{1b}[2J 1\\u{1b}]0;pwned\\u{7}\\u{d}\\u{8}\\u{0}\\u{9b}x\\u{202e}cba\nline2\tcol"
        );
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        assert!(matches!(visible("Café, Ünïcode – fine"), Cow::Borrowed(_)));
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for f in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(f).starts_with('\''), "{f}");
        }
        assert_eq!(csv_cell("2026-12-02"), "2026-12-02");
        assert_eq!(csv_cell("PC 1"), "PC 1");
    }
}
