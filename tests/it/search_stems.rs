//! Word forms of the bundled guidance that the stemmer splits: each must be joined by a
//! synonym group or judged to be different words.
//!
//! Search matches words by their Porter stem, and Porter splits some forms of one word:
//! "injury" stems to `injuri` but "injured" to `injur`, so an officer who types "injured"
//! would miss the passage that says "injury". This test stems every word form in the
//! guidance exactly as the index does and lists the pairs that look like forms of one
//! word but do not meet: a final y that became i ("injury"/"injured", "identify"/
//! "identification"), and a participle in -n or -en ("take"/"taken"). A listed pair must
//! either share a group in `guidance/synonyms.toml` (so a search for either finds both),
//! or be in `APART` below with the reason it is two different words.

use std::collections::{BTreeMap, BTreeSet};

use msht::guidance::{self, Guidance};
use msht::search::index::{DOCS_TOKENIZER, documents};
use msht::text::words;

/// Pairs of stems that look like one word but are two, with why.
const APART: &[(&str, &str, &str)] = &[
    ("arm", "armi", "arms (weapons) and army"),
    ("count", "counti", "count and county"),
    ("factor", "factori", "factors and factories"),
    ("list", "listen", "a list and to listen"),
    ("offic", "offici", "an office or officer, and official"),
    ("part", "parti", "part and party"),
    ("polic", "polici", "police and policy"),
    ("rel", "reli", "relative and rely"),
    ("full", "fulli", "fully: an adverb no search turns on"),
];

/// Every word form in the searchable text, by its stem.
fn forms_by_stem(g: &Guidance) -> BTreeMap<String, BTreeSet<String>> {
    let mut forms = BTreeSet::new();
    for d in documents(g) {
        for w in words(&format!("{} {} {}", d.title, d.heading, d.body)) {
            if w.chars().all(|c| c.is_ascii_lowercase()) {
                forms.insert(w);
            }
        }
    }
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{DOCS_TOKENIZER}');
         CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');"
    ))
    .unwrap();
    let forms: Vec<String> = forms.into_iter().collect();
    for (i, w) in forms.iter().enumerate() {
        conn.execute(
            "INSERT INTO t(rowid, x) VALUES (?1, ?2)",
            rusqlite::params![i as i64 + 1, w],
        )
        .unwrap();
    }
    let mut stmt = conn.prepare("SELECT term, doc FROM v").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .unwrap();
    let mut by_stem: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        let (stem, doc) = row.unwrap();
        by_stem
            .entry(stem)
            .or_default()
            .insert(forms[doc as usize - 1].clone());
    }
    by_stem
}

/// Stem pairs that look like forms of one word. Short words are left out: "a"/"an" and
/// "the"/"they" are stop words, never searched for.
fn split_pairs(by_stem: &BTreeMap<String, BTreeSet<String>>) -> Vec<(String, String)> {
    let mut stem_of = BTreeMap::new();
    for (s, forms) in by_stem {
        for f in forms {
            stem_of.insert(f.clone(), s.clone());
        }
    }
    let long = |s: &str| by_stem[s].iter().any(|f| f.len() >= 4);
    let mut pairs = BTreeSet::new();
    for s in by_stem.keys() {
        let y = format!("{s}i");
        if by_stem.contains_key(&y) && long(s) {
            pairs.insert((s.clone(), y));
        }
    }
    for (f, s) in &stem_of {
        for ending in ["n", "en"] {
            if let Some(t) = stem_of.get(&format!("{f}{ending}"))
                && t != s
                && f.len() >= 4
            {
                pairs.insert((s.clone(), t.clone()));
            }
        }
    }
    pairs.into_iter().collect()
}

/// Whether one synonym group has a form of each stem.
fn joined(g: &Guidance, a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    g.synonyms.iter().any(|grp| {
        let terms: Vec<String> = grp.terms.iter().map(|t| t.to_lowercase()).collect();
        terms.iter().any(|t| a.contains(t)) && terms.iter().any(|t| b.contains(t))
    })
}

#[test]
fn every_stem_split_is_joined_or_judged_apart() {
    let g = guidance::load(None).expect("the bundled guidance loads");
    let by_stem = forms_by_stem(&g);
    let pairs = split_pairs(&by_stem);
    let mut unjudged = Vec::new();
    for (a, b) in &pairs {
        let apart = APART.iter().any(|(x, y, _)| x == a && y == b);
        if !apart && !joined(&g, &by_stem[a], &by_stem[b]) {
            unjudged.push(format!("{:?} / {:?}", by_stem[a], by_stem[b]));
        }
    }
    assert!(
        unjudged.is_empty(),
        "the stemmer splits these forms of what may be one word; put a form of each in one \
         group of guidance/synonyms.toml, or add the stems to APART if they are different \
         words:\n{}",
        unjudged.join("\n")
    );
}

#[test]
fn the_splits_the_test_exists_for_are_found() {
    // If the pair finder stopped finding these, the test above would pass on nothing.
    let g = guidance::load(None).expect("the bundled guidance loads");
    let pairs = split_pairs(&forms_by_stem(&g));
    for want in [("injur", "injuri"), ("take", "taken")] {
        assert!(
            pairs.iter().any(|(a, b)| (a.as_str(), b.as_str()) == want),
            "{want:?} not in {pairs:?}"
        );
    }
}

#[test]
fn every_pair_judged_apart_is_still_split() {
    // A stale APART entry would hide nothing, but says something untrue about the text.
    let g = guidance::load(None).expect("the bundled guidance loads");
    let pairs = split_pairs(&forms_by_stem(&g));
    for (a, b, why) in APART {
        assert!(
            pairs.iter().any(|(x, y)| x == a && y == b),
            "APART lists {a}/{b} ({why}), which the guidance no longer splits"
        );
    }
}
