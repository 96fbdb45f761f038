//! Relevance of `msht search` on the bundled guidance: for each query an officer might
//! type, the topic section that answers it must be among the first three results.
//!
//! The queries cover plain words, stemmed forms, abbreviations that only work through
//! `guidance/synonyms.toml`, a quoted phrase, a prefix, typos, and queries whose words are
//! spread over two sections. When the guidance is rewritten and a case fails, check whether
//! the expected section still says what the query asks before changing either.

use msht::guidance::{self, Guidance};
use msht::search::{self, Outcome};

/// (query, the section that must be in the top 3, what the case exercises)
const CASES: &[(&str, &str, &str)] = &[
    // The brief's own examples.
    ("debt bondage", "indicators#money", "two words"),
    ("cuckooing", "county-lines-cannabis#cuckooing", "one word"),
    ("s45", "s45-defence#summary", "abbreviation"),
    (
        "consent 16 year old",
        "children#consent",
        "words missing from the text",
    ),
    // Abbreviations and their long forms, through the synonyms file.
    ("dtn", "duty-to-notify#when", "abbreviation"),
    ("ms1 form", "duty-to-notify#how", "abbreviation"),
    ("ictg", "child-safeguarding#ictg", "abbreviation"),
    (
        "independent child trafficking guardian",
        "child-safeguarding#ictg",
        "long form",
    ),
    ("stpo", "orders#stpo-sentencing", "abbreviation"),
    ("stro", "orders#stro", "abbreviation"),
    (
        "s46",
        "child-safeguarding#police-protection",
        "abbreviation",
    ),
    ("glaa", "governance-partnerships#glaa", "abbreviation"),
    ("hocr", "crime-recording#rule", "abbreviation"),
    ("single competent authority", "nrm#decisions", "long form"),
    ("national referral mechanism", "nrm#summary", "long form"),
    (
        "duty to notify",
        "duty-to-notify#when",
        "long form with a stop word",
    ),
    // Stemmed forms: the text says something else.
    (
        "interviewing victims",
        "investigation#interviews",
        "stemmed (interviews)",
    ),
    (
        "trafficking travel",
        "msa-offences#s2",
        "stemmed (travel/trafficking)",
    ),
    (
        "injury before questioning",
        "first-response#medical",
        "stemmed (injuries)",
    ),
    (
        "separate them from controller",
        "first-response#separate",
        "stemmed, stop words",
    ),
    (
        "missing children",
        "re-trafficking#missing",
        "stemmed (missing)",
    ),
    (
        "self identify",
        "engaging-victims#not-self-identifying",
        "stemmed (identification)",
    ),
    (
        "supervisor checklist",
        "supervision#checks",
        "stemmed (supervisors)",
    ),
    ("support for officers", "workforce#self", "stop word"),
    // Plain topical queries.
    ("adult consent NRM", "nrm#consent", "three words"),
    (
        "reasonable grounds threshold",
        "law-changes#reasonable-grounds",
        "three words",
    ),
    (
        "police protection",
        "child-safeguarding#police-protection",
        "two words",
    ),
    (
        "interpreter family member",
        "interpreters#who-not",
        "three words",
    ),
    ("golden hour", "investigation#recording", "two words"),
    ("imminent danger", "first-response#danger", "two words"),
    (
        "cannabis grow",
        "county-lines-cannabis#cannabis",
        "two words",
    ),
    ("recovery period", "nrm#recovery-period", "two words"),
    (
        "crime recording adult declines",
        "crime-recording#declines",
        "four words",
    ),
    ("helpline", "contacts#helpline", "one word"),
    ("salvation army", "contacts#salvation-army", "two words"),
    ("schedule 4", "s45-defence#schedule-4", "word and number"),
    (
        "domestic servitude",
        "indicators-by-type#domestic-servitude",
        "two words",
    ),
    (
        "organ removal",
        "indicators-by-type#organ-removal",
        "two words",
    ),
    (
        "forced marriage",
        "indicators-by-type#marriage",
        "two words",
    ),
    ("supply chains", "msa-overview#s54", "two words"),
    ("penalties", "msa-offences#penalties", "one word"),
    (
        "financial investigation",
        "investigation#financial",
        "two words",
    ),
    ("trauma", "engaging-victims#trauma", "one word"),
    ("age unclear", "children#age", "two words"),
    ("first responders", "nrm#first-responders", "two words"),
    // Query syntax.
    (
        "\"trap house\"",
        "county-lines-cannabis#county-lines-signs",
        "phrase",
    ),
    ("cuckoo*", "county-lines-cannabis#cuckooing", "prefix"),
    // Typos.
    (
        "cuckooign",
        "county-lines-cannabis#cuckooing",
        "typo (swapped letters)",
    ),
    ("interpretor", "interpreters#summary", "typo"),
    ("debt bondge", "indicators#money", "typo in the second word"),
    ("safegaurding adults", "adult-safeguarding#s42", "typo"),
];

/// Queries whose words are in two different sections and in no single one: both
/// sections must be in the top 3, and the search must say it fell back.
const SPREAD: &[(&str, [&str; 2])] = &[
    (
        "\"golden hour\" interpreter",
        ["investigation#recording", "interpreters#precautions"],
    ),
    (
        "stro cuckooing",
        ["orders#stro", "county-lines-cannabis#cuckooing"],
    ),
];

fn bundled() -> Guidance {
    guidance::load(None).expect("the bundled guidance loads")
}

fn run(g: &Guidance, q: &str) -> Outcome {
    search::search(g, q, 5, None).unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn top3(o: &Outcome) -> Vec<&str> {
    o.hits.iter().take(3).map(|h| h.id.as_str()).collect()
}

// The set's size is a property of the source, checked when it compiles.
const _: () = assert!(CASES.len() + SPREAD.len() >= 30);

#[test]
fn every_expected_section_exists() {
    let g = bundled();
    for (_, want, _) in CASES {
        assert!(
            g.resolve_link(want).is_some_and(|(_, s)| s.is_some()),
            "{want}"
        );
    }
    for (_, wants) in SPREAD {
        for want in wants {
            assert!(
                g.resolve_link(want).is_some_and(|(_, s)| s.is_some()),
                "{want}"
            );
        }
    }
}

#[test]
fn expected_section_is_in_the_top_three() {
    let g = bundled();
    let mut failures = Vec::new();
    for (q, want, what) in CASES {
        let o = run(&g, q);
        let got = top3(&o);
        if !got.contains(want) {
            failures.push(format!("{q:?} ({what}): want {want}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} relevance cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn words_spread_over_two_sections_find_both() {
    let g = bundled();
    for (q, wants) in SPREAD {
        let o = run(&g, q);
        assert!(
            o.partial,
            "{q}: some section has every word; pick another query"
        );
        let got = top3(&o);
        for want in wants {
            assert!(got.contains(want), "{q}: want {want}, got {got:?}");
        }
    }
}

#[test]
fn typos_are_reported() {
    let g = bundled();
    let o = run(&g, "cuckooign");
    assert_eq!(o.corrections, [("cuckooign".into(), "cuckooing".into())]);
    let o = run(&g, "debt bondge");
    assert_eq!(o.searched, ["debt", "bondage"]);
}

#[test]
fn the_first_hit_for_the_briefs_examples() {
    // Stricter than top 3 for the queries an officer is most likely to type.
    let g = bundled();
    for (q, want) in [
        ("debt bondage", "indicators#money"),
        ("cuckooing", "county-lines-cannabis#cuckooing"),
        ("dtn", "duty-to-notify#when"),
        ("ictg", "child-safeguarding#ictg"),
    ] {
        let o = run(&g, q);
        assert_eq!(o.hits.first().map(|h| h.id.as_str()), Some(want), "{q}");
    }
}
