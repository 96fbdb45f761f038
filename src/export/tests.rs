//! Tests of the pure renderers on fixed fixtures: JSON against the published schema,
//! Markdown and CSV snapshots, 80 columns, and the Duty to Notify copy.

use super::fixtures::{self, IDENTIFYING};
use super::*;
use crate::fault::Fault;
use crate::record::Event;

fn record(events: &[Event]) -> ExportRecord<'static> {
    let state = verified_state("test", events).unwrap();
    let g = crate::guidance::load(None).unwrap();
    // The fixture's hash is not the bundled guidance's, so labels stay empty: choice ids
    // are shown as recorded.
    build_record(
        events,
        &state,
        &Labels::for_encounter(&g, &state.guidance_hash),
    )
    .into_owned()
}

pub(crate) fn schema_errors(value: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(JSON_SCHEMA).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    v.iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn json_value(rec: &ExportRecord) -> serde_json::Value {
    serde_json::from_str(&to_json(rec)).unwrap()
}

#[test]
fn every_fixture_validates_against_the_schema() {
    for events in [
        fixtures::adult_declines(),
        fixtures::child(),
        fixtures::voided(),
    ] {
        let rec = record(&events);
        let errs = schema_errors(&json_value(&rec));
        assert!(errs.is_empty(), "{errs:#?}");
        let line: serde_json::Value = serde_json::from_str(&to_json_line(&rec)).unwrap();
        assert_eq!(line, json_value(&rec));
        assert!(!to_json_line(&rec).contains('\n'));
    }
    let dtn = anonymise(record(&fixtures::adult_declines())).unwrap();
    let errs = schema_errors(&json_value(&dtn));
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn schema_rejects_a_dtn_copy_that_keeps_the_location() {
    let mut dtn = anonymise(record(&fixtures::adult_declines())).unwrap();
    dtn.location = Some("14 Acacia Avenue".into());
    assert!(!schema_errors(&json_value(&dtn)).is_empty());
}

#[test]
fn json_holds_every_event_in_order_and_the_chain_rechecks() {
    let events = fixtures::adult_declines();
    let v = json_value(&record(&events));
    let out: Vec<Event> = serde_json::from_value(v["events"].clone()).unwrap();
    assert_eq!(out, events);
    crate::record::EncounterState::verify(&out).unwrap();
    assert_eq!(v["event_count"], events.len());
    assert_eq!(v["head_hash"], events.last().unwrap().hash.as_str());
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["guidance"]["version"], "2026.11.0-starter");
    assert_eq!(v["created"]["local"], "2026-06-30T15:04:00+01:00");
}

#[test]
fn json_keeps_earlier_answers_amendments_and_welfare_actions() {
    let v = json_value(&record(&fixtures::adult_declines()));
    let docs = v["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "general_documents")
        .unwrap();
    assert_eq!(docs["answer"]["kind"], "no");
    assert_eq!(docs["earlier"][0]["answer"]["kind"], "yes");
    let debt = v["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "general_debt")
        .unwrap();
    assert_eq!(debt["amended"], true);
    assert_eq!(debt["earlier"][0]["answer"]["kind"], "unsure");
    assert!(
        v["amendments"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("Rechecked")
    );
    let declines = &v["welfare_prompts"][1];
    assert_eq!(declines["outcome"], "not_possible");
    assert!(declines["action_at"]["utc"].is_string());
    assert_eq!(v["duties"][0]["id"], "duty-to-notify");
}

#[test]
fn markdown_snapshot_adult() {
    insta::assert_snapshot!(
        "adult_md",
        to_markdown(&record(&fixtures::adult_declines()))
    );
}

#[test]
fn markdown_snapshot_child() {
    insta::assert_snapshot!("child_md", to_markdown(&record(&fixtures::child())));
}

#[test]
fn markdown_snapshot_dtn() {
    let dtn = anonymise(record(&fixtures::adult_declines())).unwrap();
    insta::assert_snapshot!("dtn_md", to_markdown(&dtn));
}

fn csv_text(recs: &[ExportRecord]) -> String {
    let mut sink = CsvSink::new(Vec::new()).unwrap();
    for r in recs {
        sink.write(r).unwrap();
    }
    String::from_utf8(sink.finish().unwrap()).unwrap()
}

#[test]
fn csv_snapshot() {
    let recs = [
        record(&fixtures::adult_declines()),
        record(&fixtures::child()),
    ];
    insta::assert_snapshot!("fixtures_csv", csv_text(&recs));
}

#[test]
fn csv_parses_back_to_the_same_values() {
    let recs = [
        record(&fixtures::adult_declines()),
        record(&fixtures::voided()),
    ];
    let text = csv_text(&recs);
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    let mut rd = ::csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, CSV_COLUMNS);
    let rows: Vec<::csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    for (row, rec) in rows.iter().zip(&recs) {
        let back: Vec<String> = row.iter().map(String::from).collect();
        assert_eq!(back, csv_row(rec));
    }
    // A note with quotes and a line break survives quoting.
    assert!(rows[0][19].contains("\"the boss\""));
    assert_eq!(&rows[1][1], "void");
    assert_eq!(&rows[1][21], "Duplicate of another record");
}

#[test]
fn markdown_fits_80_columns_and_ends_with_the_integrity_line() {
    let events = fixtures::adult_declines();
    let rec = record(&events);
    for md in [
        to_markdown(&rec),
        to_markdown(&anonymise(rec.clone()).unwrap()),
    ] {
        for l in md.lines() {
            assert!(
                console::measure_text_width(l) <= 80,
                "{} columns: {l}",
                l.len()
            );
        }
        let tail: Vec<&str> = md.lines().rev().take(2).collect();
        assert_eq!(
            tail[0],
            format!("head hash {}", events.last().unwrap().hash)
        );
        assert!(tail[1].contains(fixtures::ADULT_ID), "{}", tail[1]);
        assert!(tail[1].contains(&format!("{} events", events.len())));
    }
}

#[test]
fn markdown_has_every_answered_question() {
    let rec = record(&fixtures::adult_declines());
    let md = to_markdown(&rec);
    // Wrapping may break a long question, so compare with whitespace folded.
    let flat = md.split_whitespace().collect::<Vec<_>>().join(" ");
    for a in &rec.answers {
        let q = a
            .question_text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains(&q), "missing: {q}");
    }
    assert!(flat.contains("Location: Sparkle car wash"));
}

#[test]
fn markdown_says_not_recorded_for_unknown_fields() {
    let events = fixtures::chain(
        "01937c2e-0000-7000-8000-00000000d001",
        vec![crate::record::EventBody::Created {
            officer: String::new(),
            location: String::new(),
            checklist: "general".into(),
            checklist_title: "General screen".into(),
            guidance_version: "v".into(),
            guidance_hash: "h".into(),
        }],
    );
    let md = to_markdown(&record(&events));
    for field in [
        "Officer (first responder): not recorded",
        "Location: not recorded",
        "Age: not recorded",
        "Consent to an NRM referral: not recorded",
    ] {
        assert!(md.contains(field), "{field}\n{md}");
    }
}

#[test]
fn dtn_keeps_no_identifying_detail_in_any_format() {
    let dtn = anonymise(record(&fixtures::adult_declines())).unwrap();
    let outputs = [
        to_json(&dtn),
        to_json_line(&dtn),
        to_markdown(&dtn),
        csv_text(std::slice::from_ref(&dtn)),
    ];
    for out in &outputs {
        for id in IDENTIFYING {
            assert!(!out.contains(id), "'{id}' survived:\n{out}");
        }
    }
    // The officer is told what was left out.
    assert!(dtn.left_out.iter().any(|l| l.contains("location")));
    assert!(dtn.left_out.iter().any(|l| l.contains("note")));
    assert!(dtn.left_out.iter().any(|l| l.contains("general_who")));
    assert!(dtn.left_out.iter().any(|l| l.contains("welfare")));
    assert!(dtn.left_out.iter().any(|l| l.contains("amendments")));
    // What the notification needs is still there.
    assert_eq!(dtn.indicators.len(), 3);
    assert_eq!(dtn.duties[0].id, "duty-to-notify");
    assert_eq!(
        dtn.head_hash,
        fixtures::adult_declines().last().unwrap().hash
    );
}

#[test]
fn dtn_is_refused_when_a_later_answer_says_the_adult_may_be_a_child() {
    for q in crate::guidance::ids::AGE_DOUBT_QUESTIONS {
        let mut bodies: Vec<_> = fixtures::adult_declines()
            .into_iter()
            .map(|e| e.body)
            .collect();
        let at = bodies.len() - 1;
        bodies.insert(
            at,
            crate::record::EventBody::AnswerGiven {
                question: q.into(),
                question_text: "Might they be under 18 after all?".into(),
                answer: crate::engine::Answer::Unsure,
            },
        );
        let doubt = fixtures::chain(fixtures::ADULT_ID, bodies);
        let err = anonymise(record(&doubt)).unwrap_err();
        assert!(matches!(err, ExportError::ChildDtn(_)), "{q}: {err}");
        let md = to_markdown(&record(&doubt));
        assert!(
            md.contains("A Duty to Notify is never used"),
            "{q}: the referral copy treats them as a child"
        );
    }
}

#[test]
fn dtn_is_refused_for_a_child_or_an_unknown_age() {
    let err = anonymise(record(&fixtures::child())).unwrap_err();
    assert!(matches!(err, ExportError::ChildDtn(_)));
    assert_eq!(err.fault(), Fault::BadData);
    assert!(err.to_string().contains("NRM referral"));

    let mut bodies: Vec<_> = fixtures::adult_declines()
        .into_iter()
        .map(|e| e.body)
        .collect();
    bodies.retain(|b| {
        !matches!(b, crate::record::EventBody::AnswerGiven { question, .. } if question == AGE_QUESTION)
    });
    let no_age = fixtures::chain(fixtures::ADULT_ID, bodies);
    let err = anonymise(record(&no_age)).unwrap_err();
    assert!(matches!(err, ExportError::AgeUnknownDtn(_)));
    assert_eq!(err.fault(), Fault::BadData);
}

#[test]
fn void_is_marked_in_every_format() {
    let rec = record(&fixtures::voided());
    assert!(to_markdown(&rec).contains("VOID"));
    let v = json_value(&rec);
    assert_eq!(v["status"], "void");
    assert_eq!(v["void"]["voided"], true);
    assert!(csv_text(&[rec]).contains(",void,"));
}

#[test]
fn a_broken_chain_is_not_exported() {
    let mut events = fixtures::adult_declines();
    events[3].body = crate::record::EventBody::NoteAdded {
        text: "changed".into(),
    };
    let err = verified_state("x", &events).unwrap_err();
    assert!(matches!(err, ExportError::Chain(..)));
    assert!(verified_state("x", &[]).is_err());
}
