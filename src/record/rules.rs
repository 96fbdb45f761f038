//! The record's rules: which event may follow an encounter in a given status, and the
//! status it leaves. Kept beside the replay (`state.rs`) so what may be written and what
//! it means are defined in one module; the store calls `check` for every event it
//! appends, recorded here or imported from another device.

use super::event::{DutyProgress, EventBody};
use super::state::Status;

/// A rule an event breaks, in the record's own terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleBreak {
    /// Only a draft takes this kind of event; `what` completes "only a draft can take …".
    #[error("the encounter is {}, so {what}", .status.as_str())]
    NotDraft { status: Status, what: &'static str },
    /// Only a complete encounter can be amended.
    #[error("the encounter is {}, and only a complete encounter can be amended", .status.as_str())]
    NotComplete { status: Status },
    #[error("the encounter is already void")]
    AlreadyVoid,
    /// `what` ("an amendment", "voiding an encounter") needs a reason.
    #[error("{what} needs a reason")]
    ReasonRequired { what: &'static str },
    /// Only a complete encounter can be signed off by a supervisor.
    #[error("the encounter is {}, and only a complete encounter can be signed off", .status.as_str())]
    NotSignable { status: Status },
    /// Anything else wrong with the event itself, as one sentence.
    #[error("{0}")]
    Malformed(&'static str),
}

/// The status the encounter has after `body`, or the rule `body` breaks, for an
/// encounter whose events so far leave it in `status`.
pub fn check(status: Status, body: &EventBody) -> Result<Status, RuleBreak> {
    let draft_only = |what: &'static str| {
        if status == Status::Draft {
            Ok(Status::Draft)
        } else {
            Err(RuleBreak::NotDraft { status, what })
        }
    };
    match body {
        EventBody::Created { .. } => Err(RuleBreak::Malformed(
            "an encounter has only one 'created' event; start a new encounter instead",
        )),
        EventBody::AnswerGiven { .. } => draft_only("it takes no more answers"),
        EventBody::PromptRaised { .. } => draft_only("no welfare prompt can be raised on it"),
        // A welfare action is a later fact, not a correction: what was done after the
        // scene (children's services called at 17:05) is recorded on a complete encounter
        // too, with its own time. Only a void record takes nothing more.
        EventBody::WelfareAction { .. } if status == Status::Complete => Ok(Status::Complete),
        EventBody::WelfareAction { .. } => draft_only("no welfare action can be recorded on it"),
        EventBody::NoteAdded { .. } => draft_only("no note can be added this way"),
        EventBody::Completed { .. } => {
            draft_only("it cannot be completed (only a draft can)").map(|_| Status::Complete)
        }
        EventBody::Amended {
            reason,
            question,
            answer,
            note,
        } => {
            if status != Status::Complete {
                return Err(RuleBreak::NotComplete { status });
            }
            if reason.trim().is_empty() {
                return Err(RuleBreak::ReasonRequired {
                    what: "an amendment",
                });
            }
            if question.is_some() != answer.is_some() {
                return Err(RuleBreak::Malformed(
                    "an amendment to an answer needs both the question and the new answer",
                ));
            }
            let note_given = note.as_deref().is_some_and(|n| !n.trim().is_empty());
            if question.is_none() && !note_given {
                return Err(RuleBreak::Malformed(
                    "an amendment must change an answer or add a note",
                ));
            }
            Ok(Status::Complete)
        }
        // A duty outcome is a later fact like a welfare action: the NRM referral is made
        // hours after the scene. A draft may take one too (the referral made before the
        // record was finished); a void record takes nothing.
        EventBody::DutyOutcome { .. } => duty_outcome(status, body),
        EventBody::SignedOff { .. } => sign_off(status, body),
        // Which scene a person was met at is a fact about the meeting, true of a draft
        // and of a complete record alike; a void record takes nothing more.
        EventBody::SceneJoined { .. } | EventBody::SceneLeft { .. } if status == Status::Void => {
            Err(RuleBreak::NotDraft {
                status,
                what: "it cannot join or leave a scene",
            })
        }
        EventBody::SceneJoined { scene, .. } if scene.trim().is_empty() => {
            Err(RuleBreak::Malformed("joining a scene needs the scene's id"))
        }
        EventBody::SceneJoined { .. } => Ok(status),
        EventBody::SceneLeft { reason, .. } => {
            if reason.trim().is_empty() {
                return Err(RuleBreak::ReasonRequired {
                    what: "leaving a scene",
                });
            }
            Ok(status)
        }
        EventBody::Voided { reason } => {
            if status == Status::Void {
                return Err(RuleBreak::AlreadyVoid);
            }
            if reason.trim().is_empty() {
                return Err(RuleBreak::ReasonRequired {
                    what: "voiding an encounter",
                });
            }
            Ok(Status::Void)
        }
    }
}

/// A duty outcome is a later fact like a welfare action: the NRM referral is made hours
/// after the scene. A draft may take one too (the referral made before the record was
/// finished); a void record takes nothing.
fn duty_outcome(status: Status, body: &EventBody) -> Result<Status, RuleBreak> {
    let EventBody::DutyOutcome {
        duty,
        outcome,
        officer,
        reason,
        ..
    } = body
    else {
        return Ok(status);
    };
    if status == Status::Void {
        return Err(RuleBreak::AlreadyVoid);
    }
    if duty.trim().is_empty() || officer.trim().is_empty() {
        return Err(RuleBreak::Malformed(
            "a duty outcome must name the duty and the officer who recorded it",
        ));
    }
    if *outcome == DutyProgress::NotNeeded && reason.trim().is_empty() {
        return Err(RuleBreak::ReasonRequired {
            what: "a duty judged not needed",
        });
    }
    Ok(status)
}

/// A supervisor signs off only a complete record, by name, and says why when something
/// is still open.
fn sign_off(status: Status, body: &EventBody) -> Result<Status, RuleBreak> {
    let EventBody::SignedOff {
        supervisor,
        open,
        accept_open,
        ..
    } = body
    else {
        return Ok(status);
    };
    if status != Status::Complete {
        return Err(RuleBreak::NotSignable { status });
    }
    if supervisor.trim().is_empty() {
        return Err(RuleBreak::Malformed(
            "a sign-off must name the supervisor who signed",
        ));
    }
    if !open.is_empty() && accept_open.trim().is_empty() {
        return Err(RuleBreak::ReasonRequired {
            what: "a sign-off with duties or welfare prompts still open",
        });
    }
    Ok(Status::Complete)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note() -> EventBody {
        EventBody::NoteAdded { text: "n".into() }
    }

    fn void(reason: &str) -> EventBody {
        EventBody::Voided {
            reason: reason.into(),
        }
    }

    fn amend(reason: &str, note: Option<&str>) -> EventBody {
        EventBody::Amended {
            reason: reason.into(),
            question: None,
            answer: None,
            note: note.map(Into::into),
        }
    }

    fn duty(outcome: DutyProgress, reason: &str) -> EventBody {
        EventBody::DutyOutcome {
            duty: "nrm-referral".into(),
            title: "NRM referral".into(),
            outcome,
            officer: "PC 1".into(),
            reference: String::new(),
            reason: reason.into(),
            note: String::new(),
        }
    }

    /// A sign-off; `open_without_reason` leaves something open with no reason given.
    fn sign(supervisor: &str, open_without_reason: bool) -> EventBody {
        EventBody::SignedOff {
            supervisor: supervisor.into(),
            note: String::new(),
            open: if open_without_reason {
                vec![crate::record::OpenAtSignOff {
                    kind: "duty".into(),
                    id: "nrm-referral".into(),
                    title: "NRM referral".into(),
                }]
            } else {
                Vec::new()
            },
            accept_open: String::new(),
        }
    }

    fn join(scene: &str) -> EventBody {
        EventBody::SceneJoined {
            scene: scene.into(),
            label: "worker 1".into(),
            raised_by: None,
            question: None,
        }
    }

    fn leave(reason: &str) -> EventBody {
        EventBody::SceneLeft {
            scene: "s1".into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn table() {
        use Status::*;
        let completed = EventBody::Completed {
            indicators: vec![],
            duties: vec![],
        };
        let cases: Vec<(Status, EventBody, Result<Status, &str>)> = vec![
            (Draft, note(), Ok(Draft)),
            (Complete, note(), Err("not draft")),
            (Draft, completed.clone(), Ok(Complete)),
            (Complete, completed, Err("not draft")),
            (Complete, amend("typo", Some("x")), Ok(Complete)),
            (Draft, amend("typo", Some("x")), Err("not complete")),
            (Complete, amend(" ", Some("x")), Err("reason")),
            (Complete, amend("typo", None), Err("malformed")),
            (Draft, void("dup"), Ok(Void)),
            (Complete, void("dup"), Ok(Void)),
            (Void, void("dup"), Err("already void")),
            (Draft, void(""), Err("reason")),
            (Draft, duty(DutyProgress::Done, ""), Ok(Draft)),
            (Complete, duty(DutyProgress::Done, ""), Ok(Complete)),
            (Complete, duty(DutyProgress::NotNeeded, " "), Err("reason")),
            (
                Complete,
                duty(DutyProgress::NotNeeded, "no victim"),
                Ok(Complete),
            ),
            (Void, duty(DutyProgress::Done, ""), Err("already void")),
            (Complete, sign("", false), Err("malformed")),
            (Complete, sign("Sgt 1", false), Ok(Complete)),
            (Complete, sign("Sgt 1", true), Err("reason")),
            (Draft, sign("Sgt 1", false), Err("not signable")),
            (Void, sign("Sgt 1", false), Err("not signable")),
            (Complete, join("s1"), Ok(Complete)),
            (Draft, join("s1"), Ok(Draft)),
            (Void, join("s1"), Err("not draft")),
            (Draft, join(" "), Err("malformed")),
            (Draft, leave(""), Err("reason")),
            (Complete, leave("wrong scene"), Ok(Complete)),
        ];
        for (status, body, want) in cases {
            let got = check(status, &body).map_err(|b| match b {
                RuleBreak::NotDraft { .. } => "not draft",
                RuleBreak::NotComplete { .. } => "not complete",
                RuleBreak::AlreadyVoid => "already void",
                RuleBreak::ReasonRequired { .. } => "reason",
                RuleBreak::Malformed(_) => "malformed",
                RuleBreak::NotSignable { .. } => "not signable",
            });
            assert_eq!(got, want, "{status:?} + {}", body.type_name());
        }
    }
}
