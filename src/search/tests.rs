//! Engine tests on a small in-memory guidance set, so they do not move when the bundled
//! guidance is rewritten. Ranks are asserted only where the fixture makes them certain
//! (BM25 on a handful of documents is coarse).

use super::*;
use crate::fault::Fault;
use crate::guidance::GuidanceFiles;

const MANIFEST: &str = r#"
version = "test"
title = "Test guidance"
[[areas]]
id = "area"
title = "Area"
"#;

const LABOUR: &str = r#"+++
id = "labour"
title = "Labour exploitation"
area = "area"
reviewed = "2026-11-30"
sources = [{ title = "S", url = "https://example.org" }]
+++
Work for little or no pay.

## Debt bondage {#debt}
A debt that can never be paid off: charges for travel, housing and food are added
to it, and the worker is told they cannot leave until it is repaid.

## Cuckooing {#cuckooing}
Dealers take over the home of a vulnerable person to sell drugs from it.

## Documents
Employers keep **passports** and identity documents so that workers cannot leave.
"#;

const LAW: &str = r#"+++
id = "law"
title = "The law"
area = "area"
reviewed = "2026-11-30"
sources = [{ title = "S", url = "https://example.org" }]
+++
The Modern Slavery Act 2015.

## The statutory defence {#defence}
Section 45 gives victims a defence to some offences they were compelled to commit.
Café owners are not exempt.

## Referral {#referral}
First responders refer possible victims to the National Referral Mechanism.
"#;

const PROMPTS: &str = r#"
[[prompts]]
id = "medical"
title = "Injury: get medical help first"
urgency = "immediate"
topic = "labour#debt"
actions = ["Call an ambulance for serious injury.", "Questions can wait."]
"#;

const CHECKLIST: &str = r#"
id = "general"
title = "General screen"
order = 10
description = "First."

[[questions]]
id = "general_passport"
text = "Does someone else hold the person's passport?"
kind = "yes_no"
help = "Employers keeping documents is an indicator."
topic = "labour#documents"
"#;

const SYNONYMS: &str = r#"
[[synonyms]]
terms = ["nrm", "national referral mechanism"]
[[synonyms]]
terms = ["s45", "section 45"]
[[synonyms]]
terms = ["county lines", "cuckooing"]
"#;

fn guidance() -> Guidance {
    let files = GuidanceFiles::from_memory(&[
        ("manifest.toml", MANIFEST),
        ("topics/labour.md", LABOUR),
        ("topics/law.md", LAW),
        ("prompts.toml", PROMPTS),
        ("duties.toml", ""),
        ("checklists/general.toml", CHECKLIST),
        ("synonyms.toml", SYNONYMS),
    ]);
    match Guidance::from_files(&files) {
        Ok(g) => g,
        Err(crate::guidance::GuidanceError::Invalid { problems, .. }) => {
            panic!("fixture is invalid:\n{problems}")
        }
        Err(e) => panic!("{e}"),
    }
}

fn find(g: &Guidance, q: &str) -> Outcome {
    let ix = Index::build(g).unwrap();
    Searcher::new(g, ix).search(q, 5).unwrap()
}

fn ids(o: &Outcome) -> Vec<&str> {
    o.hits.iter().map(|h| h.id.as_str()).collect()
}

#[test]
fn words_are_anded_and_ranked_by_heading() {
    let g = guidance();
    let o = find(&g, "debt bondage");
    assert_eq!(ids(&o)[0], "labour#debt");
    assert!(!o.partial && o.corrections.is_empty() && o.missing.is_empty());
    let h = &o.hits[0];
    assert_eq!(h.open.as_deref(), Some("msht guide show labour#debt"));
    assert_eq!(h.topic.as_deref(), Some("labour"));
    assert_eq!(h.section.as_deref(), Some("debt"));
    assert_eq!(h.heading.as_deref(), Some("Debt bondage"));
    assert!(h.score > 0.0);
}

#[test]
fn stemming_finds_other_forms() {
    let g = guidance();
    assert_eq!(ids(&find(&g, "repaying debts"))[0], "labour#debt");
    assert!(ids(&find(&g, "employer keeps passport")).contains(&"labour#documents"));
}

#[test]
fn diacritics_are_folded() {
    let g = guidance();
    assert_eq!(ids(&find(&g, "cafe"))[0], "law#defence");
    assert_eq!(ids(&find(&g, "café"))[0], "law#defence");
}

#[test]
fn snippet_marks_the_matched_words() {
    let g = guidance();
    let o = find(&g, "travel housing");
    let s = o.hits[0].snippet.marked("[", "]");
    assert!(s.contains("[travel]") && s.contains("[housing]"), "{s}");
    assert!(!o.hits[0].snippet.plain().contains('['));
    assert!(!s.contains('\u{1}') && !s.contains('\u{2}'));
}

#[test]
fn markdown_is_not_in_snippets() {
    let g = guidance();
    let o = find(&g, "passports");
    let doc = o.hits.iter().find(|h| h.id == "labour#documents").unwrap();
    assert!(!doc.snippet.plain().contains("**"), "{:?}", doc.snippet);
}

#[test]
fn phrase_must_be_adjacent() {
    let g = guidance();
    assert_eq!(
        ids(&find(&g, "\"vulnerable person\""))[0],
        "labour#cuckooing"
    );
    // Both words occur in one section, but not side by side.
    let o = find(&g, "\"person vulnerable\"");
    assert!(o.hits.is_empty());
    assert_eq!(o.missing, ["\"person vulnerable\""]);
}

#[test]
fn prefix_matches_word_starts() {
    let g = guidance();
    assert_eq!(ids(&find(&g, "bond*"))[0], "labour#debt");
}

#[test]
fn synonyms_expand_abbreviations_both_ways() {
    let g = guidance();
    assert_eq!(ids(&find(&g, "NRM"))[0], "law#referral");
    assert_eq!(ids(&find(&g, "s45"))[0], "law#defence");
    assert_eq!(ids(&find(&g, "county lines"))[0], "labour#cuckooing");
}

#[test]
fn typo_is_corrected_and_reported() {
    let g = guidance();
    let o = find(&g, "debt bondige");
    assert_eq!(ids(&o)[0], "labour#debt");
    assert_eq!(
        o.corrections,
        [("bondige".to_string(), "bondage".to_string())]
    );
    assert_eq!(o.searched, ["debt", "bondage"]);
}

#[test]
fn unknown_word_is_left_out_and_reported() {
    let g = guidance();
    let o = find(&g, "debt zzyzx");
    assert_eq!(ids(&o)[0], "labour#debt");
    assert_eq!(o.missing, ["zzyzx"]);
}

#[test]
fn no_passage_with_all_words_falls_back_to_partial() {
    let g = guidance();
    // Each word is in the guidance, never together.
    let o = find(&g, "cuckooing passports");
    assert!(o.partial);
    let got = ids(&o);
    assert!(got.contains(&"labour#cuckooing") && got.contains(&"labour#documents"));
}

#[test]
fn partial_prefers_passages_with_more_of_the_words() {
    let g = guidance();
    let o = find(&g, "travel housing cuckooing");
    assert!(o.partial);
    assert_eq!(ids(&o)[0], "labour#debt");
}

#[test]
fn nothing_found_is_not_an_error() {
    let g = guidance();
    let o = find(&g, "xylophone");
    assert!(o.hits.is_empty());
    assert_eq!(o.missing, ["xylophone"]);
}

#[test]
fn questions_and_prompts_are_found_and_say_how_to_open() {
    let g = guidance();
    let o = find(&g, "passport");
    let q = o.hits.iter().find(|h| h.kind == HitKind::Question).unwrap();
    assert_eq!(q.id, "general_passport");
    assert_eq!(q.open.as_deref(), Some("msht checklist show general"));
    assert_eq!(q.topic.as_deref(), Some("labour"));
    let o = find(&g, "ambulance");
    let p = &o.hits[0];
    assert_eq!(p.kind, HitKind::Prompt);
    assert_eq!(p.open.as_deref(), Some("msht guide show labour#debt"));
}

#[test]
fn stop_words_are_not_required() {
    let g = guidance();
    let o = find(&g, "what is the statutory defence");
    assert_eq!(ids(&o)[0], "law#defence");
    assert!(!o.partial && o.missing.is_empty());
    // Only stop words: they are searched rather than dropped to nothing.
    assert!(find(&g, "the").hits.len() > 1);
}

#[test]
fn limit_is_respected_and_checked() {
    let g = guidance();
    let ix = Index::build(&g).unwrap();
    let s = Searcher::new(&g, ix);
    assert_eq!(s.search("the", 1).unwrap().hits.len(), 1);
    assert!(matches!(s.search("x", 0), Err(SearchError::BadLimit)));
    assert!(matches!(
        s.search("x", MAX_LIMIT + 1),
        Err(SearchError::BadLimit)
    ));
}

#[test]
fn empty_and_wordless_queries_are_usage_errors() {
    let g = guidance();
    let ix = Index::build(&g).unwrap();
    let s = Searcher::new(&g, ix);
    for q in ["", "   "] {
        let e = s.search(q, 5).unwrap_err();
        assert!(matches!(e, SearchError::EmptyQuery));
        assert_eq!(e.fault(), Fault::BadRequest);
    }
    for q in ["\"", "*", "🙂", "::", "NEAR("] {
        let r = s.search(q, 5);
        // NEAR( is a word ("near"), the rest have no letters.
        if q == "NEAR(" {
            assert!(r.is_ok());
        } else {
            assert!(matches!(r, Err(SearchError::NoWords)), "{q}");
        }
    }
}

#[test]
fn hostile_queries_never_fail() {
    let g = guidance();
    let ix = Index::build(&g).unwrap();
    let s = Searcher::new(&g, ix);
    let long = "debt ".repeat(2000);
    let huge_word = "x".repeat(10_000);
    let inputs = [
        r#"bad"query"#,
        r#""unbalanced"#,
        "debt AND bondage",
        "debt OR bondage",
        "NOT debt",
        "NEAR(debt bondage, 2)",
        "title:debt",
        "heading:cuckooing body:x",
        "{title}: debt",
        "debt^",
        "^debt",
        "-debt",
        "debt + bondage",
        "(debt",
        "debt)",
        "*debt",
        "d*",
        "debt**",
        "🙂 debt 🚓",
        "'; DROP TABLE docs; --",
        "\u{0}debt\u{1}",
        "rank:1",
        "docs",
        &long,
        &huge_word,
    ];
    for q in inputs {
        match s.search(q, 5) {
            Ok(_) | Err(SearchError::NoWords) => {}
            Err(e) => panic!("{q:.40}: {e:?}"),
        }
    }
    let o = s.search(&long, 5).unwrap();
    assert!(o.truncated);
    assert_eq!(ids(&o)[0], "labour#debt");
    // The table is still there.
    assert_eq!(ids(&s.search("debt", 5).unwrap())[0], "labour#debt");
}

#[test]
fn cached_index_finds_the_same() {
    let g = guidance();
    let dir = tempfile::tempdir().unwrap();
    let a = search(&g, "debt bondage", 5, Some(dir.path())).unwrap();
    let b = search(&g, "debt bondage", 5, Some(dir.path())).unwrap();
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.hits[0].snippet, b.hits[0].snippet);
}

#[test]
fn snippet_parsing_tolerates_odd_markers() {
    let s = Snippet::from_marked("a \u{1}b\u{2} c \u{1}d");
    assert_eq!(s.marked("[", "]"), "a [b] c [d]");
    assert_eq!(Snippet::from_marked("").parts, []);
}

#[test]
fn a_synonym_term_in_two_groups_is_a_validation_problem() {
    let dup = "[[synonyms]]\nterms = [\"nrm\", \"national referral mechanism\"]\n\n[[synonyms]]\nterms = [\"NRM\", \"referral\"]\n\n[[synonyms]]\nterms = [\"s45\", \"s45\"]\n";
    let files = GuidanceFiles::from_memory(&[
        ("manifest.toml", MANIFEST),
        ("topics/labour.md", LABOUR),
        ("topics/law.md", LAW),
        ("prompts.toml", PROMPTS),
        ("duties.toml", ""),
        ("checklists/general.toml", CHECKLIST),
        ("synonyms.toml", dup),
    ]);
    let (_, problems) = crate::guidance::check(&files);
    let text = problems.to_string();
    assert!(text.contains("already in the group on line 2"), "{text}");
    assert!(text.contains("listed twice"), "{text}");
    assert_eq!(problems.len(), 2, "{text}");
}

#[test]
fn stop_words_are_never_corrected() {
    let g = guidance();
    // "would" is not in the fixture and is one edit from "could"-like words; it is a stop
    // word, so it is dropped, not corrected.
    let o = find(&g, "would debt");
    assert!(o.corrections.is_empty(), "{:?}", o.corrections);
    assert_eq!(ids(&o)[0], "labour#debt");
}

#[test]
fn fewer_complete_matches_than_the_limit_are_filled_with_partial_ones() {
    let g = guidance();
    // Only the debt section has both words; the documents section has "leave".
    let o = find(&g, "debt leave");
    assert!(!o.partial);
    assert_eq!(o.complete, 1);
    assert_eq!(ids(&o)[..2], ["labour#debt", "labour#documents"]);
    // Enough complete matches: nothing is filled.
    let o = find(&g, "debt");
    assert_eq!(o.complete, o.hits.len());
}

#[test]
fn a_real_word_is_never_corrected_to_a_guidance_word() {
    let g = guidance();
    // "dent" is one letter from "debt", but it is a word.
    let o = find(&g, "dent");
    assert!(o.corrections.is_empty(), "{:?}", o.corrections);
    assert_eq!(o.missing, ["dent"]);
}

#[test]
fn a_non_word_is_corrected_even_when_the_stemmer_matches_it() {
    let g = guidance();
    // "compeled" stems like "compelled", but it is a slip, and saying so helps.
    let o = find(&g, "compeled");
    assert_eq!(o.corrections, [("compeled".into(), "compelled".into())]);
    assert_eq!(ids(&o)[0], "law#defence");
}

#[test]
fn question_shapes_and_contractions_are_not_searched_for() {
    let g = guidance();
    for q in [
        "how long until the debt is repaid",
        "what happens if they don't leave",
        "they're told they can't leave",
    ] {
        let o = find(&g, q);
        assert!(o.missing.is_empty(), "{q}: {:?}", o.missing);
        assert!(!o.partial, "{q}");
        assert!(ids(&o).contains(&"labour#debt"), "{q}");
    }
}

#[test]
fn a_question_hit_gives_the_section_behind_it() {
    let g = guidance();
    let o = find(&g, "passport");
    let q = o.hits.iter().find(|h| h.kind == HitKind::Question).unwrap();
    let b = q.behind.as_ref().unwrap();
    assert_eq!(b.id, "labour#documents");
    assert_eq!(b.heading, "Documents");
    assert_eq!(b.open, "msht guide show labour#documents");
    // A prompt gives its section too; a section gives nothing more.
    let o = find(&g, "ambulance");
    assert_eq!(o.hits[0].behind.as_ref().unwrap().id, "labour#debt");
    assert!(find(&g, "cuckooing").hits[0].behind.is_none());
}
