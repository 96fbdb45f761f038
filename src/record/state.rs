//! The current state of an encounter, derived by replaying its events in order.
//! Nothing here is stored; a record's truth is its events.

use serde::Serialize;

use super::event::{DutyProgress, Event, EventBody, GENESIS_HASH, OpenAtSignOff, WelfareOutcome};
use crate::record::Answer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Complete,
    Void,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Complete => "complete",
            Status::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "draft" => Some(Status::Draft),
            "complete" => Some(Status::Complete),
            "void" => Some(Status::Void),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AnswerRecord {
    pub question: String,
    pub question_text: String,
    pub answer: Answer,
    pub at: String,
    pub event_id: String,
    /// Earlier answers to the same question (drafts may change an answer), oldest first.
    pub history: Vec<EarlierAnswer>,
}

/// An answer that was later changed, and when it was given.
#[derive(Debug, Clone, Serialize)]
pub struct EarlierAnswer {
    pub answer: Answer,
    pub at: String,
}

/// One thing recorded about a welfare prompt: at the scene, deferred, or done later.
#[derive(Debug, Clone, Serialize)]
pub struct ActionRecord {
    pub outcome: WelfareOutcome,
    pub reason: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PromptRecord {
    pub prompt: String,
    pub title: String,
    pub urgency: String,
    pub raised_at: String,
    /// Latest action recorded, if any.
    pub outcome: Option<WelfareOutcome>,
    pub reason: String,
    pub action_at: Option<String>,
    /// Every action recorded for it, oldest first (the latest is `outcome`).
    pub history: Vec<ActionRecord>,
    /// Whether the current answers still raise it. A prompt raised at the scene stays in
    /// the record after an amendment makes it no longer follow; one that an amendment
    /// makes follow is added with no action. Set by `engine::derive`.
    pub follows: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteRecord {
    pub text: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DutyRecord {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AmendmentRecord {
    pub at: String,
    pub reason: String,
    pub question: Option<String>,
    pub answer: Option<Answer>,
    pub note: Option<String>,
    /// The answers as they stood just before this amendment, so the engine can say what
    /// it changed (duties old → new). Not part of the record's JSON: it is derived.
    #[serde(skip)]
    pub answers_before: Vec<(String, Answer)>,
    /// The duties before and after this amendment, when it changed them. Set by
    /// `engine::derive` from `answers_before`; empty when nothing changed.
    pub duties_changed: Option<DutyChange>,
}

/// One outcome recorded for a duty, as the event says it.
#[derive(Debug, Clone, Serialize)]
pub struct DutyOutcomeRecord {
    pub duty: String,
    pub title: String,
    pub outcome: DutyProgress,
    pub officer: String,
    pub reference: String,
    pub reason: String,
    pub note: String,
    pub at: String,
}

/// A supervisor's sign-off, with what was open when they signed.
#[derive(Debug, Clone, Serialize)]
pub struct SignOffRecord {
    pub supervisor: String,
    pub note: String,
    pub open: Vec<OpenAtSignOff>,
    pub accept_open: String,
    pub at: String,
}

/// A duty followed through: whether it still applies, what was recorded about it, and
/// when it is due. Derived: replay fills it from the duties stated at completion and the
/// outcomes; `engine::derive` replaces it with the current duties and the guidance's
/// timescales. A duty an amendment makes no longer apply stays, marked, with its outcomes.
#[derive(Debug, Clone, Serialize)]
pub struct DutyFollow {
    pub id: String,
    pub title: String,
    /// Whether the current answers still give this duty.
    pub applies: bool,
    /// The latest outcome recorded, if any.
    pub outcome: Option<DutyProgress>,
    /// The latest reference recorded (what the receiving system gave), if any.
    pub reference: Option<String>,
    /// When the duty began to apply: the start of the encounter, or the amendment that
    /// made it follow.
    pub since: String,
    /// The guidance's timescale in words, and what to do when it is missed.
    pub timescale: Option<String>,
    pub if_missed: Option<String>,
    /// When it is due, where the guidance gives a timescale that can be counted (never
    /// for "force policy" or "end of shift").
    pub due_at: Option<String>,
    /// Every outcome recorded for it, oldest first.
    pub history: Vec<DutyOutcomeRecord>,
}

impl DutyFollow {
    /// Still to be done: it applies and nothing closed it (done, or not needed).
    pub fn is_open(&self) -> bool {
        self.applies && !self.outcome.is_some_and(DutyProgress::closes)
    }

    /// Open and past its due time at `now` (a stored UTC time, compared as text).
    pub fn is_overdue(&self, now: &str) -> bool {
        self.is_open() && self.due_at.as_deref().is_some_and(|d| d < now)
    }
}

/// What an amendment did to the duties: the titles before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyChange {
    pub before: Vec<String>,
    pub after: Vec<String>,
}

/// The scene an encounter belongs to, and how the person came to notice there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SceneLink {
    pub scene: String,
    pub label: String,
    /// The encounter whose answer raised this person, if one did.
    pub raised_by: Option<String>,
    /// The question of that encounter that raised them.
    pub question: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EncounterState {
    pub id: String,
    pub status: Status,
    pub officer: String,
    pub location: String,
    pub checklist: String,
    pub checklist_title: String,
    pub guidance_version: String,
    pub guidance_hash: String,
    pub device_id: String,
    pub created_at: String,
    pub created_offset: String,
    pub completed_at: Option<String>,
    pub updated_at: String,
    /// Current answers in the order first given. Amendments after completion apply here.
    pub answers: Vec<AnswerRecord>,
    pub prompts: Vec<PromptRecord>,
    pub notes: Vec<NoteRecord>,
    /// Questions whose answers indicate, and the duties that follow. Replay fills them
    /// from the snapshot stated at completion; `engine::derive` replaces them with what
    /// the current answers give, so an amendment re-derives them on every read.
    pub indicators: Vec<String>,
    pub duties: Vec<DutyRecord>,
    /// Whether `indicators`, `duties` and the prompts' `follows` come from the engine
    /// (true) or only from the snapshot at completion (the guidance lacks the checklist).
    pub derived: bool,
    pub amendments: Vec<AmendmentRecord>,
    /// Every duty outcome recorded, in order.
    pub duty_outcomes: Vec<DutyOutcomeRecord>,
    /// Each duty followed through (see `DutyFollow`), in the order to do them; duties that
    /// no longer apply but have outcomes come last.
    pub follow: Vec<DutyFollow>,
    /// Supervisors' sign-offs, oldest first.
    pub sign_offs: Vec<SignOffRecord>,
    pub void_reason: Option<String>,
    /// The scene this person was met at, if any (the latest link not left).
    pub scene: Option<SceneLink>,
    pub event_count: usize,
    pub head_hash: String,
}

/// Why an encounter's chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {seq} ({event_id}) of encounter {encounter_id}: {problem}")]
pub struct ChainBreak {
    pub encounter_id: String,
    pub seq: u32,
    pub event_id: String,
    pub problem: String,
}

impl EncounterState {
    /// Checks each event's hash, its link to the one before, and its position.
    pub fn verify(events: &[Event]) -> Result<(), ChainBreak> {
        let mut prev = GENESIS_HASH.to_string();
        for (i, e) in events.iter().enumerate() {
            let fail = |problem: &str| ChainBreak {
                encounter_id: e.encounter_id.clone(),
                seq: e.seq,
                event_id: e.id.clone(),
                problem: problem.to_string(),
            };
            if e.seq as usize != i + 1 {
                return Err(fail("is out of sequence (an event is missing or repeated)"));
            }
            if e.prev_hash != prev {
                return Err(fail(
                    "does not follow the event before it (the chain is broken)",
                ));
            }
            match e.hash_ok() {
                Ok(true) => {}
                Ok(false) => {
                    return Err(fail(
                        "has content that does not match its hash (it was changed after it was written)",
                    ));
                }
                Err(err) => return Err(fail(&err.to_string())),
            }
            if i == 0 && !matches!(e.body, EventBody::Created { .. }) {
                return Err(fail(
                    "is not a 'created' event, but it starts the encounter",
                ));
            }
            prev = e.hash.clone();
        }
        Ok(())
    }

    /// Replays events into the current state. `None` if there are no events or the first
    /// is not `created`.
    pub fn from_events(events: &[Event]) -> Option<EncounterState> {
        let first = events.first()?;
        let EventBody::Created {
            officer,
            location,
            checklist,
            checklist_title,
            guidance_version,
            guidance_hash,
        } = &first.body
        else {
            return None;
        };
        let mut s = EncounterState {
            id: first.encounter_id.clone(),
            status: Status::Draft,
            officer: officer.clone(),
            location: location.clone(),
            checklist: checklist.clone(),
            checklist_title: checklist_title.clone(),
            guidance_version: guidance_version.clone(),
            guidance_hash: guidance_hash.clone(),
            device_id: first.device_id.clone(),
            created_at: first.at.clone(),
            created_offset: first.offset.clone(),
            completed_at: None,
            updated_at: first.at.clone(),
            answers: Vec::new(),
            prompts: Vec::new(),
            notes: Vec::new(),
            indicators: Vec::new(),
            duties: Vec::new(),
            derived: false,
            amendments: Vec::new(),
            duty_outcomes: Vec::new(),
            follow: Vec::new(),
            sign_offs: Vec::new(),
            void_reason: None,
            scene: None,
            event_count: events.len(),
            head_hash: events.last().map(|e| e.hash.clone()).unwrap_or_default(),
        };
        for e in &events[1..] {
            s.updated_at = e.at.clone();
            s.apply(e);
        }
        let stated: Vec<(DutyRecord, String)> = s
            .duties
            .iter()
            .map(|d| (d.clone(), s.created_at.clone()))
            .collect();
        s.follow = s.follow_for(&stated);
        Some(s)
    }

    fn set_answer(&mut self, question: &str, text: Option<&str>, answer: &Answer, e: &Event) {
        match self.answers.iter_mut().find(|a| a.question == question) {
            Some(a) => {
                let old = std::mem::replace(&mut a.answer, answer.clone());
                let old_at = std::mem::replace(&mut a.at, e.at.clone());
                a.history.push(EarlierAnswer {
                    answer: old,
                    at: old_at,
                });
                a.event_id = e.id.clone();
            }
            None => self.answers.push(AnswerRecord {
                question: question.to_string(),
                // An amendment carries no question text; `engine::derive` fills it from
                // the guidance, so a raw id is never shown.
                question_text: text.unwrap_or_default().to_string(),
                answer: answer.clone(),
                at: e.at.clone(),
                event_id: e.id.clone(),
                history: Vec::new(),
            }),
        }
    }

    fn apply(&mut self, e: &Event) {
        match &e.body {
            EventBody::Created { .. } => {}
            EventBody::AnswerGiven {
                question,
                question_text,
                answer,
            } => self.set_answer(question, Some(question_text), answer, e),
            EventBody::PromptRaised {
                prompt,
                title,
                urgency,
            } => {
                if !self.prompts.iter().any(|p| &p.prompt == prompt) {
                    self.prompts.push(PromptRecord {
                        prompt: prompt.clone(),
                        title: title.clone(),
                        urgency: urgency.clone(),
                        raised_at: e.at.clone(),
                        outcome: None,
                        reason: String::new(),
                        action_at: None,
                        history: Vec::new(),
                        follows: true,
                    });
                }
            }
            EventBody::WelfareAction {
                prompt,
                outcome,
                reason,
            } => {
                self.record_action(prompt, *outcome, reason, &e.at);
            }
            EventBody::NoteAdded { text } => self.notes.push(NoteRecord {
                text: text.clone(),
                at: e.at.clone(),
            }),
            EventBody::Completed { indicators, duties } => {
                self.status = Status::Complete;
                self.completed_at = Some(e.at.clone());
                self.indicators = indicators.clone();
                self.duties = duties
                    .iter()
                    .map(|d| DutyRecord {
                        id: d.id.clone(),
                        title: d.title.clone(),
                    })
                    .collect();
            }
            EventBody::Amended {
                reason,
                question,
                answer,
                note,
            } => {
                let answers_before = self.current_answers();
                if let (Some(q), Some(a)) = (question, answer) {
                    self.set_answer(q, None, a, e);
                }
                if let Some(n) = note {
                    self.notes.push(NoteRecord {
                        text: n.clone(),
                        at: e.at.clone(),
                    });
                }
                self.amendments.push(AmendmentRecord {
                    at: e.at.clone(),
                    reason: reason.clone(),
                    question: question.clone(),
                    answer: answer.clone(),
                    note: note.clone(),
                    answers_before,
                    duties_changed: None,
                });
            }
            EventBody::Voided { reason } => {
                self.status = Status::Void;
                self.void_reason = Some(reason.clone());
            }
            EventBody::DutyOutcome { .. } | EventBody::SignedOff { .. } => self.follow_up(e),
            EventBody::SceneJoined { .. } | EventBody::SceneLeft { .. } => self.apply_scene(e),
        }
    }

    /// Joining or leaving a scene: the latest link not left is the encounter's scene.
    fn apply_scene(&mut self, e: &Event) {
        match &e.body {
            EventBody::SceneJoined {
                scene,
                label,
                raised_by,
                question,
            } => {
                self.scene = Some(SceneLink {
                    scene: scene.clone(),
                    label: label.clone(),
                    raised_by: raised_by.clone(),
                    question: question.clone(),
                    at: e.at.clone(),
                });
            }
            EventBody::SceneLeft { scene, .. }
                if self.scene.as_ref().is_some_and(|s| &s.scene == scene) =>
            {
                self.scene = None;
            }
            _ => {}
        }
    }

    /// A duty outcome or a supervisor's sign-off, kept in order.
    fn follow_up(&mut self, e: &Event) {
        match &e.body {
            EventBody::DutyOutcome {
                duty,
                title,
                outcome,
                officer,
                reference,
                reason,
                note,
            } => self.duty_outcomes.push(DutyOutcomeRecord {
                duty: duty.clone(),
                title: title.clone(),
                outcome: *outcome,
                officer: officer.clone(),
                reference: reference.clone(),
                reason: reason.clone(),
                note: note.clone(),
                at: e.at.clone(),
            }),
            EventBody::SignedOff {
                supervisor,
                note,
                open,
                accept_open,
            } => self.sign_offs.push(SignOffRecord {
                supervisor: supervisor.clone(),
                note: note.clone(),
                open: open.clone(),
                accept_open: accept_open.clone(),
                at: e.at.clone(),
            }),
            _ => {}
        }
    }

    /// The duties followed through: each of `duties` (with when it began to apply), then
    /// every duty with an outcome that is no longer among them, marked as not applying.
    /// Timescales are left empty: they come from the guidance (`engine::derive`).
    pub fn follow_for(&self, duties: &[(DutyRecord, String)]) -> Vec<DutyFollow> {
        let mut out: Vec<DutyFollow> = duties
            .iter()
            .map(|(d, since)| self.one_follow(&d.id, &d.title, true, since))
            .collect();
        for o in &self.duty_outcomes {
            if !out.iter().any(|f| f.id == o.duty) {
                let since = self.created_at.clone();
                out.push(self.one_follow(&o.duty, &o.title, false, &since));
            }
        }
        out
    }

    fn one_follow(&self, id: &str, title: &str, applies: bool, since: &str) -> DutyFollow {
        let history: Vec<DutyOutcomeRecord> = self
            .duty_outcomes
            .iter()
            .filter(|o| o.duty == id)
            .cloned()
            .collect();
        DutyFollow {
            id: id.to_string(),
            title: title.to_string(),
            applies,
            outcome: history.last().map(|o| o.outcome),
            reference: history
                .iter()
                .rev()
                .find(|o| !o.reference.is_empty())
                .map(|o| o.reference.clone()),
            since: since.to_string(),
            timescale: None,
            if_missed: None,
            due_at: None,
            history,
        }
    }

    /// Duties still to be done, in the order to do them.
    pub fn open_duties(&self) -> Vec<&DutyFollow> {
        self.follow.iter().filter(|f| f.is_open()).collect()
    }

    /// A welfare action on a prompt. An action on a prompt with no `prompt_raised` event
    /// (one an amendment made follow) still counts: the engine supplies its title.
    fn record_action(&mut self, prompt: &str, outcome: WelfareOutcome, reason: &str, at: &str) {
        let p = match self.prompts.iter().position(|p| p.prompt == prompt) {
            Some(i) => &mut self.prompts[i],
            None => {
                self.prompts.push(PromptRecord {
                    prompt: prompt.to_string(),
                    title: String::new(),
                    urgency: String::new(),
                    raised_at: at.to_string(),
                    outcome: None,
                    reason: String::new(),
                    action_at: None,
                    history: Vec::new(),
                    follows: true,
                });
                let last = self.prompts.len() - 1;
                &mut self.prompts[last]
            }
        };
        p.outcome = Some(outcome);
        p.reason = reason.to_string();
        p.action_at = Some(at.to_string());
        p.history.push(ActionRecord {
            outcome,
            reason: reason.to_string(),
            at: at.to_string(),
        });
    }

    /// The current answers as (question, answer) pairs, in the order first given.
    pub fn current_answers(&self) -> Vec<(String, Answer)> {
        self.answers
            .iter()
            .map(|a| (a.question.clone(), a.answer.clone()))
            .collect()
    }

    /// Prompts that still follow from the answers and are not dealt with (no action, or
    /// deferred), most urgent first; raised order within one urgency.
    pub fn open_prompts(&self) -> Vec<&PromptRecord> {
        let mut open: Vec<&PromptRecord> = self
            .prompts
            .iter()
            .filter(|p| p.follows)
            .filter(|p| matches!(p.outcome, None | Some(WelfareOutcome::Deferred)))
            .collect();
        open.sort_by_key(|p| urgency_rank(&p.urgency));
        open
    }

    /// Prompts raised with nothing at all recorded about them, most urgent first: what a
    /// resumed check shows again before the next question.
    pub fn unanswered_prompts(&self) -> Vec<&PromptRecord> {
        let mut open: Vec<&PromptRecord> = self
            .prompts
            .iter()
            .filter(|p| p.follows && p.outcome.is_none())
            .collect();
        open.sort_by_key(|p| urgency_rank(&p.urgency));
        open
    }
}

/// The order prompts are dealt with: ACT NOW first. The urgency is kept as recorded text
/// (the guidance's own word), so an unknown one sorts last rather than failing.
fn urgency_rank(u: &str) -> u8 {
    match u {
        "immediate" => 0,
        "before-leaving" => 1,
        "later" => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::event::DutySnapshot;

    fn chain(bodies: Vec<EventBody>) -> Vec<Event> {
        let mut prev = GENESIS_HASH.to_string();
        bodies
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
            .collect()
    }

    fn created() -> EventBody {
        EventBody::Created {
            officer: "PC 1".into(),
            location: "car wash".into(),
            checklist: "general".into(),
            checklist_title: "General".into(),
            guidance_version: "v".into(),
            guidance_hash: "h".into(),
        }
    }

    fn answer(q: &str, a: Answer) -> EventBody {
        EventBody::AnswerGiven {
            question: q.into(),
            question_text: q.to_uppercase(),
            answer: a,
        }
    }

    #[test]
    fn replays_answers_changes_completion_and_amendments() {
        let events = chain(vec![
            created(),
            answer("age", Answer::No),
            answer("age", Answer::Yes),
            EventBody::Completed {
                indicators: vec!["age".into()],
                duties: vec![DutySnapshot {
                    id: "nrm".into(),
                    title: "NRM".into(),
                }],
            },
            EventBody::Amended {
                reason: "typo".into(),
                question: Some("age".into()),
                answer: Some(Answer::Unsure),
                note: None,
            },
        ]);
        EncounterState::verify(&events).unwrap();
        let s = EncounterState::from_events(&events).unwrap();
        assert_eq!(s.status, Status::Complete);
        assert_eq!(s.answers.len(), 1);
        assert_eq!(s.answers[0].answer, Answer::Unsure);
        assert_eq!(s.answers[0].history.len(), 2, "both earlier answers kept");
        assert_eq!(s.amendments[0].reason, "typo");
        assert_eq!(s.head_hash, events[4].hash);
    }

    #[test]
    fn verify_names_the_tampered_event() {
        let mut events = chain(vec![
            created(),
            answer("age", Answer::No),
            answer("hurt", Answer::No),
        ]);
        events[1].body = answer("age", Answer::Yes);
        let err = EncounterState::verify(&events).unwrap_err();
        assert_eq!(err.seq, 2);
        assert_eq!(err.event_id, "e1");

        let mut events = chain(vec![
            created(),
            answer("age", Answer::No),
            answer("hurt", Answer::No),
        ]);
        events.remove(1);
        assert!(
            EncounterState::verify(&events).is_err(),
            "a removed event breaks the chain"
        );
    }

    #[test]
    fn void_keeps_events_and_records_reason() {
        let events = chain(vec![
            created(),
            EventBody::Voided {
                reason: "duplicate".into(),
            },
        ]);
        let s = EncounterState::from_events(&events).unwrap();
        assert_eq!(s.status, Status::Void);
        assert_eq!(s.void_reason.as_deref(), Some("duplicate"));
    }
}
