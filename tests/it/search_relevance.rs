//! Relevance of `msht search` on the bundled guidance: for each query an officer might
//! type, the passage that answers it must be among the first three results.
//!
//! Two sets. `GUIDANCE_WORDS` uses the guidance's own vocabulary: plain words, stemmed
//! forms, abbreviations that only work through `guidance/synonyms.toml`, a quoted phrase,
//! a prefix, typos. `OFFICERS_WORDS` is what officers actually type: questions, slang,
//! misspellings, one-word queries. A checklist question or welfare prompt in the top 3
//! also counts for the guidance section it links to, because the hit shows that section
//! and the command that opens it. Expected passages are stable sections where possible,
//! since the topics are still being edited. When the guidance is rewritten and a case
//! fails, check whether the expected passage still says what the query asks before
//! changing either.

use msht::guidance::{self, Guidance};
use msht::search::{self, Hit, Outcome};

/// (query, the passage that must be in the top 3, what the case exercises)
const GUIDANCE_WORDS: &[(&str, &str, &str)] = &[
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
        "duty-to-notify#summary",
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

/// (query, the passage that must be in the top 3, what the case exercises): officers'
/// own words.
const OFFICERS_WORDS: &[(&str, &str, &str)] = &[
    // Questions, the way they are asked.
    (
        "what do I do if they don't consent",
        "nrm#consent",
        "question, contraction",
    ),
    (
        "how long is the recovery period",
        "nrm#recovery-period",
        "how long",
    ),
    (
        "adult refuses nrm",
        "adult-safeguarding#declines",
        "refuses is a word, not a typo",
    ),
    (
        "can I refer a child without consent",
        "nrm#children",
        "question",
    ),
    (
        "who can make an nrm referral",
        "nrm#first-responders",
        "question, refer/referral",
    ),
    (
        "how do I make a referral",
        "nrm#how-to-refer",
        "question, refer/referral",
    ),
    (
        "what is cuckooing",
        "county-lines-cannabis#cuckooing",
        "what is",
    ),
    ("what if they are under 18", "children#age", "question"),
    (
        "how do I fill in the ms1",
        "duty-to-notify#how",
        "question, word not in guidance",
    ),
    (
        "should I use a family member to interpret",
        "interpreters#who-not",
        "question",
    ),
    (
        "can the victim be prosecuted",
        "suspects-as-victims#summary",
        "prosecuted",
    ),
    (
        "what if the victim committed a crime",
        "suspects-as-victims#summary",
        "question",
    ),
    (
        "I think a suspect is a victim",
        "suspects-as-victims#summary",
        "statement",
    ),
    (
        "what is the helpline number",
        "contacts#helpline",
        "question",
    ),
    (
        "what are the signs of labour exploitation",
        "indicators-by-type#labour",
        "question",
    ),
    (
        "they're scared of police",
        "engaging-victims#not-self-identifying",
        "they're, scared",
    ),
    (
        "why won't victims talk to police",
        "engaging-victims#not-self-identifying",
        "won't, talk",
    ),
    (
        "do I need an interpreter",
        "interpreters#summary",
        "question",
    ),
    (
        "how long does an stpo last",
        "orders#stpo-length",
        "how long, abbreviation",
    ),
    (
        "what is a trap house",
        "county-lines-cannabis#county-lines-signs",
        "slang",
    ),
    ("what is the s45 defence", "s45-defence#summary", "question"),
    (
        "does s45 apply to murder",
        "s45-defence#schedule-4",
        "question",
    ),
    (
        "what do supervisors need to check",
        "supervision#checks",
        "question",
    ),
    ("stressed officer support", "workforce#self", "stressed"),
    (
        "what if a child goes missing",
        "re-trafficking#missing",
        "question",
    ),
    (
        "someone is in danger right now",
        "first-response#danger",
        "statement",
    ),
    (
        "they need an ambulance",
        "first-response#medical",
        "statement",
    ),
    (
        "they haven't eaten",
        "first-response#basic-needs",
        "haven't, eaten",
    ),
    (
        "how do I record the crime",
        "crime-recording#rule",
        "question",
    ),
    (
        "do I record a crime if they decline",
        "crime-recording#declines",
        "question",
    ),
    (
        "what is the golden hour",
        "investigation#recording",
        "question",
    ),
    (
        "how to interview a victim",
        "investigation#interviews",
        "question",
    ),
    (
        "what is a reasonable grounds decision",
        "nrm#decisions",
        "question",
    ),
    ("what support do adults get", "nrm#support", "question"),
    ("salvation army number", "contacts#salvation-army", "number"),
    (
        "victim support phone number",
        "contacts#victim-support",
        "number",
    ),
    (
        "can I take their phone as evidence",
        "investigation#recording",
        "question",
    ),
    // Slang and everyday words.
    ("follow the money", "investigation#financial", "phrase"),
    (
        "gaffer took their wages",
        "indicators-by-type#labour",
        "slang",
    ),
    ("boss keeps their passport", "indicators#situation", "slang"),
    (
        "kids carrying drugs",
        "county-lines-cannabis#county-lines",
        "slang",
    ),
    ("weed farm", "county-lines-cannabis#cannabis", "slang"),
    ("pimp", "indicators-by-type#sexual", "slang"),
    ("signs of a brothel", "indicators#places", "question shape"),
    ("nail bar", "indicators#places", "everyday words"),
    ("car wash", "indicators#places", "everyday words"),
    (
        "going country",
        "county-lines-cannabis#county-lines-signs",
        "slang",
    ),
    ("beaten up", "first-response#medical", "everyday words"),
    ("branded", "indicators#physical", "one word"),
    (
        "locked in",
        "county-lines-cannabis#cannabis",
        "everyday words",
    ),
    ("no english", "interpreters#summary", "everyday words"),
    ("translator", "interpreters#summary", "one word"),
    (
        "social services",
        "adult-safeguarding#local-authorities",
        "everyday words",
    ),
    (
        "council",
        "adult-safeguarding#local-authorities",
        "one word",
    ),
    (
        "deported",
        "engaging-victims#not-self-identifying",
        "one word",
    ),
    (
        "illegal immigrant",
        "contacts#migrant-help",
        "everyday words",
    ),
    (
        "ran away from care",
        "child-safeguarding#missing",
        "everyday words",
    ),
    (
        "forced to beg",
        "indicators-by-type#forced-criminality",
        "everyday words",
    ),
    (
        "shoplifting",
        "indicators-by-type#forced-criminality",
        "one word",
    ),
    ("sham marriage", "indicators-by-type#marriage", "two words"),
    ("kidney", "indicators-by-type#organ-removal", "one word"),
    ("nanny", "indicators-by-type#domestic-servitude", "one word"),
    // Misspellings: doubled, dropped and swapped letters.
    (
        "human trafficing offence",
        "msa-offences#s2",
        "dropped letter",
    ),
    (
        "exploitaton",
        "exploitation-types#summary",
        "dropped letter",
    ),
    (
        "cukooing",
        "county-lines-cannabis#cuckooing",
        "dropped letter",
    ),
    ("interpretter", "interpreters#summary", "doubled letter"),
    (
        "safegarding",
        "adult-safeguarding#summary",
        "dropped letter",
    ),
    ("recovry period", "nrm#recovery-period", "dropped letter"),
    ("consnet", "nrm#consent", "swapped letters"),
    (
        "domestic servitud",
        "indicators-by-type#domestic-servitude",
        "dropped letter",
    ),
    ("modern slavary act", "msa-overview#summary", "wrong vowel"),
    ("debt bondige", "indicators#money", "wrong vowel"),
    (
        "child trafficking guardain",
        "child-safeguarding#ictg",
        "swapped letters",
    ),
    ("prostitusion", "indicators-by-type#sexual", "wrong letter"),
    (
        "canabis",
        "county-lines-cannabis#cannabis",
        "dropped letter",
    ),
    ("helpine", "contacts#helpline", "dropped letter"),
    ("referal", "nrm#how-to-refer", "dropped letter"),
    ("duty to notfy", "duty-to-notify#summary", "dropped letter"),
    // One word.
    ("passport", "indicators#situation", "one word"),
    ("injured", "first-response#medical", "one word, stem split"),
    ("kid", "children#age", "slang"),
    ("juvenile", "children#age", "one word"),
    ("underage", "children#age", "one word"),
    ("teenager", "children#age", "one word"),
    ("tattoos", "indicators#physical", "one word"),
    ("wages", "indicators#money", "one word"),
    ("debt", "indicators#money", "one word"),
    (
        "scared",
        "engaging-victims#not-self-identifying",
        "one word",
    ),
    ("threats", "re-trafficking#summary", "one word"),
    ("missing", "re-trafficking#missing", "one word"),
    ("999", "contacts#emergency", "one number"),
    ("crimestoppers", "contacts#crimestoppers", "one word"),
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

/// What a hit gives the officer: itself, and for a question or prompt the section
/// behind it (a link to a whole topic opens at its summary).
fn gives(h: &Hit) -> impl Iterator<Item = String> {
    let behind = h.behind.as_ref().map(|b| match b.id.contains('#') {
        true => b.id.clone(),
        false => format!("{}#summary", b.id),
    });
    std::iter::once(h.id.clone()).chain(behind)
}

// The set's size is a property of the source, checked when it compiles.
const _: () = assert!(GUIDANCE_WORDS.len() + OFFICERS_WORDS.len() + SPREAD.len() >= 120);
const _: () = assert!(2 * OFFICERS_WORDS.len() >= GUIDANCE_WORDS.len() + OFFICERS_WORDS.len());

fn cases() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    GUIDANCE_WORDS.iter().chain(OFFICERS_WORDS)
}

#[test]
fn every_expected_section_exists() {
    let g = bundled();
    let is_question = |id: &str| {
        g.checklists
            .iter()
            .any(|c| c.questions.iter().any(|q| q.id == id))
    };
    for (_, want, _) in cases() {
        let section = g.resolve_link(want).is_some_and(|(_, s)| s.is_some());
        assert!(
            section || is_question(want) || g.prompt(want).is_some(),
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
    let mut total = 0;
    for (q, want, what) in cases() {
        total += 1;
        let o = run(&g, q);
        if !o.hits.iter().take(3).flat_map(gives).any(|id| id == *want) {
            let got = top3(&o);
            failures.push(format!("{q:?} ({what}): want {want}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} relevance cases failed:\n{}",
        failures.len(),
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

#[test]
fn the_issues_examples() {
    let g = bundled();
    // The rarer word decides: after any passage with both words, every passage about
    // passports or identity papers comes before any that merely says "taken" (about as
    // rare in the guidance, but matched by more passages once its forms are counted), and
    // the passport question brings its section.
    let o = run(&g, "passport taken");
    assert!(
        o.hits
            .iter()
            .flat_map(gives)
            .any(|id| id == "indicators#situation"),
        "{:?}",
        top3(&o)
    );
    let about_passports: Vec<bool> = o
        .hits
        .iter()
        .map(|h| {
            let text = format!(
                "{} {} {}",
                h.title,
                h.heading.as_deref().unwrap_or(""),
                h.snippet.plain()
            )
            .to_lowercase();
            ["passport", "papers", "documents"]
                .iter()
                .any(|w| text.contains(w))
        })
        .collect();
    let first_other = about_passports.iter().position(|p| !p).unwrap_or(5);
    assert!(
        first_other >= 3 && about_passports[first_other..].iter().all(|p| !p),
        "{about_passports:?} {:?}",
        top3(&o)
    );

    // Forms the stemmer split find the same passages.
    let ids = |q: &str| -> Vec<String> { run(&g, q).hits.iter().map(|h| h.id.clone()).collect() };
    assert_eq!(ids("injured"), ids("injury"));

    // A real word is not "corrected"; a non-word is, even one the stemmer half-matches.
    assert!(run(&g, "adult refuses nrm").corrections.is_empty());
    for (typed, meant) in [
        ("trafficing", "trafficking"),
        ("exploitaton", "exploitation"),
        ("cukooing", "cuckooing"),
    ] {
        let o = run(&g, typed);
        assert_eq!(o.corrections, [(typed.to_string(), meant.to_string())]);
    }

    // Contractions are not words the guidance "never mentions".
    assert!(
        run(&g, "what do I do if they don't consent")
            .missing
            .is_empty()
    );

    // Fewer complete matches than the limit: the rest is filled, and said once.
    let o = run(&g, "how long is the recovery period");
    assert_eq!(o.hits.len(), 5);
    assert!(o.complete >= 1 && !o.partial);

    // One word the guidance never uses, through a synonym.
    for q in ["kid", "juvenile", "underage"] {
        assert!(!run(&g, q).hits.is_empty(), "{q}");
    }
}
