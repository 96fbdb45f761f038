//! The export record: one typed value built from an encounter's events and derived state,
//! which every format (JSON, JSONL, Markdown, CSV) renders. Keeping one intermediate form
//! means the formats cannot disagree, and the Duty to Notify copy is a single
//! transformation of it rather than a second set of renderers.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

use super::time::Time;
use crate::guidance::Guidance;
use crate::record::Answer;
use crate::record::{EncounterState, Event, EventBody, Status};

/// Bumped when a field is removed or changes meaning, or the event list can hold a new
/// kind of event (2: duty outcomes and supervisors' sign-offs).
pub const SCHEMA_VERSION: u32 = 2;

/// Who the export is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The whole record: officer, supervisor, NRM referral, the force's systems.
    Full,
    /// The anonymised copy for a Duty to Notify (s52): nothing that could identify an adult
    /// who did not consent.
    Dtn,
}

/// Choice labels ("No, declines") for choice ids ("declines"), taken from the guidance.
/// Only filled when the guidance in use is the very one the encounter was run against
/// (same hash): a record must read as it was shown, not as later guidance words it.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    /// Question id → choice id → label: looked up by `&str` with no allocation, since
    /// `export --all` looks up every answer of every encounter.
    choices: HashMap<String, HashMap<String, String>>,
}

impl Labels {
    pub fn for_encounter(g: &Guidance, guidance_hash: &str) -> Labels {
        let mut choices: HashMap<String, HashMap<String, String>> = HashMap::new();
        if g.hash == guidance_hash {
            for c in &g.checklists {
                for q in &c.questions {
                    for ch in &q.choices {
                        choices
                            .entry(q.id.clone())
                            .or_default()
                            .insert(ch.id.clone(), ch.label.clone());
                    }
                }
            }
        }
        Labels { choices }
    }

    /// How a person reads an answer.
    pub fn display(&self, question: &str, a: &Answer) -> String {
        a.display_with(|id| {
            self.choices
                .get(question)
                .and_then(|labels| labels.get(id))
                .cloned()
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IdTitle {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GuidanceRef {
    pub version: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoidInfo {
    pub voided: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EarlierAnswer {
    pub answer: Answer,
    pub display: String,
    pub at: Time,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnswerOut {
    pub question: String,
    /// The question exactly as it was shown (a snapshot kept in the event).
    pub question_text: String,
    pub answer: Answer,
    pub display: String,
    pub at: Time,
    pub event_id: String,
    /// Whether the current answer came from an amendment after completion.
    pub amended: bool,
    /// Earlier answers to the same question, oldest first.
    pub earlier: Vec<EarlierAnswer>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorOut {
    pub question: String,
    pub question_text: String,
    pub answer: Answer,
    pub display: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PromptOut {
    pub id: String,
    pub title: String,
    pub urgency: String,
    pub raised_at: Time,
    /// `done`, `not_possible`, `deferred`, or null when nothing was recorded.
    pub outcome: Option<String>,
    pub reason: Option<String>,
    pub action_at: Option<Time>,
    /// Whether the current answers still raise it.
    pub follows: bool,
    /// Every action recorded on it, oldest first.
    pub history: Vec<ActionOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionOut {
    pub outcome: String,
    pub reason: Option<String>,
    pub at: Time,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteOut {
    pub text: String,
    pub at: Time,
}

#[derive(Debug, Clone, Serialize)]
pub struct AmendmentOut {
    pub at: Time,
    pub reason: Option<String>,
    pub question: Option<String>,
    pub answer: Option<Answer>,
    pub display: Option<String>,
    pub note: Option<String>,
    pub duties_changed: Option<crate::record::DutyChange>,
}

/// A duty followed through: whether it applies, its outcomes, and its timescale.
#[derive(Debug, Clone, Serialize)]
pub struct DutyOut {
    pub id: String,
    pub title: String,
    /// False when an amendment made it no longer follow (its outcomes stay).
    pub applies: bool,
    /// `done`, `not_needed`, `in_progress`, or null when nothing was recorded.
    pub outcome: Option<String>,
    /// The latest reference the receiving system gave.
    pub reference: Option<String>,
    /// Still to be done.
    pub open: bool,
    pub since: Time,
    pub timescale: Option<String>,
    pub due_at: Option<Time>,
    /// Every outcome recorded, oldest first.
    pub history: Vec<DutyOutcomeOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DutyOutcomeOut {
    pub outcome: String,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub officer: String,
    pub at: Time,
}

/// A supervisor's sign-off and what was open when they signed.
#[derive(Debug, Clone, Serialize)]
pub struct SignOffOut {
    pub supervisor: String,
    pub at: Time,
    pub note: Option<String>,
    pub open: Vec<crate::record::OpenAtSignOff>,
    pub accept_open: Option<String>,
}

/// The scene an encounter belongs to, as exported.
#[derive(Debug, Clone, Serialize)]
pub struct SceneRef {
    pub id: String,
    pub label: String,
    pub raised_by: Option<String>,
    pub question: Option<String>,
}

/// One encounter, ready to render. Field order is the JSON's field order. It borrows the
/// encounter's events (`'e`) rather than copying them: `export --all` builds one per
/// encounter, and the events are most of its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct ExportRecord<'e> {
    pub schema_version: u32,
    pub audience: Audience,
    pub encounter_id: String,
    pub status: Status,
    pub void: VoidInfo,
    pub checklist: IdTitle,
    pub guidance: GuidanceRef,
    pub officer: String,
    pub device_id: String,
    /// Null in the Duty to Notify copy.
    pub location: Option<String>,
    /// The scene the person was met at with others, if any; absent from the Duty to
    /// Notify copy (its label is free text, and it links to other people).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scene: Option<SceneRef>,
    pub created: Time,
    pub completed: Option<Time>,
    pub updated: Time,
    pub answers: Vec<AnswerOut>,
    pub indicators: Vec<IndicatorOut>,
    pub welfare_prompts: Vec<PromptOut>,
    pub duties: Vec<IdTitle>,
    pub notes: Vec<NoteOut>,
    pub amendments: Vec<AmendmentOut>,
    /// Each duty followed through, in the order to do them (schema 2).
    pub follow_through: Vec<DutyOut>,
    /// Supervisors' sign-offs, oldest first (schema 2).
    pub sign_offs: Vec<SignOffOut>,
    /// Every event, in order, exactly as hashed, so anyone can re-check the chain from the
    /// export alone. Left out of the Duty to Notify copy, because events hold the free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Cow<'e, [Event]>>,
    pub event_count: usize,
    pub head_hash: String,
    /// What this copy leaves out and why (empty for the full record).
    pub left_out: Vec<String>,
}

impl ExportRecord<'_> {
    /// The same record holding its own copy of the events, free of the slice it was built
    /// from.
    pub fn into_owned(self) -> ExportRecord<'static> {
        ExportRecord {
            events: self.events.map(|e| Cow::Owned(e.into_owned())),
            ..self
        }
    }
}

/// Builds the full record. `events` must be the encounter's verified chain and `state`
/// the state derived from it.
pub fn build_record<'e>(
    events: &'e [Event],
    state: &EncounterState,
    labels: &Labels,
) -> ExportRecord<'e> {
    // Each event carries the device's offset; derived state keeps only the UTC instant,
    // so look the offset up by instant (and by event id where the state keeps one).
    let by_id: HashMap<&str, &str> = events
        .iter()
        .map(|e| (e.id.as_str(), e.offset.as_str()))
        .collect();
    let amended_ids: std::collections::HashSet<&str> = events
        .iter()
        .filter(|e| matches!(e.body, EventBody::Amended { .. }))
        .map(|e| e.id.as_str())
        .collect();
    let fallback = state.created_offset.as_str();
    let clock = Clock::new(events, fallback);
    let time = |at: &str, offset: &str| clock.with(at, offset);
    let t = |at: &str| clock.at(at);

    let answers = answers_out(state, labels, &by_id, &amended_ids, fallback, &t, &time);

    let indicators = indicators_out(state, &answers);

    ExportRecord {
        schema_version: SCHEMA_VERSION,
        audience: Audience::Full,
        encounter_id: state.id.clone(),
        status: state.status,
        void: VoidInfo {
            voided: state.status == Status::Void,
            reason: state.void_reason.clone(),
        },
        checklist: IdTitle {
            id: state.checklist.clone(),
            title: state.checklist_title.clone(),
        },
        guidance: GuidanceRef {
            version: state.guidance_version.clone(),
            hash: state.guidance_hash.clone(),
        },
        officer: state.officer.clone(),
        device_id: state.device_id.clone(),
        location: Some(state.location.clone()).filter(|l| !l.trim().is_empty()),
        scene: state.scene.as_ref().map(|l| SceneRef {
            id: l.scene.clone(),
            label: l.label.clone(),
            raised_by: l.raised_by.clone(),
            question: l.question.clone(),
        }),
        created: time(&state.created_at, &state.created_offset),
        completed: state.completed_at.as_deref().map(t),
        updated: t(&state.updated_at),
        answers,
        indicators,
        welfare_prompts: state.prompts.iter().map(|p| prompt_out(p, &t)).collect(),
        duties: state
            .duties
            .iter()
            .map(|d| IdTitle {
                id: d.id.clone(),
                title: d.title.clone(),
            })
            .collect(),
        notes: state
            .notes
            .iter()
            .map(|n| NoteOut {
                text: n.text.clone(),
                at: t(&n.at),
            })
            .collect(),
        amendments: state
            .amendments
            .iter()
            .map(|m| AmendmentOut {
                at: t(&m.at),
                reason: Some(m.reason.clone()),
                question: m.question.clone(),
                display: match (&m.question, &m.answer) {
                    (Some(q), Some(a)) => Some(labels.display(q, a)),
                    _ => None,
                },
                answer: m.answer.clone(),
                note: m.note.clone(),
                duties_changed: m.duties_changed.clone(),
            })
            .collect(),
        follow_through: state.follow.iter().map(|d| duty_out(d, &t)).collect(),
        sign_offs: sign_offs_out(state, &t),
        events: Some(Cow::Borrowed(events)),
        event_count: state.event_count,
        head_hash: state.head_hash.clone(),
        left_out: Vec::new(),
    }
}

/// Local times for an encounter's instants. Each event's local time is worked out once
/// (parsing and formatting a time is the dearest step of building a record); the state's
/// times are event times, so they are found by instant, with the offset of the event
/// recorded then.
struct Clock<'e> {
    by_at: HashMap<&'e str, &'e str>,
    times: HashMap<(&'e str, &'e str), Time>,
    fallback: &'e str,
}

impl<'e> Clock<'e> {
    fn new(events: &'e [Event], fallback: &'e str) -> Clock<'e> {
        let mut clock = Clock {
            by_at: HashMap::with_capacity(events.len()),
            times: HashMap::with_capacity(events.len()),
            fallback,
        };
        for e in events {
            clock.by_at.insert(e.at.as_str(), e.offset.as_str());
            clock
                .times
                .entry((e.at.as_str(), e.offset.as_str()))
                .or_insert_with(|| Time::new(&e.at, &e.offset));
        }
        clock
    }

    /// `at` with the offset of the event recorded at that instant.
    fn at(&self, at: &str) -> Time {
        self.with(at, self.by_at.get(at).copied().unwrap_or(self.fallback))
    }

    fn with(&self, at: &str, offset: &str) -> Time {
        self.times
            .get(&(at, offset))
            .cloned()
            .unwrap_or_else(|| Time::new(at, offset))
    }
}

/// The indicator questions with the answers that made them indicators.
fn indicators_out(state: &EncounterState, answers: &[AnswerOut]) -> Vec<IndicatorOut> {
    state
        .indicators
        .iter()
        .map(|q| {
            let found = answers.iter().find(|a| &a.question == q);
            IndicatorOut {
                question: q.clone(),
                question_text: found.map(|a| a.question_text.clone()).unwrap_or_default(),
                answer: found.map(|a| a.answer.clone()).unwrap_or(Answer::Skipped),
                display: found.map(|a| a.display.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

/// Every current answer with its label, time and earlier answers.
fn answers_out(
    state: &EncounterState,
    labels: &Labels,
    by_id: &HashMap<&str, &str>,
    amended_ids: &std::collections::HashSet<&str>,
    fallback: &str,
    t: &dyn Fn(&str) -> Time,
    time: &dyn Fn(&str, &str) -> Time,
) -> Vec<AnswerOut> {
    state
        .answers
        .iter()
        .map(|a| AnswerOut {
            question: a.question.clone(),
            question_text: a.question_text.clone(),
            answer: a.answer.clone(),
            display: labels.display(&a.question, &a.answer),
            at: time(
                &a.at,
                by_id.get(a.event_id.as_str()).copied().unwrap_or(fallback),
            ),
            event_id: a.event_id.clone(),
            amended: amended_ids.contains(a.event_id.as_str()),
            earlier: a
                .history
                .iter()
                .map(|e| EarlierAnswer {
                    answer: e.answer.clone(),
                    display: labels.display(&a.question, &e.answer),
                    at: t(&e.at),
                })
                .collect(),
        })
        .collect()
}

/// A welfare prompt with its whole history of actions.
fn prompt_out(p: &crate::record::PromptRecord, t: &dyn Fn(&str) -> Time) -> PromptOut {
    PromptOut {
        id: p.prompt.clone(),
        title: p.title.clone(),
        urgency: p.urgency.clone(),
        raised_at: t(&p.raised_at),
        outcome: p.outcome.map(|o| o.as_str().to_string()),
        reason: Some(p.reason.clone()).filter(|r| !r.is_empty()),
        action_at: p.action_at.as_deref().map(t),
        follows: p.follows,
        history: p
            .history
            .iter()
            .map(|a| ActionOut {
                outcome: a.outcome.as_str().to_string(),
                reason: Some(a.reason.clone()).filter(|r| !r.is_empty()),
                at: t(&a.at),
            })
            .collect(),
    }
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.to_string()).filter(|s| !s.is_empty())
}

/// Supervisors' sign-offs with what was open.
fn sign_offs_out(state: &EncounterState, t: &dyn Fn(&str) -> Time) -> Vec<SignOffOut> {
    state
        .sign_offs
        .iter()
        .map(|x| SignOffOut {
            supervisor: x.supervisor.clone(),
            at: t(&x.at),
            note: non_empty(&x.note),
            open: x.open.clone(),
            accept_open: non_empty(&x.accept_open),
        })
        .collect()
}

/// A duty with its outcomes.
fn duty_out(d: &crate::record::DutyFollow, t: &dyn Fn(&str) -> Time) -> DutyOut {
    DutyOut {
        id: d.id.clone(),
        title: d.title.clone(),
        applies: d.applies,
        outcome: d.outcome.map(|o| o.as_str().to_string()),
        reference: d.reference.clone(),
        open: d.is_open(),
        since: t(&d.since),
        timescale: d.timescale.clone(),
        due_at: d.due_at.as_deref().map(t),
        history: d
            .history
            .iter()
            .map(|o| DutyOutcomeOut {
                outcome: o.outcome.as_str().to_string(),
                reference: non_empty(&o.reference),
                reason: non_empty(&o.reason),
                note: non_empty(&o.note),
                officer: o.officer.clone(),
                at: t(&o.at),
            })
            .collect(),
    }
}

/// The record as pretty JSON (one encounter, for `--format json`).
pub fn to_json(rec: &ExportRecord) -> String {
    // Serialising plain structs with string keys cannot fail.
    serde_json::to_string_pretty(rec).unwrap_or_default()
}

/// The record as one line of JSON (for `--format jsonl`).
pub fn to_json_line(rec: &ExportRecord) -> String {
    serde_json::to_string(rec).unwrap_or_default()
}
