//! Engine tests over a small in-memory guidance set, so they exercise the rules as data
//! and do not change when the bundled wording does.

use super::*;
use crate::guidance::GuidanceFiles;

const MANIFEST: &str = "version = \"t1\"\n[[areas]]\nid = \"safe\"\ntitle = \"Safe\"\n";
const TOPIC: &str = "+++\nid = \"kids\"\ntitle = \"Children\"\narea = \"safe\"\nreviewed = \"2026-11-30\"\nsources = [{ title = \"S\", url = \"https://x\" }]\n+++\n## First steps\nCall.\n";
const PROMPTS: &str = r#"
[[prompts]]
id = "child"
title = "Child"
urgency = "immediate"
actions = ["Call children's services."]
[[prompts]]
id = "medical"
title = "Medical"
urgency = "immediate"
actions = ["Ambulance."]
[[prompts]]
id = "record"
title = "Record"
urgency = "later"
actions = ["Write it down."]
"#;
const DUTIES: &str = r#"
[[duties]]
id = "nrm"
title = "NRM referral"
next = "Refer."
[[duties]]
id = "dtn"
title = "Duty to Notify"
next = "Notify."
"#;
const GENERAL: &str = r#"
id = "general"
title = "General"
[[questions]]
id = "age"
text = "Under 18?"
kind = "yes_no"
help = "If unsure, treat as a child."
indicator = true
weight = "high"
[[questions]]
id = "hurt"
text = "Injured?"
kind = "yes_no"
topic = "kids#first-steps"
indicator = true
[[questions]]
id = "consent"
text = "Consent?"
kind = "choice"
help = "Ask."
last = true
when = "age == no"
choices = [{ id = "consents", label = "Yes" }, { id = "declines", label = "No" }]
[[triggers]]
prompt = "child"
when = "age in [yes, unsure]"
[[triggers]]
prompt = "medical"
when = "hurt == yes"
[[triggers]]
prompt = "record"
when = "indicators >= 2"
[[duties]]
duty = "nrm"
when = "age in [yes, unsure]"
because = "Child: no consent needed."
[[duties]]
duty = "nrm"
when = "consent == consents"
because = "Adult consented."
[[duties]]
duty = "dtn"
when = "consent == declines"
because = "Adult declined."
"#;
const LABOUR: &str = r#"
id = "labour"
title = "Labour"
includes = ["general"]
[[questions]]
id = "wages"
text = "Wages withheld?"
kind = "yes_no"
help = "Ask."
"#;

fn guidance() -> Guidance {
    let files = GuidanceFiles::from_memory(&[
        ("manifest.toml", MANIFEST),
        ("topics/kids.md", TOPIC),
        ("prompts.toml", PROMPTS),
        ("duties.toml", DUTIES),
        ("checklists/general.toml", GENERAL),
        ("checklists/labour.toml", LABOUR),
    ]);
    Guidance::from_files(&files).unwrap()
}

fn ids<T>(items: &[T], f: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| f(i).to_string()).collect()
}

#[test]
fn follows_includes_then_own_questions() {
    let g = guidance();
    let s = Session::new(&g, "labour").unwrap();
    assert_eq!(
        ids(s.questions(), |q| &q.id),
        ["age", "hurt", "wages", "consent"],
        "a `last` question of an included checklist comes after the includer's own"
    );
    assert_eq!(s.next_question().unwrap().id, "age");
}

#[test]
fn condition_hides_consent_for_a_child_and_shows_it_for_an_adult() {
    let g = guidance();
    let mut child = Session::new(&g, "general").unwrap();
    child.answer("age", Answer::Yes).unwrap();
    child.answer("hurt", Answer::No).unwrap();
    assert!(
        child.next_question().is_none(),
        "consent is not asked of a child"
    );

    let mut adult = Session::new(&g, "general").unwrap();
    adult.answer("age", Answer::No).unwrap();
    adult.answer("hurt", Answer::No).unwrap();
    assert_eq!(adult.next_question().unwrap().id, "consent");
}

#[test]
fn each_trigger_fires_at_the_answer_that_meets_it_and_only_once() {
    let g = guidance();
    let mut s = Session::new(&g, "general").unwrap();
    assert!(s.raise_pending().is_empty());
    let raised = s.answer("age", Answer::Unsure).unwrap();
    assert_eq!(ids(&raised, |p| &p.id), ["child"]);
    let raised = s.answer("hurt", Answer::Yes).unwrap();
    assert_eq!(
        ids(&raised, |p| &p.id),
        ["medical", "record"],
        "two concerns now"
    );
    let raised = s.answer("hurt", Answer::Yes).unwrap();
    assert!(raised.is_empty(), "a prompt is raised once");
    assert_eq!(s.raised(), ["child", "medical", "record"]);
}

#[test]
fn child_gets_nrm_without_consent_and_never_duty_to_notify() {
    let g = guidance();
    let mut s = Session::new(&g, "general").unwrap();
    s.answer("age", Answer::Yes).unwrap();
    let duties = s.duties();
    assert_eq!(ids(&duties, |d| &d.duty.id), ["nrm"]);
    assert_eq!(duties[0].because, ["Child: no consent needed."]);
}

#[test]
fn adult_who_declines_gets_duty_to_notify_not_nrm() {
    let g = guidance();
    let mut s = Session::new(&g, "general").unwrap();
    s.answer("age", Answer::No).unwrap();
    s.answer("consent", Answer::Choice("declines".into()))
        .unwrap();
    assert_eq!(ids(&s.duties(), |d| &d.duty.id), ["dtn"]);
}

#[test]
fn going_back_and_changing_an_answer_re_evaluates_what_follows() {
    let g = guidance();
    let mut s = Session::new(&g, "general").unwrap();
    s.answer("age", Answer::No).unwrap();
    s.answer("hurt", Answer::No).unwrap();
    s.answer("consent", Answer::Choice("declines".into()))
        .unwrap();
    assert_eq!(s.previous_question(Some("consent")).unwrap().id, "hurt");
    // The officer learns the person is 16: the consent question and its duty fall away.
    s.answer("age", Answer::Yes).unwrap();
    assert!(!s.is_visible("consent"));
    assert_eq!(ids(&s.duties(), |d| &d.duty.id), ["nrm"]);
    assert!(s.effective_answers().iter().all(|(q, _)| q.id != "consent"));
}

#[test]
fn skipped_questions_count_as_answered_but_not_as_concerns() {
    let g = guidance();
    let mut s = Session::new(&g, "general").unwrap();
    s.answer("age", Answer::Skipped).unwrap();
    assert_eq!(s.next_question().unwrap().id, "hurt");
    assert!(s.indicators().is_empty());
    assert!(s.duties().is_empty());
}

#[test]
fn wrong_values_and_unknown_or_hidden_questions_are_refused() {
    let g = guidance();
    let mut s = Session::new(&g, "general").unwrap();
    assert!(matches!(
        s.answer("nope", Answer::Yes),
        Err(EngineError::UnknownQuestion { .. })
    ));
    assert!(matches!(
        s.answer("age", Answer::Choice("x".into())),
        Err(EngineError::BadValue(_))
    ));
    assert!(matches!(
        s.answer("consent", Answer::Choice("consents".into())),
        Err(EngineError::Hidden(_))
    ));
}

#[test]
fn restore_continues_where_the_draft_stopped() {
    let g = guidance();
    let s = Session::restore(
        &g,
        "labour",
        [("age".to_string(), Answer::Yes)],
        ["child".to_string()],
    )
    .unwrap();
    assert_eq!(s.next_question().unwrap().id, "hurt");
    let mut s = s;
    assert!(
        s.raise_pending().is_empty(),
        "the child prompt was already shown"
    );
}

/// Issue 12, defect 3: what follows is derived from the current answers, so an amendment
/// re-derives the duties and prompts, and says what it changed.
#[test]
fn an_amendment_rederives_duties_and_prompts_and_records_the_change() {
    use crate::record::{EncounterState, Event, EventBody, GENESIS_HASH, Status};
    let g = guidance();
    let bodies = vec![
        EventBody::Created {
            officer: "PC 1".into(),
            location: String::new(),
            checklist: "general".into(),
            checklist_title: "General".into(),
            guidance_version: "t1".into(),
            guidance_hash: g.hash.clone(),
        },
        EventBody::AnswerGiven {
            question: "age".into(),
            question_text: "Under 18?".into(),
            answer: Answer::Unsure,
        },
        EventBody::PromptRaised {
            prompt: "child".into(),
            title: "Child".into(),
            urgency: "immediate".into(),
        },
        EventBody::Completed {
            indicators: vec!["age".into()],
            duties: vec![],
        },
        EventBody::Amended {
            reason: "asked again".into(),
            question: Some("age".into()),
            answer: Some(Answer::No),
            note: None,
        },
        EventBody::Amended {
            reason: "asked".into(),
            question: Some("consent".into()),
            answer: Some(Answer::Choice("declines".into())),
            note: None,
        },
    ];
    let mut prev = GENESIS_HASH.to_string();
    let events: Vec<Event> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let e = Event::new(
                format!("e{i}"),
                "enc".into(),
                i as u32 + 1,
                format!("2026-11-30T10:00:0{i}Z"),
                "+00:00".into(),
                "dev".into(),
                prev.clone(),
                body,
            )
            .unwrap();
            prev = e.hash.clone();
            e
        })
        .collect();
    let mut s = EncounterState::from_events(&events).unwrap();
    assert_eq!(s.status, Status::Complete);
    derive(&g, &mut s).unwrap();
    assert_eq!(ids(&s.duties, |d| &d.id), ["dtn"]);
    let child = s.prompts.iter().find(|p| p.prompt == "child").unwrap();
    assert!(!child.follows, "no longer raised by the current answers");
    let first = s.amendments[0].duties_changed.as_ref().unwrap();
    assert_eq!(first.before, ["NRM referral"]);
    assert!(first.after.is_empty(), "{first:?}");
    let second = s.amendments[1].duties_changed.as_ref().unwrap();
    assert_eq!(second.after, ["Duty to Notify"]);
    assert_eq!(
        s.answers[1].question_text, "Consent?",
        "an amended question with no earlier answer reads as its text"
    );
}

#[test]
fn a_child_seen_at_the_premises_is_another_person_not_the_persons_age() {
    let g = crate::guidance::load(None).unwrap();
    let mut s = Session::new(&g, "sexual").unwrap();
    for (q, a) in [
        ("general_nation", "england"),
        ("general_danger", "no"),
        ("general_age", "no"),
        ("sexual_child_signs", "no"),
        ("sexual_other_child", "yes"),
    ] {
        let answer = s.parse_answer(q, a).unwrap();
        s.answer(q, answer).unwrap();
    }
    let others = s.others_raised();
    assert_eq!(others.len(), 1);
    assert_eq!(others[0].question.id, "sexual_other_child");
    assert_eq!(others[0].label, "possible child seen at the premises");
    assert!(s.other_raised_by("sexual_other_child").is_some());
    assert!(s.other_raised_by("general_age").is_none());
    let duties: Vec<_> = s.duties().iter().map(|d| d.duty.id.clone()).collect();
    assert!(
        !duties.iter().any(|d| d == "childrens-services"),
        "the adult's duties never take the other child as theirs: {duties:?}"
    );
    let triage: Vec<_> = s
        .triage_questions()
        .iter()
        .map(|q| q.triage.clone().unwrap())
        .collect();
    assert_eq!(triage, ["nation", "danger", "age", "injury", "interpreter"]);
}

/// Answers every asked question of `checklist` in order with `pick`, checking after each
/// answer that the resumed walk agrees with a walk from scratch: the same next question,
/// and no trigger that holds left unraised (a fresh session told what was raised finds
/// nothing more to raise).
fn agrees_with_a_fresh_walk(
    g: &Guidance,
    checklist: &str,
    pick: &dyn Fn(usize, &Question) -> Answer,
) {
    let mut s = Session::new(g, checklist).unwrap();
    s.raise_pending();
    let mut at = None;
    let mut n = 0;
    while let Some((i, q)) = s.asked_after(at) {
        at = Some(i);
        assert_eq!(
            s.next_question().map(|q| &q.id),
            Some(&q.id),
            "{checklist}: the resumed walk and a fresh walk disagree on the next question"
        );
        s.answer(&q.id, pick(n, q)).unwrap();
        n += 1;
        let answers: Vec<(String, Answer)> = s
            .questions()
            .iter()
            .filter_map(|q| s.answer_of(&q.id).map(|a| (q.id.clone(), a.clone())))
            .collect();
        let mut fresh = Session::restore(g, checklist, answers, s.raised().to_vec()).unwrap();
        let missed = fresh.raise_pending();
        assert!(
            missed.is_empty(),
            "{checklist} after {}: {:?} hold but were not raised",
            q.id,
            ids(&missed, |p| &p.id)
        );
    }
    assert!(s.next_question().is_none());
}

/// A possible answer of `q` chosen by `n` (so every kind of answer is met somewhere).
fn nth_answer(n: usize, q: &Question) -> Answer {
    let values: Vec<String> = match q.kind {
        crate::guidance::QuestionKind::YesNo => ["yes", "no", "unsure", "skipped"]
            .map(String::from)
            .to_vec(),
        crate::guidance::QuestionKind::Choice => q.choices.iter().map(|c| c.id.clone()).collect(),
        crate::guidance::QuestionKind::Text => vec!["some text".into()],
    };
    let v = &values[n % values.len().max(1)];
    Answer::parse_for(q, v).unwrap_or(Answer::Skipped)
}

#[test]
fn answering_in_order_raises_what_a_full_evaluation_raises() {
    let g = crate::guidance::load(None).unwrap();
    for c in &g.checklists {
        for shift in 0..4 {
            agrees_with_a_fresh_walk(&g, &c.id, &|n, q| nth_answer(n + shift, q));
        }
        agrees_with_a_fresh_walk(&g, &c.id, &|_, q| nth_answer(0, q));
        agrees_with_a_fresh_walk(&g, &c.id, &|n, q| nth_answer(n * 7 / 3, q));
    }
}

#[test]
fn changing_an_earlier_answer_after_answering_in_order_starts_the_walk_over() {
    let g = guidance();
    let mut s = Session::new(&g, "general").unwrap();
    assert_eq!(s.asked_after(None).map(|(i, _)| i), Some(0));
    s.answer("age", Answer::No).unwrap();
    assert_eq!(
        s.asked_after(Some(0)).map(|(_, q)| q.id.as_str()),
        Some("hurt")
    );
    s.answer("hurt", Answer::No).unwrap();
    assert_eq!(
        s.asked_after(Some(1)).map(|(_, q)| q.id.as_str()),
        Some("consent")
    );
    // Back to the first question: consent is no longer asked, and the walk knows it.
    let raised = s.answer("age", Answer::Yes).unwrap();
    assert_eq!(ids(&raised, |p| &p.id), ["child"]);
    assert!(s.asked_after(Some(1)).is_none());
    assert!(matches!(
        s.answer("consent", Answer::Choice("consents".into())),
        Err(EngineError::Hidden(_))
    ));
}
