//! Exporting encounter records: JSON for systems (with a published JSON Schema), Markdown
//! for the officer and the supervisor, CSV and JSONL for analysts, and the anonymised copy
//! a Duty to Notify needs.
//!
//! Everything here except `write` is pure: it turns an encounter's events (and the state
//! derived from them) into bytes, so it is tested on fixtures built in memory and the
//! command layer only fetches events and chooses where the bytes go.

mod csv;
mod dtn;
mod markdown;
mod record;
mod scene;
mod time;
pub mod write;

use crate::fault::Fault;
use crate::record::{ChainBreak, EncounterState, Event};

pub use self::csv::{CSV_COLUMNS, CsvSink, csv_row};
use crate::guidance::ids::AGE_QUESTION;
pub use dtn::anonymise;
pub use markdown::to_markdown;
pub use record::{
    Audience, ExportRecord, Labels, SCHEMA_VERSION, SceneRef, build_record, to_json, to_json_line,
};
pub use scene::{
    SCENE_SCHEMA, SCENE_SCHEMA_VERSION, SceneExport, age_status, build_scene, scene_to_json,
    scene_to_markdown,
};

/// The JSON Schema every `--format json` and `jsonl` export validates against. Published
/// in the repository (and printed by `msht export --schema`) so a force's systems can
/// check what they receive.
pub const JSON_SCHEMA: &str = include_str!("encounter.schema.json");

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "a Duty to Notify is never used for a child: the record says the person is, or may be, under 18, so make an NRM referral instead"
    )]
    ChildDtn(String),
    #[error(
        "the record does not say the person is an adult (question '{AGE_QUESTION}' is not answered 'no'), and a Duty to Notify is only for adults"
    )]
    AgeUnknownDtn(String),
    #[error(
        "a Duty to Notify copy is only for an adult who declined an NRM referral, and encounter {id} says {consent}"
    )]
    NotDeclined { id: String, consent: String },
    #[error(
        "encounter {id} was voided ({reason}), so it is left out unless void records are asked for"
    )]
    Voided { id: String, reason: String },
    #[error("{0} already exists and was left as it is")]
    Exists(String),
    #[error("encounter {0} does not check: {1}. Nothing was exported")]
    Chain(String, ChainBreak),
    #[error("encounter {0} has no events, so there is nothing to export")]
    Empty(String),
    #[error(
        "the export was interrupted; no output file was written (standard output may hold part of it)"
    )]
    Interrupted,
    #[error("could not write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl ExportError {
    pub fn fault(&self) -> Fault {
        match self {
            ExportError::ChildDtn(_)
            | ExportError::AgeUnknownDtn(_)
            | ExportError::NotDeclined { .. } => Fault::BadData,
            ExportError::Voided { .. } => Fault::BadData,
            // sysexits has EX_CANTCREAT (73) for "an output file cannot be created", but
            // SPEC §2 promises only 0/64/65/66/74/75/1. 74 (I/O error) is the nearest of
            // those: the output could not be written as asked, and nothing about the
            // input data was wrong (which is what 65 would tell a script).
            ExportError::Exists(_) => Fault::Io,
            ExportError::Chain(..) | ExportError::Empty(_) => Fault::BadData,
            ExportError::Interrupted => Fault::Internal,
            // The output could not be written: a missing folder for --out is a write
            // failure (74), not missing input (66).
            ExportError::Io { .. } => Fault::Io,
        }
    }

    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, ExportError::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Verifies an encounter's chain and derives its state: an export never leaves the
/// machine for a record whose history does not check.
pub fn verified_state(id: &str, events: &[Event]) -> Result<EncounterState, ExportError> {
    EncounterState::verify(events).map_err(|b| ExportError::Chain(id.to_string(), b))?;
    EncounterState::from_events(events).ok_or_else(|| ExportError::Empty(id.to_string()))
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
