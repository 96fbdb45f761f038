//! Unit tests of the store against real SQLite files in temporary folders.

use super::*;
use crate::fault::Fault;
use crate::record::Answer;
use crate::record::{
    DutySnapshot, EncounterState, EventBody, GENESIS_HASH, Status, WelfareOutcome,
};

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("msht.db");
    (dir, path)
}

fn created(officer: &str) -> EventBody {
    EventBody::Created {
        officer: officer.into(),
        location: "car wash".into(),
        checklist: "general".into(),
        checklist_title: "General".into(),
        guidance_version: "1".into(),
        guidance_hash: "abc".into(),
    }
}

fn answer(q: &str, a: Answer) -> EventBody {
    EventBody::AnswerGiven {
        question: q.into(),
        question_text: q.to_uppercase(),
        answer: a,
    }
}

fn completed() -> EventBody {
    EventBody::Completed {
        indicators: vec!["age".into()],
        duties: vec![DutySnapshot {
            id: "nrm".into(),
            title: "NRM".into(),
        }],
    }
}

fn amend(reason: &str) -> EventBody {
    EventBody::Amended {
        reason: reason.into(),
        question: Some("age".into()),
        answer: Some(Answer::Unsure),
        note: None,
    }
}

fn sql(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

#[test]
fn opens_new_database_owner_only_with_stable_device_id() {
    let (_d, path) = tmp();
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let dev = s.device_id().to_string();
    assert_eq!(dev.len(), 36);
    drop(s);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.device_id(), dev, "device id is created once");
    assert_eq!(s.integrity_check().unwrap(), vec!["ok".to_string()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn appends_chain_and_replays() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let c = s.create_encounter(created("PC 1")).unwrap();
    assert_eq!(c.seq, 1);
    assert_eq!(c.prev_hash, GENESIS_HASH);
    assert!(c.at.ends_with('Z') && c.at.len() == 24, "{}", c.at);
    assert_eq!(c.offset.len(), 6, "{}", c.offset);
    let a = s
        .append(&c.encounter_id, answer("age", Answer::Yes))
        .unwrap();
    assert_eq!((a.seq, a.prev_hash.as_str()), (2, c.hash.as_str()));
    s.append(
        &c.encounter_id,
        EventBody::PromptRaised {
            prompt: "medical".into(),
            title: "Medical".into(),
            urgency: "urgent".into(),
        },
    )
    .unwrap();
    s.append(
        &c.encounter_id,
        EventBody::WelfareAction {
            prompt: "medical".into(),
            outcome: WelfareOutcome::Done,
            reason: String::new(),
        },
    )
    .unwrap();
    s.append(&c.encounter_id, completed()).unwrap();
    s.append(&c.encounter_id, amend("misheard")).unwrap();
    let events = s.events(&c.encounter_id).unwrap();
    assert_eq!(events.len(), 6);
    EncounterState::verify(&events).unwrap();
    let st = s.encounter(&c.encounter_id).unwrap();
    assert_eq!(st.status, Status::Complete);
    assert_eq!(st.answers[0].answer, Answer::Unsure);
    assert_eq!(st.device_id, s.device_id());
    let l = s.list(&ListFilter::default()).unwrap();
    assert_eq!(l[0].event_count, 6);
    assert_eq!(l[0].status, Status::Complete);
}

#[test]
fn enforces_the_rules() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let id = s.create_encounter(created("PC 1")).unwrap().encounter_id;
    assert!(matches!(
        s.append(&id, amend("x")),
        Err(StoreError::NotComplete { .. })
    ));
    assert!(matches!(
        s.append(&id, created("x")),
        Err(StoreError::BadEvent(_))
    ));
    s.append(&id, completed()).unwrap();
    assert!(matches!(
        s.append(&id, answer("age", Answer::No)),
        Err(StoreError::NotDraft { .. })
    ));
    assert!(matches!(
        s.append(&id, completed()),
        Err(StoreError::NotDraft { .. })
    ));
    assert!(matches!(
        s.append(&id, amend("  ")),
        Err(StoreError::ReasonRequired { .. })
    ));
    assert!(matches!(
        s.append(&id, EventBody::Voided { reason: "".into() }),
        Err(StoreError::ReasonRequired { .. })
    ));
    s.append(
        &id,
        EventBody::Voided {
            reason: "dup".into(),
        },
    )
    .unwrap();
    assert!(matches!(
        s.append(
            &id,
            EventBody::Voided {
                reason: "again".into()
            }
        ),
        Err(StoreError::AlreadyVoid { .. })
    ));
    assert!(matches!(
        s.append(&id, EventBody::NoteAdded { text: "n".into() }),
        Err(StoreError::NotDraft { .. })
    ));
    assert_eq!(
        s.events(&id).unwrap().len(),
        3,
        "refused events are not stored"
    );
    assert!(matches!(
        s.append("nope", EventBody::NoteAdded { text: "n".into() }),
        Err(StoreError::NotFound { .. })
    ));
    for e in [
        StoreError::NotComplete {
            id: "x".into(),
            status: Status::Draft,
        },
        StoreError::AlreadyVoid { id: "x".into() },
    ] {
        assert_eq!(e.fault(), Fault::BadData);
    }
}

#[test]
fn record_encounter_is_all_or_nothing() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let bad = s.record_encounter(
        created("PC 1"),
        vec![answer("age", Answer::Yes), amend("not yet complete")],
    );
    assert!(bad.is_err());
    assert_eq!(s.count().unwrap(), 0);
    let n: i64 = sql(&path)
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0, "no event of a refused encounter is kept");
    let ok = s
        .record_encounter(
            created("PC 1"),
            vec![answer("age", Answer::Yes), completed()],
        )
        .unwrap();
    assert_eq!(ok.len(), 3);
    let st = s.encounter(&ok[0].encounter_id).unwrap();
    assert_eq!(st.status, Status::Complete);
    assert!(matches!(
        s.record_encounter(answer("a", Answer::No), vec![]),
        Err(StoreError::BadEvent(_))
    ));
}

#[test]
fn resolves_prefixes_and_suggests_near_ids() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let a = s.create_encounter(created("a")).unwrap().encounter_id;
    let b = s.create_encounter(created("b")).unwrap().encounter_id;
    assert_eq!(s.resolve_id(&a).unwrap(), a);
    assert_eq!(s.resolve_id(&a.to_uppercase()).unwrap(), a);
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    assert_eq!(s.resolve_id(&a[..common + 1]).unwrap(), a);
    match s.resolve_id(&a[..common]) {
        Err(StoreError::Ambiguous { matches, .. }) => assert_eq!(matches.len(), 2),
        other => panic!("{other:?}"),
    }
    let mut typo: Vec<char> = a[..8].chars().collect();
    typo[7] = if typo[7] == '0' { '1' } else { '0' };
    let typo: String = typo.into_iter().collect();
    if !b.starts_with(&typo) {
        match s.resolve_id(&typo) {
            Err(e @ StoreError::NotFound { .. }) => {
                assert_eq!(e.fault(), Fault::Missing);
                let StoreError::NotFound { nearest, .. } = &e else {
                    unreachable!()
                };
                assert!(nearest.contains(&a), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        s.resolve_id("zzz; drop table events"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(s.resolve_id(""), Err(StoreError::NotFound { .. })));
}

#[test]
fn lists_newest_first_with_filters_and_paging() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let id = s
            .create_encounter(created(&format!("PC {i}")))
            .unwrap()
            .encounter_id;
        ids.push(id);
    }
    s.append(&ids[1], completed()).unwrap();
    s.append(
        &ids[3],
        EventBody::Voided {
            reason: "dup".into(),
        },
    )
    .unwrap();
    let all = s.list(&ListFilter::default()).unwrap();
    let got: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    let want: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
    assert_eq!(got, want);
    let drafts = s
        .list(&ListFilter {
            status: Some(Status::Draft),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(drafts.len(), 3);
    let page = s
        .list(&ListFilter {
            limit: Some(2),
            offset: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page[0].id, ids[3]);
    assert_eq!(page.len(), 2);
    let future = s
        .list(&ListFilter {
            since: Some("2999-01-01".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(future.is_empty());
    let past = s
        .list(&ListFilter {
            since: Some("2000-01-01T00:00:00Z".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(past.len(), 5);
    assert!(matches!(
        s.list(&ListFilter {
            since: Some("yesterday-ish".into()),
            ..Default::default()
        }),
        Err(StoreError::BadDate(_))
    ));
    assert_eq!(s.last_officer().unwrap().as_deref(), Some("PC 4"));

    let mut seen = Vec::new();
    s.for_each_encounter(&ListFilter::default(), &mut |events| {
        seen.push(events[0].encounter_id.clone());
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, ids, "oldest first");
    assert!(s.verify_all().unwrap().is_clean());
}

#[test]
fn tampering_is_named() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let id = s.create_encounter(created("PC 1")).unwrap().encounter_id;
    let e2 = s.append(&id, answer("age", Answer::No)).unwrap();
    s.append(&id, answer("hurt", Answer::No)).unwrap();
    let c = sql(&path);
    assert!(
        c.execute("UPDATE events SET body = '{}' WHERE id = ?1", [&e2.id])
            .is_err(),
        "the trigger refuses in-place updates"
    );
    c.execute_batch("DROP TRIGGER events_append_only").unwrap();
    let body = serde_json::to_string(&answer("age", Answer::Yes)).unwrap();
    c.execute("UPDATE events SET body = ?1 WHERE id = ?2", [&body, &e2.id])
        .unwrap();
    match s.encounter(&id) {
        Err(StoreError::Tampered(b)) => {
            assert_eq!((b.encounter_id.as_str(), b.seq), (id.as_str(), 2));
            assert_eq!(b.event_id, e2.id);
        }
        other => panic!("{other:?}"),
    }
    let breaks = s.verify_all().unwrap().breaks;
    assert_eq!(breaks.len(), 1);
    assert_eq!(breaks[0].event_id, e2.id);
}

#[test]
fn removed_last_event_is_noticed() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let id = s.create_encounter(created("PC 1")).unwrap().encounter_id;
    s.append(&id, answer("age", Answer::No)).unwrap();
    let last = s.append(&id, answer("hurt", Answer::Yes)).unwrap();
    sql(&path)
        .execute("DELETE FROM events WHERE id = ?1", [&last.id])
        .unwrap();
    assert!(matches!(s.encounter(&id), Err(StoreError::Tampered(_))));
    assert_eq!(s.verify_all().unwrap().breaks.len(), 1);
    assert!(
        matches!(
            s.append(&id, EventBody::NoteAdded { text: "n".into() }),
            Err(StoreError::Tampered(_))
        ),
        "nothing is built on a damaged chain"
    );
}

#[test]
fn unreadable_event_is_a_break_not_a_crash() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let id = s.create_encounter(created("PC 1")).unwrap().encounter_id;
    let e = s.append(&id, answer("age", Answer::No)).unwrap();
    let c = sql(&path);
    c.execute_batch("DROP TRIGGER events_append_only").unwrap();
    c.execute("UPDATE events SET body = 'not json' WHERE id = ?1", [&e.id])
        .unwrap();
    match s.encounter(&id) {
        Err(StoreError::Tampered(b)) => assert_eq!(b.event_id, e.id),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.verify_all().unwrap().breaks[0].event_id, e.id);
    // Verification goes on past the unreadable encounter to the ones after it.
    let later = s.create_encounter(created("PC 2")).unwrap();
    let later_event = s
        .append(&later.encounter_id, answer("age", Answer::No))
        .unwrap();
    c.execute(
        "UPDATE events SET at = 'x' WHERE id = ?1",
        [&later_event.id],
    )
    .unwrap();
    let breaks = s.verify_all().unwrap().breaks;
    assert_eq!(breaks.len(), 2, "{breaks:?}");
    assert!(matches!(
        s.for_each_encounter(&ListFilter::default(), &mut |_| Ok(())),
        Err(StoreError::Tampered(_))
    ));
}

#[test]
fn refuses_newer_schema_untouched() {
    let (_d, path) = tmp();
    drop(Store::open(&path).unwrap());
    sql(&path)
        .pragma_update(None, "user_version", 99i64)
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    match Store::open(&path) {
        Err(e @ StoreError::TooNew { .. }) => {
            assert_eq!(e.fault(), Fault::BadData);
            assert!(e.to_string().contains("update msht"), "{e}");
        }
        other => panic!("{:?}", other.err()),
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn refuses_files_that_are_not_msht_databases() {
    let (d, _) = tmp();
    let text = d.path().join("notes.txt");
    std::fs::write(&text, "shopping list\n".repeat(100)).unwrap();
    assert!(matches!(
        Store::open(&text),
        Err(StoreError::NotADatabase { .. })
    ));
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "shopping list\n".repeat(100)
    );
    let other = d.path().join("other.db");
    sql(&other)
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let e = Store::open(&other).err().unwrap();
    assert!(matches!(e, StoreError::NotADatabase { .. }), "{e:?}");
    assert_eq!(e.fault(), Fault::BadData);
    let dir = d.path().join("a-folder");
    std::fs::create_dir(&dir).unwrap();
    assert_eq!(Store::open(&dir).err().unwrap().fault(), Fault::Io);
}

#[test]
fn refuses_a_truncated_database() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    for i in 0..200 {
        let id = s
            .create_encounter(created(&format!("PC {i}")))
            .unwrap()
            .encounter_id;
        s.append(&id, answer("age", Answer::No)).unwrap();
    }
    drop(s);
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let e = Store::open(&path).err().unwrap();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len / 2);
}

#[test]
fn short_ids_are_unique_prefixes() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let ids: Vec<String> = (0..20)
        .map(|_| s.create_encounter(created("PC")).unwrap().encounter_id)
        .collect();
    for id in &ids {
        let short = s.short_id(id).unwrap();
        assert!(short.len() >= 8);
        assert_eq!(&s.resolve_id(&short).unwrap(), id);
    }
}

#[test]
fn a_held_lock_becomes_busy_not_a_raw_error() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let id = s.create_encounter(created("PC 1")).unwrap().encounter_id;
    s.set_busy_timeout(Duration::from_millis(30));
    let other = sql(&path);
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let e = s
        .append(&id, EventBody::NoteAdded { text: "n".into() })
        .unwrap_err();
    assert!(matches!(e, StoreError::Busy { .. }), "{e:?}");
    assert_eq!(e.fault(), Fault::Busy);
    assert!(e.to_string().contains("another msht is using"), "{e}");
    assert!(!e.to_string().contains("locked"), "{e}");
    // Reading still works while another process writes (WAL).
    assert_eq!(s.events(&id).unwrap().len(), 1);
    other.execute_batch("COMMIT").unwrap();
    s.append(&id, EventBody::NoteAdded { text: "n".into() })
        .unwrap();
}

fn ack(
    s: &Store,
    bundle: &str,
    events: &[crate::record::Event],
    at: &str,
    wants: Vec<Want>,
) -> Acknowledgement {
    Acknowledgement {
        bundle_sha256: bundle.into(),
        events_in_bundle: events.len() as u64,
        for_device: s.device_id().into(),
        from_device: "hub".into(),
        from_hub: true,
        received_at: at.into(),
        accepted: events.len() as u64,
        already_present: 0,
        not_accepted: 0,
        acknowledged: events
            .iter()
            .map(|e| AckedEvent {
                event_id: e.id.clone(),
                hash: e.hash.clone(),
            })
            .collect(),
        wants,
    }
}

#[test]
fn a_receipt_is_judged_before_it_acknowledges() {
    let (_d, path) = tmp();
    let mut s = Store::open(&path).unwrap();
    let ev = s
        .record_encounter(created("PC 1"), vec![completed()])
        .unwrap();
    s.sync_record_push("b1", 1, "f", "d", "t", &ev).unwrap();
    let me = s.device_id().to_string();
    let cases: Vec<(Acknowledgement, AckVerdict)> = vec![
        (
            Acknowledgement {
                for_device: "someone else".into(),
                ..ack(&s, "b1", &ev, "t1", vec![])
            },
            AckVerdict::NotOurs,
        ),
        (
            Acknowledgement {
                from_device: me.clone(),
                ..ack(&s, "b1", &ev, "t1", vec![])
            },
            AckVerdict::FromSelf,
        ),
        (
            Acknowledgement {
                from_hub: false,
                ..ack(&s, "b1", &ev, "t1", vec![])
            },
            AckVerdict::NotAHub { from: "hub".into() },
        ),
        (ack(&s, "b9", &ev, "t1", vec![]), AckVerdict::UnknownBundle),
        (
            Acknowledgement {
                accepted: 0,
                acknowledged: vec![],
                ..ack(&s, "b1", &ev, "t1", vec![])
            },
            AckVerdict::Inconsistent,
        ),
        (
            Acknowledgement {
                events_in_bundle: 3,
                ..ack(&s, "b1", &ev, "t1", vec![])
            },
            AckVerdict::Inconsistent,
        ),
    ];
    for (a, want) in cases {
        assert_eq!(s.sync_apply_receipt(&a).unwrap(), want);
        assert_eq!(s.sync_status().unwrap().acknowledged_events, 0);
        assert_eq!(s.sync_hub().unwrap(), None, "no hub learnt from {want:?}");
    }
    // The first good receipt names the hub; another hub is ignored from then on.
    let good = ack(&s, "b1", &ev, "t1", vec![]);
    assert_eq!(
        s.sync_apply_receipt(&good).unwrap(),
        AckVerdict::Applied {
            newly: 2,
            requested: 0
        }
    );
    assert_eq!(s.sync_hub().unwrap().unwrap().device_id, "hub");
    let other = Acknowledgement {
        from_device: "hub-2".into(),
        ..good.clone()
    };
    assert!(matches!(
        s.sync_apply_receipt(&other).unwrap(),
        AckVerdict::OtherHub { .. }
    ));

    // A request for events is acted on once per receipt, not at every reading of it.
    let wants = vec![Want {
        encounter_id: ev[0].encounter_id.clone(),
        from_seq: 1,
    }];
    let asking = Acknowledgement {
        accepted: 0,
        acknowledged: vec![],
        not_accepted: 2,
        ..ack(&s, "b1", &ev, "t2", wants)
    };
    assert_eq!(
        s.sync_apply_receipt(&asking).unwrap(),
        AckVerdict::Applied {
            newly: 0,
            requested: 2
        }
    );
    assert_eq!(s.sync_status().unwrap().acknowledged_events, 0);
    // The events are sent again and a later receipt acknowledges them; reading the old
    // receipt again (it stays in the folder) must not undo that.
    let later = ack(&s, "b1", &ev, "t3", vec![]);
    s.sync_apply_receipt(&later).unwrap();
    assert_eq!(
        s.sync_apply_receipt(&asking).unwrap(),
        AckVerdict::Applied {
            newly: 0,
            requested: 0
        }
    );
    assert_eq!(s.sync_status().unwrap().acknowledged_events, 2);
}

#[test]
fn since_accepts_dates_and_times() {
    assert_eq!(
        normalise_since("2026-11-30T09:00:00+01:00").unwrap(),
        "2026-11-30T08:00:00.000Z"
    );
    assert!(normalise_since("2026-11-30").unwrap().ends_with('Z'));
    assert!(normalise_since("30/11/2026").is_err());
}

#[test]
fn freed_pages_are_overwritten_so_pruned_text_is_not_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let s = Store::open(&path).unwrap();
    let on: i64 = s
        .conn
        .query_row("PRAGMA secure_delete", [], |r| r.get(0))
        .unwrap();
    assert_eq!(on, 1);
    // And it works: a deleted row's text is gone from the plaintext file.
    s.conn
        .execute_batch(
            "CREATE TABLE scratch(t TEXT);
             INSERT INTO scratch VALUES ('PC-SECRET-4242 at Mill Road');
             DELETE FROM scratch; PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .unwrap();
    drop(s);
    let bytes = std::fs::read(&path).unwrap();
    let needle = b"PC-SECRET-4242";
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
}
