//! Runs every scenario in the bundled guidance (guidance/scenarios/*.toml) through the
//! engine, so a change to the guidance cannot silently break a safeguarding rule.

use msht::engine::{Answer, Session, run_scenario};
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

/// The mutation check: remove each trigger and each duty rule of the bundled guidance in
/// turn; at least one scenario must then fail. A rule no scenario notices is a rule nobody
/// has pinned, so a wrong edit to it would go unseen.
#[test]
fn every_trigger_and_duty_rule_is_pinned_by_a_scenario() {
    let g = guidance::load(None).expect("bundled guidance loads");
    let any_fails =
        |g: &guidance::Guidance| g.scenarios.iter().any(|s| !run_scenario(g, s).is_empty());
    let mut unpinned = Vec::new();
    for (ci, c) in g.checklists.iter().enumerate() {
        for (i, t) in c.triggers.iter().enumerate() {
            let mut m = g.clone();
            m.checklists[ci].triggers.remove(i);
            if !any_fails(&m) {
                unpinned.push(format!(
                    "trigger '{}' at {}:{}",
                    t.prompt, t.at.file, t.at.line
                ));
            }
        }
        for (i, d) in c.duties.iter().enumerate() {
            let mut m = g.clone();
            m.checklists[ci].duties.remove(i);
            if !any_fails(&m) {
                unpinned.push(format!(
                    "duty rule '{}' at {}:{}",
                    d.duty, d.at.file, d.at.line
                ));
            }
        }
    }
    assert!(
        unpinned.is_empty(),
        "no scenario fails when these rules are removed:\n{}",
        unpinned.join("\n")
    );
}

/// The questions that decide safety come in a fixed order in every checklist: the nation
/// first, then danger before age, and the controller and no-parental-responsibility
/// questions before the significant-harm question.
#[test]
fn safety_questions_come_in_order_in_every_checklist() {
    let g = guidance::load(None).unwrap();
    for c in &g.checklists {
        let flat = g.flattened(&c.id).unwrap();
        let pos = |q: &str| {
            flat.position(q)
                .unwrap_or_else(|| panic!("{} has no question {q}", c.id))
        };
        assert_eq!(pos("general_nation"), 0, "{}", c.id);
        assert_eq!(pos("general_danger"), 1, "{}", c.id);
        assert!(pos("general_danger") < pos("general_age"), "{}", c.id);
        assert!(
            pos("general_controller_present") < pos("general_child_harm"),
            "{}",
            c.id
        );
        assert!(
            pos("child_adult_no_pr") < pos("general_child_harm"),
            "{}",
            c.id
        );
        let danger = flat.questions[pos("general_danger")];
        assert!(
            danger.required,
            "the danger question cannot be passed silently"
        );
    }
}

/// Every checklist but the general one asks the child questions.
#[test]
fn every_type_checklist_includes_the_child_questions() {
    let g = guidance::load(None).unwrap();
    for c in g.checklists.iter().filter(|c| c.id != "general") {
        let flat = g.flattened(&c.id).unwrap();
        for q in ["child_missing", "child_cse", "child_arranged"] {
            assert!(flat.position(q).is_some(), "{} does not ask {q}", c.id);
        }
    }
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

/// Walks a checklist to the end, answering each asked question with `pick` (given the
/// question), and returns every piece of text the officer sees as a prompt or a duty.
fn walk_texts(
    g: &guidance::Guidance,
    checklist: &str,
    pick: &dyn Fn(&guidance::Question) -> Answer,
) -> Vec<String> {
    let mut s = Session::new(g, checklist).unwrap();
    let mut seen: Vec<String> = Vec::new();
    let mut show = |p: &guidance::WelfarePrompt| {
        seen.push(p.title.clone());
        seen.extend(p.actions.iter().cloned());
    };
    for p in s.raise_pending() {
        show(p);
    }
    while let Some(q) = s.next_question() {
        for p in s.answer(&q.id.clone(), pick(q)).unwrap() {
            show(p);
        }
    }
    for d in s.duties() {
        seen.push(d.duty.title.clone());
        seen.push(d.duty.next.clone());
        seen.extend(d.because.iter().cloned());
    }
    seen
}

/// A Welsh officer never sees England's law as their duty, and an English officer never
/// sees Wales's: for every checklist, answered many ways, no prompt or duty text names the
/// other nation's safeguarding law.
#[test]
fn each_nation_sees_only_its_own_safeguarding_law() {
    let g = guidance::load(None).unwrap();
    let england_only = ["s42", "Care Act", "s11", "(England"];
    let wales_only = [
        "Wales)",
        "SSWBA",
        "Well-being (Wales)",
        "Wales Safeguarding",
    ];
    let yes_no = [Answer::Yes, Answer::Unsure, Answer::No];
    for c in &g.checklists {
        for (nation, forbidden) in [("wales", &england_only), ("england", &wales_only)] {
            for age in &yes_no {
                for rest in &yes_no {
                    for consent in ["consents", "declines", "not_asked"] {
                        let pick = |q: &guidance::Question| match q.id.as_str() {
                            "general_nation" => Answer::Choice(nation.into()),
                            "general_age" => age.clone(),
                            "general_nrm_consent" => Answer::Choice(consent.into()),
                            "general_consent_alone"
                            | "general_consent_understood"
                            | "general_consent_explained" => Answer::Yes,
                            _ if q.kind == guidance::QuestionKind::YesNo => rest.clone(),
                            _ => Answer::Choice(q.choices[0].id.clone()),
                        };
                        for text in walk_texts(&g, &c.id, &pick) {
                            for f in forbidden.iter() {
                                assert!(
                                    !text.contains(f),
                                    "{} in {nation} (age {age:?}, others {rest:?}, {consent}) shows '{f}': {text}",
                                    c.id
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A possible child never gets a DtN and is never asked to consent, in any checklist,
/// however the other questions are answered; with signs of exploitation they always get
/// an NRM referral. "Possible child" is the age answer, the age re-check, or a sign.
#[test]
fn a_possible_child_never_gets_a_dtn_or_a_consent_question() {
    let g = guidance::load(None).unwrap();
    let ways: [(&str, &str, &str); 5] = [
        ("yes", "no", "no"),
        ("unsure", "no", "no"),
        ("skipped", "no", "no"),
        ("no", "unsure", "no"),
        ("no", "no", "yes"),
    ];
    for c in &g.checklists {
        for (age, recheck, child_sign) in ways {
            if child_sign == "yes"
                && g.flattened(&c.id)
                    .unwrap()
                    .position("sexual_child_signs")
                    .is_none()
            {
                continue;
            }
            for rest in [Answer::Yes, Answer::Unsure, Answer::No] {
                let mut s = Session::new(&g, &c.id).unwrap();
                s.raise_pending();
                while let Some(q) = s.next_question() {
                    let a = match q.id.as_str() {
                        "general_nation" => Answer::Choice("england".into()),
                        "general_age" => Answer::parse_for(q, age).unwrap(),
                        "general_age_recheck" => Answer::parse_for(q, recheck).unwrap(),
                        "sexual_child_signs" => Answer::parse_for(q, child_sign).unwrap(),
                        "general_nrm_consent" => panic!(
                            "{}: a possible child (age {age}, re-check {recheck}, sign {child_sign}) is asked to consent",
                            c.id
                        ),
                        _ if q.kind == guidance::QuestionKind::YesNo => rest.clone(),
                        _ => Answer::Choice(q.choices[0].id.clone()),
                    };
                    s.answer(&q.id.clone(), a).unwrap();
                }
                let duties: Vec<&str> = s.duties().iter().map(|d| d.duty.id.as_str()).collect();
                let case = format!(
                    "{} (age {age}, re-check {recheck}, sign {child_sign}, others {rest:?})",
                    c.id
                );
                assert!(!duties.contains(&"duty-to-notify"), "{case}: {duties:?}");
                assert!(
                    !duties.contains(&"nrm-consent-decision"),
                    "{case}: {duties:?}"
                );
                if rest == Answer::Yes {
                    assert!(duties.contains(&"nrm-referral"), "{case}: {duties:?}");
                    assert!(duties.contains(&"childrens-services"), "{case}: {duties:?}");
                }
            }
        }
    }
}

/// For an adult with signs of exploitation, a DtN follows only from a refusal asked alone,
/// understood and with the NRM explained; otherwise the consent decision stays open.
#[test]
fn a_dtn_follows_only_a_validly_asked_refusal() {
    let g = guidance::load(None).unwrap();
    for c in &g.checklists {
        for mask in 0..8u8 {
            let valid = mask == 7;
            let mut s = Session::new(&g, &c.id).unwrap();
            s.raise_pending();
            let mut consent_asked = false;
            while let Some(q) = s.next_question() {
                let bit = |n: u8| {
                    if mask & (1 << n) != 0 {
                        Answer::Yes
                    } else {
                        Answer::No
                    }
                };
                let a = match q.id.as_str() {
                    "general_nation" => Answer::Choice("wales".into()),
                    "general_age" | "general_age_recheck" | "sexual_child_signs" => Answer::No,
                    "general_care_needs" => Answer::No,
                    "general_consent_alone" => bit(0),
                    "general_consent_understood" => bit(1),
                    "general_consent_explained" => bit(2),
                    "general_nrm_consent" => {
                        consent_asked = true;
                        Answer::Choice("declines".into())
                    }
                    _ if q.kind == guidance::QuestionKind::YesNo => Answer::Yes,
                    _ => Answer::Choice(q.choices[0].id.clone()),
                };
                s.answer(&q.id.clone(), a).unwrap();
            }
            let duties: Vec<&str> = s.duties().iter().map(|d| d.duty.id.as_str()).collect();
            assert_eq!(consent_asked, valid, "{} mask {mask}", c.id);
            assert_eq!(
                duties.contains(&"duty-to-notify"),
                valid,
                "{} mask {mask}: {duties:?}",
                c.id
            );
            assert_eq!(
                duties.contains(&"nrm-consent-decision"),
                !valid,
                "{} mask {mask}: {duties:?}",
                c.id
            );
            assert!(
                s.raised().iter().any(|p| p
                    == if valid {
                        "adult-declines"
                    } else {
                        "consent-not-valid"
                    }),
                "{} mask {mask}: {:?}",
                c.id,
                s.raised()
            );
        }
    }
}
