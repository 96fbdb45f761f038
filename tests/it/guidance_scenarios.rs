//! Runs every scenario in the bundled guidance (guidance/scenarios/*.toml) through the
//! engine, so a change to the guidance cannot silently break a safeguarding rule.

use msht::engine::run_scenario;
use msht::guidance;

#[test]
fn every_bundled_scenario_holds() {
    let g = guidance::load(None).expect("bundled guidance loads");
    assert!(
        !g.scenarios.is_empty(),
        "the bundled guidance has scenarios"
    );
    let mut failures = Vec::new();
    for s in &g.scenarios {
        for f in run_scenario(&g, s) {
            failures.push(format!("{} ({}:{}): {f}", s.name, s.at.file, s.at.line));
        }
    }
    assert!(
        failures.is_empty(),
        "scenario failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_scenario_fails_when_its_rule_is_removed() {
    // Drop the child NRM rule from the general checklist: the child scenario must catch it.
    let mut g = guidance::load(None).unwrap();
    let general = g.checklists.iter_mut().find(|c| c.id == "general").unwrap();
    general
        .duties
        .retain(|d| !(d.duty == "nrm-referral" && d.when.questions() == ["general_age"]));
    let child = g
        .scenarios
        .iter()
        .find(|s| {
            s.answers
                .iter()
                .any(|(q, v)| q == "general_age" && v != "no")
        })
        .expect("a child scenario exists");
    let failures = run_scenario(&g, child);
    assert!(
        failures.iter().any(|f| f.contains("nrm-referral")),
        "{failures:?}"
    );
}

#[test]
fn a_scenario_fails_when_a_question_it_says_is_not_asked_is_asked() {
    let mut g = guidance::load(None).unwrap();
    let s = g
        .scenarios
        .iter_mut()
        .find(|s| !s.not_asked.is_empty())
        .expect("a scenario pins a hidden question");
    // The age question is always asked, so claiming otherwise must fail.
    s.not_asked.push("general_age".into());
    let s = s.clone();
    let failures = run_scenario(&g, &s);
    assert!(
        failures.iter().any(|f| f.contains("general_age")),
        "{failures:?}"
    );
}
