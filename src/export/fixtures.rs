//! Fixed encounters built in memory for the export tests and snapshots: valid hash chains
//! (made with `Event::new`), fixed ids and times, and identifying details planted in every
//! free-text place so the Duty to Notify tests can prove none of them survives.

use crate::record::Answer;
use crate::record::{DutySnapshot, Event, EventBody, GENESIS_HASH, WelfareOutcome};

/// Identifying details planted in the adult fixture. None may appear in a DtN export.
pub const IDENTIFYING: &[&str] = &[
    "Maria Popescu",
    "Popescu",
    "12/03/1999",
    "07700 900123",
    "maria.p@example.com",
    "14 Acacia Avenue",
    "LS1 4AB",
];

pub const ADULT_ID: &str = "01937c2e-0000-7000-8000-00000000a001";
pub const CHILD_ID: &str = "01937c2e-0000-7000-8000-00000000c001";

pub fn chain(encounter: &str, bodies: Vec<EventBody>) -> Vec<Event> {
    let mut prev = GENESIS_HASH.to_string();
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            // Summer time on the device, so local and UTC differ in the snapshots.
            let e = Event::new(
                format!("{}-e{:02}", &encounter[..8], i + 1),
                encounter.to_string(),
                i as u32 + 1,
                format!("2026-06-30T14:{:02}:{:02}.000Z", 4 + i / 60, i % 60),
                "+01:00".into(),
                "device-7f3a".into(),
                prev.clone(),
                body,
            )
            .expect("plain data encodes");
            prev = e.hash.clone();
            e
        })
        .collect()
}

fn created(checklist: &str, title: &str, location: &str) -> EventBody {
    EventBody::Created {
        officer: "PC 4521".into(),
        location: location.into(),
        checklist: checklist.into(),
        checklist_title: title.into(),
        guidance_version: "2026.11.0-starter".into(),
        guidance_hash: "9c1e0d4b7a2f".into(),
    }
}

fn ans(q: &str, text: &str, a: Answer) -> EventBody {
    EventBody::AnswerGiven {
        question: q.into(),
        question_text: text.into(),
        answer: a,
    }
}

/// An adult at a car wash who declines the NRM: Duty to Notify applies.
pub fn adult_declines() -> Vec<Event> {
    chain(
        ADULT_ID,
        vec![
            created(
                "general",
                "General screen",
                "Sparkle car wash, 14 Acacia Avenue, Leeds LS1 4AB",
            ),
            ans(
                "general_age",
                "Is the person under 18, or might they be?",
                Answer::No,
            ),
            ans(
                "general_documents",
                "Do they hold their own passport or ID, and their own bank card?",
                Answer::Yes,
            ),
            ans(
                "general_documents",
                "Do they hold their own passport or ID, and their own bank card?",
                Answer::No,
            ),
            ans(
                "general_debt",
                "Do they say they owe money (for travel, housing, food or the job) that \
                 they cannot pay off?",
                Answer::Unsure,
            ),
            ans(
                "general_controller_present",
                "Is someone here who answers for them, stays close, or seems to direct them?",
                Answer::Yes,
            ),
            EventBody::PromptRaised {
                prompt: "controller-present".into(),
                title: "Separate them from the suspected controller".into(),
                urgency: "urgent".into(),
            },
            ans(
                "general_who",
                "Who did they say they work for?",
                Answer::Text("Says she works for Popescu, phone 07700 900123".into()),
            ),
            ans(
                "general_nrm_consent",
                "Has the adult agreed to an NRM referral after you explained it?",
                Answer::Choice("declines".into()),
            ),
            EventBody::PromptRaised {
                prompt: "adult-declines".into(),
                title: "Adult declines the NRM: Duty to Notify".into(),
                urgency: "before_leaving".into(),
            },
            EventBody::WelfareAction {
                prompt: "controller-present".into(),
                outcome: WelfareOutcome::Done,
                reason: String::new(),
            },
            EventBody::WelfareAction {
                prompt: "adult-declines".into(),
                outcome: WelfareOutcome::NotPossible,
                reason: "Maria Popescu left before helpline details were given".into(),
            },
            EventBody::NoteAdded {
                text: "Name given as Maria Popescu, born 12/03/1999, email \
                       maria.p@example.com. Says \"the boss\" keeps her passport."
                    .into(),
            },
            EventBody::Completed {
                indicators: vec![
                    "general_documents".into(),
                    "general_debt".into(),
                    "general_controller_present".into(),
                ],
                duties: vec![
                    DutySnapshot {
                        id: "duty-to-notify".into(),
                        title: "Duty to Notify (anonymous)".into(),
                    },
                    DutySnapshot {
                        id: "crime-record".into(),
                        title: "Record the crime".into(),
                    },
                ],
            },
            EventBody::Amended {
                reason: "Rechecked with Maria Popescu at 14 Acacia Avenue: she is unsure \
                         about the debt, not sure"
                    .into(),
                question: Some("general_debt".into()),
                answer: Some(Answer::Yes),
                note: Some("Follow-up call on 07700 900123".into()),
            },
        ],
    )
}

/// A child at a cannabis grow: always an NRM referral, never a Duty to Notify.
pub fn child() -> Vec<Event> {
    chain(
        CHILD_ID,
        vec![
            created("general", "General screen", "Unit 3, Mill Lane"),
            ans(
                "general_age",
                "Is the person under 18, or might they be?",
                Answer::Unsure,
            ),
            EventBody::PromptRaised {
                prompt: "child-safeguarding".into(),
                title: "Possible child: contact children's services now".into(),
                urgency: "immediate".into(),
            },
            EventBody::WelfareAction {
                prompt: "child-safeguarding".into(),
                outcome: WelfareOutcome::Done,
                reason: String::new(),
            },
            EventBody::Completed {
                indicators: vec!["general_age".into()],
                duties: vec![DutySnapshot {
                    id: "nrm-referral".into(),
                    title: "NRM referral".into(),
                }],
            },
        ],
    )
}

/// The adult fixture, voided.
pub fn voided() -> Vec<Event> {
    let mut bodies: Vec<EventBody> = adult_declines().into_iter().map(|e| e.body).collect();
    bodies.push(EventBody::Voided {
        reason: "Duplicate of another record".into(),
    });
    chain(ADULT_ID, bodies)
}
