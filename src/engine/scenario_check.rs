//! Runs every scenario (`scenarios/*.toml`) through the engine, so a force editing its own
//! copy of the guidance learns at once, from `msht guidance validate`, that an edit broke
//! a duty or welfare rule: the scenario's file and line, what failed, and the rules that
//! give (or should give) that prompt or duty.

use super::run_scenario;
use crate::guidance::{Guidance, Problems, Scenario};

/// Adds a problem for each failed expectation of each scenario. A scenario whose file
/// already has a problem (an unknown question, a parse error) is not run: fix that first.
pub fn check_scenarios(g: &Guidance, known: &Problems, p: &mut Problems) {
    for s in &g.scenarios {
        if known.0.iter().any(|k| k.file == s.at.file) {
            continue;
        }
        for failure in run_scenario(g, s) {
            let rules = rules_for(g, s, &failure);
            p.add(
                &s.at.file,
                s.at.line,
                format!("scenario '{}' fails: {failure}{rules}", s.name),
            );
        }
    }
}

/// Where the rules for the prompt or duty a failure names are, in the scenario's checklist.
fn rules_for(g: &Guidance, s: &Scenario, failure: &str) -> String {
    let Some(flat) = g.flattened(&s.checklist) else {
        return String::new();
    };
    let named = |kind: &str| {
        failure
            .strip_prefix(kind)
            .and_then(|rest| rest.strip_prefix(" '"))
            .and_then(|rest| rest.split_once('\''))
            .map(|(id, _)| id.to_string())
    };
    let places: Vec<String> = if let Some(id) = named("duty") {
        flat.duties
            .iter()
            .filter(|d| d.duty == id)
            .map(|d| format!("{}:{}", d.at.file, d.at.line))
            .collect()
    } else if let Some(id) = named("prompt") {
        flat.triggers
            .iter()
            .filter(|t| t.prompt == id)
            .map(|t| format!("{}:{}", t.at.file, t.at.line))
            .collect()
    } else {
        return String::new();
    };
    if places.is_empty() {
        format!(" (no rule in checklist '{}' gives it)", s.checklist)
    } else {
        format!(" (its rules: {})", places.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guidance::{GuidanceFiles, check_release};

    /// What `msht guidance validate` runs: the release checks, then the scenarios.
    fn validate_release(files: &GuidanceFiles) -> (Option<Guidance>, Problems) {
        let (g, mut p) = check_release(files);
        if let Some(g) = &g {
            let known = p.clone();
            check_scenarios(g, &known, &mut p);
            p.sort();
        }
        (g, p)
    }

    const MANIFEST: &str = "version = \"t1\"\n[[areas]]\nid = \"safe\"\ntitle = \"Safe\"\n";
    const TOPIC: &str = "+++\nid = \"kids\"\ntitle = \"Children\"\narea = \"safe\"\nreviewed = \"2026-11-30\"\nsources = [{ title = \"S\", url = \"https://www.gov.uk/x\" }]\n+++\n## First steps\nCall.\n";
    const META: &str = "reviewed = \"2026-12-02\"\nsources = [{ title = \"S\", url = \"https://www.gov.uk/x\" }]\n";
    const CHECKLIST: &str = "id = \"general\"\ntitle = \"General\"\n\n[[questions]]\nid = \"age\"\ntext = \"Under 18?\"\nkind = \"yes_no\"\nhelp = \"Look.\"\n\n[[duties]]\nduty = \"nrm\"\nwhen = \"age == yes\"\n";

    fn files(scenario: &str) -> GuidanceFiles {
        let prompts = format!(
            "{META}[[prompts]]\nid = \"child\"\ntitle = \"Child\"\nurgency = \"immediate\"\nactions = [\"Call.\"]\n"
        );
        let duties =
            format!("{META}[[duties]]\nid = \"nrm\"\ntitle = \"NRM\"\nnext = \"Refer.\"\n");
        let checklist = format!("{META}{CHECKLIST}");
        GuidanceFiles::from_memory(&[
            ("manifest.toml", MANIFEST),
            ("topics/kids.md", TOPIC),
            ("prompts.toml", &prompts),
            ("duties.toml", &duties),
            ("checklists/general.toml", &checklist),
            ("scenarios/child.toml", scenario),
        ])
    }

    #[test]
    fn a_passing_scenario_reports_nothing() {
        let (_, p) = validate_release(&files(
            "name = \"child\"\nchecklist = \"general\"\nanswers = { age = \"yes\" }\nduties = [\"nrm\"]\n",
        ));
        assert!(p.is_empty(), "{p}");
    }

    #[test]
    fn a_failing_scenario_names_its_line_what_failed_and_the_rule() {
        let (_, p) = validate_release(&files(
            "# a comment\nname = \"adult\"\nchecklist = \"general\"\nanswers = { age = \"no\" }\nduties = [\"nrm\"]\nnot_prompts = [\"child\"]\n",
        ));
        let text = p.to_string();
        assert!(
            text.contains("scenarios/child.toml:2: scenario 'adult' fails: duty 'nrm' should follow but did not (its rules: checklists/general.toml:"),
            "{text}"
        );
        assert_eq!(p.len(), 1, "{text}");
    }

    #[test]
    fn a_scenario_with_a_structural_problem_is_not_run() {
        let (_, p) = validate_release(&files(
            "name = \"x\"\nchecklist = \"general\"\nanswers = { nobody = \"yes\" }\nduties = [\"nrm\"]\n",
        ));
        let text = p.to_string();
        assert!(text.contains("'nobody'"), "{text}");
        assert!(!text.contains("fails"), "{text}");
    }

    #[test]
    fn missing_provenance_and_bad_links_are_release_problems() {
        let mut f =
            files("name = \"child\"\nchecklist = \"general\"\nanswers = { age = \"yes\" }\n");
        for file in &mut f.files {
            if file.path == "checklists/general.toml" {
                file.bytes = CHECKLIST.as_bytes().to_vec();
            }
            if file.path == "duties.toml" {
                let text = String::from_utf8(file.bytes.clone()).unwrap();
                file.bytes = text
                    .replace("https://www.gov.uk/x", "http://www.gov.uk/x?utm_source=a")
                    .into_bytes();
            }
        }
        // Loading still works: these are release rules, not load rules.
        let (_, load) = crate::guidance::check(&f);
        assert!(load.is_empty(), "{load}");
        let (_, p) = validate_release(&f);
        let text = p.to_string();
        assert!(
            text.contains("checklists/general.toml:1: the file has no review date"),
            "{text}"
        );
        assert!(
            text.contains("checklists/general.toml:1: the file names no sources"),
            "{text}"
        );
        assert!(
            text.contains(
                "duties.toml:2: source link 'http://www.gov.uk/x?utm_source=a' is not https"
            ),
            "{text}"
        );
    }
}
