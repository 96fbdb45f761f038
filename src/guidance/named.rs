//! Named conditions and signals: the parts of the `when` language that let a rule be
//! written once and used everywhere.
//!
//! A named condition (`[conditions]` in manifest.toml) is replaced by its definition in
//! every checklist condition once the whole set is read, so the engine and the validator
//! only ever see plain conditions. A `signal(name)` must be raised by some question's
//! `signals` list, or it could never hold.

use std::collections::HashSet;

use super::condition::Condition;
use super::model::{Guidance, Location};
use super::problems::Problems;

pub fn resolve(g: &mut Guidance, p: &mut Problems) {
    let defs = g.conditions.clone();
    let lookup = |n: &str| defs.iter().find(|d| d.name == n).map(|d| d.when.clone());
    let mut seen = HashSet::new();
    for d in &defs {
        if !seen.insert(d.name.as_str()) {
            p.add(
                &d.at.file,
                d.at.line,
                format!("duplicate condition name '{}'", d.name),
            );
        }
        // Report a bad definition once, where it is written.
        let (_, errs) = d.when.resolve(&lookup);
        for e in errs {
            p.add(
                &d.at.file,
                d.at.line,
                format!("named condition '{}': {e}", d.name),
            );
        }
    }
    let raised: HashSet<String> = g
        .checklists
        .iter()
        .flat_map(|c| c.questions.iter())
        .flat_map(|q| q.signals.iter().cloned())
        .collect();
    let fix = |c: &mut Condition, at: &Location, p: &mut Problems| {
        let (r, errs) = c.resolve(&lookup);
        for e in errs {
            p.add(&at.file, at.line, format!("condition names {e}"));
        }
        for s in r.signals() {
            if !raised.contains(s) {
                p.add(
                    &at.file,
                    at.line,
                    format!("condition tests signal '{s}', which no question raises"),
                );
            }
        }
        *c = r;
    };
    for c in &mut g.checklists {
        for q in &mut c.questions {
            if let Some(w) = &mut q.when {
                fix(w, &q.at, p);
            }
        }
        for t in &mut c.triggers {
            fix(&mut t.when, &t.at, p);
        }
        for d in &mut c.duties {
            fix(&mut d.when, &d.at, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::guidance::{GuidanceFiles, check};

    const MANIFEST: &str = r#"version = "1"
[[areas]]
id = "a"
title = "A"
[conditions]
child = "q_age in [yes, unsure]"
worry = "child or signal(young)"
"#;

    fn problems(checklist: &str) -> String {
        let files = GuidanceFiles::from_memory(&[
            ("manifest.toml", MANIFEST),
            ("checklists/c.toml", checklist),
            (
                "prompts.toml",
                "[[prompts]]\nid = \"p\"\ntitle = \"P\"\nurgency = \"later\"\nactions = [\"Do it.\"]\n",
            ),
            (
                "duties.toml",
                "[[duties]]\nid = \"d\"\ntitle = \"D\"\nnext = \"Do it.\"\n",
            ),
        ]);
        check(&files).1.to_string()
    }

    const QUESTIONS: &str = r#"id = "c"
title = "C"
[[questions]]
id = "q_age"
text = "Age?"
kind = "yes_no"
help = "h"
[[questions]]
id = "q_young"
text = "Looks young?"
kind = "yes_no"
help = "h"
signals = ["young"]
"#;

    #[test]
    fn a_named_condition_resolves_in_questions_and_rules() {
        let g = crate::guidance::Guidance::from_files(&GuidanceFiles::from_memory(&[
            ("manifest.toml", MANIFEST),
            (
                "checklists/c.toml",
                &format!("{QUESTIONS}[[triggers]]\nprompt = \"p\"\nwhen = \"worry\"\n"),
            ),
            (
                "prompts.toml",
                "[[prompts]]\nid = \"p\"\ntitle = \"P\"\nurgency = \"later\"\nactions = [\"Do it.\"]\n",
            ),
            (
                "duties.toml",
                "[[duties]]\nid = \"d\"\ntitle = \"D\"\nnext = \"Do it.\"\n",
            ),
        ]))
        .unwrap();
        let t = &g.checklists[0].triggers[0];
        assert!(t.when.names().is_empty());
        assert_eq!(t.when.questions(), vec!["q_age"]);
        assert_eq!(t.when.signals(), vec!["young"]);
    }

    #[test]
    fn unknown_names_and_unraised_signals_are_problems() {
        let p = problems(&format!(
            "{QUESTIONS}[[triggers]]\nprompt = \"p\"\nwhen = \"nope or signal(never)\"\n"
        ));
        assert!(p.contains("'nope' is not a named condition"), "{p}");
        assert!(p.contains("signal 'never'"), "{p}");
    }

    #[test]
    fn a_named_condition_can_only_name_earlier_questions_in_a_question() {
        // `child` names q_age, which comes after q_first: the validator sees through the name.
        let p = problems(
            "id = \"c\"\ntitle = \"C\"\n[[questions]]\nid = \"q_first\"\ntext = \"F?\"\nkind = \"yes_no\"\nhelp = \"h\"\nwhen = \"child\"\n[[questions]]\nid = \"q_age\"\ntext = \"Age?\"\nkind = \"yes_no\"\nhelp = \"h\"\n",
        );
        assert!(p.contains("not asked before it"), "{p}");
    }
}
