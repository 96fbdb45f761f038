//! The query language officers type, and its translation into FTS5 syntax.
//!
//! People type words, "quoted phrases" and a trailing `*` for "starts with". Everything
//! else is text. FTS5 has its own query language (`AND`, `OR`, `NOT`, `NEAR(…)`,
//! `col:`, `^`, `*`, quotes), and handing it raw input turns a stray quote into an SQL
//! error. So the input is split into plain words here and every phrase we hand to FTS5 is
//! a double-quoted string made only of letters and digits: operators become words and
//! punctuation becomes a word break, exactly as the index's own tokenizer treats it.

pub use crate::text::words;

/// At most this many units (words or phrases) are searched; the rest are ignored and the
/// caller says so. Protects typo correction and the FTS5 planner from a pasted essay.
pub const MAX_UNITS: usize = 16;
/// At most this many words in one phrase.
const MAX_PHRASE_WORDS: usize = 16;

/// Words too common to require: dropped from a query that has other words, so "what to do
/// with a child" means "child". Kept inside quoted phrases and when nothing else is left.
const STOP_WORDS: &[&str] = &[
    "a", "about", "an", "and", "are", "as", "at", "be", "by", "can", "could", "did", "do", "does",
    "for", "from", "has", "have", "he", "her", "him", "his", "how", "i", "if", "in", "is", "it",
    "its", "me", "my", "not", "of", "on", "or", "our", "said", "say", "says", "she", "should",
    "that", "the", "their", "them", "there", "they", "this", "to", "us", "was", "we", "were",
    "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
];

/// The rest of a question as officers phrase it ("what happens if someone is …", "do I
/// need to …", "am I allowed to …"): words that shape the question, not its subject.
/// Contractions arrive spelled out ("don't" → "do not"), so their halves are here too.
const QUESTION_WORDS: &[&str] = &[
    "allowed",
    "am",
    "any",
    "anyone",
    "anything",
    "been",
    "being",
    "doing",
    "done",
    "get",
    "got",
    "happen",
    "happened",
    "happens",
    "into",
    "just",
    "know",
    "let",
    "make",
    "may",
    "mean",
    "means",
    "might",
    "must",
    "need",
    "needs",
    "ok",
    "okay",
    "please",
    "shall",
    "so",
    "some",
    "somebody",
    "someone",
    "something",
    "supposed",
    "take",
    "than",
    "then",
    "these",
    "think",
    "those",
    "up",
    "very",
    "whom",
    "whose",
    "without",
    "wonder",
    "wondering",
];

pub fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.contains(&w) || QUESTION_WORDS.contains(&w)
}

/// One thing to look for: a word, or a phrase whose words must appear together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Lowercase words made only of letters and digits; never empty.
    pub words: Vec<String>,
    /// The last word is a prefix (`bond*`).
    pub prefix: bool,
    /// The officer quoted it, so it is kept whole (no stop-word dropping).
    pub quoted: bool,
}

impl Unit {
    pub fn word(w: &str) -> Self {
        Unit {
            words: vec![w.to_string()],
            prefix: false,
            quoted: false,
        }
    }

    /// How the officer would read it back: `debt bondage`, `"debt bondage"`, `bond*`.
    pub fn display(&self) -> String {
        let mut s = self.words.join(" ");
        if self.quoted {
            s = format!("\"{s}\"");
        }
        if self.prefix {
            s.push('*');
        }
        s
    }

    /// The FTS5 string for this unit: a quoted phrase, optionally a prefix. The words hold
    /// only letters and digits, but quotes are doubled anyway so this stays safe if that
    /// ever changes.
    pub fn fts(&self) -> String {
        let body = self.words.join(" ").replace('"', "\"\"");
        if self.prefix {
            format!("\"{body}\"*")
        } else {
            format!("\"{body}\"")
        }
    }
}

/// A parsed query: the units in the order typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub units: Vec<Unit>,
    /// Units beyond [`MAX_UNITS`] were ignored.
    pub truncated: bool,
}

/// Parses what the officer typed. Never fails: input with no letters or digits gives an
/// empty query, which the caller turns into a usage message.
pub fn parse(input: &str) -> Query {
    let mut units = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '"' {
            // A quoted phrase only if the quote is closed; a lone quote is just a break.
            if let Some(end) = chars[i + 1..].iter().position(|&c| c == '"') {
                let inner: String = chars[i + 1..i + 1 + end].iter().collect();
                i += end + 2;
                let prefix = chars.get(i) == Some(&'*');
                if prefix {
                    i += 1;
                }
                push(&mut units, &inner, prefix, true);
            } else {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '"' {
            i += 1;
        }
        let chunk: String = chars[start..i].iter().collect();
        let prefix = chunk.ends_with('*');
        let chunk = contractions(&chunk);
        let mut pieces = chunk.split_whitespace().peekable();
        while let Some(piece) = pieces.next() {
            let last = pieces.peek().is_none();
            push(&mut units, piece, prefix && last, false);
        }
    }
    let truncated = units.len() > MAX_UNITS;
    units.truncate(MAX_UNITS);
    Query { units, truncated }
}

/// Spells out contractions and drops a possessive `'s`, so "don't" is "do not" and
/// "child's" is "child", as an officer means them, rather than the phrase "don t". Typed
/// apostrophes come in several shapes: straight, curly, backtick.
fn contractions(chunk: &str) -> String {
    let chunk: String = chunk
        .chars()
        .map(|c| {
            if matches!(c, '\u{2019}' | '\u{2018}' | '`') {
                '\''
            } else {
                c
            }
        })
        .collect();
    if !chunk.contains('\'') {
        return chunk;
    }
    let lower = chunk.to_lowercase();
    for (whole, spelled) in [
        ("won't", "will not"),
        ("can't", "can not"),
        ("shan't", "shall not"),
    ] {
        if let Some(rest) = lower.strip_prefix(whole) {
            return format!("{spelled}{rest}");
        }
    }
    const ENDINGS: &[(&str, &str)] = &[
        ("n't", " not"),
        ("'re", " are"),
        ("'ve", " have"),
        ("'ll", " will"),
        ("'d", " would"),
        ("'m", " am"),
        ("'s", ""),
        ("s'", "s"),
    ];
    // Only at the end of a word: the ending is followed by punctuation or nothing.
    let mut out = String::with_capacity(lower.len() + 8);
    let mut rest = lower.as_str();
    'scan: while let Some(at) = rest.find('\'') {
        for (ending, spelled) in ENDINGS {
            let (start, len) = match ending.find('\'') {
                Some(0) => (at, ending.len()),
                Some(k) => (at.saturating_sub(k), ending.len()),
                None => continue,
            };
            let Some(found) = rest.get(start..start + len) else {
                continue;
            };
            let ends_word = rest[start + len..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            if found == *ending && ends_word && start > 0 {
                out.push_str(&rest[..start]);
                out.push_str(spelled);
                rest = &rest[start + len..];
                continue 'scan;
            }
        }
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out
}

/// Adds the unit a chunk of input makes. A chunk that splits into several words
/// (`s.45`, `child's`, `title:x`) is searched as a phrase, as FTS5 would with a quoted
/// string, so the words must still appear side by side.
fn push(units: &mut Vec<Unit>, chunk: &str, prefix: bool, quoted: bool) {
    let mut ws = words(chunk);
    if ws.is_empty() {
        return;
    }
    ws.truncate(MAX_PHRASE_WORDS);
    // A prefix of one or two characters would match half the index; treat it as a word.
    let prefix = prefix && ws.last().is_some_and(|w| w.chars().count() >= 3);
    units.push(Unit {
        words: ws,
        prefix,
        quoted,
    });
}

/// Joins alternatives for one unit into an FTS5 group: `"a"` or `("a" OR "b c")`.
pub fn group(alternatives: &[String]) -> String {
    if alternatives.len() == 1 {
        alternatives[0].clone()
    } else {
        format!("({})", alternatives.join(" OR "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts_all(q: &Query) -> String {
        q.units
            .iter()
            .map(Unit::fts)
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// Every FTS5 string must be quoted phrases of letters/digits joined by our own AND.
    fn assert_safe(q: &Query) {
        for u in &q.units {
            assert!(!u.words.is_empty());
            for w in &u.words {
                assert!(!w.is_empty());
                assert!(w.chars().all(char::is_alphanumeric), "{w:?}");
            }
        }
    }

    #[test]
    fn plain_words_are_separate_units() {
        let q = parse("debt bondage");
        assert_eq!(q.units, vec![Unit::word("debt"), Unit::word("bondage")]);
        assert_eq!(fts_all(&q), r#""debt" AND "bondage""#);
    }

    #[test]
    fn quoted_phrase_is_one_unit() {
        let q = parse(r#"find "debt bondage" now"#);
        assert_eq!(q.units.len(), 3);
        assert_eq!(q.units[1].words, ["debt", "bondage"]);
        assert!(q.units[1].quoted);
        assert_eq!(q.units[1].fts(), r#""debt bondage""#);
    }

    #[test]
    fn trailing_star_is_prefix() {
        let q = parse("traffick* bond*");
        assert!(q.units.iter().all(|u| u.prefix));
        assert_eq!(q.units[0].fts(), r#""traffick"*"#);
        let q = parse(r#""debt bond"*"#);
        assert_eq!(q.units[0].fts(), r#""debt bond"*"#);
    }

    #[test]
    fn star_alone_or_short_prefix_is_harmless() {
        assert!(parse("*").units.is_empty());
        assert!(parse("* * **").units.is_empty());
        let q = parse("a* nrm");
        assert!(!q.units[0].prefix);
        assert_safe(&q);
    }

    #[test]
    fn operators_are_words() {
        let q = parse("consent AND child OR NOT NEAR(a b) adult");
        assert_safe(&q);
        let ws: Vec<_> = q.units.iter().flat_map(|u| u.words.clone()).collect();
        assert_eq!(
            ws,
            [
                "consent", "and", "child", "or", "not", "near", "a", "b", "adult"
            ]
        );
        // NEAR(a b) is two chunks: "NEAR(a" (a phrase "near a") and "b)".
        assert_eq!(q.units[5].words, ["near", "a"]);
        assert!(!fts_all(&q).contains("NEAR("));
    }

    #[test]
    fn column_filter_is_text() {
        let q = parse("title:x heading:nrm");
        assert_safe(&q);
        assert_eq!(q.units[0].words, ["title", "x"]);
        assert_eq!(q.units[0].fts(), r#""title x""#);
        assert!(!fts_all(&q).contains(':'));
    }

    #[test]
    fn quotes_inside_words_and_unbalanced_quotes() {
        for input in [
            r#"bad"query"#,
            r#"""#,
            r#"""""#,
            r#""unclosed phrase"#,
            r#"a "b" "c"#,
            r#"don't"#,
            "'",
            "'s",
            "n't",
            "''re",
            "^nrm",
            "nrm -child +adult",
            "{title body}: x",
        ] {
            let q = parse(input);
            assert_safe(&q);
            assert!(!fts_all(&q).contains("\"\"\""), "{input}");
        }
        let q = parse(r#""unclosed phrase"#);
        assert_eq!(q.units.len(), 2);
        assert!(parse(r#""""#).units.is_empty());
    }

    #[test]
    fn contractions_are_spelled_out() {
        let ws = |q: &str| -> Vec<String> {
            parse(q)
                .units
                .iter()
                .flat_map(|u| u.words.clone())
                .collect()
        };
        assert_eq!(ws("don't consent"), ["do", "not", "consent"]);
        assert_eq!(ws("they’re scared"), ["they", "are", "scared"]);
        assert_eq!(ws("can't leave"), ["can", "not", "leave"]);
        assert_eq!(ws("won't talk"), ["will", "not", "talk"]);
        assert_eq!(
            ws("I'd I'm we've they'll"),
            ["i", "would", "i", "am", "we", "have", "they", "will"]
        );
        assert_eq!(ws("child's passport"), ["child", "passport"]);
        assert_eq!(ws("workers' wages"), ["workers", "wages"]);
        assert_eq!(ws("DON'T"), ["do", "not"]);
        // Each is a word of its own, not the phrase "don t".
        assert!(parse("don't").units.iter().all(|u| u.words.len() == 1));
        // A quoted phrase means exactly what was typed.
        assert_eq!(parse("\"don't\"").units[0].words, ["don", "t"]);
        // An apostrophe that ends no contraction is a word break, as before.
        assert_eq!(
            ws("o'clock rock'n'roll"),
            ["o", "clock", "rock", "n", "roll"]
        );
    }

    #[test]
    fn emoji_and_symbols_are_breaks() {
        assert!(parse("🙂 🚓").units.is_empty());
        let q = parse("child🙂safe");
        assert_eq!(q.units[0].words, ["child", "safe"]);
        let q = parse("café naïve Zürich");
        assert_eq!(q.units[0].words, ["café"]);
        assert_safe(&q);
    }

    #[test]
    fn very_long_query_is_bounded() {
        let long = "word ".repeat(2000);
        let q = parse(&long);
        assert_eq!(q.units.len(), MAX_UNITS);
        assert!(q.truncated);
        let one = "x".repeat(10_000);
        let q = parse(&one);
        assert_eq!(
            q.units[0].words[0].chars().count(),
            crate::text::MAX_WORD_CHARS
        );
        let phrase = format!("\"{}\"", "a ".repeat(5000));
        assert_eq!(parse(&phrase).units[0].words.len(), MAX_PHRASE_WORDS);
    }

    #[test]
    fn empty_and_blank_queries_have_no_units() {
        assert!(parse("").units.is_empty());
        assert!(parse("   \t\n").units.is_empty());
        assert!(parse("::: ,,, ---").units.is_empty());
    }

    #[test]
    fn display_reads_back() {
        assert_eq!(
            parse(r#""debt bondage""#).units[0].display(),
            "\"debt bondage\""
        );
        assert_eq!(parse("bond*").units[0].display(), "bond*");
    }

    #[test]
    fn group_joins_alternatives() {
        assert_eq!(group(&["\"a\"".into()]), "\"a\"");
        assert_eq!(
            group(&["\"nrm\"".into(), "\"national referral mechanism\"".into()]),
            r#"("nrm" OR "national referral mechanism")"#
        );
    }
}
