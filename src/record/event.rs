//! One immutable event of an encounter and its place in the hash chain.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::record::Answer;

/// The `prev_hash` of an encounter's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WelfareOutcome {
    Done,
    NotPossible,
    Deferred,
}

impl WelfareOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            WelfareOutcome::Done => "done",
            WelfareOutcome::NotPossible => "not_possible",
            WelfareOutcome::Deferred => "deferred",
        }
    }
}

/// What became of a duty (an NRM referral, a DtN report, a crime record): the follow-through
/// after the scene, recorded with its own time and officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyProgress {
    Done,
    NotNeeded,
    InProgress,
}

impl DutyProgress {
    pub fn as_str(self) -> &'static str {
        match self {
            DutyProgress::Done => "done",
            DutyProgress::NotNeeded => "not_needed",
            DutyProgress::InProgress => "in_progress",
        }
    }

    /// Whether the duty is dealt with (done, or judged not needed with a reason).
    pub fn closes(self) -> bool {
        matches!(self, DutyProgress::Done | DutyProgress::NotNeeded)
    }
}

/// One thing still open when a supervisor signed a record off, as it stood then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenAtSignOff {
    /// `duty` or `prompt`.
    pub kind: String,
    pub id: String,
    pub title: String,
}

/// What happened. Snapshots of question text and prompt titles are kept in the event so
/// the record reads the same after the guidance changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    Created {
        officer: String,
        location: String,
        checklist: String,
        checklist_title: String,
        guidance_version: String,
        guidance_hash: String,
    },
    /// The first answer to a question, or a changed answer while the encounter is a draft.
    AnswerGiven {
        question: String,
        question_text: String,
        answer: Answer,
    },
    PromptRaised {
        prompt: String,
        title: String,
        urgency: String,
    },
    WelfareAction {
        prompt: String,
        outcome: WelfareOutcome,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    NoteAdded {
        text: String,
    },
    /// The officer finished the checklist; indicators and duties as stated at that moment.
    Completed {
        indicators: Vec<String>,
        duties: Vec<DutySnapshot>,
    },
    /// A correction after completion. Never replaces history: it sits on top of it.
    Amended {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answer: Option<Answer>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Voided {
        reason: String,
    },
    /// What became of a duty, after the scene or at it. `title` is the duty's title as the
    /// officer saw it; `reference` is what the receiving system gave (an NRM referral
    /// reference, a crime reference number); `reason` says why a duty was not needed.
    DutyOutcome {
        duty: String,
        title: String,
        outcome: DutyProgress,
        officer: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reference: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        note: String,
    },
    /// A supervisor's review of a complete record. `open` is what was still open when they
    /// signed, and `accept_open` why they signed anyway (required when `open` is not empty).
    SignedOff {
        supervisor: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        note: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        open: Vec<OpenAtSignOff>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        accept_open: String,
    },
    /// The person is one of several met together at a scene (`record::scene`). `label`
    /// tells them apart there ("worker 3, red jacket"); `raised_by` and `question` name
    /// the encounter and the answer that brought them to notice, when one did.
    SceneJoined {
        scene: String,
        label: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raised_by: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
    },
    /// The encounter was linked to the wrong scene (or to none it belongs to): the link
    /// is ended with a reason, never erased.
    SceneLeft {
        scene: String,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutySnapshot {
    pub id: String,
    pub title: String,
}

impl EventBody {
    pub fn type_name(&self) -> &'static str {
        match self {
            EventBody::Created { .. } => "created",
            EventBody::AnswerGiven { .. } => "answer_given",
            EventBody::PromptRaised { .. } => "prompt_raised",
            EventBody::WelfareAction { .. } => "welfare_action",
            EventBody::NoteAdded { .. } => "note_added",
            EventBody::Completed { .. } => "completed",
            EventBody::Amended { .. } => "amended",
            EventBody::Voided { .. } => "voided",
            EventBody::DutyOutcome { .. } => "duty_outcome",
            EventBody::SignedOff { .. } => "signed_off",
            EventBody::SceneJoined { .. } => "scene_joined",
            EventBody::SceneLeft { .. } => "scene_left",
        }
    }
}

/// One link of an encounter's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// UUIDv7, so ids sort by creation time.
    pub id: String,
    pub encounter_id: String,
    /// 1-based position in the encounter.
    pub seq: u32,
    /// UTC, RFC 3339 (`2026-11-30T15:04:05.123Z`).
    pub at: String,
    /// The device's local UTC offset at the time, for display (`+01:00`).
    pub offset: String,
    pub device_id: String,
    pub prev_hash: String,
    pub hash: String,
    pub body: EventBody,
}

/// The fields the hash covers, in a fixed order, so every device computes the same bytes.
#[derive(Serialize)]
struct Hashed<'a> {
    id: &'a str,
    encounter_id: &'a str,
    seq: u32,
    at: &'a str,
    offset: &'a str,
    device_id: &'a str,
    prev_hash: &'a str,
    body: &'a EventBody,
}

/// An event that could not be turned into the bytes its hash covers. Plain data always
/// encodes, so this is a bug, reported as one rather than hashed as empty bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an event could not be encoded to compute its hash ({0}); this is a bug, please report it")]
pub struct EncodeError(pub String);

impl EncodeError {
    pub fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::Internal
    }
}

/// SHA-256 (hex) over the event's content and the previous event's hash.
pub fn hash_event(e: &Event) -> Result<String, EncodeError> {
    let content = Hashed {
        id: &e.id,
        encounter_id: &e.encounter_id,
        seq: e.seq,
        at: &e.at,
        offset: &e.offset,
        device_id: &e.device_id,
        prev_hash: &e.prev_hash,
        body: &e.body,
    };
    let bytes = serde_json::to_vec(&content).map_err(|e| EncodeError(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

impl Event {
    /// Builds the next event of a chain, computing its hash.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        encounter_id: String,
        seq: u32,
        at: String,
        offset: String,
        device_id: String,
        prev_hash: String,
        body: EventBody,
    ) -> Result<Event, EncodeError> {
        let mut e = Event {
            id,
            encounter_id,
            seq,
            at,
            offset,
            device_id,
            prev_hash,
            hash: String::new(),
            body,
        };
        e.hash = hash_event(&e)?;
        Ok(e)
    }

    /// Whether the stored hash matches the content.
    pub fn hash_ok(&self) -> Result<bool, EncodeError> {
        Ok(hash_event(self)? == self.hash)
    }
}
