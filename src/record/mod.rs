//! An encounter as a pocket-notebook record: an append-only list of events, each hashed
//! together with the previous one, and the current state derived from them.
//!
//! This module is pure (no database, no terminal) so the store, export, sync and the
//! tests all share one definition of what an event is and what it means.

mod answer;
mod event;
pub mod rules;
mod scene;
mod state;

pub use answer::Answer;
pub use event::{DutyProgress, DutySnapshot, OpenAtSignOff};
pub use event::{EncodeError, Event, EventBody, GENESIS_HASH, WelfareOutcome, hash_event};
pub use rules::RuleBreak;
pub use scene::{
    NotedPerson, SceneBody, SceneEvent, SceneRuleBreak, SceneState, SceneStatus, check_scene,
};
pub use state::{
    ActionRecord, AmendmentRecord, AnswerRecord, ChainBreak, DutyChange, DutyFollow,
    DutyOutcomeRecord, DutyRecord, EarlierAnswer, EncounterState, NoteRecord, PromptRecord,
    SceneLink, SignOffRecord, Status,
};
