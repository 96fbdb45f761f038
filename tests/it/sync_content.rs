//! `sync import` checks what a bundle says, not only that it is intact (issue 18): a
//! bundle whose content msht never writes is refused whole in one sentence naming the
//! encounter, with nothing written; an encounter an honest device could have written but
//! this hub cannot take as it is (a checklist its guidance lacks) is held for review.
//! Held and conflicting events are listed by `sync status` and only resolved copies are
//! removed by `sync prune --held`.

use std::path::{Path, PathBuf};

use crate::common::{created, enroll, files, open, push, run, run_ok};
use msht::record::{Event, EventBody, GENESIS_HASH, WelfareOutcome};
use serde_json::Value;

const ADULT: &str = r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"consents"}}"#;

struct Setup {
    _t: tempfile::TempDir,
    dev: PathBuf,
    hub: PathBuf,
    share: PathBuf,
}

fn setup() -> Setup {
    let t = tempfile::tempdir().unwrap();
    let (dev, hub, share) = (
        t.path().join("dev.db"),
        t.path().join("hub.db"),
        t.path().join("share"),
    );
    std::fs::create_dir(&share).unwrap();
    // The device database exists before it enrols.
    crate::common::record(&dev, ADULT);
    enroll(&hub, &[&dev]);
    Setup {
        _t: t,
        dev,
        hub,
        share,
    }
}

fn status(db: &Path) -> Value {
    serde_json::from_str(&run_ok(db, &["sync", "status", "--json"])).unwrap()
}

fn encounter_count(db: &Path) -> usize {
    let v: Value = serde_json::from_str(&run_ok(db, &["encounters", "list", "--json"])).unwrap();
    v.as_array().unwrap().len()
}

/// Plain bundle bytes of `events`, signed by `dev` and sealed to `hub`, written to `share`.
fn hand_bundle(s: &Setup, name: &str, events: &[Event]) -> PathBuf {
    let mut dev = open(&s.dev);
    let mut hub = open(&s.hub);
    let id = dev.device_id().to_string();
    let writer = msht::sync::bundle::Writer {
        device_id: &id,
        for_hub: None,
        bundle_seq: 1,
        created_at: "2026-12-02T10:00:00.000Z",
        local_seq: (1, events.len() as u64),
    };
    let (_, _, plain) = msht::sync::bundle::encode(&writer, events).unwrap();
    let p = s.share.join(name);
    std::fs::write(&p, crate::common::seal(&mut dev, &mut hub, &plain)).unwrap();
    p
}

fn one_line_without_controls(err: &str) {
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("msht: "), "{err}");
    assert!(!err.trim_end().chars().any(|c| c.is_control()), "{err:?}");
}

/// One event for a hand-made bundle, written by the setup's device.
fn event(s: &Setup, enc: &str, seq: u32, prev: &str, at: &str, body: EventBody) -> Event {
    Event::new(
        uuid::Uuid::now_v7().to_string(),
        enc.into(),
        seq,
        at.into(),
        "+00:00".into(),
        open(&s.dev).device_id().to_string(),
        prev.into(),
        body,
    )
    .unwrap()
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[test]
fn bad_content_refuses_the_bundle_whole_in_one_sentence() {
    let s = setup();
    let good = open(&s.dev)
        .record_encounter(
            created("PC 2"),
            vec![EventBody::NoteAdded { text: "x".into() }],
        )
        .unwrap();
    // An offset msht never writes, with hashes that verify.
    let bad = Event::new(
        new_id(),
        new_id(),
        1,
        "2026-12-02T10:00:00.000Z".into(),
        "+1:00".into(),
        good[0].device_id.clone(),
        GENESIS_HASH.into(),
        created("PC 2"),
    )
    .unwrap();
    let p = hand_bundle(&s, "mixed.mshtbundle", &[good, vec![bad.clone()]].concat());
    let out = run(&s.hub, &["sync", "import", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    one_line_without_controls(&err);
    assert!(
        err.contains("was refused and nothing from it was imported"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "encounter {}: event 1 has the UTC offset '+1:00', which is not an offset as msht writes it",
            bad.encounter_id
        )),
        "{err}"
    );
    // Nothing written: not the good encounter of the same bundle, no receipt, no record
    // of the bundle.
    assert_eq!(encounter_count(&s.hub), 0);
    assert!(files(&s.share, "mshtreceipt").is_empty());
    assert_eq!(status(&s.hub)["bundles_imported"], 0);
}

#[test]
fn content_msht_never_writes_is_refused_and_shown_escaped() {
    let s = setup();
    let start = |enc: &str, at: &str| event(&s, enc, 1, GENESIS_HASH, at, created("PC 3"));
    let cases = [
        (
            start(
                "\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}",
                "2026-12-02T10:00:00.000Z",
            ),
            "\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{202e}: its id is not a UUID",
        ),
        (
            start(&new_id(), "\rIntegrity: verified"),
            "event 1 is dated '\\u{d}Integrity: verified', which is not a UTC time",
        ),
    ];
    for (i, (e, says)) in cases.into_iter().enumerate() {
        let p = hand_bundle(&s, &format!("bad{i}.mshtbundle"), &[e]);
        let out = run(&s.hub, &["sync", "import", p.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(65));
        let err = String::from_utf8_lossy(&out.stderr);
        one_line_without_controls(&err);
        assert!(err.contains(says), "{err}");
    }
    assert_eq!(encounter_count(&s.hub), 0);
    assert!(files(&s.share, "mshtreceipt").is_empty());
}

#[test]
fn answers_and_actions_that_do_not_fit_are_held_for_review_and_shown_escaped() {
    let s = setup();
    let g = msht::guidance::load(None).unwrap();
    let created_here = EventBody::Created {
        officer: "PC 3".into(),
        location: "Mill Road".into(),
        checklist: "general".into(),
        checklist_title: "General".into(),
        guidance_version: g.version.clone(),
        guidance_hash: g.hash.clone(),
    };
    let two = |second: EventBody| {
        let enc = new_id();
        let first = event(
            &s,
            &enc,
            1,
            GENESIS_HASH,
            "2026-12-02T10:00:00.000Z",
            created_here.clone(),
        );
        let hash = first.hash.clone();
        vec![
            first,
            event(&s, &enc, 2, &hash, "2026-12-02T10:00:01.000Z", second),
        ]
    };
    let cases = [
        (
            two(EventBody::AnswerGiven {
                question: "general_danger".into(),
                question_text: "Is anyone in danger?".into(),
                answer: msht::record::Answer::Choice("\u{1b}[2Jengland".into()),
            }),
            "event 2 answers question 'general_danger' with '\\u{1b}[2Jengland', which is not a possible answer to a yes/no question",
        ),
        (
            two(EventBody::WelfareAction {
                prompt: "imminent-danger".into(),
                outcome: WelfareOutcome::Done,
                reason: String::new(),
            }),
            "event 2 records a welfare action for prompt 'imminent-danger', which was never raised in it",
        ),
    ];
    for (i, (events, says)) in cases.into_iter().enumerate() {
        let enc = events[0].encounter_id.clone();
        let p = hand_bundle(&s, &format!("odd{i}.mshtbundle"), &events);
        let out = run(&s.hub, &["sync", "import", p.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        one_line_without_controls(&err);
        assert!(
            err.contains(&format!(
                "encounter {enc} was held for review, not imported (2 events): {says}"
            )),
            "{err}"
        );
        assert!(open(&s.hub).events(&enc).unwrap().is_empty());
    }
    let st = status(&s.hub);
    assert_eq!(st["held"].as_array().unwrap().len(), 2, "{st}");
    assert_eq!(st["held_events"], 4, "{st}");
}

#[test]
fn an_encounter_the_guidance_lacks_is_held_for_review_not_acknowledged() {
    let s = setup();
    let good = crate::common::record(&s.dev, ADULT);
    let odd = {
        let mut body = created("PC 4");
        if let EventBody::Created { checklist, .. } = &mut body {
            *checklist = "wales-pilot".into();
        }
        open(&s.dev)
            .record_encounter(
                body,
                vec![
                    EventBody::NoteAdded { text: "x".into() },
                    EventBody::Completed {
                        indicators: vec![],
                        duties: vec![],
                    },
                ],
            )
            .unwrap()
    };
    let odd_id = odd[0].encounter_id.clone();
    push(&s.dev, &s.share);
    let out = run(&s.hub, &["sync", "import", s.share.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "encounter {odd_id} was held for review, not imported (3 events)"
        )),
        "{err}"
    );
    assert!(err.contains("checklist 'wales-pilot'"), "{err}");
    // The rest went in; the odd one is listed with its reason, not in the record.
    assert_eq!(encounter_count(&s.hub), 2);
    let st = status(&s.hub);
    let held = st["held"].as_array().unwrap();
    assert_eq!(held.len(), 1, "{st}");
    assert_eq!(held[0]["encounter_id"], odd_id.as_str());
    assert_eq!(held[0]["kind"], "review");
    assert_eq!(held[0]["events"], 3);
    let text = run_ok(&s.hub, &["sync", "status"]);
    assert!(
        text.contains(&format!("{odd_id}: 3 event(s) held for review")),
        "{text}"
    );
    // Not acknowledged: the device keeps it pending, never prunes it, and says why.
    let out = run(&s.dev, &["sync", "push", "--to", s.share.to_str().unwrap()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    one_line_without_controls(&err);
    assert!(
        err.contains(&format!(
            "the hub holds encounter {odd_id} for review, so it stays pending here and is not pruned: it was recorded with checklist 'wales-pilot'"
        )),
        "{err}"
    );
    let out = run_ok(&s.dev, &["sync", "prune"]);
    assert!(out.contains(&good), "{out}");
    assert!(!out.contains(&odd_id), "{out}");
    assert_eq!(open(&s.dev).events(&odd_id).unwrap(), odd);
    // Only copy of something unresolved: `--held` keeps it.
    let out = run_ok(&s.hub, &["sync", "prune", "--held"]);
    assert!(out.contains("Removed 0"), "{out}");
    assert_eq!(status(&s.hub)["held"].as_array().unwrap().len(), 1);
    // A later tail of that encounter cannot join past the review.
    let tail = open(&s.dev)
        .append(
            &odd_id,
            EventBody::Voided {
                reason: "dup".into(),
            },
        )
        .unwrap();
    let p = hand_bundle(&s, "tail.mshtbundle", &[tail]);
    run_ok(&s.hub, &["sync", "import", p.to_str().unwrap()]);
    assert!(open(&s.hub).events(&odd_id).unwrap().is_empty());
}

#[test]
fn held_and_conflicting_events_are_listed_and_only_resolved_copies_pruned() {
    let s = setup();
    let notes = (1..=3)
        .map(|i| EventBody::NoteAdded {
            text: format!("note {i}"),
        })
        .collect();
    let chain = open(&s.dev)
        .record_encounter(created("PC 5"), notes)
        .unwrap();
    let enc = chain[0].encounter_id.clone();
    let import = |p: &Path| run(&s.hub, &["sync", "import", p.to_str().unwrap()]);
    // The tail arrives first: held, waiting for event 1.
    import(&hand_bundle(&s, "a-tail.mshtbundle", &chain[2..]));
    let st = status(&s.hub);
    let held = st["held"].as_array().unwrap();
    assert_eq!(held.len(), 1, "{st}");
    assert_eq!(held[0]["kind"], "waiting");
    assert_eq!(held[0]["events"], 2);
    assert!(
        held[0]["reason"]
            .as_str()
            .unwrap()
            .contains("event 1 of the encounter"),
        "{st}"
    );
    // The only copy of those events: `--held` removes nothing, dry run or not.
    for args in [
        &["sync", "prune", "--held", "--dry-run"][..],
        &["sync", "prune", "--held"],
    ] {
        let out = run_ok(&s.hub, args);
        assert!(out.contains("0 resolved"), "{out}");
        assert!(
            out.contains(&format!("{enc}: 2 event(s) held: waiting")),
            "{out}"
        );
    }
    assert_eq!(status(&s.hub)["held_events"], 2);
    // The start arrives: the import joins the held tail and drops the held copies.
    import(&hand_bundle(&s, "b-start.mshtbundle", &chain[..2]));
    assert_eq!(open(&s.hub).events(&enc).unwrap(), chain);
    assert_eq!(status(&s.hub)["held"].as_array().unwrap().len(), 0);
    // A conflicting version of event 2 (same id, other content): refused, kept, listed.
    let mut forged = chain[1].clone();
    forged = Event::new(
        forged.id,
        forged.encounter_id,
        2,
        forged.at,
        forged.offset,
        forged.device_id,
        forged.prev_hash,
        EventBody::NoteAdded {
            text: "rewritten".into(),
        },
    )
    .unwrap();
    let out = import(&hand_bundle(&s, "c-forged.mshtbundle", &[forged]));
    assert_eq!(out.status.code(), Some(65));
    // A copy the record holds identically (a held copy left behind, as by an older msht):
    // resolved, so `--held` removes it; the conflict is the only copy and stays.
    {
        let c = crate::common::raw_connection(&s.hub);
        c.execute(
            "INSERT INTO sync_held (event_id, encounter_id, seq, hash, event, bundle_sha256, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'x', 'x')",
            rusqlite::params![
                chain[3].id,
                enc,
                4,
                chain[3].hash,
                serde_json::to_string(&chain[3]).unwrap()
            ],
        )
        .unwrap();
    }
    let text = run_ok(&s.hub, &["sync", "status"]);
    assert!(
        text.contains("2 event(s) of 1 encounter(s), 1 of them resolved"),
        "{text}"
    );
    assert!(text.contains("event(s) refused as conflicting"), "{text}");
    let out = run_ok(&s.hub, &["sync", "prune", "--held", "--dry-run"]);
    assert!(out.contains("Would remove 1 resolved"), "{out}");
    assert_eq!(status(&s.hub)["held_events"], 1);
    let out = run_ok(&s.hub, &["sync", "prune", "--held"]);
    assert!(out.contains("Removed 1 resolved"), "{out}");
    assert!(
        out.contains(&format!("{enc}: 1 event(s) refused as conflicting")),
        "{out}"
    );
    let st = status(&s.hub);
    assert_eq!(
        (st["held_events"].as_u64(), st["conflicts"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        open(&s.hub).events(&enc).unwrap(),
        chain,
        "the record is untouched"
    );
}

#[test]
fn a_bad_tail_sent_before_its_start_is_judged_with_the_start() {
    let s = setup();
    let chain = open(&s.dev)
        .record_encounter(
            created("PC 6"),
            vec![
                EventBody::NoteAdded { text: "x".into() },
                EventBody::WelfareAction {
                    prompt: "imminent-danger".into(),
                    outcome: WelfareOutcome::Done,
                    reason: String::new(),
                },
            ],
        )
        .unwrap();
    let enc = chain[0].encounter_id.clone();
    let import = |p: &Path| run(&s.hub, &["sync", "import", p.to_str().unwrap()]);
    // Alone, the tail cannot be judged: it waits for its start.
    let out = import(&hand_bundle(&s, "a-tail.mshtbundle", &chain[2..]));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    // The start brings it to account, as if both had come in one bundle: the encounter
    // is held for review, nothing of it joins the record.
    let out = import(&hand_bundle(&s, "b-start.mshtbundle", &chain[..2]));
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    one_line_without_controls(&err);
    assert!(
        err.contains(&format!(
            "encounter {enc} was held for review, not imported (2 events): event 3 records a welfare action"
        )),
        "{err}"
    );
    assert!(open(&s.hub).events(&enc).unwrap().is_empty());
    let kinds: Vec<Value> = status(&s.hub)["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["kind"].clone())
        .collect();
    assert_eq!(kinds, vec![Value::from("waiting"), Value::from("review")]);
}
